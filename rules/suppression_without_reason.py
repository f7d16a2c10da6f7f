"""An inline suppression that does not say why.

## What it does
Reports a `workers-audit-ignore[CODE]` comment with no reason after it. The suppression
still applies; this finding asks for the reason.

## Why is this bad?
A suppression outlives the person who wrote it. Without a reason, the next reader cannot
tell a considered exception ("this key is written once a day by the cron") from a gate
silenced to get a pull request through, and nobody dares to remove it.

## Example
```ts
// workers-audit-ignore[KV001]
await env.CONFIG.put("flags", body);
```

Use instead:
```ts
// workers-audit-ignore[KV001]: flags are rewritten by the deploy job and must not expire
await env.CONFIG.put("flags", body);
```

## Known problems
This finding is made by the engine once every other rule has run, from the comments of the
Worker's sources and configuration; it cannot itself be suppressed inline.

## References
- https://docs.astral.sh/ruff/linter/#error-suppression
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation


def check(program: object, settings: object) -> Iterator[Violation]:
    """Nothing to ask the Program: the engine matches suppressions to findings."""
    return iter(())


RULE = Rule(
    code="WA001",
    name="suppression-without-reason",
    summary="a `workers-audit-ignore` comment that gives no reason",
    severity=Severity.WARNING,
    check=check,  # type: ignore[arg-type]
    doc=__doc__,
)
