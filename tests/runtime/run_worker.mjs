// Run a Worker in workerd (through Miniflare) on a scripted workload and count, per step,
// the KV, Durable Object and Durable Object storage operations it makes.
//
//   node tests/runtime/run_worker.mjs [NODE_MODULES] < spec.json > result.json
//
// The spec and result formats are described in tests/runtime/harness.py. The Worker is
// bundled with esbuild behind a generated entry module that wraps its bindings (see
// counting.js); its outbound fetch() never reaches the network. Everything the run writes
// goes to a temporary directory that is removed at the end.
import { mkdtemp, rm } from "node:fs/promises";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const COUNTING = join(HERE, "counting.js");
const RESERVED = "/__workers_audit_harness__/"; // as in counting.js
const KV_OPS = ["get", "getWithMetadata", "put", "delete", "list"]; // as in counting.js
const STORAGE_OPS = ["get", "put", "delete", "list", "getAlarm", "setAlarm", "deleteAlarm", "deleteAll"];
const SETTLE_TIMEOUT_MS = 10_000; // for waitUntil work after a step
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const nodeModules = resolve(process.argv[2] ?? join(HERE, "..", "..", ".ci", "node", "node_modules"));
const require = createRequire(join(nodeModules, "package.json"));
const esbuild = require("esbuild");
const { Miniflare, Response, supportedCompatibilityDate } = require("miniflare");

function elapsed(start) {
  return Math.round(performance.now() - start);
}

// DO bindings are `{"BINDING": "Class"}` or `{"BINDING": {"class_name": "Class", "sqlite": true}}`.
function durableObjects(spec) {
  const bindings = {};
  for (const [binding, value] of Object.entries(spec.durable_objects ?? {})) {
    const className = typeof value === "string" ? value : value.class_name;
    if (!IDENTIFIER.test(className)) throw new Error(`bad class name for ${binding}: ${className}`);
    bindings[binding] = { className, useSQLite: Boolean(value.sqlite) };
  }
  return bindings;
}

function entryModule(main, classNames) {
  const lines = [
    `import * as worker from ${JSON.stringify(main)};`,
    `import { countedDefault, countedDurableObject } from ${JSON.stringify(COUNTING)};`,
    // Every other export (entrypoints, classes not bound here) stays as the Worker has it;
    // the explicit exports below take precedence over the star export.
    `export * from ${JSON.stringify(main)};`,
    `export default countedDefault(worker.default);`,
  ];
  for (const name of classNames) {
    lines.push(`export const ${name} = countedDurableObject(worker.${name}, ${JSON.stringify(name)});`);
  }
  return lines.join("\n");
}

// Resolves the counting module's configuration, and points the Worker's own imports of
// `cloudflare:workers` at a module whose `env` is counted too.
function harnessPlugin(config) {
  return {
    name: "workers-audit-harness",
    setup(build) {
      build.onResolve({ filter: /^workers-audit-harness:config$/ }, () => ({ path: "config", namespace: "harness" }));
      build.onResolve({ filter: /^cloudflare:/ }, (args) =>
        args.path === "cloudflare:workers" && args.namespace !== "harness"
          ? { path: "cloudflare-workers", namespace: "harness" }
          : { path: args.path, external: true },
      );
      build.onLoad({ filter: /.*/, namespace: "harness" }, (args) => ({
        loader: "js",
        resolveDir: HERE,
        contents:
          args.path === "config"
            ? `export default ${JSON.stringify(config)};`
            : [
                `import { env as rawEnv } from "cloudflare:workers";`,
                `import { countedEnvView } from ${JSON.stringify(COUNTING)};`,
                `export * from "cloudflare:workers";`,
                `export const env = countedEnvView(rawEnv);`,
              ].join("\n"),
      }));
    },
  };
}

