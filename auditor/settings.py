"""The tool's own settings: `workers-audit.toml` or `[tool.workers-audit]`, then the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditor.findings import Severity

SETTINGS_FILE = "workers-audit.toml"
PLANS = ("free", "paid")
FAIL_LEVELS = ("error", "warning", "info", "never")


class SettingsError(Exception):
    """A settings file or option the tool cannot use; the CLI exits 2 with this text."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None) -> None:
        where = f"{path}:{line}: " if path and line else f"{path}: " if path else ""
        super().__init__(f"{where}{message}")


@dataclass(frozen=True)
class Usage:
    """Traffic assumptions for the estimate; each None falls back to a stated default."""

    requests_per_day: float | None = None
    loop_iterations: float | None = None
    routes: Mapping[str, float] = field(default_factory=dict)
    queues: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Budget:
    max_kv_writes_per_day: float | None = None
    max_monthly_usd: float | None = None


@dataclass(frozen=True)
class FixOptions:
    """`[fix]`: values a fix writes that the code cannot tell; a fix that needs one is off
    until it is set."""

    expiration_ttl: int | None = None  # seconds, for the `expirationTtl` a KV001 fix adds


@dataclass(frozen=True)
class Settings:
    plan: str = "free"
    fail_on: str = "warning"
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    budget: Budget = field(default_factory=Budget)
    fix: FixOptions = field(default_factory=FixOptions)
    environment: str | None = None
    source: str | None = None  # the file these came from, for messages

    @property
    def fail_level(self) -> Severity | None:
        return None if self.fail_on == "never" else Severity.parse(self.fail_on)


def find_settings_file(root: Path) -> tuple[Path, tuple[str, ...]] | None:
    """The settings file at a Worker root and the table inside it that holds the settings."""
    own = root / SETTINGS_FILE
    if own.is_file():
        return own, ()
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            text = pyproject.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        if "workers-audit" in text:
            return pyproject, ("tool", "workers-audit")
    return None


def load_settings(root: Path, overrides: Mapping[str, Any], base: Path) -> Settings:
    """Settings for one Worker root: its file (if any), then the command-line overrides."""
    from auditor.paths import display_path

    found = find_settings_file(root)
    settings = Settings()
    if found is not None:
        settings = _from_file(found[0], found[1], display_path(found[0], base))
    changes = {key: value for key, value in overrides.items() if value not in (None, ())}
    if "select" in changes or "ignore" in changes or "severity" in changes:
        _check_selectors(changes.get("select", ()), "--select", None, None)
        _check_selectors(changes.get("ignore", ()), "--ignore", None, None)
    return replace(settings, **changes)


def _from_file(path: Path, table: tuple[str, ...], display: str) -> Settings:
    from auditor.config.document import ConfigSyntaxError
    from auditor.config.toml import read_toml

    try:
        raw = path.read_bytes().decode("utf-8")
        doc = read_toml(raw, display)
    except OSError as error:
        raise SettingsError(f"cannot read: {error.strerror}", display) from None
    except UnicodeDecodeError:
        raise SettingsError("the file is not valid UTF-8", display) from None
    except ConfigSyntaxError as error:
        raise SettingsError(error.message, display, error.line) from None
    data: Any = doc.data
    for key in table:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    if not isinstance(data, dict):
        raise SettingsError("expected a table of settings", display, doc.at(*table).line)

    def fail(message: str, *key: str | int) -> SettingsError:
        return SettingsError(message, display, doc.at(*table, *key).line)

    known = {"plan", "fail-on", "select", "ignore", "exclude", "severity", "usage", "budget", "fix",
             "env"}
    for key in data:
        if key not in known:
            raise fail(f"unknown setting `{key}` (known: {', '.join(sorted(known))})", key)

    def choice(key: str, allowed: tuple[str, ...], default: str) -> str:
        value = data.get(key, default)
        if value not in allowed:
            raise fail(f"`{key}` must be one of {', '.join(allowed)}, found {value!r}", key)
        return str(value)

    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(f"`{key}` must be an array of strings", key)
        return tuple(value)

    select, ignore = strings("select"), strings("ignore")
    _check_selectors(select, "select", display, doc.at(*table, "select").line)
    _check_selectors(ignore, "ignore", display, doc.at(*table, "ignore").line)
    severity = {}
    raw_severity = data.get("severity", {})
    if not isinstance(raw_severity, dict):
        raise fail("`severity` must be a table of rule codes to levels", "severity")
    for code, level in raw_severity.items():
        _check_selectors((code,), "severity", display, doc.at(*table, "severity", code).line)
        if level not in ("error", "warning", "info"):
            raise fail(f"severity of {code} must be error, warning or info, found {level!r}",
                       "severity", code)
        severity[code] = Severity.parse(level)
    env = data.get("env")
    if env is not None and not isinstance(env, str):
        raise fail("`env` must be a string", "env")
    return Settings(
        plan=choice("plan", PLANS, "free"),
        fail_on=choice("fail-on", FAIL_LEVELS, "warning"),
        select=select,
        ignore=ignore,
        exclude=strings("exclude"),
        severity=severity,
        usage=_usage(data.get("usage", {}), fail),
        budget=_budget(data.get("budget", {}), fail),
        fix=_fix(data.get("fix", {}), fail),
        environment=env,
        source=display,
    )


