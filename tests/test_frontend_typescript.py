"""The TypeScript/JavaScript frontend: the facts each construct yields, exactly.

Table-driven: each case is a small snippet and the records it must produce, compared
field by field on what the case is about. Expressions are compared through `shape`, a
compact tuple form of an `Expr`. Then the example Worker, the realistic samples in
`tests/frontend_samples/ts/`, syntax errors, and inputs built to break a parser.
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditor.facts import Call, Expr, FileFacts, Function
from auditor.frontends.ts_expr import MAX_EXPR_DEPTH
from auditor.frontends.typescript import parse_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "frontend_samples" / "ts"
EXAMPLE = ROOT / "examples" / "quote-cache" / "src" / "index.ts"


def facts(code: str, dialect: str = "typescript") -> FileFacts:
    return parse_file("src/t.ts", code.encode("utf-8"), dialect)


def sample(name: str) -> FileFacts:
    dialect = "javascript" if name.endswith(".js") else "typescript"
    return parse_file(name, (SAMPLES / name).read_bytes(), dialect)


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
        out = ("member", shape(expr.target), expr.name)
        return (*out, "?.") if expr.operator else out
    if kind == "index":
        return ("index", shape(expr.target), shape(expr.args[0]))
    if kind in ("call", "new"):
        return (kind, shape(expr.target), [shape(a) for a in expr.args])
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


def texts(exprs: tuple[Expr, ...]) -> list[str]:
    return [e.text for e in exprs]


def conditions(record: Any) -> list[tuple[str, str | None]]:
    return [(c.kind, c.test.text if c.test is not None else None) for c in record.conditions]


def loops(record: Any) -> list[tuple[Any, ...]]:
    return [(
        loop.kind, loop.variable, loop.fields,
        loop.iterable.text if loop.iterable else None,
        loop.test.text if loop.test else None,
        loop.init.text if loop.init else None,
    ) for loop in record.loops]


def the_call(f: FileFacts, callee: str) -> Call:
    found = [c for c in f.calls if c.callee.text == callee]
    assert len(found) == 1, f"calls of {callee}: {[c.callee.text for c in f.calls]}"
    return found[0]


def function(f: FileFacts, ident: str) -> Function:
    found = [fn for fn in f.functions if fn.id == ident]
    assert len(found) == 1, f"{ident} among {[fn.id for fn in f.functions]}"
    return found[0]


# Functions ----------------------------------------------------------------------------

FUNCTION_CASES = {
    "declaration": (
        "async function fetchQuote(env, symbol) {}",
        [("fetchQuote", "fetchQuote", "function", None, None, True, False)],
    ),
    "generator": (
        "function* keys() {}",
        [("keys", "keys", "function", None, None, False, False)],
    ),
    "module worker": (
        "export default { async fetch(request, env, ctx) {}, scheduled: async (c, env) => {} };",
        [("default.fetch", "fetch", "method", None, None, True, False),
         ("default.scheduled", "scheduled", "arrow", None, None, True, False)],
    ),
    "module worker with satisfies": (
        "export default { async fetch() {} } satisfies ExportedHandler<Env>;",
        [("default.fetch", "fetch", "method", None, None, True, False)],
    ),
    "commonjs worker": (
        "module.exports = { fetch(request) {} };",
        [("default.fetch", "fetch", "method", None, None, False, False)],
    ),
    "class members": (
        "class Store {\n"
        "  constructor(private env: Env) {}\n"
        "  async write(key: string) {}\n"
        "  get size() { return 1; }\n"
        "  set size(v) {}\n"
        "  static create() {}\n"
        "  #secret() {}\n"
        "  handler = async () => {};\n"
        "}",
        [("Store.constructor", "constructor", "constructor", "Store", None, False, False),
         ("Store.write", "write", "method", "Store", None, True, False),
         ("Store.size", "size", "getter", "Store", None, False, False),
         ("Store.size@5:3", "size", "setter", "Store", None, False, False),
         ("Store.create", "create", "method", "Store", None, False, True),
         ("Store.#secret", "#secret", "method", "Store", None, False, False),
         ("Store.handler", "handler", "arrow", "Store", None, True, False)],
    ),
    "named arrows at any level": (
        "const handle = async (req) => {\n  const inner = () => 1;\n  function helper() {}\n};",
        [("handle", "handle", "arrow", None, None, True, False),
         ("handle.inner", "inner", "arrow", None, "handle", False, False),
         ("handle.helper", "helper", "function", None, "handle", False, False)],
    ),
    "anonymous arrows and function expressions": (
        "function outer() {\n  retry(() => 1);\n  list.map(function (x) { return x; });\n}\n"
        "setTimeout(() => {}, 1);",
        [("outer", "outer", "function", None, None, False, False),
         ("outer.<arrow@2:9>", None, "arrow", None, "outer", False, False),
         ("outer.<function@3:12>", None, "expression", None, "outer", False, False),
         ("<arrow@5:12>", None, "arrow", None, None, False, False)],
    ),
    "named function expression keeps its own name": (
        "const a = function b() {};",
        [("a", "b", "expression", None, None, False, False)],
    ),
    "object literal methods": (
        "const handlers = { async get(id) {}, put: function () {}, [dynamic]() {} };",
        [("handlers.get", "get", "method", None, None, True, False),
         ("handlers.put", "put", "expression", None, None, False, False),
         ("<method@1:59>", None, "method", None, None, False, False)],
    ),
    "class in a function": (
        "function make() { class Local { run() {} } }",
        [("make", "make", "function", None, None, False, False),
         ("make.Local.run", "run", "method", "Local", "make", False, False)],
    ),
    "anonymous default exports": (
        "export default async function () {}",
        [("default", "default", "expression", None, None, True, False)],
    ),
    "default-exported class": (
        "export default class { fetch() {} }",
        [("default.fetch", "fetch", "method", "default", None, False, False)],
    ),
}


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=list(FUNCTION_CASES))
def test_functions(case: str) -> None:
    code, expected = FUNCTION_CASES[case]
    got = [(fn.id, fn.name, fn.kind, fn.class_name, fn.parent, fn.is_async, fn.is_static)
           for fn in facts(code).functions]
    assert got == expected


PARAM_CASES = {
    "plain, typed, default, optional, rest": (
        "function f(a, b: string, c = 60 * 60, d?: KVNamespacePutOptions, ...rest: any[]) {}", "f",
        [(0, "a", None, None, False, False, (), False),
         (1, "b", "string", None, False, False, (), False),
         (2, "c", None, ("binary", "*", ("literal", 60), ("literal", 60)), False, False, (), False),
         (3, "d", "KVNamespacePutOptions", None, True, False, (), False),
         (4, "rest", "any[]", None, False, True, (), False)],
    ),
    "destructuring": (
        "const h = ({ env, ctx: c, req = 1, ...more }, [first, , third]) => {};", "h",
        [(0, None, None, None, False, False,
          (("env", "env"), ("ctx", "c"), ("req", "req"), ("...", "more")), False),
         (1, None, None, None, False, False, (("0", "first"), ("2", "third")), False)],
    ),
    "parameter properties": (
        "class S { constructor(private env: Env, readonly region?: string, plain: number) {} }",
        "S.constructor",
        [(0, "env", "Env", None, False, False, (), True),
         (1, "region", "string", None, True, False, (), True),
         (2, "plain", "number", None, False, False, (), False)],
    ),
    "single bare parameter": (
        "const one = x => x;", "one",
        [(0, "x", None, None, False, False, (), False)],
    ),
}


@pytest.mark.parametrize("case", PARAM_CASES, ids=list(PARAM_CASES))
def test_params(case: str) -> None:
    code, ident, expected = PARAM_CASES[case]
    params = function(facts(code), ident).params
    got = [(p.index, p.name, p.type, shape(p.default), p.optional, p.rest, p.fields, p.property)
           for p in params]
    assert got == expected


def test_classes_fields_extends_and_export() -> None:
    f = facts(
        "export class Limiter extends DurableObject<Env> {\n"
        "  private count: number = 0;\n"
        "  static limit = 100;\n"
        "  declare kv: KVNamespace;\n"
        "  constructor(ctx: DurableObjectState, private env: Env) { super(ctx, env); }\n"
        "  hit() {}\n"
        "}\n"
        "class Plain extends mixin(Base) {}\n"
        "export default class Handler {}\n"
    )
    limiter, plain, handler = f.classes
    assert (limiter.name, shape(limiter.extends), limiter.exported) == (
        "Limiter", ("name", "DurableObject"), True)
    assert [(c.name, c.type, shape(c.value), c.is_static) for c in limiter.fields] == [
        ("count", "number", ("literal", 0), False),
        ("limit", None, ("literal", 100), True),
        ("kv", "KVNamespace", None, False),
        ("env", "Env", None, False),
    ]
    assert limiter.methods == ("Limiter.constructor", "Limiter.hit")
    assert (plain.exported, shape(plain.extends)) == (False, ("call", ("name", "mixin"), [("name", "Base")]))
    assert (handler.name, handler.exported) == ("Handler", True)


# Calls: loops, conditions, awaited ------------------------------------------------------

CALL_CASES = {
    "awaited": ("async function f() { await env.KV.get(k); }", "env.KV.get", "f", [], [], True),
    "awaited through parentheses and type arguments": (
        "async function f() { const v = (await env.KV.get<Quote>(k, 'json')) ?? 0; }",
        "env.KV.get", "f", [], [], True,
    ),
    "not awaited as an argument": (
        "async function f() { await g(h(1)); }", "h", "f", [], [], False,
    ),
    "for-of with await": (
        "async function f(env) { for await (const key of env.KV.list()) { put(key); } }",
        "put", "f", [("for-of", "key", (), "env.KV.list()", None, None)], [], False,
    ),
    "for-of destructuring": (
        "for (const [k, v] of Object.entries(o)) { put(k, v); }",
        "put", None, [("for-of", None, (("0", "k"), ("1", "v")), "Object.entries(o)", None, None)], [], False,
    ),
    "for-in": (
        "for (const name in obj) put(name);",
        "put", None, [("for-in", "name", (), "obj", None, None)], [], False,
    ),
    "c-style for": (
        "for (let i = 0; i < 10; i++) { put(i); }",
        "put", None, [("for", "i", (), None, "i < 10", "0")], [], False,
    ),
    "while and do, nested outermost first": (
        "while (more()) { do { put(); } while (again()); }",
        "put", None, [("while", None, (), None, "more()", None), ("do", None, (), None, "again()", None)],
        [], False,
    ),
    "loop test runs in the loop, iterable does not": (
        "for (const k of keys()) {}",
        "keys", None, [], [], False,
    ),
    "if and else": (
        "if (a) { one(); } else if (b) { two(); } else { three(); }",
        "three", None, [], [("else", "a"), ("else", "b")], False,
    ),
    "else-if consequent": (
        "if (a) { one(); } else if (b) { two(); }",
        "two", None, [], [("else", "a"), ("if", "b")], False,
    ),
    "switch case": (
        "switch (method) { case 'GET': get(); break; default: other(); }",
        "get", None, [], [("case", "method === 'GET'")], False,
    ),
    "switch default": (
        "switch (method) { case 'GET': get(); break; default: other(); }",
        "other", None, [], [("case", None)], False,
    ),
    "ternary": ("x = a ? yes() : no();", "no", None, [], [("ternary-else", "a")], False),
    "and": ("a && b && go();", "go", None, [], [("and", "a && b")], False),
    "or": ("cached || load();", "load", None, [], [("or", "cached")], False),
    "nullish": ("const v = cached ?? load();", "load", None, [], [("nullish", "cached")], False),
    "optional call": ("env.KV?.get(k);", "env.KV?.get", None, [], [("optional", "env.KV")], False),
    "argument after an optional link": (
        "a?.b.c(make());", "make", None, [], [("optional", "a")], False,
    ),
    "catch": ("try { risky(); } catch (e) { report(e); }", "report", None, [], [("catch", None)], False),
    "guard with return": (
        "function f(req) { if (!req.ok) return; go(); }", "go", "f", [], [("guard", "!req.ok")], False,
    ),
    "guard with a block ending in throw": (
        "function f(a) { if (!a) { log(); throw new Error('x'); } go(); }",
        "go", "f", [], [("guard", "!a")], False,
    ),
    "guard with continue in a loop": (
        "for (const k of keys) { if (!k) continue; go(k); }",
        "go", None, [("for-of", "k", (), "keys", None, None)], [("guard", "!k")], False,
    ),
    "guard reaches nested code later in the block": (
        "function f(a) { if (!a) return; if (b) { go(); } }",
        "go", "f", [], [("guard", "!a"), ("if", "b")], False,
    ),
    "guard from an inner block reaches the enclosing block": (
        "function f(a) { { if (!a) return; } go(); }", "go", "f", [], [("guard", "!a")], False,
    ),
    "an exit inside a branch does not guard the code after it": (
        "function f(a) { if (a) { if (b) return; } go(); }", "go", "f", [], [], False,
    ),
    "an exit inside an else does not guard the code after it": (
        "function f(a) { if (a) { x(); } else { if (b) return; } go(); }", "go", "f", [], [], False,
    ),
    "return inside a loop does not guard code after the loop": (
        "function f() { for (const k of ks) { if (k) return; } go(); }", "go", "f", [], [], False,
    ),
    "continue does not guard code after the loop": (
        "for (const k of keys) { if (!k) continue; } after();", "after", None, [], [], False,
    ),
    "throw in a try does not guard code after it": (
        "try { if (!a) throw e; } catch {} after();", "after", None, [], [], False,
    ),
    "code before the guard is not guarded": (
        "function f(a) { before(); if (!a) return; }", "before", "f", [], [], False,
    ),
    "closures start without conditions or loops": (
        "for (const k of ks) { if (k) { retry(() => put(k)); } }",
        "put", "<arrow@1:38>", [], [], False,
    ),
    "new": ("const r = new Response('x', { status: 404 });", "Response", None, [], [], False),
}


@pytest.mark.parametrize("case", CALL_CASES, ids=list(CALL_CASES))
def test_call_context(case: str) -> None:
    code, callee, fn, expected_loops, expected_conditions, awaited = CALL_CASES[case]
    call = the_call(facts(code), callee)
    assert (call.function, loops(call), conditions(call), call.awaited) == (
        fn, expected_loops, expected_conditions, awaited)


def test_call_records_callee_args_span_and_new() -> None:
    f = facts("async function f(env) {\n  await env.CACHE.put(`k:${id}`, body, { expirationTtl: 60 });\n"
              "  return new Response('ok');\n}")
    put = the_call(f, "env.CACHE.put")
    assert shape(put.callee) == ("member", ("member", ("name", "env"), "CACHE"), "put")
    assert [shape(a) for a in put.args] == [
        ("template", ("k:", ""), [("name", "id")]),
        ("name", "body"),
        ("object", [("expirationTtl", ("literal", 60), False)]),
    ]
    assert (put.span.line, put.span.column, put.span.end_line, put.span.end_column) == (2, 9, 2, 62)
    response = the_call(f, "Response")
    assert (response.is_new, texts(response.args)) == (True, ["'ok'"])


def test_service_worker_listener_is_a_call_with_a_function_argument() -> None:
    f = facts("addEventListener('fetch', (event) => { event.respondWith(handle(event.request)); });",
              "javascript")
    listener = the_call(f, "addEventListener")
    assert shape(listener.args[0]) == ("literal", "fetch")
    assert shape(listener.args[1]) == ("function", "<arrow@1:27>")
    assert the_call(f, "event.respondWith").function == "<arrow@1:27>"


# Expressions ----------------------------------------------------------------------------

EXPR_CASES = {
    "string escapes": (r"'a\n\t\u0041\x42\u{1F600}\'\\'", ("literal", "a\n\tAB\U0001F600'\\")),
    "line continuation": ('"a\\\nb"', ("literal", "ab")),
    "surrogate pair": (r'"\uD83D\uDE00"', ("literal", "\U0001F600")),
    "template without substitutions": ("`plain\\n`", ("literal", "plain\n")),
    "template": ("`quote:${symbol}:${Date.now()}`",
                 ("template", ("quote:", ":", ""),
                  [("name", "symbol"), ("call", ("member", ("name", "Date"), "now"), [])])),
    "int": ("300", ("literal", 300)),
    "float": ("1.5e3", ("literal", 1500.0)),
    "underscores": ("1_000", ("literal", 1000)),
    "hex": ("0x1F", ("literal", 31)),
    "bigint": ("10n", ("literal", 10)),
    "arithmetic is not folded": ("60 * 60", ("binary", "*", ("literal", 60), ("literal", 60))),
    "booleans and null": ("[true, false, null, undefined]",
                          ("array", [("literal", True), ("literal", False), ("literal", None),
                                     ("literal", None)])),
    "this": ("this.env", ("member", ("name", "this"), "env")),
    "optional member": ("env?.CACHE", ("member", ("name", "env"), "CACHE", "?.")),
    "index": ('env["CACHE"]', ("index", ("name", "env"), ("literal", "CACHE"))),
    "call": ("f(a, ...rest)", ("call", ("name", "f"), [("name", "a"), ("spread", ("name", "rest"))])),
    "new": ("new Map()", ("new", ("name", "Map"), [])),
    "object": ("{ a: 1, key, ...opts, [k]: 2, 'x-y': 3, 4: 5 }",
               ("object", [("a", ("literal", 1), False), ("key", ("name", "key"), False),
                           (None, ("name", "opts"), True), (None, ("literal", 2), False),
                           ("x-y", ("literal", 3), False), ("4", ("literal", 5), False)])),
    "object method": ("{ run() {} }", ("object", [("run", ("function", "x.run"), False)])),
    "array with spread": ("[1, ...more]", ("array", [("literal", 1), ("spread", ("name", "more"))])),
    "arrow": ("() => 1", ("function", "x")),
    "nullish": ("a ?? b", ("binary", "??", ("name", "a"), ("name", "b"))),
    "logical": ("a && b || c",
                ("binary", "||", ("binary", "&&", ("name", "a"), ("name", "b")), ("name", "c"))),
    "instanceof": ("e instanceof Error", ("binary", "instanceof", ("name", "e"), ("name", "Error"))),
    "comparison": ("a === 'b'", ("binary", "===", ("name", "a"), ("literal", "b"))),
    "not": ("!ok", ("unary", "!", ("name", "ok"))),
    "typeof": ("typeof x", ("unary", "typeof", ("name", "x"))),
    "negative": ("-1", ("unary", "-", ("literal", 1))),
    "void": ("void 0", ("unary", "void", ("literal", 0))),
    "conditional": ("a ? b : c", ("conditional", ("name", "a"), ("name", "b"), ("name", "c"))),
    "await": ("await p", ("await", ("name", "p"))),
    "assign": ("a ??= b", ("assign", "??=", ("name", "a"), ("name", "b"))),
    "as, satisfies, non-null and parentheses are transparent":
        ("((env.CACHE as KVNamespace)!) satisfies KVNamespace",
         ("member", ("name", "env"), "CACHE")),
    "type assertion": ("<KVNamespace>env.CACHE", ("member", ("name", "env"), "CACHE")),
    "await of a generic call": ("await kv.get<T>(k)",
                                ("await", ("call", ("member", ("name", "kv"), "get"), [("name", "k")]))),
    "negated generic call": ("!kv.get<T>(k)",
                             ("unary", "!", ("call", ("member", ("name", "kv"), "get"), [("name", "k")]))),
    "regex is other": ("/a+/g", ("other", "/a+/g")),
    "update": ("i++", ("unary", "++", ("name", "i"))),
    "comments are not arguments": ("f(a, /* b */ c)",
                                   ("call", ("name", "f"), [("name", "a"), ("name", "c")])),
}


@pytest.mark.parametrize("case", EXPR_CASES, ids=list(EXPR_CASES))
def test_expression_summaries(case: str) -> None:
    source, expected = EXPR_CASES[case]
    dialect = "typescript" if case == "type assertion" else "tsx"
    value = facts(f"const x = {source};", dialect).declarations[0].value
    assert shape(value) == expected


def test_expression_text_span_and_caps() -> None:
    f = facts("const x = 'é' + `ü${y}`;\nconst long = '" + "a" * 500 + "';")
    value = f.declarations[0].value
    assert value is not None and value.args[1].span.column == 17  # characters, not bytes
    assert (value.span.line, value.span.column, value.span.end_column) == (1, 11, 24)
    assert value.text == "'é' + `ü${y}`"
    long = f.declarations[1].value
    assert long is not None and len(long.text) == 200 and long.value == "a" * 500


def test_expression_depth_is_capped() -> None:
    value = facts("const x = " + "[" * 200 + "]" * 200 + ";").declarations[0].value
    depth = 0
    while value is not None and value.kind == "array" and value.args:
        value, depth = value.args[0], depth + 1
    assert value is not None and value.kind == "other"
    assert depth == MAX_EXPR_DEPTH + 1


# Declarations and returns -----------------------------------------------------------------

DECLARATION_CASES = {
    "const with type": ("const ttl: number = 60 * 60;",
                        [("const", "ttl", None, ("binary", "*", ("literal", 60), ("literal", 60)),
                          "number", (), (), False)]),
    "let and var": ("let a = 1, b; var c = 'x';",
                    [("let", "a", None, ("literal", 1), None, (), (), False),
                     ("let", "b", None, None, None, (), (), False),
                     ("var", "c", None, ("literal", "x"), None, (), (), False)]),
    "object destructuring": (
        "async function f(env) { const { keys } = await env.CACHE.list(); }",
        [("const", None, None,
          ("await", ("call", ("member", ("member", ("name", "env"), "CACHE"), "list"), [])),
          None, (("keys", "keys"),), (), False)]),
    "renames": ("const { CACHE: cache, other = 1 } = env;",
                [("const", None, None, ("name", "env"), None, (("CACHE", "cache"), ("other", "other")), (),
                  False)]),
    "array pattern": ("const [first, , third, ...rest] = items;",
                      [("const", None, None, ("name", "items"), None,
                        (("0", "first"), ("2", "third"), ("...", "rest")),
                        ("first", None, "third", "...rest"), False)]),
    "exported": ("export const ttl = 60;", [("const", "ttl", None, ("literal", 60), None, (), (), True)]),
    "assignment": ("x = 1;", [("assign", "x", None, ("literal", 1), None, (), (), False)]),
    "member assignment": (
        "class S { constructor(env) { this.kv = env.CACHE; } }",
        [("assign", None, ("member", ("name", "this"), "kv"), ("member", ("name", "env"), "CACHE"), None,
          (), (), False)]),
    "compound assignment keeps its operator in the value": (
        "this.kv ??= env.CACHE;",
        [("assign", None, ("member", ("name", "this"), "kv"),
          ("binary", "??", ("member", ("name", "this"), "kv"), ("member", ("name", "env"), "CACHE")),
          None, (), (), False)]),
    "destructuring assignment": ("({ a, b: c } = obj);",
                                 [("assign", None, None, ("name", "obj"), None, (("a", "a"), ("b", "c")), (),
                                   False)]),
}


@pytest.mark.parametrize("case", DECLARATION_CASES, ids=list(DECLARATION_CASES))
def test_declarations(case: str) -> None:
    code, expected = DECLARATION_CASES[case]
    got = [(d.kind, d.name, shape(d.target), shape(d.value), d.type, d.fields, d.elements, d.exported)
           for d in facts(code).declarations]
    assert got == expected


def test_declarations_carry_function_loops_and_conditions() -> None:
    f = facts("function f(keys) {\n  for (const k of keys) {\n"
              "    if (k.stale) { const v = k.value; }\n  }\n}")
    (decl,) = f.declarations
    assert (decl.function, decl.name) == ("f", "v")
    assert loops(decl) == [("for-of", "k", (), "keys", None, None)]
    assert conditions(decl) == [("if", "k.stale")]


def test_returns() -> None:
    f = facts("function f(a) {\n  if (!a) return null;\n  return a.b;\n}\nconst g = (x) => x * 2;\n"
              "function h() { return; }")
    got = [(r.function, shape(r.value), conditions(r)) for r in f.returns]
    assert got == [
        ("f", ("literal", None), [("if", "!a")]),
        ("f", ("member", ("name", "a"), "b"), [("guard", "!a")]),
        ("g", ("binary", "*", ("name", "x"), ("literal", 2)), []),  # an arrow's expression body
        ("h", None, []),
    ]


# Imports and exports --------------------------------------------------------------------

IMPORT_CASES = {
    "default and named": ('import app, { a as b, c } from "./m";',
                          [("./m", "default", "app", False), ("./m", "a", "b", False),
                           ("./m", "c", "c", False)]),
    "namespace": ('import * as ns from "./ns";', [("./ns", "*", "ns", False)]),
    "type only": ('import type { Env } from "./env";', [("./env", "Env", "Env", True)]),
    "inline type": ('import { type Env, helper } from "./env";',
                    [("./env", "Env", "Env", True), ("./env", "helper", "helper", False)]),
    "side effect: imported * with an empty local": ('import "./polyfill";', [("./polyfill", "*", "", False)]),
    "import = require": ('import kv = require("./kv");', [("./kv", "*", "kv", False)]),
    "require": ('const lib = require("lib");', [("lib", "*", "lib", False)]),
    "require destructured": ('const { a, b: c } = require("lib");',
                             [("lib", "a", "a", False), ("lib", "b", "c", False)]),
    "require member": ('const thing = require("lib").thing;', [("lib", "thing", "thing", False)]),
    "dynamic import": ('async function f() { const { x } = await import("./lazy"); }',
                       [("./lazy", "x", "x", False)]),
}


@pytest.mark.parametrize("case", IMPORT_CASES, ids=list(IMPORT_CASES))
def test_imports(case: str) -> None:
    code, expected = IMPORT_CASES[case]
    got = [(i.source, i.imported, i.local, i.type_only) for i in facts(code, "tsx").imports]
    assert got == expected


EXPORT_CASES = {
    "default object": ("export default { fetch() {} };", [("default", None, "object", None)]),
    "default name": ("export default app;", [("default", "app", "name", None)]),
    "default class": ("export default class Handler {}", [("default", "Handler", None, None)]),
    "default function": ("export default function handle() {}", [("default", "handle", "function", None)]),
    "class": ("export class RateLimiter {}", [("RateLimiter", "RateLimiter", None, None)]),
    "function": ("export async function run() {}", [("run", "run", "function", None)]),
    "const": ("export const a = 1, b = 2;", [("a", "a", "literal", None), ("b", "b", "literal", None)]),
    "clause with rename": ("export { X as Y, Z };", [("Y", "X", None, None), ("Z", "Z", None, None)]),
    "re-export": ('export { q } from "./q";', [("q", "q", None, "./q")]),
    "star": ('export * from "./all";', [("*", None, None, "./all")]),
    "star as namespace": ('export * as ns from "./all";', [("ns", "*", None, "./all")]),
    "enum": ("export enum Mode { A }", [("Mode", "Mode", None, None)]),
    "types are left out": ("export interface Env {}\nexport type T = string;\nexport type { U };", []),
    "export =": ("export = app;", [("default", "app", "name", None)]),
    "module.exports": ("module.exports = { handle };", [("default", None, "object", None)]),
    "exports.name": ("exports.handle = handle;", [("handle", "handle", "name", None)]),
}


@pytest.mark.parametrize("case", EXPORT_CASES, ids=list(EXPORT_CASES))
def test_exports(case: str) -> None:
    code, expected = EXPORT_CASES[case]
    got = [(e.name, e.local, e.value.kind if e.value else None, e.source) for e in facts(code).exports]
    assert got == expected


# Env accesses and routes ----------------------------------------------------------------

ENV_CASES = {
    "env.X": ("env.CACHE.get(k);", [("CACHE", "env", False, [])]),
    "this.env.X": ("this.env.CACHE.put(k, v);", [("CACHE", "this.env", False, [])]),
    "c.env.X": ("c.env.CACHE;", [("CACHE", "c.env", False, [])]),
    "context.env.X": ("context.env.DB;", [("DB", "context.env", False, [])]),
    "string subscript": ('env["CACHE"].get(k);', [("CACHE", "env", False, [])]),
    "computed subscript is not an access": ("env[name];", []),
    "optional read": ("env?.CACHE;", [("CACHE", "env", True, [])]),
    "optional use": ("env.CACHE?.get(k);", [("CACHE", "env", True, [])]),
    "cast": ("(env as Env).CACHE;", [("CACHE", "env", False, [])]),  # the summary looks through `as`
    "guarded": ("if (env.FLAG) { env.OTHER.get(); }",
                [("FLAG", "env", False, []), ("OTHER", "env", False, [("if", "env.FLAG")])]),
    "destructuring": ("const { A, B: b } = env;", [("A", "env", False, []), ("B", "env", False, [])]),
    "destructuring from c.env": ("const { CACHE } = c.env;", [("CACHE", "c.env", False, [])]),
    "parameter named env is not an access": ("export const onRequest = async ({ env, request }) => {};", []),
    "not env": ("environment.X; envs.Y; env2.Z;", []),
}


@pytest.mark.parametrize("case", ENV_CASES, ids=list(ENV_CASES))
def test_env_accesses(case: str) -> None:
    code, expected = ENV_CASES[case]
    got = [(a.name, a.base.text, a.optional, conditions(a)) for a in facts(code).env_accesses]
    assert got == expected


def test_env_access_span_and_function() -> None:
    f = facts("export default {\n  async fetch(req, env) {\n    return env.QUOTES.get('k');\n  },\n};")
    (access,) = f.env_accesses
    assert (access.function, access.span.line, access.span.column, access.span.end_column) == (
        "default.fetch", 3, 12, 22)


ROUTE_CASES = {
    "get": ('app.get("/quotes/:id", handler);', [("GET", "/quotes/:id", "app", ["handler"])]),
    "several handlers": ("router.post(`/jobs`, auth, run);", [("POST", "/jobs", "router", ["auth", "run"])]),
    "all": ('app.all("/x", h);', [("ALL", "/x", "app", ["h"])]),
    "case of the method": ('app.DELETE("/x", h);', [("DELETE", "/x", "app", ["h"])]),
    "on with a method": ('app.on("PURGE", "/cache", h);', [("PURGE", "/cache", "app", ["h"])]),
    "on with methods": ('app.on(["GET", "HEAD"], "/x", h);',
                        [("GET", "/x", "app", ["h"]), ("HEAD", "/x", "app", ["h"])]),
    "not a path": ('env.KV.get("quote:1"); map.get(key); app.get(`/${x}`, h);', []),
    "unknown method": ('app.use("/x", h);', []),
}


@pytest.mark.parametrize("case", ROUTE_CASES, ids=list(ROUTE_CASES))
def test_routes(case: str) -> None:
    code, expected = ROUTE_CASES[case]
    f = facts(code)
    got = [(r.method, r.path, r.router.text, texts(r.handlers)) for r in f.routes]
    assert got == expected
    assert {r.span for r in f.routes} <= {c.span for c in f.calls}  # a route is still a call


# Comments and syntax problems -------------------------------------------------------------

def test_ignore_comments() -> None:
    f = facts("// workers-audit-ignore[KV001]: a reason\nput();\n"
              "put(); /* workers-audit-ignore[KV201] */\nconst s = 'workers-audit-ignore';\n// other\n")
    assert f.comments == (
        (1, "// workers-audit-ignore[KV001]: a reason"),
        (3, "/* workers-audit-ignore[KV201] */"),
    )


PROBLEM_CASES = {
    "unexpected token": ("const x = ;\nok();", [((1, 11), "syntax error: unexpected `;`")]),
    "missing parenthesis": ("if (a { b(); }", [((1, 6), "missing `)`")]),
    "innermost error": ("function broken( {\n  env.B.put('k', v);\n}\nconst x = ;\n",
                        [((1, 18), "syntax error: unexpected `{`")]),
    "one per fault": ("x = );\ny = );\n", [((1, 5), "syntax error: unexpected `)`"),
                                            ((2, 3), "syntax error: unexpected `=`")]),
    "stray brace": ("f();\n}\n", [((2, 1), "syntax error: unexpected `}`")]),
}


@pytest.mark.parametrize("case", PROBLEM_CASES, ids=list(PROBLEM_CASES))
def test_syntax_problems(case: str) -> None:
    code, expected = PROBLEM_CASES[case]
    got = [((p.span.line, p.span.column), p.message) for p in facts(code).problems]
    assert got == expected


def test_well_formed_parts_survive_errors() -> None:
    f = facts("function ok(env) { return env.A.get('x'); }\nif (a { b(); }\n"
              "function later(env) { env.B.put('k', 'v'); }\n")
    assert f.problems
    assert {fn.id for fn in f.functions} == {"ok", "later"}
    assert {a.name for a in f.env_accesses} == {"A", "B"}


def test_problems_are_capped() -> None:
    assert len(facts("x = );\n" * 100).problems) == 20


# The example Worker -----------------------------------------------------------------------

def test_example_quote_cache() -> None:
    f = parse_file("src/index.ts", EXAMPLE.read_bytes(), "typescript")
    assert f.problems == ()
    assert {fn.id for fn in f.functions} == {
        "fetchQuote", "readQuote", "sweepStaleQuotes", "RateLimiter.hit",
        "default.fetch", "default.scheduled",
    }
    guard = [("guard", "cached && Date.now() - cached.at < STALE_AFTER_MS")]
    puts = [c for c in f.calls if c.function == "readQuote" and c.callee.text.endswith(".put")]
    assert [(c.callee.text, texts(c.args), conditions(c), c.awaited) for c in puts] == [
        ("env.QUOTES.put", ["`quote:${symbol}`", "JSON.stringify(fresh)"], guard, True),
        ("env.QUOTES_BACKUP.put", ["`backup:${symbol}:${Date.now()}`", "JSON.stringify(fresh)"], guard, True),
    ]
    assert shape(puts[0].args[0]) == ("template", ("quote:", ""), [("name", "symbol")])

    sweep = [c for c in f.calls if c.function == "sweepStaleQuotes"]
    assert [(c.callee.text, loops(c), conditions(c)) for c in sweep] == [
        ("env.QUOTES.list", [], []),
        ("env.QUOTES.get", [("for-of", "key", (), "keys", None, None)], []),
        ("Date.now", [("for-of", "key", (), "keys", None, None)], [("and", "quote")]),
        ("env.QUOTES.delete", [("for-of", "key", (), "keys", None, None)],
         [("if", "quote && Date.now() - quote.at > STALE_AFTER_MS")]),
    ]
    listed = [d for d in f.declarations if d.function == "sweepStaleQuotes" and d.fields]
    assert [d.fields for d in listed] == [(("keys", "keys"),)]

    scheduled_put = [c for c in f.calls
                     if c.function == "default.scheduled" and c.callee.text == "env.QUOTES.put"]
    assert [(loops(c), conditions(c)) for c in scheduled_put] == [(
        [("for-of", "symbol", (), 'env.SYMBOLS.split(",")', None, None)],
        [("guard", 'controller.cron === "*/30 * * * *"')],
    )]
    not_found = [c for c in f.calls if c.function == "default.fetch" and texts(c.args)[:1] == ['"not found"']]
    assert conditions(not_found[0])[-1] == ("if", "!match")

    (limiter,) = f.classes
    assert (limiter.name, shape(limiter.extends), limiter.exported, limiter.methods) == (
        "RateLimiter", ("name", "DurableObject"), True, ("RateLimiter.hit",))
    assert {a.name for a in f.env_accesses} == {
        "QUOTES", "QUOTES_BACKUP", "RATE_LIMITER", "UPSTREAM_URL", "SYMBOLS"}
    assert {(e.name, e.local) for e in f.exports} == {("RateLimiter", "RateLimiter"), ("default", None)}
    default = next(e for e in f.exports if e.name == "default")
    assert default.value is not None
    assert [(p.key, shape(p.value)) for p in default.value.props] == [
        ("fetch", ("function", "default.fetch")), ("scheduled", ("function", "default.scheduled"))]
    assert [(i.source, i.imported) for i in f.imports] == [("cloudflare:workers", "DurableObject")]


# Realistic samples ------------------------------------------------------------------------

def test_sample_data_access_wrapper() -> None:
    f = sample("data_access.ts")
    write = function(f, "DataAccessLayer.write")
    assert [(p.name, p.optional) for p in write.params] == [
        ("key", False), ("data", False), ("options", True)]
    retry = the_call(f, "retry")
    assert retry.function == "DataAccessLayer.write"
    (closure_id,) = [a.function for a in retry.args]
    closure = function(f, str(closure_id))
    assert (closure.kind, closure.parent) == ("arrow", "DataAccessLayer.write")
    put = the_call(f, "this.env.CACHE.put")
    assert put.function == closure.id
    assert [shape(a) for a in put.args] == [
        ("name", "key"), ("name", "data"), ("binary", "??", ("name", "options"), ("object", []))]
    (dal,) = f.classes
    assert [c.name for c in dal.fields] == ["prefix", "instances", "env", "region"]
    assert [(a.function, a.name, a.base.text, a.optional) for a in f.env_accesses] == [
        (closure.id, "CACHE", "this.env", False),
        ("DataAccessLayer.read", "CACHE", "this.env", True),
        ("DataAccessLayer.namespace", "CACHE", "this.env", False),
    ]
    writes = [c for c in f.calls if c.callee.text == "dal.write"]
    assert [len(c.args) for c in writes] == [2, 3]
    assert f.comments == ((32, "// workers-audit-ignore[KV001]: fixture"),)
    assert [(i.imported, i.type_only) for i in f.imports] == [("Env", True), ("retry", False)]


def test_sample_hono_app() -> None:
    f = sample("hono_app.ts")
    assert [(r.method, r.path, r.router.text) for r in f.routes] == [
        ("GET", "/quotes/:id", "app"), ("POST", "/quotes", "app"), ("PURGE", "/cache", "app")]
    handler = f.routes[0].handlers[0]
    assert handler.kind == "function"
    get = the_call(f, "c.env.CACHE.get")
    assert (get.function, get.awaited) == (handler.function, True)
    put = the_call(f, "c.env.CACHE.put")
    assert conditions(put) == [("guard", "cached"), ("guard", "!API_KEY")]
    assert [(a.name, a.base.text) for a in f.env_accesses if a.function == handler.function] == [
        ("CACHE", "c.env"), ("API_KEY", "c.env"), ("CACHE", "c.env")]
    delete = the_call(f, "c.env.CACHE.delete")
    assert loops(delete) == [("for-of", "key", (), "keys", None, None)]
    assert [(e.name, e.local) for e in f.exports] == [("default", "app")]


def test_sample_durable_object_constructor() -> None:
    f = sample("counter_object.ts")
    concurrency = the_call(f, "this.ctx.blockConcurrencyWhile")
    assert concurrency.function == "Counter.constructor"
    (loader,) = [a.function for a in concurrency.args]
    assert function(f, str(loader)).parent == "Counter.constructor"
    storage_get = the_call(f, "this.ctx.storage.get")
    assert (storage_get.function, storage_get.awaited) == (loader, True)
    assigned = [d for d in f.declarations if d.function == loader]
    assert [shape(d.target) for d in assigned] == [("member", ("name", "this"), "value")]
    (counter,) = f.classes
    assert (shape(counter.extends), counter.methods) == (
        ("name", "DurableObject"), ("Counter.constructor", "Counter.increment"))
    assert {e.name for e in f.exports} == {"Counter", "default"}
    assert "default.fetch" in {fn.id for fn in f.functions}


def test_sample_javascript_service_worker() -> None:
    f = sample("service_worker.js")
    assert f.language == "javascript"
    assert [(i.source, i.imported, i.local) for i in f.imports] == [
        ("./util.js", "formatQuote", "formatQuote"), ("./log.js", "*", "log"),
        ("./hash.js", "hash", "hash"), ("./hash.js", "slug", "makeSlug")]
    listener = the_call(f, "addEventListener")
    assert [a.kind for a in listener.args] == ["literal", "function"]
    get = the_call(f, "QUOTES.get")
    assert (get.function, conditions(get)) == ("handle", [("case", 'url.pathname === "/quote"')])
    assert [(e.name, e.value.kind if e.value else None) for e in f.exports] == [("default", "object")]


# Robustness and cost ----------------------------------------------------------------------

def minified_bundle(size: int) -> bytes:
    """The example and samples with comments dropped, joined onto one line, repeated."""
    parts = []
    for path in (EXAMPLE, *sorted(SAMPLES.glob("*.ts"))):
        lines = [line.strip() for line in path.read_text().splitlines()]
        parts.append(" ".join(line for line in lines if line and not line.startswith("//")))
    unit = " ".join(parts).replace("// workers-audit-ignore[KV001]: fixture", "").encode()
    return (unit * (size // len(unit) + 1))[:size]


def deep_recursion_limit() -> int:
    """A recursion limit a little above the current depth: only iterative code survives it."""
    depth = 0
    frame = sys._getframe()
    while frame.f_back is not None:
        frame, depth = frame.f_back, depth + 1
    return depth + 400


@pytest.mark.parametrize("name, source", [
    ("5,000 nested parentheses", b"const x = " + b"(" * 5000 + b"env.A" + b")" * 5000 + b";"),
    ("3,000 nested ifs", b"function f() {" + b"if (a) " * 3000 + b"g(); }"),
    ("3,000 nested arrays", b"x = " + b"[" * 3000 + b"]" * 3000),
    ("2,000 nested arrows", b"x = " + b"() => " * 2000 + b"1"),
    ("1,000 nested calls", b"f(" * 1000 + b")" * 1000),
    ("5,000-link chain", b"a" + b"?.b" * 5000 + b"();"),
    ("10,000-term sum", b"x = " + b" + ".join(b"a%d" % i for i in range(10000)) + b";"),
    ("unclosed everything", b"function f( { [ ( `${ '"),
])
def test_pathological_input_returns(name: str, source: bytes) -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(deep_recursion_limit())
    try:
        f = parse_file("deep.ts", source, "typescript")
    finally:
        sys.setrecursionlimit(limit)
    assert isinstance(f, FileFacts)


def test_3000_nested_blocks_keep_their_guards() -> None:
    source = b"function f() {" + b"{ if (a) return; g();" * 3000 + b"}" * 3001
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(deep_recursion_limit())
    try:
        f = parse_file("deep.ts", source, "typescript")
    finally:
        sys.setrecursionlimit(limit)
    assert len(f.calls) == 3000
    assert [len(c.conditions) for c in f.calls[:3]] == [1, 2, 3]


def test_random_bytes_and_truncations_never_raise() -> None:
    rng = random.Random(20240601)
    for _ in range(200):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(2000)))
        parse_file("random.ts", blob, rng.choice(["typescript", "tsx", "javascript"]))
    for path in (EXAMPLE, *sorted(SAMPLES.iterdir())):
        data = path.read_bytes()
        for cut in range(0, len(data), 13):
            assert isinstance(parse_file(path.name, data[:cut], "typescript"), FileFacts)
            assert isinstance(parse_file(path.name, data[cut:], "tsx"), FileFacts)


def test_minified_two_megabyte_bundle() -> None:
    bundle = minified_bundle(2 * 1024 * 1024)
    assert b"\n" not in bundle
    f = parse_file("dist/worker.js", bundle, "javascript")
    assert len(f.calls) > 10_000
    assert all(c.span.line == 1 for c in f.calls[:100])


def test_no_work_at_import_time() -> None:
    code = ("import sys, auditor.frontends.typescript as t\n"
            "assert 'tree_sitter_typescript' not in sys.modules\n"
            "assert t._parser.cache_info().currsize == 0\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_unknown_dialect_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        parse_file("x.py", b"", "python")


def test_interfaces_and_object_type_aliases_are_type_definitions() -> None:
    from auditor.facts import TypeDef

    source = b"""interface Env extends Base { CACHE: KVNamespace; readonly N: DurableObjectNamespace<N>;
  BACKUP?: KVNamespace; "X-Y": string; run(): void }
export type Secrets = { API_KEY: string };
declare namespace Cloudflare { interface Env { QUOTES: KVNamespace } }
function local() { interface Hidden { x: number } }
"""
    types = parse_file("env.d.ts", source, "typescript").types
    assert [(t.name, t.members, t.extends, t.optional) for t in types] == [
        ("Env", (("CACHE", "KVNamespace"), ("N", "DurableObjectNamespace<N>"), ("BACKUP", "KVNamespace"),
                 ("X-Y", "string")), ("Base",), ("BACKUP",)),
        ("Secrets", (("API_KEY", "string"),), (), ()),
        ("Env", (("QUOTES", "KVNamespace"),), (), ()),
    ]
    assert isinstance(types[0], TypeDef) and types[0].span.line == 1
