"""Durable Object questions about one environment: which bindings are the Worker's own
classes, and which classes its migrations and `exports` map leave live."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from auditor.config.model import Binding, Environment
from auditor.findings import Related

# `exports` states that leave a tombstone instead of a live class.
GONE_STATES = frozenset({"deleted", "renamed", "transferred"})


@dataclass(frozen=True)
class Removal:
    """Why a class is no longer live, where that happened, and its new name after a rename."""

    why: str
    where: Related
    renamed_to: str | None = None


@dataclass(frozen=True)
class Lifecycle:
    live: frozenset[str]
    removed: Mapping[str, Removal]

    def successor(self, name: str) -> str | None:
        """The live class a chain of renames from `name` ends at, if it ends at one."""
        seen = {name}
        removal = self.removed.get(name)
        while removal is not None and removal.renamed_to and removal.renamed_to not in seen:
            if removal.renamed_to in self.live:
                return removal.renamed_to
            seen.add(removal.renamed_to)
            removal = self.removed.get(removal.renamed_to)
        return None


def own_class_bindings(environment: Environment) -> tuple[Binding, ...]:
    """DO bindings to classes of this Worker: no `script_name`, or its own script's name.

    A binding with an `environment` field picks a deploy target of the named script,
    which this file cannot decide, so it is left out.
    """
    def own(binding: Binding) -> bool:
        script = binding.field("script_name")
        if script is None:
            return True
        return binding.field("environment") is None and script.value == environment.script_name

    return tuple(b for b in environment.bindings_of("durable_objects") if own(b))


def lifecycle(environment: Environment) -> Lifecycle:
    """Apply the migrations in order, then the `exports` map."""
    live: set[str] = set()
    removed: dict[str, Removal] = {}
    for migration in environment.migrations:
        tag = f"`{migration.tag or migration.location.key}`"
        for created in (*migration.new_sqlite_classes, *migration.new_classes):
            live.add(created.value)
            removed.pop(created.value, None)
        for rename in migration.renamed_classes:
            live.discard(rename.old)
            live.add(rename.new)
            removed.pop(rename.new, None)
            removed[rename.old] = Removal(f"was renamed to `{rename.new}` by migration {tag}",
                                          Related(rename.location, f"`{rename.old}` renamed here"),
                                          rename.new)
        for deleted in migration.deleted_classes:
            live.discard(deleted.value)
            where = Related(deleted.location, f"`{deleted.value}` deleted here")
            removed[deleted.value] = Removal(f"was deleted by migration {tag}", where)
        for transfer in migration.transferred_classes:
            # `from` names a class of the source Worker (`from_script`), not of this one.
            live.add(transfer.new)
            removed.pop(transfer.new, None)
    for entry in environment.exports:
        # An entry without `type` counts as covering the class; CF007 reports the gap.
        if entry.type not in (None, "durable-object"):
            continue
        if entry.state not in GONE_STATES:
            live.add(entry.name)
            removed.pop(entry.name, None)
        elif entry.name not in live:
            target = entry.renamed_to if entry.state == "renamed" else None
            removed[entry.name] = Removal(
                f"is marked `{entry.state}`" + (f" (to `{target}`)" if target else "")
                + " in `exports`",
                Related(entry.location, f"`{entry.name}` marked `{entry.state}` here"),
                target,
            )
    return Lifecycle(frozenset(live), removed)
