"""A KV key built from a clock or random value, written without a TTL.

## What it does
Reports a KV `put` with no `expirationTtl` or `expiration` whose key is built from
`Date.now()`, `new Date()`, `crypto.randomUUID()`, `Math.random()` (Python: `time.time()`,
`uuid.uuid4()`, `datetime.now()`), directly, through a variable, through a key-factory
function in any module, or from a parameter named like a timestamp.

## Why is this bad?
Every write makes a new key, and none of them ever expires: storage grows for as long as
the Worker runs (billed at $0.50 per GB-month past 1 GB), listing the namespace gets
slower and costlier, and the usual clean-up, a sweep that lists and deletes, costs more
operations than the writes did.

## Example
```ts
await env.SNAPSHOTS.put(`snap:${Date.now()}`, data);
```

Use instead:
```ts
await env.SNAPSHOTS.put(`snap:${Date.now()}`, data, { expirationTtl: 7 * 24 * 3600 });
```

## Known problems
A key built from a value the code does not show (a request header, a queue message) is
not reported, even when that value is a timestamp.

## References
- https://developers.cloudflare.com/kv/api/write-key-value-pairs/#expiring-keys
- https://developers.cloudflare.com/kv/platform/pricing/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation
from auditor.kv import ABSENT, kv_operations, ttl_decisions, volatile_source
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for op in kv_operations(program):
        if op.method != "put" or not op.call.args:
            continue
        source = volatile_source(program, op.call.args[0], op.scope)
        if source is None:
            continue
        if not any(d.state == ABSENT for d in ttl_decisions(program, op)):
            continue
        span = op.call.span
        yield Violation(
            op.module.location(span),
            f"put to `{op.binding or 'KV'}` has no TTL and its key is built from {source}: every "
            "write makes a new key that never expires",
            binding=op.binding,
            anchor=f"{op.call.callee.text}:{source}",
        )


RULE = Rule(
    code="KV003",
    name="kv-unbounded-key-growth",
    summary="a KV key built from a clock or random value, written without a TTL",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
