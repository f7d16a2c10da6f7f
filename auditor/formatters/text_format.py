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
        mark = " [*]" if result.fixes.offers(finding) else ""
        lines.append(f"{_paint(where, '1', colour)}: {code}{mark} {finding.message}")
        for related in finding.related:
            lines.append(f"    {related.location.path}:{related.location.line}:"
                         f"{related.location.column}: {related.message}")
    lines.extend(fix_summary(result))
    lines.extend(_held_back(result, bool(result.findings)))
    return "\n".join(lines) + ("\n" if lines else "")


def fix_summary(result: Result) -> list[str]:
    """The summary line ("Found …", or "Would fix …" for `--diff`) with what was fixed and
    what can be, as Ruff words it; then the files whose fixes failed verification and how to
    turn on fixes that are off. One line, so that "Found" stays the last line of a plain run."""
    fixes = result.fixes
    offered = sum(fixes.offers(f) for f in result.findings)
    hidden = sum(f.fix is not None and not f.fix.offered(fixes.unsafe) for f in result.findings)
    total = len(result.findings)
    parts = []
    if fixes.mode == "diff":
        parts.append(f"Would fix {fixes.fixed} finding{'s' if fixes.fixed != 1 else ''}."
                     if fixes.fixed else "Nothing to fix.")
    elif fixes.mode == "fix" and fixes.fixed:
        found = total + fixes.fixed
        parts.append(f"Found {found} finding{'s' if found != 1 else ''} ({fixes.fixed} fixed, "
                     f"{total} remaining).")
    elif result.findings:
        counts = {level: sum(f.severity is level for f in result.findings) for level in Severity}
        levels = [_count(counts[level], level) for level in reversed(Severity) if counts[level]]
        parts.append(f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(levels)}).")
    if parts and fixes.mode == "report" and offered:
        unsafe = fixes.unsafe and any(f.fix is not None and f.fix.applicability == "unsafe"
                                      for f in result.findings)
        parts.append(f"[*] {offered} fixable with `--fix{' --unsafe-fixes' if unsafe else ''}`.")
    if parts and hidden:
        parts.append(f"{hidden} fix{'es are' if hidden != 1 else ' is'} available with `--unsafe-fixes`.")
    lines = [" ".join(parts)] if parts else []
    lines += [f"{path}: fixes not applied: {why}" for path, why in fixes.rejected]
    return lines + list(fixes.notes)


def _held_back(result: Result, found: bool) -> list[str]:
    """What the baseline and inline comments kept out, so a quiet run is not a blind one.
    A clean run with nothing held back prints nothing (the pre-commit hook stays quiet)."""
    notes = []
    if result.baseline is not None and (result.baselined or found):
        count = len(result.baselined)
        notes.append(f"{count} finding{'s' if count != 1 else ''} in the baseline "
                     f"{result.baseline} not shown.")
    if result.baseline is not None and result.baseline_unmatched:
        count = result.baseline_unmatched
        notes.append(f"{count} baseline entr{'ies' if count != 1 else 'y'} matched nothing (fixed or "
                     "changed): `workers-audit baseline` writes the file again without them.")
    if result.suppressed and found:
        count = len(result.suppressed)
        notes.append(f"{count} finding{'s' if count != 1 else ''} suppressed by "
                     "`workers-audit-ignore` comments.")
    return notes
