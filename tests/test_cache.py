"""The cache of parsed source files: a hit gives the facts a parse would, a change of the file
or of the frontends misses, a broken entry or directory never breaks an audit, `--no-cache`
leaves the cache alone, and unused entries are swept."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import auditor.frontends
from auditor import cache as cache_module
from auditor.cache import FactsCache, default_directory
from auditor.engine import audit
from auditor.facts import FileFacts
from auditor.findings import Result
from auditor.sources import SourceFile, read_sources
from tests.test_cli import run

REPO = Path(__file__).parent.parent
WORKERS = {"cache-heavy": REPO / "examples" / "cache-heavy",
           "python": Path(__file__).parent / "fix_samples" / "python_pyproject"}

WRANGLER = """\
name = "w"
main = "src/index.ts"
compatibility_date = "2026-09-01"
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]
"""
INDEX_TS = """\
import { key } from "./keys";

export interface Env { CACHE: KVNamespace }

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const body = await (await fetch(request)).text();
    await env.CACHE.put(key(request.url), body);
    return new Response(body);
  },
};
"""
KEYS_TS = """\
export function key(url: string): string {
  return `page:${url}`;
}
"""


def small_worker(parent: Path) -> Path:
    """Two modules; index.ts has a put without a TTL (KV001)."""
    root = parent / "worker"
    (root / "src").mkdir(parents=True)
    (root / "wrangler.toml").write_text(WRANGLER, encoding="utf-8")
    (root / "src" / "index.ts").write_text(INDEX_TS, encoding="utf-8")
    (root / "src" / "keys.ts").write_text(KEYS_TS, encoding="utf-8")
    return root


def copy_worker(name: str, parent: Path) -> Path:
    root = parent / name
    shutil.copytree(WORKERS[name], root,
                    ignore=shutil.ignore_patterns("*.after-fix", "*.after-unsafe-fixes"))
    return root


def sources_of(root: Path, base: Path) -> list[SourceFile]:
    """The source files as the engine reads them (so with the keys the cache gives them)."""
    return read_sources(root, (), base)[0]


def entries(directory: Path) -> list[Path]:
    return sorted((directory / "facts").glob("*/*.pickle"))


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The display path of every file a frontend parses from now on."""
    parsed: list[str] = []
    real = auditor.frontends.parse_source

    def counting(source: SourceFile) -> FileFacts:
        parsed.append(source.display)
        return real(source)

    monkeypatch.setattr(auditor.frontends, "parse_source", counting)
    return parsed


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(source: SourceFile) -> FileFacts:
        raise AssertionError(f"{source.display} was parsed, not read from the cache")

    monkeypatch.setattr(auditor.frontends, "parse_source", refuse)


def outcome(result: Result) -> tuple[object, ...]:
    return (result.findings, result.errors, result.suppressed, result.estimates, result.failing)


def audited(root: Path, cache: FactsCache | None, base: Path) -> Result:
    return audit([root], {"fail_on": "warning"}, base=base, estimate=True, cache=cache)


# -- hits and misses -------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(WORKERS))
def test_a_second_run_reads_every_file_from_the_cache_and_finds_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    root = copy_worker(name, tmp_path)
    cache = FactsCache(tmp_path / "cache")
    uncached = audited(root, None, tmp_path)
    first = audited(root, cache, tmp_path)
    assert len(entries(tmp_path / "cache")) == len(sources_of(root, tmp_path)) > 0
    no_parsing(monkeypatch)
    second = audited(root, FactsCache(tmp_path / "cache"), tmp_path)
    assert outcome(first) == outcome(uncached)
    assert outcome(second) == outcome(uncached)
    assert uncached.findings


EDGE_LITERALS = {
    "python": b'x = ...\ny = b"raw"\nz = 1j\nw = 123456789012345678901234567890\nu = 1e400\n'
              b't = f"{x!r:>10}"\ndef f(a=..., *b, **c) -> "T": ...\n',
    "typescript": b'const a = 123456789012345678901234567890n; const b = 1e400; const c = /re/g;\n'
                  b'const d = `x${a}y`; const e = -0; const h = "\\ud800";\n',
}


