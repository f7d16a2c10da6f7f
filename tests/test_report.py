"""The Markdown audit report: sections, excerpts, recommendations, savings, user templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main
from auditor.findings import AuditError, Result
from auditor.formatters.report import TemplateProblem, excerpt, recommendation, render_report, tidy
from tests.estimate_samples import ROOT, SOURCES, market_result, two_worker_result


@pytest.fixture
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample Worker's source files, in a working directory of their own."""
    for path, text in SOURCES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_report_sections_in_order(sources: Path) -> None:
    report = render_report(market_result())
    assert report.startswith("# workers-audit report: market-feed\n\n")
    assert ("**Fails: 1 error, 2 warnings, 1 info; on the free plan KV writes run out every day by "
            "16:35 UTC, KV deletes can run out as early as 09:30 UTC.**") in report
    headings = re.findall(r"^#{2,4} .*", report, re.M)
    assert headings == [
        "## Findings",
        "### Errors",
        "#### CF002 `shared-kv-namespace`: two KV bindings in one environment point at the same namespace",
        "### Warnings",
        "#### KV001 `kv-put-missing-ttl`: a KV put with neither expirationTtl nor expiration",
        "#### KV101 `kv-expiry-sweep`: KV keys listed and deleted one by one to emulate expiry",
        "### Info",
        "#### CF004 `unused-binding`: a declared binding the Worker's code never reads",
        "## Estimate: market-feed (top level)",
        "### Assumptions",
        "### Triggers",
        "### Operations per site",
        "### Daily operations",
        "### Monthly cost",
        "### Free-plan limits exceeded on the busiest day",
        "### Per 1,000 requests",
        "### Notes",
    ]
    assert ("| market-feed | `workers/market-feed` | `workers/market-feed/wrangler.toml` | top level, "
            "`staging` |") in report
    assert "prices as of 2026-11-21" in report
    assert "\n\n\n" not in report


def test_findings_carry_excerpts_recommendations_and_savings(sources: Path) -> None:
    report = render_report(market_result())
    sweep = report.split("#### KV101", 1)[1].split("\n### ", 1)[0]
    assert "**Recommendation.** Use instead (and drop the sweep):\n```ts\n" in sweep
    assert (f"**`{ROOT}/src/sweep.ts:12`**: expiry sweep on `QUOTES`: listed keys are deleted one by one"
            in sweep)
    assert f"- `{ROOT}/src/sweep.ts:9`: the keys come from this list" in sweep
    # Lines 10 to 14: two lines of context each side.
    assert ("```ts\n"
            "  for (const key of keys) {\n"
            "    const quote = await env.QUOTES.get<{ at: number }>(key.name, \"json\");\n"
            "    if (quote && now - quote.at > STALE_AFTER_MS) await env.QUOTES.delete(key.name);\n"
            "  }\n}\n```") in sweep
    # 0 to 50 deletes on each of 48 runs, and the list that feeds them once a run.
    assert "Following the recommendation saves up to 2,400 KV deletes and 48 lists a day." in sweep
    ttl = report.split("#### KV001", 1)[1].split("#### KV101", 1)[0]
    assert "Following the recommendation" not in ttl  # a TTL saves storage, which is not priced
    assert "```ts\n// line 16\nexport async function refreshQuote" in ttl
    shared = report.split("#### CF002", 1)[1].split("### Warnings", 1)[0]
    assert "```toml\nkv_namespaces = [\n" in shared  # the recommendation's example
    assert shared.count("```") == 2  # the config file is not there: no excerpt, no crash


def test_report_is_reproducible(sources: Path) -> None:
    first, second = render_report(market_result()), render_report(market_result())
    assert first == second
    assert set(re.findall(r"\d{4}-\d{2}-\d{2}", first)) == {"2026-11-21"}


