"""Loops the Program sees around a call, and the functions that reach KV writes.

A closure passed to `forEach`/`map`/… runs once per element; a closure passed to any
other call written inside a loop runs in that loop too. Both are loops for the rules,
though the frontend, which works per function, sees none.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from auditor.facts import Call
from auditor.program import Module, Program
from auditor.values import FunctionRef, Scope

if TYPE_CHECKING:
    from auditor.kv import KvOperation

ITERATION_METHODS = frozenset({"forEach", "map", "flatMap", "filter", "reduce", "reduceRight",
                               "some", "every", "find", "findIndex"})
CLOSURE_KINDS = frozenset({"arrow", "expression", "lambda"})


def in_loop(program: Program, module: Module, call: Call) -> bool:
    """True when `call` runs once per iteration of some loop around it."""
    seen = set()
    while True:
        if call.loops:
            return True
        function = module.functions.get(call.function or "")
        if function is None or function.kind not in CLOSURE_KINDS or function.id in seen:
            return False
        seen.add(function.id)
        holder = program.closure_calls.get((module.key, function.id))
        if holder is None:
            return False
        module, call = holder
        callee = call.callee
        if callee.kind == "member" and callee.name in ITERATION_METHODS:
            return True


def writers(program: Program, operations: list[KvOperation]) -> dict[tuple[str, str], set[str]]:
    """Functions that write to KV when called, directly, in closures they run, or through
    the functions they call: (module, function id) -> the bindings written."""
    written: dict[tuple[str, str], set[str]] = defaultdict(set)
    for op in operations:
        for fid in op.module.enclosing(op.call.function):
            written[(op.module.key, fid)].add(op.binding or "KV")
            if op.module.functions[fid].kind not in CLOSURE_KINDS:
                break
    changed = True
    calls = [(m, c, program.resolver.resolve(c.callee, Scope(m.key, c.function)))
             for m, c in program.all_calls()]
    while changed:
        changed = False
        for module, call, callee in calls:
            if not isinstance(callee, FunctionRef) or call.function is None:
                continue
            inner = written.get((callee.module, callee.function))
            if not inner:
                continue
            for fid in module.enclosing(call.function):
                before = len(written[(module.key, fid)])
                written[(module.key, fid)] |= inner
                changed |= len(written[(module.key, fid)]) != before
                if module.functions[fid].kind not in CLOSURE_KINDS:
                    break
    return written
