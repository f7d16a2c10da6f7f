"""Hand-built estimates for the formatter and report tests, with numbers worked out by hand.

`MARKET_FEED` is a free-plan Worker under `workers/market-feed`: a cron every minute that
writes one key (1,440 writes a day), a weekday cron at 09:00 that writes five, an expiry
sweep every 30 minutes (one list, 50 reads, up to 50 deletes), two routes that share the
default traffic and a third with a configured figure. On its busiest day (a weekday) the
first write past the free 1,000 is made at 16:35 UTC: the minute cron has made 995 writes
(00:00 to 16:34) and the 09:00 cron five. At the most, the sweep's deletes run out at
09:30 UTC (its twentieth run makes the thousandth delete, after the admin route's first);
at the least they stay under the limit.

`API_GATEWAY` is a paid-plan Worker with one busy route and no crons: its reads and its
writes on a cache miss go past the included amounts.
"""

from __future__ import annotations

from auditor.estimate.model import (
    Assumption,
    Estimate,
    LimitBreach,
    Note,
    Range,
    RouteCost,
    Site,
    Trigger,
)
from auditor.estimate.pricing import Pricing, plan_costs
from auditor.findings import Finding, Location, Related, Result, Severity, WorkerSummary

# The price list as of the samples, fixed here so that a new pricing.toml does not move them.
PRICES = Pricing(
    as_of="2026-11-21",
    free_daily={"kv.reads": 100_000, "kv.writes": 1_000, "kv.deletes": 1_000, "kv.lists": 1_000,
                "do.requests": 100_000, "do.rows_read": 5_000_000, "do.rows_written": 100_000,
                "workers.requests": 100_000},
    paid_base_usd=5.0,
    paid_included={"kv.reads": 10_000_000, "kv.writes": 1_000_000, "kv.deletes": 1_000_000,
                   "kv.lists": 1_000_000, "do.requests": 1_000_000, "do.rows_read": 25_000_000_000,
                   "do.rows_written": 50_000_000, "workers.requests": 10_000_000},
    paid_usd_per_million={"kv.reads": 0.50, "kv.writes": 5.00, "kv.deletes": 5.00, "kv.lists": 5.00,
                          "do.requests": 0.15, "do.rows_read": 0.001, "do.rows_written": 1.00,
                          "workers.requests": 0.30},
)

ROOT = "workers/market-feed"
CONFIG = f"{ROOT}/wrangler.toml"


def at(path: str, line: int, column: int = 5) -> Location:
    return Location(f"{ROOT}/{path}", line, column)


EVERY_MINUTE = Trigger("cron", "cron * * * * *", 1440, "triggers.crons", Location(CONFIG, 14, 10),
                       busiest_day=1440, times=tuple(range(1440)))
SWEEP = Trigger("cron", "cron */30 * * * *", 48, "triggers.crons", Location(CONFIG, 14, 28),
                busiest_day=48, times=tuple(range(0, 1440, 30)))
WEEKDAYS = Trigger("cron", "cron 0 9 * * MON-FRI", 5 / 7, "triggers.crons: 5 days a week",
                   Location(CONFIG, 14, 49), busiest_day=1, times=(540,))
QUOTE = Trigger("route", "GET /quote/:symbol", 10_000,
                "requests-per-day 20,000 split evenly over 2 routes (default share)",
                at("src/index.ts", 40), route="GET /quote/:symbol")
QUOTES = Trigger("route", "GET /quotes", 10_000,
                 "requests-per-day 20,000 split evenly over 2 routes (default share)",
                 at("src/index.ts", 47), route="GET /quotes")
REFRESH = Trigger("route", "POST /admin/refresh", 4, "usage.routes",
                  Location(f"{ROOT}/workers-audit.toml", 6), route="POST /admin/refresh")

REFRESH_PUT = Site(at("src/refresh.ts", 18), "put", "kv.writes", "QUOTES", EVERY_MINUTE, Range(1, 1),
                   via=("scheduled", "refreshQuote"))
SWEEP_LIST = Site(at("src/sweep.ts", 9), "list", "kv.lists", "QUOTES", SWEEP, Range(1, 1),
                  via=("scheduled", "sweep"))
SWEEP_GET = Site(at("src/sweep.ts", 11), "get", "kv.reads", "QUOTES", SWEEP, Range(50, 50),
                 via=("scheduled", "sweep"))
SWEEP_DELETE = Site(at("src/sweep.ts", 12), "delete", "kv.deletes", "QUOTES", SWEEP, Range(0, 50),
                    via=("scheduled", "sweep"))
ARCHIVE_PUT = Site(at("src/refresh.ts", 30), "put", "kv.writes", "QUOTES_ARCHIVE", WEEKDAYS, Range(5, 5),
                   via=("scheduled", "archiveAll"))