def test_report_of_two_workers_names_both() -> None:
    report = render_report(two_worker_result())
    assert report.startswith("# workers-audit report: api-gateway, market-feed\n")
    assert ("**Passes: no findings; `api-gateway`: on the free plan KV reads run out every day by "
            "02:24 UTC, KV writes can run out as early as 00:01 UTC, Workers requests run out every day "
            "by 02:24 UTC, about $21.35\u2013$168.53 a month on the paid plan; `market-feed`: on the free "
            "plan KV writes run out every day by 16:35 UTC, KV deletes can run out as early as "
            "09:30 UTC.**") in report
    assert "## Estimate: api-gateway (environment `production`)" in report
    assert "## Estimate: market-feed (top level)" in report
    assert "No findings." in report


def test_report_lists_what_it_could_not_read() -> None:
    result = market_result()
    result.errors.append(AuditError(f"{ROOT}/src/broken.ts", 7, "the file does not parse"))
    assert f"## Not read\n\n- `{ROOT}/src/broken.ts:7`: the file does not parse\n" in render_report(result)


def test_excerpt_edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert excerpt("missing.ts", 3) is None
    Path("a.py").write_text("x = 1\n\n\ny = '```'\nz = 3\n")
    assert excerpt("a.py", 9) is None
    found = excerpt("a.py", 4)
    assert found is not None
    assert found["language"] == "python" and found["fence"] == "````"
    assert (found["first_line"], found["last_line"]) == (4, 5)  # blank context lines are left out
    Path("b.bin").write_bytes(b"\xff\xfe\x00")
    assert excerpt("b.bin", 1) is None


def test_recommendations_from_every_rule_doc() -> None:
    from auditor.rules import RULES

    for rule in RULES:
        text = recommendation(rule.doc, rule.summary)
        assert text.startswith("Use instead"), rule.code
        assert text.count("```") % 2 == 0, rule.code
        assert "## " not in text, rule.code
    assert recommendation(None, "a summary") == "a summary"
    assert recommendation("Title\n\n## Why is this bad?\nIt costs.\n\nMore.\n", "s") == "It costs."


def test_tidy_keeps_code_blocks() -> None:
    assert tidy("a\n\n\n\nb\n```\nx\n\n\ny\n```\n\n\n") == "a\n\nb\n```\nx\n\n\ny\n```\n"


