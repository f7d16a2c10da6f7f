"""A top-level binding is missing from an environment, which deploys without it.

## What it does
Reports an `[env.NAME]` that does not repeat a non-inheritable key set at the top level
(`kv_namespaces`, `durable_objects`, `vars`, `r2_buckets`, `d1_databases`, `services`,
`queues` and every other binding kind), and an environment that repeats the key but leaves
out one of the top-level bindings in it.

## Why is this bad?
Bindings and vars are not inherited. `wrangler deploy --env production` deploys a Worker
whose `env` lacks them, so the first request that touches `env.CACHE` throws
`Cannot read properties of undefined`. wrangler prints a warning that scrolls past in CI;
the deploy succeeds.

## Example
```toml
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]

[env.production]
name = "quotes-production"
```

Use instead:
```toml
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]

[env.production]
name = "quotes-production"
kv_namespaces = [{ binding = "CACHE", id = "7d1e5c0a3b2f4e6d8c9a0b1c2d3e4f5a" }]
```

## Known problems
An empty top-level value (`kv_namespaces = []`) loses nothing and is not reported, though
wrangler warns about it. A binding left out of one environment on purpose is reported
all the same; suppress it with a reason.

## References
- https://developers.cloudflare.com/workers/wrangler/environments/
- https://developers.cloudflare.com/workers/wrangler/configuration/#non-inheritable-keys
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.config.model import Environment
from auditor.config.schema import NON_INHERITABLE
from auditor.findings import Related, Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    top = program.config.top
    for environment in program.environments():
        if environment.name is None:
            continue
        for key, top_location in environment.not_inherited:
            names = sorted({b.name for b in top.bindings if b.kind == key})
            lost = f" (`{'`, `'.join(names)}`)" if names else ""
            yield Violation(
                location=environment.location,
                message=(f"`{key}` is set at the top level but not in {environment.label}, "
                         f"which deploys without it{lost}: bindings are not inherited"),
                environment=environment.name,
                related=(Related(top_location, f"top-level `{key}`"),),
                anchor=f"{environment.name}:{key}",
            )
        yield from _missing_entries(program, environment)


def _missing_entries(program: Program, environment: Environment) -> Iterator[Violation]:
    """The environment repeats the key but leaves out some of the top-level entries."""
    doc = program.config.document
    own_table = doc.data["env"][environment.name]
    own = {(b.kind, b.name) for b in environment.bindings}
    for binding in program.config.top.bindings:
        if binding.kind not in own_table or binding.kind not in NON_INHERITABLE:
            continue
        if (binding.kind, binding.name) in own:
            continue
        yield Violation(
            location=doc.at("env", environment.name or "", binding.kind),
            message=(f"`{binding.name}` is in top-level `{binding.kind}` but not in "
                     f"{environment.label}, which deploys without it"),
            binding=binding.name,
            environment=environment.name,
            related=(Related(binding.location, f"top-level `{binding.name}`"),),
            anchor=f"{environment.name}:{binding.kind}:{binding.name}",
        )


RULE = Rule(
    code="CF005",
    name="binding-not-inherited",
    summary="a top-level binding is missing from an environment, which deploys without it",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
