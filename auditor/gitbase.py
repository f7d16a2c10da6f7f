"""The base revision of a pull request, read from git into a temporary directory without
touching the user's work tree, index, HEAD or refs.

Only plumbing that reads is run (`rev-parse`, `merge-base`, `ls-tree`, `cat-file`). Files
come out of `cat-file --batch` as committed: `git archive` and `checkout-index` would run the
repository's smudge filters (user programs; git-lfs fetches over the network) and drop
`export-ignore` paths. `GIT_NO_LAZY_FETCH` keeps a partial clone from fetching a missing
object (git 2.45 and later; older versions ignore it, and a missing blob fails instead).
"""

from __future__ import annotations

import os
import posixpath
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from auditor.config.load import CONFIG_NAMES
from auditor.discover import SKIPPED_DIRS

# Regular files; symbolic links (120000) and submodules (160000) are left out of the copy.
FILE_MODES = frozenset({"100644", "100755"})
UNSHALLOW = "`fetch-depth: 0` for actions/checkout, or `git fetch --unshallow` locally"


class GitError(Exception):
    """Git is missing, or the repository or ref cannot be used: the CLI prints it, exits 2."""


@dataclass(frozen=True)
class Repository:
    top: Path  # the work tree's top level, resolved
    shallow: bool


@dataclass(frozen=True)
class Revision:
    """What the working tree is compared with: the merge base of `ref` and HEAD, as a pull
    request's "Files changed" tab is (`git diff REF...`)."""

    ref: str
    ref_commit: str
    head_commit: str
    merge_base: str
    short: str  # the merge base abbreviated as git abbreviates it
    subject: str  # the merge base's commit subject


