"""`check --fix`, `--unsafe-fixes` and `--diff`: which bytes change, what is held back, what
verification refuses, and what the run says about it.

Each project under `fix_samples/` holds, beside a file the fixes change, the file as it must
read afterwards: `NAME.after-fix` (`--fix`) and `NAME.after-unsafe-fixes` (`--fix
--unsafe-fixes`). A file without one must come out unchanged.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.engine import audit
from auditor.findings import Fix, Location
from auditor.fix import apply_fixes, fix, offset_of, write
from tests.test_cli import run, tree_digest

SAMPLES = Path(__file__).parent / "fix_samples"
CASES = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())
SUFFIXES = (".after-fix", ".after-unsafe-fixes")
# Only the rules that have fixes: the counts below must not move when another rule changes.
MINE = ("--select", "CR001,KV001,KV002")


def project(tmp_path: Path, case: str, crlf: bool = False) -> Path:
    """A copy of a sample without its expected files."""
    target = tmp_path / case
    shutil.copytree(SAMPLES / case, target, ignore=shutil.ignore_patterns(*(f"*{s}" for s in SUFFIXES)))
    if crlf:
        for path in target.rglob("*"):
            if path.is_file():
                path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    return target


def sources(case: str) -> list[Path]:
    root = SAMPLES / case
    return sorted(p.relative_to(root) for p in root.rglob("*")
                  if p.is_file() and not p.name.endswith(SUFFIXES))


def expected(case: str, relative: Path, suffix: str) -> bytes:
    after = SAMPLES / case / f"{relative}{suffix}"
    return (after if after.exists() else SAMPLES / case / relative).read_bytes()


def json_findings(root: Path, *options: str) -> list[dict[str, object]]:
    code, out, _ = run("check", "--format", "json", "--fail-on", "never", *options, cwd=root)
    assert code == 0
    findings: list[dict[str, object]] = json.loads(out)["findings"]
    return findings


def at(findings: list[dict[str, object]], rule: str, path: str, line: int) -> dict[str, object]:
    found = [f for f in findings if (f["rule"], f["path"], f["line"]) == (rule, path, line)]
    assert len(found) == 1, f"{rule} at {path}:{line}: {found}"
    return found[0]


def independent_apply(text: str, fixes: list[dict[str, object]]) -> str:
    """The JSON fix objects applied by hand (a second implementation, not auditor.fix)."""
    lines = text.splitlines(keepends=True)

    def index(line: object, column: object) -> int:
        assert isinstance(line, int) and isinstance(column, int)
        return sum(len(row) for row in lines[:line - 1]) + column - 1

    spans = sorted(((index(f["line"], f["column"]), index(f["end_line"], f["end_column"]),
                     str(f["replacement"])) for f in fixes), reverse=True)
    for start, end, replacement in spans:
        text = text[:start] + replacement + text[end:]
    return text


# -- the bytes a fix writes ----------------------------------------------------------------


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("options, suffix", [(("--fix",), ".after-fix"),
                                             (("--fix", "--unsafe-fixes"), ".after-unsafe-fixes")],
                         ids=["safe", "unsafe"])
@pytest.mark.parametrize("case", CASES)
def test_fix_writes_exactly_the_expected_files(tmp_path: Path, case: str, options: tuple[str, ...],
                                              suffix: str, crlf: bool) -> None:
    root = project(tmp_path, case, crlf)
    run("check", *options, cwd=root)
    for relative in sources(case):
        want = expected(case, relative, suffix)
        if crlf:
            want = want.replace(b"\n", b"\r\n")
        assert (root / relative).read_bytes() == want, f"{relative} after {' '.join(options)}"


@pytest.mark.parametrize("case", CASES)
def test_json_fixes_replace_only_bytes_inside_the_finding(tmp_path: Path, case: str) -> None:
    """The `fix` objects of the JSON output, applied by hand, give the fixed files: nothing
    else changes, and every edit lies inside the span of the finding it fixes."""
    root = project(tmp_path, case)
    findings = [f for f in json_findings(root, "--unsafe-fixes") if f["fix"] is not None]
    assert findings
    for finding in findings:
        edit = finding["fix"]
        assert isinstance(edit, dict)
        assert edit["path"] == finding["path"] and edit["applicability"] in ("safe", "unsafe")
        assert edit["message"] and isinstance(edit["replacement"], str)
        start, end = (edit["line"], edit["column"]), (edit["end_line"], edit["end_column"])
        assert (finding["line"], finding["column"]) <= start <= end \
            <= (finding["end_line"], finding["end_column"])
    for relative in sources(case):
        edits = [f["fix"] for f in findings if f["path"] == relative.as_posix()]
        text = (root / relative).read_text(encoding="utf-8")
        want = expected(case, relative, ".after-unsafe-fixes").decode("utf-8")
        assert independent_apply(text, edits) == want  # type: ignore[arg-type]


def test_fix_applicability_per_rule(tmp_path: Path) -> None:
    findings = json_findings(project(tmp_path, "ts_toml"), *MINE)
    kinds = {(f["rule"], f["fix"]["applicability"]) for f in findings if f["fix"]}  # type: ignore[index]
    assert kinds == {("CR001", "safe"), ("KV001", "unsafe"), ("KV002", "unsafe")}
    cron = at(findings, "CR001", "wrangler.toml", 12)["fix"]
    assert isinstance(cron, dict) and cron["replacement"] == "SUN-THU"
    assert "Sunday to Thursday" in cron["message"]
    assert "`MON-FRI` is probably what was meant" in cron["message"]


def test_fixing_again_changes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, "ts_toml")
    run("check", "--fix", "--unsafe-fixes", cwd=root)
    fixed = tree_digest(root)
    code, out, _ = run("check", "--fix", "--unsafe-fixes", *MINE, cwd=root)
    assert tree_digest(root) == fixed
    assert "fixed" not in out and "[*]" not in out
    assert code == 1  # `fail-on = "error"`, and the KV002 on a followed constant stays
    code, out, _ = run("check", "--diff", "--unsafe-fixes", cwd=root)
    assert (code, out) == (0, "")


# -- what a run offers and holds back ------------------------------------------------------


def test_plain_check_marks_safe_fixes_and_counts_the_rest(tmp_path: Path) -> None:
    root = project(tmp_path, "ts_toml")
    before = tree_digest(root)
    code, out, _ = run("check", *MINE, cwd=root)
    assert code == 1 and tree_digest(root) == before
    assert "wrangler.toml:12:3: CR001 [*] day-of-week `1-5`" in out
    assert "src/index.ts:16:11: KV001 put to `QUOTES`" in out  # unsafe: no mark without the option
    assert out.splitlines()[-1] == ("Found 13 findings (3 errors, 10 warnings). [*] 2 fixable with "
                                    "`--fix`. 7 fixes are available with `--unsafe-fixes`.")


def test_unsafe_fixes_alone_reports_them_fixable_and_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, "ts_toml")
    before = tree_digest(root)
    code, out, _ = run("check", "--unsafe-fixes", *MINE, cwd=root)
    assert code == 1 and tree_digest(root) == before
    assert "src/index.ts:16:11: KV001 [*] put to `QUOTES`" in out
    assert "src/index.ts:25:11: KV001 put to `QUOTES`" in out  # the wrapper's caller: no fix
    assert out.splitlines()[-1] == ("Found 13 findings (3 errors, 10 warnings). [*] 9 fixable with "
                                    "`--fix --unsafe-fixes`.")


def test_safe_fix_holds_back_kv_fixes_and_says_how_to_get_them(tmp_path: Path) -> None:
    root = project(tmp_path, "ts_toml")
    code, out, _ = run("check", "--fix", *MINE, cwd=root)
    assert out.splitlines()[-1] == ("Found 13 findings (2 fixed, 11 remaining). 7 fixes are available "
                                    "with `--unsafe-fixes`.")
    assert not re.search(r"CR001|\[\*\]", out)
    assert code == 1  # KV002 is an error, and `fail-on = "error"`


def test_unsafe_fix_reports_what_remains(tmp_path: Path) -> None:
    root = project(tmp_path, "ts_toml")
    code, out, _ = run("check", "--fix", "--unsafe-fixes", *MINE, cwd=root)
    remaining = [line.split(": ")[0] + " " + line.split(": ")[1].split()[0]
                 for line in out.splitlines() if re.match(r"src/|wrangler", line)]
    assert remaining == ["src/index.ts:24:11 KV002", "src/index.ts:25:11 KV001", "src/index.ts:26:11 KV001",
                         "src/store.ts:11:9 KV001"]
    assert out.splitlines()[-1] == "Found 13 findings (9 fixed, 4 remaining)."
    assert code == 1


def test_without_expiration_ttl_kv001_has_no_fix(tmp_path: Path) -> None:
    root = project(tmp_path, "no_ttl_setting")
    findings = json_findings(root, "--unsafe-fixes", *MINE)
    assert at(findings, "KV001", "src/index.ts", 8)["fix"] is None
    ttl = at(findings, "KV002", "src/index.ts", 9)["fix"]
    assert isinstance(ttl, dict) and (ttl["replacement"], ttl["applicability"]) == ("60", "unsafe")
    _, out, _ = run("check", "--fix", "--unsafe-fixes", *MINE, cwd=root)
    assert "KV001 has no fix until `expiration-ttl` (seconds) is set under `[fix]`" in out
    assert "Found 3 findings (2 fixed, 1 remaining)." in out


@pytest.mark.parametrize("case, path, line", [
    ("ts_toml", "src/index.ts", 25),  # a wrapper's caller: `save(env, key, body)`
    ("ts_toml", "src/index.ts", 26),  # a wrapper whose put spreads a parameter
    ("ts_toml", "src/store.ts", 11),  # options in a variable
    ("js_jsonc", "src/worker.js", 6),  # options in a variable
    ("js_jsonc", "src/worker.js", 8),  # a comment where the options would go
    ("python_pyproject", "src/entry.py", 19),  # a wrapper forwarding **options
])
def test_no_fix_where_the_options_are_not_written_at_the_put(tmp_path: Path, case: str, path: str,
                                                             line: int) -> None:
    findings = json_findings(project(tmp_path, case), "--unsafe-fixes", *MINE)
    assert at(findings, "KV001", path, line)["fix"] is None


def test_no_fix_for_a_ttl_from_a_followed_constant(tmp_path: Path) -> None:
    findings = json_findings(project(tmp_path, "ts_toml"), "--unsafe-fixes", *MINE)
    assert at(findings, "KV002", "src/index.ts", 24)["fix"] is None  # `expirationTtl: SHORT_TTL`
    assert at(findings, "KV002", "src/index.ts", 23)["fix"] is not None


def test_fix_with_json_output_prints_the_audit_after_the_fixes(tmp_path: Path) -> None:
    root = project(tmp_path, "js_jsonc")
    code, out, err = run("check", "--fix", "--format", "json", *MINE, cwd=root)
    assert code == 1  # the KV001 and KV002 warnings left
    assert sorted((f["rule"], f["line"]) for f in json.loads(out)["findings"]) == [
        ("KV001", 5), ("KV001", 6), ("KV001", 8), ("KV001", 14), ("KV002", 7)]
    assert err == "Found 7 findings (2 fixed, 5 remaining). 3 fixes are available with `--unsafe-fixes`.\n"


# -- --diff --------------------------------------------------------------------------------


def test_diff_prints_the_fixes_and_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path, "js_jsonc")
    before = tree_digest(root)
    code, out, err = run("check", "--diff", cwd=root)
    assert code == 1 and tree_digest(root) == before
    assert out == (
        "--- a/wrangler.jsonc\n+++ b/wrangler.jsonc\n@@ -7,6 +7,6 @@\n"
        '     { "binding": "SESSIONS", "id": "5b0e9d3c1a2f47e8b6c4d1e0f9a8b7c6" },\n   ],\n'
        '   "triggers": {\n-    "crons": ["15 2 * * 6", "0 0 * * 1,7",],\n'
        '+    "crons": ["15 2 * * FRI", "0 0 * * SUN,SAT",],\n   },\n }\n')
    assert "Would fix 2 findings. 3 fixes are available with `--unsafe-fixes`." in err


def test_diff_with_unsafe_fixes_covers_every_fixed_file(tmp_path: Path) -> None:
    root = project(tmp_path, "ts_toml")
    before = tree_digest(root)
    code, out, _ = run("check", "--diff", "--unsafe-fixes", cwd=root)
    assert code == 1 and tree_digest(root) == before
    assert re.findall(r"^\+\+\+ (\S+)", out, re.M) == ["b/src/index.ts", "b/wrangler.toml"]
    assert "+    await env.QUOTES.put(`quote:empty:${symbol}`, body, { expirationTtl: 86400 });\n" in out


# -- verification ----------------------------------------------------------------------------


MINE_ONLY = {"select": ("CR001", "KV001", "KV002"), "fail_on": "never"}


def _span_of(root: Path, path: str, line: int, needle: str) -> Location:
    """Where `needle` is on a line, as a Fix location (1-based character columns)."""
    column = (root / path).read_text(encoding="utf-8").splitlines()[line - 1].index(needle) + 1
    return Location(path, line, column, line, column + len(needle))


@pytest.mark.parametrize("replacement, why", [
    # `{ cacheTtl: 10 }` -> `{ cacheTtl: 10 + }`: the file no longer parses
    ("10 +", "the fixed file would not parse: syntax error"),
    # `{ cacheTtl: 10 }` -> `{ cacheTtl: 10  }`: the finding stays
    ("10 ", "KV002 would still be reported in src/index.ts (3 findings, 2 expected)"),
    # the get fixed, and a put without a TTL added beside it
    ("30 }); await env.QUOTES.put('x', 'y', {", "the fix would add a KV001 finding in src/index.ts"),
])
def test_a_fix_that_fails_verification_is_not_written(tmp_path: Path, replacement: str, why: str) -> None:
    root = project(tmp_path, "ts_toml")
    source = (root / "src/index.ts").read_bytes()
    # Marked safe, so that it is the only fix offered in that file.
    bad = Fix("bad", replacement, _span_of(root, "src/index.ts", 12, "10"), "safe")
    result = audit([root], MINE_ONLY, base=root)
    result.findings = [replace(f, fix=bad) if (f.rule, f.location.line) == ("KV002", 12) else f
                       for f in result.findings]
    outcome = fix(result, lambda overlay: audit([root], MINE_ONLY, base=root, overlay=overlay),
                  root, unsafe=False)
    write(outcome)
    assert (root / "src/index.ts").read_bytes() == source
    assert outcome.rejected["src/index.ts"].startswith(why)
    # The configuration's fixes passed on their own and were written.
    assert (root / "wrangler.toml").read_bytes() == expected("ts_toml", Path("wrangler.toml"), ".after-fix")
    assert outcome.fixed == 2
    assert not [f for f in outcome.result.findings if f.rule == "CR001"]


def test_cli_reports_a_file_left_unfixed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.rules import kv_ttl_too_short

    root = project(tmp_path, "no_ttl_setting")
    broken = Fix("bad", "60 +", _span_of(root, "src/index.ts", 9, "45"), "unsafe")
    monkeypatch.setattr(kv_ttl_too_short, "_fix", lambda *_: broken)
    source = (root / "src/index.ts").read_bytes()
    code, out, _ = run("check", "--fix", "--unsafe-fixes", *MINE, cwd=root)
    assert (root / "src/index.ts").read_bytes() == source
    assert "src/index.ts: fixes not applied: the fixed file would not parse: syntax error" in out
    assert "Found 3 findings (1 fixed, 2 remaining)." in out
    # `--fix` cannot fix it while its file's fixes are refused: no [*] on it.
    assert "src/index.ts:9:11: KV002 put on `FEED`" in out
    assert "[*]" not in out
    assert code == 1


# -- the pieces ------------------------------------------------------------------------------


def test_apply_fixes_drops_overlaps_and_applies_identical_fixes_once() -> None:
    text = "ab📈cd\nef\n"
    a = Fix("a", "X", Location("f", 1, 2, 1, 4))  # `b📈`
    b = Fix("b", "Y", Location("f", 1, 3, 1, 5))  # overlaps a
    c = Fix("c", "Z", Location("f", 2, 3, 2, 3))  # an insertion at the end of line 2
    findings = [object(), object(), object(), object()]
    new, fixed = apply_fixes(text, [(a, findings[0]), (b, findings[1]), (c, findings[2]),  # type: ignore[list-item]
                                    (c, findings[3])])  # type: ignore[list-item]
    assert new == "aXcd\nefZ\n"
    assert fixed == [findings[0], findings[2], findings[3]]


def test_offset_of_counts_characters_and_refuses_positions_off_the_text() -> None:
    text = "€📈x\r\nyz"
    assert offset_of(text, 1, 3) == 2 and text[2] == "x"
    assert offset_of(text, 2, 3) == len(text)
    assert offset_of(text, 2, 4) is None and offset_of(text, 3, 1) is None


# -- settings --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["30", '"86400"', "true", "86400.5", "-1"])
def test_a_bad_expiration_ttl_is_a_settings_error(tmp_path: Path, value: str) -> None:
    root = project(tmp_path, "ts_toml")
    (root / "workers-audit.toml").write_text(f'fail-on = "error"\n\n[fix]\nexpiration-ttl = {value}\n')
    code, _, err = run("check", cwd=root)
    assert code == 2
    assert "workers-audit.toml:4: `fix.expiration-ttl` must be a whole number of seconds, at least 60" in err


def test_an_unknown_fix_setting_is_a_settings_error(tmp_path: Path) -> None:
    root = project(tmp_path, "python_pyproject")
    text = (root / "pyproject.toml").read_text().replace("expiration-ttl = 600", "ttl = 600")
    (root / "pyproject.toml").write_text(text)
    code, _, err = run("check", "--fix", cwd=root)
    assert code == 2 and "pyproject.toml:9: unknown setting `fix.ttl` (known: expiration-ttl)" in err
