"""Resolve an import specifier to a source file of the Worker, as TypeScript's bundler
resolution does (relative paths, index files, `.js` naming a `.ts` file, tsconfig `paths`)
and as Python resolves modules next to the Worker's main module."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

# Tried in this order for a specifier without an extension (and for index files).
TS_EXTENSIONS = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs", ".d.ts")
# TypeScript's ESM convention: `import "./util.js"` names the `util.ts` that compiles to it.
SOURCE_FOR_OUTPUT = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}


@dataclass(frozen=True)
class PathAliases:
    """tsconfig `compilerOptions.paths`, already made relative to the Worker root."""

    base: str = "."  # baseUrl, relative to the Worker root, `/`-separated
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def candidates(self, specifier: str) -> list[str]:
        found = []
        for pattern, targets in self.paths.items():
            if "*" in pattern:
                prefix, _, suffix = pattern.partition("*")
                if specifier.startswith(prefix) and specifier.endswith(suffix) and \
                        len(specifier) >= len(prefix) + len(suffix):
                    middle = specifier[len(prefix): len(specifier) - len(suffix)]
                    found += [_join(self.base, t.replace("*", middle, 1)) for t in targets]
            elif pattern == specifier:
                found += [_join(self.base, t) for t in targets]
        return found


def _join(base: str, relative: str) -> str:
    return _normalise(str(PurePosixPath(base) / relative))


def _normalise(path: str) -> str:
    """Collapse `.` and `..` without touching the disk; None of ours climbs above the root."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            else:
                parts.append(part)
        else:
            parts.append(part)
    return "/".join(parts)


def _with_extensions(stem: str, files: Collection[str]) -> str | None:
    if stem in files:
        return stem
    suffix = PurePosixPath(stem).suffix
    for source_suffix in SOURCE_FOR_OUTPUT.get(suffix, ()):
        candidate = stem[: -len(suffix)] + source_suffix
        if candidate in files:
            return candidate
    for extension in TS_EXTENSIONS:
        if stem + extension in files:
            return stem + extension
    for extension in TS_EXTENSIONS:
        if f"{stem}/index{extension}" in files:
            return f"{stem}/index{extension}"
    return None


def resolve_ts(importer: str, specifier: str, files: Collection[str],
               aliases: PathAliases | None = None) -> str | None:
    """The file (root-relative, `/`-separated) an import names, or None for a package."""
    if specifier.startswith((".", "/")):
        directory = str(PurePosixPath(importer).parent)
        return _with_extensions(_join(directory, specifier), files)
    for candidate in (aliases.candidates(specifier) if aliases else []):
        found = _with_extensions(candidate, files)
        if found is not None:
            return found
    return None


def resolve_python(importer: str, module: str, files: Collection[str], roots: Collection[str]) -> str | None:
    """`from .util import f` (relative to the importer's package) or `from util import f`
    (next to the Worker's main module, or from another root such as `src`)."""
    if module.startswith("."):
        level = len(module) - len(module.lstrip("."))
        package = PurePosixPath(importer).parent
        for _ in range(level - 1):
            package = package.parent
        bases = [str(package)]
        module = module[level:]
    else:
        bases = list(roots)
    relative = module.replace(".", "/")
    for base in bases:
        stem = _join(base, relative) if relative else _normalise(base)
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            if candidate in files:
                return candidate
    return None


def read_aliases(tsconfig_text: str | None) -> PathAliases:
    """baseUrl and paths from a tsconfig.json (JSONC); anything unreadable gives none."""
    if not tsconfig_text:
        return PathAliases()
    from auditor.config.document import ConfigSyntaxError
    from auditor.config.jsonc import read_jsonc

    try:
        data = read_jsonc(tsconfig_text, "tsconfig.json").data
    except ConfigSyntaxError:
        return PathAliases()
    options = data.get("compilerOptions")
    if not isinstance(options, dict):
        return PathAliases()
    base = options.get("baseUrl")
    base = base if isinstance(base, str) else "."
    raw_paths = options.get("paths")
    raw_paths = raw_paths if isinstance(raw_paths, dict) else {}
    paths = {
        pattern: tuple(t for t in targets if isinstance(t, str))
        for pattern, targets in raw_paths.items()
        if isinstance(targets, list)
    }
    return PathAliases(_normalise(base) or ".", paths)
