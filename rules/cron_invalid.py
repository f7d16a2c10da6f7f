"""A cron trigger that Cloudflare does not accept.

## What it does
Parses every `triggers.crons` entry as Cloudflare reads cron expressions and reports the ones
it rejects: not five fields, a value out of range (minute 0-59, hour 0-23, day-of-month 1-31,
month 1-12, day-of-week 1-7), a name that is not a 3-letter month or day name, a character the
field does not take (`L` and `W` only in day-of-month, `L` and `#` only in day-of-week), a step
of 0, an `L`, `W` or `#` form inside a list (`1,L`), and shapes that mean nothing (`1-`,
`1,,2`, `1-5W`).

## Why is this bad?
`wrangler deploy` uploads the schedule after the Worker itself, and the API rejects the bad
expression there: the deploy fails late, usually in CI, and the schedules stay as they were.
Expressions copied from other schedulers are the usual cause: six-field Quartz or Spring
expressions with seconds, `@daily` shortcuts, `0` for Sunday (Cloudflare counts 1-7),
full names such as `MONDAY`.

## Example
```toml
[triggers]
crons = ["0 0 9 * * MON-FRI", "0 8 * * 0"]
```

Use instead:
```toml
[triggers]
crons = ["0 9 * * MON-FRI", "0 8 * * SUN"]
```

## Known problems
Where Cloudflare's documentation is silent the rule stays silent, even where Cloudflare's own
parser (saffron) is stricter: `?` in the day fields, `*` inside a list (`*,5`), lowercase
`l`/`w`, spaces around the expression, and steps equal to the span's end (`*/31` in
day-of-month, `*/12` in months, `*/7` in day-of-week) are accepted here and may still fail to
deploy. A reversed range such as `FRI-MON` or `22-2` wraps around, as in Quartz, and
is not reported. An expression that can never fire (`0 0 30 2 *`) is not reported. See
`auditor/cron.py` for the sources of each decision.

## References
- https://developers.cloudflare.com/workers/configuration/cron-triggers/#supported-cron-expressions
- https://www.quartz-scheduler.org/documentation/quartz-2.3.0/tutorials/crontrigger.html
- https://github.com/cloudflare/saffron
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.cron import CronError, parse
from auditor.findings import Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    # Environments that inherit the top-level `triggers` see the same cron at the same
    # location; the engine keeps one finding per location and message.
    for environment in program.environments():
        for cron in environment.crons or ():
            try:
                parse(cron.expression)
            except CronError as error:
                yield Violation(
                    location=cron.location,
                    message=error.message,
                    environment=environment.name,
                )


RULE = Rule(
    code="CR002",
    name="cron-invalid",
    summary="a cron trigger that Cloudflare rejects",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
