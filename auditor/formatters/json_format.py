"""The JSON contract of DESIGN.md: version 1, workers, findings, estimate, errors."""

from __future__ import annotations

import json
from typing import Any

from auditor import __version__
from auditor.findings import Finding, Location, Result


def _location(location: Location) -> dict[str, Any]:
    return {
        "path": location.path,
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line if location.end_line is not None else location.line,
        "end_column": (location.end_column if location.end_column is not None
                       else location.column),
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One finding as the JSON contract has it (the report builds on it too)."""
    fix = None
    if finding.fix is not None:
        fix = {"message": finding.fix.message, "replacement": finding.fix.replacement,
               "applicability": finding.fix.applicability, **_location(finding.fix.location)}
    return {
        "rule": finding.rule,
        "name": finding.name,
        "severity": finding.severity.label,
        **_location(finding.location),
        "message": finding.message,
        "binding": finding.binding,
        "environment": finding.environment,
        "fingerprint": finding.fingerprint,
        "related": [
            {"path": r.location.path, "line": r.location.line, "message": r.message}
            for r in finding.related
        ],
        "fix": fix,
    }


def _estimates(result: Result) -> dict[str, dict[str, Any]]:
    """Each Worker's estimate object by root; imported only when there are estimates."""
    if not result.estimates:
        return {}
    from auditor.formatters.estimate_format import as_json

    return {estimate.root: as_json(estimate) for estimate in result.estimates}


def as_dict(result: Result) -> dict[str, Any]:
    estimates = _estimates(result)
    return {
        "version": 1,
        "tool": {"name": "workers-audit", "version": __version__},
        "workers": [
            {"root": w.root, "config": w.config, "name": w.name, "environments": list(w.environments),
             "estimate": estimates.get(w.root)}
            for w in result.workers
        ],
        "findings": [finding_dict(f) for f in result.findings],
        # The single Worker's estimate; with several, each is under its `workers` item.
        "estimate": next(iter(estimates.values())) if len(estimates) == 1 else None,
        "errors": [{"path": e.path, "line": e.line, "column": e.column, "message": e.message}
                   for e in result.errors],
        # What inline comments suppressed, with their reasons: a review of the suppressions.
        "suppressed": [
            {"finding": finding_dict(finding),
             "suppression": {"path": s.location.path, "line": s.location.line, "codes": list(s.codes),
                             "reason": s.reason}}
            for finding, s in result.suppressed
        ],
        # With `--baseline FILE`: how many findings it held back, how many entries matched none.
        "baseline": None if result.baseline is None else {
            "path": result.baseline, "baselined": len(result.baselined),
            "unmatched": result.baseline_unmatched},
    }


def render(result: Result, **_: object) -> str:
    return json.dumps(as_dict(result), indent=2) + "\n"
