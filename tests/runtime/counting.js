// Runs inside the Worker (bundled in by run_worker.mjs): wraps env, ctx and Durable Object
// state so that every KV, Durable Object and storage operation is counted, without changing
// the Worker's own code.
//
// Counts live in module globals of the isolate that made the operation. workerd (and so
// Miniflare) runs a Worker's Durable Objects in the Worker's own isolate, so one set of
// globals sees everything; `collect` still asks every Durable Object the step reached for
// its isolate's counts, and merges those from any other isolate, so the numbers stay right
// if a runtime ever places objects elsewhere (only waitUntil work in such an isolate would
// not be waited for). That path cannot run under workerd, so no test covers it.
import config from "workers-audit-harness:config";

export const RESERVED = "/__workers_audit_harness__/";
const KV_OPS = ["get", "getWithMetadata", "put", "delete", "list"];
const STORAGE_OPS = ["get", "put", "delete", "list", "getAlarm", "setAlarm", "deleteAlarm", "deleteAll"];
// Properties of a Durable Object stub that are not requests to the object.
const STUB_LOCAL = new Set(["id", "name", "then", "dup", "constructor", "toString", "toJSON"]);

let state = fresh();
let pending = 0; // waitUntil promises not yet settled, in this isolate
let token = null; // this isolate's identity; made lazily, as random values are unavailable at global scope

function fresh() {
  return { kv: {}, doRequests: {}, doStorage: {}, touched: {}, errors: [] };
}

function isolateToken() {
  token ??= crypto.randomUUID();
  return token;
}

function bump(table, key, op) {
  const counts = (table[key] ??= {});
  counts[op] = (counts[op] ?? 0) + 1;
}

export function recordError(where, error) {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  state.errors.push(where ? `${where}: ${text}` : text);
}

// Calls to a native object's methods need the object itself as `this`, never the proxy.
function forward(target, prop) {
  const value = Reflect.get(target, prop, target);
  return typeof value === "function" ? value.bind(target) : value;
}

function countedKv(kv, binding) {
  return new Proxy(kv, {
    get(target, prop) {
      if (!KV_OPS.includes(prop)) return forward(target, prop);
      return (...args) => {
        bump(state.kv, binding, prop);
        return target[prop](...args);
      };
    },
  });
}

function countedStub(stub, binding) {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof prop === "symbol" || STUB_LOCAL.has(prop) || typeof value !== "function") return value;
      // Any call on the stub, `fetch` or an RPC method, is one request to the object. The
      // property is proxied rather than replaced so that RPC pipelining on it still works.
      return new Proxy(value, {
        apply(method, _this, args) {
          bump(state.doRequests, binding, "requests");
          (state.touched[binding] ??= new Set()).add(target.id.toString());
          return Reflect.apply(method, target, args);
        },
      });
    },
  });
}

function countedNamespace(namespace, binding) {
  return new Proxy(namespace, {
    get(target, prop) {
      if (prop === "get" || prop === "getByName") {
        return (...args) => countedStub(target[prop](...args), binding);
      }
      if (prop === "jurisdiction") return (...args) => countedNamespace(target.jurisdiction(...args), binding);
      return forward(target, prop);
    },
  });
}

function countedBinding(name, value) {
  if (value == null) return value;
  if (config.kv.includes(name)) return countedKv(value, name);
  if (name in config.durableObjects) return countedNamespace(value, name);
  return value;
}

const envCache = new WeakMap();

export function countedEnv(env) {
  if (env == null || typeof env !== "object") return env;
  let wrapped = envCache.get(env);
  if (!wrapped) {
    wrapped = { ...env };
    for (const name of Object.keys(wrapped)) wrapped[name] = countedBinding(name, wrapped[name]);
    envCache.set(env, wrapped);
  }
  return wrapped;
}

// `import { env } from "cloudflare:workers"` reads the bindings of the current request
// lazily; this view wraps them on each read.
export function countedEnvView(env) {
  if (env == null || typeof env !== "object") return env; // not importable at this compatibility date
  return new Proxy(env, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      return typeof prop === "string" ? countedBinding(prop, value) : value;
    },
  });
}

// ctx and Durable Object state are patched in place rather than proxied: workerd checks
// their types (a DurableObject's constructor refuses a Proxy of its state).
const PATCHED = Symbol("workers-audit-harness");

function patch(object, name, value) {
  Object.defineProperty(object, name, { value, configurable: true, writable: true });
}

function trackWaitUntil(ctx) {
  const original = ctx.waitUntil;
  if (typeof original !== "function") return;
  patch(ctx, "waitUntil", (promise) => {
    pending += 1;
    const tracked = Promise.resolve(promise).finally(() => {
      pending -= 1;
    });
    tracked.catch((error) => recordError("waitUntil", error));
    return original.call(ctx, tracked);
  });
}

export function countedCtx(ctx) {
  if (ctx == null || typeof ctx !== "object" || ctx[PATCHED]) return ctx;
  patch(ctx, PATCHED, true);
  trackWaitUntil(ctx);
  return ctx;
}

function countStorage(storage, className) {
  for (const op of STORAGE_OPS) {
    const original = storage[op];
    if (typeof original !== "function") continue;
    patch(storage, op, (...args) => {
      bump(state.doStorage, className, op);
      return original.apply(storage, args);
    });
  }
  const transaction = storage.transaction;
  if (typeof transaction === "function") {
    // Operations on the transaction object are storage operations too.
    patch(storage, "transaction", (closure, ...rest) =>
      transaction.call(storage, (txn) => closure(countStorage(txn, className)), ...rest),
    );
  }
  return storage;
}

