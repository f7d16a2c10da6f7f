"""What following a finding's recommendation would save, read from the estimate's sites.

Only rules whose fix removes operations save anything: an expiry sweep replaced by
`expirationTtl` loses its lists and deletes; a write taken out of a loop is made once per
run; a write per request or to a hot key made only on change is, at most, all of it.
A missing TTL costs storage, which the estimate does not price.
"""

from __future__ import annotations

from auditor.estimate.model import Estimate, Range, Site
from auditor.findings import Finding

# Rules whose recommendation removes the operations at the finding and its related sites.
REMOVES = frozenset({"KV101", "KV102", "KV202", "KV203"})
# Rules whose recommendation makes the operation once per run instead of once per iteration.
ONCE_PER_RUN = frozenset({"KV201"})


def _at(site: Site, finding: Finding) -> bool:
    places = [finding.location, *(r.location for r in finding.related)]
    return any(site.location.path == p.path and site.location.line == p.line for p in places)


def savings(estimate: Estimate, finding: Finding) -> dict[str, Range]:
    """Daily operations saved by category; empty when the fix saves no operations."""
    saved: dict[str, Range] = {}
    if finding.rule not in REMOVES | ONCE_PER_RUN:
        return saved
    for site in estimate.sites:
        if not _at(site, finding):
            continue
        per_day = site.ops_per_day
        if finding.rule in ONCE_PER_RUN:
            runs = site.trigger.runs_per_day
            per_day = Range(max(0.0, per_day.min - runs), max(0.0, per_day.max - runs))
        saved[site.category] = saved.get(site.category, Range(0, 0)) + per_day
    return {category: r for category, r in saved.items() if r.max > 0}
