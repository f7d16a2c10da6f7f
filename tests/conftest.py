"""Shared test helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def facts_cache_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The cache of parsed files in a directory of the session's, never the real home.

    Session-scoped (a MonkeyPatch of its own, not the function-scoped fixture) so that it is
    set before any module-scoped fixture copies os.environ for a subprocess (the pre-commit
    hook's)."""
    directory = tmp_path_factory.mktemp("facts-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("WORKERS_AUDIT_CACHE_DIR", str(directory))
        yield directory
