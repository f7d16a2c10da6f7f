"""An inline suppression that suppresses nothing.

## What it does
Reports each code of a `workers-audit-ignore[...]` comment that matched no finding on its
line (or, for a comment on a line of its own, the next line of code). Only codes whose rule
ran are judged: with `--select KV` a `CF004` suppression is left alone.

## Why is this bad?
A stale suppression hides the next real finding on that line: the code was fixed or moved,
the comment stayed, and a defect written there later is never reported.

## Example
```ts
// workers-audit-ignore[KV001]: cached for the day
await env.CACHE.put(key, body, { expirationTtl: 86400 });
```

Use instead: delete the comment.

## Known problems
This finding is made by the engine once every other rule has run; it cannot itself be
suppressed inline. A suppression of a finding held in the baseline file still counts as
used.

## References
- https://docs.astral.sh/ruff/rules/unused-noqa/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation


def check(program: object, settings: object) -> Iterator[Violation]:
    """Nothing to ask the Program: the engine matches suppressions to findings."""
    return iter(())


RULE = Rule(
    code="WA002",
    name="unused-suppression",
    summary="a `workers-audit-ignore` comment that matches no finding",
    severity=Severity.WARNING,
    check=check,  # type: ignore[arg-type]
    doc=__doc__,
)
