"""`workers-audit diff`: audit a pull request's base revision and the working tree, and
compare the two Results: findings new and fixed, and the change in each Worker's estimate.

Findings match by fingerprint, counted as a multiset (as the baseline does): line numbers
play no part, so an edit above a finding leaves it unchanged. Workers match by root.
Daily counts are for the busiest day, the one the free plan's limits are judged on; the
monthly cost is the average month, per plan.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.estimate.model import CATEGORIES, ZERO, Range
from auditor.findings import AuditError, Finding, Result

if TYPE_CHECKING:
    from auditor.baseline import Baseline
    from auditor.cache import FactsCache
    from auditor.estimate.model import Estimate
    from auditor.gitbase import Revision

# `--fail-on-increase` metrics: a daily count (busiest day, the estimate's max) per category,
# or the monthly cost on each Worker's plan.
METRICS = {category.replace(".", "-").replace("_", "-"): category for category in CATEGORIES}
MONTHLY_USD = "monthly-usd"


class DiffError(Exception):
    """Bad input (no repository, an unknown ref, a path outside it): exit 2 with this text."""


@dataclass(frozen=True)
class Change:
    """One figure in the base and in the working tree; absent Workers count as zero."""

    base: Range
    head: Range

    @property
    def delta(self) -> Range:
        return Range(self.head.min - self.base.min, self.head.max - self.base.max)

    @property
    def changed(self) -> bool:
        return _rounded(self.delta.min) != 0 or _rounded(self.delta.max) != 0


@dataclass(frozen=True)
class Crossing:
    """A free-plan daily limit that the estimate's max (the worst case) crosses: `over` when
    this pull request takes the Worker over it, else back under it."""

    category: str
    limit: float
    change: Change
    over: bool


@dataclass(frozen=True)
class WorkerDelta:
    root: str
    name: str | None
    status: str  # "added", "removed", "changed", "unchanged"
    plan: str
    environment: str | None
    daily: dict[str, Change]  # every category, on the busiest day
    monthly_usd: dict[str, Change]  # "free", "paid"
    crossings: tuple[Crossing, ...]


@dataclass(frozen=True)
class Threshold:
    metric: str  # a key of METRICS, or MONTHLY_USD
    limit: float


@dataclass(frozen=True)
class ThresholdCheck:
    threshold: Threshold
    increase: float  # summed over the Workers
    exceeded: bool


@dataclass(frozen=True)
class Diff:
    revision: Revision | None
    new: tuple[Finding, ...]
    fixed: tuple[Finding, ...]  # located in the base revision
    unchanged: int
    workers: tuple[WorkerDelta, ...]
    thresholds: tuple[ThresholdCheck, ...]
    failing: int  # new findings at or above their Worker's fail level
    unreadable: bool  # a configuration of the working tree cannot be read (exit 2)
    errors: tuple[AuditError, ...]  # what the working tree's audit could not read
    pricing_as_of: str | None

    @property
    def failed(self) -> bool:
        return self.failing > 0 or any(check.exceeded for check in self.thresholds)


def parse_threshold(text: str) -> Threshold:
    """`kv-writes=1000`, or with the category as the JSON spells it (`kv.writes=1000`); a
    ValueError says what is wrong."""
    metric, equals, number = text.partition("=")
    metric = metric.strip().lower().replace(".", "-").replace("_", "-")
    known = [*METRICS, MONTHLY_USD]
    if not equals or metric not in known:
        what = f"unknown metric `{metric}`" if equals else f"`{text}` is not METRIC=N"
        raise ValueError(f"{what} (metrics: {', '.join(known)})")
    try:
        limit = float(number.strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"`{number.strip()}` is not a number (in `{text}`)") from None
    if not math.isfinite(limit) or limit < 0:
        raise ValueError(f"the limit in `{text}` must be a number of zero or more")
    return Threshold(metric, limit)


def _rounded(value: float) -> float:
    """Two decimals, as the JSON shows them: float noise is no increase."""
    return round(value, 2) + 0.0


def _multiset_minus(findings: Sequence[Finding], other: Sequence[Finding]) -> list[Finding]:
    left = Counter(f.fingerprint for f in other)
    out = []
    for finding in findings:
        if left[finding.fingerprint] > 0:
            left[finding.fingerprint] -= 1
        else:
            out.append(finding)
    return out


def _zero_cost() -> dict[str, Range]:
    """What each plan costs with no operations: the base fee is the account's, so a Worker
    added or removed changes only what it uses."""
    from auditor.estimate.pricing import plan_costs, pricing

    return {plan: cost.monthly_usd for plan, cost in plan_costs({}, pricing()).items()}


def _worker(root: str, name: str | None, base: Estimate | None, head: Estimate | None) -> WorkerDelta:
    either = head or base
    assert either is not None
    zero = _zero_cost()
    daily = {c: Change(base.busiest_day.get(c, ZERO) if base else ZERO,
                       head.busiest_day.get(c, ZERO) if head else ZERO) for c in CATEGORIES}
    plans = sorted({*zero, *either.costs}, key=lambda plan: (plan != "free", plan))
    monthly = {plan: Change(base.costs[plan].monthly_usd if base else zero.get(plan, ZERO),
                            head.costs[plan].monthly_usd if head else zero.get(plan, ZERO))
               for plan in plans}
    crossings = []
    if head is not None and either.plan == "free":
        for category, limit in either.free_limits.items():
            change = daily.get(category)
            if change is None:
                continue
            before, after = change.base.max > limit, change.head.max > limit
            if before != after:
                crossings.append(Crossing(category, limit, change, over=after))
    if base is None:
        status = "added"
    elif head is None:
        status = "removed"
    else:
        moved = any(c.changed for c in (*daily.values(), *monthly.values()))
        status = "changed" if moved else "unchanged"
    return WorkerDelta(root, name, status, either.plan, either.environment, daily, monthly,
                       tuple(crossings))


def _names(*results: Result) -> dict[str, str | None]:
    names: dict[str, str | None] = {}
    for result in results:
        for worker in result.workers:
            if worker.name or worker.root not in names:
                names[worker.root] = worker.name
    return names


def compare(base: Result, head: Result, thresholds: Sequence[Threshold] = (),
            revision: Revision | None = None) -> Diff:
    """The difference from `base` to `head`. `head` is audited with the base's fingerprints as
    its baseline, so that the engine counts in `failing` only the new findings at or above
    their Worker's fail level (its `baselined` findings are the unchanged ones)."""
    everything = [*head.findings, *head.baselined]
    new = _multiset_minus(everything, base.findings)
    fixed = _multiset_minus(base.findings, everything)
    names = _names(head, base)
    before: Mapping[str, Estimate] = {e.root: e for e in base.estimates}
    after: Mapping[str, Estimate] = {e.root: e for e in head.estimates}
    workers = tuple(_worker(root, names.get(root), before.get(root), after.get(root))
                    for root in sorted({*before, *after}))
    checks = tuple(_check(threshold, workers) for threshold in thresholds)
    as_of = next((e.pricing_as_of for e in (*head.estimates, *base.estimates)), None)
    return Diff(revision, tuple(new), tuple(fixed), len(everything) - len(new), workers, checks,
                head.failing, head.unreadable, tuple(head.errors), as_of)


