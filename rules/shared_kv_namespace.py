"""Two KV bindings in one environment point at the same namespace.

## What it does
Reports a KV binding whose `id` (or `preview_id`) is already used by another KV binding
of the same environment.

## Why is this bad?
Two names, one store. Code that writes a "backup" or a separate cache through the second
binding writes over the keys of the first, and every write through either counts against
the same namespace's limits (one write per second per key, 1,000 writes a day on the free
plan). wrangler rejects two bindings with one *name* but says nothing about two names
sharing one *id*.

## Example
```toml
kv_namespaces = [
  { binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" },
  { binding = "CACHE_BACKUP", id = "0f2ac74b498b48028cb68387c421e279" },
]
```

Use instead:
```toml
kv_namespaces = [
  { binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" },
  { binding = "CACHE_BACKUP", id = "7d1e5c0a3b2f4e6d8c9a0b1c2d3e4f5a" },
]
```

## Known problems
Bindings without an `id` are provisioned on deploy and cannot be compared. Ids are
compared case-insensitively, as the API treats them.

## References
- https://developers.cloudflare.com/kv/concepts/kv-bindings/
- https://developers.cloudflare.com/workers/wrangler/configuration/#kv-namespaces
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Related, Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for environment in program.environments():
        for field in ("id", "preview_id"):
            first_seen = {}
            for binding in environment.bindings_of("kv_namespaces"):
                value = binding.field(field)
                if value is None or not isinstance(value.value, str) or not value.value:
                    continue
                key = value.value.lower()
                earlier = first_seen.setdefault(key, binding)
                if earlier is binding:
                    continue
                yield Violation(
                    location=value.location,
                    message=(f"KV bindings `{earlier.name}` and `{binding.name}` share the "
                             f"namespace {field} `{value.value}` in {environment.label}: "
                             f"writes through one overwrite the other"),
                    binding=binding.name,
                    environment=environment.name,
                    related=(Related(earlier.field(field).location,  # type: ignore[union-attr]
                                     f"`{earlier.name}` uses the same {field} here"),),
                    anchor=f"{environment.name}:{earlier.name}:{binding.name}:{field}",
                )


RULE = Rule(
    code="CF002",
    name="shared-kv-namespace",
    summary="two KV bindings in one environment point at the same namespace",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
