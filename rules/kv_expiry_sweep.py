"""An expiry sweep: KV keys are listed and deleted one by one to emulate expiry.

## What it does
Reports a KV `delete` that runs once per key of a KV `list` result (in a loop over it, in
a `map`/`forEach` callback, in a paginated `do … while (cursor)` walk) when the delete
is decided by an age test (a comparison with `Date.now()`, `time.time()` or a "now"
parameter, in the loop or in a `.filter` before it) or runs unconditionally from a
scheduled handler or an alarm. The list and per-key reads are part of the same sweep and
are not reported separately.

## Why is this bad?
Every list (one per 1,000 keys), every per-key read and every delete is billed, and on the
free plan lists and deletes stop at 1,000 a day each: a sweep over a few thousand keys
fails part way, every day. `expirationTtl` on the put expires the keys for free, and an
expired key is not billed as a delete.

## Example
```ts
const { keys } = await env.CACHE.list({ prefix: "cache:" });
for (const k of keys) {
  const v = await env.CACHE.get(k.name, "json");
  if (v && Date.now() - v.at > v.ttl * 1000) await env.CACHE.delete(k.name);
}
```

Use instead (and drop the sweep):
```ts
await env.CACHE.put(key, JSON.stringify(value), { expirationTtl: 600 });
```

## Known problems
A purge on request (an admin route deleting a prefix, with no age test) is an
invalidation, not a sweep, and is not reported.

## References
- https://developers.cloudflare.com/kv/api/write-key-value-pairs/#expiring-keys
- https://developers.cloudflare.com/kv/platform/pricing/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Related, Rule, Severity, Violation
from auditor.kv import expiry_sweep, kv_operations
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for op in kv_operations(program):
        sweep = expiry_sweep(program, op)
        if sweep is None:
            continue
        span = op.call.span
        why = "after an age test" if sweep.aged else "every run of a scheduled handler"
        yield Violation(
            op.module.location(span),
            f"expiry sweep on `{op.binding or 'KV'}`: listed keys are deleted one by one {why}; "
            "each list and delete is billed, while expirationTtl expires keys for free",
            binding=op.binding,
            related=(Related(op.module.location(sweep.source.span),
                             "the keys come from this list"),),
            anchor=f"{op.call.callee.text}:sweep",
        )


RULE = Rule(
    code="KV101",
    name="kv-expiry-sweep",
    summary="KV keys listed and deleted one by one to emulate expiry",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
