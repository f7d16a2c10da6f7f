"""The pre-commit hook end to end: the real pre-commit installs it from this repository and
runs it on the staged files of a throw-away repository."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
HOOK_ID = "workers-audit"

WRANGLER_TOML = """\
name = "page-cache"
main = "src/index.ts"
compatibility_date = "2026-09-01"

[[kv_namespaces]]
binding = "CACHE"
id = "0f2ac74b498b48028cb68387c421e279"
"""

# A low figure keeps the estimate under the free plan's write limit: the only finding of
# the Worker below is then KV001, and fixing it makes the commit clean.
SETTINGS_TOML = """\
[usage]
requests-per-day = 500
"""

INDEX_TS = """\
export interface Env {
  CACHE: KVNamespace;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const key = new URL(request.url).pathname;
    const cached = await env.CACHE.get(key);
    if (cached !== null) {
      return new Response(cached);
    }
    const body = await (await fetch(request)).text();
    await env.CACHE.put(key, body);
    return new Response(body);
  },
};
"""
PUT_LINE = INDEX_TS.splitlines().index("    await env.CACHE.put(key, body);") + 1
FIXED_TS = INDEX_TS.replace("put(key, body)", "put(key, body, { expirationTtl: 3600 })")


# -- the manifest -------------------------------------------------------------------------

def _hook() -> dict[str, object]:
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert isinstance(hook, dict)
    return hook


def test_manifest_declares_the_hook() -> None:
    hook = _hook()
    assert hook["id"] == HOOK_ID
    assert hook["entry"] == "workers-audit check --changed-files"
    assert hook["language"] == "python"
    assert hook["require_serial"] is True
    assert hook.get("pass_filenames", True) is True
    assert isinstance(hook["minimum_pre_commit_version"], str)
    assert hook["description"]


@pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                    reason="pre-commit is not installed (pip install pre-commit, or the test extra)")
def test_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    (hook,) = load_manifest(str(MANIFEST))
    assert hook["id"] == HOOK_ID


@pytest.mark.parametrize(("path", "runs"), [
    ("wrangler.toml", True),
    ("workers/api/wrangler.json", True),
    ("workers/api/wrangler.jsonc", True),
    ("workers-audit.toml", True),
    ("workers/py/pyproject.toml", True),
    ("workers/api/.dev.vars", True),
    ("tsconfig.json", True),
    ("src/index.ts", True),
    ("src/env.d.ts", True),
    ("src/App.tsx", True),
    ("src/a.mts", True),
    ("src/a.cts", True),
    ("src/a.js", True),
    ("src/a.jsx", True),
    ("src/a.mjs", True),
    ("src/a.cjs", True),
    ("src/entry.py", True),
    (".github/workflows/nightly.yml", True),
    (".github/workflows/nightly.yaml", True),
    ("README.md", False),
    ("package.json", False),
    ("tsconfig.base.json", False),
    ("wrangler.toml.bak", False),
    ("my-wrangler.toml", False),
    (".dev.vars.example", False),
    ("src/index.ts.orig", False),
    ("src/cache.pyc", False),
    (".github/workflows/scripts/nightly.yml", False),
    ("docs/wrangler.toml.md", False),
])
def test_files_pattern(path: str, runs: bool) -> None:
    # pre-commit matches `files` with re.search against the path from the repository root.
    assert bool(re.search(str(_hook()["files"]), path)) is runs


# -- end to end ---------------------------------------------------------------------------

def _pre_commit() -> list[str] | None:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    found = shutil.which("pre-commit")
    return [found] if found else None


def readme_pre_commit_config() -> dict[str, Any]:
    """The `.pre-commit-config.yaml` the README tells users to write."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```$", readme, re.M | re.S)
              if re.match(r"repos:", block)]
    assert len(blocks) == 1, "the README has one `.pre-commit-config.yaml` snippet"
    config = blocks[0]
    assert isinstance(config, dict)
    return config


def test_readme_config_uses_the_hook() -> None:
    (repo,) = readme_pre_commit_config()["repos"]
    assert re.fullmatch(r"https://\S+/workers-audit", repo["repo"])
    assert repo["rev"]
    assert [hook["id"] for hook in repo["hooks"]] == [HOOK_ID]


