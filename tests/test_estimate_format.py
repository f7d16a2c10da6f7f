"""The estimate as JSON, text and Markdown, on hand-built estimates with hand-computed figures."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from auditor.estimate.model import Assumption, LimitBreach, Range
from auditor.findings import Result, WorkerSummary
from auditor.formatters import estimate_formatter
from auditor.formatters.estimate_format import (
    as_json,
    breach_sentence,
    cumulative,
    number,
    render_markdown,
    render_text,
)
from auditor.formatters.json_format import as_dict
from tests.estimate_samples import (
    API_GATEWAY,
    GATEWAY_ROOT,
    MARKET_FEED,
    REFRESH_PUT,
    ROOT,
    market_result,
    two_worker_result,
)

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "result.schema.json").read_text())
DASH = "\u2013"


def test_json_numbers_are_ints_when_integral() -> None:
    assert number(1440.0) == 1440 and isinstance(number(1440.0), int)
    assert number(25 / 7) == 3.57
    assert number(5 / 7, 4) == 0.7143
    assert number(2.999999) == 3 and isinstance(number(2.999999), int)


def test_json_of_a_paid_worker_is_exactly_the_contract() -> None:
    gateway = f"{GATEWAY_ROOT}/src/index.ts"
    zero = {"min": 0, "max": 0}
    million = {"min": 1_000_000, "max": 1_000_000}
    daily = {"kv": {"reads": million, "writes": {"min": 0, "max": 1_000_000}, "deletes": zero, "lists": zero},
             "do": {"requests": zero, "rows_read": zero, "rows_written": zero},
             "workers": {"requests": million}}
    assert as_json(API_GATEWAY) == {
        "root": GATEWAY_ROOT,
        "environment": "production",
        "plan": "paid",
        "pricing_as_of": "2026-11-21",
        "assumptions": [{"name": "requests-per-day", "value": 10_000, "source": "default"}],
        "triggers": [{"kind": "route", "label": "GET /v1/*", "runs_per_day": 1_000_000,
                      "busiest_day": 1_000_000, "source": "usage.routes",
                      "path": f"{GATEWAY_ROOT}/workers-audit.toml", "line": 5}],
        "sites": [
            {"path": gateway, "line": 12, "op": "get", "binding": "CONFIG", "trigger": "GET /v1/*",
             "runs_per_day": 1_000_000, "ops_per_run": {"min": 1, "max": 1}, "ops_per_day": million},
            {"path": gateway, "line": 15, "op": "put", "binding": "CONFIG", "trigger": "GET /v1/*",
             "runs_per_day": 1_000_000, "ops_per_run": {"min": 0, "max": 1},
             "ops_per_day": {"min": 0, "max": 1_000_000}},
        ],
        "daily": daily,
        "busiest_day": daily,
        # 30,436,875 reads a month: 20,436,875 past the 10 million included, at $0.50 a million
        # ($10.22); up to 29,436,875 writes past the million included at $5 ($147.18); 20,436,875
        # requests past the 10 million at $0.30 ($6.13); and the $5 base.
        "monthly_usd": {"min": 21.35, "max": 168.53},
        "monthly_usd_by_plan": {"free": {"min": 0.0, "max": 0.0}, "paid": {"min": 21.35, "max": 168.53}},
        "free_plan_exceeded": ["kv.reads", "kv.writes", "workers.requests"],
        "limits": [
            {"category": "kv.reads", "limit": 100_000, "daily": million,
             "runs_out_at": {"min": "02:24", "max": "02:24"},
             "top_sites": [{"path": gateway, "line": 12, "op": "get", "binding": "CONFIG",
                            "trigger": "GET /v1/*", "ops_per_day": million}]},
            {"category": "kv.writes", "limit": 1000, "daily": {"min": 0, "max": 1_000_000},
             "runs_out_at": {"min": None, "max": "00:01"},
             "top_sites": [{"path": gateway, "line": 15, "op": "put", "binding": "CONFIG",
                            "trigger": "GET /v1/*", "ops_per_day": {"min": 0, "max": 1_000_000}}]},
            {"category": "workers.requests", "limit": 100_000, "daily": million,
             "runs_out_at": {"min": "02:24", "max": "02:24"}, "top_sites": []},
        ],
        "routes": [{"route": "GET /v1/*", "per_1000": {"kv.reads": {"min": 1000, "max": 1000},
                                                       "kv.writes": {"min": 0, "max": 1000}}}],
        "notes": [],
    }


def test_json_of_a_free_worker_with_crons() -> None:
    document = as_json(MARKET_FEED)
    assert document["plan"] == "free" and document["environment"] is None
    assert document["assumptions"][2] == {"name": "route share", "value": 0.5, "source": "default"}
    weekdays = document["triggers"][2]
    assert weekdays == {"kind": "cron", "label": "cron 0 9 * * MON-FRI", "runs_per_day": 0.7143,
                        "busiest_day": 1, "source": "triggers.crons: 5 days a week",
                        "path": f"{ROOT}/wrangler.toml", "line": 14}
    assert document["sites"][3] == {
        "path": f"{ROOT}/src/sweep.ts", "line": 12, "op": "delete", "binding": "QUOTES",
        "trigger": "cron */30 * * * *", "runs_per_day": 48, "ops_per_run": {"min": 0, "max": 50},
        "ops_per_day": {"min": 0, "max": 2400}}
    assert document["sites"][4]["ops_per_day"] == {"min": 3.57, "max": 3.57}  # 5 writes, 5 days in 7
    assert document["daily"]["kv"]["writes"] == {"min": 1443.57, "max": 1443.57}
    assert document["busiest_day"]["kv"]["writes"] == {"min": 1445, "max": 1445}
    assert document["daily"]["do"] == {"requests": {"min": 10_000, "max": 10_000},
                                       "rows_read": {"min": 10_000, "max": 10_000},
                                       "rows_written": {"min": 10_000, "max": 10_000}}
    assert document["daily"]["workers"] == {"requests": {"min": 20_004, "max": 20_004}}
    assert document["monthly_usd"] == {"min": 0.0, "max": 0.0}  # the free plan
    assert document["monthly_usd_by_plan"]["paid"] == {"min": 5.0, "max": 5.0}  # all included
    assert document["free_plan_exceeded"] == ["kv.writes", "kv.deletes"]
    assert [limit["runs_out_at"] for limit in document["limits"]] == [
        {"min": "16:35", "max": "16:35"}, {"min": None, "max": "09:30"}]
    assert document["limits"][0]["top_sites"][1]["ops_per_day"] == {"min": 5, "max": 5}  # busiest day
    assert document["routes"][2] == {"route": "POST /admin/refresh",
                                     "per_1000": {"kv.deletes": {"min": 1000, "max": 1000}}}
    assert document["notes"] == [
        {"message": "cron `0 9 * * 8` is not a valid Cloudflare cron (CR002): left out of the estimate",
         "path": f"{ROOT}/wrangler.toml", "line": 14},
        {"message": "`env.QUOTES.get(keys)` reads a computed list of keys: counted as one read per run",
         "path": None, "line": None},
    ]


def test_json_output_places_estimates_per_worker() -> None:
    import jsonschema

    one = as_dict(market_result())
    jsonschema.validate(one, SCHEMA)
    assert one["estimate"] == one["workers"][0]["estimate"] == as_json(MARKET_FEED)
    json.dumps(one, allow_nan=False)

    two = as_dict(two_worker_result())
    jsonschema.validate(two, SCHEMA)
    assert two["estimate"] is None
    assert [w["estimate"]["root"] for w in two["workers"]] == [GATEWAY_ROOT, ROOT]

    unread = two_worker_result()
    unread.workers.append(WorkerSummary("broken", "broken/wrangler.toml", None, ()))
    document = as_dict(unread)
    jsonschema.validate(document, SCHEMA)
    assert document["workers"][2]["estimate"] is None

    assert as_dict(Result(workers=[WorkerSummary(".", "wrangler.toml", "x", ("",))]))["workers"][0][
        "estimate"] is None


def test_schema_is_strict_about_the_estimate() -> None:
    import jsonschema

    document = as_dict(market_result())
    document["estimate"]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)
    document = as_dict(market_result())
    document["estimate"]["limits"][0]["runs_out_at"]["max"] = "16:35 UTC"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)


def test_breach_sentences() -> None:
    exact = LimitBreach("kv.writes", Range(1440, 1440), 1000, (1000, 1000), (REFRESH_PUT,))
    assert breach_sentence(exact) == ("kv.writes: 1,440/day against the free plan's 1,000: "
                                      "runs out at about 16:40 UTC")
    both = replace(exact, daily=Range(1200, 2400), runs_out_at=(600, 1200))
    assert breach_sentence(both) == (f"kv.writes: 1,200{DASH}2,400/day against the free plan's 1,000: "
                                     "runs out between about 10:00 and 20:00 UTC")
    assert breach_sentence(MARKET_FEED.exceeded[1]) == (
        f"kv.deletes: 4{DASH}2,404/day against the free plan's 1,000: runs out at about 09:30 UTC at the "
        "most; at the least (4/day) it stays under the limit")


def test_text_layout() -> None:
    text = render_text(market_result())
    lines = text.splitlines()
    assert lines[0] == "market-feed — workers/market-feed, top level"
    assert lines[1] == "Plan: free. Prices as of 2026-11-21."
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    assert "\x1b[" not in text
    assert re.search(r"^  route share +0\.5  \(default\): requests-per-day split", text, re.M)
    assert re.search(r"^  requests-per-day +20,000  settings: workers-audit\.toml$", text, re.M)
    assert re.search(r"^  cron 0 9 \* \* MON-FRI +0\.71 +1  triggers\.crons: 5 days a week$", text, re.M)
    assert "Operations per site (paths under workers/market-feed/)" in text
    assert re.search(rf"^  src/sweep\.ts:12 +delete +QUOTES +cron \*/30 \* \* \* \* +48 +0{DASH}50 "
                     rf"+0{DASH}2,400$", text, re.M)
    assert re.search(r"^  KV writes +1,444 +1,445$", text, re.M)  # average day, busiest day
    assert re.search(r"^  Workers requests +20,004 +20,004$", text, re.M)
    assert ("  free (this Worker's plan): $0.00; but KV writes and KV deletes run out on the busiest day"
            in lines)
    assert "  paid: $5.00; base $5.00; the operations are within the included amounts" in lines
    assert re.search(r"^    Durable Object rows read +304,369 +25,000,000,000 +\$0\.001 +\$0\.00$", text,
                     re.M)
    assert "  kv.writes: 1,445/day against the free plan's 1,000: runs out at about 16:35 UTC" in lines
    assert "      src/refresh.ts:18 put QUOTES (cron * * * * *): 1,440/day" in lines
    assert re.search(r"^  GET /quotes +KV reads 5,000$", text, re.M)
    assert "  workers/market-feed/wrangler.toml:14: cron `0 9 * * 8` is not a valid Cloudflare cron" in text
    headings = [line for line in lines if line and not line.startswith(" ")]
    assert headings == ["market-feed — workers/market-feed, top level",
                        "Plan: free. Prices as of 2026-11-21.", "Assumptions", "Triggers",
                        "Operations per site (paths under workers/market-feed/)", "Daily operations",
                        "Monthly cost", "Free-plan limits exceeded on the busiest day", "Per 1,000 requests",
                        "Notes"]


def test_text_of_a_paid_worker_lists_the_overage() -> None:
    text = render_text(two_worker_result())
    assert "api-gateway — workers/api-gateway, environment `production`" in text
    assert (f"  paid (this Worker's plan): $21.35{DASH}$168.53; base $5.00 and $16.35{DASH}$163.53 past the "
            "included") in text
    assert re.search(rf"^    KV writes +0{DASH}30,436,875 +1,000,000 +\$5\.00 +\$0\.00{DASH}\$147\.18$",
                     text, re.M)
    # One day looks like every other: no busiest-day column.
    assert re.search(r"^  operation +average day$", text, re.M)
    assert all(len(line) <= 100 for line in text.splitlines())


def test_text_colour_and_long_names_stay_within_the_width() -> None:
    long_label = "GET /api/v1/organisations/:organisation/projects/:project/deployments/:deployment/logs"
    trigger = replace(MARKET_FEED.triggers[3], label=long_label)
    sites = tuple(replace(s, trigger=trigger) if s.trigger == MARKET_FEED.triggers[3] else s
                  for s in MARKET_FEED.sites)
    estimate = replace(MARKET_FEED, triggers=(*MARKET_FEED.triggers[:3], trigger, *MARKET_FEED.triggers[4:]),
                       sites=sites)
    result = Result(workers=market_result().workers, estimates=[estimate])
    text = render_text(result)
    assert all(len(line) <= 100 for line in text.splitlines()), max(text.splitlines(), key=len)
    triggers = text.split("Triggers\n", 1)[1].split("\n\n", 1)[0].splitlines()
    first_column = "".join(line[2:38].strip() for line in triggers[4:7])
    assert first_column == long_label  # wrapped within its cell, not cut
    assert "\x1b[1mAssumptions\x1b[0m" in render_text(result, colour=True)


def test_text_without_estimates_says_why() -> None:
    from auditor.findings import AuditError

    result = Result(errors=[AuditError("wrangler.toml", 3, "invalid TOML", 5)], unreadable=True)
    assert render_text(result) == ("No estimate: no Worker configuration could be read.\n\n"
                                   "wrangler.toml:3:5: error invalid TOML\n")


def _table(markdown: str, heading: str) -> list[list[str]]:
    """The cells of the first table under `heading`, pipes escaped as `\\|` kept in the cell."""
    after = markdown.split(heading + "\n", 1)[1]
    rows = []
    for line in after.splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_markdown_tables() -> None:
    markdown = render_markdown(market_result())
    assert markdown.startswith("# Cost estimate: market-feed (top level)\n")
    sites = _table(markdown, "## Operations per site")
    assert sites[0] == ["site", "op", "binding", "trigger", "runs a day", "ops a run", "ops a day"]
    assert set(sites[1]) == {"---", "--:"}
    assert all(len(row) == 7 for row in sites)
    assert sites[5] == [f"`{ROOT}/src/sweep.ts:12`", "`delete`", "`QUOTES`", "`cron */30 * * * *`", "48",
                        f"0{DASH}50", f"0{DASH}2,400"]
    totals = _table(markdown, "## Daily operations")
    assert totals[3] == ["KV writes", "1,444", "1,445"]
    costs = _table(markdown, "## Monthly cost")
    assert costs[2] == ["free (this Worker's plan)", "$0.00",
                        "but KV writes and KV deletes run out on the busiest day"]
    routes = _table(markdown, "## Per 1,000 requests")
    assert routes[0][0] == "route" and all(len(row) == len(routes[0]) for row in routes)
    assert routes[2][0] == "`GET /quote/:symbol`" and routes[2][-1] == "$1.95"  # 0.30 + 0.50 + 0.15 + 1.00
    assert "- kv.writes: 1,445/day against the free plan's 1,000: runs out at about 16:35 UTC" in markdown
    assert "\n\n\n" not in markdown


def test_markdown_escapes_pipes_in_cells() -> None:
    estimate = replace(MARKET_FEED, assumptions=(Assumption("a|b", "x|y", "code", "c|d"),))
    markdown = render_markdown(Result(workers=market_result().workers, estimates=[estimate]))
    rows = _table(markdown, "## Assumptions")
    assert rows[2] == ["a\\|b", "x\\|y", "code: c\\|d"]


NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)")


def _charts(markdown: str) -> list[dict[str, object]]:
    """Each ```mermaid block parsed as Mermaid's xychart grammar reads it."""
    charts = []
    for block in re.findall(r"```mermaid\n(.*?)\n```", markdown, re.S):
        lines = [line.strip() for line in block.splitlines()]
        assert lines[0] == "xychart-beta"
        chart: dict[str, object] = {"bars": [], "lines": []}
        for line in lines[1:]:
            if line.startswith("title "):
                match = re.fullmatch(r'title "([^"]+)"', line)
                assert match, line
                chart["title"] = match.group(1)
            elif line.startswith("x-axis "):
                match = re.fullmatch(r'x-axis (?:"[^"]*" )?\[(.*)\]', line)
                assert match, line
                labels = re.findall(r'"([^"]*)"', match.group(1))
                assert match.group(1) == ", ".join(f'"{label}"' for label in labels)
                chart["labels"] = labels
            elif line.startswith("y-axis "):
                match = re.fullmatch(r'y-axis "[^"]+" (\d+) --> (\d+)', line)
                assert match, line
                chart["y"] = (int(match.group(1)), int(match.group(2)))
            else:
                match = re.fullmatch(r"(bar|line) \[(.*)\]", line)
                assert match, line
                values = [part.strip() for part in match.group(2).split(",")]
                assert all(NUMBER.fullmatch(v) for v in values), values
                chart[match.group(1) + "s"].append([float(v) for v in values])  # type: ignore[attr-defined]
        series = [*chart["bars"], *chart["lines"]]  # type: ignore[misc]
        assert series and all(len(s) == len(chart["labels"]) for s in series)  # type: ignore[arg-type]
        low, high = chart["y"]  # type: ignore[misc]
        assert low == 0 and all(v <= high for s in series for v in s)
        charts.append(chart)
    return charts


def test_mermaid_charts_are_well_formed_and_carry_the_numbers() -> None:
    charts = _charts(render_markdown(market_result()))
    assert [c["title"] for c in charts] == [
        "Busiest day, % of the free daily limit", "KV writes per trigger, busiest day",
        "KV writes since 00:00 UTC, busiest day", "KV deletes since 00:00 UTC, busiest day"]
    limits, per_trigger, writes, deletes = charts
    percent = dict(zip(limits["labels"], limits["bars"][0], strict=True))  # type: ignore[call-overload,index]
    assert percent["KV writes"] == 144.5 and percent["KV deletes"] == 240.4 and percent["KV reads"] == 62.4
    assert limits["lines"] == [[100.0] * len(limits["labels"])]  # type: ignore[arg-type]
    assert per_trigger["labels"] == ["cron * * * * *", "cron 0 9 * * MON-FRI"]
    assert per_trigger["bars"] == [[1440.0, 5.0]] and per_trigger["lines"] == [[1000.0, 1000.0]]
    # Writes made by each hour: the minute cron's 60 an hour, and five more at 09:00.
    made, limit = writes["lines"]  # type: ignore[misc]
    assert writes["labels"] == [str(h) for h in range(25)]
    assert made[:3] == [0, 60, 120] and made[9] == 540 and made[10] == 605 and made[24] == 1445
    assert limit == [1000.0] * 25
    crossed = next(hour for hour, value in enumerate(made) if value > 1000)
    assert crossed - 1 == 16  # between 16:00 and 17:00: the limit runs out at 16:35
    most, least, _ = deletes["lines"]  # type: ignore[misc]
    assert next(hour for hour, value in enumerate(most) if value > 1000) - 1 == 9  # 09:30
    assert max(least) == 4


def test_cumulative_spreads_routes_and_counts_cron_runs() -> None:
    reads = cumulative(MARKET_FEED, "kv.reads")
    # 2,400 sweep reads at the half hours; 60,000 route reads spread over the day.
    assert reads[1] == pytest.approx(100 + 2500) and reads[24] == pytest.approx(62_400)
    assert cumulative(API_GATEWAY, "kv.writes", "min") == [0.0] * 25


def test_estimate_formatter_picks_the_form() -> None:
    result = market_result()
    assert estimate_formatter("text")(result, colour=False) == render_text(result)
    assert estimate_formatter("markdown")(result, colour=False) == render_markdown(result)
    assert json.loads(estimate_formatter("json")(result, colour=False))["estimate"]["plan"] == "free"


REPO = Path(__file__).parent.parent


def run(*args: str) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from auditor.cli import main

    outcome = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.stdout, outcome.stderr


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    return REPO


def test_estimate_command_text(in_repo: Path) -> None:
    code, out, err = run("estimate", "examples/quote-cache")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "quote-cache — examples/quote-cache, top level"
    assert lines[1].startswith("Plan: free. Prices as of ")
    for heading in ("Assumptions", "Triggers", "Operations per site (paths under examples/quote-cache/)",
                    "Daily operations", "Monthly cost"):
        assert heading in lines
    assert re.search(r"^  cron \*/30 \* \* \* \* +48 +48 ", out, re.M)
    assert all(len(line) <= 100 for line in lines)
    assert "\x1b[" not in out


def test_estimate_command_json_and_markdown(in_repo: Path, tmp_path: Path) -> None:
    import jsonschema

    code, out, _ = run("estimate", "examples/quote-cache", "--format", "json")
    assert code == 0
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    assert document["estimate"] == document["workers"][0]["estimate"]
    assert document["estimate"]["plan"] == "free" and document["estimate"]["root"] == "examples/quote-cache"
    assert {s["path"] for s in document["estimate"]["sites"]} == {"examples/quote-cache/src/index.ts"}

    code, out, _ = run("estimate", "examples/quote-cache", "--format", "json", "--plan", "paid")
    assert code == 0 and json.loads(out)["estimate"]["plan"] == "paid"

    target = tmp_path / "estimate.md"
    code, out, _ = run("estimate", "examples/quote-cache", "--format", "markdown", "--output", str(target))
    assert (code, out) == (0, "")
    markdown = target.read_text()
    assert markdown.startswith("# Cost estimate: quote-cache (top level)\n")
    _charts(markdown)


def test_estimate_command_bad_input_exits_2(in_repo: Path, tmp_path: Path) -> None:
    code, _, err = run("estimate", str(tmp_path / "nope"))
    assert code == 2 and "no such file or directory" in err
    code, _, err = run("estimate", "examples/quote-cache", "--env", "staging")
    assert code == 2 and "no environment `staging`" in err
    code, _, err = run("estimate", str(tmp_path))
    assert code == 2 and "no wrangler.json, wrangler.jsonc or wrangler.toml found" in err
    (tmp_path / "wrangler.toml").write_text("name = [\n")
    code, out, err = run("estimate", str(tmp_path))
    assert code == 2 and "No estimate" in out and "Traceback" not in out + err


def test_estimate_markdown_lists_what_it_could_not_read() -> None:
    from auditor.findings import AuditError

    result = market_result()
    result.errors.append(AuditError(f"{ROOT}/src/broken.ts", 7, "the file does not parse"))
    expected = f"\n## Not read\n\n- `{ROOT}/src/broken.ts:7`: the file does not parse\n"
    assert expected in render_markdown(result)


def test_a_crashing_rule_names_the_setting_that_skips_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.engine

    def audit(*_: object, **__: object) -> Result:
        try:
            raise KeyError("x")
        except KeyError as error:
            raise auditor.engine.RuleCrashed("CO001", "wrangler.toml") from error

    monkeypatch.setattr(auditor.engine, "audit", audit)
    code, _, err = run("estimate", ".")
    assert code == 2
    assert "rule CO001 failed while auditing wrangler.toml: KeyError" in err
    assert '`ignore = ["CO001"]` in workers-audit.toml skips the rule meanwhile' in err
