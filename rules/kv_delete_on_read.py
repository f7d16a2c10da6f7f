"""A KV read that deletes the key when an age test says it is stale.

## What it does
Reports a KV `delete` on the read path: in a function that reads the same namespace, the
delete runs when a comparison with the clock (`Date.now()`, `new Date()`, `time.time()`,
directly or in a helper such as `isExpired(entry)`) says the value is too old. A delete
that consumes a one-time token, a version check, or a delete that runs only while the
value is fresh is not an age test and is not reported. A delete that runs once per key of
a KV `list` is an expiry sweep: KV101 reports it, and this rule does not report it again.

## Why is this bad?
The code re-implements expiry by hand: every stale read costs a billed delete (1,000 a day
on the free plan, shared with every other delete), the stale key stays until someone
happens to read it, and a key nobody reads again is never removed. `expirationTtl` (or
`expiration`) on the put makes KV drop the key on time, and an expired key is not billed
as a delete.

## Example
```ts
const session = await env.SESSIONS.get(key, "json");
if (session && session.expiresAt <= Date.now()) {
  await env.SESSIONS.delete(key);
  return null;
}
```

Use instead:
```ts
await env.SESSIONS.put(key, JSON.stringify(session), { expiration: session.expiresAt / 1000 });
```

## References
- https://developers.cloudflare.com/kv/api/write-key-value-pairs/#expiring-keys
- https://developers.cloudflare.com/kv/platform/pricing/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation
from auditor.kv import expiry_sweep, kv_operations, volatile_source
from auditor.program import Program
from auditor.settings import Settings

# Conditions under which the code runs when the test is true (a guard runs when false).
WHEN_TRUE = frozenset({"if", "and", "ternary-then", "case"})
READS = frozenset({"get", "getWithMetadata"})


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    operations = kv_operations(program)
    reads = {(op.module.key, fid, op.binding) for op in operations if op.method in READS
             for fid in op.module.enclosing(op.call.function)}
    for op in operations:
        if op.method != "delete":
            continue
        around = op.module.enclosing(op.call.function)
        if not any((op.module.key, fid, op.binding) in reads for fid in around):
            continue
        test = next((c for c in op.call.conditions if c.kind in WHEN_TRUE and c.test is not None
                     and volatile_source(program, c.test, op.scope)), None)
        if test is None or test.test is None or expiry_sweep(program, op) is not None:
            continue
        span = op.call.span
        yield Violation(
            op.module.location(span),
            f"delete on `{op.binding or 'KV'}` after a read finds the value stale "
            f"(`{test.test.text}`): a billed delete per stale read where expirationTtl would "
            "expire the key for free",
            binding=op.binding,
            anchor=f"{op.call.callee.text}:stale",
        )


RULE = Rule(
    code="KV102",
    name="kv-delete-on-read",
    summary="a KV read that deletes the key when an age test says it is stale",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
