"""The source files of one Worker: which to parse, and which to report and skip."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from auditor.discover import walk
from auditor.paths import display_path

LANGUAGES = {
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".py": "python",
}
# A Worker's own sources are small; a file past this is a generated bundle or vendored
# code, and parsing it would cost the pre-commit hook seconds for nothing it could fix.
MAX_SOURCE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SourceFile:
    path: Path
    key: str  # relative to the Worker root, `/`-separated: what imports resolve against
    display: str
    language: str
    source: bytes


@dataclass(frozen=True)
class Skipped:
    display: str
    reason: str
    line: int = 1


def read_sources(root: Path, exclude: tuple[str, ...], base: Path,
                 overlay: Mapping[Path, bytes] | None = None) -> tuple[list[SourceFile], list[Skipped]]:
    """Read every source file under the Worker root once.

    `exclude` takes gitignore-style patterns relative to the root (`src/**/*.test.ts`,
    `*.generated.ts`), the syntax users already write in .gitignore. `overlay` maps
    resolved paths to contents that stand in for the files on disk (a fix being checked).
    """
    import pathspec

    excluded = pathspec.GitIgnoreSpec.from_lines(exclude)
    files: list[SourceFile] = []
    skipped: list[Skipped] = []
    for directory, names in walk(root, nested_roots=False):
        for name in names:
            path = directory / name
            language = LANGUAGES.get(path.suffix)
            if language is None:
                continue
            if excluded.match_file(path.relative_to(root).as_posix()):
                continue
            display = display_path(path, base)
            if overlay and path.resolve() in overlay:
                problem, source = _check(overlay[path.resolve()])
            else:
                problem, source = _read(path)
            if problem is not None:
                skipped.append(Skipped(display, problem[0], problem[1]))
                continue
            files.append(SourceFile(path, path.relative_to(root).as_posix(), display, language, source))
    return files, skipped


def _read(path: Path) -> tuple[tuple[str, int] | None, bytes]:
    try:
        size = path.stat().st_size
        if size > MAX_SOURCE_BYTES:
            return (f"skipped: {size // 1024} KiB is over the {MAX_SOURCE_BYTES // 1024} KiB "
                    "limit for a source file (a bundle or generated code?)", 1), b""
        source = path.read_bytes()
    except OSError as error:
        return (f"skipped: cannot read the file: {error.strerror}", 1), b""
    return _check(source)


def _check(source: bytes) -> tuple[tuple[str, int] | None, bytes]:
    if b"\0" in source[:8192]:
        return ("skipped: a binary file", 1), b""
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as error:
        line = source[: error.start].count(b"\n") + 1
        return ("skipped: the file is not valid UTF-8", line), b""
    return None, source
