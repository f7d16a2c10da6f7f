"""The static estimate against the real Workers runtime.

Each bundled example runs in workerd (Miniflare) with a workload that reaches every
trigger: requests to each route, a scheduled event for each cron. The harness counts the KV
operations, Durable Object requests and storage calls each invocation makes; the estimate's
operations per run of the same trigger must agree, per category and binding: the
measurement equals an exact figure and falls inside a range. Where a loop's bound comes from
data (the keys a sweep lists), the estimate assumes `loop-iterations`; the workload seeds
exactly that many keys, and the test says so.

Skipped, with the reason, when node, miniflare, esbuild or workerd are missing
(`.ci/install-node-tools` installs them).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from auditor.engine import audit
from auditor.estimate.model import Estimate, Range
from tests.runtime.harness import fetch_step, node_tools_missing, run_workload, scheduled_step

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

KV_CATEGORY = {"get": "kv.reads", "getWithMetadata": "kv.reads", "put": "kv.writes",
               "delete": "kv.deletes", "list": "kv.lists"}
STORAGE_CATEGORY = {"get": "do.rows_read", "list": "do.rows_read", "getAlarm": "do.rows_read",
                    "put": "do.rows_written", "delete": "do.rows_written", "setAlarm": "do.rows_written",
                    "deleteAlarm": "do.rows_written", "deleteAll": "do.rows_written"}


@pytest.fixture(scope="module", autouse=True)
def node_tools() -> None:
    reason = node_tools_missing()
    if reason:
        pytest.skip(reason)


def estimate_of(root: Path) -> Estimate:
    result = audit([root], {}, base=root, estimate=True)
    [estimate] = result.estimates
    return estimate


def measured(step: dict[str, Any]) -> Counter[tuple[str, str]]:
    """The harness's counts of one step as (category, binding) -> operations."""
    counts: Counter[tuple[str, str]] = Counter()
    for binding, ops in step["kv"].items():
        for op, n in ops.items():
            counts[(KV_CATEGORY[op], binding)] += n
    for binding, n in step["do_requests"].items():
        counts[("do.requests", binding)] += n
    for class_name, ops in step["do_storage"].items():
        for op, n in ops.items():
            counts[(STORAGE_CATEGORY[op], class_name)] += n
    return +counts


def estimated(estimate: Estimate, label: str) -> dict[tuple[str, str], Range]:
    triggers = [t for t in estimate.triggers if t.label == label]
    assert triggers, f"no trigger {label!r} in the estimate: {[t.label for t in estimate.triggers]}"
    ranges: dict[tuple[str, str], Range] = {}
    for site in estimate.sites:
        if site.trigger == triggers[0]:
            key = (site.category, site.binding or "?")
            ranges[key] = ranges.get(key, Range(0, 0)) + site.ops_per_run
    return ranges


def disagreements(estimate: Estimate, label: str, step: dict[str, Any]) -> list[str]:
    assert step["error"] is None, step["error"]
    counts = measured(step)
    ranges = estimated(estimate, label)
    problems = []
    for key in sorted(set(counts) | set(ranges)):
        value, expected = counts.get(key, 0), ranges.get(key, Range(0, 0))
        if not expected.min <= value <= expected.max:
            problems.append(f"{label}: {key[0]} on {key[1]}: measured {value}, estimated "
                            f"{expected.min:g}..{expected.max:g}")
    return problems


@dataclass
class Scenario:
    """A workload: KV seeded first, then each step as an invocation of a trigger."""

    name: str
    steps: list[tuple[str, dict[str, Any]]]
    seed: dict[str, dict[str, Any]] = field(default_factory=dict)
    outbound: dict[str, Any] | None = None
    # Per step, the operations by category that must have happened, to show the workload
    # reaches the end of a range it means to (a cache miss, a hit).
    reaches: dict[int, dict[str, int]] = field(default_factory=dict)


def run(root: Path, scenario: Scenario) -> None:
    estimate = estimate_of(root)
    results = run_workload(root, [step for _, step in scenario.steps], seed=scenario.seed,
                           outbound=scenario.outbound)
    problems = []
    for index, ((label, _), result) in enumerate(zip(scenario.steps, results, strict=True)):
        problems.extend(disagreements(estimate, label, result))
        totals: Counter[str] = Counter()
        for (category, _), n in measured(result).items():
            totals[category] += n
        for category, n in scenario.reaches.get(index, {}).items():
            if totals[category] != n:
                problems.append(f"step {index} ({label}) meant to make {n} {category}, made "
                                f"{totals[category]}: the workload does not test what it says")
    assert not problems, "\n" + "\n".join(problems)


# -- examples/quote-cache -------------------------------------------------------------------------

