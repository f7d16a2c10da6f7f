"""Run the selected rules over each Worker root and collect one Result."""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from auditor.discover import WorkerRoot, config_in, discover
from auditor.findings import AuditError, Finding, Location, Result, Rule, Severity, Violation, WorkerSummary
from auditor.paths import display_path
from auditor.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from auditor.baseline import Baseline
    from auditor.cache import FactsCache
    from auditor.config.model import WorkerConfig
    from auditor.facts import Span
    from auditor.program import Program


class UsageError(Exception):
    """Bad arguments: the CLI prints the message and exits 2."""


class EstimateCrashed(Exception):
    """The estimator raised: a bug in the tool, reported with the Worker it happened on."""

    def __init__(self, where: str) -> None:
        super().__init__(f"the estimate failed while auditing {where}")


class RuleCrashed(Exception):
    """A rule raised: a bug in the tool, reported with the rule and Worker it happened on."""

    def __init__(self, code: str, where: str) -> None:
        super().__init__(f"rule {code} failed while auditing {where}")
        self.code = code


def fingerprint(rule: str, path: str, violation: Violation, site: str = "") -> str:
    """Stable across unrelated edits: no line numbers, only what identifies the site, which
    is the rule's anchor and the site's code with its whitespace taken out (`site`)."""
    anchor = violation.anchor or violation.location.key or violation.message
    text = "\0".join((rule, path, violation.binding or "", anchor, site))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def site_code(lines: list[str], location: Location) -> str:
    """The code a finding points at, without whitespace and up to the end of a call's first
    argument: reformatting or moving the call, or editing its other arguments (adding a TTL),
    leave the fingerprint alone; changing the callee or the key makes a new one. `lines` are
    the file's lines."""
    if not 1 <= location.line <= len(lines):
        return ""
    end_line = min(location.end_line or location.line, len(lines))
    if end_line == location.line:
        end = location.end_column if location.end_column is not None else len(lines[end_line - 1]) + 1
        code = lines[location.line - 1][location.column - 1:end - 1]
    else:
        first = lines[location.line - 1][location.column - 1:]
        last = lines[end_line - 1][:(location.end_column or 1) - 1]
        code = "\n".join([first, *lines[location.line:end_line - 1], last])
    return _first_argument("".join(code.split()))


def _first_argument(code: str) -> str:
    """`f(a,b,{c})` -> `f(a`: the code before the first comma inside the outermost brackets."""
    depth, quote = 0, ""
    for index, char in enumerate(code):
        if quote:
            quote = "" if char == quote and code[index - 1] != "\\" else quote
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 1:
            return code[:index]
    return code


def _numbered(findings: list[Finding]) -> list[Finding]:
    """Give identical sites their own fingerprints, numbered in file order (as Semgrep does)."""
    seen: dict[str, int] = {}
    out = []
    for finding in findings:
        count = seen.get(finding.fingerprint, 0) + 1
        seen[finding.fingerprint] = count
        if count > 1:
            numbered = hashlib.sha256(f"{finding.fingerprint}#{count}".encode()).hexdigest()[:20]
            finding = replace(finding, fingerprint=numbered)
        out.append(finding)
    return out


def to_finding(rule: Rule, violation: Violation, settings: Settings, site: str = "") -> Finding:
    severity = settings.severity.get(rule.code) or violation.severity or rule.severity
    return Finding(
        rule=rule.code,
        name=rule.name,
        severity=severity,
        location=violation.location,
        message=violation.message,
        binding=violation.binding,
        environment=violation.environment,
        fingerprint=fingerprint(rule.code, violation.location.path, violation, site),
        related=violation.related,
        fix=violation.fix,
    )


def roots_for(paths: Iterable[Path], config: Path | None) -> list[WorkerRoot]:
    if config is not None:
        if config.is_dir():
            found = config_in(config)
            if found is None:
                raise UsageError(f"{config}: is a directory with no wrangler.json, "
                                 "wrangler.jsonc or wrangler.toml in it")
            config = found
        if not config.exists():
            raise UsageError(f"{config}: no such file")
        return [WorkerRoot(config.resolve().parent, config.resolve())]
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    return discover(paths)


