"""Every request on a route writes to KV.

## What it does
Reports a KV `put` or `delete` that runs on every request a route serves: reached from a
request handler (`fetch`, a route handler, Hono middleware, a Pages Function) with no
condition on the way but the ones that choose the route (tests on the path or the
method, a `switch` on the pathname, a router's registration). A write on a cache miss, or
under any other condition on the data, does not run on every request and is not reported.

## Why is this bad?
Write volume follows traffic: at 10,000 requests a day such a route makes 10,000 writes,
ten times the free plan's 1,000 writes a day (after which the binding throws "KV put()
limit exceeded for the day"), and $5 per million on the paid plan. `workers-audit
estimate` shows the figures for the configured traffic. This is information, not a
defect: some routes must write; the question is whether KV is the store for it.

## Example
```ts
app.post("/track", async (c) => {
  await c.env.EVENTS.put(`event:${crypto.randomUUID()}`, await c.req.text());
  return c.body(null, 204);
});
```

Use instead, for high-volume appends: Queues, Analytics Engine, D1, or a Durable Object
that batches the writes.

## References
- https://developers.cloudflare.com/kv/platform/pricing/
- https://developers.cloudflare.com/kv/platform/limits/
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.callgraph import entry_kind
from auditor.facts import Call
from auditor.findings import Rule, Severity, Violation
from auditor.kv import kv_operations
from auditor.program import Module, Program
from auditor.settings import Settings
from auditor.values import FunctionRef, Scope

# A condition on the path or the method picks the route; any other is a condition on data.
ROUTING = re.compile(r"\b(pathname|method|path|url|route)\b", re.IGNORECASE)
WRITES = frozenset({"put", "delete"})
CLOSURES = frozenset({"arrow", "expression", "lambda"})


def _routing_only(call: Call) -> bool:
    return all(c.test is not None and ROUTING.search(c.test.text) for c in call.conditions)


def _every_request(program: Program, module: Module, call: Call, seen: set[int]) -> bool:
    """Does this call run on every request of some route?"""
    if id(call) in seen or not _routing_only(call):
        return False
    seen.add(id(call))
    function = module.functions.get(call.function or "")
    if function is None:
        return False
    if entry_kind(program, module, function.id) == "request":
        return True
    if function.kind in CLOSURES:
        holder = program.closure_calls.get((module.key, function.id))
        return holder is not None and _every_request(program, *holder, seen)
    for caller, site in program.resolver.callers(module.key, function.id):
        callee = program.resolver.resolve(site.callee, Scope(caller.key, site.function))
        if isinstance(callee, FunctionRef) and _every_request(program, caller, site, seen):
            return True
    return False


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for op in kv_operations(program):
        if op.method not in WRITES or not _every_request(program, op.module, op.call, set()):
            continue
        span = op.call.span
        yield Violation(
            op.module.location(span),
            f"{op.method} on `{op.binding or 'KV'}` runs on every request of its route: KV write "
            "volume follows traffic (1,000 writes a day on the free plan)",
            binding=op.binding,
            anchor=f"{op.call.callee.text}:per-request",
        )


RULE = Rule(
    code="KV203",
    name="kv-write-per-request",
    summary="every request on a route writes to KV",
    severity=Severity.INFO,
    check=check,
    doc=__doc__,
)
