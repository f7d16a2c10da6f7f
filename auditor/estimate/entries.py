"""The Worker's entry points: which handlers run, for which routes, crons, queues and alarms.

Routes come from router registrations (`app.get("/x", …)`, Hono, itty) or from the
comparisons a hand-written `fetch` makes on `url.pathname` (`=== "/x"`, `startsWith("/x")`)
and `request.method`. Code before the routing runs for every route, because every route's
walk starts at the top of `fetch`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from auditor.estimate.walk import RUNS_WHEN_FALSE, RUNS_WHEN_TRUE, Walker, subject_of
from auditor.facts import Call, Condition, Expr
from auditor.program import Module, Program
from auditor.resolve import ENTRYPOINT_BASES
from auditor.values import Binding, FunctionRef, Scope

HANDLER_NAMES = {"fetch": ("fetch", "on_fetch"), "scheduled": ("scheduled", "on_scheduled"),
                 "queue": ("queue", "on_queue")}
ROUTER_METHODS = frozenset({"get", "post", "put", "delete", "patch", "all", "options", "head"})


@dataclass(frozen=True)
class Handler:
    module: Module
    function: str


@dataclass(frozen=True)
class RouteEntry:
    """One route: `method` "*" for any; `path` ends in `*` for a prefix. Router routes
    carry their handlers and the middleware before them; a hand-written `fetch` is walked
    whole, with the route deciding its path comparisons."""

    method: str
    path: str
    handlers: tuple[Handler, ...] = field(default=(), compare=False)
    line: int | None = None
    module: Module | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        return self.path if self.method == "*" else f"{self.method} {self.path}"


def handlers(program: Program, kind: str) -> list[Handler]:
    """The module Worker's handler of `kind` (`export default { fetch }`, a default
    WorkerEntrypoint class, Python `on_fetch`), in the `main` module when there is one."""
    names = HANDLER_NAMES[kind]
    modules = list(program.modules.values())
    if program.entry in program.modules:
        modules = [program.modules[program.entry]]
    found = []
    for module in modules:
        for function in module.functions.values():
            if function.name not in names:
                continue
            top_level = function.parent is None and function.class_name is None
            if (top_level and function.id.startswith("default.")) \
                    or (function.class_name and _entrypoint_class(module, function.class_name)) \
                    or (top_level and module.language == "python" and function.name.startswith("on_")):
                found.append(Handler(module, function.id))
    return found


def _entrypoint_class(module: Module, name: str) -> bool:
    cls = module.classes.get(name)
    base = cls.extends if cls is not None else None
    return base is not None and (base.name or base.text) in ENTRYPOINT_BASES


def router_routes(program: Program) -> list[RouteEntry]:
    """Routes registered on a router, each with the middleware registered before it."""
    resolver = program.resolver
    routes: list[RouteEntry] = []
    for module in program.modules.values():
        middleware: list[tuple[str, Handler]] = []
        for call in sorted((c for calls in module.calls.values() for c in calls),
                           key=lambda c: (c.span.line, c.span.column)):
            callee = call.callee
            if callee.kind != "member" or callee.target is None or callee.name is None:
                continue
            if callee.name not in ROUTER_METHODS and callee.name != "use":
                continue
            receiver = resolver.resolve(callee.target, Scope(module.key, call.function))
            if isinstance(receiver, Binding):
                continue
            path = call.args[0].value if call.args and call.args[0].kind == "literal" else None
            if callee.name != "use" and not isinstance(path, str):
                continue
            found = [h for arg in call.args for h in _handler(program, module, call.function, arg)]
            if not found:
                continue
            if callee.name == "use":
                middleware.extend((path if isinstance(path, str) else "*", h) for h in found)
                continue
            assert isinstance(path, str)
            method = "*" if callee.name == "all" else callee.name.upper()
            before = tuple(h for pattern, h in middleware if _pattern_covers(pattern, path))
            routes.append(RouteEntry(method, path, (*before, *found), call.span.line, module))
    return routes


def _handler(program: Program, module: Module, function: str | None, arg: Expr) -> Iterator[Handler]:
    if arg.kind == "function" and arg.function is not None:
        yield Handler(module, arg.function)
        return
    if arg.kind in ("name", "member"):
        value = program.resolver.resolve(arg, Scope(module.key, function))
        if isinstance(value, FunctionRef) and value.module in program.modules:
            yield Handler(program.modules[value.module], value.function)


def _pattern_covers(pattern: str, path: str) -> bool:
    """Does a middleware pattern (`*`, `/api/*`, `/api`) apply to a route path?"""
    if pattern in ("*", "/*"):
        return True
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return pattern == path


def code_routes(program: Program, handler: Handler) -> list[RouteEntry]:
    """Routes a hand-written `fetch` tells apart by comparing the path (and method), in the
    handler and every function it reaches. A path whose code tests the method is one route
    per method; the code under the path alone is shared by those routes."""
    routes: dict[tuple[str, str], RouteEntry] = {}
    other_methods = set()  # paths where code runs for the methods the tests exclude
    for module, function in reachable(program, handler):
        for call in module.calls.get(function, ()):
            method, path, excluded = "*", None, False
            for condition in call.conditions:
                for subject, value in _constraints(condition):
                    if subject == "method":
                        method = value.upper()
                    elif subject == "not-method":
                        excluded = True
                    else:
                        path = value
            if path is None:
                continue
            if (method, path) not in routes:
                routes[(method, path)] = RouteEntry(method, path, (), call.span.line, module)
            if method == "*" and excluded and _does_work(program, module, call):
                other_methods.add(path)
    # Code under the path but before the method tests (parsing an id) is part of each
    # method's route; the path with any other method is a route only if it does work.
    with_methods = {path for method, path in routes if method != "*"}
    found = [r for (method, path), r in routes.items()
             if method != "*" or path not in with_methods or path in other_methods]
    return sorted(found, key=lambda r: (r.path, r.method))


def _does_work(program: Program, module: Module, call: Call) -> bool:
    """A call that can reach storage: one on a binding or on a function of the project."""
    callee = call.callee
    if callee.kind == "member" and callee.target is not None:
        receiver = program.resolver.resolve(callee.target, Scope(module.key, call.function))
        if isinstance(receiver, Binding):
            return True
    return isinstance(program.resolver.callee(module, call), FunctionRef)


def _constraints(condition: Condition) -> list[tuple[str, str]]:
    """The path and method a condition requires of the request for the code under it to run."""
    if condition.kind not in RUNS_WHEN_TRUE and condition.kind not in RUNS_WHEN_FALSE:
        return []
    return _required(condition.test, condition.kind in RUNS_WHEN_TRUE)


def _required(test: Expr | None, truth: bool) -> list[tuple[str, str]]:
    if test is None:
        return []
    if test.kind == "unary" and test.operator in ("!", "not") and test.target is not None:
        return _required(test.target, not truth)
    if test.kind == "binary" and len(test.args) == 2 and test.operator in ("===", "==", "!==", "!="):
        left, right = test.args
        if right.kind != "literal":
            left, right = right, left
        subject = subject_of(left)
        if subject not in ("path", "method") or right.kind != "literal" or not isinstance(right.value, str):
            return []
        if (test.operator in ("===", "==")) != truth:
            return [("not-method", right.value)] if subject == "method" else []
        return [(subject, right.value)]
    if test.kind == "binary" and test.operator in ("&&", "and") and truth:
        return [found for side in test.args for found in _required(side, True)]
    if test.kind == "binary" and test.operator in ("||", "or") and not truth:
        return [found for side in test.args for found in _required(side, False)]
    if truth and test.kind == "call" and test.target is not None and test.target.kind == "member" \
            and test.target.name in ("startsWith", "startswith") and len(test.args) == 1 \
            and test.args[0].kind == "literal" and isinstance(test.args[0].value, str) \
            and subject_of(test.target.target) == "path":
        return [("path", test.args[0].value + "*")]
    return []


def reachable(program: Program, handler: Handler) -> list[tuple[Module, str]]:
    """The handler and every project function (and closure) it can call."""
    resolver = program.resolver
    todo = [(handler.module, handler.function)]
    seen: dict[tuple[str, str], tuple[Module, str]] = {}
    while todo:
        module, function = todo.pop()
        if (module.key, function) in seen or function not in module.functions:
            continue
        seen[(module.key, function)] = (module, function)
        for fid, found in module.functions.items():
            if found.parent == function:
                todo.append((module, fid))
        for call in module.calls.get(function, ()):
            target = resolver.callee(module, call)
            if isinstance(target, FunctionRef) and target.module in program.modules:
                todo.append((program.modules[target.module], target.function))
    return list(seen.values())


def alarm_classes(program: Program, walker: Walker) -> list[tuple[Module, str]]:
    """Durable Object classes bound in the configuration that have an `alarm` method."""
    found = []
    for class_name in sorted({c for c in walker.do_classes.values() if isinstance(c, str)}):
        for module in program.modules.values():
            if class_name in module.classes and f"{class_name}.alarm" in module.functions:
                found.append((module, class_name))
    return found
