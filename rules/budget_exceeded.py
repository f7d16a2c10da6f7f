"""The estimate goes over a threshold of the `[budget]` settings.

## What it does
Compares the estimate with the thresholds a team sets in `workers-audit.toml`:
`max-kv-writes-per-day` (KV writes on the busiest day, at the top of the estimate's range)
and `max-monthly-usd` (the month's cost on the configured plan, at the top of its range).
Reports each threshold the estimate goes over, at the site that contributes most.
Without a `[budget]` table the rule has nothing to check.

## Why is this bad?
A budget written down is a decision; a pull request that crosses it should say so before
it merges rather than on the next invoice. The finding names the sites that make up the
figure, so the reviewer can see which change moved it.

## Example
```toml
# workers-audit.toml
[budget]
max-kv-writes-per-day = 1000
max-monthly-usd = 5.0
```

Use instead: bring the estimate back under the threshold (fewer writes, TTLs instead of
sweeps, batching), or raise the threshold in the same pull request, where a reviewer sees it.

## References
- https://developers.cloudflare.com/kv/platform/pricing/
- https://developers.cloudflare.com/workers/platform/pricing/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.estimate.model import Estimate, Site, count, span
from auditor.findings import Location, Related, Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def _where(estimate: Estimate, sites: list[Site], program: Program) -> tuple[Location, tuple[Related, ...]]:
    top = sorted(sites, key=lambda s: -s.ops_per_day.max)[:3]
    if not top:
        return program.config.top.location, ()
    related = tuple(Related(s.location, f"{s.describe()}: {span(s.ops_per_day)}/day") for s in top[1:])
    return top[0].location, related


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    budget = settings.budget
    if budget.max_kv_writes_per_day is None and budget.max_monthly_usd is None:
        return
    from auditor.estimate import estimate_for

    estimate = estimate_for(program, settings)
    limit = budget.max_kv_writes_per_day
    writes = estimate.busiest_day["kv.writes"]
    if limit is not None and writes.max > limit:
        sites = [s for s in estimate.sites if s.category == "kv.writes"]
        location, related = _where(estimate, sites, program)
        amount = span(writes) if writes.min > limit else f"up to {count(writes.max)}"
        yield Violation(location, f"estimated KV writes of {amount} a day exceed the budget's "
                                  f"max-kv-writes-per-day = {count(limit)}",
                        environment=estimate.environment, related=related, anchor="max-kv-writes-per-day")
    ceiling = budget.max_monthly_usd
    monthly = estimate.monthly_usd
    if ceiling is not None and monthly.max > ceiling + 1e-9:
        cost = estimate.costs[estimate.plan]
        billed = {line.category for line in cost.lines if line.usd.max > 0}
        sites = [s for s in estimate.sites if s.category in billed]
        location, related = _where(estimate, sites, program)
        amount = (f"${monthly.max:,.2f}" if monthly.exact else
                  f"${monthly.min:,.2f}–${monthly.max:,.2f}")
        yield Violation(location, f"estimated cost of {amount} a month on the {estimate.plan} plan "
                                  f"exceeds the budget's max-monthly-usd = ${ceiling:,.2f}",
                        environment=estimate.environment, related=related, anchor="max-monthly-usd")


RULE = Rule(
    code="CO002",
    name="budget-exceeded",
    summary="an estimate above a `[budget]` threshold",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
