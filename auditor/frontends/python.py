"""Python frontend: one Python Worker source file to FileFacts through libcst, syntax only.

The facts are those of the TypeScript frontend (see `auditor.facts` and the choices in
`auditor.frontends.typescript`), so that the Program and the rules treat both languages
alike. Where Python has no TypeScript counterpart, this is the mapping:

- Functions: a module-level `def` has id `name`; a method `Class.name`, kind `method`,
  `constructor` for `__init__`, `getter` under `@property`/`@cached_property`, `setter`
  under `@x.setter`; `@staticmethod` sets is_static (`@classmethod` does not); other
  decorators are ignored. A nested def is `outer.inner`, a lambda
  `<enclosing>.<lambda@LINE:COL>` (kind `lambda`, its body also its Return). A second
  definition of one name in one scope (a property setter, `if …: def f` / `else: def f`)
  gets `@LINE:COL` appended, as ids are unique; the first keeps the plain id.
- Params, indexed in order: positional-only, positional, `*args`, keyword-only,
  `**kwargs`; `self`/`cls` included as param 0; the bare `*` and `/` are no params.
  `*args` has rest set. `**kwargs` has rest *and optional* set: Param has no field
  for "collects keyword arguments", so rest + optional is the marker (only `**kwargs`
  carries it; a default value is in `default` and does not set optional).
- Calls: positional arguments in args (`*xs` as a `spread`), keyword arguments in
  keywords as (name, Expr), `**opts` as ("**", Expr of opts). Python has no `new`:
  `Response(...)` is a call. Decorators, default values and class bases run where the
  def or class statement is, so their calls belong to the enclosing function.
- Loops: `for`/`async for`, and every `for` clause of a comprehension, are `for-of`
  (a comprehension's first iterable is evaluated outside it; its `if` clauses are `if`
  conditions inside it). `while` is `while`; calls in its test are inside the loop (they
  run on every iteration). A tuple target `for k, v in …` has variable None and fields
  by position as in a TypeScript array pattern, ("0", "k"), ("1", "v"), a starred name as
  ("...", name); nested tuples are left out.
- Conditions: `if`; `else` (span and test of the `if` it belongs to); `elif` is else +
  if, as `else if` is in TypeScript; a conditional expression gives ternary-then and
  ternary-else; the right operand of `and`/`or` gives and/or with the left operand as
  test; an `except` block is `catch` (test None); a `match` case is `case` whose test is
  `subject == value` for a value pattern, `subject is X` for None/True/False,
  `subject match <pattern>` (operator "match", the pattern as `other`) for any other
  refutable pattern, None for `case _` and a bare capture; a case guard adds an `if`.
  `if test:` (or `elif test:`) whose block ends in return/raise/continue/break puts
  `guard` on the statements after it, in its block and in the enclosing blocks up to
  the one the exit leaves (the function for return, a try body with handlers or the
  function for raise, the loop for continue and break), as the TypeScript frontend does.
  Imports under `if TYPE_CHECKING:` are type_only.
- Expr: True/False/None are literals; a bytes literal is a `literal` whose value is the
  bytes decoded as Latin-1 (one character per byte, so nothing is lost); an f-string is
  a `template` (conversions and format specs dropped); implicit concatenation joins
  literals and templates; `a < b < c` is the binary `(a < b) and (b < c)`; `not x`, `-x`
  are `unary`; a walrus is `assign` with operator ":="; `dict(a=1)` is an ordinary call;
  a comprehension, slice, yield, `...` or complex number is `other`; `a[1, 2]` indexes
  with an `array`. Trees are cut at height 64 (deeper parts become `other`), texts at
  200 characters.
- Declarations: `x = …`, `x: T = …`, `x: T` and `(x := …)` are kind `python`; `x += v`
  is kind `assign` with the value `x + v` (as `x ??= y` is `x ?? y` in TypeScript). A
  member or subscript target (`self.kv = env.CACHE`) has name None and target set.
  `a, b = c, d` with as many values as names is one declaration per pair (so
  `self.ctx, self.env = ctx, env` reads like two assignments); any other tuple target
  has elements (a name, "...name" for a starred one, None for a member or a nested
  tuple). In a class body, assignments are ClassFields instead: an annotated one is an
  instance field unless its type is ClassVar, a plain one a static (class) attribute.
- Imports: `import a.b` binds `a`: Import(source "a", imported "*", local "a"), and
  `a.b.f` is a member chain from there; `import a.b as c` is Import("a.b", "*", "c");
  `from .m import f as g` is Import(".m", "f", "g"); `from m import *` has imported and
  local "*". Imports inside functions are recorded too (Import has no scope).
- Exports: Python has no export statement. Every module-level name not starting with
  `_` is an attribute that other modules, and the Workers runtime (which looks entry
  points and Durable Object classes up on the main module), can read. So each
  module-level def, class and assigned name is Export(name, local=name) (an assignment
  with its value), and each runtime `from m import x as y` is a re-export
  Export(name "y", local "x", source "m"), as `export { x as y } from "m"` is in
  TypeScript; `from m import *` is Export("*", source="m"). `__all__` is not read.
- EnvAccess: an attribute read from an expression whose last segment is `env` (`env.X`,
  `self.env.X`, `c.env.X`), `env["X"]` and `getattr(env, "X")`; `getattr(env, "X",
  default)` and `hasattr(env, "X")` have optional set: they are Python's guarded reads,
  as `env.X?.` is TypeScript's. An assignment target `env.X = …` is no read.
- Routes: only the decorator form `@<router>.<get|post|put|delete|patch|head|options>(
  "/path", …)` (FastAPI and the like), whose handler is the decorated function. Nothing
  else in Python Workers registers routes in a way syntax alone can recognise.
- No TypeDefs: Python Workers declare no `Env` types. comments: every comment holding
  `workers-audit-ignore`, as (line, text).

libcst cannot recover from a syntax error: a file that does not parse yields one
SyntaxProblem and no other facts. Its native parser recurses on the machine stack,
crashing the process on deep nesting (about 1,250 nested brackets on an 8 MB stack), and
is quadratic in time and memory on long operator chains; so a string-aware scan first
bounds bracket nesting at 200 (CPython's own limit) and the operators on one expression
path at 1,000, and reports "nesting too deep" past them. Python recursion past the
interpreter's limit, in libcst or here, is reported the same way. The source must be
UTF-8 (an encoding cookie is not honoured; a BOM is dropped): other bytes are a
SyntaxProblem at the first byte that does not decode.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

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
    Prop,
    Return,
    Route,
    Span,
    SyntaxProblem,
)

if TYPE_CHECKING:
    # Bound at run time by _load_libcst: importing libcst costs more than parsing a file.
    import libcst as cst
    from libcst.metadata import CodeRange

_LANGUAGE = "python"
_TEXT_LIMIT = 200
# As in the TypeScript frontend: Expr nodes deeper than 64 below a fact's own Expr are
# cut, the one at depth 65 standing for its subtree as `other`.
_MAX_DEPTH = 64
_MAX_BRACKETS = 200
_MAX_PATH = 1_000
_SUPPRESSION = "workers-audit-ignore"

_BINARY = {
    "Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//",
    "Modulo": "%", "Power": "**", "MatrixMultiply": "@", "LeftShift": "<<",
    "RightShift": ">>", "BitAnd": "&", "BitOr": "|", "BitXor": "^", "And": "and",
    "Or": "or", "LessThan": "<", "GreaterThan": ">", "Equal": "==", "NotEqual": "!=",
    "LessThanEqual": "<=", "GreaterThanEqual": ">=", "In": "in", "NotIn": "not in",
    "Is": "is", "IsNot": "is not",
}  # fmt: skip
_UNARY = {"Not": "not", "Minus": "-", "Plus": "+", "BitInvert": "~"}
_EXITS = {"Return": "return", "Raise": "raise", "Continue": "continue", "Break": "break"}
# The block kinds where each exit stops putting its guard on later statements, as in the
# TypeScript frontend: a raise is caught by a try body that has handlers.
_BOUNDARIES = {
    "return": ("function",),
    "raise": ("function", "try"),
    "continue": ("function", "loop"),
    "break": ("function", "loop"),
}
_ROUTE_METHODS = frozenset({"get", "post", "put", "delete", "patch", "head", "options"})
_GETTERS = frozenset({"property", "cached_property"})

# An Expr and its height; the height decides where the tree is cut.
_E = tuple[Expr, int]
# A guard and the kind of exit that made it (return, raise, continue, break).
_Guard = tuple[Condition, str]


def parse_file(path: str, source: bytes) -> FileFacts:
    """The facts of one Python file; never raises (problems are SyntaxProblems)."""
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError as error:
        line, column = _byte_position(source, error.start)
        return _problem(
            path, line, column, f"source is not UTF-8: byte {source[error.start]:#04x}, {error.reason}"
        )
    text = text.removeprefix("\ufeff")
    deep = _too_deep(text)
    if deep is not None:
        return _nesting_problem(path, text, deep)
    _load_libcst()
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as error:
        line, column, message = _parser_error(text, error)
        return _problem(path, line, column, f"syntax error: {message}")
    except RecursionError:
        return _problem(path, 1, 1, "nesting too deep")
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # a Rust panic in the parser is a BaseException
        # libcst also refuses some trees while building them (CSTValidationError for
        # `"a" b"b"`); CPython usually says where.
        located = _cpython_error(text)
        if located is not None:
            return _problem(path, located[0], located[1], f"syntax error: {located[2]}")
        return _problem(path, 1, 1, f"syntax error: the parser failed ({type(error).__name__}: {error})")
    try:
        return _Walker(path, text, _positions(module)).run(module)
    except RecursionError:
        return _problem(path, 1, 1, "nesting too deep")
    except Exception as error:  # a frontend bug must cost one file, not the audit
        return _problem(path, 1, 1, f"internal error in the Python frontend: {type(error).__name__}: {error}")


def _load_libcst() -> None:
    global cst
    import libcst as cst


def _positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    # wrapper.resolve also runs an empty batched visit over the whole tree, 40% of the
    # time on a 5,000-line file; the provider alone computes the same mapping.
    generate = getattr(PositionProvider(), "_gen", None)
    if generate is None:
        return wrapper.resolve(PositionProvider)
    positions: Mapping[cst.CSTNode, CodeRange] = generate(wrapper)
    return positions


def _problem(path: str, line: int, column: int, message: str) -> FileFacts:
    span = Span(line, column, line, column + 1)
    return FileFacts(path=path, language=_LANGUAGE, problems=(SyntaxProblem(span, message),))


def _byte_position(source: bytes, offset: int) -> tuple[int, int]:
    line_start = source.rfind(b"\n", 0, offset) + 1
    line = source.count(b"\n", 0, offset) + 1
    return line, len(source[line_start:offset].decode("utf-8", "replace")) + 1


def _position(text: str, offset: int) -> tuple[int, int]:
    line_start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return len(_NEWLINE.findall(text, 0, line_start)) + 1, offset - line_start + 1


_NEWLINE = re.compile(r"\r\n?|\n")
_PARSER_ERROR = re.compile(r"^parser error: error at (\d+):(\d+): ")


def _parser_error(text: str, error: cst.ParserSyntaxError) -> tuple[int, int, str]:
    """Line, column and message of a libcst syntax error.

    libcst's raw_line/raw_column are often 1:0. A parser error names the end of the
    offending token ("error at 2:5": line 2, 0-based end column 5), which as a 1-based
    column points at the token's last character. A tokenizer error has no position:
    CPython's own parser, run on this already depth-checked source, locates it.
    """
    message = error.message.splitlines()[0] if error.message else "invalid syntax"
    match = _PARSER_ERROR.match(message)
    if match is not None:
        return int(match.group(1)), max(int(match.group(2)), 1), message[match.end() :]
    message = message.removeprefix("tokenizer error: ")
    nul = text.find("\0")
    if nul >= 0 and "\\0" in message:
        return (*_position(text, nul), message)
    located = _cpython_error(text)
    if located is not None:
        return located[0], located[1], message
    return error.raw_line, error.raw_column + 1, message


def _cpython_error(text: str) -> tuple[int, int, str] | None:
    """Where CPython's parser fails on `text`, if it does."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except SyntaxError as error:
        return error.lineno or 1, error.offset or 1, error.msg
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


