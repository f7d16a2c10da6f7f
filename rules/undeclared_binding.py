"""The code uses a binding that an environment the Worker deploys to does not declare.

## What it does
Reports a use of `env.NAME` (in any access form: `this.env.NAME`, `c.env.NAME`,
`context.env.NAME`, destructuring, `env["NAME"]`, Python `self.env.NAME`, the `env` of
`cloudflare:workers`) where NAME is not declared in some deploy target: the top level or
an `[env.X]`. A use counts when the code uses NAME as a binding (calls a method on it) or
the `Env` type declares it with a binding type; a plain read of an undeclared string is
most often a secret set with `wrangler secret put` and is not reported, unless the
configuration lists its secrets in `secrets.required`. Names in `.dev.vars` count as
secrets. When every use is guarded (`if (env.NAME)`, `env.NAME?.…`), the finding is at
info level and says the guarded code is dead in that environment.

## Why is this bad?
Bindings are not inherited by environments: in the target that lacks it, `env.NAME` is
`undefined` and the first request that reaches `env.NAME.put(…)` throws
`TypeError: Cannot read properties of undefined`. Guarded code does not throw, but it
silently never runs there: the backup is never written.

## Example
```ts
await env.BACKUP_KV.put(key, body); // BACKUP_KV is not in [env.production]
```

Use instead: declare the binding in every environment that runs this code, or guard the
use and accept that it does not run there.

## Known problems
A secret set with `wrangler secret put` is invisible to the configuration; undeclared
names read only as values are therefore not reported unless `secrets.required` is used.
The env kept in a module-level variable and read later is not followed.

## References
- https://developers.cloudflare.com/workers/wrangler/environments/
- https://developers.cloudflare.com/workers/configuration/secrets/
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from auditor.config.model import Environment
from auditor.facts import EnvAccess, Span
from auditor.findings import Location, Rule, Severity, Violation
from auditor.program import Module, Program
from auditor.resolve import KIND_OF_TYPE, base_type
from auditor.settings import Settings
from auditor.values import Scope, WorkerEnv


@dataclass(frozen=True)
class _Use:
    module: Module
    access: EnvAccess
    guarded: bool


def check(program: Program, settings: Settings) -> Iterator[Violation]:
    uses: dict[str, list[_Use]] = {}
    for module in program.modules.values():
        tests = _test_spans(module)
        for access in module.facts.env_accesses:
            if access.span in tests:
                continue  # `if (env.X)` asks whether X exists
            base = program.resolver.resolve(access.base, Scope(module.key, access.function))
            if not isinstance(base, WorkerEnv):
                continue
            guarded = access.optional or any(
                c.test is not None and access.name in c.test.text for c in access.conditions)
            uses.setdefault(access.name, []).append(_Use(module, access, guarded))
    for name, found in uses.items():
        all_guarded = all(use.guarded for use in found)
        for environment in program.environments():
            if _declared(program, environment, name):
                continue
            for use in found:
                if use.guarded and not all_guarded:
                    continue
                if not _binding_like(program, environment, use):
                    continue
                yield _violation(use, environment, all_guarded)


def _declared(program: Program, environment: Environment, name: str) -> bool:
    if any(b.name == name for b in environment.bindings):
        return True
    lists_secrets = bool(environment.bindings_of("secrets"))
    return not lists_secrets and name in program.dev_vars


def _binding_like(program: Program, environment: Environment, use: _Use) -> bool:
    """A method called on it, a binding type in the Env interface, or secrets listed."""
    if environment.bindings_of("secrets"):
        return True
    access, module = use.access, use.module
    for call in module.calls.get(access.function, ()):
        target = call.callee.target if call.callee.kind == "member" else None
        if target is None:
            continue
        if target.span == access.span or (target.kind == "name" and target.name == access.name):
            return True
    type_text = next((t for m in program.modules.values() for td in m.types.values()
                      for n, t in td.members if n == access.name), None)
    return base_type(type_text) in KIND_OF_TYPE


def _test_spans(module: Module) -> set[Span]:
    """Spans of expressions used as a whole condition, or negated as one (`!env.X`)."""
    spans: set[Span] = set()
    facts = module.facts
    for conditions in [c.conditions for c in facts.calls] + [d.conditions for d in facts.declarations] \
            + [r.conditions for r in facts.returns] + [a.conditions for a in facts.env_accesses]:
        for condition in conditions:
            if condition.kind == "optional":
                continue  # `env.X?.put()`: the chain, not a test of its own
            test = condition.test
            while test is not None:
                spans.add(test.span)
                test = test.target if test.kind == "unary" else None
    return spans


def _violation(use: _Use, environment: Environment, guarded: bool) -> Violation:
    span = use.access.span
    where = "the top level" if environment.name is None else f"`{environment.name}`"
    message = f"`{use.access.name}` is not declared in {where}"
    if environment.bindings_of("secrets"):
        message += " (neither a binding, a var, nor in `secrets.required`)"
    if guarded:
        message += ": every use is guarded, so the guarded code is dead there"
    else:
        message += ": the binding is undefined there and this use throws"
    return Violation(
        Location(use.module.display, span.line, span.column, span.end_line, span.end_column),
        message,
        binding=use.access.name,
        environment=environment.name,
        severity=Severity.INFO if guarded else None,
        anchor=f"{environment.name}:{use.access.name}:{use.access.function}",
    )


RULE = Rule(
    code="CF003",
    name="undeclared-binding",
    summary="the code uses a binding an environment it deploys to does not declare",
    severity=Severity.ERROR,
    check=check,
    doc=__doc__,
)
