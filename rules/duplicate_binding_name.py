"""One binding name is declared twice in one environment.

## What it does
Reports a binding whose name another binding of the same environment already uses, across
every binding kind: a KV namespace and a var, a Durable Object and an R2 bucket, a secret
and a service.

## Why is this bad?
The Worker sees one `env` object, so two bindings with one name cannot both exist:
wrangler refuses to deploy ("Bindings must have unique names"), and where a var and a
secret share a name the var is silently dropped from the generated types. The name the
code reads is ambiguous until one of them is renamed.

## Example
```toml
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]
r2_buckets = [{ binding = "CACHE", bucket_name = "cache-assets" }]
```

Use instead:
```toml
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]
r2_buckets = [{ binding = "ASSETS_BUCKET", bucket_name = "cache-assets" }]
```

## References
- https://developers.cloudflare.com/workers/wrangler/configuration/#bindings
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.config.model import Binding
from auditor.findings import Related, Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for environment in program.environments():
        first: dict[str, Binding] = {}
        # In file order, so that the later declaration is reported and the related
        # location is the earlier one; the model lists bindings grouped by kind.
        for binding in sorted(environment.bindings,
                              key=lambda b: (b.location.line, b.location.column)):
            earlier = first.setdefault(binding.name, binding)
            if earlier is binding:
                continue
            kinds = (f"twice in `{binding.kind}`" if earlier.kind == binding.kind
                     else f"in `{earlier.kind}` and `{binding.kind}`")
            yield Violation(
                location=binding.location,
                message=f"binding name `{binding.name}` is declared {kinds} in {environment.label}",
                binding=binding.name,
                environment=environment.name,
                related=(Related(earlier.location, f"`{binding.name}` first declared here"),),
                anchor=f"{environment.name}:{binding.name}:{binding.kind}",
            )


RULE = Rule(
    code="CF001",
    name="duplicate-binding-name",
    summary="one binding name is declared twice in one environment",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