# A string-aware scan, fast because the regex engine skips names and numbers: comments,
# string openings, brackets, separators, line ends and operator-like tokens.
_SCAN = re.compile(
    r"""(?P<comment>\#[^\r\n]*)
    |(?P<string>[rRbBuUfFtT]{0,2}(?:'''|\"\"\"|'|"))
    |(?P<open>[(\[{])
    |(?P<close>[)\]}])
    |(?P<sep>[,;])
    |(?P<cont>\\(?:\r\n?|\n))
    |(?P<newline>\r\n?|\n)
    |(?P<op>[-+*/%@&|^~<>=!.:]+|\b(?:not|and|or|if|else|lambda|await|in|is|for|yield)\b)""",
    re.VERBOSE,
)
_SINGLE_END = {
    "'": re.compile(r"(?:[^'\\\r\n]|\\(?:\r\n|[\s\S]))*'"),
    '"': re.compile(r'(?:[^"\\\r\n]|\\(?:\r\n|[\s\S]))*"'),
}


def _too_deep(text: str) -> int | None:
    """Offset where nesting passes what libcst's parser survives, or None.

    Brackets nest at most 200 deep, as in CPython. Every operator, keyword operator,
    string and bracket counts toward the path from the statement to the innermost
    expression; a comma or semicolon closes the current segment of a bracket level,
    a line end outside brackets the statement. The count bounds the depth of the tree
    libcst builds from above, so it errs toward "too deep" only past 1,000 operators in
    one path, which real code does not reach.
    """
    counts = [0]
    total = 0
    position = 0
    end = len(text)
    search = _SCAN.search
    while True:
        match = search(text, position)
        if match is None:
            return None
        kind = match.lastgroup
        position = match.end()
        if kind == "comment" or kind == "cont":
            continue
        if kind == "newline":
            if len(counts) == 1:
                total = counts[0] = 0
            continue
        if kind == "sep":
            total -= counts[-1]
            counts[-1] = 0
            continue
        if kind == "close":
            if len(counts) > 1:
                total -= counts.pop()
            continue
        weight = 1
        if kind == "string":
            position = _string_end(text, position, match.group().lstrip("rRbBuUfFtT"), end)
        elif kind == "op":  # `- - -x` nests once per sign, and `---x` too
            weight = position - match.start()
        counts[-1] += weight
        total += weight
        if kind == "open":
            counts.append(0)
            if len(counts) > _MAX_BRACKETS + 1:
                return match.start()
        if total > _MAX_PATH:
            return match.start()


