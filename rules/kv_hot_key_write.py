"""A constant KV key written on a request path.

## What it does
Reports a KV `put` whose key is the same on every call (a literal, a constant, a template
of constants) in code a request handler runs (`fetch`, a route handler, a Pages
Function), directly or through helpers. Where the key is a parameter of a helper, the
finding goes to the caller that passes a constant, naming the helper.

## Why is this bad?
KV accepts one write per second to the same key; concurrent requests writing it get
`429 Too Many Requests` and the write is lost (a page-view counter under load counts a
fraction of the views). Every request's write is billed too.

## Example
```ts
await env.STATS.put("stats:pageviews", String(views + 1));
```

Use instead: a Durable Object for counters, a per-request or per-user key, or a write from
a scheduled handler that aggregates.

## Known problems
Writes from scheduled handlers, queues and alarms run far below one a second and are not
reported. A write guarded by a rare condition on the request path is reported all the
same.

## References
- https://developers.cloudflare.com/kv/platform/limits/
- https://developers.cloudflare.com/durable-objects/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.callgraph import reached_from
from auditor.findings import Related, Rule, Severity, Violation
from auditor.kv import KvOperation, constant_key, kv_operations
from auditor.program import Module, Program
from auditor.settings import Settings
from auditor.values import FunctionRef, Parameter, Scope


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for op in kv_operations(program):
        if op.method != "put" or not op.call.args:
            continue
        key = constant_key(program, op.call.args[0], op.scope)
        if isinstance(key, str):
            if reached_from(program, op.module, op.call.function, "request"):
                yield _violation(op, key, op.module, op.call.span, None)
        elif isinstance(key, Parameter):
            yield from _callers_with_constants(program, op, key)


def _callers_with_constants(program: Program, op: KvOperation, parameter: Parameter) -> Iterator[Violation]:
    resolver = program.resolver
    for module, call in resolver.callers(parameter.module, parameter.function):
        callee = resolver.callee(module, call)
        if not isinstance(callee, FunctionRef):
            continue
        bound = resolver.bind(callee, call, Scope(module.key, call.function))
        scope = Scope(op.scope.module, op.scope.function, bound.bindings)
        key = constant_key(program, op.call.args[0], scope)
        if isinstance(key, str) and reached_from(program, module, call.function, "request"):
            yield _violation(op, key, module, call.span, callee.function)


def _violation(op: KvOperation, key: str, module: Module, span: object, helper: str | None) -> Violation:
    through = f" through `{helper}`" if helper else ""
    related = (Related(op.module.location(op.call.span), "the put"),) if helper else ()
    return Violation(
        module.location(span),
        f"a request path writes the constant key `{key}` of `{op.binding or 'KV'}`{through}: KV "
        "takes one write per second per key, concurrent requests beyond that fail with 429",
        binding=op.binding,
        related=related,
        anchor=f"{op.binding}:{key}",
    )


RULE = Rule(
    code="KV202",
    name="kv-hot-key-write",
    summary="a constant KV key written on a request path",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
