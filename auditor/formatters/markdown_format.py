"""`check --format markdown`: the findings as GitHub-flavoured Markdown for a pull request, an
issue or `$GITHUB_STEP_SUMMARY`, through `templates/check.md.j2`; and the escaping helpers that
keep a message or a path from being read as Markdown or HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from auditor import __version__
from auditor.findings import Finding, FixSummary, Result, Severity
from auditor.paths import innermost

COLLAPSE = 30  # findings: a longer result has each file's table inside <details>

# Outside code spans, the ASCII punctuation that opens or closes an inline construct: code,
# emphasis, links and images, raw HTML and autolinks, entities, GFM strikethrough and table
# cells, GitHub's `$` math. A backslash makes any of them literal (CommonMark 2.4).
_SPECIAL = re.compile(r"[\\`*_\[\]<>&|~$]")
# At the start of a line these open a block: a heading, a list item, a setext underline.
_BLOCK_START = re.compile(r"[#+=-]|\d+(?=[.)])")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_TICKS = re.compile(r"`+")


def escape_text(text: str, start: bool = True) -> str:
    """`text` as Markdown that renders as exactly these characters, in a paragraph, a list item
    or a GFM table cell (`\\|` is how a cell keeps a `|`). A line break becomes `<br>`, so the
    text stays on one line; `start=False` for text that does not begin a line."""
    escaped = _SPECIAL.sub(lambda match: "\\" + match.group(), text)
    block = _BLOCK_START.match(escaped) if start else None
    if block:
        # `1.` keeps its digits and escapes the dot; `#`, `+`, `=` and `-` are escaped themselves.
        end = block.end()
        escaped = (escaped[:end] + "\\" + escaped[end:] if block.group()[0].isdigit()
                   else "\\" + escaped)
    return _NEWLINE.sub("<br>", escaped)


def code_span(text: str, cell: bool = False) -> str:
    """`text` as an inline code span, fenced with one backtick more than its longest run."""
    flat = _NEWLINE.sub(" ", text)
    if not flat:
        return ""
    fence = "`" * (max((len(run) for run in _TICKS.findall(flat)), default=0) + 1)
    # CommonMark strips one space from each side of a span that has both, and needs a space
    # between the fence and content that begins or ends with a backtick.
    padded = flat.startswith("`") or flat.endswith("`") or (
        flat.startswith(" ") and flat.endswith(" ") and flat.strip(" "))
    body = f" {flat} " if padded else flat
    return fence + (_pipes(body) if cell else body) + fence


def _pipes(code: str) -> str:
    """A code span in a GFM table cell. The table is split into cells before code spans are
    read: a `|` ends the cell unless a backslash precedes it, and the backslash is then taken
    away, whatever precedes it (cmark-gfm and markdown-it alike). So `\\|` keeps any `|`."""
    return code.replace("|", "\\|")


def _spans(text: str) -> Iterator[tuple[bool, str]]:
    """The message split as CommonMark reads code spans: a run of backticks opens one that the
    next run of the same length closes; a run that nothing closes is literal text."""
    runs = list(_TICKS.finditer(text))
    start = index = 0
    while index < len(runs):
        opener = runs[index]
        closer = next((j for j in range(index + 1, len(runs))
                       if len(runs[j].group()) == len(opener.group())), None)
        if closer is None:
            index += 1
            continue
        yield False, text[start:opener.start()]
        yield True, text[opener.start():runs[closer].end()]
        start = runs[closer].end()
        index = closer + 1
    yield False, text[start:]


def escape_message(text: str, cell: bool = False) -> str:
    """A finding's message: its `code` spans (identifiers, code quoted by the rule, as STYLE.md
    writes messages) stay code; everything else is literal text, as `escape_text` makes it.
    `cell` for a GFM table cell, where a `|` inside a code span needs a backslash too."""
    out: list[str] = []
    for code, piece in _spans(text):
        if not piece:
            continue
        if not code:
            out.append(escape_text(piece, start=not out))
        else:
            # As written, so it renders as the rule meant; a line break, which would end the
            # table row, is a space, as CommonMark reads one inside a code span anyway.
            flat = _NEWLINE.sub(" ", piece)
            out.append(_pipes(flat) if cell else flat)
    return "".join(out)


def escape_html(text: str) -> str:
    """Text inside an HTML block (`<summary>`), where Markdown is not read."""
    return html.escape(_NEWLINE.sub(" ", text), quote=True)


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def counts(findings: Sequence[Finding]) -> str:
    """`12 errors, 12 warnings, 1 info`, most severe first, as the text formatter counts."""
    parts = []
    for level in sorted(Severity, reverse=True):
        number = sum(f.severity is level for f in findings)
        if number:
            plural = "s" if number != 1 and level is not Severity.INFO else ""
            parts.append(f"{number:,} {level.label}{plural}")
    return ", ".join(parts)


def _finding(finding: Finding, fixes: FixSummary) -> dict[str, Any]:
    from auditor.formatters.json_format import finding_dict

    data = finding_dict(finding)
    location = finding.location
    data["where"] = f"{location.path}:{location.line}:{location.column}"
    data["related"] = [{"where": f"{r.location.path}:{r.location.line}:{r.location.column}",
                        "message": r.message} for r in finding.related]
    # As the text formatter marks it: what `--fix` (with this run's `--unsafe-fixes`) fixes.
    data["fixable"] = fixes.offers(finding)
    data["fix_message"] = finding.fix.message if finding.fix is not None and data["fixable"] else None
    return data


def _workers(result: Result) -> list[dict[str, Any]]:
    """The findings by Worker, then by file, in the result's order; Workers without findings
    too, and one group without a Worker for a file outside every root."""
    groups: dict[int, dict[str, list[Finding]]] = {}
    for finding in result.findings:
        owner = innermost(finding.location.path, result.workers)
        key = -1 if owner is None else result.workers.index(owner)
        groups.setdefault(key, {}).setdefault(finding.location.path, []).append(finding)
    out = []
    for key in [*range(len(result.workers)), -1]:
        files = groups.get(key, {})
        if key == -1 and not files:
            continue
        worker = result.workers[key] if key >= 0 else None
        mine = [f for found in files.values() for f in found]
        out.append({
            "name": None if worker is None else worker.name or worker.root,
            "root": None if worker is None else worker.root,
            "config": None if worker is None else worker.config,
            "count": len(mine), "counts": counts(mine),
            "files": [{"path": path, "count": len(found), "counts": counts(found),
                       "findings": [_finding(f, result.fixes) for f in found]}
                      for path, found in files.items()],
        })
    return out


def _rules(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    by_code: dict[str, list[Finding]] = {}
    for finding in findings:
        by_code.setdefault(finding.rule, []).append(finding)
    return [{"code": code, "name": found[0].name, "count": len(found)}
            for code, found in sorted(by_code.items())]


def _verdict(result: Result) -> str | None:
    """Why the exit status is what it is; None for a clean run (it says "No findings.")."""
    reasons = []
    if result.unreadable:
        reasons.append("a configuration could not be read")
    if result.failing:
        reasons.append(f"{_plural(result.failing, 'finding')} at or above the fail level")
    if reasons:
        return f"**Fails**: {'; '.join(reasons)}."
    if result.findings:
        return "**Passes**: no findings at or above the fail level."
    return None


def _fixes(result: Result) -> dict[str, Any]:
    """What the text formatter's summary line says about fixes, from the same FixSummary.offers."""
    fixes = result.fixes
    offered = sum(fixes.offers(f) for f in result.findings)
    hidden = sum(f.fix is not None and not f.fix.offered(fixes.unsafe) for f in result.findings)
    unsafe = fixes.unsafe and any(f.fix is not None and f.fix.applicability == "unsafe"
                                  for f in result.findings)
    return {"fixed": fixes.fixed if fixes.mode == "fix" else 0,
            "offered": offered if fixes.mode == "report" else 0,
            "command": "--fix --unsafe-fixes" if unsafe else "--fix",
            "hidden": hidden}


