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

from auditor.config.durable_objects import Lifecycle, lifecycle, own_class_bindings
from auditor.config.model import Environment
from auditor.findings import Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    for environment in program.environments():
        bindings = own_class_bindings(environment)
        if not bindings:
            continue
        classes = lifecycle(environment)
        for binding in bindings:
            class_name = binding.field("class_name")
            if class_name is None or not isinstance(class_name.value, str):
                continue
            name = class_name.value
            if not name or name in classes.live:
                continue
            removal = classes.removed.get(name)
            why = removal.why if removal else _never_created(environment)
            yield Violation(
                location=class_name.location,
                message=(f"Durable Object class `{name}` (binding `{binding.name}`) {why}, "
                         f"so {_deploy(environment)} fails: "
                         f"{_remedy(environment, name, class_name.location.path, classes)}"),
                binding=binding.name,
                environment=environment.name,
                related=(removal.where,) if removal else (),
                anchor=f"{environment.name}:{binding.name}:{name}",
            )


def _deploy(environment: Environment) -> str:
    return "the deploy" if environment.name is None else f"the deploy of {environment.label}"


def _never_created(environment: Environment) -> str:
    if environment.migrations:
        return "is created by no migration and has no `exports` entry"
    return "has no migration and no `exports` entry"


def _remedy(environment: Environment, name: str, path: str, classes: Lifecycle) -> str:
    successor = classes.successor(name)
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
    return f"remove the binding or {fix}" if name in classes.removed else fix


RULE = Rule(
    code="DO002",
    name="do-missing-migration",
    summary="a bound Durable Object class has no migration or `exports` entry",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
