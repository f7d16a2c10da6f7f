"""Which bindings a Worker's code reads, and whether it can be known at all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.facts import Expr
from auditor.program import Module, Program
from auditor.values import (
    Binding,
    ClassRef,
    Constant,
    FunctionRef,
    Instance,
    ObjectValue,
    Parameter,
    Scope,
    WorkerEnv,
)

# A base that is certainly some other object: `const env = { mode: "test" }`, `tenant.env`.
NOT_THE_ENV = (ObjectValue, Constant, Instance, Binding, ClassRef, FunctionRef)


@dataclass(frozen=True)
class EnvUsage:
    names: frozenset[str]
    # Why every binding may be read, when the code hides it: a computed `env[name]`, the
    # env handed to a package, a default export built by a package. None: all is seen.
    opaque: str | None


def _expressions(module: Module) -> Iterator[tuple[Expr, Scope]]:
    facts = module.facts
    for call in facts.calls:
        scope = Scope(module.key, call.function)
        yield call.callee, scope
        for arg in (*call.args, *(v for _, v in call.keywords)):
            yield arg, scope
    for declaration in facts.declarations:
        if declaration.value is not None:
            yield declaration.value, Scope(module.key, declaration.function)
    for ret in facts.returns:
        if ret.value is not None:
            yield ret.value, Scope(module.key, ret.function)


def _walk(expr: Expr) -> Iterator[Expr]:
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.args)
        stack.extend(value for _, value in node.keywords)
        stack.extend(prop.value for prop in node.props)
        if node.target is not None:
            stack.append(node.target)


def env_usage(program: Program) -> EnvUsage:
    resolver = program.resolver
    names: set[str] = set()
    for module in program.modules.values():
        for access in module.facts.env_accesses:
            if access.base.text == "process.env":
                names.add(access.name)  # nodejs_compat fills process.env with vars and secrets
                continue
            base = resolver.resolve(access.base, Scope(module.key, access.function))
            if not isinstance(base, NOT_THE_ENV):
                names.add(access.name)
        names.update(_destructured_parameters(program, module))
    return EnvUsage(frozenset(names), _opaque(program))


def _destructured_parameters(program: Program, module: Module) -> Iterator[str]:
    """`function captionFor({ AI }: CaptionEnv)` called with the env reads `AI`."""
    resolver = program.resolver
    for function in module.functions.values():
        for param in function.params:
            if not param.fields:
                continue
            value = resolver.parameter(module, function, param, Scope(module.key, function.id), 0)
            if isinstance(value, Parameter):
                value = next((v for v in _passed(program, module, function.id, param.index)
                              if isinstance(v, WorkerEnv)), value)
            if isinstance(value, WorkerEnv):
                yield from (prop for prop, _ in param.fields)


def _passed(program: Program, module: Module, function: str, index: int) -> Iterator[object]:
    resolver = program.resolver
    for caller, call in resolver.callers(module.key, function):
        callee = resolver.callee(caller, call)
        if isinstance(callee, FunctionRef):
            bound = resolver.bind(callee, call, Scope(caller.key, call.function))
            argument = bound.argument(function, index)
            if argument is not None and argument.expr is not None:
                yield resolver.resolve(argument.expr, argument.scope)


def _opaque(program: Program) -> str | None:
    resolver = program.resolver
    entry = program.modules.get(program.entry or "")
    if entry is None:
        return "the main module is not among the sources"
    if not entry.facts.exports:
        return "a service-worker Worker reads its bindings as globals"
    for export in entry.exports.get("default", ()):
        if export.value is not None and export.value.kind in ("new", "call"):
            made = resolver.resolve(export.value, Scope(entry.key, None))
            if not isinstance(made, (Instance, ObjectValue)):
                return f"the default export is built by `{export.value.text}`"
    for module in program.modules.values():
        for expr, scope in _expressions(module):
            for node in _walk(expr):
                if node.kind == "index" and node.target is not None and node.args \
                        and node.args[0].kind != "literal" \
                        and isinstance(resolver.resolve(node.target, scope), WorkerEnv):
                    return f"`{node.text}` reads a binding by a computed name"
        for call in module.facts.calls:
            scope = Scope(module.key, call.function)
            if any(isinstance(resolver.resolve(arg, scope), WorkerEnv) for arg in call.args):
                callee = resolver.resolve(call.callee, scope)
                if not isinstance(callee, (FunctionRef, ClassRef)):
                    return f"the env is handed to `{call.callee.text}`"
    return None
