"""Workers KV questions the rules ask of a Program: which calls are KV operations, and
who decides whether a put expires."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from auditor.callgraph import reached_from
from auditor.facts import Call, Expr
from auditor.loops import ITERATION_METHODS
from auditor.program import Module, Program
from auditor.values import (
    Argument,
    Binding,
    Constant,
    FunctionRef,
    Missing,
    ObjectValue,
    Parameter,
    Scope,
    Unknown,
    Value,
)

KV_METHODS = frozenset({"get", "getWithMetadata", "put", "delete", "list"})
TTL_KEYS = frozenset({"expirationTtl", "expiration"})
MAX_CHAIN = 8


@dataclass(frozen=True)
class KvOperation:
    module: Module
    call: Call
    method: str  # get, getWithMetadata, put, delete, list
    binding: str | None  # None: a KVNamespace whose binding the code does not name

    @property
    def scope(self) -> Scope:
        return Scope(self.module.key, self.call.function)


def kv_operations(program: Program) -> list[KvOperation]:
    """Every call on a KV namespace: the receiver must resolve to a KV binding (or a value
    typed KVNamespace); a Map, the Cache API, R2 or DO storage never does. Found once per
    Program: nine rules ask."""
    if "kv_operations" not in program.memo:
        program.memo["kv_operations"] = _find_kv_operations(program)
    return cast("list[KvOperation]", program.memo["kv_operations"])


def _find_kv_operations(program: Program) -> list[KvOperation]:
    resolver = program.resolver
    found = []
    for module, call in program.all_calls():
        callee = call.callee
        if callee.kind != "member" or callee.name not in KV_METHODS or callee.target is None:
            continue
        receiver = resolver.resolve(callee.target, Scope(module.key, call.function))
        if isinstance(receiver, Parameter):
            receiver = _bound_by_a_caller(program, receiver)
        if isinstance(receiver, Binding) and receiver.kind == "kv_namespaces":
            found.append(KvOperation(module, call, callee.name, receiver.name))
    return found


def _bound_by_a_caller(program: Program, parameter: Parameter) -> Binding | Unknown:
    """A KV namespace handed to a helper as an argument: what its callers pass."""
    resolver = program.resolver
    module = program.modules[parameter.module]
    function = module.functions[parameter.function]
    param = next(p for p in function.params if p.index == parameter.index)
    for caller_module, call in resolver.callers(parameter.module, parameter.function):
        callee = resolver.callee(caller_module, call)
        if not isinstance(callee, FunctionRef):
            continue
        bound = resolver.bind(callee, call, Scope(caller_module.key, call.function))
        value = resolver.parameter(module, function, param, bound, 0)
        if isinstance(value, Binding):
            return value
    return Unknown("no caller passes a KV namespace")


# -- who decides the TTL of a put ----------------------------------------------------------

SET, ABSENT, UNKNOWN = "set", "absent", "unknown"


@dataclass(frozen=True)
class Depends:
    """The TTL depends on what callers pass for this parameter."""

    parameter: Parameter


TtlState = str | Depends


@dataclass(frozen=True)
class TtlDecision:
    """Where the options of a put are decided: at the put (no chain) or at the last call
    of `chain`, the outermost caller that chose them."""

    operation: KvOperation
    chain: tuple[tuple[Module, Call], ...]
    state: str  # SET, ABSENT or UNKNOWN


def options_of(call: Call) -> tuple[Expr | None, tuple[tuple[str, Expr], ...]]:
    """The options argument of a put: the third positional one, or Python keywords."""
    options = call.args[2] if len(call.args) > 2 else None
    return options, call.keywords


def ttl_decisions(program: Program, operation: KvOperation) -> Iterator[TtlDecision]:
    """Follow a put's options up through the wrappers that forward them."""
    options, keywords = options_of(operation.call)

    def visit(scope: Scope, chain: tuple[tuple[Module, Call], ...]) -> Iterator[TtlDecision]:
        state = _ttl(program, options, keywords, scope, 0)
        if not isinstance(state, Depends):
            yield TtlDecision(operation, chain, state)
            return
        callers = program.resolver.callers(state.parameter.module, state.parameter.function)
        if not callers or len(chain) >= MAX_CHAIN:
            yield TtlDecision(operation, chain, UNKNOWN)
            return
        for module, call in callers:
            callee = program.resolver.callee(module, call)
            if any(call is seen for _, seen in chain) or not isinstance(callee, FunctionRef):
                continue  # a recursive wrapper, or a class constructed
            bound = program.resolver.bind(callee, call, Scope(module.key, call.function))
            rebound = _rebind(program, scope, state.parameter.function, bound)
            yield from visit(rebound, (*chain, (module, call)))

    yield from visit(operation.scope, ())


