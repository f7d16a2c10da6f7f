"""The Python frontend: the facts each construct yields, exactly.

Table-driven: each case is a small snippet and the records it must produce, compared
field by field on what the case is about. Expressions are compared through `shape`, a
compact tuple form of an `Expr`. Then the realistic samples in
`tests/frontend_samples/py/`, syntax errors, and inputs built to break a parser.
"""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from auditor.facts import (
    Call,
    ClassField,
    Declaration,
    Export,
    Expr,
    FileFacts,
    Function,
    Import,
    Param,
    Span,
)
from auditor.frontends.python import parse_file

SAMPLES = Path(__file__).resolve().parent / "frontend_samples" / "py"


def facts(code: str) -> FileFacts:
    found = parse_file("src/t.py", textwrap.dedent(code).encode("utf-8"))
    assert found.problems == (), found.problems
    return found


def sample(name: str) -> FileFacts:
    found = parse_file(name, (SAMPLES / name).read_bytes())
    assert found.problems == (), found.problems
    return found


def shape(expr: Expr | None) -> Any:
    """An Expr as a nested tuple of what its kind sets (see the table in facts.py)."""
    if expr is None:
        return None
    kind = expr.kind
    if kind == "literal":
        return ("literal", expr.value)
    if kind == "name":
        return ("name", expr.name)
    if kind == "member":
        return ("member", shape(expr.target), expr.name)
    if kind == "index":
        return ("index", shape(expr.target), shape(expr.args[0]))
    if kind == "call":
        out = ("call", shape(expr.target), [shape(a) for a in expr.args])
        return (*out, [(k, shape(v)) for k, v in expr.keywords]) if expr.keywords else out
    if kind == "object":
        return ("object", [(p.key, shape(p.value), p.spread) for p in expr.props])
    if kind == "array":
        return ("array", [shape(a) for a in expr.args])
    if kind == "function":
        return ("function", expr.function)
    if kind == "binary":
        return ("binary", expr.operator, shape(expr.args[0]), shape(expr.args[1]))
    if kind == "unary":
        return ("unary", expr.operator, shape(expr.target))
    if kind == "conditional":
        return ("conditional", *[shape(a) for a in expr.args])
    if kind in ("await", "spread"):
        return (kind, shape(expr.target))
    if kind == "assign":
        return ("assign", expr.operator, shape(expr.target), shape(expr.args[0]))
    if kind == "template":
        return ("template", expr.strings, [shape(a) for a in expr.args])
    return ("other", expr.text)


def conditions(record: Any) -> list[tuple[str, str | None]]:
    return [(c.kind, c.test.text if c.test is not None else None) for c in record.conditions]


def loops(record: Any) -> list[tuple[Any, ...]]:
    return [
        (
            loop.kind,
            loop.variable,
            loop.fields,
            loop.iterable.text if loop.iterable else None,
            loop.test.text if loop.test else None,
        )
        for loop in record.loops
    ]


def the_call(f: FileFacts, callee: str) -> Call:
    found = [c for c in f.calls if c.callee.text == callee]
    assert len(found) == 1, f"calls of {callee}: {[c.callee.text for c in f.calls]}"
    return found[0]


def function(f: FileFacts, ident: str) -> Function:
    found = [fn for fn in f.functions if fn.id == ident]
    assert len(found) == 1, f"{ident} among {[fn.id for fn in f.functions]}"
    return found[0]


def height(expr: Expr) -> int:
    children = [*([expr.target] if expr.target else []), *expr.args, *(v for _, v in expr.keywords)]
    children += [p.value for p in expr.props]
    return 1 + max((height(c) for c in children), default=0)


# Expressions --------------------------------------------------------------------------

N = ("name", "n")
EXPR_CASES: dict[str, tuple[str, Any]] = {
    "string": ('"a"', ("literal", "a")),
    "string escapes": ('"a\\tb"', ("literal", "a\tb")),
    "invalid escape kept": ('"\\d+"', ("literal", "\\d+")),
    "raw string": ('r"\\d"', ("literal", "\\d")),
    "implicit concatenation": ('"a" \'b\'', ("literal", "ab")),
    "bytes as latin-1": ('b"k\\xff"', ("literal", "k\xff")),
    "int": ("1_000", ("literal", 1000)),
    "hex int": ("0x1F", ("literal", 31)),
    "float": ("2.5", ("literal", 2.5)),
    "true": ("True", ("literal", True)),
    "none": ("None", ("literal", None)),
    "f-string": (
        'f"quote:{sym}:{n + 1}"',
        ("template", ("quote:", ":", ""), [("name", "sym"), ("binary", "+", N, ("literal", 1))]),
    ),
    "f-string braces and escapes": ('f"{{x}}\\n{n!r:>10}"', ("template", ("{x}\n", ""), [N])),
    "f-string without substitutions": ('f"plain"', ("literal", "plain")),
    "concatenated f-string": ('"a:" f"{n}" ":b"', ("template", ("a:", ":b"), [N])),
    "name": ("n", N),
    "self": ("self", ("name", "self")),
    "member": ("self.env.CACHE", ("member", ("member", ("name", "self"), "env"), "CACHE")),
    "index": ('d["k"]', ("index", ("name", "d"), ("literal", "k"))),
    "tuple index": ("d[1, 2]", ("index", ("name", "d"), ("array", [("literal", 1), ("literal", 2)]))),
    "slice": ("d[1:2]", ("index", ("name", "d"), ("other", "1:2"))),
    "call with keywords": (
        "kv.put(k, v, expirationTtl=60, **opts)",
        ("call", ("member", ("name", "kv"), "put"), [("name", "k"), ("name", "v")],
         [("expirationTtl", ("literal", 60)), ("**", ("name", "opts"))]),
    ),
    "call with star args": ("f(*xs)", ("call", ("name", "f"), [("spread", ("name", "xs"))])),
    "dict(a=1) is a call": ("dict(a=1)", ("call", ("name", "dict"), [], [("a", ("literal", 1))])),
    "dict display": (
        '{"expirationTtl": 60, 1: n, n: 2, **base}',
        ("object", [("expirationTtl", ("literal", 60), False), ("1", N, False), (None, ("literal", 2), False),
                    (None, ("name", "base"), True)]),
    ),
    "list": ("[1, *rest]", ("array", [("literal", 1), ("spread", ("name", "rest"))])),
    "tuple": ("(1, n)", ("array", [("literal", 1), N])),
    "set": ("{n}", ("array", [N])),
    "lambda": ("lambda: n", ("function", "<lambda@1:5>")),
    "binary": ("n * 60", ("binary", "*", N, ("literal", 60))),
    "comparison": ("n in d", ("binary", "in", N, ("name", "d"))),
    "is not": ("n is not None", ("binary", "is not", N, ("literal", None))),
    "comparison chain": (
        "0 < n <= 9",
        ("binary", "and", ("binary", "<", ("literal", 0), N), ("binary", "<=", N, ("literal", 9))),
    ),
    "and": ("n and d", ("binary", "and", N, ("name", "d"))),
    "or": ("n or 0", ("binary", "or", N, ("literal", 0))),
    "not": ("not n", ("unary", "not", N)),
    "minus": ("-n", ("unary", "-", N)),
    "conditional": ("1 if n else 2", ("conditional", N, ("literal", 1), ("literal", 2))),
    "walrus": ("(m := n)", ("assign", ":=", ("name", "m"), N)),
    "parenthesised": ("(n)", N),
    "comprehension": ("[k for k in n]", ("other", "[k for k in n]")),
    "ellipsis": ("...", ("other", "...")),
    "complex": ("1j", ("other", "1j")),
    "yield": ("(yield n)", ("other", "yield n")),
}