function countedState(ctx, className) {
  if (ctx[PATCHED]) return ctx;
  patch(ctx, PATCHED, true);
  trackWaitUntil(ctx);
  patch(ctx, "storage", countStorage(ctx.storage, className));
  return ctx;
}

// The class Miniflare instantiates under the Worker's export name: the Worker's own class,
// given counted state and env, and answering the harness's requests for counts.
export function countedDurableObject(Base, className) {
  if (typeof Base !== "function") throw new TypeError(`the Worker does not export a class \`${className}\``);
  return class extends Base {
    constructor(ctx, env) {
      super(countedState(ctx, className), countedEnv(env));
    }

    fetch(request, ...rest) {
      const url = new URL(request.url);
      if (url.pathname === `${RESERVED}counts`) return Response.json(takeForeign(url.searchParams.get("from")));
      if (typeof super.fetch !== "function") throw new TypeError(`${className} has no fetch handler`);
      return super.fetch(request, ...rest);
    }
  };
}

// Counts for a collector in another isolate: nothing when the caller shares this isolate
// (it already sees these globals), else this isolate's counts, which are then reset.
function takeForeign(caller) {
  const own = isolateToken();
  if (caller === own) return { token: own };
  const taken = snapshot();
  state = fresh();
  return { token: own, ...taken };
}

function snapshot() {
  const touched = Object.entries(state.touched).flatMap(([b, ids]) => [...ids].map((id) => [b, id]));
  return { ...state, touched };
}

function merge(into, from) {
  for (const table of ["kv", "doRequests", "doStorage"]) {
    for (const [key, ops] of Object.entries(from[table])) {
      const counts = (into[table][key] ??= {});
      for (const [op, n] of Object.entries(ops)) counts[op] = (counts[op] ?? 0) + n;
    }
  }
  into.errors.push(...from.errors);
}

// The step's counts from every isolate it reached; `pending` > 0 means waitUntil work is
// still running and the caller should ask again.
async function collect(env) {
  if (pending > 0) return { pending };
  const own = isolateToken();
  const result = snapshot();
  state = fresh();
  const seen = new Set([own]);
  const queue = [...result.touched];
  const asked = new Set();
  while (queue.length > 0) {
    const [binding, id] = queue.shift();
    if (asked.has(`${binding}\n${id}`)) continue;
    asked.add(`${binding}\n${id}`);
    const namespace = env[binding];
    const stub = namespace.get(namespace.idFromString(id));
    const reply = await (await stub.fetch(`http://harness${RESERVED}counts?from=${own}`)).json();
    if (seen.has(reply.token) || !reply.kv) continue;
    seen.add(reply.token);
    merge(result, reply);
    queue.push(...reply.touched);
  }
  return { pending: 0, isolates: seen.size, ...result };
}

// Answers the harness's own requests; anything else is the Worker's.
export async function reserved(request, env) {
  const url = new URL(request.url);
  if (!url.pathname.startsWith(RESERVED)) return null;
  if (url.pathname === `${RESERVED}reset`) {
    state = fresh();
    return Response.json({ token: isolateToken() });
  }
  if (url.pathname === `${RESERVED}collect`) return Response.json(await collect(env));
  return new Response("unknown harness route", { status: 404 });
}

const HANDLERS = ["fetch", "scheduled", "queue", "email", "tail", "trace", "tailStream", "test"];

async function guarded(name, call) {
  try {
    return await call();
  } catch (error) {
    recordError(name, error);
    throw error;
  }
}

// The default export with counted env and ctx: an object of handlers (including a router
// object such as a Hono app, whose methods keep their `this`), or a WorkerEntrypoint class.
export function countedDefault(worker) {
  if (typeof worker === "function") return countedEntrypoint(worker);
  const wrapped = {};
  for (const name of HANDLERS) {
    if (typeof worker?.[name] !== "function") continue;
    wrapped[name] = (event, env, ctx) =>
      guarded(name, () => worker[name](event, countedEnv(env), countedCtx(ctx)));
  }
  const userFetch = wrapped.fetch;
  wrapped.fetch = async (request, env, ctx) => {
    const own = await reserved(request, env);
    if (own) return own;
    if (!userFetch) throw new TypeError("the Worker has no fetch handler");
    return userFetch(request, env, ctx);
  };
  return wrapped;
}

function countedEntrypoint(Base) {
  const raw = new WeakMap(); // instance -> the env it was given, for the harness's own requests
  class Counted extends Base {
    constructor(ctx, env) {
      super(countedCtx(ctx), countedEnv(env));
      raw.set(this, env);
    }
  }
  // Only the handlers the class has, so that workerd sees the same set of handlers.
  for (const name of HANDLERS) {
    const handler = Base.prototype[name];
    if (typeof handler !== "function") continue;
    Counted.prototype[name] = function (...args) {
      return guarded(name, () => handler.apply(this, args));
    };
  }
  const userFetch = Counted.prototype.fetch;
  Counted.prototype.fetch = async function (request) {
    const own = await reserved(request, raw.get(this));
    if (own) return own;
    if (!userFetch) throw new TypeError("the Worker has no fetch handler");
    return userFetch.call(this, request);
  };
  return Counted;
}
