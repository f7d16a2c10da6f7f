"""SARIF 2.1.0 for code scanning: one run with every rule's metadata, the findings, the
suppressed and baselined ones marked as such, and the files that could not be read."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from auditor import __version__
from auditor.findings import AuditError, Finding, Fix, Location, Result, Rule, Severity, Suppression

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
# Versioned: a change to how fingerprints are computed gets a new key, so code scanning does
# not match old alerts against incomparable values.
FINGERPRINT_KEY = "workersAudit/v1"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

# RFC 3986 sub-delims and "@" may stand in a path segment as they are; ":" may not in the
# first segment of a relative reference (it would read as a scheme), so it is always encoded.
_PATH_SAFE = "/!$&'()*+,;=@"
_WINDOWS_DRIVE = re.compile(r"[A-Za-z]:/")


def _artifact(path: str) -> dict[str, Any]:
    """Paths are relative to the working directory (%SRCROOT%); a Worker outside it has an
    absolute path, which becomes a `file` URI of its own."""
    if path.startswith("/"):
        return {"uri": "file://" + quote(path, safe=_PATH_SAFE)}
    if _WINDOWS_DRIVE.match(path):
        return {"uri": "file:///" + quote(path, safe=_PATH_SAFE + ":")}
    return {"uri": quote(path, safe=_PATH_SAFE), "uriBaseId": SRCROOT}


def _region(location: Location) -> dict[str, int]:
    """Our columns are 1-based code points with an exclusive end, as SARIF's are; a missing end
    leaves SARIF's default, the end of the line."""
    region = {"startLine": location.line}
    if location.column >= 1:
        region["startColumn"] = location.column
    if location.end_line is not None:
        region["endLine"] = location.end_line
    if location.end_column is not None:
        region["endColumn"] = location.end_column
    return region


def _physical(location: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(location.path)}
    if location.line >= 1:  # SARIF lines start at 1; line 0 means the whole file
        physical["region"] = _region(location)
    return physical


def _message(text: str) -> dict[str, str]:
    """Braces doubled: SARIF reads `{0}` in a message string as a placeholder (§3.11.5), and
    messages quote code such as `{ expirationTtl: 300 }`."""
    return {"text": text.replace("{", "{{").replace("}", "}}")}


def _rule(rule: Rule) -> dict[str, Any]:
    doc = (rule.doc or rule.summary).strip()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": doc.splitlines()[0]},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": [rule.code.rstrip("0123456789")]},
    }


def _fix(fix: Fix) -> dict[str, Any]:
    """One contiguous replacement; a location without an end is an insertion point, as in the
    JSON output."""
    where = fix.location
    deleted = {
        "startLine": where.line,
        "startColumn": where.column,
        "endLine": where.end_line if where.end_line is not None else where.line,
        "endColumn": where.end_column if where.end_column is not None else where.column,
    }
    replacement: dict[str, Any] = {"deletedRegion": deleted}
    if fix.replacement:  # no insertedContent is SARIF's way to say "delete"
        replacement["insertedContent"] = {"text": fix.replacement}
    return {
        "description": _message(fix.message),
        "artifactChanges": [{"artifactLocation": _artifact(where.path), "replacements": [replacement]}],
        "properties": {"applicability": fix.applicability},
    }


def _suppression(suppression: Suppression) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": "inSource",
                             "location": {"physicalLocation": _physical(suppression.location)}}
    if suppression.reason:
        entry["justification"] = suppression.reason
    return entry


def _result(finding: Finding, rule_index: dict[str, int], baseline_state: str | None = None,
            suppression: Suppression | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.rule}
    if finding.rule in rule_index:
        result["ruleIndex"] = rule_index[finding.rule]
    result["level"] = LEVELS[finding.severity]  # the finding's own: settings can change it
    result["message"] = _message(finding.message)
    result["locations"] = [{"physicalLocation": _physical(finding.location)}]
    if finding.related:
        result["relatedLocations"] = [
            {"id": number, "physicalLocation": _physical(related.location),
             "message": _message(related.message)}
            for number, related in enumerate(finding.related, start=1)
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: finding.fingerprint}
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.fix)]
    if suppression is not None:
        result["suppressions"] = [_suppression(suppression)]
    if baseline_state is not None:
        result["baselineState"] = baseline_state
    properties = {"binding": finding.binding, "environment": finding.environment,
                  "configKey": finding.location.key}
    properties = {key: value for key, value in properties.items() if value is not None}
    if properties:
        result["properties"] = properties
    return result


def _notification(error: AuditError) -> dict[str, Any]:
    where = Location(error.path, error.line, error.column)
    return {"level": "error", "message": _message(error.message),
            "locations": [{"physicalLocation": _physical(where)}]}


def as_sarif(result: Result) -> dict[str, Any]:
    """The SARIF log as a JSON-ready dict."""
    from auditor.rules import RULES

    rule_index = {rule.code: number for number, rule in enumerate(RULES)}
    # With a baseline, `findings` are the new ones and `baselined` the known ones; suppressed
    # findings were taken out before the comparison, so their baseline state is unknown.
    new_state = "new" if result.baseline is not None else None
    results = [_result(finding, rule_index, new_state) for finding in result.findings]
    results += [_result(finding, rule_index, "unchanged") for finding in result.baselined]
    results += [_result(finding, rule_index, suppression=suppression)
                for finding, suppression in result.suppressed]
    invocation: dict[str, Any] = {"executionSuccessful": not result.unreadable}
    if result.errors:
        invocation["toolExecutionNotifications"] = [_notification(e) for e in result.errors]
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "workers-audit", "version": __version__,
                            "rules": [_rule(rule) for rule in RULES]}},
        "invocations": [invocation],
        # No absolute URI: it would put the user's directory layout in a file meant to be
        # uploaded, and the consumer (a checkout) knows its own root.
        "originalUriBaseIds": {SRCROOT: {"description": _message(
            "The directory workers-audit ran in; relative paths are relative to it.")}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if result.baseline is not None:
        run["properties"] = {"baseline": result.baseline,
                             "baselineUnmatched": result.baseline_unmatched}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result: Result, colour: bool = False, **_: object) -> str:
    return json.dumps(as_sarif(result), indent=2) + "\n"