def _rebind(program: Program, scope: Scope, function: str, bound: Scope) -> Scope:
    """Give every scope inside `function` (the put's, and those of forwarded arguments)
    the arguments of the call just climbed to."""
    module = program.modules[scope.module]
    bindings = tuple((key, Argument(arg.expr, _rebind(program, arg.scope, function, bound), arg.keyword_args))
                     for key, arg in scope.bindings)
    if bound.module == scope.module and function in module.enclosing(scope.function) \
            and scope.argument(function, 0) is None:
        bindings = bindings + bound.bindings
    return Scope(scope.module, scope.function, bindings)


def _ttl(program: Program, options: Expr | None, keywords: tuple[tuple[str, Expr], ...],
         scope: Scope, depth: int) -> TtlState:
    states = []
    for name, value in keywords:
        if name in TTL_KEYS:
            return SET
        if name == "**":
            states.append(_ttl_of(program, value, scope, depth))
    if options is None:
        return _combine(states) if states else ABSENT
    states.append(_ttl_of(program, options, scope, depth))
    return _combine(states)


def _combine(states: list[TtlState]) -> TtlState:
    if SET in states:
        return SET
    for state in states:
        if isinstance(state, Depends):
            return state
    return UNKNOWN if UNKNOWN in states else ABSENT


def _ttl_of(program: Program, expr: Expr, scope: Scope, depth: int) -> TtlState:
    if depth > 16:
        return UNKNOWN
    if expr.kind == "object":
        return _ttl_of_object(program, expr, scope, depth)
    if expr.kind == "literal" and expr.value is None:
        return ABSENT  # undefined / null / None
    if expr.kind == "binary" and expr.operator in ("??", "||") and len(expr.args) == 2:
        left = _ttl_of(program, expr.args[0], scope, depth + 1)
        if left == ABSENT:
            return _ttl_of(program, expr.args[1], scope, depth + 1)
        return left
    value = program.resolver.resolve(expr, scope)
    if isinstance(value, ObjectValue):
        return _ttl_of_object(program, value.expr, value.scope, depth)
    if isinstance(value, Missing):
        return ABSENT
    if isinstance(value, Parameter):
        return Depends(value)
    return UNKNOWN


def _ttl_of_object(program: Program, expr: Expr, scope: Scope, depth: int) -> TtlState:
    states: list[TtlState] = []
    for prop in expr.props:
        if prop.spread:
            states.append(_ttl_of(program, prop.value, scope, depth + 1))
        elif prop.key in TTL_KEYS:
            return SET
        elif prop.key is None:
            states.append(UNKNOWN)  # a computed key could be anything
    return _combine(states)


def option_value(program: Program, operation: KvOperation, name: str) -> Value:
    """The value of one option of a KV call (`expirationTtl` of a put, `cacheTtl` of a
    get), from its options object or Python keyword, as far as it is constant."""
    call = operation.call
    for keyword, value in call.keywords:
        if keyword == name:
            return program.resolver.resolve(value, operation.scope)
    position = 2 if operation.method == "put" else 1
    if len(call.args) <= position:
        return Missing()
    options = program.resolver.resolve(call.args[position], operation.scope)
    if isinstance(options, ObjectValue):
        return program.resolver.member(options, name, 0)
    return Unknown("options not an object")


# -- keys built from a clock or a random value ----------------------------------------------