def _string_end(text: str, position: int, quote: str, end: int) -> int:
    if len(quote) == 3:
        while True:
            found = text.find(quote, position)
            if found < 0:
                return end
            backslashes = found
            while backslashes > position and text[backslashes - 1] == "\\":
                backslashes -= 1
            if (found - backslashes) % 2 == 0:
                return found + 3
            position = found + 1
    match = _SINGLE_END[quote].match(text, position)
    if match is not None:
        return match.end()
    line_end = _NEWLINE.search(text, position)
    return end if line_end is None else line_end.start()


def _nesting_problem(path: str, text: str, offset: int) -> FileFacts:
    # An unclosed bracket early in a long file also trips the scan; CPython then names
    # the real error. Before 3.11 its AST construction had no recursion guard of its own.
    if sys.version_info >= (3, 11):
        located = _cpython_error(text)
        if located is not None and "nested" not in located[2] and "too complex" not in located[2]:
            return _problem(path, located[0], located[1], f"syntax error: {located[2]}")
    line, column = _position(text, offset)
    return _problem(path, line, column, "nesting too deep")


@dataclass
class _ClassInfo:
    name: str
    fields: list[ClassField] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)


@dataclass
class _Scope:
    function: str | None
    qualifier: str
    loops: list[Loop]
    conditions: list[Condition]
    cls: _ClassInfo | None
    module_level: bool


