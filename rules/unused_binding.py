"""A binding declared in the configuration that the Worker's code never reads.

## What it does
Reports a binding (KV namespace, Durable Object, R2 bucket, queue producer, service, var,
required secret, …) that no code of the Worker reads, through any access form (`env.X`,
`this.env.X`, `c.env.X`, destructuring, `env["X"]`, Python `self.env.X`,
`process.env.X`). Each declaration is reported: the top level and every environment.

## Why is this bad?
A leftover binding keeps a namespace, bucket or queue attached to the Worker after the
code stopped using it: it is provisioned and billed for storage, shows up in `wrangler
types`, and misleads the next reader about what the Worker depends on. Often it is the
sign of a rename the code made and the configuration did not.

## Example
```toml
kv_namespaces = [
  { binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" },
  { binding = "LEGACY_CACHE", id = "38792f74d23d28c608e411637de35f06" },
]
```

Use instead: remove `LEGACY_CACHE`, or delete the namespace once its data is migrated.

## Known problems
The rule stays silent for the whole Worker when the code can read any binding without
naming it: a computed `env[name]`, the env handed to a package, a default export built by
a package, a service-worker Worker (bindings as globals), or a `main` that is not among
the sources. Files excluded in the settings are not the Worker's code.

## References
- https://developers.cloudflare.com/workers/runtime-apis/bindings/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.env_usage import env_usage
from auditor.findings import Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    if not program.modules:
        return
    usage = env_usage(program)
    if usage.opaque is not None:
        return
    for environment in program.environments():
        for binding in environment.bindings:
            if binding.name in usage.names:
                continue
            yield Violation(
                binding.location,
                f"binding `{binding.name}` ({binding.kind}) in {environment.label} is never "
                "read by the Worker's code",
                binding=binding.name,
                environment=environment.name,
                anchor=f"{environment.name}:{binding.kind}:{binding.name}",
            )


RULE = Rule(
    code="CF004",
    name="unused-binding",
    summary="a declared binding the Worker's code never reads",
    severity=Severity.INFO,
    check=check,
    doc=__doc__,
)
