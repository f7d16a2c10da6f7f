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
