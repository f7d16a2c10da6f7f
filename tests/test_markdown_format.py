"""`check --format markdown`: findings for a pull request, an issue or $GITHUB_STEP_SUMMARY.

No Markdown parser is a dependency, so the output is read back by `cells` and `inline` below:
a GFM table row split as cmark-gfm and markdown-it split it, and inline text read as CommonMark
reads code spans, backslash escapes and the `<br>` the formatter writes. Any other inline
construct (emphasis, a link, raw HTML, an entity, strikethrough, math) fails the reading, so a
message can only come back as the characters it had.
"""

from __future__ import annotations

import json
import re
import shutil
import string
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.findings import (
    AuditError,
    Fix,
    FixSummary,
    Location,
    Related,
    Result,
    Severity,
    Suppression,
    WorkerSummary,
)
from auditor.formatters import formatter
from auditor.formatters.markdown_format import (
    COLLAPSE,
    code_span,
    escape_html,
    escape_message,
    escape_text,
)
from tests.test_github_format import finding

REPO = Path(__file__).parent.parent
EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).parent / "fixtures"

# Outside a code span, these would start an inline construct if they were not escaped.
ACTIVE = set("\\`*_[]<>&~$")
TICKS = re.compile(r"`+")

CLEAN_TOML = """\
name = "clean"
main = "src/index.ts"
compatibility_date = "2026-09-01"
"""
CLEAN_TS = """\
export default {
  async fetch(): Promise<Response> {
    return new Response("ok");
  },
};
"""
KV_TOML = CLEAN_TOML.replace('"clean"', '"fixable"') + (
    'kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]\n')
KV_TS = """\
export default {
  async fetch(request: Request, env: { CACHE: KVNamespace }): Promise<Response> {
    if (new URL(request.url).pathname === "/save") {
      await env.CACHE.put("greeting", "hello");
    }
    await env.CACHE.put("other", "x"); // workers-audit-ignore[KV001]: the key is overwritten hourly
    return new Response(await env.CACHE.get("greeting"));
  },
};
"""


# --- reading the output back ----------------------------------------------------------------


def cells(row: str) -> list[str]:
    """A table row's cells: a `|` ends a cell unless a backslash precedes it, and the table
    takes that backslash away before the cell's inline content is read."""
    assert row.startswith("| ") and row.endswith(" |"), row
    parts, current = [], ""
    body = row[1:-1]
    for index, char in enumerate(body):
        if char == "|" and (index == 0 or body[index - 1] != "\\"):
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip().replace("\\|", "|") for part in parts]


def inline(text: str, marks: bool = True) -> str:
    """The characters inline Markdown shows; a code span's content between single backticks
    when `marks`, as a message writes identifiers. Fails on any construct the formatter must
    not produce: an unescaped active character outside a code span, an unclosed backtick run."""
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in string.punctuation:
            out.append(text[index + 1])
            index += 2
        elif text.startswith("<br>", index):
            out.append("\n")
            index += 4
        elif char == "`":
            run = TICKS.match(text, index)
            assert run
            closer = next((m for m in TICKS.finditer(text, run.end())
                           if len(m.group()) == len(run.group())), None)
            assert closer, f"unclosed backtick run at {index} in {text!r}"
            content = text[run.end():closer.start()]
            if content.startswith(" ") and content.endswith(" ") and content.strip(" "):
                content = content[1:-1]
            out.append(f"`{content}`" if marks else content)
            index = closer.end()
        else:
            assert char not in ACTIVE, f"unescaped {char!r} at {index} in {text!r}"
            out.append(char)
            index += 1
    return "".join(out)


def rows(markdown: str) -> list[list[str]]:
    """The findings tables' rows (header and delimiter rows left out)."""
    lines = markdown.splitlines()
    return [cells(line) for line in lines
            if line.startswith("| ") and not line.startswith(("| location |", "| rule |"))
            and not line.startswith("|---")]


def finding_rows(markdown: str) -> list[list[str]]:
    return [row for row in rows(markdown) if len(row) == 4]


def render(result: Result) -> str:
    return formatter("markdown")(result)


