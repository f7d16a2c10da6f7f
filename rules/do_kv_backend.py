"""A Durable Object class is created with the key-value storage backend.

## What it does
Reports every class listed in a migration's `new_classes` (the key-value backend), and
every live `durable-object` entry of the `exports` map (state `created`, the default, or
`expecting-transfer`) whose `storage` is `legacy-kv`.

## Why is this bad?
Since 2026-07-09 Cloudflare rejects new key-value-backed Durable Object classes on
accounts that do not already have one, so the deploy fails. Where it is still accepted,
the class is stuck on the legacy backend: no SQL API, no point-in-time recovery, values
capped at 128 KiB, and no in-place conversion of a live class to SQLite.

## Example
```toml
[[migrations]]
tag = "v1"
new_classes = ["Counter"]
```

Use instead:
```toml
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
```

## Known problems
A migration that was applied years ago, on an account that has key-value classes, keeps
working and cannot be rewritten: the class already exists on the key-value backend, and
editing the applied migration changes nothing. The finding is reported all the same;
suppress it with a reason.

## References
- https://developers.cloudflare.com/durable-objects/reference/durable-object-class-migrations-legacy/
- https://developers.cloudflare.com/durable-objects/reference/durable-objects-migrations/
- https://developers.cloudflare.com/durable-objects/api/legacy-kv-backed-storage/
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.findings import Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings

_REJECTED = ("new key-value-backed Durable Object classes are rejected on accounts "
             "without one since 2026-07-09")
# States whose entry declares a class that will hold data; tombstones carry no storage.
_LIVE_STATES = (None, "created", "expecting-transfer")


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    # Top-level migrations and exports are inherited by every environment: the same site
    # and message from each view, which the engine reports once.
    for environment in program.environments():
        for migration in environment.migrations:
            tag = migration.tag or migration.location.key
            for created in migration.new_classes:
                yield Violation(
                    location=created.location,
                    message=(f"migration `{tag}` creates `{created.value}` with the key-value "
                             f"backend (`new_classes`): {_REJECTED}; use `new_sqlite_classes`"),
                    environment=environment.name,
                    anchor=f"{_scope(created.location.key)}{tag}:new_classes:{created.value}",
                )
        for entry in environment.exports:
            if (entry.type == "durable-object" and entry.storage == "legacy-kv"
                    and entry.state in _LIVE_STATES):
                yield Violation(
                    location=entry.location,
                    message=(f"`exports` entry `{entry.name}` uses the key-value backend "
                             f"(storage `legacy-kv`): {_REJECTED}; use storage `sqlite`"),
                    environment=environment.name,
                )


def _scope(key: str | None) -> str:
    """`env.production.migrations:` for a key in that table: where the migration is written."""
    return (key or "").partition("migrations[")[0] + "migrations:"


RULE = Rule(
    code="DO004",
    name="do-kv-backend",
    summary="a Durable Object class is created with the key-value storage backend",
    severity=Severity.WARNING,
    check=check,
    doc=__doc__,
)
