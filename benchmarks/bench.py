"""Print timings that matter for a pre-commit hook: start-up, one check, the estimate, config parsing.

Figures, not assertions: run it before and after a change and compare.
`python benchmarks/bench.py [--runs N]`

The commands run with a cache of parsed files of their own (WORKERS_AUDIT_CACHE_DIR), warm
after the first run as a user's is; rows marked cold empty it before each run.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "quote-cache"


def timed(action: Callable[[], object], runs: int,
          before: Callable[[], object] | None = None) -> tuple[float, float]:
    """Median and best milliseconds of `action`; `before` runs ahead of each, untimed."""
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000, min(samples) * 1000


def big_config(bindings: int, environments: int) -> dict[str, object]:
    def kv(prefix: str) -> list[dict[str, str]]:
        return [{"binding": f"{prefix}_{i}", "id": f"{i:032x}"} for i in range(bindings)]

    env = {f"env{e}": {"name": f"w-{e}", "kv_namespaces": kv(f"E{e}"),
                       "vars": {f"V{i}": str(i) for i in range(20)}}
           for e in range(environments)}
    return {"name": "big", "main": "src/index.ts", "kv_namespaces": kv("KV"),
            "triggers": {"crons": ["0 * * * *", "*/5 * * * *"]}, "env": env}


def big_worker(directory: Path, modules: int, helpers: int = 40) -> int:
    """A Worker with one route per module and `helpers` small KV-reading functions in each,
    the shape of a large router-style Worker; returns its number of source lines."""
    (directory / "src").mkdir(parents=True)
    (directory / "wrangler.toml").write_text(
        'name = "big"\nmain = "src/index.ts"\n'
        'kv_namespaces = [{ binding = "CACHE", id = "0123456789abcdef0123456789abcdef" }]\n')
    imports = "".join(f'import {{ handle{i} }} from "./m{i}";\n' for i in range(modules))
    routes = "".join(f'    if (url.pathname === "/r{i}") return handle{i}(request, env);\n'
                     for i in range(modules))
    index = (f"{imports}export interface Env {{ CACHE: KVNamespace }}\n"
             "export default {\n  async fetch(request: Request, env: Env): Promise<Response> {\n"
             f"    const url = new URL(request.url);\n{routes}"
             '    return new Response("not found", { status: 404 });\n  },\n};\n')
    (directory / "src" / "index.ts").write_text(index)
    lines = index.count("\n")
    for i in range(modules):
        text = "".join(f"""
