"""A KV `expirationTtl` below 60 seconds or a `cacheTtl` below 30 seconds.

## What it does
Reports a KV `put` whose `expirationTtl` is a constant below 60, and a `get` or
`getWithMetadata` whose `cacheTtl` is a constant below 30. Constants are followed through
`const` declarations, imported constants, object members (`TTL.SHORT`) and arithmetic
(`60 * 60 * 24`, `MINUTE / 2`).

## Why is this bad?
KV rejects an expiry less than 60 seconds in the future: the put throws and nothing is
written, so the cache never fills and every request goes to the origin. A `cacheTtl`
below the 30-second floor fails the read the same way.

## Example
```ts
await env.CACHE.put(key, body, { expirationTtl: 30 });
```

Use instead:
```ts
await env.CACHE.put(key, body, { expirationTtl: 60 });
```
or keep short-lived data in memory or the Cache API.

## Fix safety
Unsafe: a number written at the call is raised to the floor (`expirationTtl: 30` becomes
`60`, `cacheTtl: 10` becomes `30`). The call stops failing, which changes what the Worker
does, and the data may be meant to live shorter than KV allows. A constant declared
elsewhere is not changed: other code may use it.

## Known problems
A TTL computed at run time (from a parameter, a var or a calculation on one) is not
checked. `expiration` (an absolute time) is not checked.

## References
- https://developers.cloudflare.com/kv/api/write-key-value-pairs/#expiring-keys
- https://developers.cloudflare.com/kv/api/read-key-value-pairs/#cachettl-parameter
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.facts import Expr
from auditor.findings import Fix, Location, Rule, Severity, Violation
from auditor.kv import KvOperation, kv_operations, option_value
from auditor.program import Program
from auditor.settings import Settings
from auditor.values import Constant

# Cloudflare's floors, in seconds (PLATFORM.md: KV limits and API).
MINIMUM = {"expirationTtl": 60, "cacheTtl": 30}
OPTION_OF = {"put": "expirationTtl", "get": "cacheTtl", "getWithMetadata": "cacheTtl"}


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for operation in kv_operations(program):
        option = OPTION_OF.get(operation.method)
        if option is None:
            continue
        value = option_value(program, operation, option)
        if not isinstance(value, Constant) or isinstance(value.value, bool) \
                or not isinstance(value.value, (int, float)) or value.value >= MINIMUM[option]:
            continue
        span = operation.call.span
        seconds = int(value.value) if float(value.value).is_integer() else value.value
        yield Violation(
            Location(operation.module.display, span.line, span.column, span.end_line, span.end_column),
            f"{operation.method} on `{operation.binding or 'KV'}` sets {option} to {seconds}: "
            f"KV requires at least {MINIMUM[option]} seconds, so the call fails",
            binding=operation.binding,
            anchor=f"{operation.call.callee.text}:{option}:{seconds}",
            fix=_fix(operation, option, value.value),
        )


def _fix(operation: KvOperation, option: str, value: float) -> Fix | None:
    """Raise a number written at the call itself (a keyword, or a property of the options
    object literal) to the floor; a followed constant is someone else's to change."""
    call = operation.call
    written = [expr for keyword, expr in call.keywords if keyword == option]
    position = 2 if operation.method == "put" else 1
    options = call.args[position] if len(call.args) > position else None
    if options is not None and options.kind == "object" and not any(p.spread for p in options.props):
        written += [prop.value for prop in options.props if prop.key == option]
    if len(written) != 1 or not _number(written[0], value):
        return None
    span, floor = written[0].span, MINIMUM[option]
    return Fix(
        message=f"raise {option} to {floor} seconds, KV's minimum: the call stops failing",
        replacement=str(floor),
        location=Location(operation.module.display, span.line, span.column, span.end_line, span.end_column),
        applicability="unsafe",
    )


def _number(expr: Expr, value: float) -> bool:
    return expr.kind == "literal" and not isinstance(expr.value, bool) and expr.value == value


RULE = Rule(
    code="KV002",
    name="kv-ttl-too-short",
    summary="a KV expirationTtl below 60 seconds or cacheTtl below 30 seconds",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
