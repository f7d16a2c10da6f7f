"""`check --format github`: workflow commands that the Actions runner turns into annotations."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.findings import AuditError, Finding, Location, Related, Result, Severity, Suppression
from auditor.formatters import formatter
from auditor.formatters.github_format import escape_data, escape_property
from auditor.rules import BY_CODE

EXAMPLES = Path(__file__).parent.parent / "examples"
COMMAND = re.compile(r"::(?P<name>[a-z]+)(?: (?P<properties>[^:]*))?::(?P<message>.*)")


def unescape(text: str) -> str:
    """The runner's side, in the reverse order of the escaping (`%25` last)."""
    for escaped, plain in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: `,` separates properties, `::` ends them."""
    match = COMMAND.fullmatch(line)
    assert match, line
    properties = {}
    for item in (match["properties"] or "").split(","):
        if item:
            key, value = item.split("=", 1)
            properties[key] = unescape(value)
    return match["name"], properties, unescape(match["message"])


def render(result: Result) -> list[tuple[str, dict[str, str], str]]:
    text = formatter("github")(result)
    return [parse(line) for line in text.splitlines()]


def finding(rule: str = "KV001", location: Location | None = None, **fields: Any) -> Finding:
    values: dict[str, Any] = {
        "rule": rule, "name": BY_CODE[rule].name, "severity": BY_CODE[rule].severity,
        "location": location or Location("src/index.ts", 4, 11, 4, 40), "message": f"a {rule} finding",
        "binding": None, "environment": None, "fingerprint": f"fp-{rule}",
    }
    values.update(fields)
    return Finding(**values)


@pytest.mark.parametrize(("plain", "data", "property_value"), [
    ("50% of writes", "50%25 of writes", "50%25 of writes"),
    ("a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"),
    ("literal %0A stays", "literal %250A stays", "literal %250A stays"),
    ("KV001: a, b", "KV001: a, b", "KV001%3A a%2C b"),
    ("::error::", "::error::", "%3A%3Aerror%3A%3A"),
])
def test_escaping_follows_actions_core(plain: str, data: str, property_value: str) -> None:
    assert escape_data(plain) == data
    assert escape_property(plain) == property_value


def test_levels_follow_each_findings_severity() -> None:
    annotations = render(Result(findings=[
        finding("CF003"), finding("KV001"), finding("KV203"),
        finding("KV001", severity=Severity.ERROR), finding("CF003", severity=Severity.INFO)]))
    assert [name for name, _, _ in annotations] == ["error", "warning", "notice", "error", "notice"]
    assert {BY_CODE["CF003"].severity, BY_CODE["KV001"].severity, BY_CODE["KV203"].severity} == set(Severity)


def test_properties_of_a_one_line_span() -> None:
    ((_, properties, message),) = render(Result(findings=[finding()]))
    assert properties == {"file": "src/index.ts", "line": "4", "endLine": "4", "col": "11",
                          "endColumn": "40", "title": "KV001 kv-put-missing-ttl"}
    assert message == "a KV001 finding"


def test_columns_are_left_out_of_a_multiline_span() -> None:
    # @actions/core: columns "cannot be sent when startLine and endLine are different values".
    spans = [Location("src/a.ts", 29, 23, 31, 6), Location("src/b.ts", 7, 3), Location("src/c.ts", 7, 3, 7)]
    annotations = render(Result(findings=[finding(location=span) for span in spans]))
    assert [p for _, p, _ in annotations] == [
        {"file": "src/a.ts", "line": "29", "endLine": "31", "title": "KV001 kv-put-missing-ttl"},
        {"file": "src/b.ts", "line": "7", "endLine": "7", "col": "3", "title": "KV001 kv-put-missing-ttl"},
        {"file": "src/c.ts", "line": "7", "endLine": "7", "col": "3", "title": "KV001 kv-put-missing-ttl"},
    ]


def test_awkward_text_round_trips_through_the_runner() -> None:
    awkward = finding(location=Location("src/a,b:c 100%.ts", 3, 1, 3, 9),
                      message="writes 50% more: `a,b`\nsecond line %0A not a break",
                      related=(Related(Location("src/dal.ts", 601, 5), "put reached through `dal.write`"),))
    text = formatter("github")(Result(findings=[awkward]))
    assert text.count("\n") == 1  # one command a line: the related location is an escaped newline
    ((name, properties, message),) = [parse(line) for line in text.splitlines()]
    assert name == "warning"
    assert properties["file"] == "src/a,b:c 100%.ts"
    assert message == ("writes 50% more: `a,b`\nsecond line %0A not a break\n"
                       "src/dal.ts:601:5: put reached through `dal.write`")


def test_errors_are_error_annotations_once() -> None:
    unreadable = Location("wrangler.toml", 3, 1)
    result = Result(
        errors=[AuditError("src/broken.ts", 12, "syntax error: unexpected `}`", 7),
                AuditError("wrangler.toml", 3, "expected `}`")],
        findings=[finding("CF007", location=unreadable, message="expected `}`")])
    annotations = render(result)
    assert annotations == [
        ("error", {"file": "src/broken.ts", "line": "12", "endLine": "12", "col": "7",
                   "title": "workers-audit"}, "syntax error: unexpected `}`"),
        # The unreadable configuration is a CF007 finding too: annotated once, as the finding.
        ("error", {"file": "wrangler.toml", "line": "3", "endLine": "3", "col": "1",
                   "title": "CF007 config-unreadable"}, "expected `}`"),
    ]
    assert BY_CODE["CF007"].name == "config-unreadable"


def test_suppressed_and_baselined_findings_are_not_annotated() -> None:
    comment = Suppression(Location("src/index.ts", 3, 5), ("KV001",), "why", (3, 4))
    result = Result(findings=[finding("KV203")], suppressed=[(finding("KV001"), comment)],
                    baseline="baseline.json", baselined=[finding("CF003")])
    assert [p["title"] for _, p, _ in render(result)] == ["KV203 kv-write-per-request"]
    assert BY_CODE["KV203"].name == "kv-write-per-request"
    assert formatter("github")(Result()) == ""


def test_cli_on_an_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)
    runner = CliRunner()
    outcome = runner.invoke(main, ["check", "quote-cache", "--format", "github"],
                            catch_exceptions=False)
    as_json = runner.invoke(main, ["check", "quote-cache", "--format", "json"], catch_exceptions=False)
    findings = json.loads(as_json.stdout)["findings"]
    assert outcome.exit_code == 1
    annotations = [parse(line) for line in outcome.stdout.splitlines()]
    levels = {"error": "error", "warning": "warning", "info": "notice"}
    assert [(name, p["file"], int(p["line"]), p["title"]) for name, p, _ in annotations] == [
        (levels[f["severity"]], f["path"], f["line"], f"{f['rule']} {f['name']}") for f in findings]
    assert [message.split("\n")[0] for _, _, message in annotations] == [f["message"] for f in findings]
    put = next(p for _, p, _ in annotations if p["title"].startswith("KV001") and p["line"] == "31")
    assert put["file"] == "quote-cache/src/index.ts" and put["col"] == "9"
