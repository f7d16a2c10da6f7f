"""A KV put with neither `expirationTtl` nor `expiration`.

## What it does
Reports a `put` to a Workers KV namespace whose options set no expiry, at the call that
decides the options: the put itself, or the outermost caller of a wrapper that forwards an
options parameter and was called without one (the put is then a related location). A
`Map`, the Cache API, R2 and Durable Object storage are not KV and are never reported.

## Why is this bad?
A key written without a TTL lives until something deletes it. Cache entries pile up in
storage (billed past 1 GB), and the usual remedy, a cron that lists keys and deletes the
old ones, costs a list per 1,000 keys and a delete per key, on a free plan that allows
1,000 of each a day. `expirationTtl` makes KV expire the key for free.

## Example
```ts
await env.CACHE.put(`quote:${symbol}`, body);
```

Use instead:
```ts
await env.CACHE.put(`quote:${symbol}`, body, { expirationTtl: 300 });
```

## Known problems
When the options come from somewhere the code does not show (a parameter of an exported
function that nothing in the project calls, the result of another call), the rule stays
silent rather than guess.

## References
- https://developers.cloudflare.com/kv/api/write-key-value-pairs/#expiring-keys
- https://developers.cloudflare.com/kv/platform/pricing/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Related, Rule, Severity, Violation
from auditor.kv import ABSENT, kv_operations, ttl_decisions
from auditor.program import Module, Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for operation in kv_operations(program):
        if operation.method != "put":
            continue
        binding = f"`{operation.binding}`" if operation.binding else "a KV namespace"
        for decision in ttl_decisions(program, operation):
            if decision.state != ABSENT:
                continue
            put_at = operation.module.location(operation.call.span)
            if not decision.chain:
                yield Violation(put_at, f"put to {binding} has no expirationTtl or expiration",
                                binding=operation.binding, anchor=f"{operation.call.callee.text}")
                continue
            module, call = decision.chain[-1]
            wrappers = [_called(program, m, c) for m, c in reversed(decision.chain)]
            through = " → ".join(f"`{w}`" for w in wrappers)
            related = [Related(put_at, f"the put to {binding} that has no expirationTtl")]
            related += [Related(m.location(c.span), f"forwards the options to `{_called(program, m, c)}`")
                        for m, c in decision.chain[:-1]]
            yield Violation(
                module.location(call.span),
                f"put to {binding} has no expirationTtl: this call leaves the options out "
                f"(reached through {through})",
                binding=operation.binding,
                related=tuple(related),
                anchor=f"{call.callee.text}:{wrappers[-1]}",
            )


def _called(program: Program, module: Module, call: object) -> str:
    callee = program.resolver.callee(module, call)  # type: ignore[arg-type]
    name = getattr(callee, "function", None)
    return str(name) if name else call.callee.text  # type: ignore[attr-defined]


RULE = Rule(
    code="KV001",
    name="kv-put-missing-ttl",
    summary="a KV put with neither expirationTtl nor expiration",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
