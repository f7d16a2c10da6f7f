"""TypeScript, TSX and JavaScript source to FileFacts through tree-sitter: syntax only.

One iterative walk over the tree. Each stack frame carries the lexical context of its
node: the enclosing function id, the loops and conditions around it within that
function, and the statement list it sits in (for guards). A closure starts with no
loops and no conditions; the Program links it to its call site through the `function`
Expr among the call's arguments.

Guards: an `if (test) return/throw/continue/break;` adds Condition("guard", test) to
the statement list it is in and to the enclosing lists, up to the list the exit leaves
(the function body for return, a try body with a catch for throw, the loop body for
continue, the loop or switch case for break) or the first list entered on some paths
only (an if or else body, a loop body, a switch case), past which it says nothing.
Statements are popped in document order, so each takes the guards its list has
collected so far when it is popped.

Choices where facts.py leaves room (the Program relies on them):
- ids: `name` for `const name = () => …` and function declarations, `Class.method`,
  `default.fetch` / `handlers.get` for object-literal members (an object without a name
  is `<object@L:C>`), `<arrow@L:C>` / `<function@L:C>` / `<method@L:C>` for anonymous
  ones, all qualified by the enclosing function id; a clash (getter and setter) gets
  `@L:C` appended. A class-field arrow `handler = () => …` is `Class.handler`, listed
  in the class's methods.
- `import "./polyfill"` is Import(imported="*", local=""); `export * as ns from "m"` is
  Export(name="ns", local="*", source="m"); type-only exports are left out.
- `x ??= y` (any compound assignment) is a Declaration whose value is `x ?? y`.
- an arrow's expression body is also a Return of that expression.
- EnvAccess.optional: read through `?.` (`env?.X`) or used through it (`env.X?.get()`).
- a C-style loop's single variable is Loop.variable too; patterns give fields with
  array positions as "0", "1", … and a rest element as ("...", name).
- `i++` is a unary Expr with operator "++".
- class field initialisers belong to the enclosing function (None at module level),
  though they run in the constructor; ClassField.value has them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple

from auditor.facts import (
    Call,
    ClassDef,
    ClassField,
    Condition,
    Declaration,
    EnvAccess,
    Export,
    Expr,
    FileFacts,
    Function,
    Import,
    Loop,
    Param,
    Return,
    Route,
    Span,
    TypeDef,
)
from auditor.frontends.ts_expr import (
    FUNCTION_NODES,
    MAX_TEXT,
    Source,
    Summariser,
    assign_hint,
    call_arguments,
    has_optional,
    ignore_comments,
    is_env,
    kids,
    method_name,
    object_prefix,
    pattern_elements,
    pattern_fields,
    property_key,
    split_callee,
    static_string,
    string_value,
    syntax_problems,
    type_text,
    unwrap,
)

DIALECTS = frozenset({"typescript", "tsx", "javascript"})
# `?.` links looked at when deciding whether a call runs after one: chains are short,
# and the cap keeps a 5,000-link minified chain linear.
MAX_CHAIN = 64
ROUTE_METHODS = frozenset({"get", "post", "put", "delete", "patch", "head", "options", "all", "on"})

# Types, signatures and comments hold no calls, accesses or declarations.
SKIPPED = frozenset({
    "comment", "type_annotation", "type_arguments", "type_parameters", "interface_declaration",
    "type_alias_declaration", "ambient_declaration", "abstract_method_signature", "method_signature",
    "function_signature", "index_signature", "property_signature", "implements_clause",
    "accessibility_modifier", "override_modifier", "asserts_annotation", "type_predicate_annotation",
    "omitting_type_annotation", "opting_type_annotation", "adding_type_annotation", "regex",
})
LOOP_KINDS = {"for_statement": "for", "while_statement": "while", "do_statement": "do"}
EXIT_KINDS = {"return_statement": "return", "throw_statement": "throw",
              "continue_statement": "continue", "break_statement": "break"}
# Where each exit stops propagating its guard outwards (see the module docstring).
EXIT_BOUNDARIES = {"return": ("function",), "throw": ("function", "try"),
                   "continue": ("function", "loop"), "break": ("function", "loop", "switch")}
# Lists entered only on some paths: after one, the code outside runs whether or not an
# exit inside it was taken, so a guard stops there (`if (a) { if (b) return; }` says
# nothing about `b` after the outer `if`).
CONDITIONAL_BLOCKS = ("branch", "loop", "switch")
LOGICAL = {"&&": "and", "||": "or", "??": "nullish"}


@cache
def _parser(dialect: str) -> Any:
    import tree_sitter_typescript
    from tree_sitter import Language, Parser

    grammar = tree_sitter_typescript.language_typescript() if dialect == "typescript" \
        else tree_sitter_typescript.language_tsx()  # tsx also reads plain JavaScript and JSX
    return Parser(Language(grammar))


def parse_file(path: str, source: bytes, dialect: str) -> FileFacts:
    """Read one file's facts; `dialect` is typescript, tsx or javascript.

    Never raises on bad input: syntax errors become `problems` and the well-formed
    parts still yield their facts.
    """
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}: expected one of {sorted(DIALECTS)}")
    tree = _parser(dialect).parse(source)
    walker = _Walker(Source(source))
    walker.walk(tree.root_node)
    return FileFacts(
        path=path,
        language=dialect,
        functions=tuple(walker.functions),
        calls=tuple(walker.calls),
        declarations=tuple(walker.declarations),
        returns=tuple(walker.returns),
        classes=tuple(walker.classes),
        imports=tuple(walker.imports),
        exports=tuple(walker.exports),
        env_accesses=tuple(walker.env_accesses),
        routes=tuple(walker.routes),
        types=type_definitions(tree.root_node, walker.src),
        problems=syntax_problems(tree.root_node, walker.src),
        comments=ignore_comments(tree.root_node, walker.src),
    )


class _Block:
    """A statement list: the conditions it starts under and the guards met in it so far."""

    __slots__ = ("base", "guards", "kind", "parent")

    def __init__(self, kind: str, parent: _Block | None, base: tuple[Condition, ...]) -> None:
        self.kind = kind  # function, loop, switch, try, branch, plain
        self.parent = parent
        self.base = base
        self.guards: list[Condition] = []


class _Ctx(NamedTuple):
    fn: str | None
    loops: tuple[Loop, ...]
    conds: tuple[Condition, ...]
    block: _Block | None

    def under(self, *conditions: Condition) -> _Ctx:
        return self._replace(conds=self.conds + conditions) if conditions else self


# node, context, naming hint, and whether the node is a statement that takes its
# list's guards when popped.
_Frame = tuple[Any, _Ctx, "str | None", bool]
_Handler = Callable[["_Walker", Any, _Ctx, "str | None"], None]


class _Walker:
    def __init__(self, src: Source) -> None:
        self.src = src
        self.summary = Summariser(src)
        self.stack: list[_Frame] = []
        self.functions: list[Function] = []
        self.calls: list[Call] = []
        self.declarations: list[Declaration] = []
        self.returns: list[Return] = []
        self.classes: list[ClassDef] = []
        self.imports: list[Import] = []
        self.exports: list[Export] = []
        self.env_accesses: list[EnvAccess] = []
        self.routes: list[Route] = []
        self.awaited: set[int] = set()  # ids of call nodes directly under `await`
        self.read_optionally: set[int] = set()  # ids of nodes followed by `?.`
        self.method_class: dict[int, str] = {}  # function node id -> its class name

    # -- traversal -----------------------------------------------------------------

    def walk(self, root: Any) -> None:
        block = _Block("function", None, ())
        self.push_statements(kids(root), _Ctx(None, (), (), block))
        stack = self.stack
        while stack:
            node, ctx, hint, statement = stack.pop()
            if statement and ctx.block is not None:
                ctx = ctx._replace(conds=ctx.block.base + tuple(ctx.block.guards))
            handler = HANDLERS.get(node.type)
            if handler is not None:
                handler(self, node, ctx, hint)
            elif node.named_child_count and node.type not in SKIPPED:
                self.push_all(kids(node), ctx)

    def push(self, node: Any, ctx: _Ctx, hint: str | None = None) -> None:
        if node is not None:
            self.stack.append((node, ctx, hint, False))

    def push_all(self, nodes: list[Any], ctx: _Ctx) -> None:
        self.stack.extend([(node, ctx, None, False) for node in reversed(nodes)])

    def push_statements(self, nodes: list[Any], ctx: _Ctx) -> None:
        self.stack.extend([(node, ctx, None, True) for node in reversed(nodes)])

    def push_body(self, body: Any, ctx: _Ctx, kind: str) -> None:
        """Open a statement list of `kind` for `body` (a block, or a single statement)."""
        if body is None:
            return
        block = _Block(kind, ctx.block, ctx.conds)
        inner = ctx._replace(block=block)
        if body.type == "statement_block":
            self.push_statements(kids(body), inner)
        else:
            self.push(body, inner)

    def expr(self, node: Any, ctx: _Ctx, hint: str | None = None) -> Expr:
        return self.summary.expr(node, ctx.fn, hint)

    def span(self, node: Any) -> Span:
        return self.src.span(node)

    def text(self, node: Any) -> str:
        return self.src.full_text(node)

    # -- statements ----------------------------------------------------------------

    def statement_block(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        self.push_body(node, ctx, "plain")

    def if_statement(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        test_node = node.child_by_field_name("condition")
        consequence = node.child_by_field_name("consequence")
        alternative = node.child_by_field_name("alternative")
        test = self.expr(test_node, ctx) if test_node is not None else None
        span = self.span(node)
        if alternative is not None:
            body = next((k for k in kids(alternative) if k.type != "else"), None)
            self.push_body(body, ctx.under(Condition("else", span, test)), "branch")
        self.push_body(consequence, ctx.under(Condition("if", span, test)), "branch")
        self.push(test_node, ctx)
        exit_kind = _exit_kind(consequence)
        if exit_kind is not None:
            self.add_guard(ctx, Condition("guard", span, test), exit_kind)

    def add_guard(self, ctx: _Ctx, guard: Condition, exit_kind: str) -> None:
        boundaries = EXIT_BOUNDARIES[exit_kind]
        block = ctx.block
        while block is not None:
            block.guards.append(guard)
            if block.kind in boundaries or block.kind in CONDITIONAL_BLOCKS:
                break
            block = block.parent

    def switch_statement(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        value = node.child_by_field_name("value")
        body = node.child_by_field_name("body")
        discriminant = self.expr(value, ctx) if value is not None else None
        cases = kids(body) if body is not None else []
        for case in reversed(cases):
            if case.type not in ("switch_case", "switch_default"):
                self.push(case, ctx)
                continue
            test = None
            case_value = case.child_by_field_name("value")
            if case_value is not None and discriminant is not None:
                other = self.expr(case_value, ctx)
                test = Expr("binary", self.span(case_value),
                            f"{discriminant.text} === {other.text}"[:MAX_TEXT],
                            operator="===", args=(discriminant, other))
            block = _Block("switch", ctx.block, (*ctx.conds, Condition("case", self.span(case), test)))
            statements = [c for c in kids(case) if c.id != (case_value.id if case_value else None)]
            self.push_statements(statements, ctx._replace(block=block))
            self.push(case_value, ctx)
        self.push(value, ctx)

    def try_statement(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        handler = node.child_by_field_name("handler")
        finalizer = node.child_by_field_name("finalizer")
        if finalizer is not None:
            self.push_body(finalizer.child_by_field_name("body"), ctx, "plain")
        if handler is not None:
            caught = ctx.under(Condition("catch", self.span(handler)))
            self.push_body(handler.child_by_field_name("body"), caught, "plain")
        self.push_body(node.child_by_field_name("body"), ctx, "try" if handler is not None else "plain")

    def return_statement(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        value = kids(node)
        if ctx.fn is not None:
            self.returns.append(Return(ctx.fn, self.span(node),
                                       self.expr(value[0], ctx) if value else None, ctx.conds))
        self.push_all(value, ctx)

    # -- loops ---------------------------------------------------------------------

    def c_loop(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        """for (init; test; update), while and do: the test runs on every iteration."""
        kind = LOOP_KINDS[node.type]
        test_node = _statement_expression(node.child_by_field_name("condition"))
        init_node = node.child_by_field_name("initializer") if kind == "for" else None
        update = node.child_by_field_name("increment") if kind == "for" else None
        variable, init = self.loop_init(init_node, ctx)
        loop = Loop(kind, self.span(node), variable=variable,
                    test=self.expr(test_node, ctx) if test_node is not None else None, init=init)
        inner = ctx._replace(loops=(*ctx.loops, loop))
        self.push_body(node.child_by_field_name("body"), inner, "loop")
        self.push(update, inner)
        self.push(test_node, inner)
        self.push(init_node, ctx)

    def loop_init(self, init_node: Any, ctx: _Ctx) -> tuple[str | None, Expr | None]:
        """The single variable a C-style loop starts (`let i = 0`, `i = 0`) and its value."""
        if init_node is None:
            return None, None
        target = value = None
        if init_node.type in ("lexical_declaration", "variable_declaration"):
            declarators = [c for c in kids(init_node) if c.type == "variable_declarator"]
            if len(declarators) == 1:
                target = declarators[0].child_by_field_name("name")
                value = declarators[0].child_by_field_name("value")
        else:
            assignment = _statement_expression(init_node)
            if assignment is not None and assignment.type == "assignment_expression":
                target = assignment.child_by_field_name("left")
                value = assignment.child_by_field_name("right")
        if target is None or target.type != "identifier":
            return None, None
        return self.text(target), self.expr(value, ctx) if value is not None else None

    def for_in_statement(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        """for-of (with `for await`) and for-in: the iterable is evaluated once, outside."""
        operator = node.child_by_field_name("operator")
        kind = "for-in" if operator is not None and operator.type == "in" else "for-of"
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        variable = None
        fields: tuple[tuple[str, str], ...] = ()
        if left is not None:
            left = unwrap(left)
            if left.type == "identifier":
                variable = self.text(left)
            else:
                fields = pattern_fields(left, self.src)
        loop = Loop(kind, self.span(node), variable=variable, fields=fields,
                    iterable=self.expr(right, ctx) if right is not None else None)
        self.push_body(node.child_by_field_name("body"), ctx._replace(loops=(*ctx.loops, loop)), "loop")
        self.push(right, ctx)

    # -- functions and classes -----------------------------------------------------

    def function(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        """Every function form; `hint` names an arrow or function expression (`const f =`),
        an object-literal method (`default.fetch`) or a class member (`Store.write`)."""
        kind = node.type
        own_name = node.child_by_field_name("name")
        if kind in ("function_declaration", "generator_function_declaration") and own_name is not None:
            hint = self.text(own_name)
        ident = self.src.function_id(node, ctx.fn, hint)
        class_name = self.method_class.get(node.id)
        name, fkind = self._function_name_and_kind(node, own_name, hint, class_name)
        params_node = node.child_by_field_name("parameters") or node.child_by_field_name("parameter")
        modifiers = {child.type for child in node.children if not child.is_named}
        self.functions.append(Function(
            id=ident, name=name, kind=fkind, span=self.span(node),
            params=self.params(params_node, ident), class_name=class_name, parent=ctx.fn,
            is_async="async" in modifiers, is_static="static" in modifiers,
        ))
        inner = _Ctx(ident, (), (), _Block("function", None, ()))
        body = node.child_by_field_name("body")
        if body is not None and body.type == "statement_block":
            self.push_statements(kids(body), inner)
        elif body is not None:  # `(c) => c.json(x)`: the body is the returned value
            self.returns.append(Return(ident, self.span(body), self.expr(body, inner)))
            self.push(body, inner)
        self.push(params_node, inner)

    def _function_name_and_kind(self, node: Any, own_name: Any, hint: str | None,
                                class_name: str | None) -> tuple[str | None, str]:
        kind = node.type
        name: str | None
        if kind == "method_definition":
            name = method_name(node, self.src)
            accessor = {child.type for child in node.children if not child.is_named} & {"get", "set"}
            if accessor:
                return name, "getter" if "get" in accessor else "setter"
            if class_name is not None and name == "constructor":
                return name, "constructor"
            return name, "method"
        if own_name is not None:
            name = self.text(own_name)
        else:
            name = hint.rsplit(".", 1)[-1] if hint is not None else None
        if kind == "arrow_function":
            return name, "arrow"
        if kind in FUNCTION_NODES:
            return name, "expression"
        return name, "function"

    def params(self, node: Any, ident: str) -> tuple[Param, ...]:
        if node is None:
            return ()
        if node.type == "identifier":  # `x => …`
            return (Param(0, self.text(node), self.span(node)),)
        out = []
        for index, param in enumerate(kids(node)):
            pattern = param.child_by_field_name("pattern") if param.type.endswith("_parameter") else param
            if pattern is None:
                continue
            default = param.child_by_field_name("value") if param.type.endswith("_parameter") else None
            if pattern.type == "assignment_pattern":  # JavaScript-style `x = 1`
                default = pattern.child_by_field_name("right")
                pattern = pattern.child_by_field_name("left")
                if pattern is None:
                    continue
            rest = pattern.type == "rest_pattern"
            if rest:
                inner = kids(pattern)
                if not inner:
                    continue
                pattern = inner[0]
            type_node = param.child_by_field_name("type")
            tokens = {child.type for child in param.children}
            out.append(Param(
                index=index,
                name=self.text(pattern) if pattern.type in ("identifier", "this") else None,
                span=self.span(param),
                type=type_text(type_node, self.src),
                default=self.summary.expr(default, ident) if default is not None else None,
                optional=param.type == "optional_parameter",
                rest=rest,
                fields=pattern_fields(pattern, self.src),
                property=bool(tokens & {"accessibility_modifier", "override_modifier", "readonly"}),
            ))
        return tuple(out)

    def method_definition(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        self.function(node, ctx, hint)

    def class_declaration(self, node: Any, ctx: _Ctx, hint: str | None, exported: bool = False) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is not None:
            name = self.text(name_node)
        else:
            name = hint if hint is not None else f"<class@{self.src.position(node)}>"
        extends = None
        later: list[tuple[Any, str | None]] = []
        for child in kids(node):
            if child.type == "class_heritage":
                for clause in kids(child):
                    value = clause.child_by_field_name("value") if clause.type == "extends_clause" else None
                    if value is not None:
                        extends = self.expr(value, ctx)
                        later.append((value, None))
            elif child.type == "decorator":
                later.append((child, None))
        body = node.child_by_field_name("body")
        fields: list[ClassField] = []
        methods: list[str] = []
        for member in kids(body) if body is not None else []:
            if member.type == "method_definition":
                key = method_name(member, self.src)
                member_hint = f"{name}.{key}" if key is not None else None
                methods.append(self.src.function_id(member, ctx.fn, member_hint))
                self.method_class[member.id] = name
                if key == "constructor":
                    fields.extend(self.parameter_properties(member))
                later.append((member, member_hint))
            elif member.type == "public_field_definition":
                field, value = self.class_field(member, ctx, name)
                if field is not None:
                    fields.append(field)
                    later.append((value, f"{name}.{field.name}"))
                    if field.value is not None and field.value.kind == "function" and field.value.function:
                        methods.append(field.value.function)  # `handler = async () => …`
            elif member.type in ("class_static_block", "decorator"):
                later.append((member, None))
        self.classes.append(ClassDef(name, self.span(node), extends, tuple(fields), tuple(methods), exported))
        for child, child_hint in reversed(later):
            self.push(child, ctx, child_hint)

    def class_field(self, node: Any, ctx: _Ctx, class_name: str) -> tuple[ClassField | None, Any]:
        key = node.child_by_field_name("name")
        name = property_key(key, self.src) if key is not None else None
        if name is None:
            return None, None
        value = node.child_by_field_name("value")
        if value is not None and unwrap(value).type in FUNCTION_NODES:
            self.method_class[unwrap(value).id] = class_name
        is_static = any(child.type == "static" for child in node.children)
        summary = self.expr(value, ctx, f"{class_name}.{name}") if value is not None else None
        return ClassField(name, self.span(node), type_text(node.child_by_field_name("type"), self.src),
                          summary, is_static), value

    def parameter_properties(self, constructor: Any) -> list[ClassField]:
        """`constructor(private env: Env)` declares the field `env`."""
        params = constructor.child_by_field_name("parameters")
        out = []
        for param in kids(params) if params is not None else []:
            tokens = {child.type for child in param.children}
            pattern = param.child_by_field_name("pattern")
            if tokens & {"accessibility_modifier", "override_modifier", "readonly"} and \
                    pattern is not None and pattern.type == "identifier":
                out.append(ClassField(self.text(pattern), self.span(param),
                                      type_text(param.child_by_field_name("type"), self.src)))
        return out

    # -- declarations, imports, exports --------------------------------------------

    def variable_declaration(self, node: Any, ctx: _Ctx, hint: str | None, exported: bool = False) -> None:
        kind = node.child_by_field_name("kind")
        decl_kind = "var" if node.type == "variable_declaration" or kind is None else kind.type
        if decl_kind not in ("const", "let", "var"):
            decl_kind = "const"  # `using` and `await using` bind like const
        later: list[tuple[Any, str | None]] = []
        for declarator in kids(node):
            if declarator.type != "variable_declarator":
                later.append((declarator, None))
                continue
            target = declarator.child_by_field_name("name")
            value_node = declarator.child_by_field_name("value")
            if target is None:
                continue
            name = self.text(target) if target.type == "identifier" else None
            value = self.expr(value_node, ctx, name) if value_node is not None else None
            fields = pattern_fields(target, self.src)
            elements = pattern_elements(target, self.src)
            self.declarations.append(Declaration(
                ctx.fn, decl_kind, self.span(declarator), name=name, value=value,
                type=type_text(declarator.child_by_field_name("type"), self.src),
                fields=fields, elements=elements, exported=exported, loops=ctx.loops, conditions=ctx.conds,
            ))
            if value_node is not None:
                self.require_imports(target, value_node)
                self.env_destructuring(target, value_node, ctx)
            if exported:
                names = [name] if name is not None else [local for _, local in fields] + [
                    element.lstrip(".") for element in elements if element is not None]
                for local in names:
                    self.exports.append(Export(local, self.span(declarator), local,
                                               value if name is not None else None))
            later.append((value_node, name))
            if target.type != "identifier":
                later.append((target, None))  # defaults inside a pattern may call things
        for child, child_hint in reversed(later):
            self.push(child, ctx, child_hint)

    def assignment(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            self.push_all(kids(node), ctx)
            return
        operator = node.child_by_field_name("operator")
        op = operator.type if operator is not None else "="
        target_node = unwrap(left)
        right_hint = assign_hint(left, self.src)
        value = self.expr(right, ctx, right_hint)
        if op != "=":  # `x ??= y` is recorded as `x = x ?? y`
            value = Expr("binary", self.span(node), self.src.text(node), operator=op[:-1],
                         args=(self.expr(left, ctx), value))
        name = self.text(target_node) if target_node.type == "identifier" else None
        member = target_node.type in ("member_expression", "subscript_expression")
        self.declarations.append(Declaration(
            ctx.fn, "assign", self.span(node), name=name,
            target=self.expr(target_node, ctx) if member else None, value=value,
            fields=pattern_fields(target_node, self.src), elements=pattern_elements(target_node, self.src),
            loops=ctx.loops, conditions=ctx.conds,
        ))
        if op == "=":
            self.commonjs_export(node, target_node, right, value)
            self.env_destructuring(target_node, right, ctx)
        self.push(right, ctx, right_hint)
        self.push(left, ctx)

    def commonjs_export(self, node: Any, target: Any, right: Any, value: Expr) -> None:
        """`module.exports = x` exports `default`; `exports.a = …` and
        `module.exports.a = …` export `a`."""
        if target.type != "member_expression":
            return
        parts = "".join(self.text(target).split()).split(".")
        local = self.text(unwrap(right)) if unwrap(right).type == "identifier" else None
        if parts == ["module", "exports"]:
            self.exports.append(Export("default", self.span(node), local, value))
        elif parts[:-1] in (["exports"], ["module", "exports"]):
            self.exports.append(Export(parts[-1], self.span(node), local, value))

    def import_statement(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        source_node = node.child_by_field_name("source")
        type_only = any(child.type == "type" for child in node.children)
        clause = None
        for child in kids(node):
            if child.type in ("import_clause", "import_require_clause"):
                clause = child
        if clause is not None and clause.type == "import_require_clause":
            source_node = clause.child_by_field_name("source")
        if source_node is None:
            return
        source = string_value(source_node, self.src)
        span = self.span(node)
        if clause is None:  # `import "./polyfill"`: runs the module, binds nothing
            self.imports.append(Import(source, "*", "", span, type_only))
            return
        for part in kids(clause):
            if part.type == "identifier":
                imported = "*" if clause.type == "import_require_clause" else "default"
                self.imports.append(Import(source, imported, self.text(part), self.span(part), type_only))
            elif part.type == "namespace_import":
                names = kids(part)
                if names:
                    self.imports.append(Import(source, "*", self.text(names[-1]), self.span(part), type_only))
            elif part.type == "named_imports":
                for spec in kids(part):
                    self.import_specifier(spec, source, type_only)

    def import_specifier(self, spec: Any, source: str, type_only: bool) -> None:
        name = spec.child_by_field_name("name")
        alias = spec.child_by_field_name("alias")
        if name is None:
            return
        imported = property_key(name, self.src) or self.text(name)
        local = self.text(alias) if alias is not None else imported
        inline_type = any(child.type == "type" for child in spec.children)
        self.imports.append(Import(source, imported, local, self.span(spec), type_only or inline_type))

    def require_imports(self, target: Any, value: Any) -> None:
        """`const x = require("m")`, `const { a, b: c } = require("m")`,
        `const y = require("m").y` and the same with `await import("m")`."""
        value = unwrap(value)
        imported = "*"
        if value.type == "await_expression":
            inner = kids(value)
            value = unwrap(inner[0]) if inner else value
        if value.type == "member_expression":
            prop = value.child_by_field_name("property")
            imported = self.text(prop) if prop is not None else "*"
            value = unwrap(value.child_by_field_name("object") or value)
        if value.type != "call_expression":
            return
        callee = value.child_by_field_name("function")
        args = call_arguments(value)
        if callee is None or self.text(callee) not in ("require", "import") or len(args) != 1:
            return
        source = static_string(args[0], self.src)
        if source is None:
            return
        span = self.span(value)
        if target.type == "identifier":
            self.imports.append(Import(source, imported, self.text(target), span))
        elif target.type == "object_pattern" and imported == "*":
            for prop, local in pattern_fields(target, self.src):
                if prop != "...":
                    self.imports.append(Import(source, prop, local, span))

    def export_statement(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        span = self.span(node)
        tokens = {child.type for child in node.children if not child.is_named}
        declaration = node.child_by_field_name("declaration")
        value = node.child_by_field_name("value")
        source_node = node.child_by_field_name("source")
        source = string_value(source_node, self.src) if source_node is not None else None
        default = "default" in tokens
        if declaration is not None:
            self.export_declaration(declaration, ctx, span, default)
        elif value is not None or "=" in tokens:
            if value is None:  # TypeScript `export = app`
                rest = kids(node)
                value = rest[-1] if rest else None
            if value is None:
                return
            inner = unwrap(value)
            local = self.text(inner) if inner.type == "identifier" else None
            self.exports.append(Export("default", span, local, self.expr(value, ctx, "default")))
            if inner.type == "class":  # `export default class { … }`
                self.class_declaration(inner, ctx, "default", exported=True)
            else:
                self.push(value, ctx, "default")
        elif "*" in tokens and source is not None:  # `* as ns` keeps its `*` inside namespace_export
            self.exports.append(Export("*", span, source=source))
        for child in kids(node):
            if child.type == "namespace_export":
                names = kids(child)
                if names:
                    self.exports.append(Export(self.text(names[-1]), span, "*", source=source))
            elif child.type == "export_clause" and "type" not in tokens:
                for spec in kids(child):
                    self.export_specifier(spec, source)

    def export_declaration(self, declaration: Any, ctx: _Ctx, span: Any, default: bool) -> None:
        kind = declaration.type
        name_node = declaration.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else None
        if kind in ("class_declaration", "abstract_class_declaration", "class"):
            self.exports.append(Export("default" if default else (name or "default"), span, name))
            self.class_declaration(declaration, ctx, None if name else "default", exported=True)
        elif kind in ("lexical_declaration", "variable_declaration"):
            self.variable_declaration(declaration, ctx, None, exported=True)
        elif kind in ("function_declaration", "generator_function_declaration"):
            hint = name or "default"
            value = Expr("function", self.span(declaration), self.src.text(declaration),
                         function=self.src.function_id(declaration, ctx.fn, hint))
            self.exports.append(Export("default" if default else hint, span, name, value))
            self.push(declaration, ctx, hint)
        elif kind in ("enum_declaration", "internal_module", "module") and name is not None:
            self.exports.append(Export(name, span, name))
            self.push(declaration, ctx)
        # interfaces, type aliases and `declare` forms are types only: nothing runs

    def export_specifier(self, spec: Any, source: str | None) -> None:
        if any(child.type == "type" for child in spec.children):
            return
        name = spec.child_by_field_name("name")
        alias = spec.child_by_field_name("alias")
        if name is None:
            return
        local = property_key(name, self.src) or self.text(name)
        exported = local if alias is None else property_key(alias, self.src) or self.text(alias)
        self.exports.append(Export(exported, self.span(spec), local, source=source))

    # -- expressions ---------------------------------------------------------------

    def call(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        is_new = node.type == "new_expression"
        prefix, callee = split_callee(node)
        if callee is None:
            self.push_all(kids(node), ctx)
            return
        arg_nodes = call_arguments(node)
        args = tuple(self.expr(arg, ctx) for arg in arg_nodes)
        after = () if is_new else self.optional_conditions(node, ctx)
        inner = ctx.under(*after)
        awaited = node.id in self.awaited or (prefix is not None and prefix.type == "await_expression")
        self.calls.append(Call(
            ctx.fn, self.expr(callee, ctx), self.src.span(callee if prefix else node, node), args,
            loops=ctx.loops, conditions=inner.conds, awaited=awaited, is_new=is_new,
        ))
        if not is_new:
            if has_optional(node):
                self.read_optionally.add(unwrap(callee).id)
            self.route(node, callee, arg_nodes, args, ctx)
        self.push_all(arg_nodes, inner)
        self.push(callee, ctx)

    def optional_conditions(self, node: Any, ctx: _Ctx) -> tuple[Condition, ...]:
        """One `optional` condition per `?.` earlier in this chain, nearest the root first."""
        found = []
        link = node
        for _ in range(MAX_CHAIN):
            kind = link.type
            if kind == "non_null_expression":
                inner = kids(link)
                if not inner:
                    break
                link = inner[0]
                continue
            if kind not in ("call_expression", "member_expression", "subscript_expression"):
                break
            base = link.child_by_field_name("function" if kind == "call_expression" else "object")
            if base is None:
                break
            if has_optional(link):
                found.append(Condition("optional", self.span(link), self.expr(base, ctx)))
            link = base
        return tuple(reversed(found))

    def route(self, node: Any, callee: Any, arg_nodes: list[Any], args: tuple[Expr, ...], ctx: _Ctx) -> None:
        """`app.get("/path", …handlers)` and `app.on("PUT", "/path", …)`: candidates only."""
        callee = unwrap(callee)
        if callee.type != "member_expression" or not arg_nodes:
            return
        router = callee.child_by_field_name("object")
        prop = callee.child_by_field_name("property")
        if router is None or prop is None:
            return
        method = self.text(prop).lower()
        if method not in ROUTE_METHODS:
            return
        methods = [method.upper()]
        path_index = 0
        if method == "on":
            path_index = 1
            first = unwrap(arg_nodes[0])
            if first.type == "array":
                methods = [static_string(item, self.src) or "" for item in kids(first)]
            else:
                methods = [static_string(first, self.src) or ""]
            methods = [m.upper() for m in methods if m]
        if len(arg_nodes) <= path_index or not methods:
            return
        path = static_string(arg_nodes[path_index], self.src)
        if path is None or not path.startswith("/"):
            return
        router_expr = self.expr(router, ctx)
        for name in methods:
            self.routes.append(Route(router_expr, name, path, args[path_index + 1:], self.span(node), ctx.fn))

    def member_expression(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        target = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        if target is None:
            return
        if has_optional(node):
            self.read_optionally.add(unwrap(target).id)
        if prop is not None and prop.type == "property_identifier" and is_env(target, self.src):
            self.env_access(node, self.text(prop), target, ctx)
        self.push(target, ctx)

    def subscript_expression(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        target = node.child_by_field_name("object")
        index = node.child_by_field_name("index")
        if target is None:
            return
        if has_optional(node):
            self.read_optionally.add(unwrap(target).id)
        if index is not None and is_env(target, self.src):
            name = static_string(index, self.src)
            if name is not None:
                self.env_access(node, name, target, ctx)
        self.push(index, ctx.under(*self.optional_conditions(node, ctx)))
        self.push(target, ctx)

    def env_access(self, node: Any, name: str, base: Any, ctx: _Ctx) -> None:
        # Optional: read through `?.` (`env?.X`) or used through it (`env.X?.get()`);
        # either way the code allows the binding to be missing.
        optional = has_optional(node) or node.id in self.read_optionally
        self.env_accesses.append(EnvAccess(ctx.fn, name, self.expr(base, ctx), self.span(node),
                                           optional, ctx.conds))

    def env_destructuring(self, target: Any, value: Any, ctx: _Ctx) -> None:
        """`const { A, B: b } = env` reads A and B; a parameter `{ env }` reads nothing."""
        if target.type != "object_pattern" or not is_env(value, self.src):
            return
        base = self.expr(value, ctx)
        for prop in kids(target):
            key = None
            if prop.type == "shorthand_property_identifier_pattern":
                key = self.text(prop)
            elif prop.type == "object_assignment_pattern":
                left = prop.child_by_field_name("left")
                key = self.text(left) if left is not None else None
            elif prop.type == "pair_pattern":
                key_node = prop.child_by_field_name("key")
                key = property_key(key_node, self.src) if key_node is not None else None
            if key is not None:
                self.env_accesses.append(EnvAccess(ctx.fn, key, base, self.span(prop), False, ctx.conds))

    def binary_expression(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        logical = LOGICAL.get(operator.type) if operator is not None else None
        if logical is not None and left is not None:
            self.push(right, ctx.under(Condition(logical, self.span(node), self.expr(left, ctx))))
        else:
            self.push(right, ctx)
        self.push(left, ctx)

    def ternary_expression(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        test_node = node.child_by_field_name("condition")
        test = self.expr(test_node, ctx) if test_node is not None else None
        span = self.span(node)
        self.push(node.child_by_field_name("alternative"), ctx.under(Condition("ternary-else", span, test)))
        self.push(node.child_by_field_name("consequence"), ctx.under(Condition("ternary-then", span, test)))
        self.push(test_node, ctx)

    def await_expression(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        inner = kids(node)
        if inner:
            target = unwrap(inner[0])
            if target.type in ("call_expression", "new_expression"):
                self.awaited.add(target.id)
            self.push(inner[0], ctx)

    def transparent(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        """Parentheses and type assertions: walk only the expression, keeping its name."""
        inner = unwrap(node)
        if inner.id != node.id:
            self.push(inner, ctx, hint)

    def object_literal(self, node: Any, ctx: _Ctx, hint: str | None) -> None:
        prefix = object_prefix(node, hint, self.src)
        later: list[tuple[Any, str | None]] = []
        for child in kids(node):
            if child.type == "pair":
                key_node = child.child_by_field_name("key")
                key = property_key(key_node, self.src) if key_node is not None else None
                if key is None and key_node is not None:
                    later.append((key_node, None))
                member_hint = f"{prefix}.{key}" if key is not None else None
                later.append((child.child_by_field_name("value"), member_hint))
            elif child.type == "method_definition":
                key = method_name(child, self.src)
                later.append((child, f"{prefix}.{key}" if key is not None else None))
            else:
                later.append((child, None))
        for child, child_hint in reversed(later):
            self.push(child, ctx, child_hint)


# Where declarations of types live: the module, exports, `declare` blocks and namespaces
# (`declare namespace Cloudflare { interface Env … }` from `wrangler types`).
_TYPE_CONTAINERS = frozenset({"program", "export_statement", "ambient_declaration", "internal_module",
                              "module", "statement_block"})


def type_definitions(root: Any, src: Source) -> tuple[TypeDef, ...]:
    """Interfaces and object type aliases with their members, without entering code."""
    found: list[TypeDef] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "interface_declaration":
            body = node.child_by_field_name("body")
            extends = next((c for c in kids(node) if c.type == "extends_type_clause"), None)
            bases = tuple(src.full_text(t) for t in kids(extends)) if extends is not None else ()
            found.append(_type_def(node, body, bases, src))
        elif node.type == "type_alias_declaration":
            value = node.child_by_field_name("value")
            if value is not None and value.type == "object_type":
                found.append(_type_def(node, value, (), src))
        elif node.type in _TYPE_CONTAINERS and (node.type != "statement_block" or
                                                 node.parent.type == "internal_module"):
            stack.extend(reversed(kids(node)))
    return tuple(found)


def _type_def(node: Any, body: Any, bases: tuple[str, ...], src: Source) -> TypeDef:
    members, optional = [], []
    for member in kids(body) if body is not None else []:
        if member.type != "property_signature":
            continue
        name_node = member.child_by_field_name("name")
        annotation = member.child_by_field_name("type")
        if name_node is None:
            continue
        name = string_value(name_node, src) if name_node.type == "string" else src.full_text(name_node)
        if name is None:
            continue
        members.append((name, type_text(annotation, src) or "any"))
        if any(c.type == "?" for c in member.children):
            optional.append(name)
    name_node = node.child_by_field_name("name")
    return TypeDef(src.full_text(name_node) if name_node is not None else "", src.span(node),
                   tuple(members), bases, tuple(optional))


def _exit_kind(statement: Any) -> str | None:
    """How an if's consequent leaves: its own kind, or its block's last statement's."""
    if statement is None:
        return None
    if statement.type == "statement_block":
        inner = kids(statement)
        if not inner:
            return None
        statement = inner[-1]
    return EXIT_KINDS.get(statement.type)