async function bundle(spec, bindings, outfile) {
  const flags = spec.compatibility_flags ?? [];
  const nodeCompat = flags.includes("nodejs_compat") || flags.includes("nodejs_compat_v2");
  const classNames = [...new Set(Object.values(bindings).map((b) => b.className))];
  const result = await esbuild.build({
    stdin: { contents: entryModule(resolve(spec.root, spec.main), classNames), resolveDir: spec.root, loader: "js" },
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    // The resolution wrangler uses for Workers.
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    external: ["node:*", ...(nodeCompat ? builtinModules : [])],
    plugins: [harnessPlugin({ kv: Object.keys(spec.kv ?? {}), durableObjects: bindings })],
    outfile,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

function outboundResponse(outbound = {}) {
  const headers = { ...outbound.headers };
  let body = outbound.body ?? null;
  if (outbound.json !== undefined || body === null) {
    body = JSON.stringify(outbound.json ?? {});
    headers["content-type"] ??= "application/json";
  }
  return () => new Response(body, { status: outbound.status ?? 200, headers });
}

function table(names, ops, counts) {
  return Object.fromEntries(names.map((name) => [name, Object.fromEntries(ops.map((op) => [op, counts?.[name]?.[op] ?? 0]))]));
}

async function control(mf, name) {
  const response = await mf.dispatchFetch(`http://localhost${RESERVED}${name}`);
  if (!response.ok) throw new Error(`harness route ${name}: ${response.status} ${await response.text()}`);
  return response.json();
}

// Counts once every waitUntil promise of the step has settled.
async function collect(mf) {
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    const counts = await control(mf, "collect");
    if (counts.pending === 0) return counts;
    if (performance.now() > deadline) throw new Error(`waitUntil work still running after ${SETTLE_TIMEOUT_MS} ms`);
    await new Promise((done) => setTimeout(done, 5));
  }
}

async function dispatch(mf, step, result) {
  if (step.fetch) {
    const { method = "GET", path = "/", headers = {}, body = null } = step.fetch;
    const response = await mf.dispatchFetch(`http://localhost${path}`, { method, headers, body });
    result.status = response.status;
    result.body = await response.text();
  } else if (step.scheduled) {
    const worker = await mf.getWorker();
    const outcome = await worker.scheduled({ cron: step.scheduled.cron, scheduledTime: new Date() });
    result.outcome = outcome.outcome;
  } else {
    throw new Error(`a step needs "fetch" or "scheduled": ${JSON.stringify(step)}`);
  }
}

async function runStep(mf, spec, bindings, step, outbound) {
  const start = performance.now();
  await control(mf, "reset");
  outbound.length = 0;
  const result = { status: null, outcome: null, body: null };
  const errors = [];
  try {
    await dispatch(mf, step, result);
  } catch (error) {
    errors.push(String(error?.message ?? error));
  }
  const counts = await collect(mf);
  errors.unshift(...counts.errors);
  const classNames = [...new Set(Object.values(bindings).map((b) => b.className))];
  return {
    ...result,
    kv: table(Object.keys(spec.kv ?? {}), KV_OPS, counts.kv),
    do_requests: Object.fromEntries(Object.keys(bindings).map((b) => [b, counts.doRequests[b]?.requests ?? 0])),
    do_storage: table(classNames, STORAGE_OPS, counts.doStorage),
    outbound: [...outbound],
    error: errors.length > 0 ? errors.join("\n") : null,
    isolates: counts.isolates,
    ms: elapsed(start),
  };
}

async function seed(mf, seeds) {
  for (const [binding, entries] of Object.entries(seeds ?? {})) {
    // The binding Miniflare hands to Node is not the Worker's counted one.
    const kv = await mf.getKVNamespace(binding);
    await Promise.all(
      Object.entries(entries).map(([key, value]) => kv.put(key, typeof value === "string" ? value : JSON.stringify(value))),
    );
  }
}

async function run(spec) {
  const started = performance.now();
  const timing = {};
  const tmp = await mkdtemp(join(tmpdir(), "workers-audit-runtime-"));
  let mf;
  try {
    const bindings = durableObjects(spec);
    const bundlePath = join(tmp, "worker.mjs");
    let start = performance.now();
    const code = await bundle(spec, bindings, bundlePath);
    timing.bundle_ms = elapsed(start);

    // workerd refuses a compatibility date newer than its own; run at the newest it knows.
    const requested = spec.compatibility_date ?? supportedCompatibilityDate;
    const compatibilityDate = requested > supportedCompatibilityDate ? supportedCompatibilityDate : requested;
    const outbound = [];
    const answer = outboundResponse(spec.outbound);
    start = performance.now();
    mf = new Miniflare({
      modules: [{ type: "ESModule", path: bundlePath, contents: code }],
      modulesRoot: tmp,
      compatibilityDate,
      compatibilityFlags: spec.compatibility_flags ?? [],
      kvNamespaces: spec.kv ?? {},
      durableObjects: bindings,
      bindings: spec.vars ?? {},
      outboundService: (request) => {
        outbound.push(request.url);
        return answer();
      },
      defaultPersistRoot: join(tmp, "persist"),
      // workerd's output (the Worker's console.log) must not mix with the JSON on stdout.
      handleRuntimeStdio(stdout, stderr) {
        stdout.pipe(process.stderr, { end: false });
        stderr.pipe(process.stderr, { end: false });
      },
    });
    await mf.ready;
    timing.start_ms = elapsed(start);

    start = performance.now();
    await seed(mf, spec.seed);
    timing.seed_ms = elapsed(start);

    const steps = [];
    start = performance.now();
    for (const step of spec.steps ?? []) steps.push(await runStep(mf, spec, bindings, step, outbound));
    timing.steps_ms = elapsed(start);
    return { compatibility_date: compatibilityDate, timing, steps };
  } finally {
    const start = performance.now();
    if (mf) await mf.dispose();
    await rm(tmp, { recursive: true, force: true });
    timing.dispose_ms = elapsed(start);
    timing.total_ms = elapsed(started);
  }
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

try {
  const output = await run(JSON.parse(await readStdin()));
  process.stdout.write(`${JSON.stringify(output)}\n`);
} catch (error) {
  process.stderr.write(`run_worker: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
}
