"""Import specifiers resolved to the Worker's own files."""

from __future__ import annotations

import pytest

from auditor.imports import PathAliases, read_aliases, resolve_python, resolve_ts

FILES = {
    "src/index.ts", "src/lib/util.ts", "src/lib/index.ts", "src/legacy.js", "src/view.tsx",
    "src/data/dal.mts", "src/types.d.ts", "src/components/index.tsx",
}


@pytest.mark.parametrize(("importer", "specifier", "expected"), [
    ("src/index.ts", "./lib/util", "src/lib/util.ts"),
    ("src/index.ts", "./lib/util.ts", "src/lib/util.ts"),
    ("src/index.ts", "./lib/util.js", "src/lib/util.ts"),  # TypeScript's ESM convention
    ("src/index.ts", "./lib", "src/lib/index.ts"),
    ("src/index.ts", "./lib/index.js", "src/lib/index.ts"),
    ("src/index.ts", "./legacy", "src/legacy.js"),
    ("src/index.ts", "./legacy.js", "src/legacy.js"),
    ("src/index.ts", "./view.js", "src/view.tsx"),
    ("src/index.ts", "./data/dal.mjs", "src/data/dal.mts"),
    ("src/index.ts", "./types", "src/types.d.ts"),
    ("src/index.ts", "./components", "src/components/index.tsx"),
    ("src/lib/util.ts", "../index", "src/index.ts"),
    ("src/lib/util.ts", "../../outside", None),
    ("src/index.ts", "hono", None),
    ("src/index.ts", "./missing", None),
])
def test_resolve_ts(importer: str, specifier: str, expected: str | None) -> None:
    assert resolve_ts(importer, specifier, FILES) == expected


def test_tsconfig_paths() -> None:
    aliases = read_aliases("""{
      // comments and trailing commas, as tsconfig allows
      "compilerOptions": {
        "baseUrl": "./src",
        "paths": { "@/*": ["*"], "@lib": ["lib/index.ts"], },
      },
    }""")
    assert aliases == PathAliases("src", {"@/*": ("*",), "@lib": ("lib/index.ts",)})
    assert resolve_ts("src/index.ts", "@/lib/util", FILES, aliases) == "src/lib/util.ts"
    assert resolve_ts("src/index.ts", "@lib", FILES, aliases) == "src/lib/index.ts"
    assert resolve_ts("src/index.ts", "@other/x", FILES, aliases) is None
    assert read_aliases("{ not json") == PathAliases()
    assert read_aliases(None) == PathAliases()


def test_resolve_python() -> None:
    files = {"src/entry.py", "src/cache.py", "src/lib/__init__.py", "src/lib/keys.py"}
    roots = ["src"]
    assert resolve_python("src/entry.py", "cache", files, roots) == "src/cache.py"
    assert resolve_python("src/entry.py", ".cache", files, roots) == "src/cache.py"
    assert resolve_python("src/lib/keys.py", "..cache", files, roots) == "src/cache.py"
    assert resolve_python("src/entry.py", "lib", files, roots) == "src/lib/__init__.py"
    assert resolve_python("src/entry.py", "lib.keys", files, roots) == "src/lib/keys.py"
    assert resolve_python("src/entry.py", "workers", files, roots) is None
