"""Run a Worker in the real Workers runtime (workerd, through Miniflare) and count its operations.

`run_workload(root, steps)` reads the Worker's wrangler file with the project's own loader,
runs `run_worker.mjs` on it, and returns one result per step:

    {"status": 200,            # HTTP status of a fetch step; None for a scheduled step
     "outcome": None,          # the scheduled handler's outcome ("ok", "exception"); None for fetch
     "body": "...",            # response body of a fetch step, as text
     "kv": {"QUOTES": {"get": 1, "getWithMetadata": 0, "put": 1, "delete": 0, "list": 0}},
     "do_requests": {"RATE_LIMITER": 1},       # stub.fetch() and RPC calls, per binding
     "do_storage": {"RateLimiter": {"get": 1, "put": 1, "delete": 0, "list": 0, "getAlarm": 0,
                                    "setAlarm": 0, "deleteAlarm": 0, "deleteAll": 0}},
     "outbound": ["https://..."],              # URLs of the Worker's fetch() calls
     "error": None,            # uncaught exceptions of the step (waitUntil ones too), else None
     "isolates": 1,            # isolates the counts came from
     "ms": 12}                 # wall time of the step

Every binding and class of the configuration appears, with zeros where nothing happened.
Counts are calls: a bulk `get([...])` is one get, `delete([...])` one delete. KV operations
made inside a Durable Object count on their binding too. Counts are taken once every
`ctx.waitUntil` promise of the step has settled. Not counted: `storage.sql`, the synchronous
`storage.kv` API, alarms firing. Bindings other than KV namespaces, Durable Objects (of this
Worker) and vars are not given to the Worker.

A step is `{"fetch": {"method": "GET", "path": "/quote/AAPL", "headers": {}, "body": None}}`
or `{"scheduled": {"cron": "*/30 * * * *"}}` (see `fetch_step` and `scheduled_step`). `seed`
is `{"BINDING": {"key": "value"}}` (a value that is not a string is stored as its JSON),
written before the first step and not counted. `outbound` is the response to every outbound
fetch: `{"status": 200, "json": {...}}`, or `"body"` text, optional `"headers"`.

The Worker runs at its compatibility date, or at workerd's newest when the date is later.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from auditor.config.load import CONFIG_NAMES, load_config
from auditor.config.model import Environment

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / ".ci" / "node" / "node_modules"
RUN_WORKER = Path(__file__).with_name("run_worker.mjs")
INSTALL_HINT = "run .ci/install-node-tools"
TIMEOUT = 120  # seconds; a run of a handful of steps takes about one

# Loads the packages the way run_worker.mjs does, and runs each native binary once: with
# `npm ci --ignore-scripts` they come as optional platform packages, which may be missing.
_PROBE = """
const load = require("node:module").createRequire(process.argv[1] + "/package.json");
require("node:child_process").execFileSync(load("workerd").default, ["--version"]);
load("esbuild").transformSync("const x: number = 1", { loader: "ts" });
load("miniflare");
"""


@cache
def node_tools_missing() -> str | None:
    """Why the runtime tests cannot run here, or None when node and the packages work."""
    node = shutil.which("node")
    if node is None:
        return f"`node` not found on PATH; install Node.js >= 20.3, then {INSTALL_HINT}"
    for package in ("miniflare", "esbuild", "workerd"):
        if not (NODE_MODULES / package / "package.json").is_file():
            return f"`{package}` is not installed in {NODE_MODULES}; {INSTALL_HINT}"
    try:
        probe = subprocess.run(
            [node, "-e", _PROBE, str(NODE_MODULES)], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        return "checking workerd and esbuild timed out"
    if probe.returncode != 0:
        return f"workerd, esbuild or miniflare does not load: {probe.stderr.strip()[-600:]}"
    return None


def fetch_step(
    path: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: str | None = None
) -> dict[str, Any]:
    return {"fetch": {"method": method, "path": path, "headers": headers or {}, "body": body}}


def scheduled_step(cron: str) -> dict[str, Any]:
    return {"scheduled": {"cron": cron}}


def run_workload(
    root: Path,
    steps: list[dict[str, Any]],
    *,
    environment: str | None = None,
    seed: dict[str, dict[str, Any]] | None = None,
    outbound: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run `steps` against the Worker at `root` (its top level, or `[env.NAME]`); one result each."""
    spec = worker_spec(root, environment)
    spec.update(steps=steps, seed=seed or {}, outbound=outbound or {"status": 200, "json": {}})
    result: list[dict[str, Any]] = run_spec(spec)["steps"]
    return result


