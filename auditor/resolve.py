"""Resolve expressions to Values across modules, classes, closures and call sites.

The rules' one question, "what is this?", answered from facts alone: `env.CACHE` in a
handler is the KV binding CACHE; `this.kv` is whatever the constructor stored there;
`dal.write` is the method of the class `dal` was constructed from; a parameter is what
the caller passed, when a scope binds it, and a `Parameter` when it does not.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cached_property
from typing import TYPE_CHECKING

from auditor.config.schema import BINDING_KINDS
from auditor.facts import Call, Declaration, Expr, Function, Param, Prop
from auditor.values import (
    Argument,
    Binding,
    ClassRef,
    Constant,
    DurableObjectState,
    DurableObjectStorage,
    DurableObjectStub,
    FunctionRef,
    Instance,
    Missing,
    Namespace,
    ObjectValue,
    Parameter,
    RequestContext,
    Scope,
    Unknown,
    Value,
    WorkerEnv,
)

if TYPE_CHECKING:
    from auditor.program import Module, Program

MAX_DEPTH = 32
# The type a binding has in the Env interface, to the config key that declares it.
KIND_OF_TYPE = {shape.env_type: kind for kind, shape in reversed(BINDING_KINDS.items())
                if shape.env_type[:1].isupper()}
KIND_OF_TYPE["KVNamespace"] = "kv_namespaces"
# Handlers whose second parameter is the Worker env: `fetch(request, env, ctx)`, ….
HANDLER_METHODS = frozenset({"fetch", "scheduled", "queue", "email", "tail", "trace", "test"})
PYTHON_HANDLERS = frozenset({"on_fetch", "on_scheduled", "on_queue", "on_email", "on_tail"})
ENTRYPOINT_BASES = frozenset({"WorkerEntrypoint", "WorkflowEntrypoint"})
DURABLE_OBJECT_BASES = frozenset({"DurableObject"})


# `env.NS.get(id)`, `env.NS.getByName(name)`: the stub whose every call is a DO request.
STUB_GETTERS = frozenset({"get", "getByName"})
ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "**", "//"})


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fold(operator: str, left: Value, right: Value) -> Value:
    """Constant arithmetic on numbers (`60 * 60 * 24`, `MINUTE / 2`), as TTLs are written."""
    if not (isinstance(left, Constant) and isinstance(right, Constant)
            and _is_number(left.value) and _is_number(right.value)):
        return Unknown("not constant arithmetic")
    a, b = float(left.value), float(right.value)  # type: ignore[arg-type]
    try:
        if operator == "+":
            result = a + b
        elif operator == "-":
            result = a - b
        elif operator == "*":
            result = a * b
        elif operator == "/":
            result = a / b
        elif operator == "%":
            result = a % b
        elif operator == "//":
            result = a // b
        else:
            result = a ** b
    except (ZeroDivisionError, OverflowError):
        return Unknown("arithmetic error")
    if result.is_integer() and isinstance(left.value, int) and isinstance(right.value, int):
        return Constant(int(result))
    return Constant(result)


def base_type(text: str | None) -> str | None:
    """`Readonly<Env>` -> `Env`, `KVNamespace<string>` -> `KVNamespace`, `Env | undefined` -> `Env`."""
    if not text:
        return None
    text = text.strip()
    for wrapper in ("Readonly<", "Required<"):
        if text.startswith(wrapper) and text.endswith(">"):
            text = text[len(wrapper):-1]
    text = text.split("|")[0].strip()
    return text.split("<")[0].strip().removeprefix("Cloudflare.")


class Resolver:
    def __init__(self, program: Program) -> None:
        self.program = program
        # Keyed by id(expr); the entry holds the expression too, so that an id is never
        # reused by a later expression while its entry is here.
        self._memo: dict[tuple[int, Scope], tuple[Expr, Value]] = {}
        self._callers: dict[tuple[str, str], list[tuple[Module, Call]]] | None = None
        self._binding_kinds = self._declared_bindings()
        self._env_types = self._env_type_members()

    # -- what the configuration and the Env interface say -----------------------------

    def _declared_bindings(self) -> dict[str, str]:
        kinds: dict[str, str] = {}
        for environment in self.program.config.views():
            for binding in environment.bindings:
                kinds.setdefault(binding.name, binding.kind)
        return kinds

    def _env_type_members(self) -> dict[str, str]:
        """Members of interfaces named Env (ours or `wrangler types`'), name -> type."""
        members: dict[str, str] = {}
        for module in self.program.modules.values():
            type_def = module.types.get("Env")
            if type_def is not None:
                for name, type_text in type_def.members:
                    members.setdefault(name, type_text)
        return members

    def binding(self, name: str) -> Binding:
        kind = self._binding_kinds.get(name)
        if kind is None:
            kind = KIND_OF_TYPE.get(base_type(self._env_types.get(name)) or "")
        return Binding(name, kind)

    def is_declared(self, name: str) -> bool:
        return name in self._binding_kinds

    # -- modules ----------------------------------------------------------------------

    def import_target(self, module: Module, source: str) -> str | None:
        from auditor.imports import resolve_python, resolve_ts

        files = self.program.modules.keys()
        if module.language == "python":
            return resolve_python(module.key, source, files, self.program.python_roots)
        return resolve_ts(module.key, source, files, self.program.aliases)

    def exported(self, module_key: str, name: str, depth: int = 0, runtime: bool = False) -> Value:
        """What `module_key` exports as `name`, through re-exports and `export *`.
        With `runtime`, a name that only a type-only import brings in is not exported."""
        module = self.program.modules.get(module_key)
        if module is None or depth > MAX_DEPTH:
            return Unknown("not a module of this Worker")
        for export in module.exports.get(name, []):
            if export.source is not None:
                target = self.import_target(module, export.source)
                if target is None:
                    return Unknown(f"re-exported from `{export.source}`")
                if export.local == "*":
                    return Namespace(target)
                return self.exported(target, export.local or name, depth + 1, runtime)
            if export.value is not None and export.local is None:
                return self.resolve(export.value, Scope(module.key, None), depth + 1)
            return self.name(export.local or name, Scope(module.key, None), depth + 1, runtime)
        if module.language == "python" and not name.startswith("_"):
            return self.name(name, Scope(module.key, None), depth + 1, runtime)
        for export in module.exports.get("*", []):
            target = self.import_target(module, export.source or "")
            if target is not None:
                found = self.exported(target, name, depth + 1, runtime)
                if not isinstance(found, Unknown):
                    return found
        return Unknown(f"`{name}` is not exported by {module.display}")

    # -- expressions ------------------------------------------------------------------

    def resolve(self, expr: Expr | None, scope: Scope, depth: int = 0) -> Value:
        if expr is None:
            return Missing()
        if depth > MAX_DEPTH:
            return Unknown("too deep")
        key = (id(expr), scope)
        if key in self._memo:
            return self._memo[key][1]
        self._memo[key] = (expr, Unknown("cycle"))
        value = self._resolve(expr, scope, depth + 1)
        self._memo[key] = (expr, value)
        return value

    def _resolve(self, expr: Expr, scope: Scope, depth: int) -> Value:
        kind = expr.kind
        if kind == "literal":
            return Constant(expr.value)
        if kind == "name" and expr.name is not None:
            return self.name(expr.name, scope, depth)
        if kind == "member" and expr.target is not None and expr.name is not None:
            return self.member(self.resolve(expr.target, scope, depth), expr.name, depth)
        if kind == "index" and expr.target is not None and expr.args and expr.args[0].kind == "literal":
            key = expr.args[0].value
            if isinstance(key, str):
                return self.member(self.resolve(expr.target, scope, depth), key, depth)
            return Unknown("a computed property")
        if kind in ("await", "spread") and expr.target is not None:
            return self.resolve(expr.target, scope, depth)
        if kind == "object":
            return ObjectValue(expr, scope)
        if kind in ("call", "new") and expr.target is not None:
            return self.call_value(expr, scope, depth)
        if kind == "binary" and expr.operator in ARITHMETIC and len(expr.args) == 2:
            return _fold(expr.operator, self.resolve(expr.args[0], scope, depth),
                         self.resolve(expr.args[1], scope, depth))
        if kind == "unary" and expr.operator == "-" and expr.target is not None:
            operand = self.resolve(expr.target, scope, depth)
            if isinstance(operand, Constant) and _is_number(operand.value):
                return Constant(-operand.value)  # type: ignore[operator]
        if kind == "binary" and expr.operator in ("??", "||") and len(expr.args) == 2:
            left = self.resolve(expr.args[0], scope, depth)
            if isinstance(left, (Missing, Unknown)) or left == Constant(None):
                return self.resolve(expr.args[1], scope, depth)
            return left
        if kind == "conditional" and len(expr.args) == 3:
            then = self.resolve(expr.args[1], scope, depth)
            other = self.resolve(expr.args[2], scope, depth)
            return then if then == other else Unknown("differs by branch")
        if kind == "function" and expr.function is not None:
            return FunctionRef(scope.module, expr.function)
        return Unknown(f"a {kind} expression")

    def name(self, name: str, scope: Scope, depth: int, runtime: bool = False) -> Value:
        module = self.program.modules[scope.module]
        if name in ("this", "self"):
            return self.this(module, scope, depth)
        for fid in module.enclosing(scope.function):
            function = module.functions[fid]
            for param in function.params:
                if param.name == name:
                    return self.parameter(module, function, param, scope, depth)
                for prop, local in param.fields:
                    if local == name:
                        holder = self.parameter(module, function, param, scope, depth)
                        return self.member(holder, prop, depth)
            found = self.declared(module, fid, name, scope.inside(fid), depth)
            if found is not None:
                return found
        found = self.declared(module, None, name, Scope(module.key, None, scope.bindings), depth)
        if found is not None:
            return found
        if name in module.functions and module.functions[name].parent is None:
            return FunctionRef(module.key, name)
        if name in module.classes:
            return ClassRef(module.key, name)
        imported = module.imports.get(name)
        if imported is not None:
            if runtime and imported.type_only:
                return Unknown(f"`{name}` is imported as a type only")
            return self.imported(module, imported.source, imported.imported, depth, runtime)
        # Service-worker Workers see their bindings as globals.
        if self.is_declared(name) and not module.facts.exports:
            return self.binding(name)
        return Unknown(f"`{name}` is not defined in this Worker")

    def definitions(self, name: str, scope: Scope) -> tuple[list[tuple[Expr, Scope]], Param | None]:
        """The expressions a name was given (declarations, the argument a bound parameter
        received), or the parameter itself when no caller is bound: for rules that look at
        how a value was built rather than what it is."""
        module = self.program.modules[scope.module]
        for fid in module.enclosing(scope.function):
            function = module.functions[fid]
            for param in function.params:
                if param.name == name:
                    argument = scope.argument(fid, param.index)
                    if argument is not None and argument.expr is not None:
                        return [(argument.expr, argument.scope)], None
                    return [], param
            found = _declared_exprs(module.declarations.get(fid, ()), name, scope.inside(fid))
            if found:
                return found, None
        return _declared_exprs(module.declarations.get(None, ()), name,
                               Scope(module.key, None, scope.bindings)), None

    def imported(self, module: Module, source: str, imported: str, depth: int,
                 runtime: bool = False) -> Value:
        if source == "cloudflare:workers" and imported == "env":
            return WorkerEnv()
        target = self.import_target(module, source)
        if target is None:
            return Unknown(f"imported from `{source}`")
        if imported == "*":
            return Namespace(target)
        return self.exported(target, imported, depth + 1, runtime)

    def declared(self, module: Module, function: str | None, name: str, scope: Scope,
                 depth: int) -> Value | None:
        """The value of a name declared in `function` (None: at module level)."""
        values = []
        for declaration in module.declarations.get(function, ()):
            if declaration.name == name and declaration.value is not None:
                values.append(self.resolve(declaration.value, scope, depth))
            for prop, local in declaration.fields:
                if local == name and declaration.value is not None:
                    holder = self.resolve(declaration.value, scope, depth)
                    values.append(self.member(holder, prop, depth))
        if not values:
            return None
        return values[0] if all(v == values[0] for v in values) else Unknown("assigned different values")

    def this(self, module: Module, scope: Scope, depth: int) -> Value:
        class_name = module.class_of(scope.function)
        if class_name is None:
            return Unknown("`this` outside a class")
        return Instance(module.key, class_name, self._constructed(scope))

    @staticmethod
    def _constructed(scope: Scope) -> Scope | None:
        for key, argument in scope.bindings:
            if key[0] == "<this>":
                return argument.scope
        return None

    def parameter(self, module: Module, function: Function, param: Param, scope: Scope,
                  depth: int) -> Value:
        argument = scope.argument(function.id, param.index)
        if argument is not None:
            if argument.expr is None:
                if param.default is not None:
                    return self.resolve(param.default, scope.inside(function.id), depth)
                return Missing()
            return self.resolve(argument.expr, argument.scope, depth)
        by_convention = self.conventional(module, function, param)
        if by_convention is not None:
            return by_convention
        return Parameter(module.key, function.id, param.index)

    def typed(self, module: Module, type_text: str | None) -> Value | None:
        """What a type annotation says a value is (`Env`, `KVNamespace`, a project class)."""
        base = base_type(type_text)
        if not base:
            return None
        if base == "Env" or base in self._env_interfaces:
            return WorkerEnv()
        if base in KIND_OF_TYPE:
            return Binding(None, KIND_OF_TYPE[base])
        if base == "DurableObjectState":
            return DurableObjectState()
        if base == "DurableObjectStorage":
            return DurableObjectStorage()
        if base in ("Context", "EventContext"):
            return RequestContext()
        cls = self._class_named(module, base)
        return Instance(cls.module, cls.name) if cls is not None else None

    def conventional(self, module: Module, function: Function, param: Param) -> Value | None:
        """What a parameter is by its type annotation or by the handler it belongs to."""
        by_type = self.typed(module, param.type)
        if by_type is not None:
            return by_type
        base = base_type(param.type)
        name = function.name or ""
        class_name = function.class_name
        python = module.language == "python"
        if class_name is None and not python and name in HANDLER_METHODS and param.index == 1 \
                and "." in function.id:
            return WorkerEnv()
        if python and function.parent is None and class_name is None and name in PYTHON_HANDLERS \
                and param.index == 1:
            return WorkerEnv()
        if function.kind == "constructor" and class_name and self._is_durable_object(module, class_name):
            offset = 1 if python else 0  # Python passes `self` first
            if param.index == offset:
                return DurableObjectState()
            if param.index == offset + 1:
                return WorkerEnv()
        if python and param.index == 0 and class_name and function.kind in ("method", "constructor"):
            return Instance(module.key, class_name)
        if self._is_route_handler(module, function) and param.index == 0:
            return RequestContext()
        untyped = base in (None, "any", "unknown", "object")
        if param.name == "env" and (untyped or "Env" in (param.type or "")):
            return WorkerEnv()
        return None

    @cached_property
    def _env_interfaces(self) -> set[str]:
        """Project types that declare the Worker's bindings: `Env`, `Bindings`, …"""
        names = set()
        for module in self.program.modules.values():
            for type_def in module.types.values():
                if any(self.is_declared(member) for member, _ in type_def.members):
                    names.add(type_def.name)
        return names

    def _class_named(self, module: Module, name: str) -> ClassRef | None:
        value = self.name(name, Scope(module.key, None), 0) if name.isidentifier() else None
        return value if isinstance(value, ClassRef) else None

    def _extends(self, module: Module, class_name: str) -> str | None:
        cls = module.classes.get(class_name)
        if cls is None or cls.extends is None:
            return None
        base = cls.extends
        return base.name if base.kind in ("name", "member") else None

    def _is_durable_object(self, module: Module, class_name: str) -> bool:
        if self._extends(module, class_name) in DURABLE_OBJECT_BASES:
            return True
        return any(b.field("class_name") and b.fields.get("class_name") == class_name
                   for env in self.program.config.views() for b in env.bindings_of("durable_objects"))

    def _is_route_handler(self, module: Module, function: Function) -> bool:
        if any(h.kind == "function" and h.function == function.id
               for route in module.facts.routes for h in route.handlers):
            return True
        # Middleware: `app.use("*", async (c, next) => …)`, `app.use(async (c, next) => …)`.
        holder = self.program.closure_calls.get((module.key, function.id))
        if holder is not None:
            callee = holder[1].callee
            if callee.kind == "member" and callee.name == "use" and function.params \
                    and len(function.params) == 2:
                return True
        # Pages Functions: `export async function onRequestGet(context)`.
        return bool(function.name and function.name.startswith("onRequest") and function.parent is None)

    # -- members ----------------------------------------------------------------------

    def member(self, target: Value, name: str, depth: int) -> Value:
        if isinstance(target, WorkerEnv):
            return self.binding(name)
        if isinstance(target, RequestContext):
            return WorkerEnv() if name == "env" else Unknown("a request context property")
        if isinstance(target, DurableObjectState):
            return DurableObjectStorage() if name == "storage" else Unknown("a state property")
        if isinstance(target, Namespace):
            return self.exported(target.module, name, depth + 1)
        if isinstance(target, ObjectValue):
            for prop in target.expr.props:
                if prop.key == name and not prop.spread:
                    return self.resolve(prop.value, target.scope, depth)
            return Unknown(f"no property `{name}`")
        if isinstance(target, Instance):
            return self.instance_member(target, name, depth)
        return Unknown(f"`.{name}` of an unresolved value")

    def instance_member(self, instance: Instance, name: str, depth: int) -> Value:
        module = self.program.modules[instance.module]
        cls = module.classes.get(instance.name)
        if cls is None:
            return Unknown("not a class of this Worker")
        constructor = f"{cls.name}.constructor" if module.language != "python" else f"{cls.name}.__init__"
        constructed = instance.constructed or Scope(module.key, constructor)
        this = (("<this>", 0), Argument(None, constructed))
        ctor_scope = Scope(module.key, constructor, (*constructed.bindings, this))
        declared: Value | None = None  # a field with a type and no value: what the type says
        for field in cls.fields:
            if field.name == name:
                if field.value is not None:
                    return self.resolve(field.value, ctor_scope, depth)
                if field.type is not None:
                    ctor = module.functions.get(constructor)
                    param = next((p for p in ctor.params if p.name == name and p.property), None) \
                        if ctor else None
                    if ctor is not None and param is not None:
                        return self.parameter(module, ctor, param, ctor_scope, depth)
                    found = self.typed(module, field.type)
                    declared = found if found is not None else Unknown(f"field `{name}`")
        # `private store: Store;` then `this.store = new Store(env)` in the constructor: the
        # assignment says more than the type.
        for fid in cls.methods:
            for declaration in module.declarations.get(fid, ()):
                target = declaration.target
                if (target is not None and target.kind == "member" and target.name == name
                        and target.target is not None and target.target.name in ("this", "self")
                        and declaration.value is not None):
                    scope = ctor_scope if fid == constructor else Scope(module.key, fid, ctor_scope.bindings)
                    return self.resolve(declaration.value, scope, depth)
        if declared is not None:
            return declared
        method = f"{cls.name}.{name}"
        if method in module.functions:
            return FunctionRef(module.key, method, instance)
        base = self._extends(module, cls.name)
        if base in DURABLE_OBJECT_BASES | ENTRYPOINT_BASES:
            if name == "env":
                return WorkerEnv()
            if name in ("ctx", "state") and base in DURABLE_OBJECT_BASES:
                return DurableObjectState()
        if base is not None:
            parent = self.name(base, Scope(module.key, None), depth)
            if isinstance(parent, ClassRef):
                return self.instance_member(Instance(parent.module, parent.name, instance.constructed),
                                            name, depth + 1)
        return Unknown(f"no member `{name}`")

    # -- calls ------------------------------------------------------------------------

    def bind(self, callee: FunctionRef, call: Call | Expr, caller: Scope) -> Scope:
        """The scope of `callee` entered from this call: its parameters bound to the arguments."""
        module = self.program.modules[callee.module]
        function = module.functions[callee.function]
        args = call.args
        keywords = dict(call.keywords)
        python_method = module.language == "python" and function.class_name is not None \
            and function.kind in ("method", "constructor", "getter", "setter")
        named = {p.name for p in function.params}
        bindings = []
        for param in function.params:
            position = param.index - (1 if python_method else 0)
            if python_method and param.index == 0:
                continue
            expr = args[position] if 0 <= position < len(args) and args[position].kind != "spread" else None
            if param.name in keywords:
                expr = keywords[param.name]
            if module.language == "python" and param.rest and param.optional:
                # `**options` collects the keywords no other parameter takes: an object.
                span = call.span
                expr = Expr("object", span, props=tuple(
                    Prop(None if k == "**" else k, v, spread=k == "**")
                    for k, v in call.keywords if k not in named))
            bindings.append(((function.id, param.index), Argument(expr, caller, tuple(keywords.items()))))
        if callee.this is not None and callee.this.constructed is not None:
            bindings.append((("<this>", 0), Argument(None, callee.this.constructed)))
        return Scope(callee.module, callee.function, tuple(bindings))

    def call_value(self, expr: Expr, scope: Scope, depth: int) -> Value:
        assert expr.target is not None
        target = expr.target
        if target.kind == "member" and target.name in STUB_GETTERS and target.target is not None:
            namespace = self.resolve(target.target, scope, depth)
            if isinstance(namespace, Binding) and namespace.kind == "durable_objects":
                return DurableObjectStub(namespace.name)
        callee = self.resolve(target, scope, depth)
        if isinstance(callee, ClassRef):
            module = self.program.modules[callee.module]
            constructor = f"{callee.name}.constructor" if module.language != "python" \
                else f"{callee.name}.__init__"
            if constructor in module.functions:
                bound = self.bind(FunctionRef(callee.module, constructor), expr, scope)
                return Instance(callee.module, callee.name, bound)
            return Instance(callee.module, callee.name, Scope(callee.module, constructor))
        if isinstance(callee, FunctionRef) and expr.kind == "call":
            module = self.program.modules[callee.module]
            bound = self.bind(callee, expr, scope)
            values = [self.resolve(r.value, bound, depth) for r in module.returns.get(callee.function, ())
                      if r.value is not None]
            if values and all(v == values[0] for v in values):
                return values[0]
            return Unknown("a call whose result varies")
        return Unknown("a call")

    def callee(self, module: Module, call: Call) -> Value:
        return self.resolve(call.callee, Scope(module.key, call.function))

    def callers(self, module_key: str, function: str) -> list[tuple[Module, Call]]:
        """Every call in the Worker whose callee is this function."""
        if self._callers is None:
            index: dict[tuple[str, str], list[tuple[Module, Call]]] = defaultdict(list)
            for module, call in self.program.all_calls():
                target = self.callee(module, call)
                if isinstance(target, FunctionRef):
                    index[(target.module, target.function)].append((module, call))
                elif isinstance(target, ClassRef):
                    index[(target.module, f"{target.name}.constructor")].append((module, call))
            self._callers = index
        return self._callers.get((module_key, function), [])


def _declared_exprs(declarations: Iterable[Declaration], name: str,
                    scope: Scope) -> list[tuple[Expr, Scope]]:
    """What a name was declared as; `const { keys } = value` gives `value.keys`."""
    found = []
    for declaration in declarations:
        value = declaration.value
        if value is None:
            continue
        if declaration.name == name:
            found.append((value, scope))
        for prop, local in declaration.fields:
            if local == name:
                found.append((Expr("member", value.span, value.text, name=prop, target=value), scope))
    return found

