"""Which handlers reach a function: request handlers, schedules, queues, alarms."""

from __future__ import annotations

from auditor.program import Module, Program
from auditor.values import Binding, Scope

REQUEST = frozenset({"fetch", "on_fetch"})
SCHEDULE = frozenset({"scheduled", "on_scheduled", "alarm"})
ROUTE_METHODS = frozenset({"get", "post", "put", "delete", "patch", "all", "on", "use", "options", "head"})


def _is_route_registration(program: Program, module: Module, call: object) -> bool:
    callee = call.callee  # type: ignore[attr-defined]
    if callee.kind != "member" or callee.name not in ROUTE_METHODS or callee.target is None:
        return False
    receiver = program.resolver.resolve(callee.target, Scope(module.key, call.function))  # type: ignore[attr-defined]
    return not isinstance(receiver, Binding)


def entry_kind(program: Program, module: Module, function: str) -> str | None:
    """"request" or "schedule" when this function is itself such a handler."""
    name = function.rsplit(".", 1)[-1]
    found = module.functions.get(function)
    if name in REQUEST or (found is not None and found.name and found.name.startswith("onRequest")
                           and found.parent is None):
        return "request"
    if name in SCHEDULE:
        return "schedule"
    holder = program.closure_calls.get((module.key, function))
    if holder is not None and _is_route_registration(program, *holder):
        return "request"
    return None


def reached_from(program: Program, module: Module, function: str | None, kind: str) -> bool:
    """Is this code run by a handler of `kind`, through any chain of callers and closures?"""
    todo = [(module, fid) for fid in module.enclosing(function)]
    seen: set[tuple[str, str]] = set()
    while todo:
        current, fid = todo.pop()
        if (current.key, fid) in seen:
            continue
        seen.add((current.key, fid))
        if entry_kind(program, current, fid) == kind:
            return True
        for caller, call in program.resolver.callers(current.key, fid):
            todo.extend((caller, f) for f in caller.enclosing(call.function))
        holder = program.closure_calls.get((current.key, fid))
        if holder is not None:
            todo.extend((holder[0], f) for f in holder[0].enclosing(holder[1].function))
    return False
