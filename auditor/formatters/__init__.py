"""Formatters: one module per output format, each a function of a Result to text."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from auditor.findings import Result

FORMATS = ("text", "json", "sarif", "github", "markdown")
ESTIMATE_FORMATS = ("text", "json", "markdown")


def formatter(name: str) -> Callable[..., str]:
    """Import only the formatter asked for: start-up time is the pre-commit hook's budget."""
    return import_module(f"auditor.formatters.{name}_format").render  # type: ignore[no-any-return]


def estimate_formatter(name: str) -> Callable[..., str]:
    """`workers-audit estimate`: the estimate as text or Markdown, or the whole JSON contract."""
    if name == "json":
        return formatter("json")
    module = import_module("auditor.formatters.estimate_format")
    if name == "markdown":
        return lambda result, **_: module.render_markdown(result)
    return module.render_text  # type: ignore[no-any-return]


__all__ = ["ESTIMATE_FORMATS", "FORMATS", "Result", "estimate_formatter", "formatter"]