def worker_spec(root: Path, environment: str | None = None) -> dict[str, Any]:
    """The Worker part of a run_worker.mjs spec, from the wrangler file in `root`."""
    root = root.resolve()
    config = next((root / name for name in CONFIG_NAMES if (root / name).is_file()), None)
    if config is None:
        raise FileNotFoundError(f"no wrangler configuration in {root}")
    worker = load_config(config.read_bytes(), str(config), str(root))
    if environment is None:
        target = worker.top
    elif environment in worker.environments:
        target = worker.environments[environment]
    else:
        raise ValueError(f"{config}: no environment `{environment}`")
    main = target.settings.get("main")
    if not isinstance(main, str):
        raise ValueError(f"{config}: no `main` for {target.label}")

    kv = {}
    for binding in target.bindings_of("kv_namespaces"):
        # Bindings with one id share one store, as deployed; without an id, wrangler's local
        # mode names the namespace after the binding.
        namespace_id = binding.field("id")
        kv[binding.name] = namespace_id.value if namespace_id else binding.name

    sqlite = _sqlite_classes(target)
    durable_objects = {}
    for binding in target.bindings_of("durable_objects"):
        script = binding.field("script_name")
        if script is not None and script.value != target.worker_name:
            raise ValueError(f"{config}: `{binding.name}` is bound to a class of another Worker")
        class_name = binding.fields.get("class_name")
        durable_objects[binding.name] = {"class_name": class_name, "sqlite": class_name in sqlite}

    return {
        "root": str(root),
        "main": main,
        "compatibility_date": target.settings.get("compatibility_date"),
        "compatibility_flags": target.settings.get("compatibility_flags", []),
        "kv": kv,
        "durable_objects": durable_objects,
        "vars": {binding.name: binding.fields["value"] for binding in target.bindings_of("vars")},
    }


def _sqlite_classes(target: Environment) -> set[str]:
    """Classes created SQLite-backed, by `new_sqlite_classes` or the `exports` map, after renames."""
    classes = {entry.name for entry in target.exports if entry.storage == "sqlite"}
    for migration in target.migrations:
        classes.update(located.value for located in migration.new_sqlite_classes)
        for rename in migration.renamed_classes:
            if rename.old in classes:
                classes.add(rename.new)
    return classes


def run_spec(spec: dict[str, Any], *, timeout: float = TIMEOUT) -> dict[str, Any]:
    """Run a whole spec; returns run_worker.mjs's output: `steps`, `timing`, `compatibility_date`.

    Raises subprocess.TimeoutExpired after `timeout` seconds, once node and workerd are
    killed; RuntimeError when the tools are missing or the run fails (with node's stderr).
    """
    reason = node_tools_missing()
    if reason:
        raise RuntimeError(reason)
    # Miniflare's own scratch files go under TMPDIR too, so they go with the directory.
    with tempfile.TemporaryDirectory(prefix="workers-audit-runtime-") as tmp:
        process = subprocess.Popen(
            ["node", str(RUN_WORKER), str(NODE_MODULES)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": tmp},
            # Its own process group, so that a timeout can end workerd with it.
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(json.dumps(spec), timeout=timeout)
        except BaseException:
            # While node is not reaped its group id is this run's and no one else's.
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
            raise
    if process.returncode != 0:
        raise RuntimeError(f"run_worker.mjs failed ({process.returncode}):\n{stderr.strip()}")
    output: dict[str, Any] = json.loads(stdout)
    return output
