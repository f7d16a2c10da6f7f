"""Inline expectations in fixture files: `expect: CODE`, `ok: CODE`, `todo-expect:`, `todo-ok:`.

A trailing comment applies to its own line; a comment alone on a line applies to the next
line that holds code, unless it is itself a `workers-audit-ignore` comment: the findings
about a suppression (WA001, WA002) are reported on the suppression's line.
`expect: KV001 "dal.write"` also asks that the message contain the
quoted text. `expect-file: CODE` expects a finding anywhere in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_MARK = re.compile(
    r'(?:#|//)\s*(?P<kind>expect-file|todo-expect|todo-ok|expect|ok):\s*'
    r'(?P<codes>[A-Z]{2}\d{3}(?:\s*,\s*[A-Z]{2}\d{3})*)(?:\s+"(?P<text>[^"]*)")?'
)
_COMMENT_ONLY = re.compile(r"^\s*(#|//|/\*|\*)")
SOURCE_SUFFIXES = {".toml", ".json", ".jsonc", ".ts", ".tsx", ".js", ".mjs", ".jsx", ".py"}


@dataclass(frozen=True)
class Mark:
    kind: str  # expect, ok, todo-expect, todo-ok, expect-file
    path: str
    line: int
    code: str
    text: str | None


def marks_in(path: Path, display: str) -> list[Mark]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Mark] = []
    pending: list[tuple[str, str, str | None]] = []
    for number, line in enumerate(lines, start=1):
        matches = list(_MARK.finditer(line))
        alone = bool(_COMMENT_ONLY.match(line)) or not line.strip()
        if alone and "workers-audit-ignore" in line:
            alone = False
        if alone:
            for match in matches:
                for code in re.split(r"\s*,\s*", match["codes"]):
                    pending.append((match["kind"], code, match["text"]))
            continue
        for kind, code, text in pending:
            found.append(Mark(kind, display, number, code, text))
        pending = []
        for match in matches:
            for code in re.split(r"\s*,\s*", match["codes"]):
                found.append(Mark(match["kind"], display, number, code, match["text"]))
    if pending:
        raise ValueError(f"{display}: expectation comment at the end of the file has no line")
    return found


def marks_under(root: Path) -> list[Mark]:
    marks: list[Mark] = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES and "node_modules" not in path.parts:
            marks.extend(marks_in(path, path.relative_to(root).as_posix()))
    return marks
