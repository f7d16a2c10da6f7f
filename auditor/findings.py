"""The records that flow from rules to formatters: locations, violations, findings, rules."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditor.program import Program
    from auditor.settings import Settings


class Severity(enum.IntEnum):
    """Ordered so that `severity >= fail_level` answers the gate's question."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]


@dataclass(frozen=True, order=True)
class Location:
    """A span in a file. `key` is the config key path (`kv_namespaces[1].id`) when there is one."""

    path: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None
    key: str | None = None


@dataclass(frozen=True)
class Related:
    location: Location
    message: str


@dataclass(frozen=True)
class Fix:
    """A replacement of the text between two locations; `applicability` is safe or unsafe."""

    message: str
    replacement: str
    location: Location
    applicability: str = "safe"

    def offered(self, unsafe: bool) -> bool:
        """Whether a run offers it: a safe fix always, an unsafe one with `--unsafe-fixes`."""
        return self.applicability == "safe" or (unsafe and self.applicability == "unsafe")


@dataclass(frozen=True)
class Violation:
    """What a rule yields; the engine adds code, name, default severity and fingerprint."""

    location: Location
    message: str
    binding: str | None = None
    environment: str | None = None
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    # Only for rules whose catalog entry names a second level (CF003 guarded uses, CF007
    # unknown keys); otherwise the rule's default applies.
    severity: Severity | None = None
    # Stable text that identifies the site for the fingerprint (a config key path, a
    # normalised call); defaults to the message.
    anchor: str | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    name: str
    severity: Severity
    location: Location
    message: str
    binding: str | None
    environment: str | None
    fingerprint: str
    related: tuple[Related, ...] = ()
    fix: Fix | None = None


@dataclass(frozen=True)
class Suppression:
    """A `workers-audit-ignore[CODE, ...]: reason` comment and the lines it covers."""

    location: Location  # the comment itself
    codes: tuple[str, ...]
    reason: str | None
    lines: tuple[int, ...]  # the comment's own line, and the next code line for a comment line


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    severity: Severity
    check: Callable[[Program, Settings], Iterator[Violation]]
    doc: str | None


@dataclass(frozen=True)
class AuditError:
    """Something the audit could not read; it goes on without it."""

    path: str
    line: int
    message: str
    column: int = 1


@dataclass(frozen=True)
class WorkerSummary:
    root: str
    config: str
    name: str | None
    environments: tuple[str, ...]


@dataclass(frozen=True)
class FixSummary:
    """Which fixes a `check` run offers (`--unsafe-fixes`) and what `--fix` or `--diff` did."""

    unsafe: bool = False  # unsafe fixes are offered, not only safe ones
    mode: str = "report"  # report: findings as found; fix: fixes written; diff: fixes shown
    fixed: int = 0  # findings gone after the fixes (written or shown)
    rejected: tuple[tuple[str, str], ...] = ()  # (path, why): fixes that failed verification
    notes: tuple[str, ...] = ()  # how to turn on fixes that are off

    def offers(self, finding: Finding) -> bool:
        """Whether `--fix` would fix this finding: its fix is on offer in this run and its
        file's fixes were not refused by verification."""
        return finding.fix is not None and finding.fix.offered(self.unsafe) \
            and all(path != finding.location.path for path, _ in self.rejected)


@dataclass
class Result:
    """Everything one run found, handed to the formatters and the gate."""

    workers: list[WorkerSummary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[AuditError] = field(default_factory=list)
    # One estimate per Worker, when the command asked for them (`estimate`, `report`,
    # the cost rules): auditor.estimate.model.Estimate objects.
    estimates: list[Any] = field(default_factory=list)
    # True when a configuration could not be read at all: the documented exit code 2.
    unreadable: bool = False
    # Findings at or above the fail level of their Worker's settings: the gate's count.
    failing: int = 0
    # Findings an inline comment suppressed, each with the comment; out of `findings`.
    suppressed: list[tuple[Finding, Suppression]] = field(default_factory=list)
    # With `--baseline FILE`: the file as given, the findings it holds (out of `findings`)
    # and how many of its entries matched nothing (fixed since it was written).
    baseline: str | None = None
    baselined: list[Finding] = field(default_factory=list)
    baseline_unmatched: int = 0
    # What `check --fix` did, and whether unsafe fixes are offered; the default: safe ones only.
    fixes: FixSummary = field(default_factory=FixSummary)
