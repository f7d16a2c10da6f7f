"""The baseline: written from today's findings, it holds them back until they change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

WRANGLER = """\
name = "baselined"
main = "src/index.ts"
compatibility_date = "2026-11-01"
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]
"""

SOURCE = """\
interface Env { CACHE: KVNamespace }
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const key = new URL(request.url).pathname;
    await env.CACHE.put(`quote:${key}`, "v");
    await env.CACHE.put(`other:${key}`, "v", { expirationTtl: 600 });
    return new Response("ok");
  },
};
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "wrangler.toml").write_text(WRANGLER, encoding="utf-8")
    (tmp_path / "src" / "index.ts").write_text(SOURCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.stdout, outcome.stderr


def edit(project: Path, old: str, new: str) -> None:
    path = project / "src" / "index.ts"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def fingerprints(select: str = "KV001") -> list[str]:
    _code, out, _ = cli("check", "--format", "json", "--select", select)
    return [f["fingerprint"] for f in json.loads(out)["findings"]]


def test_baseline_writes_every_finding_and_check_then_passes(project: Path) -> None:
    code, out, err = cli("baseline", "--select", "KV001")
    assert code == 0 and out == ""
    assert err == "Wrote 1 finding to workers-audit-baseline.json.\n"
    data = json.loads((project / "workers-audit-baseline.json").read_text())
    assert data["version"] == 1
    assert [(e["rule"], e["path"], e["binding"]) for e in data["findings"]] == [
        ("KV001", "src/index.ts", "CACHE")]
    assert [e["fingerprint"] for e in data["findings"]] == fingerprints()
    code, out, _ = cli("check", "--select", "KV001", "--baseline", "workers-audit-baseline.json")
    assert code == 0
    assert out == "1 finding in the baseline workers-audit-baseline.json not shown.\n"


def test_moving_and_reformatting_the_code_keeps_the_finding_baselined(project: Path) -> None:
    cli("baseline", "--select", "KV001")
    edit(project, "interface Env", "// a new comment\nconst unrelated = 1;\n\ninterface Env")
    edit(project, "await env.CACHE.put(`quote:${key}`, \"v\");",
         "await env.CACHE.put(\n      `quote:${key}`,\n      \"v\",\n    );")
    code, out, _ = cli("check", "--select", "KV001", "--baseline", "workers-audit-baseline.json")
    assert code == 0, out


def test_a_new_finding_fails_the_gate_and_only_it_is_shown(project: Path) -> None:
    cli("baseline", "--select", "KV001")
    edit(project, '    return new Response("ok");', '    await env.CACHE.put(`new:${key}`, "v");\n'
                                                   '    return new Response("ok");')
    code, out, _ = cli("check", "--select", "KV001", "--baseline", "workers-audit-baseline.json")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("src/index.ts:7:") and "KV001" in lines[0]
    assert "quote" not in out and len([line for line in lines if "KV001" in line]) == 1
    assert lines[-1] == "1 finding in the baseline workers-audit-baseline.json not shown."


def test_editing_the_site_makes_it_a_new_finding(project: Path) -> None:
    cli("baseline", "--select", "KV001")
    edit(project, "`quote:${key}`", "`quotes:${key}`")
    code, out, _ = cli("check", "--select", "KV001", "--baseline", "workers-audit-baseline.json")
    assert code == 1 and "KV001" in out
    assert "1 baseline entry matched nothing" in out


def test_an_identical_copy_of_a_baselined_site_is_new(project: Path) -> None:
    cli("baseline", "--select", "KV001")
    edit(project, '    await env.CACHE.put(`other', '    await env.CACHE.put(`quote:${key}`, "v");\n'
                                                    '    await env.CACHE.put(`other')
    first, second = fingerprints()
    assert first != second
    code, out, _ = cli("check", "--select", "KV001", "--baseline", "workers-audit-baseline.json")
    assert code == 1 and "src/index.ts:6:" in out and "src/index.ts:5:" not in out


def test_fixed_findings_are_counted_and_json_says_so(project: Path) -> None:
    cli("baseline", "--select", "KV001")
    edit(project, '`quote:${key}`, "v")', '`quote:${key}`, "v", { expirationTtl: 60 })')
    code, out, _ = cli("check", "--select", "KV001", "--format", "json",
                       "--baseline", "workers-audit-baseline.json")
    assert code == 0
    assert json.loads(out)["baseline"] == {"path": "workers-audit-baseline.json", "baselined": 0,
                                           "unmatched": 1}
    code, out, _ = cli("check", "--select", "KV001", "--baseline", "workers-audit-baseline.json")
    assert out == ("1 baseline entry matched nothing (fixed or changed): `workers-audit baseline` "
                   "writes the file again without them.\n")


def test_the_baseline_command_writes_only_the_file_asked_for(project: Path) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    code, _, err = cli("baseline", "--output", "ci/known.json")
    assert code == 2 and "ci/known.json: cannot write" in err  # no such directory: not created
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before
    (project / "ci").mkdir()
    assert cli("baseline", "--output", "ci/known.json")[0] == 0
    after = sorted(p.relative_to(project) for p in project.rglob("*"))
    assert set(after) - set(before) == {Path("ci"), Path("ci/known.json")}


@pytest.mark.parametrize(("content", "message"), [
    ('{"version": 1, "findings": [\n  {"fingerprint": "ab"},\n  oops\n]}',
     "known.json:3:3: not a baseline file: "),
    ('{"version": 2, "findings": []}', "known.json:1: not a workers-audit baseline"),
    ('[1, 2]', "known.json:1:1: not a baseline file: expected an object at the top level"),
    ('{"version": 1,\n "findings": [\n  {"fingerprint": "ab"},\n  {"rule": "KV001"}\n]}',
     "known.json:4: baseline entry 2 has no `fingerprint` string"),
    ("", "known.json:1:1: not a baseline file: "),
])
def test_a_corrupt_baseline_exits_2_with_file_and_line(project: Path, content: str, message: str) -> None:
    (project / "known.json").write_text(content, encoding="utf-8")
    code, out, err = cli("check", "--baseline", "known.json")
    assert code == 2 and out == ""
    assert err.startswith(f"workers-audit: error: {message}"), err
    assert "Traceback" not in err


def test_a_missing_baseline_says_how_to_make_one(project: Path) -> None:
    code, _, err = cli("check", "--baseline", "nope.json")
    assert code == 2
    assert err == ("workers-audit: error: nope.json: no such file; write one with "
                   "`workers-audit baseline --output nope.json`\n")
    assert not (project / "nope.json").exists()


def test_a_binary_baseline_is_an_error_not_a_traceback(project: Path) -> None:
    (project / "known.json").write_bytes(b"\xff\xfe\x00garbage")
    code, _, err = cli("check", "--baseline", "known.json")
    assert code == 2 and "known.json: cannot read the baseline: not UTF-8 text" in err


def test_adding_options_to_a_call_keeps_the_other_findings_at_it(project: Path) -> None:
    edit(project, "`quote:${key}`, \"v\");", "\"flags\", \"v\");")
    before = fingerprints("KV202")
    assert len(before) == 1
    edit(project, "\"flags\", \"v\");", "\"flags\", \"v\", { expirationTtl: 600 });")
    assert fingerprints("KV202") == before


def test_the_same_call_in_two_functions_is_two_sites(project: Path) -> None:
    edit(project, "  },\n};", "  },\n  async scheduled(event: ScheduledEvent, env: Env): Promise<void> {\n"
                              "    await env.CACHE.put(`quote:${key}`, \"v\");\n  },\n};")
    first, second = fingerprints()
    cli("baseline", "--select", "KV001")
    # Moving the scheduled copy up a few lines changes nothing; dropping the fetch copy
    # leaves the scheduled one in the baseline and reports the fetch one as fixed.
    edit(project, "    await env.CACHE.put(`quote:${key}`, \"v\");\n    await env.CACHE.put(`other",
         "    await env.CACHE.put(`other")
    code, out, _ = cli("check", "--select", "KV001", "--baseline", "workers-audit-baseline.json")
    assert code == 0 and "1 baseline entry matched nothing" in out
    assert fingerprints() == [second] and first != second
