"""A KV put or delete inside a loop.

## What it does
Reports a KV `put` or `delete` that runs once per iteration of a loop: inside a `for`,
`while` or `do` body, in a callback of `forEach`/`map`/… (and so in
`Promise.all(items.map(…))`), in a Python comprehension, or in a closure such as
`retry(() => env.KV.put(…))` written inside one. A call, inside a loop, of a function that
writes to KV is reported at that call, naming the function. The delete of an expiry sweep
(a delete per listed key after an age test) is KV101's, and is not reported again here.

## Why is this bad?
Every put and every delete is billed, and the loop bound multiplies them: 200 symbols
refreshed every 5 minutes is 57,600 writes a day, against 1,000 a day on the free plan
(after which the binding throws "KV put() limit exceeded for the day") and $5 per million
on the paid plan. The binding has no bulk write or bulk delete.

## Example
```ts
for (const quote of quotes) {
  await env.QUOTES.put(`quote:${quote.symbol}`, JSON.stringify(quote));
}
```

Use instead (one value read and written as a whole):
```ts
await env.QUOTES.put("quotes:latest", JSON.stringify(quotes), { expirationTtl: 300 });
```

## Known problems
A loop that stops at the first success (a retry loop) is a loop all the same when the
write is written inside it; the helper pattern `retry(() => put)` is not, since its loop
calls a parameter.

## References
- https://developers.cloudflare.com/kv/platform/pricing/
- https://developers.cloudflare.com/kv/platform/limits/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation
from auditor.kv import expiry_sweep, kv_operations
from auditor.loops import in_loop, writers
from auditor.program import Program
from auditor.settings import Settings
from auditor.values import FunctionRef, Scope

WRITES = frozenset({"put", "delete"})


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    operations = [op for op in kv_operations(program) if op.method in WRITES]
    for op in operations:
        if in_loop(program, op.module, op.call) and expiry_sweep(program, op) is None:
            span = op.call.span
            yield Violation(
                op.module.location(span),
                f"{op.method} on `{op.binding or 'KV'}` runs once per loop iteration: each is a "
                "billed KV operation; aggregate into one value or write outside the loop",
                binding=op.binding,
                anchor=f"{op.call.callee.text}:loop",
            )
    writing = writers(program, operations)
    for module, call in program.all_calls():
        callee = program.resolver.resolve(call.callee, Scope(module.key, call.function))
        if not isinstance(callee, FunctionRef) or (callee.module, callee.function) not in writing:
            continue
        if not in_loop(program, module, call):
            continue
        bindings = ", ".join(f"`{b}`" for b in sorted(writing[(callee.module, callee.function)]))
        span = call.span
        yield Violation(
            module.location(span),
            f"`{callee.function}` writes to KV ({bindings}) and is called once per loop iteration",
            anchor=f"{callee.function}:loop",
        )


RULE = Rule(
    code="KV201",
    name="kv-write-in-loop",
    summary="a KV put or delete inside a loop",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
