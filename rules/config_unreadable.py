"""The wrangler configuration does not parse or has the wrong shape.

## What it does
Reports a configuration file that is not valid TOML or JSONC, a value of the wrong type
(a string where wrangler expects a table or an array), a missing required field, a key
wrangler 4 no longer accepts, and an unknown key (with the key it most resembles).

## Why is this bad?
wrangler refuses to deploy a file that does not parse or has a value of the wrong type.
An unknown key is worse: wrangler only warns and deploys without it, so a typo such as
`kv_namespace` ships a Worker with no KV binding at all, and the first request that uses
it throws.

## Example
```toml
kv_namespace = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]

[triggers]
crons = "0 * * * *"
```

Use instead:
```toml
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]

[triggers]
crons = ["0 * * * *"]
```

## Known problems
Unknown keys are reported at warning level: newer wrangler releases add keys faster than
any list can follow. A file that does not parse at all stops the audit of that Worker
(exit code 2); shape problems do not.

## References
- https://developers.cloudflare.com/workers/wrangler/configuration/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for problem in program.config.problems:
        yield Violation(
            location=problem.location,
            message=problem.message,
            severity=problem.severity,
            anchor=problem.location.key,
        )


RULE = Rule(
    code="CF007",
    name="config-unreadable",
    summary="the configuration does not parse or has the wrong shape",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
