"""Compiler-style lines, `path:line:col: CODE message`, for terminals and editors."""

from __future__ import annotations

from auditor.findings import Result, Severity

_COLOURS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def _count(number: int, level: Severity) -> str:
    plural = "s" if number != 1 and level is not Severity.INFO else ""
    return f"{number} {level.label}{plural}"


def render(result: Result, colour: bool = False, **_: object) -> str:
    lines = []
    reported = {(f.location.path, f.location.line) for f in result.findings if f.rule == "CF007"}
    for error in result.errors:
        if (error.path, error.line) not in reported:
            where = f"{error.path}:{error.line}:{error.column}"
            lines.append(f"{_paint(where, '1', colour)}: {_paint('error', '31;1', colour)} "
                         f"{error.message}")
    for finding in result.findings:
        where = f"{finding.location.path}:{finding.location.line}:{finding.location.column}"
        code = _paint(finding.rule, _COLOURS[finding.severity] + ";1", colour)
        lines.append(f"{_paint(where, '1', colour)}: {code} {finding.message}")
        for related in finding.related:
            lines.append(f"    {related.location.path}:{related.location.line}:"
                         f"{related.location.column}: {related.message}")
    if result.findings:
        counts = {level: sum(f.severity is level for f in result.findings) for level in Severity}
        parts = [_count(counts[level], level) for level in reversed(Severity) if counts[level]]
        total = len(result.findings)
        lines.append(f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(parts)}).")
    return "\n".join(lines) + ("\n" if lines else "")