def test_a_hit_is_equal_to_a_parse(tmp_path: Path) -> None:
    """For every frontend sample and odd literal: unpickling builds only auditor.facts classes,
    and nothing a frontend produces needs another."""
    samples = Path(__file__).parent / "frontend_samples"
    sources = [*sources_of(WORKERS["cache-heavy"], REPO), *sources_of(WORKERS["python"], REPO),
               *read_sources(samples, (), REPO)[0]]
    sources += [SourceFile(tmp_path / f"edge.{language}", f"edge.{language}", f"edge.{language}",
                           language, text) for language, text in EDGE_LITERALS.items()]
    assert len(sources) > 15
    cache = FactsCache(tmp_path / "cache")
    for source in sources:
        facts = auditor.frontends.parse_source(source)
        cache.put(source, facts)
        assert cache.get(source) == facts, source.display


def test_a_changed_file_is_parsed_again_and_only_it(tmp_path: Path, parses: list[str]) -> None:
    root = small_worker(tmp_path)
    cache = FactsCache(tmp_path / "cache")
    audited(root, cache, tmp_path)
    assert sorted(parses) == ["worker/src/index.ts", "worker/src/keys.ts"]
    parses.clear()
    (root / "src" / "index.ts").write_text(INDEX_TS.replace("body);", "body, { expirationTtl: 60 });"),
                                           encoding="utf-8")
    after = audited(root, cache, tmp_path)
    assert parses == ["worker/src/index.ts"]
    assert "KV001" not in {f.rule for f in after.findings}
    assert len(entries(tmp_path / "cache")) == 3  # the old entry stays until the sweep


def test_the_display_path_is_part_of_the_key(tmp_path: Path, parses: list[str]) -> None:
    """Facts carry their path: the same file audited from elsewhere is another entry."""
    root = small_worker(tmp_path)
    cache = FactsCache(tmp_path / "cache")
    audited(root, cache, tmp_path)
    audited(root, cache, root)
    assert sorted(parses) == ["src/index.ts", "src/keys.ts", "worker/src/index.ts", "worker/src/keys.ts"]


def test_a_change_of_the_frontends_misses_everything(tmp_path: Path, parses: list[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = small_worker(tmp_path)
    cache = FactsCache(tmp_path / "cache")
    audited(root, cache, tmp_path)
    parses.clear()
    audited(root, cache, tmp_path)
    assert parses == []
    monkeypatch.setattr(cache_module, "implementation", lambda: b"frontends of another version")
    audited(root, cache, tmp_path)
    assert sorted(parses) == ["worker/src/index.ts", "worker/src/keys.ts"]


def test_the_implementation_digest_covers_the_frontends_and_parser_versions() -> None:
    digest = cache_module.implementation()
    assert digest is not None and len(digest) == 32
    assert cache_module.implementation() is digest  # computed once per process
    assert cache_module._installed("libcst").startswith("libcst-")
    assert cache_module._installed("tree_sitter_typescript").startswith("tree_sitter_typescript-")
    assert cache_module._installed("no_such_parser_package") == "no_such_parser_package absent"


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],
    lambda data: b"",
    lambda data: b"not a pickle at all",
    lambda data: pickle.dumps({"path": "worker/src/index.ts"}),
    lambda data: pickle.dumps(FileFacts("worker/src/elsewhere.ts", "typescript")),
], ids=["truncated", "empty", "garbage", "not-facts", "other-path"])
def test_a_broken_entry_is_a_miss_and_is_written_again(tmp_path: Path, parses: list[str],
                                                       damage: Callable[[bytes], bytes]) -> None:
    root = small_worker(tmp_path)
    cache = FactsCache(tmp_path / "cache")
    clean = audited(root, cache, tmp_path)
    (index,) = (s for s in sources_of(root, tmp_path) if s.display.endswith("index.ts"))
    entry = cache.entry(index)
    assert entry is not None
    entry.write_bytes(damage(entry.read_bytes()))
    parses.clear()
    again = audited(root, cache, tmp_path)
    assert parses == ["worker/src/index.ts"]
    assert outcome(again) == outcome(clean)
    assert cache.get(index) == auditor.frontends.parse_source(index)


def test_an_entry_that_would_run_code_is_refused(tmp_path: Path) -> None:
    """Unpickling builds only the classes of auditor.facts."""
    root = small_worker(tmp_path)
    cache = FactsCache(tmp_path / "cache")
    (source, *_) = sources_of(root, tmp_path)
    entry = cache.entry(source)
    assert entry is not None
    entry.parent.mkdir(parents=True)
    entry.write_bytes(pickle.dumps(os.getcwd))  # loading names a function outside auditor.facts
    assert cache.get(source) is None