def _command(directory: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    """The argument vector and environment of a git command: no prompt, no lazy fetch,
    messages in English (some are recognised by their text)."""
    env = {**os.environ, "GIT_NO_LAZY_FETCH": "1", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C",
           "LANGUAGE": ""}
    return ["git", "-c", "core.quotepath=off", "-C", str(directory), *args], env


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    command, env = _command(directory, *args)
    try:
        return subprocess.run(command, capture_output=True, check=False, env=env)
    except FileNotFoundError:
        raise GitError("git is not installed (or not on PATH): `diff` reads the base revision "
                       "with git") from None


def _said(process: subprocess.CompletedProcess[bytes]) -> str:
    """Git's own complaint, for the cases without a message of ours."""
    lines = process.stderr.decode("utf-8", "replace").strip().splitlines()
    return " ".join(line.removeprefix("fatal: ").strip() for line in lines[:3]) or \
        f"exit status {process.returncode}"


def repository(directory: Path) -> Repository:
    """The repository holding `directory` (the current directory, as git finds it)."""
    found = _git(directory, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        if b"not a git repository" in found.stderr:
            raise GitError(f"{directory} is not inside a git repository: `diff` compares the working "
                           "tree with a git revision; run it in a clone")
        raise GitError(f"git cannot read the repository: {_said(found)}")
    top = Path(os.fsdecode(found.stdout.rstrip(b"\n"))).resolve()
    shallow = _git(top, "rev-parse", "--is-shallow-repository").stdout.strip() == b"true"
    return Repository(top, shallow)


def _commit(repo: Repository, name: str) -> str | None:
    found = _git(repo.top, "rev-parse", "--verify", "--quiet", f"{name}^{{commit}}")
    return found.stdout.decode().strip() if found.returncode == 0 else None


def _fetch_hint(ref: str) -> str:
    branch = ref.removeprefix("refs/remotes/").removeprefix("origin/")
    then = "" if branch != ref or all(c in "0123456789abcdef" for c in ref.lower()) \
        else f", then pass `--base origin/{branch}`"
    return f"`git fetch origin {branch}`{then}"


def revision(repo: Repository, ref: str) -> Revision:
    """Resolve `ref` and its merge base with HEAD; a missing ref or history is a GitError
    that says what to fetch."""
    if not ref or ref.startswith("-"):
        raise GitError(f"`{ref}` is not a git revision")
    head = _commit(repo, "HEAD")
    if head is None:
        raise GitError("HEAD has no commit yet: commit something before comparing with a base")
    commit = _commit(repo, ref)
    if commit is None:
        if repo.shallow:
            raise GitError(f"the base `{ref}` is not in this shallow clone: fetch it with "
                           f"{_fetch_hint(ref)}, or fetch the whole history ({UNSHALLOW})")
        raise GitError(f"the base `{ref}` is not a commit in this repository; if it is a branch "
                       f"of the remote, fetch it first: {_fetch_hint(ref)}")
    found = _git(repo.top, "merge-base", commit, head)
    if found.returncode != 0:
        if repo.shallow:
            raise GitError(f"the merge base of `{ref}` and HEAD is not in this shallow clone: fetch "
                           f"the history ({UNSHALLOW})")
        if found.returncode == 1:
            raise GitError(f"`{ref}` and HEAD share no history (no merge base); pass a --base that "
                           "HEAD descends from")
        raise GitError(f"git merge-base failed: {_said(found)}")
    base = found.stdout.decode().split()[0]
    short = _git(repo.top, "rev-parse", "--short", base).stdout.decode().strip() or base[:12]
    # The raw object, not `git log`: log.showSignature would run gpg.
    raw = _git(repo.top, "cat-file", "commit", base).stdout
    message = raw.split(b"\n\n", 1)[1] if b"\n\n" in raw else b""
    subject = message.decode("utf-8", "replace").strip().split("\n", 1)[0].strip()
    return Revision(ref, commit, head, base, short, subject)


def tree(repo: Repository, commit: str) -> dict[str, str]:
    """Every regular file of `commit`: path from the top (`/`-separated) to blob id."""
    listed = _git(repo.top, "ls-tree", "-r", "-z", "--full-tree", commit)
    if listed.returncode != 0:
        raise GitError(f"git cannot list {commit[:12]}: {_said(listed)}")
    files = {}
    for entry in listed.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, name = entry.partition(b"\t")
        mode, kind, oid = meta.decode().split()
        if kind == "blob" and mode in FILE_MODES:
            files[os.fsdecode(name)] = oid
    return files


def _parents(path: str) -> list[str]:
    """`a/b/c` -> `a/b`, `a`, `` (the top)."""
    out = []
    while path:
        path = posixpath.dirname(path)
        out.append(path)
    return out


def _inside(path: str, directory: str) -> bool:
    return not directory or path == directory or path.startswith(directory + "/")


def _worker_dir(path: str, files: Mapping[str, str]) -> str | None:
    """The nearest directory above `path` with a wrangler file, as discovery finds it."""
    for directory in _parents(path):
        if any(posixpath.join(directory, name) in files for name in CONFIG_NAMES):
            return directory
    return None


def select(files: Mapping[str, str],
           targets: Sequence[tuple[str, bool]]) -> tuple[set[str], list[str | None]]:
    """What to copy out of the base tree `files` to audit `targets` there, and what to audit.

    Each target is a path from the top ("" for the top itself) and whether it is a file in
    the working tree. A directory is copied whole, less what discovery never enters; a file
    brings its Worker's directory. Above each, the audit also reads `.gitignore` files and
    `.github/workflows/` (schedules that call the Worker). The second list holds, per
    target, the path to audit in the base, or None when the base has no such path (the pull
    request adds it): a new file's Worker when the base has one."""
    copied: set[str] = set()
    audited: list[str | None] = []
    for path, is_file in targets:
        if path in files:
            directory = _worker_dir(path, files)
            audit: str | None = path
        elif not path or any(_inside(name, path) for name in files):
            directory, audit = path, path
        else:
            directory = _worker_dir(path, files) if is_file else None
            audit = None
            if directory is not None:
                audit = next(posixpath.join(directory, n) for n in CONFIG_NAMES
                             if posixpath.join(directory, n) in files)
        audited.append(audit)
        if directory is None:
            if audit is not None:
                copied.add(audit)
            continue
        for name in files:
            if _inside(name, directory) and not _skipped(name, directory):
                copied.add(name)
        for above in _parents(directory):
            if posixpath.join(above, ".gitignore") in files:
                copied.add(posixpath.join(above, ".gitignore"))
            workflows = posixpath.join(above, ".github", "workflows")
            copied.update(name for name in files if posixpath.dirname(name) == workflows)
    return copied, audited


def _skipped(name: str, directory: str) -> bool:
    """Under a directory that discovery never enters (node_modules, build output)."""
    below = name[len(directory) + 1:] if directory else name
    return any(part in SKIPPED_DIRS for part in below.split("/")[:-1])


def _safe(name: str) -> bool:
    """A path that stays inside the copy: git's own checks, for a tree that skipped them."""
    parts = name.split("/")
    return not name.startswith("/") and "\\" not in name and all(
        part not in ("", ".", "..") and part.lower() != ".git" for part in parts)


@contextmanager
def checkout(repo: Repository, files: Mapping[str, str], names: set[str]) -> Iterator[Path]:
    """A temporary directory holding `names` as committed (blob ids from `files`), removed
    afterwards, also on error. An empty `.git` directory marks it as a repository's top, so
    that nothing above it is searched for workflows."""
    with tempfile.TemporaryDirectory(prefix="workers-audit-base-") as temporary:
        top = Path(temporary).resolve()
        (top / ".git").mkdir()
        wanted = sorted(name for name in names if _safe(name))
        if wanted:
            _write(repo, top, [(name, files[name]) for name in wanted])
        yield top


def _write(repo: Repository, top: Path, blobs: list[tuple[str, str]]) -> None:
    """Stream the blobs out of one `git cat-file --batch`, one file at a time."""
    command, env = _command(repo.top, "cat-file", "--batch")
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, env=env) as process:
        assert process.stdin is not None and process.stdout is not None
        try:
            for name, oid in blobs:
                process.stdin.write(oid.encode() + b"\n")
                process.stdin.flush()
                _receive(process.stdout, name, top / name)
        finally:
            process.stdin.close()


def _receive(stream: IO[bytes], name: str, target: Path) -> None:
    header = stream.readline().split()
    if len(header) != 3 or header[1] != b"blob":
        raise GitError(f"the base revision's `{name}` is not in this clone (a partial clone?): "
                       f"fetch the history ({UNSHALLOW})")
    remaining = int(header[2])
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while remaining:
            chunk = stream.read(min(remaining, 1 << 20))
            if not chunk:
                raise GitError(f"git stopped while reading the base revision's `{name}`")
            out.write(chunk)
            remaining -= len(chunk)
    stream.read(1)  # the newline after each object
