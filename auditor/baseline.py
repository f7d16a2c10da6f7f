"""The baseline file: findings already known, so that the gate fails only on new ones.

Findings are matched by fingerprint (rule, path, binding and the site's code, no line
numbers), counted as a multiset: two identical findings in the baseline hide two, not
every later copy. The file is JSON, sorted, so a change to it reads well in review.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from auditor import __version__
from auditor.findings import Finding

VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be used: the CLI prints it and exits 2."""


@dataclass(frozen=True)
class Baseline:
    path: str
    counts: dict[str, int]

    @classmethod
    def load(cls, path: Path) -> Baseline:
        from auditor.config.document import ConfigSyntaxError
        from auditor.config.jsonc import read_jsonc

        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BaselineError(f"{path}: no such file; write one with `workers-audit baseline "
                                f"--output {path}`") from None
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise BaselineError(f"{path}: cannot read the baseline: {reason}") from None
        try:
            document = read_jsonc(text, str(path))
        except ConfigSyntaxError as error:
            raise BaselineError(f"{path}:{error.line}:{error.column}: not a baseline file: "
                                f"{error.message}") from None
        data = document.data
        if data.get("version") != VERSION or not isinstance(data.get("findings"), list):
            line = document.spans[("version",)].line if ("version",) in document.spans else 1
            raise BaselineError(f"{path}:{line}: not a workers-audit baseline (version {VERSION} "
                                "with a `findings` list); write it again with `workers-audit baseline`")
        counts: Counter[str] = Counter()
        for index, entry in enumerate(data["findings"]):
            fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
            if not isinstance(fingerprint, str) or not fingerprint:
                span = document.spans.get(("findings", index))
                raise BaselineError(f"{path}:{span.line if span else 1}: baseline entry "
                                    f"{index + 1} has no `fingerprint` string")
            counts[fingerprint] += 1
        return cls(str(path), dict(counts))

    def split(self, findings: list[Finding]) -> tuple[list[Finding], list[Finding], int]:
        """(new findings, baselined findings, entries that matched nothing)."""
        left = Counter(self.counts)
        new, known = [], []
        for finding in findings:
            if left[finding.fingerprint] > 0:
                left[finding.fingerprint] -= 1
                known.append(finding)
            else:
                new.append(finding)
        return new, known, sum(left.values())


def dumps(findings: list[Finding]) -> str:
    """The baseline file for these findings."""
    entries = sorted(
        ({"fingerprint": f.fingerprint, "rule": f.rule, "path": f.location.path,
          "binding": f.binding, "message": f.message} for f in findings),
        key=lambda e: (e["path"] or "", e["rule"] or "", e["fingerprint"] or ""))
    document = {"version": VERSION, "tool": {"name": "workers-audit", "version": __version__},
                "findings": entries}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
