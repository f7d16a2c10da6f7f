"""Facts: what a source frontend saw in one file, as plain frozen records.

Frontends produce these from syntax alone (tree-sitter for TypeScript/JavaScript, libcst
for Python); the Program gives them meaning (which `env`, which binding, which class).
Everything here is data: tuples, strings, numbers, so a file's facts can be cached and
compared. A frontend never guesses what a name refers to: it records the expression.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Literal = str | int | float | bool | None


@dataclass(frozen=True)
class Span:
    """1-based lines; columns count characters, 1-based; the end is exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Prop:
    """One property of an object literal (or a Python dict display).

    `key` is None for a spread (`...opts`, `**opts`) and for a computed key (`[k]: v`),
    told apart by `spread`.
    """

    key: str | None
    value: Expr
    spread: bool = False


@dataclass(frozen=True)
class Expr:
    """A syntactic summary of an expression.

    kind        what is set
    literal     value (string, number, boolean, None for null/undefined/None)
    template    strings (the literal chunks, len(args) + 1) and args (the substitutions);
                a template without substitutions is a `literal`
    name        name (an identifier; `this` and `self` are names too)
    member      target (the object) and name (the property); operator "?." when optional
    index       target and args[0] (the subscript: `a[b]`, `a["B"]`)
    call, new   target (the callee) and args; keywords for Python keyword arguments
    object      props (an object literal or a Python dict)
    array       args (elements; a spread element is a `spread`)
    function    function (the id of the Function fact: arrow, function expression, lambda)
    binary      operator and args (left, right); also && || ?? and Python's and/or
    unary       operator and target (`!x`, `-x`, `typeof x`, `not x`)
    conditional args (test, consequent, alternate)
    await       target
    spread      target
    assign      target and args[0] (`a = b`, `a ??= b`; operator holds the operator)
    other       only span and text
    """

    kind: str
    span: Span
    text: str = ""
    value: Literal = None
    name: str | None = None
    target: Expr | None = None
    args: tuple[Expr, ...] = ()
    keywords: tuple[tuple[str, Expr], ...] = ()
    props: tuple[Prop, ...] = ()
    strings: tuple[str, ...] = ()
    operator: str | None = None
    function: str | None = None


@dataclass(frozen=True)
class Param:
    """A parameter. `name` is None for a destructuring pattern, whose `fields` list
    (property, local name) pairs. `property` marks a TypeScript parameter property
    (`constructor(private env: Env)`), which also declares a field."""

    index: int
    name: str | None
    span: Span
    type: str | None = None
    default: Expr | None = None
    optional: bool = False
    rest: bool = False
    fields: tuple[tuple[str, str], ...] = ()
    property: bool = False


@dataclass(frozen=True)
class Function:
    """A function of any form. `id` is unique in the file: the qualified name
    (`fetchQuote`, `Store.write`, `default.fetch`, `Store.constructor`) or, for an
    anonymous function, the enclosing id plus `<arrow@LINE:COL>` / `<lambda@LINE:COL>`."""

    id: str
    name: str | None
    kind: str  # function, method, constructor, getter, setter, arrow, expression, lambda
    span: Span
    params: tuple[Param, ...] = ()
    class_name: str | None = None
    parent: str | None = None  # the enclosing function's id
    is_async: bool = False
    is_static: bool = False


@dataclass(frozen=True)
class Loop:
    """A loop around a fact, within the same function.

    kind: for (C-style: init/test/update), for-of, for-in, while, do. `variable` is the
    loop variable of for-of/for-in (None for a pattern, whose names are in `fields`),
    `iterable` its right-hand side, `test` the condition of for/while/do, `init` the
    initial value of a C-style loop's single variable.
    """

    kind: str
    span: Span
    variable: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    iterable: Expr | None = None
    test: Expr | None = None
    init: Expr | None = None


@dataclass(frozen=True)
class Condition:
    """A condition a fact runs under, within the same function.

    kind: if (in the consequent), else (in the alternate), case (a switch case; test is
    `discriminant === value` as a binary Expr, None for default), ternary-then,
    ternary-else, and (right of &&), or (right of ||), nullish (right of ??),
    optional (after `?.` in the same chain), catch (in a catch block), guard (after an
    `if (test) return/throw/continue/break` earlier in an enclosing block: the code
    runs only when `test` is false).
    """

    kind: str
    span: Span
    test: Expr | None = None


