"""The Program's resolver on real fixture Workers: bindings through classes, closures,
imports, framework contexts and call sites."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.config.load import load_config
from auditor.discover import WorkerRoot, config_in
from auditor.engine import _program
from auditor.findings import Result
from auditor.program import Program
from auditor.settings import Settings
from auditor.values import Binding, FunctionRef, Instance, Parameter, Scope, WorkerEnv

FIXTURES = Path(__file__).parent / "fixtures"


def program_for(case: str) -> Program:
    root = FIXTURES / case
    config_file = config_in(root)
    assert config_file is not None
    config = load_config(config_file.read_bytes(), config_file.name, ".")
    return _program(config, None, WorkerRoot(root, config_file), Settings(), root, Result())


def calls_named(program: Program, module: str, method: str) -> list:
    found = program.modules[module]
    return [(found, c) for calls in found.calls.values() for c in calls
            if c.callee.kind == "member" and c.callee.name == method]


def test_binding_through_a_parameter_property_inside_a_retry_closure() -> None:
    program = program_for("kv_put_missing_ttl/data_access_layer")
    resolver = program.resolver
    (module, put), *_ = calls_named(program, "src/dal.ts", "put")
    receiver = resolver.resolve(put.callee.target, Scope(module.key, put.function))
    assert receiver == Binding("CACHE", "kv_namespaces")
    options = put.args[2].args[0]  # `options` in `options ?? {}`
    assert resolver.resolve(options, Scope(module.key, put.function)) == \
        Parameter("src/dal.ts", "DataAccessLayer.write", 2)


def test_callers_of_a_method_through_new_and_through_a_typed_field() -> None:
    program = program_for("kv_put_missing_ttl/data_access_layer")
    callers = program.resolver.callers("src/dal.ts", "DataAccessLayer.write")
    where = sorted((m.key, c.span.line) for m, c in callers)
    assert [line for key, line in where if key == "src/index.ts"] == [24, 30, 32]  # via `new`
    assert any(key == "src/service.ts" for key, _ in where)  # this.dal.write via a typed field


@pytest.mark.parametrize(("case", "module", "method", "binding"), [
    ("kv_put_missing_ttl/hono_app", "src/index.ts", "put", "SESSIONS"),
    ("kv_put_missing_ttl/direct_puts", "src/index.ts", "put", "CACHE"),
])
def test_bindings_in_handlers_and_framework_contexts(case: str, module: str, method: str,
                                                     binding: str) -> None:
    program = program_for(case)
    resolved = {program.resolver.resolve(c.callee.target, Scope(m.key, c.function))
                for m, c in calls_named(program, module, method)}
    assert any(isinstance(v, Binding) and v.name == binding for v in resolved), resolved


def test_env_and_instances() -> None:
    program = program_for("kv_put_missing_ttl/data_access_layer")
    module = program.modules["src/index.ts"]
    fetch = module.functions["default.fetch"]
    scope = Scope(module.key, fetch.id)
    from auditor.facts import Expr, Span

    span = Span(1, 1, 1, 1)
    assert program.resolver.resolve(Expr("name", span, name="env"), scope) == WorkerEnv()
    dal = program.resolver.resolve(Expr("name", span, name="dal"), scope)
    assert isinstance(dal, Instance) and dal.name == "DataAccessLayer"
    write = program.resolver.member(dal, "write", 0)
    assert isinstance(write, FunctionRef) and write.function == "DataAccessLayer.write"


def test_short_lived_expressions_do_not_share_answers() -> None:
    """The resolver memoises by id(expr): an expression built, resolved and dropped
    must not hand its answer to the next one CPython puts at the same address."""
    program = program_for("kv_put_missing_ttl/data_access_layer")
    module = program.modules["src/index.ts"]
    scope = Scope(module.key, module.functions["default.fetch"].id)
    from auditor.facts import Expr, Span

    for _ in range(50):
        assert program.resolver.resolve(Expr("name", Span(1, 1, 1, 1), name="env"), scope) == WorkerEnv()
        dal = program.resolver.resolve(Expr("name", Span(1, 1, 1, 1), name="dal"), scope)
        assert isinstance(dal, Instance) and dal.name == "DataAccessLayer", dal