def invoke(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.stdout


# --- escaping -------------------------------------------------------------------------------


@pytest.mark.parametrize(("plain", "escaped"), [
    ("a | b", "a \\| b"),
    ("<script>alert(1)</script>", "\\<script\\>alert(1)\\</script\\>"),
    ("*bold* and _it_ and snake_case", "\\*bold\\* and \\_it\\_ and snake\\_case"),
    ("[link](https://example.com) ![img](x)", "\\[link\\](https://example.com) !\\[img\\](x)"),
    ("&amp; &#60; ~~gone~~ $x$", "\\&amp; \\&#60; \\~\\~gone\\~\\~ \\$x\\$"),
    ("a \\ backslash \\`", "a \\\\ backslash \\\\\\`"),
    ("first\nsecond\r\nthird\rfourth", "first<br>second<br>third<br>fourth"),
    ("# not a heading", "\\# not a heading"),
    ("- not a list", "\\- not a list"),
    ("12. not a list", "12\\. not a list"),
    ("mid-line # - 1. stay", "mid-line # - 1. stay"),
    ("", ""),
])
def test_escape_text(plain: str, escaped: str) -> None:
    assert escape_text(plain) == escaped
    assert inline(escaped, marks=False) == re.sub(r"\r\n?", "\n", plain)


def test_escape_text_mid_line_leaves_block_markers() -> None:
    assert escape_text("- a", start=False) == "- a"
    assert escape_text("1. a", start=False) == "1. a"


@pytest.mark.parametrize(("plain", "cell", "span"), [
    ("src/index.ts:3:1", False, "`src/index.ts:3:1`"),
    ("a`b", False, "``a`b``"),
    ("``x` y", False, "``` ``x` y ```"),
    ("`start", False, "`` `start ``"),
    (" padded ", False, "`  padded  `"),
    ("a|b", True, "`a\\|b`"),
    ("a|b", False, "`a|b`"),
    ("a\\|b", True, "`a\\\\|b`"),
    ("two\nlines", False, "`two lines`"),
    ("<b>*_&", False, "`<b>*_&`"),
    ("", False, ""),
])
def test_code_span(plain: str, cell: bool, span: str) -> None:
    assert code_span(plain, cell=cell) == span
    if plain:
        shown = cells(f"| {span} |")[0] if cell else span
        assert inline(shown, marks=False) == plain.replace("\n", " ")


@pytest.mark.parametrize(("message", "escaped", "shown"), [
    # A message's code spans stay code, as STYLE.md writes identifiers.
    ("put to `QUOTES` has no expirationTtl", "put to `QUOTES` has no expirationTtl",
     "put to QUOTES has no expirationTtl"),
    ("`A` and `B` share *one* id", "`A` and `B` share \\*one\\* id", "A and B share *one* id"),
    # A backtick run that nothing closes is backticks, and does not swallow the rest.
    ("a `` b `c`", "a \\`\\` b `c`", "a `` b c"),
    ("``dou`ble`` and ` single", "``dou`ble`` and \\` single", "dou`ble and ` single"),
    ("a ` b `c`", "a ` b `c\\`", "a bc`"),  # CommonMark pairs the first two runs
    # HTML in text is escaped; in code it is code.
    ("x <b>`<i>`</b>", "x \\<b\\>`<i>`\\</b\\>", "x <b><i></b>"),
    ("1. `x` first", "1\\. `x` first", "1. x first"),
    ("`x` - y", "`x` - y", "x - y"),
])
def test_escape_message(message: str, escaped: str, shown: str) -> None:
    assert escape_message(message) == escaped
    assert inline(escaped, marks=False) == shown


def test_escape_message_in_a_table_cell() -> None:
    message = "`a|b` | c\nnext `d\ne`"
    escaped = escape_message(message, cell=True)
    assert escaped == "`a\\|b` \\| c<br>next `d e`"
    (shown,) = cells(f"| {escaped} |")
    assert inline(shown) == "`a|b` | c\nnext `d e`"


def test_escape_html() -> None:
    assert escape_html('src/<b>"a" & b\n.ts') == "src/&lt;b&gt;&quot;a&quot; &amp; b .ts"


# --- the document ---------------------------------------------------------------------------


AWKWARD = ("values | with pipes `a|b` <script>alert(1)</script> </details> *stars* _under_ "
           "[x](y) &lt; ~~s~~ $1 and $2 \\ `unclosed\nsecond line")


def test_awkward_message_and_path_stay_in_one_row() -> None:
    path = "src/we|ird_<name>*.ts"
    result = Result(
        workers=[WorkerSummary(".", "wrangler.toml", "odd|name", ("",))],
        findings=[finding(location=Location(path, 3, 5), message=AWKWARD, binding="A|B",
                          environment="st*ging",
                          related=(Related(Location(path, 9, 1), "see <here> | there"),))])
    markdown = render(result)
    ((where, rule, severity, message),) = finding_rows(markdown)
    assert inline(where, marks=False) == f"{path}:3:5"
    assert inline(rule) == "KV001 `kv-put-missing-ttl`"
    assert severity == "warning"
    lines = inline(message).split("\n")
    assert lines == [*AWKWARD.split("\n"), "binding `A|B`, environment `st*ging`",
                     f"↳ `{path}:9:1`: see <here> | there"]
    # The file's heading and the Worker's: code spans, not HTML or emphasis.
    assert f"#### {code_span(path)}\n" in markdown
    assert "### `odd|name` (`wrangler.toml`): 1 finding (1 warning)\n" in markdown
    assert "<script>" not in markdown.replace("`<script>`", "")
    assert markdown.count("</details>") == markdown.count("<details>") == 0


def test_every_line_reads_back_without_stray_constructs() -> None:
    """Outside the tables, headings, lists and paragraphs hold escaped text only too."""
    result = Result(
        workers=[WorkerSummary("w*", "w*/wrangler.toml", None, ("",))],
        findings=[finding(location=Location("w*/src/<a>.ts", 1, 1), message=AWKWARD)],
        errors=[AuditError("w*/src/b_ad.ts", 2, "syntax error: unexpected `}` near <div> | *", 3)],
        baseline="base_line|*.json", baselined=[finding("CF003")])
    markdown = render(result)
    for line in markdown.splitlines():
        if line.startswith("| "):
            for cell in cells(line):
                inline(cell)
        elif line.startswith(("<sub>", "<details>", "</details>", "|---")) or not line:
            continue
        else:
            inline(line.lstrip("#- ").removeprefix("**Fails**").removeprefix("**Passes**"))
    assert "- `w*/src/b_ad.ts:2:3`: syntax error: unexpected `}` near \\<div\\> \\| \\*\n" in markdown
    assert "- 1 finding in the baseline `base_line|*.json` not shown.\n" in markdown
    assert "### `w*` (`w*/wrangler.toml`): 1 finding (1 warning)\n" in markdown


def test_clean_result_says_so() -> None:
    markdown = render(Result(workers=[WorkerSummary(".", "wrangler.toml", "clean", ("",))]))
    assert markdown.startswith("## workers-audit check: no findings in 1 Worker\n\nNo findings.\n")
    assert "Fails" not in markdown and "|" not in markdown
    assert markdown.endswith("</sub>\n")


def test_heading_counts_findings_by_severity_and_workers() -> None:
    workers = [WorkerSummary("a", "a/wrangler.toml", "a", ("",)),
               WorkerSummary("b", "b/wrangler.toml", "b", ("",))]
    found = [finding("CF003", Location("a/src/x.ts", 1)), finding("KV001", Location("a/src/x.ts", 2)),
             finding("KV203", Location("a/src/y.ts", 1)), finding("CF003", Location("a/src/y.ts", 5))]
    markdown = render(Result(workers=workers, findings=found, failing=3))
    assert markdown.splitlines()[0] == (
        "## workers-audit check: 4 findings (2 errors, 1 warning, 1 info) in 2 Workers")
    assert "**Fails**: 3 findings at or above the fail level.\n" in markdown
    assert "### `a` (`a/wrangler.toml`): 4 findings (2 errors, 1 warning, 1 info)\n" in markdown
    assert "No findings in `b` (`b/wrangler.toml`).\n" in markdown
    assert markdown.index("#### `a/src/x.ts`") < markdown.index("#### `a/src/y.ts`")


def test_findings_go_to_the_innermost_worker() -> None:
    workers = [WorkerSummary(".", "wrangler.toml", "site", ("",)),
               WorkerSummary("apps/api", "apps/api/wrangler.toml", None, ("",))]
    found = [finding(location=Location("src/index.ts", 1)),
             finding(location=Location("apps/api/src/index.ts", 1)),
             finding(location=Location("apps/api-v2/src/index.ts", 1))]
    markdown = render(Result(workers=workers, findings=found))
    site = markdown.index("### `site`")
    api = markdown.index("### `apps/api` (`apps/api/wrangler.toml`)")
    assert site < markdown.index("`apps/api-v2/src/index.ts:1:1`") < api
    assert markdown.index("`apps/api/src/index.ts:1:1`") > api


def test_files_outside_every_worker_get_their_own_group() -> None:
    markdown = render(Result(workers=[WorkerSummary("w", "w/wrangler.toml", "w", ("",))],
                             findings=[finding(location=Location("../elsewhere.ts", 1))]))
    assert "### Files outside every Worker: 1 finding (1 warning)\n" in markdown
    assert "No findings in `w`" in markdown


def test_passes_below_the_fail_level() -> None:
    markdown = render(Result(findings=[finding("KV203")], failing=0))
    assert "**Passes**: no findings at or above the fail level.\n" in markdown


def test_unreadable_configuration_fails_and_its_error_is_listed_once() -> None:
    unreadable = Location("wrangler.toml", 3, 1)
    result = Result(
        workers=[WorkerSummary(".", "wrangler.toml", None, ())], unreadable=True, failing=1,
        errors=[AuditError("src/broken.ts", 12, "syntax error: unexpected `}`", 7),
                AuditError("wrangler.toml", 3, "expected `}`")],
        findings=[finding("CF007", location=unreadable, message="expected `}`")])
    markdown = render(result)
    assert ("**Fails**: a configuration could not be read; 1 finding at or above the fail level.\n"
            in markdown)
    # As the text formatter: the unreadable file is its CF007 finding; the other error is listed.
    assert "### Not read (1)\n\n- `src/broken.ts:12:7`: syntax error: unexpected `}`\n" in markdown
    assert [row[0] for row in finding_rows(markdown)] == ["`wrangler.toml:3:1`"]
    ignored = render(Result(unreadable=True, errors=[AuditError("wrangler.toml", 3, "expected `}`")]))
    assert "**Fails**: a configuration could not be read.\n\nNo findings.\n" in ignored
    assert "- `wrangler.toml:3:1`: expected `}`\n" in ignored


def test_held_back_counts() -> None:
    comment = Suppression(Location("src/index.ts", 3, 5), ("KV001",), "why", (3, 4))
    result = Result(findings=[finding("KV203")], suppressed=[(finding("KV001"), comment)] * 2,
                    baseline="workers-audit-baseline.json", baselined=[finding("CF003")] * 3,
                    baseline_unmatched=1)
    markdown = render(result)
    assert ("- 3 findings in the baseline `workers-audit-baseline.json` not shown.\n"
            "- 1 baseline entry matched nothing (fixed or changed): `workers-audit baseline` writes "
            "the file again without them.\n"
            "- 2 findings suppressed by `workers-audit-ignore` comments.\n") in markdown
    # Unlike the quiet text output of a clean run, Markdown says what was held back.
    clean = render(Result(suppressed=[(finding("KV001"), comment)], baseline="b.json"))
    assert "No findings.\n\n- 1 finding suppressed by `workers-audit-ignore` comments.\n" in clean
    assert "in the baseline" not in clean


def test_fix_marks_follow_fix_offered() -> None:
    safe = Fix("write `SUN-THU`", "SUN-THU", Location("wrangler.toml", 4, 10, 4, 13))
    unsafe = Fix("add `expirationTtl: 3600`", ", { expirationTtl: 3600 }",
                 Location("src/index.ts", 4, 40), applicability="unsafe")
    found = [finding("CR001", Location("wrangler.toml", 4, 10), fix=safe),
             finding("KV001", Location("src/index.ts", 4, 11), fix=unsafe),
             finding("KV203", Location("src/index.ts", 9, 1))]
    markdown = render(Result(findings=found))
    marked = {row[0]: "[*]" in inline(row[1]) for row in finding_rows(markdown)}
    assert marked == {"`wrangler.toml:4:10`": True, "`src/index.ts:4:11`": False, "`src/index.ts:9:1`": False}
    assert "- \\[\\*\\] 1 fixable with `--fix`.\n- 1 fix is available with `--unsafe-fixes`.\n" in markdown
    assert "<br>\\[\\*\\] fix: write `SUN-THU` |" in markdown
    both = render(Result(findings=found, fixes=FixSummary(unsafe=True)))
    assert [("[*]" in inline(row[1])) for row in finding_rows(both)] == [True, True, False]
    assert "- \\[\\*\\] 2 fixable with `--fix --unsafe-fixes`.\n" in both
    assert "--unsafe-fixes`.\n" not in both.replace("--fix --unsafe-fixes`.\n", "")
    fixed = render(Result(findings=found[2:], fixes=FixSummary(mode="fix", fixed=2)))
    assert "- `--fix` fixed 2 findings.\n" in fixed and "fixable" not in fixed


def test_a_big_result_is_collapsed_per_file() -> None:
    found = [finding(location=Location(f"src/<f{n % 3}>.ts", n)) for n in range(1, COLLAPSE + 2)]
    markdown = render(Result(findings=found))
    assert markdown.count("<details>") == markdown.count("</details>") == 3
    assert ("<details><summary><code>src/&lt;f1&gt;.ts</code>: 11 findings (11 warnings)</summary>\n\n"
            "| location | rule | severity | message |\n") in markdown
    assert "| rule | findings |\n|---|--:|\n| KV001 `kv-put-missing-ttl` | 31 |\n" in markdown
    assert len(finding_rows(markdown)) == COLLAPSE + 1
    small = render(Result(findings=found[:COLLAPSE]))
    assert "<details>" not in small and "| rule | findings |" not in small


# --- the command line -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["quote-cache", "cache-heavy", "."])
def test_every_json_finding_is_a_row(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    monkeypatch.chdir(EXAMPLES)
    code, markdown = invoke("check", path, "--format", "markdown")
    text_code, _ = invoke("check", path)
    _, as_json = invoke("check", path, "--format", "json")
    data = json.loads(as_json)
    assert code == text_code == 1
    table = finding_rows(markdown)
    assert len(table) == len(data["findings"])
    shown = [(inline(where, marks=False), inline(rule).split(" ")[0], inline(message).split("\n")[0])
             for where, rule, _, message in table]
    for item in data["findings"]:
        assert (f"{item['path']}:{item['line']}:{item['column']}", item["rule"], item["message"]) in shown
    for worker in data["workers"]:
        mine = [f for f in data["findings"] if f["path"].startswith(worker["root"] + "/")]
        assert (f"### `{worker['name']}` (`{worker['config']}`): {len(mine)} finding"
                f"{'' if len(mine) == 1 else 's'} ") in markdown
    total = len(data["findings"])
    workers = len(data["workers"])
    assert markdown.startswith(f"## workers-audit check: {total} findings (")
    assert markdown.splitlines()[0].endswith(f" in {workers} Worker{'' if workers == 1 else 's'}")


def test_related_binding_and_environment_on_the_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)
    _, markdown = invoke("check", "quote-cache", "--format", "markdown")
    _, as_json = invoke("check", "quote-cache", "--format", "json")
    by_where = {inline(row[0], marks=False): [] for row in finding_rows(markdown)}
    for row in finding_rows(markdown):
        by_where[inline(row[0], marks=False)].append(inline(row[3]).split("\n"))
    for item in json.loads(as_json)["findings"]:
        (lines,) = [lines for lines in by_where[f"{item['path']}:{item['line']}:{item['column']}"]
                    if lines[0] == item["message"]]
        for related in item["related"]:
            assert any(line.startswith(f"↳ `{related['path']}:{related['line']}:")
                       and line.endswith(f": {related['message']}") for line in lines)
        if item["binding"]:
            assert any(line.startswith(f"binding `{item['binding']}`") for line in lines)
        if item["environment"]:
            assert any(f"environment `{item['environment']}`" in line for line in lines)


def test_fixable_marks_match_the_text_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)
    _, text = invoke("check", "quote-cache")
    _, markdown = invoke("check", "quote-cache", "--format", "markdown")
    marked_text = sorted(line.split(": ")[0] for line in text.splitlines()
                         if re.match(r"\S+:\d+:\d+: \w+ \[\*\] ", line))
    marked = sorted(inline(row[0], marks=False) for row in finding_rows(markdown) if "[*]" in inline(row[1]))
    assert marked == marked_text and marked
    summary = text.splitlines()[-1]
    fixable = re.search(r"\[\*\] (\d+) fixable with `([^`]+)`", summary)
    assert fixable
    assert f"- \\[\\*\\] {fixable[1]} fixable with `{fixable[2]}`.\n" in markdown


