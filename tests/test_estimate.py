"""The estimator on small Workers: triggers, routes, loops, paths, totals, limits and cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.engine import audit
from auditor.estimate.model import Estimate, Range, Trigger

EXAMPLE = Path(__file__).parent.parent / "examples" / "quote-cache"


def worker(tmp_path: Path, files: dict[str, str]) -> Estimate:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = audit([tmp_path], {}, base=tmp_path, estimate=True)
    assert not result.errors, result.errors
    [estimate] = result.estimates
    return estimate


def trigger(estimate: Estimate, label: str) -> Trigger:
    found = [t for t in estimate.triggers if t.label == label]
    assert found, [t.label for t in estimate.triggers]
    return found[0]


def per_run(estimate: Estimate, label: str) -> dict[str, tuple[float, float]]:
    return {k: (v.min, v.max) for k, v in estimate.per_run(trigger(estimate, label)).items()}


KV_CONFIG = """
name = "w"
main = "src/index.ts"
kv_namespaces = [{ binding = "KV", id = "0123456789abcdef0123456789abcdef" }]
"""


# -- the bundled example -----------------------------------------------------------------------

def test_quote_cache_per_invocation() -> None:
    result = audit([EXAMPLE], {}, base=EXAMPLE.parent.parent, estimate=True)
    [estimate] = result.estimates
    assert per_run(estimate, "all requests") == {
        "do.requests": (1, 1), "do.rows_read": (1, 1), "do.rows_written": (1, 1),
        "kv.reads": (0, 1), "kv.writes": (0, 2)}
    # The weekday refresh puts one quote per entry of the SYMBOLS var (5 at the top level).
    assert per_run(estimate, "cron 0 9 * * 1-5") == {"kv.writes": (5, 5)}
    # The sweep branch: one list, a get per key (the loop-iterations default), deletes of some.
    assert per_run(estimate, "cron */30 * * * *") == {"kv.lists": (1, 1), "kv.reads": (10, 10),
                                                      "kv.deletes": (0, 10)}
    assert trigger(estimate, "cron */30 * * * *").runs_per_day == 48
    assert trigger(estimate, "all requests").runs_per_day == 20_000
    loops = next(a for a in estimate.assumptions if a.name == "loop-iterations")
    assert loops.source == "default" and "src/index.ts:39" in loops.note


def test_quote_cache_production_reads_its_own_vars() -> None:
    result = audit([EXAMPLE], {"environment": "production"}, base=EXAMPLE.parent.parent, estimate=True)
    [estimate] = result.estimates
    assert estimate.environment == "production"
    assert per_run(estimate, "cron 0 9 * * 1-5") == {"kv.writes": (7, 7)}


# -- crons ------------------------------------------------------------------------------------

def test_cron_branches_are_decided_per_trigger(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG + '[triggers]\ncrons = ["*/5 * * * *", "0 * * * *", "0 0 * * *"]\n',
        "src/index.ts": """
