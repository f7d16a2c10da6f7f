"""Find Worker roots (directories holding a wrangler file) below the paths the user named."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.config.load import CONFIG_NAMES

# Never Worker sources: dependencies, VCS data, build output and wrangler's own state.
SKIPPED_DIRS = frozenset({
    "node_modules", ".git", ".hg", ".svn", ".wrangler", ".venv", "venv", "__pycache__",
    "dist", "build", "out", ".next", ".nuxt", ".svelte-kit", ".output", ".turbo", ".cache",
    "coverage", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".tox",
})


@dataclass(frozen=True)
class WorkerRoot:
    directory: Path
    config: Path


def config_in(directory: Path) -> Path | None:
    """The wrangler file wrangler itself would pick in this directory."""
    for name in CONFIG_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _nearest_root(start: Path) -> WorkerRoot | None:
    for directory in (start, *start.parents):
        found = config_in(directory)
        if found is not None:
            return WorkerRoot(directory, found)
    return None


class _GitIgnore:
    """The .gitignore files met on the way down, each applied to paths below its directory."""

    def __init__(self) -> None:
        self._specs: list[tuple[Path, Any]] = []

    def enter(self, directory: Path) -> None:
        ignore_file = directory / ".gitignore"
        if ignore_file.is_file():
            import pathspec

            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return
            self._specs.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))

    def ignored(self, path: Path, is_dir: bool) -> bool:
        for base, spec in self._specs:
            try:
                relative = path.relative_to(base).as_posix()
            except ValueError:
                continue
            if spec.match_file(relative + "/" if is_dir else relative):
                return True
        return False


def walk(top: Path, nested_roots: bool = True) -> Iterator[tuple[Path, list[str]]]:
    """Each directory from `top` down with the names of its files, `.gitignore`d paths,
    dependencies and build output left out. With `nested_roots=False`, a subdirectory
    holding its own wrangler file is another Worker and is not entered."""
    ignore = _GitIgnore()
    for parent in reversed(top.parents):
        ignore.enter(parent)
    for current, dirs, files in os.walk(top):
        directory = Path(current)
        ignore.enter(directory)
        dirs[:] = sorted(
            d for d in dirs
            if d not in SKIPPED_DIRS and not ignore.ignored(directory / d, is_dir=True)
            and (nested_roots or config_in(directory / d) is None)
        )
        yield directory, sorted(f for f in files if not ignore.ignored(directory / f, is_dir=False))


def _walk(top: Path) -> Iterator[WorkerRoot]:
    for directory, _files in walk(top):
        found = config_in(directory)
        if found is not None:
            yield WorkerRoot(directory, found)


def workflows_home(directory: Path) -> Path | None:
    """The nearest directory from `directory` up that holds `.github/workflows`, stopping at
    the repository's top (where `.git` is): whose scheduled workflows the estimate reads."""
    for current in (directory, *directory.parents):
        if (current / ".github" / "workflows").is_dir():
            return current
        if (current / ".git").exists():
            return None
    return None


def changed_workers(files: Iterable[Path]) -> list[WorkerRoot]:
    """The Workers a commit's changed files can change: the one holding each file, and for
    a GitHub workflow, every Worker below whose estimate reads that workflow's directory
    (a monorepo's workflows sit at the top, above every Worker)."""
    plain: list[Path] = []
    roots: dict[Path, WorkerRoot] = {}
    for path in files:
        path = path.resolve()
        if path.parent.name == "workflows" and path.parent.parent.name == ".github" \
                and path.suffix in (".yml", ".yaml"):
            home = path.parent.parent.parent
            for root in _walk(home):
                if workflows_home(root.directory) == home:
                    roots.setdefault(root.directory, root)
        else:
            plain.append(path)
    for root in discover(plain):
        roots.setdefault(root.directory, root)
    return sorted(roots.values(), key=lambda r: r.directory.as_posix())


def discover(paths: Iterable[Path]) -> list[WorkerRoot]:
    """Worker roots for the given files and directories, each once, in a stable order.

    A directory is searched downwards (a monorepo holds several Workers); a file names the
    Worker it belongs to, the nearest directory above it with a wrangler file.
    """
    roots: dict[Path, WorkerRoot] = {}
    for path in paths:
        path = path.resolve()
        if path.is_dir():
            found: Iterable[WorkerRoot] = _walk(path)
        else:
            nearest = _nearest_root(path.parent)
            found = [nearest] if nearest else []
        for root in found:
            roots.setdefault(root.directory, root)
    return sorted(roots.values(), key=lambda r: r.directory.as_posix())