@dataclass(frozen=True)
class HookRepo:
    """A commit of this repository's working tree, and pre-commit with its own home and git
    settings, shared by the tests of this module: `pre-commit run` installs the hook once."""

    path: Path
    rev: str
    pre_commit: list[str]
    env: dict[str, str]

    def git(self, cwd: Path, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=cwd, env=self.env, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
        return done.stdout

    def config(self) -> str:
        """The README's `.pre-commit-config.yaml`, pointed at this commit."""
        config = readme_pre_commit_config()
        (repo,) = config["repos"]
        repo.update(repo=str(self.path), rev=self.rev)
        return str(yaml.safe_dump(config, sort_keys=False))

    def pre_commit_run(self, cwd: Path) -> subprocess.CompletedProcess[str]:
        """`pre-commit run` on the staged files of the repository at `cwd`, whose staged
        `.pre-commit-config.yaml` installs the hook from this commit."""
        return self._pre_commit(cwd, "run")

    def try_repo(self, cwd: Path) -> subprocess.CompletedProcess[str]:
        """`pre-commit try-repo` on the staged files of the repository at `cwd`. It installs
        the hook into a store of its own each time, whatever PRE_COMMIT_HOME says."""
        return self._pre_commit(cwd, "try-repo", str(self.path), HOOK_ID)

    def _pre_commit(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        # --verbose prints a hook's output even when it passes: a clean run must print nothing.
        return subprocess.run([*self.pre_commit, *args, "--verbose", "--color", "never"],
                              cwd=cwd, env=self.env, capture_output=True, text=True, timeout=1200,
                              check=False)


def copy_working_tree(destination: Path) -> None:
    """Copy what a commit of the working tree would hold: tracked and untracked files, less
    the ignored ones and those deleted from disk. Needs git and a checkout."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()}):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    pre_commit = _pre_commit()
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if pre_commit is None:
        pytest.skip("pre-commit is not installed (pip install pre-commit, or the test extra)")
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout: the hook is installed from a commit of it")

    base = tmp_path_factory.mktemp("pre-commit")
    gitconfig = base / "gitconfig"
    gitconfig.write_text("[user]\n\tname = workers-audit tests\n\temail = tests@example.invalid\n"
                         "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n",
                         encoding="utf-8")
    # Variables a surrounding git hook sets (GIT_DIR, GIT_INDEX_FILE, ...) would point these
    # commands at the wrong repository; the user's git and pre-commit settings stay out too.
    env = {name: value for name, value in os.environ.items() if not name.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1",
               PRE_COMMIT_HOME=str(base / "home"), PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_INPUT="1")

    # try-repo on a repository with uncommitted changes commits the tracked ones into a
    # shadow copy but leaves untracked files out, so a new module would be missing from the
    # hook it installs. A commit of the whole working tree tests the code as it is.
    snapshot = base / "workers-audit"
    copy_working_tree(snapshot)
    repo = HookRepo(snapshot, "", pre_commit, env)
    repo.git(snapshot, "init", "--quiet")
    repo.git(snapshot, "add", "--all", "--force")
    repo.git(snapshot, "commit", "--quiet", "--no-verify", "--message", "working tree")
    return HookRepo(snapshot, repo.git(snapshot, "rev-parse", "HEAD").strip(), pre_commit, env)


def _fresh_repository(hook_repo: HookRepo, path: Path, files: dict[str, str]) -> Path:
    path.mkdir()
    hook_repo.git(path, "init", "--quiet")
    _stage(hook_repo, path, {".pre-commit-config.yaml": hook_repo.config(), **files})
    return path


def _stage(hook_repo: HookRepo, repository: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = repository / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    hook_repo.git(repository, "add", "--", *files)


def _hook_output(run: subprocess.CompletedProcess[str]) -> tuple[str, list[str]]:
    """The hook's status (Passed, Failed, Skipped) and the lines it printed, from
    `pre-commit --verbose` output."""
    lines = run.stdout.splitlines()
    for index, line in enumerate(lines):
        status = re.match(r"workers-audit\.*(\(no files to check\))?(Passed|Failed|Skipped)$", line)
        if status:
            printed = [text for text in lines[index + 1:]
                       if text.strip() and not text.startswith(("- hook id:", "- duration:", "- exit code:"))]
            return status.group(2), printed
    raise AssertionError(f"no status line of the hook in:\n{run.stdout}\n{run.stderr}")


def _kv001(printed: list[str]) -> list[str]:
    return [line for line in printed if " KV001 " in line]


KV001_LINE = f"worker/src/index.ts:{PUT_LINE}:11: KV001 put to `CACHE` has no expirationTtl or expiration"
WORKER = {
    "worker/wrangler.toml": WRANGLER_TOML,
    "worker/workers-audit.toml": SETTINGS_TOML,
    "worker/src/index.ts": INDEX_TS,
}


def test_hook_fails_on_a_finding_and_passes_once_fixed(hook_repo: HookRepo, tmp_path: Path) -> None:
    repository = _fresh_repository(hook_repo, tmp_path / "project", {**WORKER, "README.md": "# project\n"})

    failing = hook_repo.pre_commit_run(repository)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    status, printed = _hook_output(failing)
    assert status == "Failed"
    assert "- exit code: 1" in failing.stdout
    assert _kv001(printed) == [KV001_LINE], printed

    _stage(hook_repo, repository, {"worker/src/index.ts": FIXED_TS})
    passing = hook_repo.pre_commit_run(repository)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert _hook_output(passing) == ("Passed", [])


def test_try_repo_runs_the_hook(hook_repo: HookRepo, tmp_path: Path) -> None:
    # How a hook author tries the hook without a configuration: `pre-commit try-repo`.
    repository = tmp_path / "project"
    repository.mkdir()
    hook_repo.git(repository, "init", "--quiet")
    _stage(hook_repo, repository, WORKER)

    failing = hook_repo.try_repo(repository)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    status, printed = _hook_output(failing)
    assert status == "Failed"
    assert _kv001(printed) == [KV001_LINE], printed


def test_hook_is_silent_when_no_changed_file_is_in_a_worker(hook_repo: HookRepo, tmp_path: Path) -> None:
    # A Worker with a finding sits in the repository, but the commit touches none of its files.
    repository = _fresh_repository(hook_repo, tmp_path / "project", WORKER)
    hook_repo.git(repository, "commit", "--quiet", "--no-verify", "--message", "a Worker")
    _stage(hook_repo, repository, {
        "scripts/release.py": "print('release')\n",  # matches `files`: the hook runs on it
        "docs/notes.md": "notes\n",
    })

    run = hook_repo.pre_commit_run(repository)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _hook_output(run) == ("Passed", [])


def test_hook_is_skipped_when_nothing_it_reads_changed(hook_repo: HookRepo, tmp_path: Path) -> None:
    # Staged: the pre-commit configuration and a note, neither matched by the hook's `files`.
    repository = _fresh_repository(hook_repo, tmp_path / "project", {"docs/notes.md": "notes\n"})

    run = hook_repo.pre_commit_run(repository)
    assert run.returncode == 0, run.stdout + run.stderr
    assert _hook_output(run) == ("Skipped", [])


def test_hook_audits_the_workers_a_changed_workflow_feeds(hook_repo: HookRepo, tmp_path: Path) -> None:
    # A monorepo's workflows sit at the top, above the Worker: a changed schedule changes
    # the Worker's estimate, so the commit that changes it audits the Worker.
    repository = _fresh_repository(hook_repo, tmp_path / "project", WORKER)
    hook_repo.git(repository, "commit", "--quiet", "--no-verify", "--message", "a Worker")
    _stage(hook_repo, repository, {".github/workflows/ping.yml": WORKFLOW_YML})

    run = hook_repo.pre_commit_run(repository)
    assert run.returncode == 1, run.stdout + run.stderr
    status, printed = _hook_output(run)
    assert status == "Failed"
    assert _kv001(printed) == [KV001_LINE], printed


WORKFLOW_YML = """\
on:
  schedule:
    - cron: "0 * * * *"
jobs:
  ping:
    runs-on: ubuntu-latest
    steps:
      - run: curl -fsS https://page-cache.example.workers.dev/
"""


def _monorepo(top: Path) -> None:
    """Two Workers under a top with workflows, and a third under its own `.github`."""
    files = {
        ".git/HEAD": "ref: refs/heads/main\n",
        ".github/workflows/ping.yml": WORKFLOW_YML,
        "workers/a/wrangler.toml": WRANGLER_TOML,
        "workers/a/src/index.ts": INDEX_TS,
        "workers/b/wrangler.toml": WRANGLER_TOML.replace("page-cache", "other"),
        "workers/b/src/index.ts": FIXED_TS,
        "apps/own/.github/workflows/own.yml": WORKFLOW_YML,
        "apps/own/worker/wrangler.toml": WRANGLER_TOML.replace("page-cache", "own"),
        "apps/own/worker/src/index.ts": INDEX_TS,
    }
    for name, text in files.items():
        (top / name).parent.mkdir(parents=True, exist_ok=True)
        (top / name).write_text(text, encoding="utf-8")


def test_changed_workflow_selects_the_workers_whose_estimate_reads_it(tmp_path: Path) -> None:
    from auditor.discover import changed_workers

    _monorepo(tmp_path)
    top = changed_workers([tmp_path / ".github/workflows/ping.yml"])
    assert [r.directory.relative_to(tmp_path).as_posix() for r in top] == ["workers/a", "workers/b"]
    own = changed_workers([tmp_path / "apps/own/.github/workflows/own.yml"])
    assert [r.directory.relative_to(tmp_path).as_posix() for r in own] == ["apps/own/worker"]
    # Any other file names the Worker that holds it, as before; a YAML file elsewhere, none.
    mixed = changed_workers([tmp_path / "workers/b/src/index.ts", tmp_path / "workers/b/ci.yml"])
    assert [r.directory.relative_to(tmp_path).as_posix() for r in mixed] == ["workers/b"]


def test_check_changed_files_with_a_workflow_audits_the_workers_below(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from auditor.cli import main

    _monorepo(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--changed-files", ".github/workflows/ping.yml"])
    assert result.exit_code == 1, result.output
    assert "workers/a/src/index.ts" in result.output and "KV001" in result.output
    assert "apps/own" not in result.output