# Callee texts whose result differs on every call.
VOLATILE_CALLS = frozenset({
    "Date.now", "crypto.randomUUID", "Math.random", "performance.now", "nanoid", "uuid", "uuidv4",
    "time.time", "time.time_ns", "time.monotonic", "uuid.uuid4", "uuid.uuid1", "datetime.now",
    "datetime.utcnow", "datetime.datetime.now", "datetime.datetime.utcnow", "secrets.token_hex",
    "secrets.token_urlsafe", "random.random", "date.today",
})
# Parameter names that carry a time: a key built from one is a key per moment.
TIME_PARAMETER = ("timestamp", "ts", "time", "now", "date", "stamp", "epoch")


def volatile_source(program: Program, expr: Expr | None, scope: Scope, depth: int = 0) -> str | None:
    """The clock or random call a value is built from (`Date.now()`), if any."""
    if expr is None or depth > 12:
        return None
    if expr.kind in ("call", "new") and expr.target is not None:
        callee = expr.target
        if expr.kind == "new" and callee.kind == "name" and callee.name == "Date":
            return "`new Date()`"
        if callee.text in VOLATILE_CALLS:
            return f"`{callee.text}()`"
        target = program.resolver.resolve(callee, scope)
        if isinstance(target, FunctionRef) and expr.kind == "call":
            bound = program.resolver.bind(target, expr, scope)
            module = program.modules[target.module]
            for ret in module.returns.get(target.function, ()):
                found = volatile_source(program, ret.value, bound, depth + 1)
                if found:
                    return found
            return None
        for part in (callee.target, *expr.args):
            found = volatile_source(program, part, scope, depth + 1)
            if found:
                return found
        return None
    if expr.kind == "name" and expr.name is not None:
        definitions, parameter = program.resolver.definitions(expr.name, scope)
        if parameter is not None and parameter.name and \
                parameter.name.lower().endswith(TIME_PARAMETER):
            return f"the `{parameter.name}` parameter"
        for value, where in definitions:
            found = volatile_source(program, value, where, depth + 1)
            if found:
                return found
        return None
    if expr.kind == "member":
        return volatile_source(program, expr.target, scope, depth + 1)
    for part in (*expr.args, expr.target):
        found = volatile_source(program, part, scope, depth + 1)
        if found:
            return found
    return None


# -- expiry sweeps: listed keys deleted one by one -----------------------------------------

ARRAY_STEPS = frozenset({"filter", "map", "slice", "flatMap", "concat", "sort", "reverse"})


def listed_by(program: Program, expr: Expr | None, scope: Scope, depth: int = 0) -> Call | Expr | None:
    """The KV `list` call a collection comes from (`keys` of `await env.X.list()`,
    `page.keys`, `keys.filter(…)`), if it comes from one."""
    if expr is None or depth > 12:
        return None
    if expr.kind in ("await", "spread") or (expr.kind == "member" and expr.target is not None):
        return listed_by(program, expr.target, scope, depth + 1)
    if expr.kind == "call" and expr.target is not None and expr.target.kind == "member":
        callee = expr.target
        if callee.name == "list" and callee.target is not None:
            receiver = program.resolver.resolve(callee.target, scope)
            if isinstance(receiver, Binding) and receiver.kind == "kv_namespaces":
                return expr
        if callee.name in ARRAY_STEPS:
            return listed_by(program, callee.target, scope, depth + 1)
        return None
    if expr.kind == "name" and expr.name is not None:
        definitions, _ = program.resolver.definitions(expr.name, scope)
        for value, where in definitions:
            found = listed_by(program, value, where, depth + 1)
            if found is not None:
                return found
    return None


def per_key_collection(program: Program, op: KvOperation) -> tuple[Expr, Scope] | None:
    """The collection an operation runs once per element of: a loop's iterable, or the
    receiver of the map/forEach its callback is handed to."""
    for loop in reversed(op.call.loops):
        if loop.iterable is not None:
            return loop.iterable, op.scope
    module, function = op.module, op.module.functions.get(op.call.function or "")
    while function is not None and function.kind in ("arrow", "expression", "lambda"):
        holder = program.closure_calls.get((module.key, function.id))
        if holder is None:
            return None
        module, call = holder
        callee = call.callee
        if callee.kind == "member" and callee.name in ITERATION_METHODS and callee.target is not None:
            return callee.target, Scope(module.key, call.function)
        for loop in reversed(call.loops):
            if loop.iterable is not None:
                return loop.iterable, Scope(module.key, call.function)
        function = module.functions.get(call.function or "")
    return None