QUOTE_GET = Site(at("src/quotes.ts", 21), "get", "kv.reads", "QUOTES", QUOTE, Range(1, 1))
LIMITER_HIT = Site(at("src/index.ts", 44), "hit", "do.requests", "RATE_LIMITER", QUOTE, Range(1, 1))
LIMITER_GET = Site(at("src/limiter.ts", 8), "storage.get", "do.rows_read", "RateLimiter", QUOTE,
                   Range(1, 1), via=("RateLimiter.hit",))
LIMITER_PUT = Site(at("src/limiter.ts", 9), "storage.put", "do.rows_written", "RateLimiter", QUOTE,
                   Range(1, 1), via=("RateLimiter.hit",))
QUOTES_GET = Site(at("src/quotes.ts", 35), "get", "kv.reads", "QUOTES", QUOTES, Range(5, 5))
REFRESH_DELETE = Site(at("src/index.ts", 52), "delete", "kv.deletes", "QUOTES", REFRESH, Range(1, 1))

# Average day: the weekday cron runs 5/7 of a time, 25/7 writes.
MARKET_DAILY = {
    "kv.reads": Range(62_400, 62_400),  # 48 runs * 50 + 10,000 + 10,000 * 5
    "kv.writes": Range(1440 + 25 / 7, 1440 + 25 / 7),
    "kv.deletes": Range(4, 2404),  # 4 admin refreshes + 48 runs * (0 to 50)
    "kv.lists": Range(48, 48),
    "do.requests": Range(10_000, 10_000),
    "do.rows_read": Range(10_000, 10_000),
    "do.rows_written": Range(10_000, 10_000),
    "workers.requests": Range(20_004, 20_004),
}
MARKET_BUSIEST = {**MARKET_DAILY, "kv.writes": Range(1445, 1445)}

MARKET_FEED = Estimate(
    root=ROOT,
    environment=None,
    plan="free",
    pricing_as_of="2026-11-21",
    assumptions=(
        Assumption("requests-per-day", 20_000, "settings", "workers-audit.toml"),
        Assumption("loop-iterations", 50, "settings", "workers-audit.toml"),
        Assumption("route share", 0.5, "default",
                   "requests-per-day split evenly over the routes without a figure"),
        Assumption("iterations of `env.SYMBOLS.split(\",\")`", 5, "configuration",
                   "vars.SYMBOLS lists 5 symbols"),
    ),
    triggers=(EVERY_MINUTE, SWEEP, WEEKDAYS, QUOTE, QUOTES, REFRESH),
    sites=(REFRESH_PUT, SWEEP_LIST, SWEEP_GET, SWEEP_DELETE, ARCHIVE_PUT, QUOTE_GET, LIMITER_HIT,
           LIMITER_GET, LIMITER_PUT, QUOTES_GET, REFRESH_DELETE),
    daily=MARKET_DAILY,
    busiest_day=MARKET_BUSIEST,
    costs=plan_costs(MARKET_DAILY, PRICES),
    exceeded=(
        LimitBreach("kv.writes", Range(1445, 1445), 1000, (995, 995), (REFRESH_PUT, ARCHIVE_PUT)),
        LimitBreach("kv.deletes", Range(4, 2404), 1000, (570, None), (SWEEP_DELETE, REFRESH_DELETE)),
    ),
    routes=(
        RouteCost(QUOTE, {"kv.reads": Range(1000, 1000), "do.requests": Range(1000, 1000),
                          "do.rows_read": Range(1000, 1000), "do.rows_written": Range(1000, 1000)}),
        RouteCost(QUOTES, {"kv.reads": Range(5000, 5000)}),
        RouteCost(REFRESH, {"kv.deletes": Range(1000, 1000)}),
    ),
    notes=(
        Note("cron `0 9 * * 8` is not a valid Cloudflare cron (CR002): left out of the estimate",
             Location(CONFIG, 14, 73)),
        Note("`env.QUOTES.get(keys)` reads a computed list of keys: counted as one read per run"),
    ),
    free_limits=dict(PRICES.free_daily),
)

GATEWAY_ROOT = "workers/api-gateway"
GATEWAY_ROUTE = Trigger("route", "GET /v1/*", 1_000_000, "usage.routes",
                        Location(f"{GATEWAY_ROOT}/workers-audit.toml", 5), route="GET /v1/*")
GATEWAY_GET = Site(Location(f"{GATEWAY_ROOT}/src/index.ts", 12, 22), "get", "kv.reads", "CONFIG",
                   GATEWAY_ROUTE, Range(1, 1))
GATEWAY_PUT = Site(Location(f"{GATEWAY_ROOT}/src/index.ts", 15, 7), "put", "kv.writes", "CONFIG",
                   GATEWAY_ROUTE, Range(0, 1))
