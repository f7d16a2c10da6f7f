"""A cron trigger writes its day of the week as a number.

## What it does
Reports a `triggers.crons` entry whose day-of-week field writes a weekday as a number (`1-5`,
`0 9 * * 1`, `6L`, `2#1`), and says what the numbers mean on Cloudflare and which names to
write instead, both for the schedule the author most likely meant (POSIX cron numbering) and
for the schedule that runs today.

## Why is this bad?
Cloudflare numbers the weekdays as Quartz does, 1 = Sunday … 7 = Saturday, not as POSIX cron
does (0 or 7 = Sunday, 1 = Monday). So `0 9 * * 1-5`, "weekdays at nine" in every crontab,
runs Sunday to Thursday on Cloudflare: the Friday job does not run and a Sunday one does, with
no error anywhere. Names (`MON-FRI`) mean the same in every cron dialect.

## Example
```toml
[triggers]
crons = ["0 9 * * 1-5"]
```

Use instead:
```toml
[triggers]
crons = ["0 9 * * MON-FRI"]
```

## Fix safety
Safe: writes the day-of-week field with the names of the days Cloudflare runs it on now
(`1-5` becomes `SUN-THU`). The schedule does not change; what it is becomes visible in
review, where `MON-FRI` (probably what was meant) is one more edit.

## Known problems
Numbers that mean the same schedule in both numberings (`1-7`, `1,*`) are not reported, and
neither are `*`, steps over `*` (`*/2`), the occurrence in `FRI#2` or a lone `L` (Saturday).
POSIX cron has no `/` on a single value, `L` or `#`; the "meant" reading of `1/2`, `6L` or
`2#1` takes the numbers as POSIX weekdays (1 = Monday) and keeps Cloudflare's meaning of the
rest. An expression that CR002 rejects is not also reported here.

## References
- https://developers.cloudflare.com/workers/configuration/cron-triggers/#supported-cron-expressions
- https://man7.org/linux/man-pages/man5/crontab.5.html
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from auditor.config.model import Cron
from auditor.cron import SPAN_DAYS, SPAN_START, CronError, WeekdayReadings, parse, weekday_readings
from auditor.findings import Fix, Location, Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for environment in program.environments():
        for cron in environment.crons or ():
            try:
                readings = weekday_readings(parse(cron.expression))
            except CronError:
                continue  # CR002's
            if readings is None or not readings.differ:
                continue
            cloudflare, meant = readings.cloudflare, readings.posix
            yield Violation(
                location=cron.location,
                message=(f"day-of-week `{readings.written}` means {cloudflare.words} on "
                         f"Cloudflare (1 = Sunday); write `{meant.text}` for {meant.words}, "
                         f"or `{cloudflare.text}` to keep this schedule"),
                environment=environment.name,
                fix=_fix(cron, readings),
            )


def _fix(cron: Cron, readings: WeekdayReadings) -> Fix | None:
    """Replace the day-of-week field, inside the string, with Cloudflare's reading in names."""
    location, expression = cron.location, cron.expression
    # Only a one-line string without escapes: its text is the expression between two quotes.
    if location.end_line != location.line or location.end_column is None \
            or location.end_column - location.column != len(expression) + 2:
        return None
    fields = list(re.finditer(r"\S+", expression))
    now = readings.cloudflare
    if len(fields) != 5 or fields[4].group() != readings.written:
        return None
    field = fields[4]
    fixed = expression[:field.start()] + now.text + expression[field.end():]
    try:
        old, new = parse(expression), parse(fixed)
    except CronError:
        return None
    # A fix marked safe must not move a single run: none of the days the estimate counts.
    first = SPAN_START.toordinal()
    days = (datetime.date.fromordinal(first + n) for n in range(SPAN_DAYS))
    if weekday_readings(new) is not None or any(old.fires_on(d) != new.fires_on(d) for d in days):
        return None
    start = location.column + 1 + field.start()
    return Fix(
        message=(f"write `{now.text}`: the days Cloudflare runs this on now ({now.words}), so the "
                 f"schedule does not change and review sees it; `{readings.posix.text}` is probably "
                 "what was meant"),
        replacement=now.text,
        location=Location(location.path, location.line, start, location.line, start + len(field.group())),
        applicability="safe",
    )


RULE = Rule(
    code="CR001",
    name="cron-numeric-weekday",
    summary="a cron trigger writes its day of the week as a number",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
