"""Apply the fixes rules attach to findings, as Ruff does: collect, verify by auditing again, write.

A fix is one contiguous replacement (`auditor.findings.Fix`). Fixes are applied per file
from the end backwards, overlapping ones left for a later pass; nothing is written until a
second audit of the fixed text, in memory, shows that the file still parses, that the fixed
findings are gone and that no rule reports anything it did not report before. A file that
fails that check is left as it was, and the run says why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from auditor.findings import Finding, Fix, FixSummary, Location, Result

# Ruff loops until nothing is left to fix; here a second pass only picks up fixes that
# overlapped one applied in the pass before, so a few passes are plenty.
MAX_PASSES = 3

Rerun = Callable[[Mapping[Path, bytes]], Result]


# -- positions ---------------------------------------------------------------------------


def offset_of(text: str, line: int, column: int) -> int | None:
    """The index in `text` of a 1-based line and character column; None when off the text."""
    start = 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return None
    end = text.find("\n", start)
    length = (len(text) if end < 0 else end) - start
    return start + column - 1 if 1 <= column <= length + 1 else None


def location_at(path: str, text: str, offset: int) -> Location:
    """An empty span (an insertion point) at an index of `text`."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return Location(path, line, column, line, column)


def _span(text: str, location: Location) -> tuple[int, int] | None:
    start = offset_of(text, location.line, location.column)
    if location.end_line is None or location.end_column is None:
        return None if start is None else (start, start)
    end = offset_of(text, location.end_line, location.end_column)
    return None if start is None or end is None or end < start else (start, end)


def apply_fixes(text: str, fixes: Iterable[tuple[Fix, Finding]]) -> tuple[str, list[Finding]]:
    """`text` with the fixes applied, and the findings they fix. Identical fixes apply once;
    a fix that overlaps one before it (or shares its start) waits for the next pass."""
    newline = "\r\n" if "\r\n" in text else "\n"
    edits: dict[tuple[int, int, str], list[Finding]] = {}
    for fix, finding in fixes:
        span = _span(text, fix.location)
        if span is not None:
            edits.setdefault((*span, fix.replacement), []).append(finding)
    kept: list[tuple[int, int, str]] = []
    fixed: list[Finding] = []
    for start, end, replacement in sorted(edits):
        if kept and (start < kept[-1][1] or start == kept[-1][0]):
            continue
        kept.append((start, end, replacement))
        fixed.extend(edits[(start, end, replacement)])
    for start, end, replacement in reversed(kept):
        text = text[:start] + replacement.replace("\n", newline) + text[end:]
    return text, fixed


# -- the fixer ---------------------------------------------------------------------------


def run(result: Result, rerun: Rerun, base: Path, unsafe: bool, mode: str) -> tuple[Result, Outcome | None]:
    """`check --fix` (mode `fix`: write), `--diff` (`diff`: only work out the changes) or
    `--unsafe-fixes` alone (`report`: the findings as found, unsafe fixes counted as on
    offer). The Result is the audit after the fixes, with what they did in `fixes`."""
    if mode == "report":
        result.fixes = FixSummary(unsafe=unsafe, notes=_notes(result, base))
        return result, None
    outcome = fix(result, rerun, base, unsafe)
    if mode == "fix":
        write(outcome)
    final = outcome.result
    final.fixes = FixSummary(unsafe, mode, outcome.fixed, tuple(sorted(outcome.rejected.items())),
                             _notes(final, base))
    return final, outcome


def _notes(result: Result, base: Path) -> tuple[str, ...]:
    note = ttl_note(result, base)
    return (note,) if note else ()


@dataclass
class Outcome:
    """The audit after the verified fixes, and the files they change (not yet written)."""

    result: Result
    fixed: int = 0  # findings gone
    changed: dict[Path, tuple[str, bytes, bytes]] = field(default_factory=dict)  # display, before, after
    rejected: dict[str, str] = field(default_factory=dict)  # display path -> why not written


@dataclass
class _Edit:
    path: Path
    new: bytes
    fixed: list[Finding]


def fix(result: Result, rerun: Rerun, base: Path, unsafe: bool) -> Outcome:
    """Apply the fixes of `result` that this run offers and verify them; `rerun(overlay)`
    audits again with the overlay's contents standing in for the files on disk."""
    outcome = Outcome(result)
    current: dict[Path, bytes] = {}  # resolved path -> its verified, fixed text
    originals: dict[Path, tuple[str, bytes]] = {}
    before = result
    for _ in range(MAX_PASSES):
        edits = _edits(before, base, current, originals, outcome.rejected, unsafe)
        if not edits:
            break
        accepted, after = _verify(before, edits, current, rerun, outcome.rejected)
        if after is None:
            break
        current.update((edit.path, edit.new) for edit in accepted.values())
        before = after
    outcome.result = before
    outcome.fixed = len(result.findings) - len(before.findings)
    for path, new in current.items():
        display, old = originals[path]
        if new != old:
            outcome.changed[path] = (display, old, new)
    return outcome