@pytest.mark.parametrize("case", EXPR_CASES, ids=list(EXPR_CASES))
def test_expression_summaries(case: str) -> None:
    code, expected = EXPR_CASES[case]
    found = facts(f"x = {code}\n")
    assert shape(found.declarations[-1].value) == expected  # x is bound after its value


def test_await_is_an_expression_and_marks_the_call() -> None:
    found = facts("async def f(kv):\n    x = await kv.get('k')\n")
    assert shape(found.declarations[0].value) == (
        "await", ("call", ("member", ("name", "kv"), "get"), [("literal", "k")])
    )
    assert the_call(found, "kv.get").awaited
    assert not facts("async def f(kv):\n    x = kv.get('k')\n").calls[0].awaited


def test_expression_text_span_and_caps() -> None:
    found = facts("if True:\n    x = {'a': [1, 2]}  # comment\n")
    value = found.declarations[0].value
    assert value is not None
    assert (value.text, value.span) == ("{'a': [1, 2]}", Span(2, 9, 2, 22))
    long_call = facts("x = f(" + ", ".join(["'abcdefghij'"] * 40) + ")\n").declarations[0].value
    assert long_call is not None and len(long_call.text) == 200 and long_call.text.startswith("f('abc")
    # Characters, not bytes: the column after a non-ASCII string.
    unicode = facts("x = ('é', y)\n").declarations[0].value
    assert unicode is not None and unicode.args[1].span == Span(1, 11, 1, 12)


def test_crlf_and_tabs() -> None:
    found = parse_file("t.py", b"x = 1\r\nif x:\r\n\ty = f(\r\n\t  2)\r\n")
    assert [(d.name, d.span) for d in found.declarations] == [
        ("x", Span(1, 1, 1, 6)), ("y", Span(3, 2, 4, 6))]
    assert found.calls[0].span == Span(3, 6, 4, 6)


def test_expression_depth_is_capped_at_64() -> None:
    found = facts("x = " + "f(" * 80 + "1" + ")" * 80 + "\n")
    value, depth = found.declarations[0].value, 0
    while value is not None and value.kind == "call":
        value, depth = value.args[0], depth + 1
    # Calls at depths 0 to 64; the one at 65 stands for the rest, as in the TypeScript frontend.
    assert value is not None and value.kind == "other" and value.text.startswith("f(f(")
    assert depth == 65
    # Every call still has its fact, each with its own arguments, cut likewise.
    assert len(found.calls) == 80
    assert all(height(call.callee) <= 66 and all(height(a) <= 66 for a in call.args) for call in found.calls)
    assert shape(found.calls[0].args[0]) == ("literal", 1)


# Functions and params -----------------------------------------------------------------

FUNCTION_CASES: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "module-level def": (
        "async def on_fetch(request, env):\n    pass\n",
        [("on_fetch", "on_fetch", "function", None, None, True, False)],
    ),
    "methods": (
        """
        class Default(WorkerEntrypoint):
            async def fetch(self, request):
                pass
            def __init__(self, ctx, env):
                pass
            @staticmethod
            def key(name):
                pass
            @classmethod
            def make(cls):
                pass
        """,
        [
            ("Default.fetch", "fetch", "method", "Default", None, True, False),
            ("Default.__init__", "__init__", "constructor", "Default", None, False, False),
            ("Default.key", "key", "method", "Default", None, False, True),
            ("Default.make", "make", "method", "Default", None, False, False),
        ],
    ),
    "property getter and setter": (
        """
        class Store:
            @property
            def kv(self):
                pass
            @kv.setter
            def kv(self, value):
                pass
        """,
        [
            ("Store.kv", "kv", "getter", "Store", None, False, False),
            ("Store.kv@7:5", "kv", "setter", "Store", None, False, False),
        ],
    ),
    "nested def and lambdas": (
        """
        def outer():
            def inner():
                return lambda x: x
            key = lambda: 1
        handler = lambda request: None
        """,
        [
            ("outer", "outer", "function", None, None, False, False),
            ("outer.inner", "inner", "function", None, "outer", False, False),
            ("outer.inner.<lambda@4:16>", None, "lambda", None, "outer.inner", False, False),
            ("outer.<lambda@5:11>", None, "lambda", None, "outer", False, False),
            ("<lambda@6:11>", None, "lambda", None, None, False, False),
        ],
    ),
    "class inside a function": (
        """
        def make():
            class Local:
                def run(self):
                    pass
        """,
        [
            ("make", "make", "function", None, None, False, False),
            ("make.Local.run", "run", "method", "Local", "make", False, False),
        ],
    ),
    "conditional redefinition": (
        "if X:\n    def f():\n        pass\nelse:\n    def f():\n        pass\n",
        [
            ("f", "f", "function", None, None, False, False),
            ("f@5:5", "f", "function", None, None, False, False),
        ],
    ),
}


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=list(FUNCTION_CASES))
def test_functions(case: str) -> None:
    code, expected = FUNCTION_CASES[case]
    found = facts(code)
    assert [
        (f.id, f.name, f.kind, f.class_name, f.parent, f.is_async, f.is_static) for f in found.functions
    ] == expected