export default {
  async scheduled(controller, env) {
    if (controller.cron === "*/5 * * * *") {
      await env.KV.put("a", "1");
      return;
    }
    if (controller.cron !== "0 0 * * *") {
      await env.KV.delete("b");
    } else {
      await env.KV.list();
    }
    await env.KV.get("always-but-the-first");
  },
};
"""})
    assert per_run(estimate, "cron */5 * * * *") == {"kv.writes": (1, 1)}
    assert per_run(estimate, "cron 0 * * * *") == {"kv.deletes": (1, 1), "kv.reads": (1, 1)}
    assert per_run(estimate, "cron 0 0 * * *") == {"kv.lists": (1, 1), "kv.reads": (1, 1)}
    assert estimate.daily["kv.writes"] == Range(288, 288)
    assert estimate.daily["kv.reads"] == Range(25, 25)


def test_invalid_cron_is_left_out_with_a_note(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG + '[triggers]\ncrons = ["*/5 * * * 9", "0 0 * * *"]\n',
        "src/index.ts": "export default { async scheduled(c, env) { await env.KV.put('k', 'v'); } };\n"})
    assert [t.label for t in estimate.triggers] == ["cron 0 0 * * *"]
    [note] = [n for n in estimate.notes if "*/5 * * * 9" in n.message]
    assert "left out" in note.message and "CR002" in note.message
    assert note.location is not None and note.location.line == 6


def test_weekday_cron_averages_over_the_week(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG + '[triggers]\ncrons = ["0 9 * * 2"]\n',
        "src/index.ts": "export default { async scheduled(c, env) { await env.KV.put('k', 'v'); } };\n"})
    monday = trigger(estimate, "cron 0 9 * * 2")
    assert monday.runs_per_day == pytest.approx(1 / 7, abs=0.001)
    assert monday.busiest_day == 1
    assert estimate.busiest_day["kv.writes"] == Range(1, 1)


# -- routes and traffic -------------------------------------------------------------------------

ROUTED = """
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    await env.KV.get("flags");                       // before routing: every request
    if (url.pathname === "/health") return new Response("ok");
    if (url.pathname.startsWith("/api/items/")) {
      if (request.method === "POST") {
        await env.KV.put(url.pathname, await request.text());
        return new Response("saved");
      }
      return new Response(await env.KV.get(url.pathname));
    }
    return new Response("not found", { status: 404 });
  },
};
"""


def test_routes_from_pathname_and_method_tests(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG,
        "workers-audit.toml": '[usage]\nrequests-per-day = 9000\n'
                              '[usage.routes]\n"POST /api/items/:id" = 1000\n',
        "src/index.ts": ROUTED})
    labels = sorted(t.label for t in estimate.triggers)
    assert labels == ["/api/items/*", "/health", "POST /api/items/*"]
    assert per_run(estimate, "/health") == {"kv.reads": (1, 1)}
    assert per_run(estimate, "POST /api/items/*") == {"kv.reads": (1, 1), "kv.writes": (1, 1)}
    # Any method: the POST branch may or may not run.
    assert per_run(estimate, "/api/items/*") == {"kv.reads": (1, 2), "kv.writes": (0, 1)}
    post = trigger(estimate, "POST /api/items/*")
    assert post.runs_per_day == 1000 and "usage.routes" in post.source
    health = trigger(estimate, "/health")
    assert health.runs_per_day == 4000 and "equal share" in health.source
    [cost] = [r for r in estimate.routes if r.trigger == post]
    assert cost.per_thousand == {"kv.reads": Range(1000, 1000), "kv.writes": Range(1000, 1000)}


def test_unknown_route_in_usage_is_reported(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG,
        "workers-audit.toml": '[usage.routes]\n"GET /api/nothing" = 5\n',
        "src/index.ts": ROUTED})
    [note] = [n for n in estimate.notes if "/api/nothing" in n.message]
    assert "matches no route" in note.message
    assert note.location is not None and note.location.line == 2
    assert note.location.path.endswith("workers-audit.toml")


def test_hono_routes_with_middleware(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG,
        "src/index.ts": """
import { Hono } from "hono";
const app = new Hono<{ Bindings: { KV: KVNamespace } }>();
app.use("*", async (c, next) => { await c.env.KV.get("session"); await next(); });
app.get("/items/:id", async (c) => c.json(await c.env.KV.get(c.req.param("id"))));
app.post("/items/:id", async (c) => {
  await c.env.KV.put(c.req.param("id"), await c.req.text());
  return c.body(null, 204);
});
export default app;
"""})
    assert per_run(estimate, "GET /items/:id") == {"kv.reads": (2, 2)}
    assert per_run(estimate, "POST /items/:id") == {"kv.reads": (1, 1), "kv.writes": (1, 1)}
    assert trigger(estimate, "GET /items/:id").runs_per_day == 5000


def test_no_routes_means_one_route_for_all_requests(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG,
        "src/index.ts": "export default {\n"
                        "  async fetch(r, env) { return new Response(await env.KV.get('x')); },\n};\n"})
    everything = trigger(estimate, "all requests")
    assert everything.runs_per_day == 10_000 and "default" in everything.source
    assumption = next(a for a in estimate.assumptions if a.name == "requests-per-day")
    assert (assumption.value, assumption.source) == (10_000, "default")


# -- loops and paths ----------------------------------------------------------------------------

def test_loop_bounds_read_from_the_code(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG + '[triggers]\ncrons = ["0 0 * * *"]\n',
        "workers-audit.toml": "[usage]\nloop-iterations = 7\n",
        "src/index.ts": """
