"""A Durable Object binding names a class that no migration or `exports` entry makes live.

## What it does
Reports a Durable Object binding of this Worker (no `script_name`, or the Worker's own
name as `script_name`) whose `class_name` is not live once the environment's `migrations`
are applied in order (`new_sqlite_classes` and `new_classes` create a class,
`renamed_classes` moves it to its new name, `deleted_classes` removes it,
`transferred_classes` brings it in from another Worker) and has no live `durable-object`
entry in the `exports` map. The message says why: no migrations at all, never created,
deleted by a migration, renamed to another name, or a tombstone in `exports`.

## Why is this bad?
Cloudflare creates a Durable Object namespace only through a migration or an `exports`
entry. wrangler prints a warning for a bound class with neither, then the upload fails at
the API (code 10061), typically in CI after the build has run. A class that a later
migration deleted or renamed is gone: binding it again fails the same way, and a binding
that still names the old class after a rename does not reach the moved objects.

## Example
```toml
[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"
```

Use instead:
```toml
[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
```

## Known problems
Bindings to another Worker's class (`script_name` naming another script, or an
`environment` field) are not checked: that Worker's migrations are not in this file. An
`exports` entry without a `type` is counted as covering the class; the missing field is
reported as CF007. Migrations already applied to the deployed Worker but since removed
from the file cannot be seen.

## References
- https://developers.cloudflare.com/durable-objects/reference/durable-objects-migrations/
- https://developers.cloudflare.com/durable-objects/reference/durable-object-class-migrations-legacy/
- https://developers.cloudflare.com/workers/wrangler/configuration/#durable-objects
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.config.model import Binding, Environment
from auditor.findings import Related, Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings

# `exports` states that leave a tombstone instead of a live class.
_GONE_STATES = frozenset({"deleted", "renamed", "transferred"})


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for environment in program.environments():
        own_name = _own_name(program, environment)
        bindings = [b for b in environment.bindings_of("durable_objects")
                    if _binds_own_class(b, own_name)]
        if not bindings:
            continue
        live, gone = _lifecycle(environment)
        for binding in bindings:
            class_name = binding.field("class_name")
            if class_name is None or not isinstance(class_name.value, str):
                continue
            name = class_name.value
            if not name or name in live:
                continue
            removal = gone.get(name)
            why = removal.why if removal else _never_created(environment)
            yield Violation(
                location=class_name.location,
                message=(f"Durable Object class `{name}` (binding `{binding.name}`) {why}, "
                         f"so deploying {environment.label} fails: "
                         f"{_remedy(environment, name, class_name.location.path, live, gone)}"),
                binding=binding.name,
                environment=environment.name,
                related=(removal.where,) if removal else (),
                anchor=f"{environment.name}:{binding.name}:{name}",
            )


@dataclass(frozen=True)
class _Removal:
    """Why a class is no longer live, where that happened, and its new name after a rename."""

    why: str
    where: Related
    renamed_to: str | None = None


def _own_name(program: Program, environment: Environment) -> str | None:
    """The script name the environment deploys as: wrangler appends `-NAME` to an inherited one."""
    top = program.config.top.worker_name
    if environment.name is None:
        return top
    own = program.config.document.data["env"][environment.name].get("name")
    if isinstance(own, str):
        return own
    return f"{top}-{environment.name}" if top else None


def _binds_own_class(binding: Binding, own_name: str | None) -> bool:
    script = binding.field("script_name")
    if script is None:
        return True
    # `environment` picks a deploy target of the named script: not decidable from here.
    return binding.field("environment") is None and script.value == own_name


def _lifecycle(environment: Environment) -> tuple[set[str], dict[str, _Removal]]:
    """The live class names after every migration and `exports` entry, and the removed ones."""
    live: set[str] = set()
    gone: dict[str, _Removal] = {}
    for migration in environment.migrations:
        tag = f"`{migration.tag or migration.location.key}`"
        for created in (*migration.new_sqlite_classes, *migration.new_classes):
            live.add(created.value)
            gone.pop(created.value, None)
        for rename in migration.renamed_classes:
            live.discard(rename.old)
            live.add(rename.new)
            gone.pop(rename.new, None)
            gone[rename.old] = _Removal(f"was renamed to `{rename.new}` by migration {tag}",
                                        Related(rename.location, f"`{rename.old}` renamed here"),
                                        rename.new)
        for deleted in migration.deleted_classes:
            live.discard(deleted.value)
            where = Related(deleted.location, f"`{deleted.value}` deleted here")
            gone[deleted.value] = _Removal(f"was deleted by migration {tag}", where)
        for transfer in migration.transferred_classes:
            # `from` names a class of the source Worker (`from_script`), not of this one.
            live.add(transfer.new)
            gone.pop(transfer.new, None)
    raw_exports = environment.settings.get("exports")
    for entry in environment.exports:
        if entry.type not in (None, "durable-object"):
            continue
        if entry.state not in _GONE_STATES:
            live.add(entry.name)
            gone.pop(entry.name, None)
        elif entry.name not in live:
            target = _renamed_to(raw_exports, entry.name) if entry.state == "renamed" else None
            gone[entry.name] = _Removal(
                f"is marked `{entry.state}`" + (f" (to `{target}`)" if target else "")
                + " in `exports`",
                Related(entry.location, f"`{entry.name}` marked `{entry.state}` here"),
                target,
            )
    return live, gone


def _renamed_to(raw_exports: object, name: str) -> str | None:
    entry = raw_exports.get(name) if isinstance(raw_exports, dict) else None
    target = entry.get("renamed_to") if isinstance(entry, dict) else None
    return target if isinstance(target, str) and target else None


def _never_created(environment: Environment) -> str:
    if environment.migrations:
        return "is created by no migration and has no `exports` entry"
    return "has no migration and no `exports` entry"


def _remedy(environment: Environment, name: str, path: str, live: set[str],
            gone: dict[str, _Removal]) -> str:
    successor = _successor(name, live, gone)
    if successor is not None:
        return f"bind `{successor}` instead"
    migration = (f'`new_sqlite_classes = ["{name}"]`' if path.endswith(".toml")
                 else f'`"new_sqlite_classes": ["{name}"]`')
    export = f"an `exports` entry for `{name}` with type `durable-object` and storage `sqlite`"
    if environment.migrations:
        fix = f"add a migration with {migration}"
    elif any(e.type == "durable-object" for e in environment.exports):
        fix = f"add {export}"
    else:
        fix = f"add a migration with {migration} or {export}"
    return f"remove the binding or {fix}" if name in gone else fix


def _successor(name: str, live: set[str], gone: dict[str, _Removal]) -> str | None:
    """The live class a chain of renames ends at, if it ends at one."""
    seen = {name}
    removal = gone.get(name)
    while removal is not None and removal.renamed_to and removal.renamed_to not in seen:
        if removal.renamed_to in live:
            return removal.renamed_to
        seen.add(removal.renamed_to)
        removal = gone.get(removal.renamed_to)
    return None


RULE = Rule(
    code="DO002",
    name="do-missing-migration",
    summary="a bound Durable Object class has no migration or `exports` entry",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
