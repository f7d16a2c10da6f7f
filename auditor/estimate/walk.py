"""Storage operations per invocation: the call graph walked from one entry point.

Each call is asked what it does once (a KV operation, a Durable Object request or storage
row, or a project function walked in turn with this call's arguments bound), then scaled:
by its loops (a bound read from the code, else the `loop-iterations` assumption) and by
its conditions (an operation under a condition the trigger does not decide happens on
some paths only, so its minimum is 0). Conditions on `controller.cron`, `url.pathname` and
`request.method` are decided per trigger: the sweep under `if (event.cron === "*/30 …")`
runs for that cron only. A function reached along two paths is counted once per path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditor.config.model import Environment
from auditor.estimate.model import ONE, Range
from auditor.facts import Call, Condition, Expr, Loop
from auditor.kv import kv_operations
from auditor.loops import ITERATION_METHODS
from auditor.program import Module, Program
from auditor.values import (
    Binding,
    ClassRef,
    Constant,
    DurableObjectStorage,
    DurableObjectStub,
    FunctionRef,
    ObjectValue,
    Scope,
)

MAX_DEPTH = 24
KV_CATEGORY = {"get": "kv.reads", "getWithMetadata": "kv.reads", "put": "kv.writes",
               "delete": "kv.deletes", "list": "kv.lists"}
STORAGE_CATEGORY = {"get": "do.rows_read", "list": "do.rows_read", "getAlarm": "do.rows_read",
                    "put": "do.rows_written", "delete": "do.rows_written",
                    "deleteAll": "do.rows_written", "setAlarm": "do.rows_written",
                    "deleteAlarm": "do.rows_written"}
# Conditions under which a fact runs, and the truth of their test that lets it run.
RUNS_WHEN_TRUE = frozenset({"if", "case", "ternary-then", "and"})
RUNS_WHEN_FALSE = frozenset({"else", "ternary-else", "guard", "or"})
EQUALS = frozenset({"===", "=="})
DIFFERS = frozenset({"!==", "!="})


@dataclass(frozen=True)
class Invocation:
    """What one trigger decides about the code it runs: the cron that fired, or the
    route of the request (`path` ends in `*` for a prefix), and the queue batch size."""

    cron: str | None = None
    method: str | None = None
    path: str | None = None
    batch_size: int | None = None


@dataclass(frozen=True)
class SiteKey:
    module: str
    line: int
    column: int
    end_line: int
    end_column: int
    op: str
    category: str
    binding: str | None


@dataclass
class Counts:
    """Operations for one run: per site (each site's own minimum and maximum), with the
    first chain of functions that reached it, and per category along the paths (`totals`:
    the most a single run makes, so two writes on either side of an `if` count once)."""

    ranges: dict[SiteKey, Range] = field(default_factory=dict)
    via: dict[SiteKey, tuple[str, ...]] = field(default_factory=dict)
    totals: dict[str, Range] = field(default_factory=dict)

    def add(self, other: Counts, factor: Range, optional: bool) -> None:
        for key, count in other.ranges.items():
            scaled = count * factor
            if optional:
                scaled = scaled.optional()
            self.ranges[key] = self.ranges.get(key, Range(0, 0)) + scaled
            self.via.setdefault(key, other.via.get(key, ()))
        self.totals = _sum(self.totals, _scale(other.totals, factor, optional))


Totals = dict[str, Range]
# A condition a call runs under, as the paths see it: the test's position and the truth it needs.
Branch = tuple[tuple[object, ...], bool]
RULED_OUT = object()  # a condition the trigger decides against the call
_UNDECIDED = object()
# The conditions a call runs under and what it makes.
Path = tuple[tuple[Branch, ...], Totals]


def _scale(totals: Totals, factor: Range, optional: bool = False) -> Totals:
    out = {}
    for category, count in totals.items():
        scaled = count * factor
        out[category] = scaled.optional() if optional else scaled
    return out


def _sum(left: Totals, right: Totals) -> Totals:
    out = dict(left)
    for category, count in right.items():
        out[category] = out.get(category, Range(0, 0)) + count
    return out


def _either(left: Totals, right: Totals) -> Totals:
    """One of two exclusive paths: the fewest of either and the most of either."""
    out = {}
    for category in {*left, *right}:
        a, b = left.get(category, Range(0, 0)), right.get(category, Range(0, 0))
        out[category] = Range(min(a.min, b.min), max(a.max, b.max))
    return out


def _along_paths(items: list[Path]) -> Totals:
    """Totals of calls under nested conditions: calls on opposite sides of one test never
    run together, so each test contributes the larger of its two sides."""
    total: Totals = {}
    groups: dict[tuple[object, ...], tuple[list[Path], list[Path]]] = {}
    for branches, totals in items:
        if not branches:
            total = _sum(total, totals)
            continue
        (test, truth), rest = branches[0], branches[1:]
        sides = groups.setdefault(test, ([], []))
        sides[0 if truth else 1].append((rest, totals))
    for when_true, when_false in groups.values():
        total = _sum(total, _either(_along_paths(when_true), _along_paths(when_false)))
    return total


@dataclass
class LoopBounds:
    """The loops the walk met whose bound it could not read, for the assumptions."""

    default: float
    unread: set[tuple[str, int]] = field(default_factory=set)
    pages: set[tuple[str, int]] = field(default_factory=set)  # loops over list() pages


class Walker:
    def __init__(self, program: Program, environment: Environment, loops: LoopBounds) -> None:
        self.program = program
        self.environment = environment
        self.loops = loops
        self.kv = {(op.module.key, id(op.call)): op for op in kv_operations(program)}
        self.vars = {b.name: b.fields.get("value") for b in environment.bindings_of("vars")}
        self.do_classes = {b.name: b.fields.get("class_name")
                           for b in environment.bindings_of("durable_objects")}
        # Per trigger: id(condition) -> its branch, None or RULED_OUT (see _branches).
        self._decided: dict[Invocation, dict[int, object]] = {}

    # -- entry points ----------------------------------------------------------------------

    def function(self, module: Module, function: str, scope: Scope, run: Invocation,
                 stack: tuple[tuple[str, str], ...] = ()) -> Counts:
        """Operations of one run of `function` (with `scope`'s arguments bound)."""
        counts = Counts()
        key = (module.key, function)
        if key in stack or len(stack) >= MAX_DEPTH:
            return counts
        stack = (*stack, key)
        paths: list[Path] = []
        for call in module.calls.get(function, ()):
            branches = self._branches(call.conditions, scope, run)
            if branches is None:
                continue
            once = self._call(module, call, scope, run, stack)
            if once.ranges:
                factor = self._loops(module, call, scope, run)
                totals = once.totals
                once.totals = {}
                counts.add(once, factor, optional=bool(branches))
                paths.append((branches, _scale(totals, factor)))
        counts.totals = _along_paths(paths)
        name = module.functions[function].name or function
        for site in counts.ranges:
            counts.via[site] = (name, *counts.via.get(site, ()))
        return counts

    # -- one call --------------------------------------------------------------------------

    def _call(self, module: Module, call: Call, scope: Scope, run: Invocation,
              stack: tuple[tuple[str, str], ...]) -> Counts:
        counts = Counts()
        site_scope = Scope(module.key, call.function, scope.bindings)
        operation = self.kv.get((module.key, id(call)))
        callee = call.callee
        resolver = self.program.resolver
        if operation is not None:
            binding = operation.binding
            if binding is None and callee.target is not None:
                # A namespace handed to a helper: this path's arguments may name it.
                receiver = resolver.resolve(callee.target, site_scope)
                binding = receiver.name if isinstance(receiver, Binding) else None
            self._site(counts, module, call, operation.method, KV_CATEGORY[operation.method], binding)
            return counts
        if callee.kind == "member" and callee.target is not None and callee.name is not None:
            receiver = resolver.resolve(callee.target, site_scope)
            if isinstance(receiver, DurableObjectStorage) and callee.name in STORAGE_CATEGORY:
                self._site(counts, module, call, f"storage.{callee.name}", STORAGE_CATEGORY[callee.name],
                           module.class_of(call.function))
                return counts
            if isinstance(receiver, DurableObjectStub):
                self._site(counts, module, call, callee.name, "do.requests", receiver.binding)
                counts.add(self._durable_object(receiver, callee.name, run, stack), ONE, False)
                return counts
        target = resolver.resolve(callee, site_scope)
        if isinstance(target, FunctionRef) and target.module in self.program.modules:
            bound = resolver.bind(target, call, site_scope)
            return self.function(self.program.modules[target.module], target.function, bound, run, stack)
        if isinstance(target, ClassRef) and call.is_new:
            return counts  # constructors that reach storage are rare; left out
        # A closure handed to a call we cannot walk (`items.map(fn)`, `ctx.waitUntil`,
        # `new Promise(fn)`): it runs once, or once per element of an iteration method.
        for arg in (*call.args, *(value for _, value in call.keywords)):
            if arg.kind == "function" and arg.function is not None:
                closure = self.function(module, arg.function, site_scope, run, stack)
                factor = ONE
                if callee.kind == "member" and callee.name in ITERATION_METHODS:
                    factor = self._iterations(callee.target, site_scope, run, module, call.span.line)
                counts.add(closure, factor, optional=callee.name == "catch")
        return counts

    def _site(self, counts: Counts, module: Module, call: Call, op: str, category: str,
              binding: str | None) -> None:
        span = call.span
        key = SiteKey(module.key, span.line, span.column, span.end_line, span.end_column, op, category,
                      binding)
        counts.ranges[key] = counts.ranges.get(key, Range(0, 0)) + ONE
        counts.via[key] = ()
        counts.totals[category] = counts.totals.get(category, Range(0, 0)) + ONE

    def _durable_object(self, stub: DurableObjectStub, method: str, run: Invocation,
                        stack: tuple[tuple[str, str], ...]) -> Counts:
        """What the object does for one request: its `fetch` or the RPC method called."""
        class_name = self.do_classes.get(stub.binding or "")
        if not class_name:
            return Counts()
        for module in self.program.modules.values():
            if class_name in module.classes:
                function = f"{class_name}.{method}"
                if function in module.functions:
                    return self.function(module, function, Scope(module.key, function), run, stack)
        return Counts()

    # -- conditions ------------------------------------------------------------------------

    def _branches(self, conditions: tuple[Condition, ...], scope: Scope,
                  run: Invocation) -> tuple[Branch, ...] | None:
        """The conditions this trigger does not decide (empty: the call runs on every
        path), or None when the trigger rules the call out."""
        # A router's guards sit in front of every later call: decide each guard once per
        # trigger, not once per call behind it (160 routes: 1.4M tests down to 26k).
        decided = self._decided.get(run)
        if decided is None:
            decided = self._decided[run] = {}
        branches: list[Branch] = []
        for condition in conditions:
            outcome = decided.get(id(condition), _UNDECIDED)
            if outcome is _UNDECIDED:
                outcome = decided[id(condition)] = self._branch(condition, run)
            if outcome is RULED_OUT:
                return None
            if outcome is not None:
                branches.append(outcome)  # type: ignore[arg-type]
        return tuple(branches)

    def _branch(self, condition: Condition, run: Invocation) -> Branch | object | None:
        """The branch one condition opens for this trigger; None when the trigger takes
        the call's side of it, RULED_OUT when it takes the other."""
        span = condition.span if condition.test is None else condition.test.span
        where = (span.line, span.column, span.end_line, span.end_column)
        if condition.kind in RUNS_WHEN_TRUE or condition.kind in RUNS_WHEN_FALSE:
            needed = condition.kind in RUNS_WHEN_TRUE
            truth = self.truth(condition.test, run)
            if truth is None:
                return (where, needed)
            return None if truth == needed else RULED_OUT
        # Optional chaining, catch blocks, `??`: the data decides, with no other side.
        return ((condition.kind, *where), True)

    def truth(self, test: Expr | None, run: Invocation) -> bool | None:
        """The value of a test for this trigger, when the trigger decides it."""
        if test is None:
            return None
        if test.kind == "unary" and test.operator in ("!", "not") and test.target is not None:
            inner = self.truth(test.target, run)
            return None if inner is None else not inner
        if test.kind == "binary" and test.operator in ("&&", "and", "||", "or") and len(test.args) == 2:
            left, right = (self.truth(arg, run) for arg in test.args)
            if test.operator in ("&&", "and"):
                return False if False in (left, right) else (True if left and right else None)
            return True if True in (left, right) else (False if left is False and right is False else None)
        if test.kind == "binary" and test.operator in EQUALS | DIFFERS and len(test.args) == 2:
            same = self._equals(*test.args, run)
            if same is None:
                return None
            return same if test.operator in EQUALS else not same
        if test.kind == "call" and test.target is not None and test.target.kind == "member" \
                and test.target.name in ("startsWith", "startswith") and len(test.args) == 1 \
                and test.args[0].kind == "literal" and isinstance(test.args[0].value, str) \
                and subject_of(test.target.target) == "path" and run.path is not None:
            return _starts_with(run.path, test.args[0].value)
        return None

    def _equals(self, left: Expr, right: Expr, run: Invocation) -> bool | None:
        if right.kind != "literal":
            left, right = right, left
        if right.kind != "literal" or not isinstance(right.value, str):
            return None
        subject = subject_of(left)
        if subject == "cron" and run.cron is not None:
            return run.cron == right.value
        if subject == "method" and run.method not in (None, "*"):
            return run.method == right.value.upper()
        if subject == "path" and run.path is not None:
            return _path_equals(run.path, right.value)
        return None

    # -- loops -----------------------------------------------------------------------------

    def _loops(self, module: Module, call: Call, scope: Scope, run: Invocation) -> Range:
        factor = ONE
        for loop in call.loops:
            factor = factor * self._loop(module, call.function, loop, scope, run)
        return factor

    def _loop(self, module: Module, function: str | None, loop: Loop, scope: Scope, run: Invocation) -> Range:
        if loop.kind == "for-of" and loop.iterable is not None:
            return self._iterations(loop.iterable, scope, run, module, loop.span.line)
        if loop.kind == "for" and loop.test is not None:
            count = self._counted(loop, scope)
            if count is not None:
                return Range(count, count)
        if loop.kind in ("while", "do") and self._pages(module, function, loop):
            self.loops.pages.add((module.display, loop.span.line))
            return ONE
        return self._unread(module, loop.span.line)

    def _pages(self, module: Module, function: str | None, loop: Loop) -> bool:
        """A loop that walks `list()` pages by `cursor`: one page per 1,000 keys, so one
        page for as many keys as the loop-iterations assumption gives."""
        for call in module.calls.get(function, ()):
            operation = self.kv.get((module.key, id(call)))
            if operation is None or operation.method != "list" or loop not in call.loops:
                continue
            options = call.args[0] if call.args else None
            if options is not None and options.kind == "object" \
                    and any(p.key == "cursor" for p in options.props):
                return True
            if any(name == "cursor" for name, _ in call.keywords):
                return True
        return False

    def _unread(self, module: Module, line: int) -> Range:
        self.loops.unread.add((module.display, line))
        return Range(self.loops.default, self.loops.default)

    def _iterations(self, iterable: Expr | None, scope: Scope, run: Invocation, module: Module,
                    line: int) -> Range:
        count = self._length(iterable, scope, run, 0)
        if count is None:
            return self._unread(module, line)
        return Range(count, count)

    def _length(self, expr: Expr | None, scope: Scope, run: Invocation, depth: int) -> int | None:
        """How many elements a value has, when the code or the configuration says."""
        if expr is None or depth > 8:
            return None
        resolver = self.program.resolver
        if expr.kind == "array" and not any(a.kind == "spread" for a in expr.args):
            return len(expr.args)
        if expr.kind == "member" and expr.name == "messages" and run.batch_size is not None:
            return run.batch_size
        if expr.kind == "name" and expr.name is not None:
            found, _ = resolver.definitions(expr.name, scope)
            if len(found) == 1:
                return self._length(found[0][0], found[0][1], run, depth + 1)
            return None
        if expr.kind == "call" and expr.target is not None:
            target = expr.target
            if target.kind == "member" and target.name in ("map", "toSorted", "toReversed") \
                    and target.target is not None:
                return self._length(target.target, scope, run, depth + 1)
            if target.kind == "member" and target.name == "split" and target.target is not None:
                text = self._text(target.target, scope)
                separator = expr.args[0].value if expr.args and expr.args[0].kind == "literal" else None
                if text is not None and isinstance(separator, str) and separator:
                    return len(text.split(separator))
            if target.text in ("Object.keys", "Object.values", "Object.entries") and expr.args:
                value = resolver.resolve(expr.args[0], scope)
                if isinstance(value, ObjectValue) and not any(p.spread or p.key is None
                                                              for p in value.expr.props):
                    return len(value.expr.props)
            if target.kind == "name" and target.name == "range":
                bounds = [resolver.resolve(a, scope) for a in expr.args]
                numbers = [b.value for b in bounds if isinstance(b, Constant) and isinstance(b.value, int)]
                if len(numbers) == len(bounds) == 1:
                    return max(0, numbers[0])
                if len(numbers) == len(bounds) == 2:
                    return max(0, numbers[1] - numbers[0])
        return None

    def _text(self, expr: Expr, scope: Scope) -> str | None:
        """A string from the code or from a `vars` value of the configuration."""
        value = self.program.resolver.resolve(expr, scope)
        if isinstance(value, Constant) and isinstance(value.value, str):
            return value.value
        if isinstance(value, Binding) and value.kind == "vars" and value.name is not None:
            text = self.vars.get(value.name)
            return text if isinstance(text, str) else None
        return None

    def _counted(self, loop: Loop, scope: Scope) -> int | None:
        """`for (let i = a; i < n; i++)` with constant a and n."""
        test = loop.test
        if test is None or test.kind != "binary" or test.operator not in ("<", "<=") or len(test.args) != 2:
            return None
        start = self.program.resolver.resolve(loop.init, scope) if loop.init is not None else None
        end = self.program.resolver.resolve(test.args[1], scope)
        bound = test.args[1]
        if bound.kind == "member" and bound.name == "length" and bound.target is not None:
            length = self._length(bound.target, scope, Invocation(), 0)
            end = Constant(length) if length is not None else end
        if not (isinstance(start, Constant) and isinstance(end, Constant)):
            return None
        if not (_integer(start.value) and _integer(end.value)):
            return None
        count = int(end.value) - int(start.value) + (1 if test.operator == "<=" else 0)  # type: ignore[arg-type]
        return max(0, count)


def _integer(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()


def subject_of(expr: Expr | None) -> str | None:
    """What a compared value stands for: the cron that fired, the request path or method."""
    if expr is None:
        return None
    name = expr.name if expr.kind in ("member", "name") else None
    if name == "cron":
        return "cron"
    if name in ("pathname", "path"):
        return "path"
    if name == "method" and expr.kind == "member":
        return "method"
    return None


def _path_equals(route: str, literal: str) -> bool | None:
    if route.endswith("*"):
        return None if literal.startswith(route[:-1]) else False
    return route == literal


def _starts_with(route: str, prefix: str) -> bool | None:
    if route.endswith("*"):
        stem = route[:-1]
        if stem.startswith(prefix):
            return True
        return None if prefix.startswith(stem) else False
    return route.startswith(prefix)


__all__ = ["Counts", "Invocation", "LoopBounds", "SiteKey", "Walker"]
