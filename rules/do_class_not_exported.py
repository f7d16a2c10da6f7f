"""A Durable Object binding names a class the Worker's main module does not export.

## What it does
Reports a Durable Object binding of this Worker (no `script_name`, or its own name) whose
`class_name` is not exported by the module `main` points at: not exported at all, only
defined in another module, brought in as a type only, or exported under another name.
Re-exports (`export { Counter } from "./counter"`, `export * from "./objects"`) count.
For a Python Worker, the public top-level names of the main module are its exports.

## Why is this bad?
The runtime looks the class up among the main module's exports. When it is not there,
the upload of the Worker is rejected, typically in CI after the build has run.

## Example
```ts
// src/index.ts, main
class RateLimiter extends DurableObject {}
export default { fetch() {} };
```

Use instead:
```ts
export class RateLimiter extends DurableObject {}
export default { fetch() {} };
```

## Known problems
When `main` is not a source file of the project (a build output, a missing file), the
rule cannot see the exports and stays silent.

## References
- https://developers.cloudflare.com/durable-objects/get-started/
- https://developers.cloudflare.com/workers/wrangler/configuration/#durable-objects
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.config.durable_objects import own_class_bindings
from auditor.findings import Rule, Severity, Violation
from auditor.program import Program
from auditor.settings import Settings
from auditor.values import ClassRef


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    entry = program.entry
    if entry is None or entry not in program.modules:
        return
    main = program.modules[entry]
    for environment in program.environments():
        for binding in own_class_bindings(environment):
            class_name = binding.field("class_name")
            if class_name is None or not isinstance(class_name.value, str) or not class_name.value:
                continue
            name = class_name.value
            if isinstance(program.resolver.exported(entry, name, runtime=True), ClassRef):
                continue
            yield Violation(
                class_name.location,
                f"Durable Object class `{name}` (binding `{binding.name}`) is not exported by "
                f"`{main.display}`{_why(program, main.key, name)}",
                binding=binding.name,
                environment=environment.name,
                anchor=f"{binding.name}:{name}",
            )


def _why(program: Program, entry: str, name: str) -> str:
    renamed = [e.name for exports in program.modules[entry].exports.values() for e in exports
               if e.local == name and e.name != name]
    if renamed:
        return f": it is exported as `{renamed[0]}`; export it as `{name}` or bind `{renamed[0]}`"
    defined = [m.display for m in program.modules.values() if name in m.classes]
    if defined and defined[0] != program.modules[entry].display:
        return f": it is defined in `{defined[0]}`; re-export it from the main module"
    if defined:
        return ": add `export` to its declaration"
    return ": no module of the Worker defines it"


RULE = Rule(
    code="DO001",
    name="do-class-not-exported",
    summary="a Durable Object binding names a class the main module does not export",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