const SHARDS = 4;
const REGIONS = { eu: 1, us: 2, ap: 3 };
export default {
  async scheduled(c, env) {
    for (let i = 0; i < SHARDS; i++) await env.KV.put(`shard:${i}`, "x");          // 4
    for (const r of Object.keys(REGIONS)) await env.KV.get(r);                      // 3
    await Promise.all(["a", "b"].map((k) => env.KV.delete(k)));                     // 2
    do { await env.KV.get("poll"); } while (Math.random() > 0.5);                  // 7, assumed
    let page = await env.KV.list();                                                 // 1
    while (!page.list_complete) page = await env.KV.list({ cursor: page.cursor });  // 1 page
  },
};
"""})
    assert per_run(estimate, "cron 0 0 * * *") == {"kv.writes": (4, 4), "kv.reads": (10, 10),
                                                   "kv.deletes": (2, 2), "kv.lists": (2, 2)}
    loops = next(a for a in estimate.assumptions if a.name == "loop-iterations")
    assert loops.value == 7 and loops.source == "settings" and "src/index.ts:9" in loops.note
    pages = next(a for a in estimate.assumptions if a.name == "list-pages")
    assert pages.value == 1 and "src/index.ts:11" in pages.note


def test_a_site_reached_along_two_paths_counts_twice(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG,
        "src/index.ts": """
interface Env { KV: KVNamespace }
class Store {
  constructor(private env: Env) {}
  async save(key: string, value: string) { await this.env.KV.put(key, value); }
}
async function audit(store: Store) { await store.save("audit", "1"); }
export default {
  async fetch(request, env) {
    const store = new Store(env);
    await store.save("a", "1");
    await audit(store);
    if (request.headers.get("x-debug")) await audit(store);
    return new Response("ok");
  },
};
"""})
    [site] = [s for s in estimate.sites if s.category == "kv.writes"]
    assert site.ops_per_run == Range(2, 3)
    assert site.via[0] == "fetch" and site.via[-1] == "save"


def test_durable_object_rpc_is_walked(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG + '[[durable_objects.bindings]]\nname = "COUNTER"\n'
                         'class_name = "Counter"\n'
                         '[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Counter"]\n',
        "src/index.ts": """
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async bump(): Promise<number> {
    const n = ((await this.ctx.storage.get<number>("n")) ?? 0) + 1;
    await this.ctx.storage.put("n", n);
    return n;
  }
}
export default {
  async fetch(request, env) {
    const stub = env.COUNTER.get(env.COUNTER.idFromName("global"));
    return new Response(String(await stub.bump()));
  },
};
"""})
    assert per_run(estimate, "all requests") == {"do.requests": (1, 1), "do.rows_read": (1, 1),
                                                 "do.rows_written": (1, 1)}


def test_python_worker(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": 'name = "py"\nmain = "src/entry.py"\n'
                         'kv_namespaces = [{ binding = "KV", id = "0123456789abcdef0123456789abcdef" }]\n'
                         '[triggers]\ncrons = ["0 * * * *"]\n',
        "src/entry.py": """
async def on_scheduled(controller, env, ctx):
    for name in ["a", "b", "c"]:
        await env.KV.put(name, "1", expirationTtl=3600)
    for i in range(4):
        await env.KV.get(str(i))
