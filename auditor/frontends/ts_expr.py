"""Syntax helpers for the TypeScript/JavaScript frontend: spans, function ids, expression
summaries, binding patterns and syntax problems."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

from auditor.facts import Expr, Literal, Prop, Span, SyntaxProblem

# Minified bundles nest expressions thousands deep; past this depth a summary is `other`,
# so neither this recursion nor a consumer's recursive comparison can exhaust the stack.
MAX_EXPR_DEPTH = 64
# Elements, properties and arguments kept per summary: a 50,000-element data array is
# no binding, option bag or key, and summarising it at every enclosing call is quadratic.
MAX_ITEMS = 1000
MAX_TEXT = 200
MAX_PROBLEMS = 20
# An id longer than this (functions nested hundreds deep) stops growing: its own
# segment stays, and the uniqueness check adds the position.
MAX_ID_PREFIX = 1000

# Wrappers that change only the static type or the grouping; a summary looks through them.
TRANSPARENT = frozenset({
    "parenthesized_expression", "as_expression", "satisfies_expression",
    "non_null_expression", "type_assertion", "instantiation_expression",
})
FUNCTION_NODES = frozenset({"arrow_function", "function_expression", "generator_function"})

_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_LINE_CONTINUATIONS = frozenset({"\n", "\r", "\r\n", "\u2028", "\u2029"})
_CONTINUATION_BYTE = re.compile(rb"[\x80-\xbf]")
_IGNORE_MARK = re.compile(rb"workers-audit-ignore")


def kids(node: Any) -> list[Any]:
    """Named children without comments, which tree-sitter may place anywhere."""
    return [child for child in node.named_children if child.type != "comment"]


def unwrap(node: Any) -> Any:
    """The expression inside parentheses, `as`, `satisfies`, `!` and `<T>` assertions."""
    while node.type in TRANSPARENT:
        inner = kids(node)
        if not inner:
            break
        # `<T>x` puts the type first; every other wrapper puts the expression first.
        node = inner[-1] if node.type == "type_assertion" else inner[0]
    return node


def has_optional(node: Any) -> bool:
    """True when this link of a chain is written with `?.` (`a?.b`, `a?.[b]`, `f?.()`)."""
    if node.type == "call_expression":
        # `f?.(x)`: an anonymous `?.` token right after the callee, not a field.
        token = node.child(1)
        return token is not None and token.type == "?."
    return node.child_by_field_name("optional_chain") is not None


def decode_escapes(raw: str) -> str:
    """JavaScript string escapes to the characters they stand for (the cooked value)."""
    if "\\" not in raw:
        return raw
    decoded = _ESCAPE.sub(_escape, raw)
    try:  # `\uD83D\uDE00` arrives as two surrogates; join them into one character
        return decoded.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeError:
        return decoded


def _escape(match: re.Match[str]) -> str:
    body = match.group(1)
    if body in _LINE_CONTINUATIONS:
        return ""
    if body in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[body]
    try:
        if body.startswith("u{"):
            return chr(int(body[2:-1], 16))
        if body[0] in "ux" and len(body) > 1:
            return chr(int(body[1:], 16))
    except (ValueError, OverflowError):
        return match.group(0)
    return body


def number_value(text: str) -> int | float | None:
    """A numeric literal's value: `1_000`, `0x1F`, `0o17`, `0b1`, `1.5e3`, `10n`."""
    text = text.replace("_", "").lower()
    try:
        if text.endswith("n"):
            return int(text[:-1], 0)
        if text[:2] in ("0x", "0o", "0b"):
            return int(text, 0)
        if len(text) > 1 and text[0] == "0" and text.isdigit():
            return int(text, 8) if set(text) <= set("01234567") else int(text)
        if any(c in text for c in ".e"):
            return float(text)
        return int(text)
    except ValueError:
        return None