def _statement_expression(node: Any) -> Any:
    """A for-loop header part: `;` and empty statements are no expression."""
    if node is None or node.type in (";", "empty_statement"):
        return None
    if node.type == "expression_statement":
        inner = kids(node)
        return inner[0] if inner else None
    return node


HANDLERS: dict[str, _Handler] = {
    "statement_block": _Walker.statement_block,
    "if_statement": _Walker.if_statement,
    "switch_statement": _Walker.switch_statement,
    "try_statement": _Walker.try_statement,
    "return_statement": _Walker.return_statement,
    "for_statement": _Walker.c_loop,
    "while_statement": _Walker.c_loop,
    "do_statement": _Walker.c_loop,
    "for_in_statement": _Walker.for_in_statement,
    "function_declaration": _Walker.function,
    "generator_function_declaration": _Walker.function,
    "function_expression": _Walker.function,
    "generator_function": _Walker.function,
    "arrow_function": _Walker.function,
    "method_definition": _Walker.method_definition,
    "class_declaration": _Walker.class_declaration,
    "abstract_class_declaration": _Walker.class_declaration,
    "class": _Walker.class_declaration,
    "lexical_declaration": _Walker.variable_declaration,
    "variable_declaration": _Walker.variable_declaration,
    "assignment_expression": _Walker.assignment,
    "augmented_assignment_expression": _Walker.assignment,
    "import_statement": _Walker.import_statement,
    "export_statement": _Walker.export_statement,
    "call_expression": _Walker.call,
    "new_expression": _Walker.call,
    "member_expression": _Walker.member_expression,
    "subscript_expression": _Walker.subscript_expression,
    "binary_expression": _Walker.binary_expression,
    "ternary_expression": _Walker.ternary_expression,
    "await_expression": _Walker.await_expression,
    "object": _Walker.object_literal,
    **dict.fromkeys(
        ("parenthesized_expression", "as_expression", "satisfies_expression", "non_null_expression",
         "type_assertion", "instantiation_expression"),
        _Walker.transparent,
    ),
}
