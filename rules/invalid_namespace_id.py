"""A KV namespace id is not a namespace id.

## What it does
Reports a KV binding whose `id` or `preview_id` is not 32 hexadecimal characters: the
placeholders that templates and tutorials leave behind (`"your-kv-id"`, `"xxx"`, `"<id>"`,
`"${KV_ID}"`, `""`).

## Why is this bad?
wrangler does not check the id, so the placeholder reaches the Cloudflare API and the
deploy fails there (or `wrangler dev --remote` fails for the preview id), usually in CI
and after the rest of the pipeline has run.

## Example
```toml
kv_namespaces = [{ binding = "CACHE", id = "your-kv-namespace-id" }]
```

Use instead (`wrangler kv namespace create CACHE` prints the id):
```toml
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]
```
or leave `id` out and let wrangler provision the namespace on deploy.

## Known problems
wrangler does not substitute environment variables in the config, so `"${KV_ID}"` is
reported even where a build step rewrites the file before deploying.

## References
- https://developers.cloudflare.com/kv/get-started/
- https://developers.cloudflare.com/workers/wrangler/configuration/#kv-namespaces
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings

NAMESPACE_ID = re.compile(r"[0-9a-fA-F]{32}")


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for environment in program.environments():
        for binding in environment.bindings_of("kv_namespaces"):
            for field in ("id", "preview_id"):
                value = binding.field(field)
                # A wrong type is CF007's; a missing id is provisioned on deploy.
                if value is None or not isinstance(value.value, str):
                    continue
                if NAMESPACE_ID.fullmatch(value.value):
                    continue
                yield Violation(
                    location=value.location,
                    message=(f"KV binding `{binding.name}` has {field} `{value.value}`, which "
                             "is not a namespace id (32 hexadecimal characters)"),
                    binding=binding.name,
                    environment=environment.name,
                    anchor=f"{binding.name}:{field}:{value.value}",
                )


RULE = Rule(
    code="CF006",
    name="invalid-namespace-id",
    summary="a KV namespace id is not 32 hexadecimal characters",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