# -- a cache that cannot be used --------------------------------------------------------------


def _unusable(directory: Path, how: str) -> None:
    if how == "a file where the directory should be":
        directory.write_text("not a directory", encoding="utf-8")
    elif how == "a file where its facts directory should be":
        directory.mkdir()
        (directory / "facts").write_text("not a directory", encoding="utf-8")
    else:
        directory.mkdir(mode=0o500)


@pytest.mark.parametrize("how", ["a file where the directory should be",
                                 "a file where its facts directory should be", "read-only"])
def test_an_unusable_cache_directory_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     how: str) -> None:
    root = small_worker(tmp_path)
    expected = run("check", "--no-cache", "--format", "json", "worker", cwd=tmp_path)
    directory = tmp_path / "cache"
    _unusable(directory, how)
    monkeypatch.setenv("WORKERS_AUDIT_CACHE_DIR", str(directory))
    try:
        for _ in range(2):
            code, out, err = run("check", "--format", "json", "worker", cwd=tmp_path)
            assert (code, out, err) == expected
            assert code == 1 and err == ""
        if how == "read-only" and os.geteuid() != 0:  # root writes anyway
            assert not (directory / "facts").exists()
    finally:
        if directory.is_dir():
            directory.chmod(0o700)  # so that pytest can remove tmp_path
    assert root.is_dir()


# -- the command line ------------------------------------------------------------------------


def test_the_cli_keeps_the_cache_where_workers_audit_cache_dir_says(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    small_worker(tmp_path)
    directory = tmp_path / "my cache"
    monkeypatch.setenv("WORKERS_AUDIT_CACHE_DIR", str(directory))
    code, _, _ = run("check", "worker", cwd=tmp_path)
    assert code == 1
    assert len(entries(directory)) == 2
    assert (directory.stat().st_mode & 0o777) == 0o700
    assert not list((tmp_path / "worker").rglob("*.pickle"))  # nothing in the user's project


def test_no_cache_neither_reads_nor_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = small_worker(tmp_path)
    directory = tmp_path / "cache"
    monkeypatch.setenv("WORKERS_AUDIT_CACHE_DIR", str(directory))
    for command in (("check",), ("estimate",), ("report",), ("baseline", "--output", "b.json")):
        run(*command, "--no-cache", "worker", cwd=tmp_path)
        assert not directory.exists(), command
    # An entry under the right key that says index.ts has nothing in it (no put, no KV001).
    (index,) = (s for s in sources_of(root, tmp_path) if s.display.endswith("index.ts"))
    entry = FactsCache(directory).entry(index)
    assert entry is not None
    entry.parent.mkdir(parents=True)
    entry.write_bytes(pickle.dumps(FileFacts(index.display, index.language)))

    def rules(*options: str) -> set[str]:
        _, out, _ = run("check", "--format", "json", *options, "worker", cwd=tmp_path)
        return {finding["rule"] for finding in json.loads(out)["findings"]}

    assert "KV001" not in rules()  # the planted entry is read
    assert "KV001" in rules("--no-cache")  # and ignored


@pytest.mark.parametrize("command", [("check",), ("estimate",), ("report",),
                                     ("baseline", "--output", "b.json")])
def test_every_auditing_command_uses_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               command: tuple[str, ...]) -> None:
    small_worker(tmp_path)
    directory = tmp_path / "cache"
    monkeypatch.setenv("WORKERS_AUDIT_CACHE_DIR", str(directory))
    first = run(*command, "worker", cwd=tmp_path)
    assert len(entries(directory)) == 2
    no_parsing(monkeypatch)
    assert run(*command, "worker", cwd=tmp_path) == first