def audit(paths: Iterable[Path], overrides: Mapping[str, Any], config: Path | None = None,
          base: Path | None = None, estimate: bool = False,
          overlay: Mapping[Path, bytes] | None = None, baseline: Baseline | None = None,
          cache: FactsCache | None = None, skip_absent_environment: bool = False) -> Result:
    """Audit every Worker root under `paths` (or the one `config` names); with `estimate`,
    also estimate each Worker's daily operations and cost. `overlay` maps resolved paths to
    contents that stand in for the files on disk; `baseline` holds findings already known;
    `cache` keeps the facts of parsed files for the next audit (None: parse every file).
    A Worker without the environment `--env` names is a usage error, or with
    `skip_absent_environment=True` (a pull request's base, before the environment was added)
    a Worker with nothing to audit."""
    with _cycle_collector_paused():
        return _audit(paths, overrides, config, base, estimate, overlay, baseline, cache,
                      skip_absent_environment)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """An audit builds millions of small acyclic objects (facts, values); the cyclic
    collector rescanning them took 40% of a large Worker's check (11.6 s -> 6.5 s on
    160 files, 65k lines, for 11% more memory: benchmarks/bench.py). Reference
    counting still frees everything; the collector runs again when the audit is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _audit(paths: Iterable[Path], overrides: Mapping[str, Any], config: Path | None,
           base: Path | None, estimate: bool, overlay: Mapping[Path, bytes] | None,
           baseline: Baseline | None, cache: FactsCache | None = None,
           skip_absent_environment: bool = False) -> Result:
    from auditor.config.load import ConfigUnreadable, load_config
    from auditor.rules import BY_CODE, selected

    base = (base or Path.cwd()).resolve()
    result = Result()
    levels: dict[str, Severity | None] = {}  # fingerprint -> the fail level of its Worker
    roots = roots_for(list(paths), config)
    for root in roots:
        root_display = display_path(root.directory, base)
        config_display = display_path(root.config, base)
        settings = load_settings(root.directory, overrides, base)
        rules = selected(settings.select, settings.ignore)
        try:
            raw = overlay[root.config.resolve()] if overlay and root.config.resolve() in overlay \
                else root.config.read_bytes()
        except OSError as error:
            _unreadable(result, rules, BY_CODE["CF007"], settings,
                        Location(config_display, 1), f"cannot read the file: {error.strerror}")
            continue
        try:
            worker = load_config(raw, config_display, root_display)
        except ConfigUnreadable as error:
            _unreadable(result, rules, BY_CODE["CF007"], settings, error.location, error.message)
            result.workers.append(WorkerSummary(root_display, config_display, None, ()))
            continue
        only = settings.environment
        if only and only not in worker.environments and skip_absent_environment:
            result.workers.append(WorkerSummary(root_display, config_display, worker.name, ()))
            continue
        if only and only not in worker.environments:
            declared = ", ".join(worker.environments) or "none"
            raise UsageError(f"{config_display}: no environment `{only}` "
                             f"(declared: {declared})")
        result.workers.append(WorkerSummary(
            root_display, config_display, worker.name,
            ("", *worker.environments) if not only else (only,)))
        program = _program(worker, only, root, settings, base, result, overlay, cache)
        made = partial(_made, settings=settings, sites=_Sites(program))
        found: list[Finding] = []
        for rule in rules:
            try:
                found.extend(made(rule, v) for v in rule.check(program, settings))
            except Exception as error:
                raise RuleCrashed(rule.code, config_display) from error
        found = _suppress(found, program, config_display, raw, rules, made, result)
        for path, problem in program.parse_problems:
            result.errors.append(AuditError(path, problem.span.line, problem.message,
                                            problem.span.column))
        if estimate:
            from auditor.estimate import estimate_for

            try:
                result.estimates.append(estimate_for(program, settings))
            except Exception as error:
                raise EstimateCrashed(config_display) from error
        found = _numbered(_unique_sorted(found))
        levels.update((f.fingerprint, settings.fail_level) for f in found)
        result.findings.extend(found)
        program.release()
    result.findings = _unique_sorted(result.findings)
    if baseline is not None:
        result.baseline = baseline.path
        result.findings, result.baselined, result.baseline_unmatched = baseline.split(result.findings)
    result.failing += sum(
        (level := levels.get(f.fingerprint)) is not None and f.severity >= level
        for f in result.findings)
    return result


def _made(rule: Rule, violation: Violation, settings: Settings, sites: _Sites) -> Finding:
    """The finding, fingerprinted with its site when the site is in a source file."""
    site = "" if violation.location.key else sites.identity(violation.location)
    return to_finding(rule, violation, settings, site)


class _Sites:
    """What identifies a site in a source file for its fingerprint: the function around it
    (its name, not its position) and its code (`site_code`)."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.texts = {source.display: source.source for source in program.sources}
        self._lines: dict[str, list[str]] = {}  # decoded once per file, not per finding
        self._scopes: dict[str, list[tuple[Span, str]]] | None = None

    def identity(self, location: Location) -> str:
        raw = self.texts.get(location.path)
        if raw is None:
            return ""
        lines = self._lines.get(location.path)
        if lines is None:
            lines = self._lines[location.path] = raw.decode("utf-8", "replace").splitlines()
        return f"{self._scope(location)}\0{site_code(lines, location)}"

    def _scope(self, location: Location) -> str:
        if self._scopes is None:
            self._scopes = {
                module.display: sorted(((f.span, f.id) for f in module.functions.values()),
                                       key=lambda item: (item[0].line, item[0].column))
                for module in self.program.modules.values()}
        point = (location.line, location.column)
        inner = ""
        for span, function in self._scopes.get(location.path, ()):
            if (span.line, span.column) <= point < (span.end_line, span.end_column):
                inner = function  # sorted by start: the last that holds it is the innermost
        return _POSITION.sub("", inner)