def test_function_span_starts_at_def_not_decorator() -> None:
    found = facts("@app.get('/')\nasync def root():\n    return 1\n")
    assert found.functions[0].span == Span(2, 1, 3, 13)


PARAM_CASES: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "every kind": (
        "def f(a, b: int = 1, *args, c, d=2, **kw):\n    pass\n",
        [
            (0, "a", None, None, False, False),
            (1, "b", "int", ("literal", 1), False, False),
            (2, "args", None, None, True, False),
            (3, "c", None, None, False, False),
            (4, "d", None, ("literal", 2), False, False),
            (5, "kw", None, None, True, True),
        ],
    ),
    "positional-only and bare star": (
        "def f(a, /, b, *, c: 'KVNamespace'):\n    pass\n",
        [
            (0, "a", None, None, False, False),
            (1, "b", None, None, False, False),
            (2, "c", "'KVNamespace'", None, False, False),
        ],
    ),
    "self is param 0": (
        "class C:\n    async def write(self, key, value, **options):\n        pass\n",
        [
            (0, "self", None, None, False, False),
            (1, "key", None, None, False, False),
            (2, "value", None, None, False, False),
            (3, "options", None, None, True, True),
        ],
    ),
    "lambda": (
        "f = lambda k, ttl=60: k\n",
        [(0, "k", None, None, False, False), (1, "ttl", None, ("literal", 60), False, False)],
    ),
}


@pytest.mark.parametrize("case", PARAM_CASES, ids=list(PARAM_CASES))
def test_params(case: str) -> None:
    code, expected = PARAM_CASES[case]
    params = facts(code).functions[0].params
    assert [(p.index, p.name, p.type, shape(p.default), p.rest, p.optional) for p in params] == expected


def test_param_record() -> None:
    params = facts("def f(self, key: str = 'k'):\n    pass\n").functions[0].params
    assert params[1] == Param(1, "key", Span(1, 13, 1, 16), "str", params[1].default)


# Calls --------------------------------------------------------------------------------