def test_the_verification_audit_of_a_fix_parses_only_the_fixed_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[str]) -> None:
    small_worker(tmp_path)
    (tmp_path / "worker" / "workers-audit.toml").write_text("[fix]\nexpiration-ttl = 3600\n",
                                                            encoding="utf-8")
    monkeypatch.setenv("WORKERS_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    run("check", "--fix", "--unsafe-fixes", "worker", cwd=tmp_path)
    assert "expirationTtl: 3600" in (tmp_path / "worker" / "src" / "index.ts").read_text(encoding="utf-8")
    # the first audit parses both files; the second, only the fixed text of index.ts
    assert sorted(parses) == ["worker/src/index.ts", "worker/src/index.ts", "worker/src/keys.ts"]
    parses.clear()
    run("check", "worker", cwd=tmp_path)
    assert parses == []  # the fixed text was cached by the verification


def test_diff_reads_the_files_the_pull_request_leaves_alone_from_the_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parses: list[str]) -> None:
    from tests.test_diff import commit, git

    # As tests/test_diff.py isolates git: no user or system configuration, no outer repository.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.resolve()))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WORKERS_AUDIT_CACHE_DIR", str(tmp_path / "cache"))
    root = small_worker(tmp_path)
    git(root, "init", "-q")
    commit(root, "the Worker")
    (root / "src" / "index.ts").write_text(INDEX_TS.replace("body);", "body, { expirationTtl: 60 });"),
                                           encoding="utf-8")
    code, out, err = run("diff", "--base", "HEAD", "--format", "json", cwd=root)
    assert err == "" and code == 0, out
    assert [finding["rule"] for finding in json.loads(out)["findings"]["fixed"]] == ["KV001"]
    # the base revision's two files, then only the changed one of the working tree
    assert sorted(parses) == ["src/index.ts", "src/index.ts", "src/keys.ts"]


# -- where it lives and how it is swept -----------------------------------------------------


@pytest.mark.parametrize("environ, expected", [
    ({"WORKERS_AUDIT_CACHE_DIR": "/c/wa", "XDG_CACHE_HOME": "/x"}, "/c/wa"),
    ({"WORKERS_AUDIT_CACHE_DIR": "", "XDG_CACHE_HOME": "/x"}, "/x/workers-audit"),
    ({"XDG_CACHE_HOME": "relative/is/ignored"}, "~/.cache/workers-audit"),
    ({}, "~/.cache/workers-audit"),
])
def test_default_directory(environ: dict[str, str], expected: str) -> None:
    assert default_directory(environ) == Path(os.path.expanduser(expected))


def _aged(path: Path, days: float) -> None:
    moment = time.time() - days * 24 * 60 * 60
    os.utime(path, (moment, moment))


def _filled(tmp_path: Path) -> tuple[FactsCache, list[Path]]:
    cache = FactsCache(tmp_path / "cache")
    for source in sources_of(small_worker(tmp_path), tmp_path):
        cache.put(source, auditor.frontends.parse_source(source))
    return cache, entries(tmp_path / "cache")


def test_prune_deletes_entries_unused_for_30_days_and_keeps_the_rest(tmp_path: Path) -> None:
    cache, (old, fresh) = _filled(tmp_path)
    leftover = old.parent / ".abandoned.tmp"  # what a killed write leaves
    leftover.write_bytes(b"half")
    _aged(old, 31)
    _aged(leftover, 31)
    _aged(fresh, 29)
    assert cache.prune() == 2
    assert entries(tmp_path / "cache") == [fresh]
    assert not leftover.exists()


def test_a_hit_keeps_its_entry_from_the_sweep(tmp_path: Path) -> None:
    cache, found = _filled(tmp_path)
    for entry in found:
        _aged(entry, 31)
    sources = sources_of(tmp_path / "worker", tmp_path)
    assert cache.get(sources[0]) is not None
    assert cache.prune() == 1
    assert cache.get(sources[0]) is not None and cache.get(sources[1]) is None


def test_the_sweep_runs_on_a_write_at_most_once_a_day(tmp_path: Path) -> None:
    _, (old, fresh) = _filled(tmp_path)
    stamp = tmp_path / "cache" / "pruned"
    assert stamp.is_file()  # the first write of the first run swept (an empty cache)
    _aged(old, 31)
    other = SourceFile(tmp_path / "x.ts", "x.ts", "x.ts", "typescript", b"export const x = 1;\n")
    FactsCache(tmp_path / "cache").put(other, auditor.frontends.parse_source(other))
    assert old.exists()  # swept less than a day ago
    _aged(stamp, 1.1)
    FactsCache(tmp_path / "cache").put(other, auditor.frontends.parse_source(other))
    assert not old.exists() and fresh.exists()
    assert time.time() - stamp.stat().st_mtime < 60
