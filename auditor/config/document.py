"""A parsed configuration file: plain values plus the source span of every value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditor.findings import Location

KeyPath = tuple[str | int, ...]


class ConfigSyntaxError(Exception):
    """The file is not valid TOML/JSONC; line and column are 1-based."""

    def __init__(self, message: str, line: int, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def format_key(path: KeyPath) -> str:
    """Render a key path the way a user reads it: `env.production.kv_namespaces[1].id`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if part and all(c.isalnum() or c in "_-" for c in part) else f'"{part}"'
            out += f".{text}" if out else text
    return out


@dataclass(frozen=True)
class Document:
    path: str
    text: str
    data: dict[str, Any]
    spans: Mapping[KeyPath, Location]

    def at(self, *path: str | int) -> Location:
        """The span of the value at `path`, or of its nearest ancestor that has one."""
        probe: KeyPath = tuple(path)
        while probe:
            found = self.spans.get(probe)
            if found is not None:
                return Location(
                    found.path, found.line, found.column, found.end_line, found.end_column,
                    key=format_key(tuple(path)),
                )
            probe = probe[:-1]
        return Location(self.path, 1, 1, key=format_key(tuple(path)) or None)


class LineIndex:
    """Turns tree-sitter byte points into 1-based line and character columns."""

    def __init__(self, source: bytes) -> None:
        self._lines = source.split(b"\n")

    def column(self, row: int, byte_column: int) -> int:
        if row >= len(self._lines):
            return byte_column + 1
        prefix = self._lines[row][:byte_column]
        return len(prefix.decode("utf-8", errors="replace")) + 1

    def location(self, path: str, node: Any, end: Any = None) -> Location:
        start = node.start_point
        stop = (end or node).end_point
        return Location(
            path,
            start[0] + 1,
            self.column(start[0], start[1]),
            stop[0] + 1,
            self.column(stop[0], stop[1]),
        )