@dataclass(frozen=True)
class Sweep:
    """A delete run once per listed key that emulates expiry (KV101): `source` is the list."""

    source: Call | Expr
    aged: bool  # decided by an age test; else unconditional in a scheduled handler


def expiry_sweep(program: Program, op: KvOperation) -> Sweep | None:
    """The sweep a KV delete is part of: it runs once per key of a KV `list`, and an age
    test decides it or it runs every time from a scheduled handler. A purge on request
    (no age test) is an invalidation, not a sweep. KV201 and KV102 leave these to KV101."""
    if op.method != "delete":
        return None
    collection = per_key_collection(program, op)
    if collection is None:
        return None
    expr, scope = collection
    source = listed_by(program, expr, scope)
    if source is None:
        return None
    aged = filtered_by_age(program, expr, scope) or any(
        volatile_source(program, c.test, op.scope) for c in op.call.conditions if c.test is not None)
    if not aged and (op.call.conditions
                     or not reached_from(program, op.module, op.call.function, "schedule")):
        return None
    return Sweep(source, aged)


def filtered_by_age(program: Program, expr: Expr | None, scope: Scope, depth: int = 0) -> bool:
    """Does the collection pass through a `.filter(…)` whose test reads a clock?"""
    if expr is None or depth > 12:
        return False
    if expr.kind == "call" and expr.target is not None and expr.target.kind == "member":
        if expr.target.name == "filter":
            for arg in expr.args:
                if arg.kind == "function" and arg.function is not None:
                    module = program.modules[scope.module]
                    for ret in module.returns.get(arg.function, ()):
                        if volatile_source(program, ret.value, scope.inside(arg.function)):
                            return True
        return filtered_by_age(program, expr.target.target, scope, depth + 1)
    if expr.kind in ("await", "member") and expr.target is not None:
        return filtered_by_age(program, expr.target, scope, depth + 1)
    if expr.kind == "name" and expr.name is not None:
        definitions, _ = program.resolver.definitions(expr.name, scope)
        return any(filtered_by_age(program, value, where, depth + 1) for value, where in definitions)
    return False


# -- constant keys ----------------------------------------------------------------------------


def constant_key(program: Program, expr: Expr | None, scope: Scope, depth: int = 0) -> str | Parameter | None:
    """The key's text when it is the same on every call; a Parameter when that is up to
    the callers; None when it varies (or cannot be told)."""
    if expr is None or depth > 12:
        return None
    if expr.kind == "literal":
        return expr.value if isinstance(expr.value, str) else None
    if expr.kind == "template":
        parts: list[str] = []
        for index, arg in enumerate(expr.args):
            value = constant_key(program, arg, scope, depth + 1)
            if not isinstance(value, str):
                return value
            parts += [expr.strings[index], value]
        return "".join(parts) + expr.strings[-1]
    if expr.kind == "binary" and expr.operator in ("??", "||", "or") and len(expr.args) == 2:
        # `x ?? "AAPL"` is a default: the key is constant only when the left side is.
        first = constant_key(program, expr.args[0], scope, depth + 1)
        return first if isinstance(first, str) and first else None
    if expr.kind == "binary" and expr.operator == "+" and len(expr.args) == 2:
        left, right = (constant_key(program, a, scope, depth + 1) for a in expr.args)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        return left if isinstance(left, Parameter) else right if isinstance(right, Parameter) else None
    if expr.kind == "name" and expr.name is not None:
        definitions, parameter = program.resolver.definitions(expr.name, scope)
        if parameter is not None:
            module = program.modules[scope.module]
            owner = next(f for f in module.enclosing(scope.function)
                         if parameter in module.functions[f].params)
            return Parameter(scope.module, owner, parameter.index)
        if len(definitions) == 1:
            return constant_key(program, definitions[0][0], definitions[0][1], depth + 1)
        return None
    resolved = program.resolver.resolve(expr, scope)
    return resolved.value if isinstance(resolved, Constant) and isinstance(resolved.value, str) else None