def view(result: Result) -> dict[str, Any]:
    """What `templates/check.md.j2` sees: plain values; the template escapes them."""
    total = len(result.findings)
    workers = len(result.workers)
    found = f"{_plural(total, 'finding')} ({counts(result.findings)})" if total else "no findings"
    # As the text formatter: an unreadable configuration is also its CF007 finding; once is enough.
    reported = {(f.location.path, f.location.line) for f in result.findings if f.rule == "CF007"}
    groups = _workers(result)
    return {
        "title": f"workers-audit check: {found} in {_plural(workers, 'Worker')}",
        "verdict": _verdict(result),
        "total": total,
        "collapse": total > COLLAPSE,
        "workers": [g for g in groups if g["count"]],
        "clean_workers": [g for g in groups if not g["count"]],
        "rules": _rules(result.findings),
        "fixes": _fixes(result),
        # As the text formatter reports them, except that a clean run says so too: Markdown
        # is never the quiet pre-commit output.
        "baseline": None if result.baseline is None else {
            "path": result.baseline, "count": len(result.baselined),
            "shown": bool(result.baselined or total), "unmatched": result.baseline_unmatched},
        "suppressed": len(result.suppressed),
        "errors": [{"where": f"{e.path}:{e.line}:{e.column}", "message": e.message}
                   for e in result.errors if (e.path, e.line) not in reported],
        "tool": {"name": "workers-audit", "version": __version__},
    }


def render(result: Result, **_: object) -> str:
    from auditor.formatters.report import render_template

    return render_template("check.md.j2", view(result))


__all__ = ["COLLAPSE", "code_span", "counts", "escape_html", "escape_message", "escape_text", "render",
           "view"]