def run(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.stdout, outcome.stderr


@pytest.fixture
def audited(sources: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`report` on the hand-built result, whatever the estimator makes of real code."""
    import auditor.engine

    def audit(*_: object, **__: object) -> Result:
        return market_result()

    monkeypatch.setattr(auditor.engine, "audit", audit)
    return sources


def test_report_command_writes_the_report(audited: Path) -> None:
    code, out, err = run("report", ".")
    assert (code, err) == (0, "")
    assert out == render_report(market_result())
    code, out, _ = run("report", ".", "--output", "audit.md")
    assert (code, out) == (0, "")
    assert (audited / "audit.md").read_text() == render_report(market_result())


def test_custom_template_gets_the_same_context(audited: Path) -> None:
    (audited / "mine.md.j2").write_text(
        '{% from "estimate.md.j2" import estimate_section with context %}'
        "{{ title }}\n{{ verdict }}\n"
        "{% for group in groups %}\n"
        "{{ group.heading }}: {{ group.rules | map(attribute='code') | join(' ') }}\n"
        "{% endfor %}\n"
        "{% for f in findings if f.savings_text %}{{ f.rule }} {{ f.savings_text }}\n{% endfor %}"
        "{{ estimates[0].limits[0].sentence }}\n"
        "{{ estimates[0].daily.kv.writes | rng }} {{ estimates[0].monthly_usd_by_plan.paid | usd }}\n"
        '{{ estimate_section(estimates[0], "##") }}')
    code, out, err = run("report", ".", "--template", "mine.md.j2")
    assert (code, err) == (0, "")
    assert out.startswith("workers-audit report: market-feed\nFails: 1 error, 2 warnings, 1 info; ")
    assert "Errors: CF002\nWarnings: KV001 KV101\nInfo: CF004\n" in out
    assert "KV101 saves up to 2,400 KV deletes and 48 lists a day\n" in out
    assert "kv.writes: 1,445/day against the free plan's 1,000: runs out at about 16:35 UTC\n" in out
    assert "1,444 $5.00\n" in out
    assert "## Estimate: market-feed (top level)" in out and "```mermaid\nxychart-beta" in out


@pytest.mark.parametrize(("text", "line", "kind"), [
    ("# {{ title }}\n{% for f in findings %}\n{{ f.rule }\n{% endfor %}\n", 3, "TemplateSyntaxError"),
    ("# {{ title }}\n\n{{ verdict }}\n{{ estimates[0].no_such_key }}\n", 4, "UndefinedError"),
    ("{{ title }}\n{{ nothing_like_this }}\n", 2, "UndefinedError"),
    ("{{ title }}\n\n{{ counts.error + 'x' }}\n", 3, "TypeError"),
])
def test_template_errors_exit_2_with_file_and_line(audited: Path, text: str, line: int, kind: str) -> None:
    (audited / "bad.md.j2").write_text(text)
    code, out, err = run("report", ".", "--template", "bad.md.j2")
    assert code == 2 and out == ""
    assert err.startswith(f"workers-audit: error: bad.md.j2:{line}: {kind}: ")
    assert "Traceback" not in err


def test_missing_or_unreadable_template_exits_2(audited: Path) -> None:
    code, _, err = run("report", ".", "--template", "nope.j2")
    assert code == 2 and "nope.j2: cannot read the template" in err
    (audited / "inc.md.j2").write_text('{% include "missing.md.j2" %}\n')
    code, _, err = run("report", ".", "--template", "inc.md.j2")
    assert code == 2 and "inc.md.j2:1: TemplateNotFound: missing.md.j2" in err


def test_render_report_raises_template_problem(tmp_path: Path) -> None:
    bad = tmp_path / "x.j2"
    bad.write_text("{% if %}\n")
    with pytest.raises(TemplateProblem, match=r"x\.j2:1: TemplateSyntaxError"):
        render_report(Result(), bad)


def test_report_command_on_the_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent.parent)
    code, out, err = run("report", "examples/quote-cache")
    assert (code, err) == (0, "")
    assert out.startswith("# workers-audit report: quote-cache\n\n**Fails: ")
    assert "## Estimate: quote-cache (top level)" in out
    assert "#### KV101 `kv-expiry-sweep`" in out and "```ts\n" in out
    code, out, _ = run("report", "examples/quote-cache", "--env", "production", "--plan", "paid")
    assert code == 0 and "## Estimate: quote-cache (environment `production`)" in out


def test_cache_heavy_report_states_the_writes_and_the_breach(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled example, end to end. Writes a day, from its README: the crons make
    288 x 3 (refresh) + 144 x 1 (sweep report) = 1,008 whatever the traffic, so the free
    plan's 1,000 run out on the 23:45 refresh every day; at the maximum the routes add
    4,000 x 22 (featured: index + 10 assumed products, each a re-write and a miss write)
    + 12,000 x 2 (product reads) + 2,000 x 1 (hot keys) + 200 x 2 (POST) = 114,400."""
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    result = CliRunner().invoke(main, ["report", "examples/cache-heavy"])
    assert result.exit_code == 0, result.output
    report = result.output
    assert ("on the free plan KV writes run out every day by 23:45 UTC (as early as 00:12 UTC)"
            in report)
    assert "| KV writes | 1,008\u2013115,408 |" in report
    assert ("| `examples/cache-heavy/src/lib/tiered-cache.ts:67` | `put` | `CACHE` | `cron */5 * * * *` "
            "| 288 | 3 | 864 |") in report
    assert ("| `examples/cache-heavy/src/jobs/sweep.ts:33` | `put` | `CACHE` | `cron */10 * * * *` "
            "| 144 | 1 | 144 |") in report
    assert "CO001" in report and "KV101" in report
