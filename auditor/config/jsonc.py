"""JSON and JSONC (comments, trailing commas) through tree-sitter-json, keeping positions."""

from __future__ import annotations

import contextlib
import json
from functools import cache
from typing import Any

from auditor.config.document import ConfigSyntaxError, Document, KeyPath, LineIndex
from auditor.findings import Location

# A config nested deeper than this is not a wrangler file; stop before Python's stack does.
MAX_DEPTH = 200


@cache
def _parser() -> Any:
    import tree_sitter_json
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_json.language()))


def _first_error(root: Any) -> Any | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing or node.type == "ERROR":
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


def read_jsonc(text: str, path: str) -> Document:
    # Comments and trailing commas become spaces first, keeping every offset, so that
    # tree-sitter-json (which marks trailing commas as errors) sees plain JSON.
    plain = _blank_jsonc_extensions(text)
    source = plain.encode("utf-8")
    tree = _parser().parse(source)
    index = LineIndex(source)
    error = _first_error(tree.root_node)
    if error is not None:
        raise _precise_error(plain) or _tree_error(error, index)
    values = tree.root_node.named_children
    if not values:
        raise ConfigSyntaxError("the file is empty: expected a JSON object", 1)
    if len(values) > 1:
        row, col = values[1].start_point
        raise ConfigSyntaxError("unexpected second value after the top-level object",
                                row + 1, index.column(row, col))
    spans: dict[KeyPath, Location] = {}
    data = _value(values[0], (), spans, index, path)
    if not isinstance(data, dict):
        row, col = values[0].start_point
        raise ConfigSyntaxError(f"expected an object at the top level, found {_kind(data)}",
                                row + 1, index.column(row, col))
    return Document(path=path, text=text, data=data, spans=spans)


def _tree_error(error: Any, index: LineIndex) -> ConfigSyntaxError:
    row, col = error.start_point
    what = "missing value" if error.is_missing else "unexpected text"
    return ConfigSyntaxError(f"invalid JSON: {what}", row + 1, index.column(row, col))


def _precise_error(text: str) -> ConfigSyntaxError | None:
    """Python's json module names the exact position and what it expected there;
    tree-sitter's error recovery often starts the ERROR node a line early."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        return ConfigSyntaxError(f"invalid JSON: {error.msg.lower()}", error.lineno, error.colno)
    except RecursionError:
        return None
    return None


def comments(text: str, mark: str) -> tuple[tuple[int, str], ...]:
    """The comments holding `mark`, with their first line: for inline suppressions."""
    if mark not in text:
        return ()
    found: list[tuple[int, str]] = []
    with contextlib.suppress(ConfigSyntaxError):  # the comments before an unterminated one count
        _blank_jsonc_extensions(text, found)
    return tuple((line, comment) for line, comment in found if mark in comment)


def _blank_jsonc_extensions(text: str, comments: list[tuple[int, str]] | None = None) -> str:
    """JSONC to JSON of the same length: comments and trailing commas turned to spaces.
    With `comments`, each comment is appended to it with its first line."""
    out = list(text)
    position, in_string, last_comma, previous = 0, False, None, ""

    def blank(start: int, end: int) -> None:
        if comments is not None:
            comments.append((text.count("\n", 0, start) + 1, text[start:end]))
        for i in range(start, end):
            if out[i] != "\n":
                out[i] = " "

    while position < len(text):
        char = text[position]
        if in_string:
            if char == "\\":
                position += 2
                continue
            in_string = char != '"'
            previous = '"'
        elif char == '"':
            in_string, last_comma = True, None
        elif text.startswith("//", position):
            end = text.find("\n", position)
            end = len(text) if end < 0 else end
            blank(position, end)
            position = end
            continue
        elif text.startswith("/*", position):
            end = text.find("*/", position + 2)
            if end < 0:
                # Blanked to the end, it would be reported at the last line instead.
                raise ConfigSyntaxError("invalid JSON: unterminated comment",
                                        text.count("\n", 0, position) + 1,
                                        position - text.rfind("\n", 0, position))
            end += 2
            blank(position, end)
            position = end
            continue
        elif char == ",":
            # Only a comma after a complete value can be trailing; `"a": ,` stays an error.
            last_comma = position if previous not in ":,[{" else None
        elif char in "}]":
            if last_comma is not None:
                out[last_comma] = " "
            last_comma = None
        elif not char.isspace():
            last_comma = None
        if not char.isspace() and not in_string:
            previous = char
        position += 1
    return "".join(out)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else "null")


def _value(node: Any, at: KeyPath, spans: dict[KeyPath, Location], index: LineIndex,
           path: str) -> Any:
    if len(at) > MAX_DEPTH:
        raise ConfigSyntaxError("nesting too deep", node.start_point[0] + 1)
    kind = node.type
    if kind == "object":
        obj: dict[str, Any] = {}
        for pair in node.named_children:
            if pair.type != "pair":
                continue
            key = json.loads(pair.child_by_field_name("key").text, strict=False)
            child_path = (*at, key)
            spans[child_path] = index.location(path, pair)
            obj[key] = _value(pair.child_by_field_name("value"), child_path, spans, index, path)
        return obj
    if kind == "array":
        items: list[Any] = []
        for element in node.named_children:
            child_path = (*at, len(items))
            spans[child_path] = index.location(path, element)
            items.append(_value(element, child_path, spans, index, path))
        return items
    if kind in ("string", "number"):
        return json.loads(node.text, strict=False)
    return {"true": True, "false": False, "null": None}[kind]
