"""Paths as the user reads them: relative to the working directory, `/`-separated."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix() or "."
    except ValueError:
        relative = os.path.relpath(path, base)
        return Path(relative).as_posix() if not relative.startswith("..") else path.as_posix()
