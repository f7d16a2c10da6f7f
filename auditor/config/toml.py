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
    from tomlkit.exceptions import TOMLKitError

    try:
        parsed = tomlkit.parse(text)
        data = parsed.unwrap()
        spans = _spans(text, path)
    except TOMLKitError as error:
        # A ParseError has a position (tomlkit counts columns from 0); a duplicate key
        # inside a table raises KeyAlreadyPresent, which has none, and tomlkit places
        # other duplicates where it noticed them, a line or a whole table later.
        line, column = getattr(error, "line", 1), getattr(error, "col", 0) + 1
        if "already exists" in str(error):
            line, column = _first_redefinition(text) or (line, column)
        message = _TOMLKIT_POSITION.sub("", str(error)).replace("'\\x00'", "end of file")
        raise ConfigSyntaxError(f"invalid TOML: {message}", line, column) from None
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


def _header_path(node: Any, array_counts: dict[KeyPath, int]) -> KeyPath:
    """The key path a `[table]` or `[[array.element]]` header opens.

    A prefix that names an array of tables means its last element so far, as
    `[[migrations.renamed_classes]]` extends the latest `[[migrations]]`.
    """
    parts = _key_parts(node.named_children[0])
    path: KeyPath = ()
    for depth, part in enumerate(parts, start=1):
        path = (*path, part)
        if depth < len(parts) and path in array_counts:
            path = (*path, array_counts[path] - 1)
    if node.type == "table_array_element":
        position = array_counts.get(path, 0)
        array_counts[path] = position + 1
        path = (*path, position)
    return path


def comments(text: str, mark: str) -> tuple[tuple[int, str], ...]:
    """The comments holding `mark`, with their line: for inline suppressions."""
    if mark not in text:
        return ()
    source = _lf_source(text)
    root = _parser().parse(source).root_node
    found: dict[int, tuple[int, str]] = {}
    needle = mark.encode("utf-8")
    start = source.find(needle)
    while start >= 0:
        node = root.descendant_for_byte_range(start, start + len(needle))
        if node is not None and node.type == "comment":
            found[node.start_byte] = (node.start_point[0] + 1,
                                      source[node.start_byte:node.end_byte].decode("utf-8", "replace"))
        start = source.find(needle, start + 1)
    return tuple(found[key] for key in sorted(found))


def _lf_source(text: str) -> bytes:
    # wrangler reads TOML with CRLF turned into LF; tree-sitter-toml would count the
    # `\r` into the span of every pair that ends a line.
    return text.replace("\r\n", "\n").encode("utf-8")


def _spans(text: str, path: str) -> dict[KeyPath, Location]:
    source = _lf_source(text)
    index = LineIndex(source)
    spans: dict[KeyPath, Location] = {}
    array_counts: dict[KeyPath, int] = {}

    def remember(at: KeyPath, location: Location) -> None:
        spans.setdefault(at, location)

    def pair(node: Any, base: KeyPath) -> None:
        # tree-sitter-toml makes a trailing `# comment` a child of the pair.
        key_node, *_, value = (c for c in node.named_children if c.type != "comment")
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
            header_location = index.location(path, top, end=header)
            base = _header_path(top, array_counts)
            for depth in range(1, len(base) + 1):
                remember(base[:depth], header_location)
            for child in top.named_children[1:]:
                if child.type == "pair":
                    pair(child, base)
    return spans


def _first_redefinition(text: str) -> tuple[int, int] | None:
    """Line and column of the first key, or `[table]` header, written a second time."""
    source = _lf_source(text)
    index = LineIndex(source)
    defined: set[KeyPath] = set()
    array_counts: dict[KeyPath, int] = {}

    def first_in(nodes: list[Any], base: KeyPath) -> Any | None:
        for node in nodes:
            if node.type != "pair":
                continue
            key_node, *_, value = (c for c in node.named_children if c.type != "comment")
            at = (*base, *_key_parts(key_node))
            if at in defined:
                return key_node
            defined.add(at)
            # Inline tables, alone or as array elements, hold keys of their own.
            inner = [(value, at)] if value.type == "inline_table" else []
            if value.type == "array":
                elements = [e for e in value.named_children if e.type != "comment"]
                inner = [(element, (*at, i)) for i, element in enumerate(elements)]
            for table, table_at in inner:
                found = first_in(table.named_children, table_at)
                if found is not None:
                    return found
        return None

    for top in tree_children(_parser().parse(source).root_node):
        found = None
        if top.type == "pair":
            found = first_in([top], ())
        elif top.type in ("table", "table_array_element"):
            base = _header_path(top, array_counts)
            # A table is opened once; each `[[header]]` opens a new array element.
            if top.type == "table" and base in defined:
                found = top
            else:
                defined.add(base)
                found = first_in(top.named_children[1:], base)
        if found is not None:
            row, column = found.start_point
            return row + 1, index.column(row, column)
    return None


def tree_children(root: Any) -> list[Any]:
    return [c for c in root.named_children if c.type != "comment"]
