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

## Fix safety
Unsafe, and only with `[fix] expiration-ttl = SECONDS` in the tool settings: adds that
`expirationTtl` to a put whose options are written at the call (`put(k, v)` gets
`{ expirationTtl: N }`, an options object literal without a spread gets the property,
Python gets the keyword `expirationTtl=N`). Keys then expire, which the code may not
expect. A wrapper's caller and options in a variable or a spread get no fix.

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

from auditor.facts import Call
from auditor.findings import Fix, Location, Related, Rule, Severity, Violation
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
                ttl = settings.fix.expiration_ttl
                yield Violation(put_at, f"put to {binding} has no expirationTtl or expiration",
                                binding=operation.binding, anchor=f"{operation.call.callee.text}",
                                fix=_fix(program, operation.module, operation.call, ttl) if ttl else None)
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


def _fix(program: Program, module: Module, call: Call, ttl: int) -> Fix | None:
    """Add `expirationTtl` where the put's own text decides its options; None elsewhere."""
    from auditor.fix import offset_of

    text = next((s.source.decode("utf-8") for s in program.sources if s.key == module.key), None)
    if text is None or len(call.args) not in (2, 3) or any(a.kind == "spread" for a in call.args) \
            or any(name == "**" for name, _ in call.keywords):
        return None
    if len(call.args) == 3:  # `{ metadata }`: the property goes first
        options = call.args[2]
        if module.language == "python" or options.kind != "object" \
                or any(p.spread or p.key is None for p in options.props):
            return None
        brace = offset_of(text, options.span.line, options.span.column)
        if brace is None or text[brace] != "{":
            return None
        first = len(text) - len(text[brace + 1:].lstrip())
        if first == len(text):
            return None
        if text[first] == "}":
            return _made(module, text, brace, first + 1, f"{{ expirationTtl: {ttl} }}", ttl)
        return _made(module, text, first, first, f"expirationTtl: {ttl}, ", ttl)
    # Between the last argument and the call's `)` stand at most a type assertion, `!`, a
    # parenthesis, a trailing comma (and Python keywords); a comment there would swallow
    # what is inserted after it.
    last = call.args[-1].span
    after = offset_of(text, last.end_line, last.end_column)
    close = offset_of(text, call.span.end_line, call.span.end_column)
    if after is None or close is None or close <= after or text[close - 1] != ")":
        return None
    tail = text[after:close - 1].rstrip()
    if "/" in tail or "#" in tail:
        return None
    option = f"expirationTtl={ttl}" if module.language == "python" else f"{{ expirationTtl: {ttl} }}"
    end = after + len(tail)
    return _made(module, text, end, end, f" {option}," if tail.endswith(",") else f", {option}", ttl)


def _made(module: Module, text: str, start: int, end: int, replacement: str, ttl: int) -> Fix:
    from auditor.fix import location_at

    begin, stop = location_at(module.display, text, start), location_at(module.display, text, end)
    return Fix(
        message=f"add `expirationTtl: {ttl}` from `[fix] expiration-ttl`: the key expires {ttl} "
                "seconds after each write",
        replacement=replacement,
        location=Location(module.display, begin.line, begin.column, stop.line, stop.column),
        applicability="unsafe",
    )


RULE = Rule(
    code="KV001",
    name="kv-put-missing-ttl",
    summary="a KV put with neither expirationTtl nor expiration",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