def _number(value: Any, fail: Any, *key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise fail(f"`{'.'.join(key)}` must be a number of zero or more, found {value!r}", *key)
    return float(value)


def _usage(raw: Any, fail: Any) -> Usage:
    if not isinstance(raw, dict):
        raise fail("`usage` must be a table", "usage")
    allowed = {"requests-per-day", "loop-iterations", "routes", "queues"}
    for key in raw:
        if key not in allowed:
            raise fail(f"unknown setting `usage.{key}` (known: {', '.join(sorted(allowed))})",
                       "usage", key)
    tables = {}
    for name in ("routes", "queues"):
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise fail(f"`usage.{name}` must be a table", "usage", name)
        tables[name] = {k: _number(v, fail, "usage", name, k) for k, v in table.items()}
    return Usage(
        requests_per_day=(_number(raw["requests-per-day"], fail, "usage", "requests-per-day")
                          if "requests-per-day" in raw else None),
        loop_iterations=(_number(raw["loop-iterations"], fail, "usage", "loop-iterations")
                         if "loop-iterations" in raw else None),
        routes=tables["routes"],
        queues=tables["queues"],
    )


def _budget(raw: Any, fail: Any) -> Budget:
    if not isinstance(raw, dict):
        raise fail("`budget` must be a table", "budget")
    allowed = {"max-kv-writes-per-day", "max-monthly-usd"}
    for key in raw:
        if key not in allowed:
            raise fail(f"unknown setting `budget.{key}` (known: {', '.join(sorted(allowed))})",
                       "budget", key)
    return Budget(
        max_kv_writes_per_day=(_number(raw["max-kv-writes-per-day"], fail, "budget",
                                       "max-kv-writes-per-day")
                               if "max-kv-writes-per-day" in raw else None),
        max_monthly_usd=(_number(raw["max-monthly-usd"], fail, "budget", "max-monthly-usd")
                         if "max-monthly-usd" in raw else None),
    )


def _fix(raw: Any, fail: Any) -> FixOptions:
    if not isinstance(raw, dict):
        raise fail("`fix` must be a table", "fix")
    for key in raw:
        if key != "expiration-ttl":
            raise fail(f"unknown setting `fix.{key}` (known: expiration-ttl)", "fix", key)
    ttl = raw.get("expiration-ttl")
    # KV rejects an expiry less than 60 seconds away (PLATFORM.md): a fix must not write one.
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 60):
        raise fail(f"`fix.expiration-ttl` must be a whole number of seconds, at least 60 "
                   f"(KV's minimum), found {ttl!r}", "fix", "expiration-ttl")
    return FixOptions(expiration_ttl=None if ttl is None else int(ttl))


def _check_selectors(selectors: tuple[str, ...], option: str, path: str | None,
                     line: int | None) -> None:
    """A selector is a rule code or a prefix of one; anything else is a typo to report."""
    from auditor.rules import RULES

    codes = [rule.code for rule in RULES]
    for selector in selectors:
        if selector.upper() != "ALL" and not any(code.startswith(selector.upper()) for code in codes):
            raise SettingsError(f"{option}: unknown rule code or prefix `{selector}`", path, line)