# An anonymous function's id carries its position (`<arrow@12:5>`); the fingerprint must not.
_POSITION = re.compile(r"@\d+:\d+'*")


def _suppress(found: list[Finding], program: Program, config_display: str, raw: bytes,
              rules: tuple[Rule, ...], made: Callable[[Rule, Violation], Finding],
              result: Result) -> list[Finding]:
    """Take out what inline comments suppress; add WA001/WA002 for the comments' own faults."""
    from auditor import suppressions
    from auditor.rules import BY_CODE

    mark = suppressions.MARK
    files = []
    config_text = raw.decode("utf-8", "replace")
    config_comments = _config_comments(config_display, config_text, mark)
    if config_comments:
        files.append(suppressions.CommentedFile(config_display, config_text, config_comments))
    marked = [s for s in program.sources if mark.encode() in s.source]
    if marked:
        modules = {m.display: m for m in program.modules.values()}
        for source in marked:
            comments = modules[source.display].facts.comments if source.display in modules else ()
            if comments:
                files.append(suppressions.CommentedFile(
                    source.display, source.source.decode("utf-8", "replace"), comments))
    if not files:
        return found
    parsed = suppressions.parse(files, BY_CODE)
    kept, suppressed = suppressions.apply(found, parsed)
    result.suppressed.extend(suppressed)
    ran = {rule.code for rule in rules}
    for code, violation in suppressions.problems(parsed, suppressed, ran):
        if code in ran:
            kept.append(made(BY_CODE[code], violation))
    return kept


def _config_comments(display: str, text: str, mark: str) -> tuple[tuple[int, str], ...]:
    if mark not in text:
        return ()
    if display.endswith(".toml"):
        from auditor.config.toml import comments
    else:
        from auditor.config.jsonc import comments
    return comments(text, mark)


def _program(worker: WorkerConfig, only: str | None, root: WorkerRoot, settings: Settings,
             base: Path, result: Result, overlay: Mapping[Path, bytes] | None = None,
             cache: FactsCache | None = None) -> Program:
    """The Program of one Worker: its config now, its sources read (parsed on first use)."""
    from auditor.imports import read_aliases
    from auditor.program import Program
    from auditor.sources import read_sources

    sources, skipped = read_sources(root.directory, settings.exclude, base, overlay)
    for file in skipped:
        result.errors.append(AuditError(file.display, file.line, file.reason))
    main = worker.top.settings.get("main")
    entry = None
    if isinstance(main, str):
        entry = PurePosixPath(main.removeprefix("./")).as_posix()
    tsconfig = root.directory / "tsconfig.json"
    try:
        aliases = read_aliases(tsconfig.read_text(encoding="utf-8") if tsconfig.is_file() else None)
    except (OSError, UnicodeDecodeError):
        aliases = read_aliases(None)
    python_roots = tuple(dict.fromkeys([str(PurePosixPath(entry).parent) if entry else ".", "src", "."]))
    return Program(worker, only, sources, worker.root, entry, aliases, python_roots,
                   dev_vars=_dev_vars(root.directory / ".dev.vars"), directory=root.directory,
                   cache=cache)


def _dev_vars(path: Path) -> frozenset[str]:
    """The names in `.dev.vars` (dotenv lines): secrets the configuration does not list."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    except (OSError, UnicodeDecodeError):
        return frozenset()
    names = (line.split("=", 1)[0].strip().removeprefix("export ").strip() for line in lines
             if "=" in line and not line.lstrip().startswith("#"))
    return frozenset(name for name in names if name)


def _unreadable(result: Result, rules: tuple[Rule, ...], cf007: Rule, settings: Settings,
                location: Location, message: str) -> None:
    result.unreadable = True
    result.errors.append(AuditError(location.path, location.line, message, location.column))
    if cf007 in rules:
        result.findings.append(to_finding(cf007, Violation(location, message), settings))
        result.failing += settings.fail_level is not None  # no baseline hides an unreadable file


def _unique_sorted(findings: list[Finding]) -> list[Finding]:
    """One finding per rule and site: a top-level value is seen from every environment."""
    seen: dict[tuple[str, Location, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.rule, finding.location, finding.message), finding)
    return sorted(seen.values(), key=lambda f: (f.location.path, f.location.line,
                                                 f.location.column, f.rule, f.message))


__all__ = ["EstimateCrashed", "RuleCrashed", "SettingsError", "UsageError", "audit", "display_path"]