CALL_CASES: dict[str, tuple[str, str, str | None, list[Any], list[Any]]] = {
    # code, callee, function, loops, conditions
    "module level": ("print(1)\n", "print", None, [], []),
    "in a method": ("class C:\n    def m(self):\n        self.kv.get(1)\n", "self.kv.get", "C.m", [], []),
    "decorator belongs to the enclosing function": (
        "def outer():\n    @cache(size())\n    def inner():\n        pass\n", "size", "outer", [], []),
    "default value belongs to the enclosing scope": ("def f(x=make()):\n    pass\n", "make", None, [], []),
    "for": (
        "for k, v in items():\n    put(k)\n", "put", None,
        [("for-of", None, (("0", "k"), ("1", "v")), "items()", None)], []),
    "iterable is outside the loop": ("for k in items():\n    put(k)\n", "items", None, [], []),
    "starred and nested targets": (
        "for a, (b, c), *rest in xs:\n    put(a)\n", "put", None,
        [("for-of", None, (("0", "a"), ("...", "rest")), "xs", None)], []),
    "async for": (
        "async def f():\n    async for k in it:\n        await put(k)\n", "put", "f",
        [("for-of", "k", (), "it", None)], []),
    "while test runs in the loop": (
        "while more(cursor):\n    pass\n", "more", None, [("while", None, (), None, "more(cursor)")], []),
    "while body": (
        "while cursor:\n    put(cursor)\n", "put", None, [("while", None, (), None, "cursor")], []),
    "for-else runs once": ("for k in ks:\n    pass\nelse:\n    put(1)\n", "put", None, [], []),
    "comprehension": (
        "x = [put(k) for k in keys if k.stale]\n", "put", None,
        [("for-of", "k", (), "keys", None)], [("if", "k.stale")]),
    "comprehension first iterable outside": ("x = [k for k in load()]\n", "load", None, [], []),
    "nested comprehension": (
        "x = {k: put(v) for row in rows for k, v in row.items()}\n", "put", None,
        [("for-of", "row", (), "rows", None),
         ("for-of", None, (("0", "k"), ("1", "v")), "row.items()", None)],
        []),
    "inner iterable is in the outer loop": (
        "x = [v for row in rows for v in expand(row)]\n", "expand", None,
        [("for-of", "row", (), "rows", None)], []),
    "f-string format spec": ('x = f"{n:>{width()}}"\n', "width", None, [], []),
    "generator argument": (
        "gather(*(put(k) for k in ks))\n", "put", None, [("for-of", "k", (), "ks", None)], []),
    "if": ("if a:\n    put(1)\n", "put", None, [], [("if", "a")]),
    "else": ("if a:\n    pass\nelse:\n    put(1)\n", "put", None, [], [("else", "a")]),
    "elif is else + if": (
        "if a:\n    pass\nelif b:\n    put(1)\n", "put", None, [], [("else", "a"), ("if", "b")]),
    "final else of a chain": (
        "if a:\n    pass\nelif b:\n    pass\nelse:\n    put(1)\n", "put", None, [],
        [("else", "a"), ("else", "b")]),
    "elif test is under the else": ("if a:\n    pass\nelif b():\n    pass\n", "b", None, [], [("else", "a")]),
    "ternary then": ("x = put(1) if a else 0\n", "put", None, [], [("ternary-then", "a")]),
    "ternary else": ("x = 0 if a else put(1)\n", "put", None, [], [("ternary-else", "a")]),
    "and": ("x = a and put(1)\n", "put", None, [], [("and", "a")]),
    "or": ("x = a or put(1)\n", "put", None, [], [("or", "a")]),
    "left operand is unconditional": ("x = get() or put(1)\n", "get", None, [], []),
    "except": ("try:\n    get()\nexcept KeyError:\n    put(1)\n", "put", None, [], [("catch", None)]),
    "try body": ("try:\n    get()\nexcept KeyError:\n    pass\n", "get", None, [], []),
    "finally": ("try:\n    pass\nfinally:\n    put(1)\n", "put", None, [], []),
    "match value": (
        "match cmd:\n    case 'put':\n        put(1)\n", "put", None, [], [("case", "cmd == 'put'")]),
    "match singleton": (
        "match v:\n    case None:\n        put(1)\n", "put", None, [], [("case", "v is None")]),
    "match class pattern": (
        "match v:\n    case Point(x=0):\n        put(1)\n", "put", None, [],
        [("case", "v match Point(x=0)")]),
    "match wildcard and guard": (
        "match v:\n    case _ if v > 1:\n        put(1)\n", "put", None, [],
        [("case", None), ("if", "v > 1")]),
    "guard after return": (
        "def f(a):\n    if a:\n        return\n    put(1)\n", "put", "f", [], [("guard", "a")]),
    "guard after raise": ("if a:\n    raise E()\nput(1)\n", "put", None, [], [("guard", "a")]),
    "guard from every ending branch": (
        "def f():\n    if a:\n        return 1\n    elif b:\n        return 2\n    put(1)\n", "put", "f", [],
        [("guard", "a"), ("guard", "b")]),
    "guard even with an else": (
        "def f():\n    if a:\n        return\n    else:\n        log()\n    put(1)\n", "put", "f", [],
        [("guard", "a")]),
    # put(1) runs when `a` is false (b never tested) or when `b` is: no guard on either.
    "an exit inside a branch does not guard the code after it": (
        "def f():\n    if a:\n        if b:\n            return\n    put(1)\n", "put", "f", [], []),
    "an exit inside a loop does not guard the code after it": (
        "def f():\n    for k in ks:\n        if k:\n            return\n    put(1)\n", "put", "f", [], []),
    "guard reaches enclosing blocks entered on every path": (
        "def f():\n    with lock:\n        if b:\n            return\n    put(1)\n", "put", "f", [],
        [("guard", "b")]),
    "continue stops at the loop": (
        "for k in ks:\n    if k:\n        continue\n    put(k)\nput(0)\n", "put(0)", None, [], []),
    "continue guards the loop body": (
        "for k in ks:\n    with lock:\n        if k:\n            continue\n    put(k)\n", "put", None,
        [("for-of", "k", (), "ks", None)], [("guard", "k")]),
    "raise stops at a try with handlers": (
        "try:\n    if a:\n        raise E()\nexcept E:\n    pass\nput(1)\n", "put", None, [], []),
    "raise inside the try body": (
        "try:\n    if a:\n        raise E()\n    put(1)\nexcept E:\n    pass\n", "put", None, [],
        [("guard", "a")]),
    "a closure starts afresh": (
        "for k in ks:\n    if k:\n        f = lambda: put(k)\n", "put", "<lambda@3:13>", [], []),
    "nested def starts afresh": (
        "def f():\n    for k in ks:\n        def g():\n            put(k)\n", "put", "f.g", [], []),
}


@pytest.mark.parametrize("case", CALL_CASES, ids=list(CALL_CASES))
def test_call_context(case: str) -> None:
    code, callee, fn, expected_loops, expected_conditions = CALL_CASES[case]
    found = facts(code)
    if callee.endswith(")"):  # a call picked by its full text
        call = next(c for c in found.calls if c.span and facts_text(code, c) == callee)
    else:
        call = the_call(found, callee)
    assert (call.function, loops(call), conditions(call)) == (fn, expected_loops, expected_conditions)


def facts_text(code: str, call: Call) -> str:
    line = code.splitlines()[call.span.line - 1]
    return line[call.span.column - 1 : call.span.end_column - 1]


def test_call_record() -> None:
    found = facts("async def f(env):\n    await env.KV.put(key, *rest, expirationTtl=60, **opts)\n")
    call = the_call(found, "env.KV.put")
    assert call.span == Span(2, 11, 2, 59)
    assert shape(call.callee) == ("member", ("member", ("name", "env"), "KV"), "put")
    assert [shape(a) for a in call.args] == [("name", "key"), ("spread", ("name", "rest"))]
    assert [(k, shape(v)) for k, v in call.keywords] == [
        ("expirationTtl", ("literal", 60)), ("**", ("name", "opts"))]
    assert (call.function, call.awaited, call.is_new) == ("f", True, False)


def test_calls_in_the_while_test_carry_the_complete_loop() -> None:
    found = facts("while (page := next_page()):\n    use(page)\n")
    test_call, body_call = the_call(found, "next_page"), the_call(found, "use")
    assert test_call.loops == body_call.loops
    assert found.declarations[0].loops == body_call.loops
    assert body_call.loops[0].test is not None and body_call.loops[0].test.text == "page := next_page()"