def _edits(result: Result, base: Path, current: Mapping[Path, bytes],
           originals: dict[Path, tuple[str, bytes]], rejected: dict[str, str],
           unsafe: bool) -> dict[str, _Edit]:
    """The fixed text of each file that has fixes to offer, keyed by display path."""
    by_path: dict[str, list[tuple[Fix, Finding]]] = {}
    for finding in result.findings:
        proposed = finding.fix
        # A fix edits the file its finding is in; one that reaches elsewhere is not mechanical.
        if proposed is not None and proposed.offered(unsafe) \
                and proposed.location.path == finding.location.path and finding.location.path not in rejected:
            by_path.setdefault(finding.location.path, []).append((proposed, finding))
    edits = {}
    for display, fixes in sorted(by_path.items()):
        path = (base / display).resolve()
        if path not in originals:
            try:
                originals[path] = (display, path.read_bytes())
            except OSError as error:
                rejected[display] = f"cannot read the file: {error.strerror}"
                continue
        raw = current.get(path, originals[path][1])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            rejected[display] = "the file is not valid UTF-8"
            continue
        new, fixed = apply_fixes(text, fixes)
        if fixed and new != text:
            edits[display] = _Edit(path, new.encode("utf-8"), fixed)
    return edits


def _verify(before: Result, edits: Mapping[str, _Edit], current: Mapping[Path, bytes], rerun: Rerun,
            rejected: dict[str, str]) -> tuple[dict[str, _Edit], Result | None]:
    """The edits that pass verification and the audit with them applied. All together first
    (the usual case: one more audit); when that fails, file by file, keeping each that passes
    with the ones kept before it."""
    after, problem = _check(before, dict(edits), current, rerun)
    if problem is None:
        return dict(edits), after
    if len(edits) == 1:
        rejected[next(iter(edits))] = problem or ""
        return {}, None
    accepted: dict[str, _Edit] = {}
    last: Result | None = None
    for display, edit in edits.items():
        trial = {**accepted, display: edit}
        after, problem = _check(before, trial, current, rerun)
        if problem is None:
            accepted, last = trial, after
        else:
            rejected[display] = problem or ""
    return accepted, last


def _check(before: Result, edits: Mapping[str, _Edit], current: Mapping[Path, bytes],
           rerun: Rerun) -> tuple[Result | None, str | None]:
    overlay = {**current, **{edit.path: edit.new for edit in edits.values()}}
    try:
        after = rerun(overlay)
    except Exception as error:  # a rule or the estimate failed on the fixed text
        return None, f"the audit of the fixed file failed ({error})"
    expected: Counter[tuple[str, str]] = Counter(
        (f.location.path, f.rule) for edit in edits.values() for f in edit.fixed)
    return after, _problem(before, after, expected, edits.keys())


def _problem(before: Result, after: Result, expected: Counter[tuple[str, str]],
             edited: Iterable[str]) -> str | None:
    """Why `after` is not `before` less the fixed findings, or None when it is."""
    if after.unreadable and not before.unreadable:
        return "the configuration would no longer be readable"
    for path in edited:
        added = Counter(e.message for e in after.errors if e.path == path) - \
            Counter(e.message for e in before.errors if e.path == path)
        if added:
            return f"the fixed file would not parse: {next(iter(added))}"
    old = Counter((f.location.path, f.rule) for f in before.findings)
    new = Counter((f.location.path, f.rule) for f in after.findings)
    for (path, rule), count in sorted(new.items()):
        if count > old[(path, rule)]:
            return f"the fix would add a {rule} finding in {path}"
        allowed = old[(path, rule)] - expected[(path, rule)]
        if count > allowed:
            return f"{rule} would still be reported in {path} ({count} findings, {allowed} expected)"
    return None


def write(outcome: Outcome) -> None:
    """Write the verified files, byte for byte as fixed; a file changed on disk since it was
    read is left alone (and reported)."""
    for path, (display, old, new) in sorted(outcome.changed.items()):
        try:
            if path.read_bytes() != old:
                outcome.rejected[display] = "the file changed on disk while it was being fixed"
                continue
            path.write_bytes(new)
        except OSError as error:
            outcome.rejected[display] = f"cannot write the file: {error.strerror}"


def unified_diff(outcome: Outcome) -> str:
    """The fixes as a unified diff (`a/` and `b/` prefixes, as `git apply` takes them)."""
    import difflib

    chunks = []
    for _, (display, old, new) in sorted(outcome.changed.items(), key=lambda item: item[1][0]):
        lines = difflib.unified_diff(old.decode("utf-8").splitlines(keepends=True),
                                     new.decode("utf-8").splitlines(keepends=True),
                                     f"a/{display}", f"b/{display}")
        for line in lines:
            chunks.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(chunks)


def ttl_note(result: Result, base: Path) -> str | None:
    """How to turn on the KV001 fix, when a Worker with KV001 findings has not set it."""
    from auditor.settings import load_settings

    unfixed = [f.location.path for f in result.findings if f.rule == "KV001" and f.fix is None]
    for worker in result.workers:
        inside = [p for p in unfixed if worker.root == "." or p.startswith(f"{worker.root}/")]
        if inside and load_settings(base / worker.root, {}, base).fix.expiration_ttl is None:
            return ("KV001 has no fix until `expiration-ttl` (seconds) is set under `[fix]` in "
                    "workers-audit.toml or `[tool.workers-audit.fix]` in pyproject.toml: the "
                    "`expirationTtl` the fix adds to a put.")
    return None
