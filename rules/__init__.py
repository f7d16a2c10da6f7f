"""The rule registry: every built-in rule, listed explicitly and sorted by code."""

from __future__ import annotations

from auditor.findings import Rule
from auditor.rules import (
    binding_not_inherited,
    budget_exceeded,
    config_unreadable,
    cron_invalid,
    cron_numeric_weekday,
    do_class_not_exported,
    do_kv_backend,
    do_missing_migration,
    do_unguarded_constructor_load,
    duplicate_binding_name,
    free_plan_limit_exceeded,
    invalid_namespace_id,
    kv_delete_on_read,
    kv_expiry_sweep,
    kv_hot_key_write,
    kv_put_missing_ttl,
    kv_ttl_too_short,
    kv_unbounded_key_growth,
    kv_write_in_loop,
    kv_write_per_request,
    shared_kv_namespace,
    suppression_without_reason,
    undeclared_binding,
    unused_binding,
    unused_suppression,
)

RULES: tuple[Rule, ...] = (
    duplicate_binding_name.RULE,
    shared_kv_namespace.RULE,
    undeclared_binding.RULE,
    unused_binding.RULE,
    binding_not_inherited.RULE,
    invalid_namespace_id.RULE,
    config_unreadable.RULE,
    free_plan_limit_exceeded.RULE,
    budget_exceeded.RULE,
    cron_numeric_weekday.RULE,
    cron_invalid.RULE,
    do_class_not_exported.RULE,
    do_missing_migration.RULE,
    do_unguarded_constructor_load.RULE,
    do_kv_backend.RULE,
    kv_put_missing_ttl.RULE,
    kv_ttl_too_short.RULE,
    kv_unbounded_key_growth.RULE,
    kv_expiry_sweep.RULE,
    kv_delete_on_read.RULE,
    kv_write_in_loop.RULE,
    kv_hot_key_write.RULE,
    kv_write_per_request.RULE,
    suppression_without_reason.RULE,
    unused_suppression.RULE,
)

BY_CODE = {rule.code: rule for rule in RULES}


def selected(select: tuple[str, ...], ignore: tuple[str, ...]) -> tuple[Rule, ...]:
    """Rules chosen by code or prefix, as Ruff does: `select` narrows, `ignore` removes."""

    def matches(code: str, selectors: tuple[str, ...]) -> bool:
        return any(s.upper() == "ALL" or code.startswith(s.upper()) for s in selectors)

    return tuple(
        rule for rule in RULES
        if (not select or matches(rule.code, select)) and not matches(rule.code, ignore)
    )