# Declarations and returns -------------------------------------------------------------

DECLARATION_CASES: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    # (function, kind, name, target, value, type, elements, exported)
    "module constant": ("TTL = 300\n", [(None, "python", "TTL", None, ("literal", 300), None, (), True)]),
    "private module name": ("_ttl = 3\n", [(None, "python", "_ttl", None, ("literal", 3), None, (), False)]),
    "chained targets": (
        "a = b = 1\n",
        [(None, "python", "a", None, ("literal", 1), None, (), True),
         (None, "python", "b", None, ("literal", 1), None, (), True)],
    ),
    "annotated": (
        "ttl: int = 60\n", [(None, "python", "ttl", None, ("literal", 60), "int", (), True)]),
    "annotated without value": (
        "kv: KVNamespace\n", [(None, "python", "kv", None, None, "KVNamespace", (), False)]),
    "augmented": (
        "def f():\n    n += 1\n",
        [("f", "assign", "n", None, ("binary", "+", ("name", "n"), ("literal", 1)), None, (), False)],
    ),
    "augmented member": (
        "def f(self):\n    self.count *= 2\n",
        [("f", "assign", None, ("member", ("name", "self"), "count"),
          ("binary", "*", ("member", ("name", "self"), "count"), ("literal", 2)), None, (), False)],
    ),
    "member target": (
        "class C:\n    def __init__(self, env):\n        self.kv = env.CACHE\n",
        [("C.__init__", "python", None, ("member", ("name", "self"), "kv"),
          ("member", ("name", "env"), "CACHE"), None, (), False)],
    ),
    "annotated member target": (
        "def f(self, env):\n    self.kv: KVNamespace = env.CACHE\n",
        [("f", "python", None, ("member", ("name", "self"), "kv"), ("member", ("name", "env"), "CACHE"),
          "KVNamespace", (), False)],
    ),
    "subscript target": (
        "def f(d):\n    d['k'] = 1\n",
        [("f", "python", None, ("index", ("name", "d"), ("literal", "k")), ("literal", 1), None, (), False)],
    ),
    "tuple unpacking": (
        "def f():\n    keys, *rest, self.x = load()\n",
        [("f", "python", None, None, ("call", ("name", "load"), []), None, ("keys", "...rest", None), False)],
    ),
    "pairwise tuple assignment": (
        "def f(self, ctx, env):\n    self.ctx, self.env = ctx, env\n",
        [("f", "python", None, ("member", ("name", "self"), "ctx"), ("name", "ctx"), None, (), False),
         ("f", "python", None, ("member", ("name", "self"), "env"), ("name", "env"), None, (), False)],
    ),
    "module tuple unpacking": (
        "A, _B = 1, 2\nC, D = pair\n",
        [(None, "python", "A", None, ("literal", 1), None, (), True),
         (None, "python", "_B", None, ("literal", 2), None, (), False),
         (None, "python", None, None, ("name", "pair"), None, ("C", "D"), True)],
    ),
    "walrus": (
        "def f():\n    if (n := count()) > 1:\n        pass\n",
        [("f", "python", "n", None, ("call", ("name", "count"), []), None, (), False)],
    ),
    "class body is fields, not declarations": ("class C:\n    ttl = 60\n", []),
}


@pytest.mark.parametrize("case", DECLARATION_CASES, ids=list(DECLARATION_CASES))
def test_declarations(case: str) -> None:
    code, expected = DECLARATION_CASES[case]
    assert [
        (d.function, d.kind, d.name, shape(d.target), shape(d.value), d.type, d.elements, d.exported)
        for d in facts(code).declarations
    ] == expected


def test_declaration_record() -> None:
    found = facts("for k in ks:\n    if k:\n        x = k\n")
    declaration = found.declarations[0]
    assert declaration == Declaration(
        None, "python", Span(3, 9, 3, 14), name="x", value=declaration.value,
        exported=True, loops=declaration.loops, conditions=declaration.conditions,
    )
    assert (loops(declaration), conditions(declaration)) == ([("for-of", "k", (), "ks", None)], [("if", "k")])


def test_returns() -> None:
    found = facts(
        """
        async def f(env, key):
            if not key:
                return
            return await env.KV.get(key)
        g = lambda x: x + 1
        return_at_module_level_is_no_return = 1
        """
    )
    assert [(r.function, r.span, shape(r.value), conditions(r)) for r in found.returns] == [
        ("f", Span(4, 9, 4, 15), None, [("if", "not key")]),
        ("f", Span(5, 5, 5, 33),
         ("await", ("call", ("member", ("member", ("name", "env"), "KV"), "get"), [("name", "key")])),
         [("guard", "not key")]),
        ("<lambda@6:5>", Span(6, 15, 6, 20), ("binary", "+", ("name", "x"), ("literal", 1)), []),
    ]


# Classes, imports, exports ------------------------------------------------------------


def test_classes_fields_extends_and_export() -> None:
    found = facts(
        """
        from typing import ClassVar
        class Counter(DurableObject, metaclass=Meta):
            count: int = 0
            limit: ClassVar[int] = 10
            label = "counter"
            store: KVNamespace
            if DEBUG:
                verbose = True
            def __init__(self, ctx, env):
                self.env = env
            async def fetch(self, request):
                pass
            class Inner:
                def m(self):
                    pass
        class _Private:
            pass
        """
    )
    by_name = {c.name: c for c in found.classes}
    counter, inner, private = by_name["Counter"], by_name["Inner"], by_name["_Private"]
    assert shape(counter.extends) == ("name", "DurableObject")
    assert counter.span == Span(3, 1, 16, 17)
    assert [(f.name, f.type, shape(f.value), f.is_static) for f in counter.fields] == [
        ("count", "int", ("literal", 0), False),
        ("limit", "ClassVar[int]", ("literal", 10), True),
        ("label", None, ("literal", "counter"), True),
        ("store", "KVNamespace", None, False),
        ("verbose", None, ("literal", True), True),
    ]
    assert counter.fields[0] == ClassField("count", Span(4, 5, 4, 19), "int", counter.fields[0].value)
    assert counter.methods == ("Counter.__init__", "Counter.fetch")
    assert (counter.exported, inner.exported, private.exported) == (True, False, False)
    assert inner.methods == ("Counter.Inner.m",) and inner.extends is None
    assert [d.name for d in found.declarations] == [None]  # only self.env


