"""The typed configuration model: one Environment per deploy target, every value with its span."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.config.document import Document, KeyPath
from auditor.findings import Location, Severity


@dataclass(frozen=True)
class Located:
    """A scalar from the config with where it was written."""

    value: Any
    location: Location


@dataclass(frozen=True)
class Binding:
    """One name the Worker sees on `env`, of any kind (`kind` is the config key)."""

    kind: str
    name: str
    location: Location
    path: KeyPath
    fields: Mapping[str, Any] = field(default_factory=dict)
    field_locations: Mapping[str, Location] = field(default_factory=dict)

    def field(self, name: str) -> Located | None:
        if name not in self.fields:
            return None
        return Located(self.fields[name], self.field_locations.get(name, self.location))


@dataclass(frozen=True)
class Cron:
    expression: str
    location: Location


@dataclass(frozen=True)
class RenamedClass:
    old: str
    new: str
    location: Location


@dataclass(frozen=True)
class Migration:
    tag: str | None
    location: Location
    new_sqlite_classes: tuple[Located, ...] = ()
    new_classes: tuple[Located, ...] = ()
    renamed_classes: tuple[RenamedClass, ...] = ()
    deleted_classes: tuple[Located, ...] = ()
    transferred_classes: tuple[RenamedClass, ...] = ()


@dataclass(frozen=True)
class ExportEntry:
    """An entry of the `exports` map (wrangler 4.107+), keyed by class name."""

    name: str
    type: str | None
    storage: str | None
    state: str | None
    location: Location
    renamed_to: str | None = None


@dataclass(frozen=True)
class Environment:
    """The effective view of one deploy target: the top level (name None) or `[env.NAME]`."""

    name: str | None
    location: Location
    settings: Mapping[str, Any]
    bindings: tuple[Binding, ...] = ()
    crons: tuple[Cron, ...] | None = None
    migrations: tuple[Migration, ...] = ()
    exports: tuple[ExportEntry, ...] = ()
    # Non-inheritable keys set at the top level that this environment does not repeat,
    # with the span of the top-level value: the environment deploys without them.
    not_inherited: tuple[tuple[str, Location], ...] = ()

    @property
    def label(self) -> str:
        return "the top level" if self.name is None else f"`env.{self.name}`"

    def bindings_of(self, kind: str) -> tuple[Binding, ...]:
        return tuple(b for b in self.bindings if b.kind == kind)

    # The script this target deploys as: its own `name`, or the top-level name with
    # `-NAME` appended, as wrangler does for an inherited name.
    script_name: str | None = None

    @property
    def worker_name(self) -> str | None:
        return self.script_name


@dataclass(frozen=True)
class ConfigProblem:
    """A shape problem (wrong type, unknown key, missing field): reported as CF007."""

    location: Location
    message: str
    severity: Severity = Severity.ERROR


@dataclass(frozen=True)
class WorkerConfig:
    root: str
    path: str
    document: Document
    top: Environment
    environments: Mapping[str, Environment]
    problems: tuple[ConfigProblem, ...] = ()

    @property
    def name(self) -> str | None:
        return self.top.worker_name

    def views(self) -> tuple[Environment, ...]:
        """Every deploy target: the top level, then each `[env.NAME]` in file order."""
        return (self.top, *self.environments.values())
