"""`check --format sarif`: valid against the official SARIF 2.1.0 schema, and saying what the
findings say (rules, levels, locations, fingerprints, fixes, suppressions, baseline)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from jsonschema.validators import validator_for

from auditor.cli import main
from auditor.findings import (
    AuditError,
    Finding,
    Fix,
    Location,
    Related,
    Result,
    Severity,
    Suppression,
)
from auditor.formatters import formatter
from auditor.rules import BY_CODE, RULES

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json").read_text())
# The class the schema's own `$schema` names (draft-04 for the OASIS file).
VALIDATOR = validator_for(SCHEMA)(SCHEMA)
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# RFC 3986 characters of a relative reference, with `%` only as the start of an escape.
URI_REFERENCE = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-F]{2})*")


def validate(document: dict[str, Any]) -> None:
    errors = sorted(VALIDATOR.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def sarif(result: Result) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(formatter("sarif")(result))
    validate(document)
    return document


def run_cli(cwd: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    outcome = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.stdout


def finding(rule: str = "KV001", path: str = "src/index.ts", line: int = 4, **fields: Any) -> Finding:
    values: dict[str, Any] = {
        "rule": rule, "name": BY_CODE[rule].name, "severity": BY_CODE[rule].severity,
        "location": Location(path, line, 11, line, 40), "message": f"a {rule} finding",
        "binding": None, "environment": None, "fingerprint": f"fp-{rule}-{path}-{line}",
    }
    values.update(fields)
    return Finding(**values)


def region_span(region: dict[str, int]) -> tuple[int, int, int | None, int | None]:
    return region["startLine"], region["startColumn"], region.get("endLine"), region.get("endColumn")


def apply_change(text: str, change: dict[str, Any]) -> str:
    """What a SARIF consumer does with a fix: columns are code points, the end is exclusive."""
    lines = text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        return sum(len(item) for item in lines[:line - 1]) + column - 1

    for replacement in reversed(change["replacements"]):
        region = replacement["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        text = text[:start] + replacement.get("insertedContent", {}).get("text", "") + text[end:]
    return text


# The schema itself, and that it can reject a log.

def test_the_vendored_schema_is_the_oasis_one() -> None:
    assert SCHEMA["id"] == ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                            "sarif-schema-2.1.0.json")
    type(VALIDATOR).check_schema(SCHEMA)
    assert type(VALIDATOR).__name__ == "Draft4Validator"


@pytest.mark.parametrize(("where", "value"), [
    (("version",), "2.0.0"),
    (("runs", 0, "results", 0, "level"), "fatal"),
    (("runs", 0, "results", 0, "locations", 0, "physicalLocation", "region", "startLine"), 0),
    (("runs", 0, "results", 0, "message"), {"markdown": "no text"}),
    (("runs", 0, "results", 0, "baselineState"), "old"),
    (("runs", 0, "results", 0, "suppressions", 0, "kind"), "inComment"),
    (("runs", 0, "tool", "driver", "rules", 0, "defaultConfiguration", "level"), "info"),
    (("runs", 0, "columnKind"), "characters"),
    (("runs", 0, "results", 0, "fixes", 0, "artifactChanges"), []),
    (("runs", 0, "results", 0, "unknownProperty"), True),
])
def test_the_validator_rejects_an_invalid_log(where: tuple[str | int, ...], value: Any) -> None:
    fixed = finding(fix=Fix("add a TTL", ", { expirationTtl: 300 }", Location("src/index.ts", 4, 30)))
    document = sarif(Result(suppressed=[(fixed, Suppression(Location("src/index.ts", 3, 5), ("KV001",),
                                                                 "why", (3, 4)))]))
    broken = copy.deepcopy(document)
    target: Any = broken
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    assert list(VALIDATOR.iter_errors(broken))
    assert not list(VALIDATOR.iter_errors(document))


# The examples, through the command line.

@pytest.mark.parametrize("example", ["quote-cache", "cache-heavy"])
def test_example_log_is_valid_and_matches_the_json_findings(example: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run_cli(EXAMPLES, monkeypatch, "check", example, "--format", "sarif")
    json_code, json_out = run_cli(EXAMPLES, monkeypatch, "check", example, "--format", "json")
    assert code == json_code == 1
    document = json.loads(out)
    validate(document)
    assert document["version"] == "2.1.0"
    (run,) = document["runs"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    assert run["invocations"] == [{"executionSuccessful": True}]
    driver = run["tool"]["driver"]
    assert driver["name"] == "workers-audit"
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in RULES]

    findings = json.loads(json_out)["findings"]
    assert findings and len(run["results"]) == len(findings)
    for result, expected in zip(run["results"], findings, strict=True):
        assert result["ruleId"] == expected["rule"]
        assert driver["rules"][result["ruleIndex"]]["id"] == expected["rule"]
        assert result["level"] == LEVELS[expected["severity"]]
        assert result["partialFingerprints"] == {"workersAudit/v1": expected["fingerprint"]}
        assert "baselineState" not in result and "suppressions" not in result
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"] == {"uri": expected["path"], "uriBaseId": "%SRCROOT%"}
        assert region_span(physical["region"]) == (expected["line"], expected["column"],
                                                   expected["end_line"], expected["end_column"])
        related = [(r["physicalLocation"]["artifactLocation"]["uri"],
                    r["physicalLocation"]["region"]["startLine"], r["message"]["text"])
                   for r in result.get("relatedLocations", [])]
        assert related == [(r["path"], r["line"], r["message"]) for r in expected["related"]]
        properties = result.get("properties", {})
        assert properties.get("binding") == expected["binding"]
        assert properties.get("environment") == expected["environment"]


def test_example_findings_carry_their_binding_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    _, out = run_cli(EXAMPLES, monkeypatch, "check", "quote-cache", "--format", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    put = next(r for r in results if r["ruleId"] == "KV001"
               and r["locations"][0]["physicalLocation"]["region"]["startLine"] == 31)
    assert put["properties"]["binding"] == "QUOTES"
    assert put["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "quote-cache/src/index.ts"
    undeclared = next(r for r in results if r["ruleId"] == "CF003")
    assert undeclared["properties"]["environment"] == "production"
    assert undeclared["level"] == "error"


def test_rule_descriptors_come_from_the_registry() -> None:
    rules = sarif(Result())["runs"][0]["tool"]["driver"]["rules"]
    assert len(rules) == len(RULES)
    for descriptor, rule in zip(rules, RULES, strict=True):
        assert descriptor["id"] == rule.code and descriptor["name"] == rule.name
        assert descriptor["shortDescription"] == {"text": rule.summary}
        assert rule.doc is not None
        assert descriptor["fullDescription"]["text"] == rule.doc.strip().splitlines()[0]
        assert descriptor["help"] == {"text": rule.doc.strip(), "markdown": rule.doc.strip()}
        assert descriptor["defaultConfiguration"]["level"] == LEVELS[rule.severity.label]
        assert descriptor["properties"]["tags"] == [re.match(r"[A-Z]+", rule.code)[0]]  # type: ignore[index]
    assert {d["defaultConfiguration"]["level"] for d in rules} == {"error", "warning", "note"}


# Hand-built results: what no rule produces yet.

def test_level_is_the_findings_own_severity() -> None:
    raised = finding("KV001", severity=Severity.ERROR)
    lowered = finding("CF003", severity=Severity.INFO)
    document = sarif(Result(findings=[raised, lowered]))
    run = document["runs"][0]
    assert [r["level"] for r in run["results"]] == ["error", "note"]
    defaults = {d["id"]: d["defaultConfiguration"]["level"] for d in run["tool"]["driver"]["rules"]}
    assert defaults["KV001"] == "warning" and defaults["CF003"] == "error"


def test_related_locations_have_ids_and_messages() -> None:
    related = (Related(Location("src/dal.ts", 601, 5, 601, 40), "put reached through `dal.write`"),
               Related(Location("wrangler.toml", 9, 1), "the binding"))
    result = sarif(Result(findings=[finding(related=related)]))["runs"][0]["results"][0]
    first, second = result["relatedLocations"]
    assert first["id"] != second["id"]
    assert first["message"]["text"] == "put reached through `dal.write`"
    assert region_span(first["physicalLocation"]["region"]) == (601, 5, 601, 40)
    assert second["physicalLocation"]["artifactLocation"]["uri"] == "wrangler.toml"
    # No end: SARIF's default (to the end of the line) stands, rather than an invented one.
    assert second["physicalLocation"]["region"] == {"startLine": 9, "startColumn": 1}


def test_properties_only_where_set() -> None:
    keyed = finding("CF002", path="wrangler.toml", binding="BACKUP", environment="staging",
                    location=Location("wrangler.toml", 4, 3, 4, 40, key="kv_namespaces[1].id"))
    bare = finding("KV001")
    first, second = sarif(Result(findings=[keyed, bare]))["runs"][0]["results"]
    assert first["properties"] == {"binding": "BACKUP", "environment": "staging",
                                   "configKey": "kv_namespaces[1].id"}
    assert "properties" not in second


def test_braces_in_messages_are_not_placeholders() -> None:
    text = "put has no TTL: pass `{ expirationTtl: 300 }` as the options"
    result = sarif(Result(findings=[finding(message=text)]))["runs"][0]["results"][0]
    assert result["message"]["text"] == "put has no TTL: pass `{{ expirationTtl: 300 }}` as the options"
    # Undoing SARIF's escape gives the message back.
    assert result["message"]["text"].replace("{{", "{").replace("}}", "}") == text


def test_an_insertion_fix_applies_where_the_finding_says() -> None:
    # A non-ASCII key before the insertion point: columns count code points, not bytes.
    source = 'const k = "x";\nawait env.CACHE.put("ünï€", body);\n'
    line = source.splitlines()[1]
    at = Location("src/index.ts", 2, line.index(");") + 1)
    fix = Fix("add an expirationTtl", ", { expirationTtl: 300 }", at, applicability="unsafe")
    result = sarif(Result(findings=[finding(fix=fix)]))["runs"][0]["results"][0]
    (sarif_fix,) = result["fixes"]
    assert sarif_fix["description"]["text"] == "add an expirationTtl"
    assert sarif_fix["properties"]["applicability"] == "unsafe"
    (change,) = sarif_fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "src/index.ts", "uriBaseId": "%SRCROOT%"}
    (replacement,) = change["replacements"]
    region = replacement["deletedRegion"]
    assert (region["startLine"], region["startColumn"]) == (region["endLine"], region["endColumn"])
    # The inserted text is content, not a message: its braces stay single.
    assert replacement["insertedContent"] == {"text": ", { expirationTtl: 300 }"}
    assert apply_change(source, change) == \
        'const k = "x";\nawait env.CACHE.put("ünï€", body, { expirationTtl: 300 });\n'


def test_a_multiline_replacement_and_a_deletion() -> None:
    source = "kv_namespaces = [\n  { binding = \"A\" },\n]\n# end\n"
    replace = Fix("one line", '[{ binding = "A" }]', Location("wrangler.toml", 1, 17, 3, 2))
    delete = Fix("drop the comment", "", Location("wrangler.toml", 4, 1, 5, 1))
    results = sarif(Result(findings=[finding("CF001", fix=replace), finding("CF002", fix=delete)]))
    first, second = (r["fixes"][0]["artifactChanges"][0] for r in results["runs"][0]["results"])
    assert first["replacements"][0]["deletedRegion"] == {"startLine": 1, "startColumn": 17,
                                                         "endLine": 3, "endColumn": 2}
    assert apply_change(source, first) == 'kv_namespaces = [{ binding = "A" }]\n# end\n'
    assert "insertedContent" not in second["replacements"][0]
    assert apply_change(source, second) == 'kv_namespaces = [\n  { binding = "A" },\n]\n'
    assert results["runs"][0]["results"][0]["fixes"][0]["properties"] == {"applicability": "safe"}


def test_suppressed_findings_are_results_with_their_comment() -> None:
    reasoned = Suppression(Location("src/index.ts", 3, 5, 3, 70), ("KV001",), "rewritten every minute",
                           (3, 4))
    bare = Suppression(Location("wrangler.toml", 8, 40), ("CF006",), None, (8,))
    shown = finding("KV203", line=9)
    quiet = finding("CF006", path="wrangler.toml", line=8)
    document = sarif(Result(findings=[shown], suppressed=[(finding("KV001"), reasoned), (quiet, bare)]))
    results = document["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["KV203", "KV001", "CF006"]
    assert "suppressions" not in results[0]
    (first,) = results[1]["suppressions"]
    assert first["kind"] == "inSource" and first["justification"] == "rewritten every minute"
    assert region_span(first["location"]["physicalLocation"]["region"]) == (3, 5, 3, 70)
    (second,) = results[2]["suppressions"]
    assert second["kind"] == "inSource" and "justification" not in second
    assert second["location"]["physicalLocation"]["artifactLocation"]["uri"] == "wrangler.toml"
    assert all("baselineState" not in r for r in results)


def test_baseline_states() -> None:
    new, known = finding("KV001", line=4), finding("KV001", line=9)
    muted = finding("KV203", line=12)
    comment = Suppression(Location("src/index.ts", 11, 5), ("KV203",), "cron only", (11, 12))
    document = sarif(Result(findings=[new], baseline="workers-audit-baseline.json", baselined=[known],
                            baseline_unmatched=2, suppressed=[(muted, comment)]))
    run = document["runs"][0]
    states = {r["partialFingerprints"]["workersAudit/v1"]: r.get("baselineState") for r in run["results"]}
    assert states == {new.fingerprint: "new", known.fingerprint: "unchanged", muted.fingerprint: None}
    assert run["properties"] == {"baseline": "workers-audit-baseline.json", "baselineUnmatched": 2}


def test_no_baseline_no_baseline_state() -> None:
    run = sarif(Result(findings=[finding()]))["runs"][0]
    assert "baselineState" not in run["results"][0]
    assert "properties" not in run


def test_errors_are_notifications_and_unreadable_is_unsuccessful() -> None:
    errors = [AuditError("src/broken.ts", 12, "syntax error: unexpected `}`", 7),
              AuditError("src/big.ts", 1, "skipped: over the size limit")]
    readable = sarif(Result(errors=errors))["runs"][0]["invocations"]
    (invocation,) = readable
    assert invocation["executionSuccessful"] is True
    first, second = invocation["toolExecutionNotifications"]
    assert first["level"] == "error" and first["message"]["text"] == "syntax error: unexpected `}}`"
    (where,) = first["locations"]
    assert where["physicalLocation"]["artifactLocation"]["uri"] == "src/broken.ts"
    assert where["physicalLocation"]["region"] == {"startLine": 12, "startColumn": 7}
    assert second["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    unreadable = sarif(Result(errors=errors[:1], unreadable=True))["runs"][0]["invocations"][0]
    assert unreadable["executionSuccessful"] is False


@pytest.mark.parametrize(("path", "uri", "base"), [
    ("src/my dir/ünï#1.ts", "src/my%20dir/%C3%BCn%C3%AF%231.ts", "%SRCROOT%"),
    ("src/a:b/[id].ts", "src/a%3Ab/%5Bid%5D.ts", "%SRCROOT%"),
    ("src/50%.ts", "src/50%25.ts", "%SRCROOT%"),
    ("/srv/other worker/src/index.ts", "file:///srv/other%20worker/src/index.ts", None),
    ("C:/work/w/src/index.ts", "file:///C:/work/w/src/index.ts", None),
])
def test_uris_are_percent_encoded(path: str, uri: str, base: str | None) -> None:
    result = sarif(Result(findings=[finding(location=Location(path, 1, 1))]))["runs"][0]["results"][0]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact.get("uriBaseId") == base
    assert artifact["uri"] == uri
    if base is not None:
        assert URI_REFERENCE.fullmatch(artifact["uri"])
        assert unquote(artifact["uri"]) == path


# Suppressions, baselines and unreadable files through the command line.

WORKER_TOML = """\
name = "sarif"
main = "src/index.ts"
compatibility_date = "2026-09-01"
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]
"""

WORKER_TS = """\
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    // workers-audit-ignore[KV001]: the key is rewritten every minute
    await env.CACHE.put("a", "1");
    await env.CACHE.put("b", "2");
    return new Response("ok");
  },
};
"""


def test_cli_suppression_and_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wrangler.toml").write_text(WORKER_TOML, encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.ts").write_text(WORKER_TS, encoding="utf-8")
    code, out = run_cli(tmp_path, monkeypatch, "check", "--select", "KV001", "--format", "sarif")
    assert code == 1
    document = json.loads(out)
    validate(document)
    results = document["runs"][0]["results"]
    assert [(r["locations"][0]["physicalLocation"]["region"]["startLine"], "suppressions" in r)
            for r in results] == [(5, False), (4, True)]
    (suppression,) = results[1]["suppressions"]
    assert suppression["justification"] == "the key is rewritten every minute"
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == 3

    run_cli(tmp_path, monkeypatch, "baseline", "--select", "KV001", "--output", "baseline.json")
    source = WORKER_TS.replace('    return', '    await env.CACHE.put("c", "3");\n    return')
    (tmp_path / "src" / "index.ts").write_text(source, encoding="utf-8")
    code, out = run_cli(tmp_path, monkeypatch, "check", "--select", "KV001", "--format", "sarif",
                        "--baseline", "baseline.json")
    assert code == 1
    document = json.loads(out)
    validate(document)
    states = sorted((r["locations"][0]["physicalLocation"]["region"]["startLine"], r.get("baselineState"))
                    for r in document["runs"][0]["results"])
    assert states == [(4, None), (5, "unchanged"), (6, "new")]


def test_cli_unreadable_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "wrangler.toml").write_text('name = "x"\nkv_namespaces = [\n  { binding = "A" \n')
    code, out = run_cli(tmp_path, monkeypatch, "check", "--format", "sarif")
    assert code == 2
    document = json.loads(out)
    validate(document)
    (invocation,) = document["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    location = notification["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "wrangler.toml"
    assert location["region"]["startLine"] == 3
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["CF007"]