IMPORT_CASES: dict[str, tuple[str, list[tuple[str, str, str, bool]]]] = {
    "module": ("import json\n", [("json", "*", "json", False)]),
    "dotted module binds the first name": ("import urllib.parse\n", [("urllib", "*", "urllib", False)]),
    "aliased module": ("import urllib.parse as up\n", [("urllib.parse", "*", "up", False)]),
    "names": (
        "from workers import Response as R, WorkerEntrypoint\n",
        [("workers", "Response", "R", False), ("workers", "WorkerEntrypoint", "WorkerEntrypoint", False)],
    ),
    "relative": ("from .util import f\n", [(".util", "f", "f", False)]),
    "parent package": ("from .. import util\n", [("..", "util", "util", False)]),
    "star": ("from .helpers import *\n", [(".helpers", "*", "*", False)]),
    "type checking only": (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .types import Env\nelse:\n    import x\n",
        [("typing", "TYPE_CHECKING", "TYPE_CHECKING", False), (".types", "Env", "Env", True),
         ("x", "*", "x", False)],
    ),
    "inside a function": ("def f():\n    import asgi\n", [("asgi", "*", "asgi", False)]),
}


@pytest.mark.parametrize("case", IMPORT_CASES, ids=list(IMPORT_CASES))
def test_imports(case: str) -> None:
    code, expected = IMPORT_CASES[case]
    assert [(i.source, i.imported, i.local, i.type_only) for i in facts(code).imports] == expected


def test_import_record() -> None:
    found = facts("from workers import Response as R\n")
    assert found.imports == (Import("workers", "Response", "R", Span(1, 21, 1, 34)),)


EXPORT_CASES: dict[str, tuple[str, list[tuple[str, str | None, str | None]]]] = {
    "def, class and assignment": (
        "def on_fetch(request, env):\n    pass\nclass Default:\n    pass\nTTL = 1\nTTL = 2\n",
        [("on_fetch", "on_fetch", None), ("Default", "Default", None), ("TTL", "TTL", None)],
    ),
    "underscore names are private": ("def _helper():\n    pass\n_TTL = 1\nclass _C:\n    pass\n", []),
    "nested names are not exported": (
        "def f():\n    g = 1\n    def h():\n        pass\n", [("f", "f", None)]),
    "module-level blocks count": (
        "try:\n    import ujson as json\nexcept ImportError:\n    FAST = False\n", [("FAST", "FAST", None)]),
    "from-imports are re-exports": (
        "from rooms import ChatRoom as Room, _private\nfrom . import util\n",
        [("Room", "ChatRoom", "rooms"), ("util", "util", ".")],
    ),
    "star re-export": ("from .objects import *\n", [("*", None, ".objects")]),
    "no re-export of __future__ or type-only imports": (
        "from __future__ import annotations\nif TYPE_CHECKING:\n    from .types import Env\n", []),
    "tuple targets": ("A, B = 1, 2\n", [("A", "A", None), ("B", "B", None)]),
}


@pytest.mark.parametrize("case", EXPORT_CASES, ids=list(EXPORT_CASES))
def test_exports(case: str) -> None:
    code, expected = EXPORT_CASES[case]
    assert [(e.name, e.local, e.source) for e in facts(code).exports] == expected


def test_export_record_carries_an_assignments_value() -> None:
    found = facts("TTL = 60\n")
    assert found.exports == (Export("TTL", Span(1, 1, 1, 9), "TTL", found.declarations[0].value),)


# Env accesses and routes --------------------------------------------------------------

ENV_CASES: dict[str, tuple[str, list[tuple[str, Any, bool]]]] = {
    "env attribute": ("env.CACHE.get(k)\n", [("CACHE", ("name", "env"), False)]),
    "self.env attribute": ("self.env.CACHE\n", [("CACHE", ("member", ("name", "self"), "env"), False)]),
    "any .env": ("c.env.KV\n", [("KV", ("member", ("name", "c"), "env"), False)]),
    "subscript": ('env["API_KEY"]\n', [("API_KEY", ("name", "env"), False)]),
    "getattr": ('getattr(self.env, "KV")\n', [("KV", ("member", ("name", "self"), "env"), False)]),
    "getattr with a default": ('getattr(env, "KV", None)\n', [("KV", ("name", "env"), True)]),
    "hasattr": ('hasattr(env, "KV")\n', [("KV", ("name", "env"), True)]),
    "getattr with a variable name": ("getattr(env, name)\n", []),
    "subscript with a variable": ("env[name]\n", []),
    "environment is not env": ("self.environment.X\nos.environ.X\n", []),
    "an assignment target is no read": ("env.X = 1\nenv.Y += 1\n", [("Y", ("name", "env"), False)]),
    "in an f-string": (
        'f"{self.env.GREETING}!"\n', [("GREETING", ("member", ("name", "self"), "env"), False)]),
}


@pytest.mark.parametrize("case", ENV_CASES, ids=list(ENV_CASES))
def test_env_accesses(case: str) -> None:
    code, expected = ENV_CASES[case]
    assert [(e.name, shape(e.base), e.optional) for e in facts(code).env_accesses] == expected


