"""The runtime harness counts what Workers really do in workerd.

The fixture Workers under `tests/runtime/workers/` state in comments how many operations
each route, cron and method makes; the tables here repeat those numbers, and each Worker
runs once for the whole table. Then the bundled example `examples/quote-cache` runs a small
workload whose counts follow from reading its code by hand. The tests skip, with the
reason, when node, miniflare, esbuild or workerd are missing (`.ci/install-node-tools`).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.runtime.harness import (
    fetch_step,
    node_tools_missing,
    run_spec,
    run_workload,
    scheduled_step,
    worker_spec,
)

WORKERS = Path(__file__).parent / "runtime" / "workers"
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "quote-cache"
UPSTREAM = "https://api.example-quotes.test/v2"


@pytest.fixture(scope="module")
def node_tools() -> None:
    reason = node_tools_missing()
    if reason:
        pytest.skip(reason)


def nonzero(table: dict[str, Any]) -> dict[str, Any]:
    """Only the operations that happened: {"CACHE": {"get": 2}}, or {"COUNTER": 1} for requests."""
    if all(isinstance(value, int) for value in table.values()):
        return {name: n for name, n in table.items() if n}
    return {name: {op: n for op, n in ops.items() if n} for name, ops in table.items() if any(ops.values())}


def run_labelled(root: Path, steps: list[tuple[str, dict[str, Any]]], **kwargs: Any) -> dict[str, Any]:
    """Run the steps once; each result under its step's label."""
    results = run_workload(root, [step for _, step in steps], **kwargs)
    return {label: result for (label, _), result in zip(steps, results, strict=True)}


# (label, step, the step's KV operations)
KV_TABLE = [
    ("GET /read", fetch_step("/read"), {"CACHE": {"get": 2, "getWithMetadata": 1}}),
    ("POST /write", fetch_step("/write", method="POST", body="x"), {"CACHE": {"put": 3, "delete": 1}}),
    ("GET /list", fetch_step("/list"), {"CACHE": {"list": 2}}),
    ("GET /later", fetch_step("/later"), {"CACHE": {"get": 1, "put": 2}}),
    ("GET /late-failure", fetch_step("/late-failure"), {"CACHE": {"put": 1}}),
    ("GET /shared", fetch_step("/shared"), {"MIRROR": {"put": 1}, "MIRROR_ALIAS": {"get": 1}}),
    ("GET /imported", fetch_step("/imported"), {"CACHE": {"get": 1}}),
    ("GET /upstream", fetch_step("/upstream"), {}),
    ("GET /boom", fetch_step("/boom"), {"CACHE": {"get": 1}}),
    ("GET /nowhere", fetch_step("/nowhere"), {}),
    ("cron 0 * * * *", scheduled_step("0 * * * *"), {"CACHE": {"list": 1, "get": 3, "put": 1}}),
    ("cron */5 * * * *", scheduled_step("*/5 * * * *"), {"CACHE": {"delete": 4}}),
]
KV_SEED = {"CACHE": {"a": "1", "b": {"x": 1}, "item:1": "i", "item:2": "i", "item:3": "i"}}
KV_FAILING = {"GET /boom", "GET /late-failure"}


@pytest.fixture(scope="module")
def kv_run(node_tools: None) -> dict[str, Any]:
    outbound = {"status": 201, "json": {"price": 7}}
    steps = [(label, step) for label, step, _ in KV_TABLE]
    return run_labelled(WORKERS / "kv", steps, seed=KV_SEED, outbound=outbound)


@pytest.mark.parametrize(("label", "expected"), [(label, kv) for label, _, kv in KV_TABLE])
def test_kv_operations_per_step(kv_run: dict[str, Any], label: str, expected: dict[str, Any]) -> None:
    result = kv_run[label]
    assert nonzero(result["kv"]) == expected
    if label not in KV_FAILING:
        assert result["error"] is None
    assert result["isolates"] == 1


def test_every_binding_and_operation_is_reported(kv_run: dict[str, Any]) -> None:
    ops = {"get": 0, "getWithMetadata": 0, "put": 0, "delete": 0, "list": 0}
    result = kv_run["GET /nowhere"]
    assert result["kv"] == {"CACHE": ops, "MIRROR": ops, "MIRROR_ALIAS": ops}
    assert (result["status"], result["do_requests"], result["do_storage"]) == (404, {}, {})


def test_seeding_is_not_counted_but_visible(kv_run: dict[str, Any]) -> None:
    assert kv_run["GET /read"]["body"] == "1"
    assert kv_run["GET /list"]["body"] == "3"


def test_bindings_with_one_namespace_id_share_storage(kv_run: dict[str, Any]) -> None:
    assert kv_run["GET /shared"]["body"] == "written through MIRROR"


def test_waituntil_work_is_counted_in_its_step(kv_run: dict[str, Any]) -> None:
    # Both steps' waitUntil work outlives the handler by tens of milliseconds.
    assert kv_run["GET /later"]["body"] == "later"
    assert nonzero(kv_run["cron */5 * * * *"]["kv"]) == {"CACHE": {"delete": 4}}
    assert kv_run["cron */5 * * * *"]["outcome"] == "ok"