def _check(threshold: Threshold, workers: Sequence[WorkerDelta]) -> ThresholdCheck:
    if threshold.metric == MONTHLY_USD:
        increase = sum(w.monthly_usd[w.plan].delta.max for w in workers if w.plan in w.monthly_usd)
    else:
        category = METRICS[threshold.metric]
        increase = sum(w.daily[category].delta.max for w in workers)
    increase = _rounded(increase)
    return ThresholdCheck(threshold, increase, increase > threshold.limit)


def _from_top(path: Path, top: Path) -> str:
    """`path` as a path from the repository's top, `/`-separated ("" for the top)."""
    try:
        relative = (Path.cwd() / path).resolve().relative_to(top).as_posix()
    except ValueError:
        raise DiffError(f"{path}: outside the git repository at {top}") from None
    return "" if relative == "." else relative


def run(ref: str, paths: Sequence[Path], config: Path | None, overrides: Mapping[str, Any],
        thresholds: Sequence[Threshold] = (), cache: FactsCache | None = None) -> Diff:
    """Audit the merge base of `ref` and HEAD (copied out of git into a temporary directory)
    and the working tree, and compare them. Paths are relative to the current directory,
    which must be inside the repository; output paths are too, on both sides (so a file the
    pull request leaves alone is parsed once, and found in `cache` the second time)."""
    from auditor import gitbase
    from auditor.baseline import Baseline

    given = [config] if config is not None else list(paths) or [Path(".")]
    try:
        repo = gitbase.repository(Path.cwd())
        revision = gitbase.revision(repo, ref)
        prefix = Path(_from_top(Path("."), repo.top))
        targets = [(_from_top(path, repo.top), path.is_file()) for path in given]
        files = gitbase.tree(repo, revision.merge_base)
        names, audited = gitbase.select(files, targets)
        for path, found in zip(given, audited, strict=True):
            if found is None and not path.exists():
                raise DiffError(f"{path}: no such file or directory, in the working tree or in "
                                f"`{ref}`")
        where = f"the base revision {revision.short} (`{ref}`): "
        with gitbase.checkout(repo, files, names) as top:
            in_base = [top / path for path in audited if path is not None]
            # `--env` may name an environment this pull request adds: absent from the base,
            # it has nothing there, and everything in it is new.
            base = _audit(in_base, config is not None, overrides, top / prefix, None, where,
                          cache, skip_absent_environment=True) if in_base else Result()
    except gitbase.GitError as error:
        raise DiffError(str(error)) from None
    known = Baseline(f"`{ref}`", dict(Counter(f.fingerprint for f in base.findings)))
    present = [path for path in given if path.exists()]
    head = _audit(present, config is not None, overrides, None, known, "the working tree: ",
                  cache) if present else Result()
    if not head.workers and not head.errors and not base.workers and not base.errors:
        where = ", ".join(str(path) for path in given)
        raise DiffError(f"no wrangler.json, wrangler.jsonc or wrangler.toml found under {where}, "
                        f"in the working tree or in `{ref}`")
    return compare(base, head, thresholds, revision)


def _audit(paths: list[Path], is_config: bool, overrides: Mapping[str, Any], base: Path | None,
           baseline: Baseline | None, where: str, cache: FactsCache | None = None,
           skip_absent_environment: bool = False) -> Result:
    from auditor.engine import EstimateCrashed, RuleCrashed, UsageError, audit
    from auditor.settings import SettingsError
    from auditor.suppressions import SuppressionError

    try:
        if is_config:
            return audit([], overrides, config=paths[0], base=base, estimate=True, baseline=baseline,
                         cache=cache, skip_absent_environment=skip_absent_environment)
        return audit(paths, overrides, base=base, estimate=True, baseline=baseline, cache=cache,
                     skip_absent_environment=skip_absent_environment)
    except (UsageError, SettingsError, SuppressionError) as error:
        raise DiffError(f"{where}{error}") from None
    except (EstimateCrashed, RuleCrashed) as error:
        cause = error.__cause__
        raise DiffError(f"{where}{error}: {type(cause).__name__}: {cause}. This is a bug in "
                        "workers-audit; please report it") from None
