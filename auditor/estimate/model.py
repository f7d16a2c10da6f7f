"""What an estimate holds: triggers, the storage operations each one reaches, daily totals,
the cost per plan and the free-plan limits it breaks. Plain data for the formatters."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.findings import Location

# What an operation is billed as. KV get/getWithMetadata are reads; each DO stub call is
# a request; DO storage get/list are rows read, put/delete/setAlarm rows written.
CATEGORIES = ("kv.reads", "kv.writes", "kv.deletes", "kv.lists",
              "do.requests", "do.rows_read", "do.rows_written", "workers.requests")
KV_CATEGORIES = CATEGORIES[:4]
CATEGORY_NAMES = {"kv.reads": "KV reads", "kv.writes": "KV writes", "kv.deletes": "KV deletes",
                  "kv.lists": "KV lists", "do.requests": "Durable Object requests",
                  "do.rows_read": "Durable Object rows read",
                  "do.rows_written": "Durable Object rows written",
                  "workers.requests": "Workers requests"}


def count(value: float) -> str:
    """A count as people read it: 1,440 or 0.7."""
    return f"{value:,.0f}" if value >= 10 or float(value).is_integer() else f"{value:,.2g}"


def span(value: Range) -> str:
    return count(value.max) if value.exact else f"{count(value.min)}–{count(value.max)}"


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d} UTC"


@dataclass(frozen=True)
class Range:
    """A count between `min` (on every path) and `max` (on some path)."""

    min: float
    max: float

    def __add__(self, other: Range) -> Range:
        return Range(self.min + other.min, self.max + other.max)

    def __mul__(self, other: Range | float) -> Range:
        if isinstance(other, Range):
            return Range(self.min * other.min, self.max * other.max)
        return Range(self.min * other, self.max * other)

    def optional(self) -> Range:
        """The same operations on only some paths: none on the others."""
        return Range(0, self.max)

    @property
    def exact(self) -> bool:
        return self.min == self.max


ZERO = Range(0, 0)
ONE = Range(1, 1)


@dataclass(frozen=True)
class Assumption:
    """A figure the estimate rests on; `source` says whether it is read or a default."""

    name: str
    value: object
    source: str  # "default", "settings", "configuration", "code", "workflow"
    note: str = ""


@dataclass(frozen=True)
class Trigger:
    """Something that invokes the Worker: a cron, a route's traffic, a queue, an alarm, an
    outside scheduler. Crons differ by day: `busiest_day` is the runs on the busiest one
    and `times` the minutes after 00:00 UTC at which it runs that day."""

    kind: str  # "cron", "route", "queue", "alarm", "external"
    label: str  # "cron */30 * * * *", "GET /api/products", "queue events"
    runs_per_day: float
    source: str  # where `runs_per_day` comes from, in words
    location: Location | None = None
    busiest_day: float | None = None
    times: tuple[int, ...] = ()
    route: str | None = None  # "METHOD /path" of a route or external trigger

    @property
    def peak(self) -> float:
        return self.busiest_day if self.busiest_day is not None else self.runs_per_day


@dataclass(frozen=True)
class Site:
    """One storage operation in the code, as reached from one trigger."""

    location: Location
    op: str  # as written: get, getWithMetadata, put, delete, list, fetch, <rpc method>, storage.put…
    category: str  # one of CATEGORIES
    binding: str | None  # the KV or DO binding, or the DO class for storage operations
    trigger: Trigger
    ops_per_run: Range
    via: tuple[str, ...] = ()  # the functions between the entry point and the operation

    @property
    def ops_per_day(self) -> Range:
        return self.ops_per_run * self.trigger.runs_per_day

    def describe(self) -> str:
        """`put on `CACHE` (tiered-cache.ts:67) from cron */5 * * * *`: two sites can share an
        op and a binding, so the file and line go in."""
        binding = f"`{self.binding}`" if self.binding else "a KV namespace"
        where = f"{self.location.path.rsplit('/', 1)[-1]}:{self.location.line}"
        return f"{self.op} on {binding} ({where}) from {self.trigger.label}"


@dataclass(frozen=True)
class Note:
    """Something the estimate left out or could not read, with where."""

    message: str
    location: Location | None = None


@dataclass(frozen=True)
class CostLine:
    """One billed metric of one plan for a month: what is used, what is included, the price."""

    category: str
    monthly: Range
    included: float
    usd_per_million: float
    usd: Range


@dataclass(frozen=True)
class PlanCost:
    plan: str
    base_usd: float
    lines: tuple[CostLine, ...]

    @property
    def monthly_usd(self) -> Range:
        total = Range(self.base_usd, self.base_usd)
        for line in self.lines:
            total = total + line.usd
        return total


@dataclass(frozen=True)
class LimitBreach:
    """A free-plan daily limit the estimate goes over. `runs_out_at` is the minute after
    00:00 UTC when the limit is used up on the busiest day, at the max and at the min of
    the estimate (None: the min stays under it)."""

    category: str
    daily: Range
    limit: float
    runs_out_at: tuple[int | None, int | None]
    top_sites: tuple[Site, ...]


@dataclass(frozen=True)
class RouteCost:
    """Operations per 1,000 requests of one route, for readers with their own traffic."""

    trigger: Trigger
    per_thousand: dict[str, Range]


@dataclass(frozen=True)
class Estimate:
    root: str
    environment: str | None  # None: the top level
    plan: str
    pricing_as_of: str
    assumptions: tuple[Assumption, ...]
    triggers: tuple[Trigger, ...]
    sites: tuple[Site, ...]
    daily: dict[str, Range]  # an average day
    busiest_day: dict[str, Range]  # the day crons run most
    costs: dict[str, PlanCost]  # "free", "paid"
    exceeded: tuple[LimitBreach, ...]  # free-plan daily limits, on the busiest day
    routes: tuple[RouteCost, ...]
    notes: tuple[Note, ...] = field(default_factory=tuple)
    free_limits: dict[str, float] = field(default_factory=dict)
    # Operations of one invocation of each trigger by category, along the paths: on either
    # side of an `if` only the larger side counts, so these can be below the sites' sum.
    invocations: tuple[tuple[Trigger, dict[str, Range]], ...] = ()

    @property
    def monthly_usd(self) -> Range:
        return self.costs[self.plan].monthly_usd

    def per_run(self, trigger: Trigger) -> dict[str, Range]:
        """Operations of one invocation of `trigger`, by category."""
        for known, totals in self.invocations:
            if known == trigger:
                return {category: count for category, count in totals.items() if count.max > 0}
        totals = {}
        for site in self.sites:
            if site.trigger == trigger:
                totals[site.category] = totals.get(site.category, ZERO) + site.ops_per_run
        return totals
