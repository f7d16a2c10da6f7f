"""Which source files a Worker has, and which are reported and skipped."""

from __future__ import annotations

from pathlib import Path

from auditor.sources import MAX_SOURCE_BYTES, read_sources


def layout(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def test_sources_languages_ignores_and_nested_workers(tmp_path: Path) -> None:
    root = layout(tmp_path, {
        "wrangler.toml": b'name = "w"\n',
        ".gitignore": b"generated/\n",
        "src/index.ts": b"export default {};\n",
        "src/view.tsx": b"export const v = <div/>;\n",
        "src/util.mjs": b"export const u = 1;\n",
        "src/entry.py": b"x = 1\n",
        "src/env.d.ts": b"interface Env { CACHE: KVNamespace }\n",
        "src/notes.md": b"# not code\n",
        "src/index.test.ts": b"test();\n",
        "generated/api.ts": b"export {};\n",
        "node_modules/pkg/index.js": b"module.exports = {};\n",
        "dist/worker.js": b"bundle();\n",
        "packages/other/wrangler.toml": b'name = "other"\n',
        "packages/other/src/index.ts": b"export default {};\n",
    })
    files, skipped = read_sources(root, ("src/**/*.test.ts",), base=root)
    assert [(f.display, f.language) for f in files] == [
        ("src/entry.py", "python"),
        ("src/env.d.ts", "typescript"),
        ("src/index.ts", "typescript"),
        ("src/util.mjs", "javascript"),
        ("src/view.tsx", "tsx"),
    ]
    assert skipped == []


def test_binary_huge_and_non_utf8_files_are_reported(tmp_path: Path) -> None:
    root = layout(tmp_path, {
        "wrangler.toml": b"",
        "src/blob.js": b"\x00\x01\x02binary",
        "src/bundle.js": b"x" * (MAX_SOURCE_BYTES + 1),
        "src/latin1.ts": b"const a = 1;\nconst b = '\xe9';\n",
        "src/ok.ts": b"export {};\n",
    })
    files, skipped = read_sources(root, (), base=tmp_path)
    assert [f.display for f in files] == ["src/ok.ts"]
    reasons = {s.display: (s.line, s.reason) for s in skipped}
    assert reasons["src/blob.js"] == (1, "skipped: a binary file")
    assert reasons["src/latin1.ts"] == (2, "skipped: the file is not valid UTF-8")
    assert "over the 1024 KiB limit" in reasons["src/bundle.js"][1]