@dataclass(frozen=True)
class Call:
    """A call or `new`, with the loops and conditions around it in its function."""

    function: str | None  # enclosing function id; None at module level
    callee: Expr
    span: Span
    args: tuple[Expr, ...] = ()
    keywords: tuple[tuple[str, Expr], ...] = ()
    loops: tuple[Loop, ...] = ()  # outermost first
    conditions: tuple[Condition, ...] = ()  # outermost first
    awaited: bool = False
    is_new: bool = False


@dataclass(frozen=True)
class Declaration:
    """A declared or assigned name: `const x = …`, `let { keys } = …`, `this.kv = …`,
    `x = …`, Python `x = …`. `name` is the simple name, or None when the target is a
    member (`this.kv`: then `target` is that Expr) or a pattern (`fields`, `elements`)."""

    function: str | None
    kind: str  # const, let, var, assign, python
    span: Span
    name: str | None = None
    target: Expr | None = None
    value: Expr | None = None
    type: str | None = None
    fields: tuple[tuple[str, str], ...] = ()
    elements: tuple[str | None, ...] = ()
    exported: bool = False
    loops: tuple[Loop, ...] = ()
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Return:
    function: str
    span: Span
    value: Expr | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class ClassField:
    name: str
    span: Span
    type: str | None = None
    value: Expr | None = None
    is_static: bool = False


@dataclass(frozen=True)
class ClassDef:
    name: str
    span: Span
    extends: Expr | None = None
    fields: tuple[ClassField, ...] = ()
    methods: tuple[str, ...] = ()  # Function ids
    exported: bool = False


@dataclass(frozen=True)
class Import:
    """`imported` is the exported name, `default`, or `*` for a namespace import."""

    source: str
    imported: str
    local: str
    span: Span
    type_only: bool = False


@dataclass(frozen=True)
class Export:
    """`export default {…}`: name `default`, value the object. `export class X`: name and
    local `X`. `export { a as b }`: name `b`, local `a`. `export { x } from "./m"`: source
    set. `export * from "./m"`: name `*`."""

    name: str
    span: Span
    local: str | None = None
    value: Expr | None = None
    source: str | None = None


@dataclass(frozen=True)
class EnvAccess:
    """A property read from something called `env` (`env.X`, `this.env.X`, `c.env.X`,
    `env["X"]`, `const { X } = env`): a binding candidate for the Program to confirm."""

    function: str | None
    name: str
    base: Expr  # the `env` expression itself
    span: Span
    optional: bool = False  # read through `?.`
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Route:
    """A router-style registration candidate: `<router>.<method>("/path", …handlers)`.
    The Program confirms that `router` is a router (Hono, itty, …), not a KV namespace."""

    router: Expr
    method: str
    path: str
    handlers: tuple[Expr, ...]
    span: Span
    function: str | None = None


@dataclass(frozen=True)
class TypeDef:
    """An interface or object type alias with its members' type texts: the `Env`
    interface (`CACHE: KVNamespace`) that `wrangler types` writes or a project declares."""

    name: str
    span: Span
    members: tuple[tuple[str, str], ...] = ()
    extends: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # members declared with `?`


@dataclass(frozen=True)
class SyntaxProblem:
    span: Span
    message: str


@dataclass(frozen=True)
class FileFacts:
    path: str
    language: str  # typescript, tsx, javascript, python
    functions: tuple[Function, ...] = ()
    calls: tuple[Call, ...] = ()
    declarations: tuple[Declaration, ...] = ()
    returns: tuple[Return, ...] = ()
    classes: tuple[ClassDef, ...] = ()
    imports: tuple[Import, ...] = ()
    exports: tuple[Export, ...] = ()
    env_accesses: tuple[EnvAccess, ...] = ()
    routes: tuple[Route, ...] = ()
    types: tuple[TypeDef, ...] = ()
    problems: tuple[SyntaxProblem, ...] = ()
    # `workers-audit-ignore[...]` comments: line -> the comment's text, for suppressions.
    comments: tuple[tuple[int, str], ...] = field(default_factory=tuple)