def test_outbound_fetch_is_answered_by_the_mock(kv_run: dict[str, Any]) -> None:
    result = kv_run["GET /upstream"]
    assert result["body"] == "201 7"
    assert result["outbound"] == ["https://upstream.test/api/price?symbol=X"]
    assert all(kv_run[label]["outbound"] == [] for label in kv_run if label != "GET /upstream")


def test_exceptions_are_reported_and_the_run_goes_on(kv_run: dict[str, Any]) -> None:
    boom = kv_run["GET /boom"]
    assert boom["status"] == 500
    assert boom["error"] == "fetch: Error: boom after one get"
    late = kv_run["GET /late-failure"]
    assert (late["status"], late["error"]) == (200, "waitUntil: Error: late failure")
    assert kv_run["GET /nowhere"]["error"] is None


# (label, step, requests per DO binding, storage operations per class, KV operations)
DURABLE_TABLE = [
    # The first request to an object runs its constructor: one more storage get.
    ("RPC once", fetch_step("/increment"), {"COUNTER": 1},
     {"Counter": {"get": 1, "put": 1, "setAlarm": 1}}, {"CACHE": {"put": 1}}),
    ("RPC once, warm", fetch_step("/increment"), {"COUNTER": 1},
     {"Counter": {"put": 1, "setAlarm": 1}}, {"CACHE": {"put": 1}}),
    ("RPC twice", fetch_step("/increment-twice"), {"COUNTER": 2},
     {"Counter": {"put": 2, "setAlarm": 2}}, {"CACHE": {"put": 2}}),
    ("stub.fetch", fetch_step("/clear"), {"COUNTER": 1}, {"Counter": {"list": 1, "delete": 1}}, {}),
    ("object to object", fetch_step("/record"), {"LEDGER": 1, "COUNTER": 1},
     {"Ledger": {"get": 1, "put": 1}, "Counter": {"get": 1, "put": 1, "setAlarm": 1}}, {"CACHE": {"put": 1}}),
    ("transaction", fetch_step("/reset"), {"COUNTER": 1}, {"Counter": {"get": 1, "put": 1}}, {}),
    ("no object", fetch_step("/nowhere"), {}, {}, {}),
]


@pytest.fixture(scope="module")
def durable_run(node_tools: None) -> dict[str, Any]:
    return run_labelled(WORKERS / "durable", [(label, step) for label, step, *_ in DURABLE_TABLE])


@pytest.mark.parametrize(
    ("label", "requests", "storage", "kv"), [(label, *counts) for label, _, *counts in DURABLE_TABLE]
)
def test_durable_object_operations_per_step(
    durable_run: dict[str, Any],
    label: str,
    requests: dict[str, int],
    storage: dict[str, Any],
    kv: dict[str, Any],
) -> None:
    result = durable_run[label]
    assert result["error"] is None
    assert nonzero(result["do_requests"]) == requests
    assert nonzero(result["do_storage"]) == storage
    assert nonzero(result["kv"]) == kv
    assert result["isolates"] == 1


def test_durable_objects_keep_their_state(durable_run: dict[str, Any]) -> None:
    labels = ("RPC once", "RPC once, warm", "RPC twice", "stub.fetch")
    bodies = [durable_run[label]["body"] for label in labels]
    assert bodies == ["1", "2", "4", '["value"]']
    assert durable_run["object to object"]["body"] == "5"


def test_sqlite_classes_come_from_the_migrations() -> None:
    spec = worker_spec(WORKERS / "durable")
    assert spec["durable_objects"] == {
        "COUNTER": {"class_name": "Counter", "sqlite": False},
        "LEDGER": {"class_name": "Ledger", "sqlite": True},
    }


def test_a_workerentrypoint_class_is_counted(node_tools: None) -> None:
    fetched, scheduled = run_workload(
        WORKERS / "entrypoint",
        [fetch_step("/"), scheduled_step("0 0 * * *")],
        seed={"CACHE": {"greeting": "hello"}},
    )
    assert (fetched["status"], fetched["body"], fetched["error"]) == (200, "hello", None)
    assert nonzero(fetched["kv"]) == {"CACHE": {"get": 1, "put": 1}}
    assert (scheduled["outcome"], nonzero(scheduled["kv"])) == ("ok", {"CACHE": {"list": 1}})


def _orphans() -> list[str]:
    """Processes still running with the TMPDIR of a harness run whose directory is gone."""
    prefix = f"TMPDIR={tempfile.gettempdir()}/workers-audit-runtime-".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # not a process, gone, or not ours
            continue
        for item in environ.split(b"\0"):
            if item.startswith(prefix) and not Path(item.removeprefix(b"TMPDIR=").decode()).exists():
                found.append(entry.name)
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to find processes")
def test_a_timeout_leaves_no_process_running(node_tools: None) -> None:
    spec = {**worker_spec(WORKERS / "kv"), "steps": [fetch_step("/slow")]}
    with pytest.raises(subprocess.TimeoutExpired):
        run_spec(spec, timeout=3)
    assert _orphans() == []