class _Walker:
    """One pass over the tree; expression handlers build Exprs and record facts as they go."""

    def __init__(self, path: str, text: str, positions: Mapping[cst.CSTNode, CodeRange]) -> None:
        self.path = path
        self.text = text
        self.positions = positions
        self.line_starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]
        self.functions: list[Function] = []
        self.calls: list[Call] = []
        self.declarations: list[Declaration] = []
        self.returns: list[Return] = []
        self.classes: list[ClassDef] = []
        self.imports: list[Import] = []
        self.exports: list[Export] = []
        self.env_accesses: list[EnvAccess] = []
        self.routes: list[Route] = []
        self.ids: set[str] = set()
        self.exported: set[str] = set()
        self.type_only = 0
        self.scope = _Scope(None, "", [], [], None, True)
        self.expressions: dict[str, Callable[[Any], _E]] = {
            "Name": self._name,
            "Attribute": self._attribute,
            "Subscript": self._subscript,
            "Call": self._call,
            "Await": self._await,
            "Integer": self._number,
            "Float": self._number,
            "SimpleString": self._simple_string,
            "ConcatenatedString": self._strings,
            "FormattedString": self._strings,
            "Dict": self._dict,
            "List": self._sequence,
            "Tuple": self._sequence,
            "Set": self._sequence,
            "StarredElement": self._starred,
            "ListComp": self._comprehension,
            "SetComp": self._comprehension,
            "GeneratorExp": self._comprehension,
            "DictComp": self._comprehension,
            "Lambda": self._lambda,
            "BinaryOperation": self._binary,
            "BooleanOperation": self._boolean,
            "Comparison": self._comparison,
            "UnaryOperation": self._unary,
            "IfExp": self._if_expression,
            "NamedExpr": self._named,
        }
        self.statements: dict[str, Callable[[Any], Sequence[_Guard]]] = {
            "SimpleStatementLine": self._simple_line,
            "Expr": self._expression_statement,
            "Assign": self._assign,
            "AnnAssign": self._annotated_assign,
            "AugAssign": self._augmented_assign,
            "Return": self._return,
            "Raise": self._raise,
            "Assert": self._assert,
            "Import": self._import,
            "ImportFrom": self._import_from,
            "FunctionDef": self._function_def,
            "ClassDef": self._class_def,
            "If": self._if,
            "For": self._for,
            "While": self._while,
            "Try": self._try,
            "TryStar": self._try,
            "With": self._with,
            "Match": self._match,
        }
        self.silent = frozenset({"Pass", "Break", "Continue", "Global", "Nonlocal", "Del"})

    def run(self, module: cst.Module) -> FileFacts:
        self._block(module.body)
        return FileFacts(
            path=self.path,
            language=_LANGUAGE,
            functions=tuple(self.functions),
            calls=tuple(self.calls),
            declarations=tuple(self.declarations),
            returns=tuple(self.returns),
            classes=tuple(self.classes),
            imports=tuple(self.imports),
            exports=tuple(self.exports),
            env_accesses=tuple(self.env_accesses),
            routes=tuple(self.routes),
            comments=self._comments(),
        )

    def _comments(self) -> tuple[tuple[int, str], ...]:
        if _SUPPRESSION not in self.text:
            return ()
        found = [
            (position.start.line, node.value)
            for node, position in self.positions.items()
            if isinstance(node, cst.Comment) and _SUPPRESSION in node.value
        ]
        return tuple(sorted(found))

    # ---- positions and Expr plumbing

    def _span(self, node: cst.CSTNode) -> Span:
        code_range = self.positions[node]
        start, end = code_range.start, code_range.end
        return Span(start.line, start.column + 1, end.line, end.column + 1)

    def _between(self, first: cst.CSTNode, last: cst.CSTNode) -> Span:
        start, end = self.positions[first].start, self.positions[last].end
        return Span(start.line, start.column + 1, end.line, end.column + 1)

    def _text(self, span: Span) -> str:
        start = self.line_starts[span.line - 1] + span.column - 1
        end = self.line_starts[span.end_line - 1] + span.end_column - 1
        return self.text[start : min(end, start + _TEXT_LIMIT)]

    def _leaf(self, kind: str, node: cst.CSTNode, **fields: Any) -> _E:
        span = self._span(node)
        return Expr(kind, span, self._text(span), **fields), 1

    @staticmethod
    def _cut(expr: _E) -> Expr:
        """The Expr to embed in another: cut one level shorter than a stored one."""
        return expr[0] if expr[1] <= _MAX_DEPTH + 1 else _truncate(expr[0], _MAX_DEPTH + 1)

    @staticmethod
    def _store(expr: _E) -> Expr:
        """The Expr to store in a fact (a value, a test, an iterable)."""
        return expr[0] if expr[1] <= _MAX_DEPTH + 2 else _truncate(expr[0], _MAX_DEPTH + 2)

    @staticmethod
    def _height(*children: _E) -> int:
        return 1 + max((min(child[1], _MAX_DEPTH + 1) for child in children), default=0)

    def _x(self, node: cst.BaseExpression) -> _E:
        handler = self.expressions.get(type(node).__name__)
        if handler is not None:
            return handler(node)
        self._walk_children(node)
        return self._leaf("other", node)

    def _walk_children(self, node: cst.CSTNode) -> None:
        """Facts inside a node this frontend has no handler for (yield, slices, new syntax)."""
        for child in node.children:
            if isinstance(child, cst.BaseExpression):
                self._x(child)
            elif isinstance(child, (cst.BaseStatement, cst.BaseSmallStatement)):
                self._block([child])
            else:
                self._walk_children(child)

    # ---- expressions

    def _name(self, node: cst.Name) -> _E:
        value = node.value
        span = self._span(node)
        if value == "True" or value == "False":
            return Expr("literal", span, value, value=value == "True"), 1
        if value == "None":
            return Expr("literal", span, value, value=None), 1
        return Expr("name", span, value, name=value), 1

    def _attribute(self, node: cst.Attribute) -> _E:
        base = self._x(node.value)
        target = self._cut(base)
        span = self._span(node)
        name = node.attr.value
        if _is_env(node.value):
            self._env_access(name, target, span)
        return Expr("member", span, self._text(span), name=name, target=target), self._height(base)

    def _subscript(self, node: cst.Subscript) -> _E:
        base = self._x(node.value)
        indexes: list[_E] = []
        for element in node.slice:
            inner = element.slice
            if isinstance(inner, cst.Index):
                indexes.append(self._x(inner.value))
            else:
                self._walk_children(inner)
                indexes.append(self._leaf("other", inner))
        if len(indexes) == 1:
            index = indexes[0]
        else:  # a[1, 2] subscripts with a tuple
            span = self._between(node.slice[0], node.slice[-1])
            array = Expr("array", span, self._text(span), args=tuple(map(self._cut, indexes)))
            index = array, self._height(*indexes)
        span = self._span(node)
        target = self._cut(base)
        if _is_env(node.value) and len(node.slice) == 1:
            inner = node.slice[0].slice
            if isinstance(inner, cst.Index) and isinstance(inner.value, cst.SimpleString):
                name = _string_value(inner.value)
                if isinstance(name, str):
                    self._env_access(name, target, span)
        expr = Expr("index", span, self._text(span), target=target, args=(self._cut(index),))
        return expr, self._height(base, index)

    def _call(self, node: cst.Call, awaited: bool = False) -> _E:
        callee = self._x(node.func)
        args: list[_E] = []
        keywords: list[tuple[str, _E]] = []
        for arg in node.args:
            value = self._x(arg.value)
            if arg.keyword is not None:
                keywords.append((arg.keyword.value, value))
            elif arg.star == "**":
                keywords.append(("**", value))
            elif arg.star == "*":
                span = self._span(arg)
                args.append(
                    (Expr("spread", span, self._text(span), target=self._cut(value)), self._height(value))
                )
            else:
                args.append(value)
        span = self._span(node)
        target = self._cut(callee)
        arg_exprs = tuple(map(self._cut, args))
        keyword_exprs = tuple((name, self._cut(value)) for name, value in keywords)
        self._getattr_env(node, arg_exprs, span)
        scope = self.scope
        self.calls.append(
            Call(
                function=scope.function,
                callee=target,
                span=span,
                args=arg_exprs,
                keywords=keyword_exprs,
                loops=tuple(scope.loops),
                conditions=tuple(scope.conditions),
                awaited=awaited,
            )
        )
        height = self._height(callee, *args, *(value for _, value in keywords))
        expr = Expr("call", span, self._text(span), target=target, args=arg_exprs, keywords=keyword_exprs)
        return expr, height

    def _getattr_env(self, node: cst.Call, args: tuple[Expr, ...], span: Span) -> None:
        func = node.func
        if not isinstance(func, cst.Name) or func.value not in ("getattr", "hasattr") or len(node.args) < 2:
            return
        if any(arg.keyword is not None or arg.star for arg in node.args):
            return
        base, name = node.args[0].value, node.args[1].value
        if not (_is_env(base) and isinstance(name, cst.SimpleString)):
            return
        value = _string_value(name)
        if isinstance(value, str):
            optional = func.value == "hasattr" or len(node.args) > 2
            self._env_access(value, args[0], span, optional)

    def _env_access(self, name: str, base: Expr, span: Span, optional: bool = False) -> None:
        scope = self.scope
        self.env_accesses.append(
            EnvAccess(scope.function, name, base, span, optional, tuple(scope.conditions))
        )

    def _await(self, node: cst.Await) -> _E:
        inner = node.expression
        value = self._call(inner, awaited=True) if isinstance(inner, cst.Call) else self._x(inner)
        span = self._span(node)
        return Expr("await", span, self._text(span), target=self._cut(value)), self._height(value)

    def _number(self, node: cst.Integer | cst.Float) -> _E:
        try:
            value = node.evaluated_value
        except (ValueError, SyntaxError):  # past int's digit limit
            return self._leaf("other", node)
        return self._leaf("literal", node, value=value)

    def _simple_string(self, node: cst.SimpleString) -> _E:
        value = _string_value(node)
        if value is None:
            return self._leaf("other", node)
        return self._leaf("literal", node, value=value)

    def _strings(self, node: cst.ConcatenatedString | cst.FormattedString) -> _E:
        parts: list[cst.BaseExpression] = []
        pending: list[cst.BaseExpression] = [node]
        while pending:
            part = pending.pop()
            if isinstance(part, cst.ConcatenatedString):
                pending += (part.right, part.left)
            else:
                parts.append(part)
        strings = [""]
        args: list[_E] = []
        known = True
        for part in parts:
            if isinstance(part, cst.SimpleString):
                value = _string_value(part)
                if value is None:
                    known = False
                else:
                    strings[-1] += value
            elif isinstance(part, cst.FormattedString):
                raw = "r" in part.prefix.lower()
                for piece in part.parts:
                    if isinstance(piece, cst.FormattedStringText):
                        strings[-1] += _unescape(piece.value, raw)
                    elif isinstance(piece, cst.FormattedStringExpression):
                        args.append(self._x(piece.expression))
                        strings.append("")
                        for spec in piece.format_spec or ():  # f"{x:{width()}}" still calls width
                            if isinstance(spec, cst.FormattedStringExpression):
                                self._x(spec.expression)
            else:
                self._walk_children(part)
                known = False
        if not known:
            return self._leaf("other", node)
        if not args:
            return self._leaf("literal", node, value=strings[0])
        span = self._span(node)
        expr = Expr(
            "template", span, self._text(span), strings=tuple(strings), args=tuple(map(self._cut, args))
        )
        return expr, self._height(*args)

    def _dict(self, node: cst.Dict) -> _E:
        props: list[Prop] = []
        values: list[_E] = []
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = self._x(element.key)
                value = self._x(element.value)
                literal = key[0].value if key[0].kind == "literal" else None
                # A string or integer key names the property; any other key is computed.
                readable = isinstance(literal, (str, int)) and not isinstance(literal, bool)
                props.append(Prop(str(literal) if readable else None, self._cut(value)))
            else:
                value = self._x(element.value)
                props.append(Prop(None, self._cut(value), spread=True))
            values.append(value)
        span = self._span(node)
        return Expr("object", span, self._text(span), props=tuple(props)), self._height(*values)

    def _sequence(self, node: cst.List | cst.Tuple | cst.Set) -> _E:
        elements = [
            self._starred(element) if isinstance(element, cst.StarredElement) else self._x(element.value)
            for element in node.elements
        ]
        span = self._span(node)
        expr = Expr("array", span, self._text(span), args=tuple(map(self._cut, elements)))
        return expr, self._height(*elements)

    def _starred(self, node: cst.StarredElement) -> _E:
        value = self._x(node.value)
        span = self._span(node)
        return Expr("spread", span, self._text(span), target=self._cut(value)), self._height(value)

    def _comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp) -> _E:
        scope = self.scope
        loops, conditions = len(scope.loops), len(scope.conditions)
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            iterable = self._x(clause.iter)
            variable, fields = _loop_target(clause.target)
            scope.loops.append(Loop("for-of", self._span(clause), variable, fields, self._store(iterable)))
            for test in clause.ifs:
                scope.conditions.append(Condition("if", self._span(test), self._store(self._x(test.test))))
            clause = clause.inner_for_in
        if isinstance(node, cst.DictComp):
            self._x(node.key)
            self._x(node.value)
        else:
            self._x(node.elt)
        del scope.loops[loops:]
        del scope.conditions[conditions:]
        return self._leaf("other", node)

    def _lambda(self, node: cst.Lambda) -> _E:
        span = self._span(node)
        qualifier = self.scope.qualifier
        local = f"<lambda@{span.line}:{span.column}>"
        function_id = self._unique(f"{qualifier}.{local}" if qualifier else local, span)
        params = self._params(node.params)
        self.functions.append(Function(function_id, None, "lambda", span, params, parent=self.scope.function))
        saved = self._enter(function_id)
        body = self._x(node.body)
        self.returns.append(Return(function_id, self._span(node.body), self._store(body)))
        self.scope = saved
        return Expr("function", span, self._text(span), function=function_id), 1

    def _binary(self, node: cst.BinaryOperation) -> _E:
        left, right = self._x(node.left), self._x(node.right)
        operator = _BINARY.get(type(node.operator).__name__, "?")
        span = self._span(node)
        expr = Expr(
            "binary", span, self._text(span), operator=operator, args=(self._cut(left), self._cut(right))
        )
        return expr, self._height(left, right)

    def _boolean(self, node: cst.BooleanOperation) -> _E:
        left = self._x(node.left)
        operator = _BINARY.get(type(node.operator).__name__, "?")
        span = self._span(node)
        conditions = self.scope.conditions
        conditions.append(Condition(operator, span, self._store(left)))
        right = self._x(node.right)
        conditions.pop()
        expr = Expr(
            "binary", span, self._text(span), operator=operator, args=(self._cut(left), self._cut(right))
        )
        return expr, self._height(left, right)

    def _comparison(self, node: cst.Comparison) -> _E:
        left_node: cst.BaseExpression = node.left
        left = self._x(left_node)
        result: _E | None = None
        for target in node.comparisons:
            right = self._x(target.comparator)
            span = self._between(left_node, target.comparator)
            operator = _BINARY.get(type(target.operator).__name__, "?")
            args = (self._cut(left), self._cut(right))
            pair = (
                Expr("binary", span, self._text(span), operator=operator, args=args),
                self._height(left, right),
            )
            if result is None:
                result = pair
            else:  # a < b < c is (a < b) and (b < c)
                whole = self._between(node.left, target.comparator)
                args = (self._cut(result), self._cut(pair))
                result = (
                    Expr("binary", whole, self._text(whole), operator="and", args=args),
                    self._height(result, pair),
                )
            left_node, left = target.comparator, right
        if result is None:  # not produced by the parser
            return self._leaf("other", node)
        return result

    def _unary(self, node: cst.UnaryOperation) -> _E:
        value = self._x(node.expression)
        operator = _UNARY.get(type(node.operator).__name__, "?")
        span = self._span(node)
        expr = Expr("unary", span, self._text(span), operator=operator, target=self._cut(value))
        return expr, self._height(value)

    def _if_expression(self, node: cst.IfExp) -> _E:
        test = self._x(node.test)
        span = self._span(node)
        conditions = self.scope.conditions
        conditions.append(Condition("ternary-then", span, self._store(test)))
        then = self._x(node.body)
        conditions[-1] = Condition("ternary-else", span, self._store(test))
        otherwise = self._x(node.orelse)
        conditions.pop()
        args = (self._cut(test), self._cut(then), self._cut(otherwise))
        return Expr("conditional", span, self._text(span), args=args), self._height(test, then, otherwise)

    def _named(self, node: cst.NamedExpr) -> _E:
        value = self._x(node.value)
        target = self._x(node.target)
        span = self._span(node)
        if isinstance(node.target, cst.Name):
            self._bind(node.target.value, span, self._store(value))
        args = (self._cut(value),)
        expr = Expr("assign", span, self._text(span), target=self._cut(target), args=args, operator=":=")
        return expr, self._height(target, value)

    # ---- scopes and blocks

    def _enter(self, function_id: str) -> _Scope:
        saved = self.scope
        self.scope = _Scope(function_id, function_id, [], [], None, False)
        return saved

    def _unique(self, function_id: str, span: Span) -> str:
        if function_id in self.ids:
            function_id = f"{function_id}@{span.line}:{span.column}"
        self.ids.add(function_id)
        return function_id

    def _block(self, statements: Sequence[cst.CSTNode], kind: str = "plain") -> list[_Guard]:
        """Walk a statement list of the given kind (plain, function, loop, try); each guard a
        statement makes applies to the statements after it, here and in the enclosing blocks
        up to its exit's boundary: the guards still to apply outside are returned."""
        conditions = self.scope.conditions
        mark = len(conditions)
        escaping: list[_Guard] = []
        for statement in statements:
            handler = self.statements.get(type(statement).__name__)
            if handler is not None:
                guards = handler(statement)
                if guards:
                    conditions.extend(guard for guard, _ in guards)
                    escaping += guards
            elif type(statement).__name__ not in self.silent:
                self._walk_children(statement)
        del conditions[mark:]
        return [guard for guard in escaping if kind not in _BOUNDARIES[guard[1]]]

    def _suite(self, suite: cst.BaseSuite, kind: str = "plain") -> list[_Guard]:
        return self._block(suite.body, kind)

    # ---- statements: each returns the guards it puts on the rest of its block and beyond

    def _simple_line(self, node: cst.SimpleStatementLine) -> Sequence[_Guard]:
        self._block(node.body)
        return ()

    def _expression_statement(self, node: cst.Expr) -> Sequence[_Guard]:
        self._x(node.value)
        return ()

    def _assign(self, node: cst.Assign) -> Sequence[_Guard]:
        value = self._x(node.value)
        span = self._span(node)
        for target in node.targets:
            self._assign_target(target.target, node.value, value, span)
        return ()

    def _assign_target(
        self, target: cst.BaseExpression, value_node: cst.BaseExpression | None, value: _E, span: Span
    ) -> None:
        if isinstance(target, cst.Name):
            self._bind(target.value, span, self._store(value), static=True)
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            if (
                isinstance(value_node, (cst.Tuple, cst.List))
                and len(value_node.elements) == len(elements)
                and all(isinstance(element, cst.Element) for element in (*elements, *value_node.elements))
                and value[0].kind == "array"
            ):  # a, b = c, d: one declaration per pair
                for element, value_element, expr in zip(
                    elements, value_node.elements, value[0].args, strict=True
                ):
                    self._assign_target(element.value, value_element.value, (expr, 1), span)
                return
            names = tuple(_element_name(element) for element in elements)
            public = [name.removeprefix("...") for name in names if name is not None]
            for name in public:
                self._bind_exported_only(name, span)
            scope = self.scope
            if scope.cls is None:
                exported = scope.module_level and any(not name.startswith("_") for name in public)
                self.declarations.append(
                    Declaration(
                        scope.function,
                        "python",
                        span,
                        value=self._store(value),
                        elements=names,
                        exported=exported,
                        loops=tuple(scope.loops),
                        conditions=tuple(scope.conditions),
                    )
                )
        elif self.scope.cls is None:
            self._declare_target(self._cut(self._target(target)), span, self._store(value), "python")
        else:
            self._target(target)

    def _declare_target(
        self, target: Expr, span: Span, value: Expr | None, kind: str, type_: str | None = None
    ) -> None:
        scope = self.scope
        self.declarations.append(
            Declaration(
                scope.function,
                kind,
                span,
                target=target,
                value=value,
                type=type_,
                loops=tuple(scope.loops),
                conditions=tuple(scope.conditions),
            )
        )

    def _target(self, node: cst.BaseExpression) -> _E:
        """An assignment target as an Expr: `env.X = …` does not read env.X."""
        if isinstance(node, cst.Attribute):
            base = self._x(node.value)
            span = self._span(node)
            expr = Expr("member", span, self._text(span), name=node.attr.value, target=self._cut(base))
            return expr, self._height(base)
        return self._x(node)

    def _bind(
        self,
        name: str,
        span: Span,
        value: Expr | None,
        type_: str | None = None,
        kind: str = "python",
        static: bool = False,
        bound: bool = True,
    ) -> None:
        scope = self.scope
        if scope.cls is not None:
            scope.cls.fields.append(ClassField(name, span, type_, value, static))
            return
        exported = bound and scope.module_level and not name.startswith("_")
        self.declarations.append(
            Declaration(
                scope.function,
                kind,
                span,
                name=name,
                value=value,
                type=type_,
                exported=exported,
                loops=tuple(scope.loops),
                conditions=tuple(scope.conditions),
            )
        )
        if exported:
            self._export(name, span, value=value)

    def _bind_exported_only(self, name: str, span: Span) -> None:
        scope = self.scope
        if scope.cls is not None:
            scope.cls.fields.append(ClassField(name, span, None, None, True))
        elif scope.module_level and not name.startswith("_"):
            self._export(name, span)

    def _export(
        self,
        name: str,
        span: Span,
        local: str | None = None,
        source: str | None = None,
        value: Expr | None = None,
    ) -> None:
        if name not in self.exported:
            self.exported.add(name)
            self.exports.append(Export(name, span, local if local is not None else name, value, source))

    def _annotated_assign(self, node: cst.AnnAssign) -> Sequence[_Guard]:
        value = self._store(self._x(node.value)) if node.value is not None else None
        annotation = self._text(self._span(node.annotation.annotation))
        span = self._span(node)
        target = node.target
        if isinstance(target, cst.Name):
            static = annotation.startswith(("ClassVar", "typing.ClassVar"))
            self._bind(target.value, span, value, annotation, static=static, bound=value is not None)
        elif self.scope.cls is None:
            self._declare_target(self._cut(self._target(target)), span, value, "python", annotation)
        return ()

    def _augmented_assign(self, node: cst.AugAssign) -> Sequence[_Guard]:
        target = self._x(node.target)  # `x += v` reads x first
        value = self._x(node.value)
        span = self._span(node)
        operator = _BINARY.get(type(node.operator).__name__.removesuffix("Assign"), "?")
        args = (self._cut(target), self._cut(value))
        combined = Expr("binary", span, self._text(span), operator=operator, args=args)
        if isinstance(node.target, cst.Name):
            self._bind(node.target.value, span, combined, kind="assign")
        elif self.scope.cls is None:
            self._declare_target(self._cut(target), span, combined, "assign")
        return ()

    def _return(self, node: cst.Return) -> Sequence[_Guard]:
        value = self._store(self._x(node.value)) if node.value is not None else None
        scope = self.scope
        if scope.function is not None:
            self.returns.append(Return(scope.function, self._span(node), value, tuple(scope.conditions)))
        return ()

    def _raise(self, node: cst.Raise) -> Sequence[_Guard]:
        if node.exc is not None:
            self._x(node.exc)
        if node.cause is not None:
            self._x(node.cause.item)
        return ()

    def _assert(self, node: cst.Assert) -> Sequence[_Guard]:
        self._x(node.test)
        if node.msg is not None:
            self._x(node.msg)
        return ()

    def _import(self, node: cst.Import) -> Sequence[_Guard]:
        for alias in node.names:
            dotted = _dotted(alias.name)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                source, local = dotted, alias.asname.name.value
            else:  # import a.b binds a
                source = local = dotted.split(".")[0]
            self.imports.append(Import(source, "*", local, self._span(alias), self.type_only > 0))
        return ()

    def _import_from(self, node: cst.ImportFrom) -> Sequence[_Guard]:
        source = "." * len(node.relative) + (_dotted(node.module) if node.module is not None else "")
        type_only = self.type_only > 0
        reexport = self.scope.module_level and not type_only and source != "__future__"
        if isinstance(node.names, cst.ImportStar):
            span = self._span(node)
            self.imports.append(Import(source, "*", "*", span, type_only))
            if reexport:
                self.exports.append(Export("*", span, source=source))
            return ()
        for alias in node.names:
            imported = _dotted(alias.name)
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            span = self._span(alias)
            self.imports.append(Import(source, imported, local, span, type_only))
            if reexport and not local.startswith("_"):
                self._export(local, span, imported, source)
        return ()

    def _function_def(self, node: cst.FunctionDef) -> Sequence[_Guard]:
        decorators = [self._x(decorator.decorator) for decorator in node.decorators]
        scope = self.scope
        name = node.name.value
        span = self._span(node)
        function_id = self._unique(f"{scope.qualifier}.{name}" if scope.qualifier else name, span)
        kind, is_static = "function", False
        if scope.cls is not None:
            kind = "constructor" if name == "__init__" else "method"
            for decorator in node.decorators:
                label = _decorator_name(decorator.decorator)
                if label == "staticmethod":
                    is_static = True
                elif label in _GETTERS:
                    kind = "getter"
                elif label == "setter":
                    kind = "setter"
            scope.cls.methods.append(function_id)
        params = self._params(node.params)
        self.functions.append(
            Function(
                function_id,
                name,
                kind,
                span,
                params,
                scope.cls.name if scope.cls is not None else None,
                scope.function,
                node.asynchronous is not None,
                is_static,
            )
        )
        for decorator, expr in zip(node.decorators, decorators, strict=True):
            self._route(decorator.decorator, expr[0], function_id, span)
        if scope.module_level and not name.startswith("_"):
            self._export(name, span)
        saved = self._enter(function_id)
        self._suite(node.body, "function")
        self.scope = saved
        return ()

    def _route(self, decorator: cst.BaseExpression, expr: Expr, function_id: str, span: Span) -> None:
        if not (
            isinstance(decorator, cst.Call) and isinstance(decorator.func, cst.Attribute) and decorator.args
        ):
            return
        method = decorator.func.attr.value
        first = decorator.args[0]
        if method not in _ROUTE_METHODS or first.keyword is not None or first.star:
            return
        path = _string_value(first.value) if isinstance(first.value, cst.SimpleString) else None
        if not isinstance(path, str) or not path.startswith("/") or expr.target is None:
            return
        router = expr.target.target
        if router is None:
            return
        handler = Expr("function", span, self._text(span), function=function_id)
        self.routes.append(Route(router, method, path, (handler,), expr.span, self.scope.function))

    def _params(self, parameters: cst.Parameters) -> tuple[Param, ...]:
        params: list[Param] = []

        def add(param: cst.Param, rest: bool = False, keywords: bool = False) -> None:
            default = self._store(self._x(param.default)) if param.default is not None else None
            annotation = param.annotation
            type_ = self._text(self._span(annotation.annotation)) if annotation is not None else None
            params.append(
                Param(
                    len(params),
                    param.name.value,
                    self._span(param),
                    type_,
                    default,
                    optional=keywords,
                    rest=rest or keywords,
                )
            )

        for param in (*parameters.posonly_params, *parameters.params):
            add(param)
        if isinstance(parameters.star_arg, cst.Param):
            add(parameters.star_arg, rest=True)
        for param in parameters.kwonly_params:
            add(param)
        if parameters.star_kwarg is not None:
            add(parameters.star_kwarg, keywords=True)
        return tuple(params)

    def _class_def(self, node: cst.ClassDef) -> Sequence[_Guard]:
        for decorator in node.decorators:
            self._x(decorator.decorator)
        bases = [self._x(base.value) for base in node.bases]
        for keyword in node.keywords:
            self._x(keyword.value)
        first = node.bases[0] if node.bases else None
        extends = (
            self._store(bases[0]) if first is not None and first.keyword is None and not first.star else None
        )
        name = node.name.value
        span = self._span(node)
        scope = self.scope
        exported = scope.module_level and not name.startswith("_")
        if exported:
            self._export(name, span)
        info = _ClassInfo(name)
        qualifier = f"{scope.qualifier}.{name}" if scope.qualifier else name
        self.scope = _Scope(scope.function, qualifier, scope.loops, scope.conditions, info, False)
        guards = self._suite(node.body)
        self.scope = scope
        self.classes.append(ClassDef(name, span, extends, tuple(info.fields), tuple(info.methods), exported))
        return guards

    def _if(self, node: cst.If) -> Sequence[_Guard]:
        conditions = self.scope.conditions
        mark = len(conditions)
        guards: list[_Guard] = []
        inner: list[_Guard] = []
        current: cst.If = node
        while True:
            test = self._store(self._x(current.test))
            span = self._span(current)
            type_checking = _is_type_checking(current.test)
            conditions.append(Condition("if", span, test))
            self.type_only += type_checking
            inner += self._suite(current.body)
            self.type_only -= type_checking
            conditions.pop()
            exit_kind = _exit_kind(current.body)
            if exit_kind is not None:
                guards.append((Condition("guard", span, test), exit_kind))
            orelse = current.orelse
            if orelse is None:
                break
            conditions.append(Condition("else", span, test))
            if isinstance(orelse, cst.If):  # elif: else + if, as `else if` in TypeScript
                current = orelse
                continue
            inner += self._suite(orelse.body)
            break
        del conditions[mark:]
        # Exits inside a branch say nothing about the code after the `if` (it runs whether or
        # not the branch was taken), so only this statement's own guards go on.
        del inner
        return guards

    def _for(self, node: cst.For) -> Sequence[_Guard]:
        iterable = self._x(node.iter)
        variable, fields = _loop_target(node.target)
        loops = self.scope.loops
        loops.append(Loop("for-of", self._span(node), variable, fields, self._store(iterable)))
        self._suite(node.body, "loop")  # a loop body runs on some paths only: its exits stay in
        loops.pop()
        if node.orelse is not None:
            self._suite(node.orelse.body)
        return ()

    def _while(self, node: cst.While) -> Sequence[_Guard]:
        span = self._span(node)
        loops = self.scope.loops
        provisional = Loop("while", span)
        loops.append(provisional)
        calls, declarations = len(self.calls), len(self.declarations)
        test = self._x(node.test)
        loop = Loop("while", span, test=self._store(test))
        loops[-1] = loop
        # Calls in the test ran under the provisional loop, which had no test yet.
        for index in range(calls, len(self.calls)):
            call = self.calls[index]
            self.calls[index] = dataclasses.replace(call, loops=_swap(call.loops, provisional, loop))
        for index in range(declarations, len(self.declarations)):
            declaration = self.declarations[index]
            self.declarations[index] = dataclasses.replace(
                declaration, loops=_swap(declaration.loops, provisional, loop)
            )
        self._suite(node.body, "loop")  # a loop body runs on some paths only: its exits stay in
        loops.pop()
        if node.orelse is not None:
            self._suite(node.orelse.body)
        return ()

    def _try(self, node: cst.Try | cst.TryStar) -> Sequence[_Guard]:
        guards = self._suite(node.body, "try" if node.handlers else "plain")
        conditions = self.scope.conditions
        for handler in node.handlers:
            conditions.append(Condition("catch", self._span(handler)))
            if handler.type is not None:
                self._x(handler.type)
            self._suite(handler.body)  # runs on some paths only: its exits stay in
            conditions.pop()
        if node.orelse is not None:
            guards += self._suite(node.orelse.body)
        if node.finalbody is not None:
            guards += self._suite(node.finalbody.body)
        return guards

    def _with(self, node: cst.With) -> Sequence[_Guard]:
        for item in node.items:
            self._x(item.item)
        return self._suite(node.body)

    def _match(self, node: cst.Match) -> Sequence[_Guard]:
        subject = self._cut(self._x(node.subject))
        conditions = self.scope.conditions
        for case in node.cases:
            span = self._span(case)
            conditions.append(Condition("case", span, self._case_test(subject, case.pattern)))
            if case.guard is not None:
                conditions.append(Condition("if", self._span(case.guard), self._store(self._x(case.guard))))
            self._suite(case.body)  # a case runs on some paths only: its exits stay in
            del conditions[-2 if case.guard is not None else -1 :]
        return ()

    def _case_test(self, subject: Expr, pattern: cst.MatchPattern) -> Expr | None:
        if isinstance(pattern, cst.MatchAs) and pattern.pattern is None:
            return None  # `case _` and `case name` match anything
        span = self._span(pattern)
        if isinstance(pattern, cst.MatchValue):
            operator, value = "==", self._cut(self._x(pattern.value))
        elif isinstance(pattern, cst.MatchSingleton):
            operator, value = "is", self._x(pattern.value)[0]
        else:
            operator, value = "match", Expr("other", span, self._text(span))
        text = f"{subject.text} {operator} {value.text}"[:_TEXT_LIMIT]
        return Expr("binary", span, text, operator=operator, args=(subject, value))