def test_unsafe_fixes_suppressions_on_a_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "wrangler.toml").write_text(KV_TOML, encoding="utf-8")
    (tmp_path / "workers-audit.toml").write_text("[fix]\nexpiration-ttl = 3600\n", encoding="utf-8")
    (tmp_path / "src" / "index.ts").write_text(KV_TS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, markdown = invoke("check", "--format", "markdown")
    assert code == invoke("check")[0] == 1
    assert "- 1 finding suppressed by `workers-audit-ignore` comments.\n" in markdown
    assert "- 1 fix is available with `--unsafe-fixes`.\n" in markdown
    assert not [row for row in finding_rows(markdown) if "[*]" in inline(row[1])]
    _, unsafe = invoke("check", "--format", "markdown", "--unsafe-fixes")
    marked = [row for row in finding_rows(unsafe) if "[*]" in inline(row[1])]
    assert [inline(row[1]).split(" ")[0] for row in marked] == ["KV001"]
    assert "- \\[\\*\\] 1 fixable with `--fix --unsafe-fixes`.\n" in unsafe


def test_clean_worker_exit_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "wrangler.toml").write_text(CLEAN_TOML, encoding="utf-8")
    (tmp_path / "src" / "index.ts").write_text(CLEAN_TS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, markdown = invoke("check", "--format", "markdown")
    assert code == 0
    assert markdown.startswith("## workers-audit check: no findings in 1 Worker\n\nNo findings.\n\n<sub>")


def test_unreadable_sources_are_listed_and_do_not_fail(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "wrangler.toml").write_text(CLEAN_TOML, encoding="utf-8")
    (tmp_path / "src" / "index.ts").write_text("export default { fetch( { return 1 }\n", encoding="utf-8")
    (tmp_path / "src" / "latin1.ts").write_bytes(b"// caf\xe9\n")
    monkeypatch.chdir(tmp_path)
    code, markdown = invoke("check", "--format", "markdown")
    _, as_json = invoke("check", "--format", "json")
    errors = json.loads(as_json)["errors"]
    assert code == 0 and len(errors) == 2
    assert f"### Not read ({len(errors)})\n" in markdown
    for error in errors:
        assert re.search(rf"^- `{re.escape(error['path'])}:{error['line']}:\d+`: ", markdown, re.M)
        assert escape_message(error["message"]) in markdown


def test_unreadable_configuration_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "config_unreadable")
    code, markdown = invoke("check", "malformed_toml", "--format", "markdown")
    assert code == 2
    assert "**Fails**: a configuration could not be read" in markdown
    assert [inline(row[1]).split(" ")[0] for row in finding_rows(markdown)] == ["CF007"]
    assert "### Not read" not in markdown


