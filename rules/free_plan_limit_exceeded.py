"""The estimate goes over a daily limit of the free plan.

## What it does
On the free plan, compares the estimated daily operations (KV reads, writes, deletes and
lists; Durable Object requests and rows; Workers requests) on the busiest day with the
plan's daily limits, and reports each one the estimate goes over, at the site that
contributes most, with the estimate, the limit, the UTC time the limit runs out and the
other large contributors. `workers-audit estimate` shows every site and assumption.

The estimate is a range: the maximum counts every conditional operation (each cache miss,
each branch). The finding says "up to" when only the maximum goes over.

## Why is this bad?
Free-plan limits reset at 00:00 UTC. Past one, every further operation of that type fails
for the rest of the day: `put()` throws "KV put() limit exceeded for the day" and the
Worker's writes stop until midnight UTC, while everything else keeps working, so the
failure looks like data loss rather than an outage.

## Example
```toml
# wrangler.toml: a cache refresh every 5 minutes writing 5 keys
[triggers]
crons = ["*/5 * * * *"]   # 288 runs x 5 puts = 1,440 writes a day; the free plan allows 1,000
```

Use instead: fewer writes (write only on change, a longer interval, one aggregated key, an
`expirationTtl` instead of a sweep), or the Workers Paid plan (`plan = "paid"` in
`workers-audit.toml`), where the same traffic is billed rather than refused.

## References
- https://developers.cloudflare.com/kv/platform/pricing/
- https://developers.cloudflare.com/kv/platform/limits/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.estimate.model import CATEGORY_NAMES, clock, count, span
from auditor.findings import Related, Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    if settings.plan != "free":
        return
    from auditor.estimate import estimate_for

    estimate = estimate_for(program, settings)
    for breach in estimate.exceeded:
        name = CATEGORY_NAMES[breach.category]
        certain = breach.daily.min > breach.limit
        amount = span(breach.daily) if certain else f"up to {count(breach.daily.max)}"
        at_max, at_min = breach.runs_out_at
        when = ""
        if at_min is not None:
            when = f"; runs out at about {clock(at_min)}"
        elif at_max is not None:
            when = f"; can run out as early as {clock(at_max)}"
        top = breach.top_sites
        causes = ", ".join(f"{s.describe()} ({span(s.ops_per_day)}/day)" for s in top)
        message = (f"estimated {name} of {amount} a day exceed the free plan's {count(breach.limit)} "
                   f"a day{when}" + (f"; most from: {causes}" if causes else ""))
        location = top[0].location if top else program.config.top.location
        related = tuple(Related(s.location, f"{s.describe()}: {span(s.ops_per_day)}/day") for s in top[1:])
        yield Violation(location, message, binding=top[0].binding if top else None,
                        environment=estimate.environment, related=related,
                        anchor=f"{breach.category}")


RULE = Rule(
    code="CO001",
    name="free-plan-limit-exceeded",
    summary="on the free plan, an estimated daily count above its daily limit",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
