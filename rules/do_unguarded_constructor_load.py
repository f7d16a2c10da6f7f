"""A Durable Object constructor starts a storage read outside `blockConcurrencyWhile`.

## What it does
Reports, in the constructor of a Durable Object class (one the configuration binds, or one
extending `DurableObject`), an asynchronous storage read (`storage.get`, `storage.list`)
that does not run inside `ctx.blockConcurrencyWhile(…)`: written directly in the
constructor, in a callback it starts, or in a method it calls (reported at that call,
naming the method). The synchronous SQLite API (`storage.sql.exec`, `storage.kv.get`) is
not a concern: it finishes before the constructor returns.

## Why is this bad?
The constructor cannot await. A read it starts completes later, and meanwhile the object
already serves requests and alarms with its state unset: counters start from zero again
and overwrite the stored value, a session list is empty. `blockConcurrencyWhile` holds
every event until the read is done.

## Example
```ts
constructor(ctx: DurableObjectState, env: Env) {
  super(ctx, env);
  ctx.storage.get<number>("count").then((n) => { this.count = n ?? 0; });
}
```

Use instead:
```ts
constructor(ctx: DurableObjectState, env: Env) {
  super(ctx, env);
  ctx.blockConcurrencyWhile(async () => {
    this.count = (await ctx.storage.get<number>("count")) ?? 0;
  });
}
```

## References
- https://developers.cloudflare.com/durable-objects/api/state/#blockconcurrencywhile
- https://developers.cloudflare.com/durable-objects/reference/in-memory-state/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation
from auditor.program import Module, Program
from auditor.resolve import DURABLE_OBJECT_BASES
from auditor.settings import Settings
from auditor.values import DurableObjectStorage, FunctionRef, Scope

READS = frozenset({"get", "list"})
GUARD = "blockConcurrencyWhile"
CLOSURES = frozenset({"arrow", "expression", "lambda"})


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    bound = {b.fields.get("class_name") for env in program.config.views()
             for b in env.bindings_of("durable_objects")}
    for module in program.modules.values():
        for cls in module.classes.values():
            base = cls.extends.name if cls.extends is not None else None
            if cls.name not in bound and base not in DURABLE_OBJECT_BASES:
                continue
            constructor = f"{cls.name}.__init__" if module.language == "python" else f"{cls.name}.constructor"
            if constructor in module.functions:
                yield from _unguarded(program, module, constructor)


def _runs_in(module: Module, constructor: str) -> list[str]:
    """The constructor and the closures it starts, leaving out those handed to the guard."""
    inside = [constructor]
    for function in module.functions.values():
        if function.kind in CLOSURES and function.parent in inside and not _guarded(module, function.id):
            inside.append(function.id)
    return inside


def _guarded(module: Module, closure: str) -> bool:
    for calls in module.calls.values():
        for call in calls:
            if call.callee.name == GUARD and any(a.kind == "function" and a.function == closure
                                                 for a in call.args):
                return True
    return False


def _storage_read(program: Program, module: Module, call: object) -> bool:
    callee = call.callee  # type: ignore[attr-defined]
    if callee.kind != "member" or callee.name not in READS or callee.target is None:
        return False
    scope = Scope(module.key, call.function)  # type: ignore[attr-defined]
    return isinstance(program.resolver.resolve(callee.target, scope), DurableObjectStorage)


def _reads(program: Program, module: Module, function: str, seen: set[tuple[str, str]]) -> bool:
    """Does calling this function start a storage read (in it, or in what it calls)?"""
    if (module.key, function) in seen:
        return False
    seen.add((module.key, function))
    for fid in _runs_in(module, function):
        for call in module.calls.get(fid, ()):
            if _storage_read(program, module, call):
                return True
            callee = program.resolver.resolve(call.callee, Scope(module.key, call.function))
            if isinstance(callee, FunctionRef) and \
                    _reads(program, program.modules[callee.module], callee.function, seen):
                return True
    return False


def _unguarded(program: Program, module: Module, constructor: str) -> Iterator[Violation]:
    for fid in _runs_in(module, constructor):
        for call in module.calls.get(fid, ()):
            span = call.span
            where = module.location(span)
            if _storage_read(program, module, call):
                yield Violation(where, f"the constructor starts `{call.callee.text}` outside "
                                       f"`{GUARD}`: requests can run before the state is loaded",
                                anchor=f"{constructor}:{call.callee.text}")
                continue
            callee = program.resolver.resolve(call.callee, Scope(module.key, call.function))
            if isinstance(callee, FunctionRef) and callee.function != constructor and \
                    _reads(program, program.modules[callee.module], callee.function, set()):
                name = callee.function.rsplit(".", 1)[-1]
                yield Violation(where, f"the constructor calls `{name}`, which reads storage, outside "
                                       f"`{GUARD}`: requests can run before the state is loaded",
                                anchor=f"{constructor}:{callee.function}")


RULE = Rule(
    code="DO003",
    name="do-unguarded-constructor-load",
    summary="a Durable Object constructor reads storage outside blockConcurrencyWhile",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
