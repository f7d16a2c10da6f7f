"""JSON and JSONC (comments, trailing commas) through tree-sitter-json, keeping positions."""

from __future__ import annotations

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


def _is_trailing_comma(node: Any) -> bool:
    """tree-sitter-json marks JSONC's trailing commas as ERROR nodes holding one comma."""
    if node.type != "ERROR" or [c.type for c in node.children if c.type != "comment"] != [","]:
        return False
    following = node.next_sibling
    while following is not None and following.type == "comment":
        following = following.next_sibling
    return following is not None and following.type in ("}", "]")


def _first_error(root: Any) -> Any | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_missing or (node.type == "ERROR" and not _is_trailing_comma(node)):
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


def read_jsonc(text: str, path: str) -> Document:
    source = text.encode("utf-8")
    tree = _parser().parse(source)
    index = LineIndex(source)
    error = _first_error(tree.root_node)
    if error is not None:
        row, col = error.start_point
        if error.is_missing:
            what = f"missing `{error.type}`" if not error.type.isalpha() else "missing value"
        else:
            what = "unexpected text"
        snippet = error.text.decode("utf-8", errors="replace").strip()[:20]
        detail = f"{what} `{snippet}`" if snippet and not error.is_missing else what
        raise ConfigSyntaxError(f"invalid JSON: {detail}", row + 1, index.column(row, col))
    values = [c for c in tree.root_node.named_children if c.type != "comment"]
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
        items = []
        for element in node.named_children:
            if element.type in ("comment", "ERROR"):  # ERROR here is a trailing comma
                continue
            child_path = (*at, len(items))
            spans[child_path] = index.location(path, element)
            items.append(_value(element, child_path, spans, index, path))
        return items
    if kind in ("string", "number"):
        return json.loads(node.text, strict=False)
    return {"true": True, "false": False, "null": None}[kind]