def test_env_access_record() -> None:
    code = "class D:\n    async def fetch(self, r):\n        if r:\n            await self.env.KV.get()\n"
    found = facts(code)
    access = found.env_accesses[0]
    assert (access.function, access.span, conditions(access)) == (
        "D.fetch", Span(4, 19, 4, 30), [("if", "r")])


def test_routes_from_decorators() -> None:
    found = facts(
        """
        app = FastAPI()
        @app.get("/quotes/{symbol}")
        async def quote(symbol: str):
            pass
        @app.post("/jobs", status_code=202)
        async def job():
            pass
        @app.middleware("http")
        async def mw(request, call_next):
            pass
        @router.get(PATH)
        async def dynamic():
            pass
        """
    )
    routes = [
        (shape(r.router), r.method, r.path, [shape(h) for h in r.handlers], r.function) for r in found.routes
    ]
    assert routes == [
        (("name", "app"), "get", "/quotes/{symbol}", [("function", "quote")], None),
        (("name", "app"), "post", "/jobs", [("function", "job")], None),
    ]
    assert found.routes[0].span == Span(3, 2, 3, 29)


def test_no_routes_without_decorators() -> None:
    assert facts("router.get('/x', handler)\n").routes == ()


# Comments, problems, robustness -------------------------------------------------------


def test_ignore_comments() -> None:
    found = facts(
        """
        x = 1  # workers-audit-ignore[KV001]: reason
        # workers-audit-ignore[KV201]
        s = "# workers-audit-ignore[KV003] inside a string"
        # an ordinary comment
        """
    )
    assert found.comments == (
        (2, "# workers-audit-ignore[KV001]: reason"),
        (3, "# workers-audit-ignore[KV201]"),
    )


PROBLEM_CASES: dict[str, tuple[bytes, tuple[int, int | None], str]] = {
    "parser error": (b"x = (1 +)\n", (1, 9), "syntax error: expected one of +, -, ..., AWAIT"),
    "error on a later line": (b"x = 1\nfoo(\n  a b)\n", (3, 5), "syntax error: expected one of"),
    "unterminated string": (b"x = 1\ny = 'abc\n", (2, 5), "syntax error: unterminated string literal"),
    "nul byte": (b"x = 1\n\0\n", (2, 1), "syntax error: '\\0' is not a valid character"),
    "not utf-8": (b"x = 'caf\xe9'\n", (1, 9), "source is not UTF-8: byte 0xe9"),
    # CPython locates this one; its column differs between versions.
    "refused while building the tree": (b"y = 'a' b'b'\n", (1, None), "syntax error: cannot mix bytes"),
    "nesting too deep": (b"x = " + b"(" * 5000 + b")" * 5000, (1, 205), "nesting too deep"),
    "list nesting too deep": (b"x = " + b"[" * 5000 + b"]" * 5000, (1, 205), "nesting too deep"),
    "long operator chain": (b"x = " + b"-" * 100000 + b"1", (1, 5), "nesting too deep"),
    "unclosed bracket in a long file": (
        b"def f():\n    foo(\n" + b"    a.b = c.d + e\n" * 2000, (2, 8),
        "syntax error: '(' was never closed"),
}


@pytest.mark.parametrize("case", PROBLEM_CASES, ids=list(PROBLEM_CASES))
def test_syntax_problems(case: str) -> None:
    source, position, message = PROBLEM_CASES[case]
    found = parse_file("src/t.py", source)
    assert len(found.problems) == 1
    problem = found.problems[0]
    assert (problem.span.line, problem.span.column if position[1] is not None else None) == position
    assert problem.message.startswith(message), problem.message
    # libcst cannot recover: nothing else is reported.
    assert found == FileFacts("src/t.py", "python", problems=found.problems)


def test_bom_is_dropped() -> None:
    found = parse_file("t.py", b"\xef\xbb\xbfx = 1\n")
    assert found.problems == () and found.declarations[0].span == Span(1, 1, 1, 6)


@pytest.mark.parametrize(
    "name, source",
    [
        ("every deep operator chain", b"x = " + b" and ".join([b"a"] * 100000)),
        ("deep attribute chain", b"x = a" + b".b" * 100000),
        ("deep call chain", b"x = f" + b"()" * 50000),
        ("deep lambdas", b"x = " + b"lambda: " * 50000 + b"1"),
        ("deep conditionals", b"x = " + b"a if b else " * 50000 + b"c"),
        ("deep f-strings", b"x = " + b"f'{" * 500 + b"1" + b"}'" * 500),
        ("too many indents", b"".join(b" " * i + b"if x:\n" for i in range(300))),
        ("nested lists at the bracket limit", b"x = " + b"[" * 200 + b"]" * 200),
        ("brackets and operators at their limits", b"x = " + b"(" * 199 + b"-" * 790 + b"1" + b")" * 199),
    ],
)
def test_pathological_input_returns(name: str, source: bytes) -> None:
    found = parse_file("t.py", source)
    assert found.language == "python"
    assert all("internal error" not in p.message for p in found.problems)


def test_random_bytes_and_mutations_never_raise() -> None:
    rng = random.Random(20261121)
    base = (SAMPLES / "cache_layer.py").read_text()
    pieces = ["(", ")", "[", ":", "=", "lambda x: ", "await ", "**", " if a else ", ",", "\n", "    ",
              "f'{x}'", "match x:\n case 1: pass\n", ":=", "@", "for a, *b in c: ", "env.X", "\\", "'''", "#"]
    for _ in range(150):
        found = parse_file("r.py", bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))))
        assert found.language == "python"
    for _ in range(150):
        text = base
        for _ in range(rng.randint(1, 3)):
            at = rng.randint(0, len(text))
            if rng.random() < 0.5:
                text = text[:at] + rng.choice(pieces) + text[at:]
            else:
                text = text[:at] + text[at + rng.randint(1, 12) :]
        found = parse_file("r.py", text.encode())
        assert all("internal error" not in p.message for p in found.problems), found.problems


