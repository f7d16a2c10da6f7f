"""Run the selected rules over each Worker root and collect one Result."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from auditor.discover import WorkerRoot, config_in, discover
from auditor.findings import AuditError, Finding, Location, Result, Rule, Violation, WorkerSummary
from auditor.paths import display_path
from auditor.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from auditor.config.model import WorkerConfig
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


def fingerprint(rule: str, path: str, violation: Violation) -> str:
    """Stable across unrelated edits: no line numbers, only what identifies the site."""
    anchor = violation.anchor or violation.location.key or violation.message
    text = "\0".join((rule, path, violation.binding or "", anchor))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def to_finding(rule: Rule, violation: Violation, settings: Settings) -> Finding:
    severity = settings.severity.get(rule.code) or violation.severity or rule.severity
    return Finding(
        rule=rule.code,
        name=rule.name,
        severity=severity,
        location=violation.location,
        message=violation.message,
        binding=violation.binding,
        environment=violation.environment,
        fingerprint=fingerprint(rule.code, violation.location.path, violation),
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
          base: Path | None = None, estimate: bool = False) -> Result:
    """Audit every Worker root under `paths` (or the one `config` names); with `estimate`,
    also estimate each Worker's daily operations and cost."""
    from auditor.config.load import ConfigUnreadable, load_config
    from auditor.rules import BY_CODE, selected

    base = (base or Path.cwd()).resolve()
    result = Result()
    roots = roots_for(list(paths), config)
    for root in roots:
        root_display = display_path(root.directory, base)
        config_display = display_path(root.config, base)
        settings = load_settings(root.directory, overrides, base)
        rules = selected(settings.select, settings.ignore)
        try:
            raw = root.config.read_bytes()
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
        if only and only not in worker.environments:
            declared = ", ".join(worker.environments) or "none"
            raise UsageError(f"{config_display}: no environment `{only}` "
                             f"(declared: {declared})")
        result.workers.append(WorkerSummary(
            root_display, config_display, worker.name,
            ("", *worker.environments) if not only else (only,)))
        program = _program(worker, only, root, settings, base, result)
        found: list[Finding] = []
        for rule in rules:
            try:
                found.extend(to_finding(rule, v, settings) for v in rule.check(program, settings))
            except Exception as error:
                raise RuleCrashed(rule.code, config_display) from error
        for path, problem in program.parse_problems:
            result.errors.append(AuditError(path, problem.span.line, problem.message,
                                            problem.span.column))
        if estimate:
            from auditor.estimate import estimate_for

            try:
                result.estimates.append(estimate_for(program, settings))
            except Exception as error:
                raise EstimateCrashed(config_display) from error
        found = _unique_sorted(found)
        level = settings.fail_level
        result.failing += sum(level is not None and f.severity >= level for f in found)
        result.findings.extend(found)
    result.findings = _unique_sorted(result.findings)
    return result


def _program(worker: WorkerConfig, only: str | None, root: WorkerRoot, settings: Settings,
             base: Path, result: Result) -> Program:
    """The Program of one Worker: its config now, its sources read (parsed on first use)."""
    from auditor.imports import read_aliases
    from auditor.program import Program
    from auditor.sources import read_sources

    sources, skipped = read_sources(root.directory, settings.exclude, base)
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
                   dev_vars=_dev_vars(root.directory / ".dev.vars"), directory=root.directory)


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
        result.failing += settings.fail_level is not None


def _unique_sorted(findings: list[Finding]) -> list[Finding]:
    """One finding per rule and site: a top-level value is seen from every environment."""
    seen: dict[tuple[str, Location, str], Finding] = {}
    for finding in findings:
        seen.setdefault((finding.rule, finding.location, finding.message), finding)
    return sorted(seen.values(), key=lambda f: (f.location.path, f.location.line,
                                                 f.location.column, f.rule, f.message))


__all__ = ["EstimateCrashed", "RuleCrashed", "SettingsError", "UsageError", "audit", "display_path"]
