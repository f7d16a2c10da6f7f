"""TOML through tomlkit for values, with positions from a tree-sitter-toml parse of the same text.

tomlkit keeps the file's text but exposes no line numbers; tree-sitter-toml gives every
key and value a span, and both parsers are public API, so the pairing stays robust.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from auditor.config.document import ConfigSyntaxError, Document, KeyPath, LineIndex
from auditor.findings import Location

_TOMLKIT_POSITION = re.compile(r"\s+at line (\d+) col (\d+)$")


@cache
def _parser() -> Any:
    import tree_sitter_toml
    from tree_sitter import Language, Parser

    return Parser(Language(tree_sitter_toml.language()))


def read_toml(text: str, path: str) -> Document:
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        parsed = tomlkit.parse(text)
        data = parsed.unwrap()
        spans = _spans(text, path)
    except ParseError as error:
        message = _TOMLKIT_POSITION.sub("", str(error)).replace("'\\x00'", "end of file")
        # tomlkit counts columns from 0
        raise ConfigSyntaxError(f"invalid TOML: {message}", error.line, error.col + 1) from None
    except RecursionError:
        # Both parsers recurse on nesting; no wrangler file nests hundreds of arrays deep.
        raise ConfigSyntaxError("invalid TOML: nesting too deep", 1) from None
    return Document(path=path, text=text, data=data, spans=spans)


def _key_parts(node: Any) -> list[str]:
    if node.type == "dotted_key":
        parts: list[str] = []
        for child in node.named_children:
            parts.extend(_key_parts(child))
        return parts
    text = node.text.decode("utf-8")
    if node.type == "quoted_key":
        if text.startswith("'"):
            return [text[1:-1]]
        try:
            return [json.loads(text)]
        except ValueError:
            return [text[1:-1]]
    return [text]


def _spans(text: str, path: str) -> dict[KeyPath, Location]:
    source = text.encode("utf-8")
    index = LineIndex(source)
    spans: dict[KeyPath, Location] = {}
    array_counts: dict[KeyPath, int] = {}

    def remember(at: KeyPath, location: Location) -> None:
        spans.setdefault(at, location)

    def pair(node: Any, base: KeyPath) -> None:
        key_node = node.named_children[0]
        value = node.named_children[-1]
        parts = _key_parts(key_node)
        location = index.location(path, node)
        for depth in range(1, len(parts) + 1):
            remember((*base, *parts[:depth]), location)
        walk_value(value, (*base, *parts))

    def walk_value(node: Any, at: KeyPath) -> None:
        if node.type == "array":
            position = 0
            for element in node.named_children:
                if element.type == "comment":
                    continue
                remember((*at, position), index.location(path, element))
                walk_value(element, (*at, position))
                position += 1
        elif node.type == "inline_table":
            for child in node.named_children:
                if child.type == "pair":
                    pair(child, at)

    for top in tree_children(_parser().parse(source).root_node):
        if top.type == "pair":
            pair(top, ())
        elif top.type in ("table", "table_array_element"):
            header = next(c for c in top.children if c.type in ("]", "]]"))
            parts = tuple(_key_parts(top.named_children[0]))
            header_location = index.location(path, top, end=header)
            for depth in range(1, len(parts) + 1):
                remember(parts[:depth], header_location)
            base: KeyPath = parts
            if top.type == "table_array_element":
                position = array_counts.get(parts, 0)
                array_counts[parts] = position + 1
                base = (*parts, position)
                remember(base, header_location)
            for child in top.named_children[1:]:
                if child.type == "pair":
                    pair(child, base)
    return spans


def tree_children(root: Any) -> list[Any]:
    return [c for c in root.named_children if c.type != "comment"]