GATEWAY_DAILY = {"kv.reads": Range(1_000_000, 1_000_000), "kv.writes": Range(0, 1_000_000),
                 "workers.requests": Range(1_000_000, 1_000_000)}

API_GATEWAY = Estimate(
    root=GATEWAY_ROOT,
    environment="production",
    plan="paid",
    pricing_as_of="2026-11-21",
    assumptions=(Assumption("requests-per-day", 10_000, "default"),),
    triggers=(GATEWAY_ROUTE,),
    sites=(GATEWAY_GET, GATEWAY_PUT),
    daily=GATEWAY_DAILY,
    busiest_day=GATEWAY_DAILY,
    costs=plan_costs(GATEWAY_DAILY, PRICES),
    exceeded=(
        LimitBreach("kv.reads", Range(1_000_000, 1_000_000), 100_000, (144, 144), (GATEWAY_GET,)),
        LimitBreach("kv.writes", Range(0, 1_000_000), 1000, (1, None), (GATEWAY_PUT,)),
        LimitBreach("workers.requests", Range(1_000_000, 1_000_000), 100_000, (144, 144), ()),
    ),
    routes=(RouteCost(GATEWAY_ROUTE, {"kv.reads": Range(1000, 1000), "kv.writes": Range(0, 1000)}),),
    free_limits=dict(PRICES.free_daily),
)


def finding(rule: str, name: str, severity: Severity, location: Location, message: str,
            binding: str | None = None, related: tuple[Related, ...] = ()) -> Finding:
    return Finding(rule, name, severity, location, message, binding, None,
                   f"{rule.lower()}{location.line:016d}", related)


SWEEP_FINDING = finding(
    "KV101", "kv-expiry-sweep", Severity.WARNING, at("src/sweep.ts", 12, 53),
    "expiry sweep on `QUOTES`: listed keys are deleted one by one after an age test; each list and "
    "delete is billed, while expirationTtl expires keys for free", "QUOTES",
    (Related(at("src/sweep.ts", 9, 22), "the keys come from this list"),))
MISSING_TTL = finding(
    "KV001", "kv-put-missing-ttl", Severity.WARNING, at("src/refresh.ts", 18),
    "put to `QUOTES` has no expirationTtl or expiration", "QUOTES")
SHARED_ID = finding(
    "CF002", "shared-kv-namespace", Severity.ERROR, Location(CONFIG, 9, 32),
    "KV bindings `QUOTES` and `QUOTES_ARCHIVE` share the namespace id "
    "`3f9c2a7e41d84b0c9e6a5d2b8f1c7e04` in the top level: writes through one overwrite the other",
    "QUOTES_ARCHIVE", (Related(Location(CONFIG, 8, 25), "`QUOTES` uses the same id here"),))
UNUSED = finding("CF004", "unused-binding", Severity.INFO, Location(CONFIG, 11, 3),
                 "binding `AUDIT_LOG` is declared but the code never reads it", "AUDIT_LOG")


def market_result() -> Result:
    """One Worker, its findings and its estimate, as `audit(..., estimate=True)` returns them."""
    return Result(
        workers=[WorkerSummary(ROOT, CONFIG, "market-feed", ("", "staging"))],
        findings=[SHARED_ID, UNUSED, MISSING_TTL, SWEEP_FINDING],
        estimates=[MARKET_FEED],
        failing=3,
    )


def two_worker_result() -> Result:
    return Result(
        workers=[
            WorkerSummary(GATEWAY_ROOT, f"{GATEWAY_ROOT}/wrangler.jsonc", "api-gateway", ("production",)),
            WorkerSummary(ROOT, CONFIG, "market-feed", ("", "staging")),
        ],
        estimates=[API_GATEWAY, MARKET_FEED],
    )


# Files the findings and the excerpts point at, for tests that write them under a tmp dir.
SOURCES = {
    f"{ROOT}/src/sweep.ts": """\
import type { Env } from "./env";

const STALE_AFTER_MS = 5 * 60 * 1000;

// Runs every 30 minutes.
export async function sweep(env: Env): Promise<void> {
  const now = Date.now();
  // One list a run: the first 1,000 keys.
  const { keys } = await env.QUOTES.list({ prefix: "quote:" });
  for (const key of keys) {
    const quote = await env.QUOTES.get<{ at: number }>(key.name, "json");
    if (quote && now - quote.at > STALE_AFTER_MS) await env.QUOTES.delete(key.name);
  }
}
""",
    f"{ROOT}/src/refresh.ts": "".join(f"// line {n}\n" for n in range(1, 17)) + """\
export async function refreshQuote(env: Env, symbol: string): Promise<void> {
  await env.QUOTES.put(`quote:${symbol}`, JSON.stringify(await fetchQuote(env, symbol)));
}
""",
}