def test_baseline_counts_on_the_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)
    baseline = tmp_path / "baseline.json"
    invoke("baseline", "quote-cache", "--output", str(baseline))
    data = json.loads(baseline.read_text(encoding="utf-8"))
    count = len(data["findings"])
    code, markdown = invoke("check", "quote-cache", "--format", "markdown", "--baseline", str(baseline))
    assert code == 0
    assert f"No findings.\n\n- {count} findings in the baseline `{baseline}` not shown.\n" in markdown
    data["findings"].append({**data["findings"][0], "fingerprint": "0" * 20})
    baseline.write_text(json.dumps(data), encoding="utf-8")
    _, markdown = invoke("check", "quote-cache", "--format", "markdown", "--baseline", str(baseline))
    assert "- 1 baseline entry matched nothing (fixed or changed)" in markdown


@pytest.mark.parametrize(("fail_on", "expected"), [("never", 0), ("info", 1), ("error", 1)])
def test_exit_codes_follow_the_gate(monkeypatch: pytest.MonkeyPatch, fail_on: str, expected: int) -> None:
    monkeypatch.chdir(EXAMPLES)
    code, markdown = invoke("check", "quote-cache", "--format", "markdown", "--fail-on", fail_on)
    assert code == expected == invoke("check", "quote-cache", "--fail-on", fail_on)[0]
    assert ("**Passes**" in markdown) == (expected == 0)


def test_output_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES)
    summary = tmp_path / "step-summary.md"
    code, stdout = invoke("check", "quote-cache", "--format", "markdown", "--output", str(summary))
    assert code == 1 and stdout == ""
    assert summary.read_text(encoding="utf-8") == invoke("check", "quote-cache", "--format", "markdown")[1]


def test_changed_files_outside_a_worker_stay_quiet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLES / "quote-cache", tmp_path / "quote-cache")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert invoke("check", "--changed-files", "notes.txt", "--format", "markdown") == (0, "")


def test_help_lists_the_format() -> None:
    _, text = invoke("check", "--help")
    assert "markdown" in text.split("--format", 1)[1].split("\n  -", 1)[0]


def test_severity_column_uses_the_findings_severity() -> None:
    found = [finding("KV001", severity=Severity.ERROR), finding("CF003", severity=Severity.INFO)]
    assert [row[2] for row in finding_rows(render(Result(findings=found)))] == ["error", "info"]