def test_one_megabyte_file() -> None:
    chunk = (SAMPLES / "scheduled_cleanup.py").read_text()
    copies = 1_000_000 // len(chunk) + 1
    found = parse_file("big.py", (chunk * copies).encode())
    assert found.problems == ()
    assert len(found.calls) == 6 * copies
    assert len([f for f in found.functions if f.name == "scheduled"]) == copies


def test_libcst_is_imported_lazily() -> None:
    code = "import sys, auditor.frontends.python; print('libcst' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# Samples ------------------------------------------------------------------------------


def test_sample_cache_layer() -> None:
    found = sample("cache_layer.py")
    puts = [c for c in found.calls if c.callee.text == "self.env.CACHE.put"]
    assert [([a.text for a in c.args], [(k, v.text) for k, v in c.keywords]) for c in puts] == [
        (['f"last:{symbol}"', "body"], []),
        (["key", "body"], [("expirationTtl", "QUOTE_TTL")]),
    ]
    assert all(c.awaited and c.function == "Default.fetch" for c in puts)
    assert conditions(puts[0]) == [("guard", "not symbol"), ("guard", "cached is not None")]
    wrapper_put = the_call(found, "self.kv.put")
    assert (wrapper_put.function, [(k, shape(v)) for k, v in wrapper_put.keywords]) == (
        "QuoteCache.write", [("**", ("name", "options"))])
    options = function(found, "QuoteCache.write").params[-1]
    assert (options.name, options.rest, options.optional) == ("options", True, True)
    field = next(d for d in found.declarations if d.function == "QuoteCache.__init__")
    assert (shape(field.target), shape(field.value)) == (
        ("member", ("name", "self"), "kv"), ("member", ("name", "env"), "CACHE"))
    assert [(e.name, e.function, e.span.line) for e in found.env_accesses] == [
        ("CACHE", "QuoteCache.__init__", 14), ("CACHE", "Default.fetch", 29),
        ("API_KEY", "Default.fetch", 33), ("CACHE", "Default.fetch", 36), ("CACHE", "Default.fetch", 37),
    ]
    ttl = next(d for d in found.declarations if d.name == "QUOTE_TTL")
    assert (shape(ttl.value), ttl.exported) == (("literal", 300), True)
    assert [(e.name, e.source) for e in found.exports] == [
        ("urlparse", "urllib.parse"), ("Response", "workers"), ("WorkerEntrypoint", "workers"),
        ("fetch", "workers"), ("QUOTE_TTL", None), ("QuoteCache", None), ("Default", None),
    ]
    assert [(c.name, shape(c.extends)) for c in found.classes] == [
        ("QuoteCache", None), ("Default", ("name", "WorkerEntrypoint"))]
    assert found.comments == ((36, "# workers-audit-ignore[KV001]: kept on purpose"),)


def test_sample_scheduled_cleanup() -> None:
    found = sample("scheduled_cleanup.py")
    scheduled = function(found, "Default.scheduled")
    assert [p.name for p in scheduled.params] == ["self", "controller", "env", "ctx"]
    listing = the_call(found, "self.env.SESSIONS.list")
    assert [(k, shape(v)) for k, v in listing.keywords] == [
        ("prefix", ("literal", "session:")), ("cursor", ("name", "cursor"))]
    assert loops(listing) == [("while", None, (), None, "True")]
    delete = the_call(found, "self.env.SESSIONS.delete")
    assert loops(delete) == [("while", None, (), None, "True"), ("for-of", "key", (), "page.keys", None)]
    assert conditions(delete) == [("guard", "raw is None"), ("if", 'time.time() - session["seen"] > MAX_AGE')]
    assert loops(the_call(found, "self.env.SESSIONS.get")) == loops(delete)
    cursor = [d for d in found.declarations if d.name == "cursor"][-1]
    assert conditions(cursor) == [("guard", "page.list_complete")]
    assert (loops(the_call(found, "print")), conditions(the_call(found, "print"))) == ([], [])
    assert found.returns == ()


def test_sample_durable_object() -> None:
    found = sample("counter_object.py")
    counter = next(c for c in found.classes if c.name == "Counter")
    assert shape(counter.extends) == ("name", "DurableObject")
    assert counter.methods == ("Counter.__init__", "Counter.load", "Counter.fetch", "Counter.alarm")
    assert [(f.name, f.type) for f in counter.fields] == [("count", "int")]
    assert function(found, "Counter.__init__").kind == "constructor"
    in_init = [d for d in found.declarations if d.function == "Counter.__init__"]
    assert [(shape(d.target), shape(d.value)) for d in in_init] == [
        (("member", ("name", "self"), "ctx"), ("name", "ctx")),
        (("member", ("name", "self"), "env"), ("name", "env")),
    ]
    block = the_call(found, "ctx.blockConcurrencyWhile")
    assert [shape(a) for a in block.args] == [("function", "Counter.__init__.<lambda@14:35>")]
    assert the_call(found, "self.load").function == "Counter.__init__.<lambda@14:35>"
    puts = [c for c in found.calls if c.callee.text == "self.ctx.storage.put"]
    assert [conditions(c) for c in puts] == [[("case", 'request.method == "POST"')]]
    delete_all = the_call(found, "self.ctx.storage.deleteAll")
    assert conditions(delete_all) == [("case", 'request.method == "DELETE"')]
    stats = the_call(found, "self.env.STATS.put")
    assert (stats.function, [(k, shape(v)) for k, v in stats.keywords]) == (
        "Counter.alarm", [("expirationTtl", ("literal", 86400))])
    count = next(d for d in found.declarations if d.kind == "assign")
    assert shape(count.value) == ("binary", "+", ("member", ("name", "self"), "count"), ("literal", 1))
    assert [e.name for e in found.exports if e.source is None] == ["Counter", "Default"]