# The example's wrangler file: QUOTES and QUOTES_BACKUP share one namespace id; SYMBOLS
# has five entries at the top level, seven in env.production, which repeats no binding.
@pytest.fixture(scope="module")
def example_run(node_tools: None) -> list[dict[str, Any]]:
    stale = '{"symbol": "X", "price": 1, "at": 0}'
    return run_workload(
        EXAMPLE,
        [
            fetch_step("/quote/AAPL"),
            fetch_step("/quote/AAPL"),
            scheduled_step("*/30 * * * *"),
            scheduled_step("0 9 * * 1-5"),
            fetch_step("/health"),
        ],
        # Stale quotes: the first request refetches AAPL, the sweep deletes MSFT and GOOG.
        seed={"QUOTES": {"quote:AAPL": stale, "quote:MSFT": stale, "quote:GOOG": stale}},
        outbound={"status": 200, "json": {"price": 1.5}},
    )


def test_example_first_request_refreshes_the_quote(example_run: list[dict[str, Any]]) -> None:
    first = example_run[0]
    assert (first["status"], first["error"]) == (200, None)
    assert nonzero(first["do_requests"]) == {"RATE_LIMITER": 1}
    assert nonzero(first["do_storage"]) == {"RateLimiter": {"get": 1, "put": 1}}
    assert nonzero(first["kv"]) == {"QUOTES": {"get": 1, "put": 1}, "QUOTES_BACKUP": {"put": 1}}
    assert first["outbound"] == [f"{UPSTREAM}/quote/AAPL"]


def test_example_second_request_within_five_minutes_is_a_hit(example_run: list[dict[str, Any]]) -> None:
    second = example_run[1]
    assert (second["status"], second["error"]) == (200, None)
    assert nonzero(second["do_requests"]) == {"RATE_LIMITER": 1}
    assert nonzero(second["kv"]) == {"QUOTES": {"get": 1}}
    assert second["outbound"] == []


def test_example_sweep_reads_every_quote_and_deletes_the_stale(example_run: list[dict[str, Any]]) -> None:
    # Three "quote:" keys (the backup copy in the shared namespace has another prefix);
    # AAPL is fresh after the first request.
    sweep = example_run[2]
    assert (sweep["outcome"], sweep["error"]) == ("ok", None)
    assert nonzero(sweep["kv"]) == {"QUOTES": {"list": 1, "get": 3, "delete": 2}}
    assert (nonzero(sweep["do_requests"]), sweep["outbound"]) == ({}, [])


def test_example_refresh_writes_one_quote_per_symbol(example_run: list[dict[str, Any]]) -> None:
    refresh = example_run[3]
    assert (refresh["outcome"], refresh["error"]) == ("ok", None)
    assert nonzero(refresh["kv"]) == {"QUOTES": {"put": 5}}
    symbols = ["AAPL", "MSFT", "GOOG", "AMZN", "NVDA"]
    assert refresh["outbound"] == [f"{UPSTREAM}/quote/{symbol}" for symbol in symbols]


def test_example_unknown_path_still_hits_the_rate_limiter(example_run: list[dict[str, Any]]) -> None:
    other = example_run[4]
    assert (other["status"], other["error"]) == (404, None)
    assert nonzero(other["do_requests"]) == {"RATE_LIMITER": 1}
    assert nonzero(other["kv"]) == {}


def test_example_production_has_no_bindings_and_throws(node_tools: None) -> None:
    # env.production repeats no binding, so it deploys without QUOTES and RATE_LIMITER.
    (refresh,) = run_workload(EXAMPLE, [scheduled_step("0 9 * * 1-5")], environment="production")
    assert refresh["outcome"] == "exception"
    assert refresh["error"] is not None and "put" in refresh["error"]
    assert (refresh["kv"], refresh["do_requests"], refresh["outbound"]) == ({}, {}, [])


def test_environment_variables_follow_the_environment() -> None:
    top, production = worker_spec(EXAMPLE), worker_spec(EXAMPLE, "production")
    namespace = "3f9c2a7e41d84b0c9e6a5d2b8f1c7e04"
    assert top["kv"] == {"QUOTES": namespace, "QUOTES_BACKUP": namespace}
    assert top["vars"]["SYMBOLS"] == "AAPL,MSFT,GOOG,AMZN,NVDA"
    assert production["vars"]["SYMBOLS"] == "AAPL,MSFT,GOOG,AMZN,NVDA,META,TSLA"
    assert (production["kv"], production["durable_objects"]) == ({}, {})


def test_node_tools_missing_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", os.devnull)
    node_tools_missing.cache_clear()
    try:
        reason = node_tools_missing()
    finally:
        node_tools_missing.cache_clear()
    assert reason is not None and "install-node-tools" in reason
