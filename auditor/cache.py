"""The on-disk cache of parsed source files: the facts of a file that has not changed.

Parsing is most of a large Worker's check, and the pre-commit hook audits the whole Worker
on every commit though most of its files have not changed since the last one. An entry is
one file's pickled FileFacts, named by a digest of everything they are made from: the
file's bytes, language and display path (facts embed it), and the code that reads them
(`implementation`). So an entry is never stale, only unused; nothing is ever invalidated,
and an entry that has gone unused for a month is deleted.

The cache is an optimisation and never a reason for an audit to fail: an entry that cannot
be read is a miss (the file is parsed), and a write that fails is forgotten.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import facts as facts_module
from auditor.facts import FileFacts

if TYPE_CHECKING:
    from auditor.sources import SourceFile

# Changed by hand when the layout of entries changes in a way the digest cannot see.
FORMAT = b"workers-audit facts 1"
# The packages that parse; their versions are part of the key, as a new grammar can give
# different trees for the same text.
PARSERS = ("tree_sitter", "tree_sitter_typescript", "libcst")
UNUSED_DAYS = 30
PRUNE_EVERY_SECONDS = 24 * 60 * 60  # the hook runs on every commit; the sweep, once a day


def default_directory(environ: Mapping[str, str]) -> Path | None:
    """`WORKERS_AUDIT_CACHE_DIR`, else `$XDG_CACHE_HOME/workers-audit`, else
    `~/.cache/workers-audit`: the user's cache, never the audited repository. None when
    there is no home directory to put it in."""
    explicit = environ.get("WORKERS_AUDIT_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative path is invalid, and ignored
        return Path(xdg) / "workers-audit"
    home = os.path.expanduser("~")
    return Path(home) / ".cache" / "workers-audit" if os.path.isabs(home) else None


class FactsCache:
    """Entries are `<directory>/facts/<2 hex>/<62 hex>.pickle`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._swept = False  # the sweep is considered once per process, at its first write

    def get(self, source: SourceFile) -> FileFacts | None:
        """The facts stored for this file's exact bytes, or None."""
        path = self.entry(source)
        if path is None:
            return None
        try:
            found = _Unpickler(io.BytesIO(path.read_bytes())).load()
        # Missing, unreadable, truncated, corrupt, from a class that no longer exists: a miss
        # whatever the reason, and the fresh facts replace the entry.
        except Exception:
            return None
        if not isinstance(found, FileFacts) or found.path != source.display:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: the sweep keeps it
        return found

    def put(self, source: SourceFile, facts: FileFacts) -> None:
        """Store the facts; a write that fails (read-only, full, not a directory) is dropped."""
        path = self.entry(source)
        if path is None:
            return
        with contextlib.suppress(Exception):  # pickling too can fail: a very deep expression
            data = pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)
            _make_directories(path.parent)
            # Written aside and renamed into place: a concurrent reader (another hook) sees
            # the whole entry or none.
            descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        self._sweep_if_due()

    def entry(self, source: SourceFile) -> Path | None:
        """Where the facts of this file are kept; None when the cache cannot be used."""
        code = implementation()
        if code is None:
            return None
        digest = hashlib.sha256(b"\0".join((
            FORMAT, code, source.language.encode(),
            source.display.encode("utf-8", "surrogateescape"), b"")))
        digest.update(source.source)
        name = digest.hexdigest()
        return self.directory / "facts" / name[:2] / f"{name[2:]}.pickle"

    def prune(self, now: float | None = None) -> int:
        """Delete the entries unused for UNUSED_DAYS (a hit touches its entry) and what a
        killed write left behind; return how many files went."""
        cutoff = (time.time() if now is None else now) - UNUSED_DAYS * 24 * 60 * 60
        removed = 0
        try:
            shards = [entry.path for entry in os.scandir(self.directory / "facts") if entry.is_dir()]
        except OSError:
            return 0
        for shard in shards:
            try:
                with os.scandir(shard) as entries:
                    old = [entry.path for entry in entries if entry.stat().st_mtime < cutoff]
            except OSError:
                continue
            for name in old:
                with contextlib.suppress(OSError):
                    os.unlink(name)
                    removed += 1
        return removed

    def _sweep_if_due(self) -> None:
        """Prune at most once a day, as the mtime of the `pruned` stamp file tells: one stat
        per run otherwise."""
        if self._swept:
            return
        self._swept = True
        stamp = self.directory / "pruned"
        try:
            if time.time() - stamp.stat().st_mtime < PRUNE_EVERY_SECONDS:
                return
        except FileNotFoundError:
            pass
        except OSError:
            return
        try:
            stamp.touch(mode=0o600)
        except OSError:
            return
        self.prune()


@functools.cache
def implementation() -> bytes | None:
    """A digest of what turns a file's text into facts: the sources of auditor.facts and
    of every frontend, the Python version (the Python frontend's `ast`) and the parser
    packages' versions. Any change to them misses every entry. None (no cache) when the
    sources are not there to read."""
    here = Path(__file__).parent
    digest = hashlib.sha256(FORMAT)
    digest.update(f"\0python {sys.version_info[0]}.{sys.version_info[1]}".encode())
    try:
        for path in (here / "facts.py", *sorted((here / "frontends").glob("*.py"))):
            digest.update(f"\0{path.name}\0".encode() + path.read_bytes())
    except OSError:
        return None
    for package in PARSERS:
        digest.update(f"\0{_installed(package)}".encode())
    return digest.digest()


def _installed(package: str) -> str:
    """The package's version, as the name of its dist-info directory beside it: found
    without importing importlib.metadata (25 ms of the hook's start-up) or libcst."""
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or spec.origin is None:
        return f"{package} absent"
    origin = Path(spec.origin)
    prefix = f"{package}-"
    try:
        names = sorted(name for name in os.listdir(origin.parent.parent)
                       if name.lower().startswith(prefix) and name.endswith((".dist-info", ".egg-info")))
        return " ".join(names) or f"{origin} {origin.stat().st_mtime_ns}"
    except OSError:
        return str(origin)


def _make_directories(path: Path) -> None:
    """Create the missing directories, each private (0o700) as the XDG spec asks: makedirs
    gives the parents the default mode."""
    if path.is_dir() or path.parent == path:
        return
    _make_directories(path.parent)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)


class _Unpickler(pickle.Unpickler):
    """Builds the records of auditor.facts and nothing else: an entry planted in the cache
    cannot make unpickling call a function."""

    def find_class(self, module: str, name: str) -> Any:
        found = getattr(facts_module, name, None) if module == "auditor.facts" else None
        if not isinstance(found, type):
            raise pickle.UnpicklingError(f"{module}.{name} is not a fact")
        return found