QUOTE = {"status": 200, "json": {"price": 101.5}}
NOW_MS = 1_700_000_000_000  # long ago: a quote stamped then is stale


def quote(symbol: str, at: int) -> str:
    return json.dumps({"symbol": symbol, "price": 1, "at": at})


QUOTE_CACHE = [
    Scenario("requests: cold, warm, unrouted", [
        ("all requests", fetch_step("/quote/AAPL")),  # miss: the read, then both puts
        ("all requests", fetch_step("/quote/AAPL")),  # hit: the read only
        ("all requests", fetch_step("/nothing/here")),  # 404 after the rate limiter
    ], outbound=QUOTE, reaches={0: {"kv.writes": 2, "kv.reads": 1}, 1: {"kv.writes": 0},
                                2: {"kv.reads": 0, "do.requests": 1}}),
    Scenario("weekday refresh", [("cron 0 9 * * 1-5", scheduled_step("0 9 * * 1-5"))],
             outbound=QUOTE, reaches={0: {"kv.writes": 5}}),
    # The sweep's loop runs once per listed key: the estimate assumes loop-iterations = 10
    # (the default), so ten keys are seeded, four of them stale.
    Scenario("expiry sweep over ten keys", [("cron */30 * * * *", scheduled_step("*/30 * * * *"))],
             seed={"QUOTES": {f"quote:S{i}": quote(f"S{i}", NOW_MS if i < 4 else 4_000_000_000_000)
                              for i in range(10)}},
             reaches={0: {"kv.lists": 1, "kv.reads": 10, "kv.deletes": 4}}),
]


@pytest.mark.parametrize("scenario", QUOTE_CACHE, ids=lambda s: s.name)
def test_quote_cache(scenario: Scenario) -> None:
    run(EXAMPLES / "quote-cache", scenario)


# -- examples/cache-heavy -------------------------------------------------------------------------

PRODUCT = {"status": 200, "json": {"id": "p-1", "name": "Lamp", "price": 12}}
OLD = 1_000_000_000_000  # a storedAt long past: the entry is stale


def envelope(stored_at: int) -> str:
    return json.dumps({"value": {"id": "x", "name": "x", "price": 1}, "storedAt": stored_at,
                       "ttlMs": 600_000})


CACHE_HEAVY = [
    Scenario("every route, cold then warm", [
        ("/health", fetch_step("/health")),
        ("GET /api/products/*", fetch_step("/api/products/p-1")),  # L1 and L2 miss: read, write
        ("GET /api/products/*", fetch_step("/api/products/p-1")),  # L1 hit: the flags read only
        ("POST /api/products", fetch_step("/api/products", method="POST",
                                          body=json.dumps({"id": "p-2", "name": "Desk", "price": 80}))),
        ("GET /api/featured", fetch_step("/api/featured")),
        ("GET /api/hot/*", fetch_step("/api/hot/p-7")),  # DO: storage miss, KV miss
        ("GET /api/hot/*", fetch_step("/api/hot/p-7")),  # DO memory hit
        ("DELETE /api/products/*", fetch_step("/api/products/p-1", method="DELETE")),
    ], outbound=PRODUCT, reaches={
        1: {"kv.reads": 2, "kv.writes": 1}, 2: {"kv.reads": 1, "kv.writes": 0},
        3: {"kv.writes": 2}, 5: {"do.requests": 1, "kv.writes": 1}, 6: {"do.requests": 1, "kv.writes": 0},
        7: {"kv.deletes": 1}}),
    Scenario("a stale entry is deleted on read", [
        ("GET /api/products/*", fetch_step("/api/products/p-3")),
    ], seed={"CACHE": {"product:p-3": envelope(OLD)}}, outbound=PRODUCT,
        reaches={0: {"kv.reads": 2, "kv.deletes": 1, "kv.writes": 1}}),
    Scenario("refresh cron", [("cron */5 * * * *", scheduled_step("*/5 * * * *"))], outbound=PRODUCT,
             reaches={0: {"kv.writes": 3}}),
    # The sweep reads every listed key: the estimate assumes loop-iterations = 10
    # (workers-audit.toml), so ten `product:` keys are seeded, three of them stale.
    Scenario("sweep cron over ten keys", [("cron */10 * * * *", scheduled_step("*/10 * * * *"))],
             seed={"CACHE": {f"product:p-{i}": envelope(OLD if i < 3 else 4_000_000_000_000)
                             for i in range(10)}},
             reaches={0: {"kv.lists": 1, "kv.reads": 10, "kv.deletes": 3, "kv.writes": 1}}),
]


@pytest.mark.parametrize("scenario", CACHE_HEAVY, ids=lambda s: s.name)
def test_cache_heavy(scenario: Scenario) -> None:
    run(EXAMPLES / "cache-heavy", scenario)
