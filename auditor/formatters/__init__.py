"""Formatters: one module per output format, each a function of a Result to text."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from auditor.findings import Result

FORMATS = ("text", "json")


def formatter(name: str) -> Callable[..., str]:
    """Import only the formatter asked for: start-up time is the pre-commit hook's budget."""
    return import_module(f"auditor.formatters.{name}_format").render  # type: ignore[no-any-return]


__all__ = ["FORMATS", "Result", "formatter"]
