"""Paths as the user reads them: relative to the working directory, `/`-separated."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol, TypeVar


def display_path(path: Path, base: Path) -> str:
    try:
        return path.relative_to(base).as_posix() or "."
    except ValueError:
        relative = os.path.relpath(path, base)
        return Path(relative).as_posix() if not relative.startswith("..") else path.as_posix()


class _Rooted(Protocol):
    @property
    def root(self) -> str: ...


R = TypeVar("R", bound=_Rooted)


def innermost(path: str, rooted: Iterable[R]) -> R | None:
    """Of things with a display `root` (Workers, estimates), the one whose root holds the
    display path `path` most closely: a monorepo nests Workers."""
    best = None
    for item in rooted:
        root = item.root
        mine = root in ("", ".") or path == root or path.startswith(root.rstrip("/") + "/")
        if mine and (best is None or len(root) > len(best.root)):
            best = item
    return best