"""})
    assert per_run(estimate, "cron 0 * * * *") == {"kv.writes": (3, 3), "kv.reads": (4, 4)}
    assert estimate.daily["kv.writes"] == Range(72, 72)


# -- totals, limits and cost ----------------------------------------------------------------------

def test_free_limit_runs_out_at_the_cron_time(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG + '[triggers]\ncrons = ["*/5 * * * *"]\n',
        "src/index.ts": """
export default {
  async scheduled(c, env) {
    for (const id of ["a", "b", "c", "d", "e"]) await env.KV.put(id, "1", { expirationTtl: 600 });
  },
};
"""})
    assert estimate.daily["kv.writes"] == Range(1440, 1440)
    [breach] = estimate.exceeded
    assert breach.category == "kv.writes" and breach.limit == 1000
    # The 200th run (5 writes each) uses up the 1,000th write: minute 199 * 5 = 16:35 UTC.
    assert breach.runs_out_at == (995, 995)


def test_paid_plan_cost(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG,
        "workers-audit.toml": 'plan = "paid"\n[usage]\nrequests-per-day = 100000\n',
        "src/index.ts": "export default {\n"
                        "  async fetch(r, env) {\n    await env.KV.put('k', 'v');\n"
                        "    return new Response();\n  },\n};\n"})
    paid = estimate.costs["paid"]
    writes = next(line for line in paid.lines if line.category == "kv.writes")
    assert writes.monthly.max == pytest.approx(100_000 * 365.2425 / 12)
    assert writes.usd.max == pytest.approx((writes.monthly.max - 1_000_000) * 5 / 1e6)
    assert estimate.monthly_usd.max == pytest.approx(5 + writes.usd.max)
    assert estimate.costs["free"].monthly_usd == Range(0, 0)
    assert estimate.pricing_as_of == "2026-11-21"


# -- outside schedulers -------------------------------------------------------------------------

WORKFLOW = """
name: warm the cache
on:
  schedule:
    - cron: "*/15 * * * *"
  workflow_dispatch:
jobs:
  warm:
    runs-on: ubuntu-latest
    steps:
      - run: curl -fsS -X POST "${{ secrets.WORKER_URL }}/api/items/refresh"
"""


def test_github_actions_schedule_is_an_external_trigger(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG,
        ".github/workflows/warm.yml": WORKFLOW,
        "src/index.ts": ROUTED})
    [external] = [t for t in estimate.triggers if t.kind == "external"]
    assert external.label == "external POST /api/items/* (cron */15 * * * *)"
    assert external.runs_per_day == 96
    assert external.location is not None and external.location.path == ".github/workflows/warm.yml"
    assert "GitHub Actions" in external.source
    assert per_run(estimate, external.label) == {"kv.reads": (1, 1), "kv.writes": (1, 1)}
    assert estimate.daily["workers.requests"] == Range(10_096, 10_096)


def test_usage_routes_override_an_external_schedule(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    estimate = worker(tmp_path, {
        "wrangler.toml": KV_CONFIG,
        "workers-audit.toml": '[usage.routes]\n"POST /api/items/:id" = 50\n',
        ".github/workflows/warm.yml": WORKFLOW,
        "src/index.ts": ROUTED})
    assert not [t for t in estimate.triggers if t.kind == "external"]
    assert trigger(estimate, "POST /api/items/*").runs_per_day == 50
    [note] = [n for n in estimate.notes if "warm.yml" in n.message]
    assert "is not counted" in note.message


def test_a_queue_without_a_figure_is_left_out_with_a_note(tmp_path: Path) -> None:
    estimate = worker(tmp_path, {
        "wrangler.jsonc": '{\n  "name": "q",\n  "main": "src/index.ts",\n'
                          '  "queues": { "consumers": [{ "queue": "events" }] }\n}\n',
        "src/index.ts": "export default { async queue(batch, env) {} };\n"})
    assert not [t for t in estimate.triggers if t.kind == "queue"]
    [note] = estimate.notes
    assert "queue `events`" in note.message and "[usage.queues]" in note.message
    assert note.location is not None
    assert (note.location.line, note.location.key) == (4, "queues.consumers[0].queue")
