"""Inline suppressions as a user writes them: what they cover, what they report, bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.suppressions import CommentedFile, SuppressionError, parse

WRANGLER = """\
name = "suppressed"
main = "src/index.ts"
compatibility_date = "2026-11-01"
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]
"""

KNOWN = {"KV001", "KV003", "CF006", "WA001"}


def worker(tmp_path: Path, body: str, config: str = WRANGLER) -> Path:
    (tmp_path / "src").mkdir(parents=True, exist_ok=True)
    (tmp_path / "wrangler.toml").write_text(config, encoding="utf-8")
    source = ("interface Env { CACHE: KVNamespace }\n"
              "export default {\n"
              "  async fetch(request: Request, env: Env): Promise<Response> {\n"
              "    const key = new URL(request.url).pathname;\n"
              f"{body}"
              "    return new Response('ok');\n"
              "  },\n"
              "};\n")
    (tmp_path / "src" / "index.ts").write_text(source, encoding="utf-8")
    return tmp_path


def check(path: Path, *args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(main, ["check", *args, str(path)], catch_exceptions=False)
    return outcome.exit_code, outcome.stdout, outcome.stderr


def one(text: str, comment: str, line: int) -> tuple[tuple[str, ...], str | None, tuple[int, ...]]:
    [found] = parse([CommentedFile("src/a.ts", text, ((line, comment),))], KNOWN)
    return found.codes, found.reason, found.lines


def test_a_trailing_comment_covers_its_own_line_only() -> None:
    text = "a();\nb(); // workers-audit-ignore[KV001]: why\nc();\n"
    assert one(text, "// workers-audit-ignore[KV001]: why", 2) == (("KV001",), "why", (2,))


def test_a_comment_line_covers_the_next_code_line_through_stacked_comments() -> None:
    text = ("// workers-audit-ignore[KV001]: one\n"
            "// workers-audit-ignore[KV003]: two\n"
            "/* a note\n   over lines */\n"
            "put();\n")
    assert one(text, "// workers-audit-ignore[KV001]: one", 1)[2] == (1, 5)


def test_a_blank_line_ends_the_reach_of_a_comment_line() -> None:
    text = "# workers-audit-ignore[KV001]: why\n\nput()\n"
    assert one(text, "# workers-audit-ignore[KV001]: why", 1)[2] == (1, 2)


def test_codes_are_read_case_insensitively_deduplicated_and_the_reason_trimmed() -> None:
    comment = "/* workers-audit-ignore[ kv001 , KV003,KV001 ]:  kept on purpose  */"
    assert one(comment + " put();\n", comment, 1)[:2] == (("KV001", "KV003"), "kept on purpose")


@pytest.mark.parametrize("comment", [
    "// workers-audit-ignore[KV001]",
    "// workers-audit-ignore[KV001]:",
    "// workers-audit-ignore[KV001]   ",
    "# workers-audit-ignore[KV001] because",  # a reason needs its colon
])
def test_no_reason(comment: str) -> None:
    assert one(comment + "\n", comment, 1)[1] is None


def test_prose_that_mentions_the_mark_is_not_a_directive() -> None:
    comment = "// run with workers-audit-ignore comments removed"
    assert parse([CommentedFile("a.ts", comment + "\n", ((1, comment),))], KNOWN) == []


@pytest.mark.parametrize(("comment", "expected"), [
    ("// workers-audit-ignore[KV999]: x", "src/a.ts:3: unknown rule code `KV999`"),
    ("// workers-audit-ignore[KV]: x", "a whole code such as KV001, not a prefix"),
    ("// workers-audit-ignore: x", "names no rule code"),
    ("// workers-audit-ignore[]: x", "names no rule code"),
])
def test_a_directive_that_cannot_be_meant_is_an_error(comment: str, expected: str) -> None:
    text = "\n\n" + comment + "\n"
    with pytest.raises(SuppressionError, match=expected.replace("[", r"\[")):
        parse([CommentedFile("src/a.ts", text, ((3, comment),))], KNOWN)


def test_a_suppressed_finding_leaves_the_gate_and_is_counted(tmp_path: Path) -> None:
    body = "    await env.CACHE.put(key, 'v'); // workers-audit-ignore[KV001]: rewritten daily\n"
    root = worker(tmp_path, body)
    code, out, _ = check(root, "--select", "KV001,WA")
    assert (code, out) == (0, "")
    unsuppressed = worker(tmp_path / "plain", "    await env.CACHE.put(key, 'v');\n")
    code, out, _ = check(unsuppressed, "--select", "KV001,WA")
    assert code == 1 and "KV001" in out


def test_json_lists_what_was_suppressed_with_the_reason(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    body = "    // workers-audit-ignore[KV001]: rewritten daily\n    await env.CACHE.put(key, 'v');\n"
    monkeypatch.chdir(worker(tmp_path, body))
    code, out, _ = check(Path("."), "--select", "KV001,WA", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["findings"] == []
    [entry] = data["suppressed"]
    assert entry["finding"]["rule"] == "KV001" and entry["finding"]["line"] == 6
    assert entry["suppression"] == {"path": "src/index.ts", "line": 5, "codes": ["KV001"],
                                    "reason": "rewritten daily"}


def test_text_output_says_how_many_were_suppressed_when_it_prints_findings(tmp_path: Path) -> None:
    body = ("    await env.CACHE.put(key, 'v'); // workers-audit-ignore[KV001]: rewritten daily\n"
            "    await env.CACHE.put(key + 'b', 'v');\n")
    code, out, _ = check(worker(tmp_path, body), "--select", "KV001,WA")
    assert code == 1
    assert out.splitlines()[-1] == "1 finding suppressed by `workers-audit-ignore` comments."


def test_a_suppression_without_reason_still_suppresses_and_fails_the_gate(tmp_path: Path) -> None:
    body = "    await env.CACHE.put(key, 'v'); // workers-audit-ignore[KV001]\n"
    code, out, _ = check(worker(tmp_path, body), "--select", "KV001,WA")
    assert code == 1
    assert "WA001" in out and "KV001 put" not in out


def test_a_stale_suppression_is_reported_only_when_its_rule_ran(tmp_path: Path) -> None:
    body = "    await env.CACHE.put(key, 'v', { expirationTtl: 600 }); // workers-audit-ignore[KV001]: x\n"
    root = worker(tmp_path, body)
    code, out, _ = check(root, "--select", "KV001,WA")
    assert code == 1 and "WA002" in out and "no KV001 finding on this line" in out
    code, out, _ = check(root, "--select", "CF,WA")
    assert (code, out) == (0, "")


def test_a_suppression_in_the_wrangler_file(tmp_path: Path) -> None:
    config = WRANGLER.replace('id = "0f2ac74b498b48028cb68387c421e279" }]',
                              'id = "your-kv-id" }]  # workers-audit-ignore[CF006]: set by CI')
    root = worker(tmp_path, "    await env.CACHE.get(key);\n", config)
    assert check(root, "--select", "CF006,WA") == (0, "", "")


@pytest.mark.parametrize(("comment", "message"), [
    ("// workers-audit-ignore[KV999]: x", "src/index.ts:5: unknown rule code `KV999`"),
    ("// workers-audit-ignore: x", "src/index.ts:5: `workers-audit-ignore` names no rule code"),
])
def test_a_bad_directive_exits_2_with_file_and_line(tmp_path: Path, comment: str, message: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = worker(tmp_path, f"    {comment}\n    await env.CACHE.put(key, 'v');\n")
    monkeypatch.chdir(root)
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    code, out, err = check(Path("."))
    assert code == 2 and out == ""
    assert err.startswith(f"workers-audit: error: {message}")
    assert "Traceback" not in err
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_a_bad_directive_in_toml_names_the_config_line(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    config = WRANGLER + "# workers-audit-ignore[CF999]: nope\n"
    root = worker(tmp_path, "", config)
    monkeypatch.chdir(root)
    code, _, err = check(Path("."))
    assert code == 2 and "wrangler.toml:5: unknown rule code `CF999`" in err