def _truncate(expr: Expr, limit: int) -> Expr:
    """`expr` at most `limit` levels high, its last level `other` where it was cut."""
    if limit <= 1:
        if expr.target is None and not expr.args and not expr.keywords and not expr.props:
            return expr
        return Expr("other", expr.span, expr.text)
    if expr.target is None and not expr.args and not expr.keywords and not expr.props:
        return expr
    below = limit - 1
    return dataclasses.replace(
        expr,
        target=_truncate(expr.target, below) if expr.target is not None else None,
        args=tuple(_truncate(arg, below) for arg in expr.args),
        keywords=tuple((name, _truncate(value, below)) for name, value in expr.keywords),
        props=tuple(Prop(prop.key, _truncate(prop.value, below), prop.spread) for prop in expr.props),
    )


def _swap(loops: tuple[Loop, ...], old: Loop, new: Loop) -> tuple[Loop, ...]:
    return tuple(new if loop is old else loop for loop in loops)


def _is_env(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value == "env"
    return isinstance(node, cst.Attribute) and node.attr.value == "env"


def _is_type_checking(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value == "TYPE_CHECKING"
    return isinstance(node, cst.Attribute) and node.attr.value == "TYPE_CHECKING"


def _exit_kind(suite: cst.BaseSuite) -> str | None:
    """How a block always leaves (its last statement returns, raises, continues or breaks)."""
    body = suite.body
    if not body:
        return None
    last: cst.CSTNode = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        if not last.body:
            return None
        last = last.body[-1]
    return _EXITS.get(type(last).__name__)


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _decorator_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _element_name(element: cst.BaseElement) -> str | None:
    value = element.value
    if not isinstance(value, cst.Name):
        return None
    return f"...{value.value}" if isinstance(element, cst.StarredElement) else value.value


def _loop_target(target: cst.BaseExpression) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    if isinstance(target, cst.Name):
        return target.value, ()
    if isinstance(target, (cst.Tuple, cst.List)):
        fields = []
        for index, element in enumerate(target.elements):
            if isinstance(element.value, cst.Name):
                starred = isinstance(element, cst.StarredElement)
                fields.append(("..." if starred else str(index), element.value.value))
        return None, tuple(fields)
    return None, ()


def _string_value(node: cst.SimpleString) -> str | None:
    """The value of a string literal; bytes decoded as Latin-1; None when it cannot be read."""
    if "\\" not in node.value:
        return node.raw_value
    try:
        with warnings.catch_warnings():  # "\d" is a DeprecationWarning (3.11) or SyntaxWarning (3.12+)
            warnings.simplefilter("ignore")
            value = ast.literal_eval(node.value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


def _unescape(text: str, raw: bool) -> str:
    text = text.replace("{{", "{").replace("}}", "}")
    if raw or "\\" not in text:
        return text
    try:
        return text.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return text