export async function helper{i}_{j}(env: {{ CACHE: KVNamespace }}, id: string): Promise<string | null> {{
  const key = `k{i}_{j}:${{id}}`;
  const value = await env.CACHE.get(key);
  if (value !== null) {{
    return value.toUpperCase();
  }}
  const items: string[] = [];
  for (let n = 0; n < 3; n++) {{ items.push(String(n * {j})); }}
  return items.join(",");
}}
""" for j in range(helpers)) + f"""
export async function handle{i}(request: Request, env: {{ CACHE: KVNamespace }}): Promise<Response> {{
  const id = new URL(request.url).searchParams.get("id") ?? "x";
  const value = await helper{i}_0(env, id);
  await env.CACHE.put(`seen:{i}:${{id}}`, "1", {{ expirationTtl: 60 }});
  return new Response(value);
}}
"""
        (directory / "src" / f"m{i}.ts").write_text(text)
        lines += text.count("\n")
    return lines


def main() -> None:
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 10
    python = sys.executable
    rows: list[tuple[str, float, float]] = []
    cache = Path(tempfile.mkdtemp(prefix="workers-audit-bench-cache-"))
    environment = {**os.environ, "WORKERS_AUDIT_CACHE_DIR": str(cache)}

    def command(*args: str) -> Callable[[], object]:
        return lambda: subprocess.run([python, *args], cwd=REPO, capture_output=True, env=environment)

    def cold() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    rows.append(("python start-up alone", *timed(command("-c", "pass"), runs)))
    rows.append(("import auditor.cli", *timed(command("-c", "import auditor.cli"), runs)))
    rows.append(("workers-audit rules", *timed(command("-m", "auditor", "rules"), runs)))
    rows.append(("workers-audit check examples/quote-cache",
                 *timed(command("-m", "auditor", "check", "examples/quote-cache"), runs)))

    command("-m", "auditor", "check", "examples/cache-heavy")()  # fills the cache
    rows.append(("workers-audit check examples/cache-heavy",
                 *timed(command("-m", "auditor", "check", "examples/cache-heavy"), runs)))
    rows.append(("  the same, cold cache",
                 *timed(command("-m", "auditor", "check", "examples/cache-heavy"), runs, cold)))
    rows.append(("  the same, --no-cache",
                 *timed(command("-m", "auditor", "check", "--no-cache", "examples/cache-heavy"), runs)))
    rows.append(("workers-audit estimate examples/cache-heavy",
                 *timed(command("-m", "auditor", "estimate", "examples/cache-heavy"), runs)))
    rows.append(("workers-audit report examples/cache-heavy",
                 *timed(command("-m", "auditor", "report", "examples/cache-heavy"), runs)))
    # What the pre-commit hook runs when one source file of a Worker is staged.
    rows.append(("check --changed-files (hook), cache-heavy file",
                 *timed(command("-m", "auditor", "check", "--changed-files",
                                "examples/cache-heavy/src/index.ts"), runs)))
    rows.append(("check --format sarif examples/cache-heavy",
                 *timed(command("-m", "auditor", "check", "--format", "sarif",
                                "examples/cache-heavy"), runs)))
    rows.append(("check --diff --unsafe-fixes examples/quote-cache",
                 *timed(command("-m", "auditor", "check", "--diff", "--unsafe-fixes",
                                "examples/quote-cache"), runs)))
    rows.append(("diff --base HEAD examples/cache-heavy",
                 *timed(command("-m", "auditor", "diff", "--base", "HEAD", "examples/cache-heavy"), runs)))

    from auditor.config.jsonc import read_jsonc
    from auditor.config.load import load_config
    from auditor.engine import audit

    dal = REPO / "tests" / "fixtures" / "kv_put_missing_ttl" / "data_access_layer"
    rows.append(("workers-audit check, 5-file wrapper fixture",
                 *timed(command("-m", "auditor", "check", str(dal)), runs)))
    rows.append(("audit(example) in process, warm",
                 *timed(lambda: audit([EXAMPLE], {"fail_on": "never"}), runs)))
    heavy = REPO / "examples" / "cache-heavy"
    rows.append(("audit(cache-heavy) in process, warm",
                 *timed(lambda: audit([heavy], {"fail_on": "never", "ignore": ("CO",)}), runs)))
    rows.append(("audit(cache-heavy, estimate=True) in process, warm",
                 *timed(lambda: audit([heavy], {"fail_on": "never"}, estimate=True), runs)))
    import tomlkit

    data = big_config(bindings=200, environments=10)
    toml_text = tomlkit.dumps(data).encode()
    json_text = json.dumps(data, indent=2).encode()
    rows.append((f"load_config TOML, {len(toml_text) // 1024} KiB, 2,200 bindings",
                 *timed(lambda: load_config(toml_text, "wrangler.toml", "."), runs)))
    rows.append((f"load_config JSON, {len(json_text) // 1024} KiB, 2,200 bindings",
                 *timed(lambda: load_config(json_text, "wrangler.json", "."), runs)))
    rows.append(("read_jsonc of the same JSON",
                 *timed(lambda: read_jsonc(json_text.decode(), "wrangler.json"), runs)))
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "wrangler.toml").write_bytes(toml_text)
        rows.append(("check of the big TOML Worker, in process",
                     *timed(lambda: audit([Path(scratch)], {"fail_on": "never"}), runs)))

    # A large router-style Worker: what the hook costs when the project is big.
    with tempfile.TemporaryDirectory() as scratch:
        big = Path(scratch) / "big"
        lines = big_worker(big, modules=80)
        few = min(runs, 3)
        command("-m", "auditor", "check", str(big))()  # fills the cache
        rows.append((f"check of a generated Worker, 81 files, {lines:,} lines, warm cache",
                     *timed(command("-m", "auditor", "check", str(big)), few)))
        rows.append(("  the same, cold cache",
                     *timed(command("-m", "auditor", "check", str(big)), few, cold)))
        rows.append(("  the same, --no-cache",
                     *timed(command("-m", "auditor", "check", "--no-cache", str(big)), few)))
        rows.append(("  the same, --changed-files one module (hook)",
                     *timed(command("-m", "auditor", "check", "--changed-files",
                                    str(big / "src" / "m3.ts")), few)))

    shutil.rmtree(cache, ignore_errors=True)
    width = max(len(name) for name, _, _ in rows)
    print(f"{'measurement':<{width}}  median ms  best ms   ({runs} runs, {sys.version.split()[0]})")
    for name, median, best in rows:
        print(f"{name:<{width}}  {median:9.1f}  {best:7.1f}")


if __name__ == "__main__":
    main()