class Columns:
    """Tree-sitter byte points to 1-based lines and character columns.

    Unlike `LineIndex`, which decodes the whole line prefix for every point, this keeps
    ASCII lines free and bisects over the positions of multi-byte characters, so a
    2 MB one-line bundle costs one scan instead of one scan per span.
    """

    def __init__(self, data: bytes) -> None:
        self._ascii = data.isascii()
        self._lines = [] if self._ascii else data.split(b"\n")
        self._wide: dict[int, list[int]] = {}

    def column(self, row: int, byte_column: int) -> int:
        if self._ascii or row >= len(self._lines):
            return byte_column + 1
        wide = self._wide.get(row)
        if wide is None:
            line = self._lines[row]
            wide = [m.start() for m in _CONTINUATION_BYTE.finditer(line)] if not line.isascii() else []
            self._wide[row] = wide
        if not wide:
            return byte_column + 1
        return byte_column - bisect_left(wide, byte_column) + 1


class Source:
    """One file's bytes, with spans, capped text, and the file's function ids."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.columns = Columns(data)
        self._ids: dict[int, str] = {}
        self._used: set[str] = set()

    def span(self, node: Any, end: Any = None) -> Span:
        start = node.start_point
        stop = (end or node).end_point
        column = self.columns.column
        return Span(start[0] + 1, column(start[0], start[1]), stop[0] + 1, column(stop[0], stop[1]))

    def position(self, node: Any) -> str:
        row, col = node.start_point
        return f"{row + 1}:{self.columns.column(row, col)}"

    def text(self, node: Any, limit: int = MAX_TEXT) -> str:
        start = node.start_byte
        # Four bytes per character at most: slice before decoding, never the whole node.
        raw = self.data[start:min(node.end_byte, start + 4 * limit)]
        return raw.decode("utf-8", errors="replace")[:limit]

    def text_between(self, first: Any, last: Any, limit: int = MAX_TEXT) -> str:
        start = first.start_byte
        raw = self.data[start:min(last.end_byte, start + 4 * limit)]
        return raw.decode("utf-8", errors="replace")[:limit]

    def full_text(self, node: Any) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8", errors="replace")

    def function_id(self, node: Any, enclosing: str | None, hint: str | None) -> str:
        """The file-unique id of a function node, fixed by whoever asks first.

        Both the walker and the summariser ask, with the same enclosing id and the same
        naming hint (`const name =`, an object key, a class and method name); the memo
        makes them agree whichever comes first.
        """
        known = self._ids.get(node.id)
        if known is not None:
            return known
        if hint is None:
            tag = {"arrow_function": "arrow", "method_definition": "method"}.get(node.type, "function")
            hint = f"<{tag}@{self.position(node)}>"
        ident = qualify(enclosing, hint)
        if ident in self._used:
            ident = f"{ident}@{self.position(node)}"
        while ident in self._used:  # only with overlapping zero-width error nodes
            ident += "'"
        self._used.add(ident)
        self._ids[node.id] = ident
        return ident


def qualify(enclosing: str | None, name: str) -> str:
    if not enclosing:
        return name
    if len(enclosing) > MAX_ID_PREFIX:
        enclosing = "<deep>"
    return f"{enclosing}.{name}"


def property_key(node: Any, src: Source) -> str | None:
    """The static name of a property key; None for a computed `[k]` key."""
    kind = node.type
    if kind == "string":
        return string_value(node, src)
    if kind == "number":
        value = number_value(src.full_text(node))
        return str(value) if isinstance(value, int) else src.full_text(node)
    if kind in ("property_identifier", "identifier", "private_property_identifier",
                "shorthand_property_identifier", "shorthand_property_identifier_pattern"):
        return src.full_text(node)
    return None


def string_value(node: Any, src: Source) -> str:
    raw = src.full_text(node)
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"`":
        raw = raw[1:-1]
    elif raw[:1] in ("'", '"', "`"):  # unterminated, in a file with syntax errors
        raw = raw[1:]
    return decode_escapes(raw)


def static_string(node: Any, src: Source) -> str | None:
    """The value of a string literal or a template without substitutions, else None."""
    node = unwrap(node)
    if node.type == "string":
        return string_value(node, src)
    if node.type == "template_string" and not any(
        child.type == "template_substitution" for child in node.named_children
    ):
        return string_value(node, src)
    return None


class Summariser:
    """Expression nodes to `Expr` trees; the one recursion in the frontend, depth-capped."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self._memo: dict[int, tuple[Expr, int]] = {}  # node id -> (summary, height)
        self._deepest = 0
        self._truncated = False
        self._dispatch = {
            "string": self._string, "template_string": self._template, "number": self._number,
            "true": self._true, "false": self._false, "null": self._none, "undefined": self._none,
            "identifier": self._name, "this": self._name, "super": self._name,
            "shorthand_property_identifier": self._name, "import": self._name,
            "member_expression": self._member, "subscript_expression": self._index,
            "call_expression": self._call, "new_expression": self._call,
            "object": self._object, "array": self._array,
            "arrow_function": self._function, "function_expression": self._function,
            "generator_function": self._function,
            "binary_expression": self._binary, "unary_expression": self._unary,
            "update_expression": self._unary, "ternary_expression": self._conditional,
            "await_expression": self._await, "spread_element": self._spread,
            "assignment_expression": self._assign, "augmented_assignment_expression": self._assign,
        }

    def expr(self, node: Any, fn: str | None, hint: str | None = None, depth: int = 0) -> Expr:
        """Summarise `node`; `fn` is the enclosing function id, `hint` the name a function
        or object literal here takes (see `Source.function_id`).

        The walker asks for every call's arguments and then walks into them, asking
        again for the calls inside; a memo of complete (untruncated) summaries, with
        their heights, keeps that linear.
        """
        node = unwrap(node)
        cached = self._memo.get(node.id)
        if cached is not None and depth + cached[1] <= MAX_EXPR_DEPTH:
            self._deepest = max(self._deepest, depth + cached[1])
            return cached[0]
        if depth > MAX_EXPR_DEPTH:
            self._truncated = True
            return self._other(node)
        handler = self._dispatch.get(node.type)
        if handler is None:
            self._deepest = max(self._deepest, depth)
            return self._other(node)
        outer_deepest, outer_truncated = self._deepest, self._truncated
        self._deepest, self._truncated = depth, False
        result = handler(node, fn, hint, depth + 1)
        if not self._truncated:
            self._memo[node.id] = (result, self._deepest - depth)
        self._deepest = max(outer_deepest, self._deepest)
        self._truncated = outer_truncated or self._truncated
        return result

    def _base(self, node: Any, kind: str, **fields: Any) -> Expr:
        return Expr(kind, self.src.span(node), self.src.text(node), **fields)

    def _other(self, node: Any, *_: Any) -> Expr:
        return self._base(node, "other")

    def _literal(self, node: Any, value: Literal) -> Expr:
        return self._base(node, "literal", value=value)

    def _string(self, node: Any, *_: Any) -> Expr:
        return self._literal(node, string_value(node, self.src))

    def _number(self, node: Any, *_: Any) -> Expr:
        value = number_value(self.src.full_text(node))
        return self._other(node) if value is None else self._literal(node, value)

    def _true(self, node: Any, *_: Any) -> Expr:
        return self._literal(node, True)

    def _false(self, node: Any, *_: Any) -> Expr:
        return self._literal(node, False)

    def _none(self, node: Any, *_: Any) -> Expr:
        return self._literal(node, None)

    def _name(self, node: Any, *_: Any) -> Expr:
        return self._base(node, "name", name=self.src.full_text(node))

    def _template(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        strings: list[str] = []
        args: list[Expr] = []
        data = self.src.data
        cursor = node.start_byte + 1  # after the opening backtick
        for child in node.named_children:
            if child.type != "template_substitution":
                continue
            strings.append(decode_escapes(data[cursor:child.start_byte].decode("utf-8", "replace")))
            inner = kids(child)
            args.append(self.expr(inner[0], fn, None, depth) if inner else self._other(child))
            cursor = child.end_byte
        if not args:
            return self._literal(node, string_value(node, self.src))
        end = node.end_byte - 1 if data[node.end_byte - 1:node.end_byte] == b"`" else node.end_byte
        strings.append(decode_escapes(data[cursor:max(cursor, end)].decode("utf-8", "replace")))
        return self._base(node, "template", strings=tuple(strings), args=tuple(args))

    def _member(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        target = node.child_by_field_name("object")
        prop = node.child_by_field_name("property")
        if target is None or prop is None:
            return self._other(node)
        return self._base(
            node, "member", target=self.expr(target, fn, None, depth), name=self.src.full_text(prop),
            operator="?." if has_optional(node) else None,
        )

    def _index(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        target = node.child_by_field_name("object")
        index = node.child_by_field_name("index")
        if target is None or index is None:
            return self._other(node)
        return self._base(
            node, "index", target=self.expr(target, fn, None, depth),
            args=(self.expr(index, fn, None, depth),), operator="?." if has_optional(node) else None,
        )

    def _call(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        is_new = node.type == "new_expression"
        prefix, callee = split_callee(node)
        if callee is None:
            return self._other(node)
        args = tuple(self.expr(arg, fn, None, depth) for arg in call_arguments(node)[:MAX_ITEMS])
        optional = not is_new and has_optional(node)
        call = Expr("new" if is_new else "call", self.src.span(callee if prefix else node, node),
                    self.src.text_between(callee if prefix else node, node),
                    target=self.expr(callee, fn, None, depth), args=args, operator="?." if optional else None)
        if prefix is None:
            return call
        if prefix.type == "await_expression":
            return self._base(node, "await", target=call)
        operator = prefix.child_by_field_name("operator")
        return self._base(node, "unary", target=call,
                          operator=operator.type if operator is not None else None)

    def _object(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        prefix = object_prefix(node, hint, self.src)
        props: list[Prop] = []
        for child in kids(node)[:MAX_ITEMS]:
            kind = child.type
            if kind == "pair":
                key_node = child.child_by_field_name("key")
                value = child.child_by_field_name("value")
                if key_node is None or value is None:
                    continue
                key = property_key(key_node, self.src)
                member_hint = f"{prefix}.{key}" if key is not None else None
                props.append(Prop(key, self.expr(value, fn, member_hint, depth)))
            elif kind == "shorthand_property_identifier":
                props.append(Prop(self.src.full_text(child), self._name(child)))
            elif kind == "spread_element":
                inner = kids(child)
                if inner:
                    props.append(Prop(None, self.expr(inner[0], fn, None, depth), spread=True))
            elif kind == "method_definition":
                key = method_name(child, self.src)
                member_hint = f"{prefix}.{key}" if key is not None else None
                ident = self.src.function_id(child, fn, member_hint)
                props.append(Prop(key, self._base(child, "function", function=ident)))
        return self._base(node, "object", props=tuple(props))

    def _array(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        items = tuple(self.expr(child, fn, None, depth) for child in kids(node)[:MAX_ITEMS])
        return self._base(node, "array", args=items)

    def _function(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        return self._base(node, "function", function=self.src.function_id(node, fn, hint))

    def _binary(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left is None or right is None or operator is None:
            return self._other(node)
        return self._base(node, "binary", operator=operator.type,
                          args=(self.expr(left, fn, None, depth), self.expr(right, fn, None, depth)))

    def _unary(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        target = node.child_by_field_name("argument")
        operator = node.child_by_field_name("operator")
        if target is None or operator is None:
            return self._other(node)
        return self._base(node, "unary", operator=operator.type, target=self.expr(target, fn, None, depth))

    def _conditional(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        parts = [node.child_by_field_name(name) for name in ("condition", "consequence", "alternative")]
        if any(part is None for part in parts):
            return self._other(node)
        return self._base(node, "conditional", args=tuple(self.expr(p, fn, None, depth) for p in parts))

    def _await(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        inner = kids(node)
        if not inner:
            return self._other(node)
        return self._base(node, "await", target=self.expr(inner[0], fn, None, depth))

    def _spread(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        inner = kids(node)
        if not inner:
            return self._other(node)
        return self._base(node, "spread", target=self.expr(inner[0], fn, None, depth))

    def _assign(self, node: Any, fn: str | None, hint: str | None, depth: int) -> Expr:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left is None or right is None:
            return self._other(node)
        return self._base(node, "assign", target=self.expr(left, fn, None, depth),
                          args=(self.expr(right, fn, assign_hint(left, self.src), depth),),
                          operator=operator.type if operator is not None else "=")


def call_arguments(node: Any) -> list[Any]:
    """The argument nodes of a call or `new`; a tagged template's template is its one argument."""
    args = node.child_by_field_name("arguments")
    if args is None:
        return []
    if args.type == "template_string":
        return [args]
    return kids(args)


def split_callee(node: Any) -> tuple[Any, Any]:
    """A call's (prefix, callee): tree-sitter-typescript reads `await kv.get<T>(k)` and
    `!kv.get<T>(k)` as a call of `await kv.get` / `!kv.get`; JavaScript has no such
    parse (it would need parentheses), so the prefix is lifted back over the call."""
    if node.type == "new_expression":
        return None, node.child_by_field_name("constructor")
    callee = node.child_by_field_name("function")
    if callee is not None and callee.type in ("await_expression", "unary_expression"):
        inner = callee.child_by_field_name("argument") if callee.type == "unary_expression" else None
        if inner is None and callee.type == "await_expression":
            found = kids(callee)
            inner = found[0] if found else None
        if inner is not None:
            return callee, inner
    return None, callee


def method_name(node: Any, src: Source) -> str | None:
    key = node.child_by_field_name("name")
    return property_key(key, src) if key is not None else None


def object_prefix(node: Any, hint: str | None, src: Source) -> str:
    """How an object literal's methods are named: `default.fetch`, `handlers.fetch`, or
    `<object@L:C>.fetch` for an object without a name."""
    return hint if hint is not None else f"<object@{src.position(node)}>"


def assign_hint(left: Any, src: Source) -> str | None:
    """The name a function or object assigned to `left` takes: `x = …` names it `x`,
    `module.exports = {…}` names it `default` (its Export's name)."""
    left = unwrap(left)
    if left.type == "identifier":
        return src.full_text(left)
    if left.type == "member_expression" and src.full_text(left).replace(" ", "") == "module.exports":
        return "default"
    return None


def pattern_fields(pattern: Any, src: Source) -> tuple[tuple[str, str], ...]:
    """(property, local) for `{ a, b: c, d = 1, ...rest }` (rest as ("...", "rest")) and
    (index, local) for `[a, b]`; nested patterns are left out."""
    out: list[tuple[str, str]] = []
    if pattern.type == "array_pattern":
        for index, element in enumerate(pattern_elements(pattern, src)):
            if element is not None:
                out.append(("...", element[3:]) if element.startswith("...") else (str(index), element))
        return tuple(out)
    if pattern.type != "object_pattern":
        return ()
    for prop in kids(pattern):
        kind = prop.type
        if kind == "shorthand_property_identifier_pattern":
            out.append((src.full_text(prop), src.full_text(prop)))
        elif kind == "object_assignment_pattern":
            left = prop.child_by_field_name("left")
            if left is not None:
                out.append((src.full_text(left), src.full_text(left)))
        elif kind == "pair_pattern":
            key_node = prop.child_by_field_name("key")
            value = prop.child_by_field_name("value")
            key = property_key(key_node, src) if key_node is not None else None
            local = pattern_name(value)
            if key is not None and local is not None:
                out.append((key, src.full_text(local)))
        elif kind == "rest_pattern":
            inner = kids(prop)
            if inner and inner[0].type == "identifier":
                out.append(("...", src.full_text(inner[0])))
    return tuple(out)

def pattern_elements(pattern: Any, src: Source) -> tuple[str | None, ...]:
    """The names of `[a, , b, ...rest]` by position (None for a hole or a nested
    pattern; a rest element as "...rest")."""
    if pattern.type != "array_pattern":
        return ()
    elements: list[str | None] = [None]
    for child in pattern.children:
        if child.type == ",":
            elements.append(None)
        elif child.type == "rest_pattern":
            inner = kids(child)
            if inner and inner[0].type == "identifier":
                elements[-1] = "..." + src.full_text(inner[0])
        elif child.is_named and child.type != "comment":
            local = pattern_name(child)
            elements[-1] = src.full_text(local) if local is not None else None
    if elements[-1] is None:  # `[a, b]` and `[a, b,]` both have two elements
        elements.pop()
    return tuple(elements)


def pattern_name(node: Any) -> Any:
    """The identifier a pattern element binds (`x`, `x = 1`), or None for a nested pattern."""
    if node is not None and node.type == "assignment_pattern":
        node = node.child_by_field_name("left")
    return node if node is not None and node.type == "identifier" else None


def is_env(node: Any, src: Source) -> bool:
    """`env`, or any expression whose last segment is the property `env` (`this.env`, `c.env`)."""
    node = unwrap(node)
    if node.type == "identifier":
        return node.end_byte - node.start_byte == 3 and src.full_text(node) == "env"
    if node.type == "member_expression":
        prop = node.child_by_field_name("property")
        return prop is not None and prop.type == "property_identifier" and src.full_text(prop) == "env"
    return False


def type_text(node: Any, src: Source) -> str | None:
    """A type annotation's text without its colon: `: Env` -> `Env`."""
    if node is None:
        return None
    text = src.full_text(node).strip()
    return text[1:].strip() if text.startswith(":") else text


def syntax_problems(root: Any, src: Source) -> tuple[SyntaxProblem, ...]:
    """ERROR and MISSING nodes, in document order, at most MAX_PROBLEMS.

    Error recovery often wraps a whole broken statement in an ERROR that holds a smaller
    ERROR at the real fault (`function f( {` holds one at `{`): only ERRORs without an
    ERROR inside are reported. MISSING nodes inside an ERROR are recovery noise.
    """
    if not root.has_error:
        return ()
    found: list[tuple[Any, bool]] = []  # (node, is_error) in document order
    stack = [(root, False)]
    while stack:
        node, in_error = stack.pop()
        if node.type == "ERROR":
            found.append((node, True))
            in_error = True
        elif node.is_missing:
            if not in_error:
                found.append((node, False))
            continue
        elif not node.has_error:
            continue
        stack.extend((child, in_error) for child in reversed(node.children))
    out: list[SyntaxProblem] = []
    for index, (node, is_error) in enumerate(found):
        if len(out) == MAX_PROBLEMS:
            break
        if not is_error:
            what = node.type if node.is_named else f"`{node.type}`"
            out.append(SyntaxProblem(src.span(node), f"missing {what}"))
            continue
        following = found[index + 1][0] if index + 1 < len(found) else None
        if following is not None and found[index + 1][1] and following.start_byte >= node.start_byte \
                and following.end_byte <= node.end_byte:
            continue  # a smaller ERROR inside says where the fault is
        token = _first_token(node, src)
        message = f"syntax error: unexpected `{token}`" if token else "syntax error"
        out.append(SyntaxProblem(src.span(node), message))
    return tuple(out)


def _first_token(node: Any, src: Source) -> str:
    while node.child_count:
        node = node.children[0]
    text = src.text(node, 30).strip()
    return text.replace("\n", " ")


def ignore_comments(root: Any, src: Source) -> tuple[tuple[int, str], ...]:
    """Comments that mention `workers-audit-ignore`: a text search, then the node there,
    so a walk of every comment in the file is not needed."""
    out: list[tuple[int, str]] = []
    seen: set[int] = set()
    for match in _IGNORE_MARK.finditer(src.data):
        node = root.descendant_for_byte_range(match.start(), match.end())
        if node is None or node.type != "comment" or node.start_byte in seen:
            continue
        seen.add(node.start_byte)
        out.append((node.start_point[0] + 1, src.full_text(node)))
    return tuple(out)
