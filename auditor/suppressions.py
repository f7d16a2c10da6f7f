"""Inline suppressions: `// workers-audit-ignore[KV001]: reason` (`#` in TOML and Python).

A comment on a line of its own covers the next line of code (several such comments may
stack above it); a comment after code covers its own line. The reason is required: a
suppression without one still suppresses, and is reported itself (WA001). One that
suppresses nothing is reported too (WA002), so stale ones get cleaned up. A directive that
names no code, or a code that does not exist, stops the run: it cannot be what was meant.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass

from auditor.findings import Finding, Location, Suppression, Violation

MARK = "workers-audit-ignore"

# The directive starts the comment's text, or follows another tool's directive after a
# `#` or `//` inside the same comment (`# type: ignore  # workers-audit-ignore[...]`).
_DIRECTIVE = re.compile(r"(?:^|#|//)\s*" + MARK + r"(?P<rest>.*)", re.DOTALL)
_CODES = re.compile(r"\[(?P<codes>[^\]]*)\]")
_CODE = re.compile(r"[A-Z]{2,}[0-9]{3}")
_OPENERS = ("//", "/*", "#", "*")


class SuppressionError(Exception):
    """A directive that cannot be honoured: the CLI prints it and exits 2."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class CommentedFile:
    """A file's display path, its text, and its comments holding the mark (line, text)."""

    path: str
    text: str
    comments: tuple[tuple[int, str], ...]


def parse(files: Iterable[CommentedFile], known: Collection[str]) -> list[Suppression]:
    """Every suppression in `files`; raises SuppressionError on an unusable directive."""
    found = []
    for file in files:
        lines = file.text.splitlines()
        for line, comment in file.comments:
            suppression = _parse_one(file, lines, line, comment, known)
            if suppression is not None:
                found.append(suppression)
    return found


def _parse_one(file: CommentedFile, lines: list[str], line: int, comment: str,
               known: Collection[str]) -> Suppression | None:
    body = _body(comment)
    match = _DIRECTIVE.search(body)
    if match is None:
        return None  # the mark mentioned in prose, not a directive
    rest = match.group("rest")
    codes_match = _CODES.match(rest)
    usage = f"write `{MARK}[KV001]: the reason` (codes comma-separated)"
    if codes_match is None or not codes_match.group("codes").strip():
        raise SuppressionError(file.path, line, f"`{MARK}` names no rule code: {usage}")
    codes = tuple(dict.fromkeys(c.strip().upper() for c in codes_match.group("codes").split(",")
                                if c.strip()))
    for code in codes:
        if code not in known:
            hint = ("a whole code such as KV001, not a prefix" if not _CODE.fullmatch(code)
                    else "`workers-audit rules` lists the codes")
            raise SuppressionError(file.path, line, f"unknown rule code `{code}` in `{MARK}`: {hint}")
    after = rest[codes_match.end():].strip()
    reason = after[1:].strip() if after.startswith(":") else ""
    column = lines[line - 1].find(comment.split("\n", 1)[0]) + 1 if line <= len(lines) else 1
    own_line = line <= len(lines) and not lines[line - 1][: max(column - 1, 0)].strip()
    covered = [line]
    if own_line:
        following = _next_code_line(lines, line + comment.count("\n"))
        if following is not None:
            covered.append(following)
    return Suppression(Location(file.path, line, max(column, 1)), codes, reason or None,
                       tuple(covered))


def _body(comment: str) -> str:
    """The comment's text without its markers: `// x`, `# x`, `/* x */`."""
    text = comment.strip()
    if text.startswith("/*"):
        text = text[2:]
        text = text[:-2] if text.endswith("*/") else text
    elif text.startswith("//"):
        text = text[2:]
    elif text.startswith("#"):
        text = text[1:]
    return text.strip()


def _next_code_line(lines: list[str], after: int) -> int | None:
    """The first line below `after` (1-based) that is not comment text: another directive, a
    comment line, or the last line of a block comment."""
    for number in range(after + 1, len(lines) + 1):
        stripped = lines[number - 1].strip()
        if stripped.startswith(_OPENERS) or stripped.endswith("*/"):
            continue
        return number
    return None


def apply(findings: Iterable[Finding], suppressions: list[Suppression]
          ) -> tuple[list[Finding], list[tuple[Finding, Suppression]]]:
    """Split findings into kept and suppressed (each with the comment that did it)."""
    by_line: dict[tuple[str, int], list[int]] = {}
    for index, suppression in enumerate(suppressions):
        for line in suppression.lines:
            by_line.setdefault((suppression.location.path, line), []).append(index)
    kept: list[Finding] = []
    suppressed: list[tuple[Finding, Suppression]] = []
    for finding in findings:
        match = next((i for i in by_line.get((finding.location.path, finding.location.line), ())
                      if finding.rule in suppressions[i].codes), None)
        if match is None:
            kept.append(finding)
        else:
            suppressed.append((finding, suppressions[match]))
    return kept, suppressed


def problems(suppressions: list[Suppression], suppressed: list[tuple[Finding, Suppression]],
             selected: Collection[str]) -> Iterator[tuple[str, Violation]]:
    """WA001 for a suppression without a reason, WA002 for a code it suppressed nothing of.

    A code whose rule did not run (`--select`, `--ignore`) cannot be judged stale."""
    # `apply` hands back the same objects, so identity ties a use to its comment.
    hit = {(id(s), finding.rule) for finding, s in suppressed}
    for s in suppressions:
        if s.reason is None:
            codes = ", ".join(s.codes)
            yield "WA001", Violation(
                s.location, f"`{MARK}[{codes}]` gives no reason: add one after a colon, "
                            f"`{MARK}[{codes}]: why this is fine here`",
                anchor=f"{codes}:no-reason")
        where = f"line {s.lines[-1]}" if len(s.lines) > 1 else "this line"
        for code in s.codes:
            if code in selected and (id(s), code) not in hit:
                yield "WA002", Violation(
                    s.location, f"`{MARK}[{code}]` suppresses nothing: no {code} finding on "
                                f"{where}; remove it", anchor=f"{code}:unused")
