"""`workers-audit diff --base REF` end to end, on throw-away git repositories: the comment, the
JSON, the gate, that the user's repository is left as it was, and every bad input.

The expected figures come from the tool's other commands, run on the base and on the
change (`check --format json`, `estimate --format json`), not from the diff's own code."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from auditor.cli import main
from tests.test_markdown_format import inline, rows

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

SAMPLES = Path(__file__).parent / "diff_samples"
MARKER = "<!-- workers-audit-diff -->"
FREE_KV_WRITES = 1000  # PLATFORM.md: the free plan's KV writes a day

WORKFLOW = """\
name: warm the cache
on:
  schedule:
    - cron: "*/15 * * * *"
jobs:
  warm:
    runs-on: ubuntu-latest
    steps:
      - run: curl -fsS -X POST "${{ secrets.WORKER_URL }}/api/items/refresh"
"""

ITEMS_TOML = """\
name = "items"
main = "src/index.ts"
kv_namespaces = [{ binding = "KV", id = "0123456789abcdef0123456789abcdef" }]
"""

ITEMS_TS = """\
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    await env.KV.get("flags");
    if (url.pathname.startsWith("/api/items/")) {
      if (request.method === "POST") {
        await env.KV.put(url.pathname, await request.text());
        return new Response("saved");
      }
      return new Response(await env.KV.get(url.pathname));
    }
    return new Response("not found", { status: 404 });
  },
};
"""


# -- helpers ------------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No global or system git configuration, no repository above tmp_path, and a temporary
    directory of our own, which must be empty again after every run."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.resolve()))
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    return temporary


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The temporary directories the runs create."""
    created: list[Path] = []
    original = tempfile.TemporaryDirectory

    class Recording(original):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(Path(self.name))

    monkeypatch.setattr(tempfile, "TemporaryDirectory", Recording)
    return created


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false",
         "-c", "init.defaultBranch=main", *args],
        cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def counter_repo(tmp_path: Path, name: str = "repo") -> Path:
    """The sample Worker committed on `main`, and a branch `feature` checked out."""
    repo = tmp_path / name
    shutil.copytree(SAMPLES / "counter", repo)
    git(repo, "init", "-q")
    commit(repo, "the counter Worker")
    git(repo, "checkout", "-q", "-b", "feature")
    return repo


def change(repo: Path) -> None:
    """The pull request: the sample's new index.ts in the working tree, not committed."""
    shutil.copy(SAMPLES / "counter_head" / "src" / "index.ts", repo / "src" / "index.ts")


def cli(*args: str) -> tuple[int, str, str]:
    outcome = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.stdout, outcome.stderr


def as_json(*args: str) -> dict[str, Any]:
    code, out, err = cli(*args)
    assert code in (0, 1), err
    data: dict[str, Any] = json.loads(out)
    return data


def findings(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["fingerprint"]: f for f in data["findings"]}


def busiest(estimate: dict[str, Any], category: str) -> dict[str, float]:
    service, metric = category.split(".")
    figures: dict[str, float] = estimate["busiest_day"][service][metric]
    return figures


def digest(root: Path) -> dict[str, str]:
    """Every file under `root`, `.git` included, by content."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


class Untouched:
    """The repository's files (`.git` too), HEAD, index, refs and status before a run; `check`
    compares them after it. No git command runs between the two digests."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.git_state = self._git_state()
        self.files = digest(repo)

    def _git_state(self) -> tuple[str, ...]:
        return (git(self.repo, "rev-parse", "HEAD"), git(self.repo, "symbolic-ref", "-q", "HEAD"),
                git(self.repo, "ls-files", "--stage"), git(self.repo, "for-each-ref"),
                git(self.repo, "status", "--porcelain=v1", "--untracked-files=all", "--ignored"),
                git(self.repo, "stash", "list"), git(self.repo, "worktree", "list", "--porcelain"))

    def check(self) -> None:
        assert digest(self.repo) == self.files
        assert self._git_state() == self.git_state


def amount(value: float) -> str:
    assert float(value).is_integer(), value
    return f"{int(value):,}"


def span(figures: dict[str, float]) -> str:
    low, high = amount(figures["min"]), amount(figures["max"])
    return low if low == high else f"{low}–{high}"


def signed(value: float) -> str:
    return "0" if value == 0 else f"+{amount(value)}" if value > 0 else f"-{amount(-value)}"


@pytest.fixture
def pull_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The counter repository with the change in its working tree, and what `check` and
    `estimate` say about the base and the change, run from the repository as diff is."""
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    base_check, base_estimate = as_json("check", "--format", "json"), as_json("estimate", "--format", "json")
    change(repo)
    head_check, head_estimate = as_json("check", "--format", "json"), as_json("estimate", "--format", "json")
    yield {"repo": repo, "base_check": findings(base_check), "head_check": findings(head_check),
           "base": base_estimate["estimate"], "head": head_estimate["estimate"]}


# -- the comment ----------------------------------------------------------------------------------

def test_markdown_comment_lists_new_and_fixed_findings_and_the_cost_delta(
        pull_request: dict[str, Any], made: list[Path]) -> None:
    base, head = pull_request["base_check"], pull_request["head_check"]
    new = [head[k] for k in head.keys() - base.keys()]
    fixed = [base[k] for k in base.keys() - head.keys()]
    assert new and fixed and base.keys() & head.keys() == set()
    untouched = Untouched(pull_request["repo"])

    code, out, err = cli("diff", "--base", "main")

    untouched.check()
    assert made and not any(path.exists() for path in made)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == MARKER
    errors = sum(f["severity"] == "error" for f in new)
    warnings = sum(f["severity"] == "warning" for f in new)
    assert (f"**Fails: {len(new)} new findings ({errors} error, {warnings} warnings), "
            f"{len(fixed)} fixed") in out
    main_commit = git(pull_request["repo"], "rev-parse", "--short", "main")
    assert f"The working tree compared with `main` at {main_commit} (the counter Worker)." in out
    assert f"### New findings ({len(new)})" in out and f"### Fixed findings ({len(fixed)})" in out
    for finding in new + fixed:
        assert (f"| {finding['rule']} `{finding['name']}` | {finding['severity']} | "
                f"`{finding['path']}:{finding['line']}` |") in out
    # Messages read back as written: the cron's `*` and the like are escaped, not emphasis.
    shown = {(row[2], inline(row[3])) for row in rows(out) if len(row) == 4}
    assert {(f"`{f['path']}:{f['line']}`", f["message"]) for f in new + fixed} <= shown
    new_part, fixed_part = out.split("### Fixed findings")
    assert all(f"`{f['path']}:{f['line']}`" in new_part for f in new)
    assert all(f"`{f['path']}:{f['line']}`" in fixed_part for f in fixed)

    writes_before = busiest(pull_request["base"], "kv.writes")
    writes_after = busiest(pull_request["head"], "kv.writes")
    increase = writes_after["max"] - writes_before["max"]
    assert writes_before["max"] <= FREE_KV_WRITES < writes_after["max"]  # the premise
    assert (f"+{amount(increase)} KV writes/day: this pull request takes `counter` over the free plan's "
            f"1,000 a day (the worst case: the estimate's max for the busiest day goes from "
            f"{amount(writes_before['max'])} to {amount(writes_after['max'])}; its range from "
            f"{span(writes_before)} to {span(writes_after)})") in out
    for category, label in (("kv.reads", "KV reads"), ("kv.writes", "KV writes"),
                            ("workers.requests", "Workers requests")):
        before, after = busiest(pull_request["base"], category), busiest(pull_request["head"], category)
        assert (f"| {label} | {span(before)} | {span(after)} | {signed(after['min'] - before['min'])} | "
                f"{signed(after['max'] - before['max'])} |") in out
    for plan, shown in (("free", "free (this Worker's plan)"), ("paid", "paid")):
        before = pull_request["base"]["monthly_usd_by_plan"][plan]
        after = pull_request["head"]["monthly_usd_by_plan"][plan]
        assert before["min"] == before["max"] and after["min"] == after["max"]
        change = after["max"] - before["max"]
        moved = "$0.00" if round(change, 2) == 0 else f"{'+' if change > 0 else '-'}${abs(change):,.2f}"
        assert f"| {shown} | ${before['max']:,.2f} | ${after['max']:,.2f} | {moved} | {moved} |" in lines


def test_json_has_the_findings_and_every_figure_of_both_estimates(pull_request: dict[str, Any]) -> None:
    repo = pull_request["repo"]
    base, head = pull_request["base_check"], pull_request["head_check"]
    data = as_json("diff", "--base", "main", "--format", "json")

    assert data["version"] == 1 and data["failed"] is True
    assert data["base"]["ref"] == "main"
    assert data["base"]["merge_base"] == data["base"]["commit"] == git(repo, "rev-parse", "main")
    assert data["head"] == {"commit": git(repo, "rev-parse", "HEAD"), "working_tree": True}
    assert sorted(f["fingerprint"] for f in data["findings"]["new"]) == sorted(head.keys() - base.keys())
    assert sorted(f["fingerprint"] for f in data["findings"]["fixed"]) == sorted(base.keys() - head.keys())
    assert data["findings"]["unchanged"] == len(head.keys() & base.keys())
    for finding in data["findings"]["new"]:
        assert finding == head[finding["fingerprint"]]
    [worker] = data["workers"]
    assert (worker["root"], worker["name"], worker["status"], worker["plan"]) == \
        (".", "counter", "changed", "free")
    for service, metrics in pull_request["base"]["busiest_day"].items():
        for metric, before in metrics.items():
            after = pull_request["head"]["busiest_day"][service][metric]
            assert worker["daily"][f"{service}.{metric}"] == {
                "base": before, "head": after,
                "change": {"min": after["min"] - before["min"], "max": after["max"] - before["max"]}}
    for plan, before in pull_request["base"]["monthly_usd_by_plan"].items():
        after = pull_request["head"]["monthly_usd_by_plan"][plan]
        assert worker["monthly_usd"][plan]["base"] == before
        assert worker["monthly_usd"][plan]["head"] == after
    [crossing] = worker["crossings"]
    assert (crossing["category"], crossing["limit"], crossing["direction"]) == \
        ("kv.writes", FREE_KV_WRITES, "over")
    assert crossing["sentence"].startswith("+")


def test_text_output_and_output_file(pull_request: dict[str, Any], tmp_path: Path) -> None:
    code, out, _ = cli("diff", "--base", "main", "--format", "text", "--color", "never")
    assert code == 1
    assert out.splitlines()[0].startswith("workers-audit diff: the working tree against `main` at ")
    new = pull_request["head_check"].keys() - pull_request["base_check"].keys()
    for key in new:
        f = pull_request["head_check"][key]
        assert f"  {f['path']}:{f['line']}:{f['column']}: {f['rule']} {f['message']}" in out
    assert "KV writes/day: this pull request takes `counter` over" in out

    target = tmp_path / "comment.md"
    code, out, _ = cli("diff", "--base", "main", "--output", str(target))
    assert (code, out) == (1, "")
    assert target.read_text(encoding="utf-8").startswith(MARKER + "\n")


# -- the gate -------------------------------------------------------------------------------------

def test_exit_status_follows_the_fail_level_of_new_findings(pull_request: dict[str, Any]) -> None:
    new = [pull_request["head_check"][k]
           for k in pull_request["head_check"].keys() - pull_request["base_check"].keys()]
    errors = {f["rule"] for f in new if f["severity"] == "error"}
    assert errors == {"CO001"}
    assert cli("diff", "--base", "main", "--fail-on", "never")[0] == 0
    assert cli("diff", "--base", "main", "--fail-on", "error")[0] == 1
    assert cli("diff", "--base", "main", "--fail-on", "error", "--ignore", "CO001")[0] == 0
    assert cli("diff", "--base", "main", "--select", "KV001")[0] == 1
    assert cli("diff", "--base", "main", "--select", "DO")[0] == 0
    # The default comes from the settings file, as for `check`.
    settings = pull_request["repo"] / "workers-audit.toml"
    settings.write_text('fail-on = "never"\n' + settings.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, _ = cli("diff", "--base", "main")
    assert code == 0 and "**Passes: " in out


def test_fail_on_increase_thresholds(pull_request: dict[str, Any]) -> None:
    before, after = busiest(pull_request["base"], "kv.writes"), busiest(pull_request["head"], "kv.writes")
    increase = int(after["max"] - before["max"])
    assert busiest(pull_request["base"], "kv.reads") == busiest(pull_request["head"], "kv.reads")

    def gate(*thresholds: str) -> int:
        args = [a for t in thresholds for a in ("--fail-on-increase", t)]
        return cli("diff", "--base", "main", "--fail-on", "never", *args)[0]

    assert gate(f"kv-writes={increase - 1}") == 1
    assert gate(f"kv-writes={increase}") == 0
    assert gate("kv-writes=0") == 1
    assert gate("kv-reads=0", "kv-deletes=0", "do-requests=0") == 0
    assert gate("monthly-usd=0") == 0  # the free plan costs nothing
    assert gate("kv-reads=0", f"kv-writes={increase - 1}") == 1
    assert gate(f"kv.writes={increase - 1}") == 1  # the category as the JSON spells it
    assert gate(f"KV_WRITES={increase}") == 0
    code, out, _ = cli("diff", "--base", "main", "--fail-on", "never", "--fail-on-increase", "kv-writes=0")
    assert code == 1
    assert f"- **KV writes a day +{increase:,}: more than `--fail-on-increase kv-writes=0` allows**" in out
    assert "**Fails: " in out
    code, out, _ = cli("diff", "--base", "main", "--fail-on", "never", "--fail-on-increase", "kv-reads=0")
    assert code == 0 and "- KV reads a day 0: within `--fail-on-increase kv-reads=0`" in out
    assert "**Passes: " in out


def test_an_unreadable_configuration_in_the_working_tree_exits_2_after_the_comment(
        pull_request: dict[str, Any]) -> None:
    (pull_request["repo"] / "wrangler.toml").write_text('name = "counter\n', encoding="utf-8")
    code, out, _ = cli("diff", "--base", "main", "--fail-on", "never")
    assert code == 2  # as for `check`: the comment is written, the run fails
    assert out.startswith(MARKER + "\n")
    assert "| CF007 `config-unreadable` | error | `wrangler.toml:1` |" in out
    assert "a configuration in the working tree cannot be read" in out


def test_monthly_usd_threshold_on_the_paid_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    (repo / "workers-audit.toml").write_text('plan = "paid"\n[usage]\nrequests-per-day = 2000000\n',
                                             encoding="utf-8")
    commit(repo, "paid plan, more traffic")
    before = as_json("estimate", "--format", "json")["estimate"]["monthly_usd_by_plan"]["paid"]
    change(repo)
    after = as_json("estimate", "--format", "json")["estimate"]["monthly_usd_by_plan"]["paid"]
    increase = round(after["max"] - before["max"], 2)
    assert increase > 1

    def gate(limit: str) -> int:
        return cli("diff", "--base", "feature", "--fail-on", "never", "--fail-on-increase",
                   f"monthly-usd={limit}")[0]

    assert gate(f"{increase - 0.01:.2f}") == 1
    assert gate(f"{increase:.2f}") == 0
    data = as_json("diff", "--base", "feature", "--format", "json", "--fail-on", "never")
    [worker] = data["workers"]
    assert worker["plan"] == "paid" and worker["crossings"] == []  # free limits do not apply
    assert worker["monthly_usd"]["paid"]["change"]["max"] == increase


@pytest.mark.parametrize(("threshold", "complaint"), [
    ("kv-write=10", "unknown metric `kv-write` (metrics: kv-reads, kv-writes, kv-deletes"),
    ("kv-writes", "`kv-writes` is not METRIC=N (metrics: kv-reads, kv-writes, kv-deletes"),
    ("kv-writes=lots", "`lots` is not a number (in `kv-writes=lots`)"),
    ("kv-writes=-5", "the limit in `kv-writes=-5` must be a number of zero or more"),
    ("kv-writes=nan", "the limit in `kv-writes=nan` must be a number of zero or more"),
])
def test_a_bad_threshold_is_a_usage_error(pull_request: dict[str, Any], tmp_path: Path, threshold: str,
                                         complaint: str) -> None:
    target = tmp_path / "comment.md"
    code, out, err = cli("diff", "--base", "main", "--fail-on-increase", threshold, "--output", str(target))
    assert code == 2 and out == ""
    assert "Invalid value for '--fail-on-increase'" in err and complaint in err
    assert not target.exists()


def test_help_names_every_metric() -> None:
    from auditor.diff import METRICS, MONTHLY_USD

    _, out, _ = cli("diff", "--help")
    flat = " ".join(out.split())
    assert all(metric in flat for metric in [*METRICS, MONTHLY_USD])


# -- what is compared -----------------------------------------------------------------------------

def test_a_change_that_brings_the_worker_back_under_the_limit(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    change(repo)
    commit(repo, "writes on every miss")
    over = busiest(as_json("estimate", "--format", "json")["estimate"], "kv.writes")
    shutil.copy(SAMPLES / "counter" / "src" / "index.ts", repo / "src" / "index.ts")
    under = busiest(as_json("estimate", "--format", "json")["estimate"], "kv.writes")
    code, out, _ = cli("diff", "--base", "feature", "--fail-on", "never", "--fail-on-increase", "kv-writes=0")
    assert code == 0  # a decrease is no increase
    assert (f"-{amount(over['max'] - under['max'])} KV writes/day: this pull request brings `counter` back "
            f"under the free plan's 1,000 a day") in out
    assert "comes back under the free plan's 1,000 KV writes a day" in out.splitlines()[3]


def test_the_base_is_the_merge_base_not_the_tip_of_the_branch(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    at_branch_point = busiest(as_json("estimate", "--format", "json")["estimate"], "kv.reads")
    git(repo, "checkout", "-q", "main")
    settings = repo / "workers-audit.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("1200", "5000"), encoding="utf-8")
    commit(repo, "main moves on: more traffic")
    git(repo, "checkout", "-q", "feature")
    merge_base = git(repo, "merge-base", "main", "HEAD")
    assert merge_base != git(repo, "rev-parse", "main")

    data = as_json("diff", "--base", "main", "--format", "json")
    assert data["base"]["merge_base"] == merge_base
    assert data["base"]["commit"] == git(repo, "rev-parse", "main")
    [worker] = data["workers"]
    assert worker["daily"]["kv.reads"]["base"] == at_branch_point
    assert worker["status"] == "unchanged" and data["findings"]["new"] == data["findings"]["fixed"] == []
    _, out, _ = cli("diff", "--base", "main")
    short = git(repo, "rev-parse", "--short", merge_base)
    assert f"compared with {short} (the counter Worker), the merge base of `main` and HEAD" in out
    assert "No change in the estimated operations or cost." in out


def test_a_worker_the_pull_request_adds_is_all_new(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    write(repo, {"README.md": "A repository without a Worker yet.\n"})
    git(repo, "init", "-q")
    commit(repo, "readme")
    shutil.copytree(SAMPLES / "counter", repo, dirs_exist_ok=True)  # untracked: the working tree
    monkeypatch.chdir(repo)
    head = findings(as_json("check", "--format", "json"))
    estimate = as_json("estimate", "--format", "json")["estimate"]

    data = as_json("diff", "--base", "main", "--format", "json")
    assert sorted(f["fingerprint"] for f in data["findings"]["new"]) == sorted(head)
    assert data["findings"]["fixed"] == [] and data["findings"]["unchanged"] == 0
    [worker] = data["workers"]
    assert worker["status"] == "added"
    zero = {"min": 0, "max": 0}
    assert worker["daily"]["kv.reads"] == {"base": zero, "head": busiest(estimate, "kv.reads"),
                                           "change": busiest(estimate, "kv.reads")}
    # The paid plan's base fee is the account's: a new Worker adds only what it uses.
    assert worker["monthly_usd"]["paid"]["base"] == {"min": 5.0, "max": 5.0}
    code, out, _ = cli("diff", "--base", "main")
    assert code == 1 and "### Estimate: `counter` (`.`), added by this pull request" in out


def test_a_worker_the_pull_request_removes_is_all_fixed(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    base = findings(as_json("check", "--format", "json"))
    for name in ("wrangler.toml", "workers-audit.toml", "src/index.ts"):
        (repo / name).unlink()
    data = as_json("diff", "--base", "main", "--format", "json")
    assert sorted(f["fingerprint"] for f in data["findings"]["fixed"]) == sorted(base)
    assert data["findings"]["new"] == [] and data["failed"] is False
    assert [w["status"] for w in data["workers"]] == ["removed"]
    assert cli("diff", "--base", "main")[0] == 0


def test_an_environment_the_pull_request_adds_is_all_new(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    config = repo / "wrangler.toml"
    config.write_text(config.read_text(encoding="utf-8") + (
        '\n[env.staging]\nname = "counter-staging"\n'
        'kv_namespaces = [{ binding = "CACHE", id = "5c2d1e0f9a8b47c6b5a4f3e2d1c0b9a8" }]\n'),
        encoding="utf-8")
    head = findings(as_json("check", "--env", "staging", "--format", "json"))
    assert head

    data = as_json("diff", "--base", "main", "--env", "staging", "--format", "json")
    assert sorted(f["fingerprint"] for f in data["findings"]["new"]) == sorted(head)
    assert data["findings"]["fixed"] == [] and data["findings"]["unchanged"] == 0
    assert [w["status"] for w in data["workers"]] == ["added"]
    # An environment in neither revision is still a usage error.
    code, _, err = cli("diff", "--base", "main", "--env", "nowhere")
    assert code == 2 and "no environment `nowhere` (declared: staging)" in err


def test_a_worker_below_the_working_directory_with_a_workflow_above_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The base copy holds the workflow at the repository's top (its schedule calls the Worker),
    and paths print relative to the working directory on both sides, so findings match."""
    repo = tmp_path / "repo"
    worker_dir = "workers/wörker api"
    write(repo, {".github/workflows/warm.yml": WORKFLOW, f"{worker_dir}/wrangler.toml": ITEMS_TOML,
                 f"{worker_dir}/src/index.ts": ITEMS_TS, "docs/notes.md": "unrelated\n"})
    git(repo, "init", "-q")
    commit(repo, "items Worker, warmed from GitHub Actions")
    git(repo, "checkout", "-q", "-b", "faster-warming")
    monkeypatch.chdir(repo / worker_dir)
    before = as_json("estimate", "--format", "json")["estimate"]
    base_findings = findings(as_json("check", "--format", "json"))
    workflow = repo / ".github/workflows/warm.yml"
    workflow.write_text(WORKFLOW.replace("*/15", "*/5"), encoding="utf-8")
    after = as_json("estimate", "--format", "json")["estimate"]
    assert base_findings and findings(as_json("check", "--format", "json")).keys() == base_findings.keys()
    untouched = Untouched(repo)

    data = as_json("diff", "--base", "main", "--format", "json")

    untouched.check()
    assert data["findings"]["new"] == data["findings"]["fixed"] == []
    assert data["findings"]["unchanged"] == len(base_findings)
    [worker] = data["workers"]
    assert worker["root"] == "."
    requests = worker["daily"]["workers.requests"]
    assert requests["base"] == busiest(before, "workers.requests")
    assert requests["head"] == busiest(after, "workers.requests")
    assert requests["change"]["max"] == 288 - 96  # every 5 minutes instead of every 15

    monkeypatch.chdir(repo)
    data = as_json("diff", "--base", "main", "--format", "json", worker_dir)
    [worker] = data["workers"]
    assert worker["root"] == worker_dir
    assert worker["daily"]["workers.requests"] == requests
    assert data["findings"]["unchanged"] == len(base_findings)


def test_the_copy_is_a_repository_top_for_the_workflow_search(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _isolated: Path) -> None:
    """A workflow in a directory above the base copy (the temporary directory's parent) is
    not the repository's: the search stops at the copy's top, as at the repository's."""
    write(_isolated, {".github/workflows/warm.yml": WORKFLOW})
    repo = tmp_path / "repo"
    write(repo, {"wrangler.toml": ITEMS_TOML, "src/index.ts": ITEMS_TS})
    git(repo, "init", "-q")
    commit(repo, "items Worker")
    monkeypatch.chdir(repo)
    data = as_json("diff", "--base", "main", "--format", "json")
    [worker] = data["workers"]
    assert worker["status"] == "unchanged"
    assert worker["daily"]["workers.requests"]["base"] == worker["daily"]["workers.requests"]["head"]


def test_a_file_path_or_a_config_audits_its_worker(pull_request: dict[str, Any]) -> None:
    whole = as_json("diff", "--base", "main", "--format", "json")
    # A file the pull request adds names its Worker in the base too.
    write(pull_request["repo"], {"src/strings.ts": 'export const GREETING = "hello";\n'})
    for args in (["src/index.ts"], ["--config", "wrangler.toml"], ["src/strings.ts"]):
        data = as_json("diff", "--base", "main", "--format", "json", *args)
        assert data["findings"] == whole["findings"]
        assert data["workers"] == whole["workers"]


def test_a_long_list_is_collapsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    puts = "".join(f'    await env.CACHE.put("key-{n}", "{n}");\n' for n in range(12))
    source = (SAMPLES / "counter" / "src" / "index.ts").read_text(encoding="utf-8")
    scheduled = "  async scheduled(controller: ScheduledController, env: Env): Promise<void> {\n"
    assert scheduled in source
    (repo / "src" / "index.ts").write_text(source.replace(scheduled, scheduled + puts), encoding="utf-8")
    data = as_json("diff", "--base", "main", "--format", "json")
    count = len(data["findings"]["new"])
    assert count > 10
    _, out, _ = cli("diff", "--base", "main")
    assert f"<details><summary>{count} new findings</summary>" in out
    assert out.count("| KV001 `kv-put-missing-ttl` |") == sum(
        f["rule"] == "KV001" for f in data["findings"]["new"])


def test_the_base_is_read_as_committed_without_filters_or_export_rules(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`git archive` would run the smudge filter (a user program; git-lfs goes to the network)
    and leave out `export-ignore` paths; the base copy must do neither."""
    spy = tmp_path / "filter-ran"
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    git(repo, "config", "filter.spy.smudge", f"sh -c 'echo ran >> \"{spy}\"; cat'")
    git(repo, "config", "filter.spy.clean", "cat")
    write(repo, {".gitattributes": "*.toml filter=spy\nsrc/** export-ignore\n"})
    commit(repo, "attributes")
    git(repo, "archive", "HEAD", "-o", str(tmp_path / "archive.tar"))
    assert spy.exists()  # the filter works here: archive ran it
    spy.unlink()
    base = findings(as_json("check", "--format", "json"))
    assert base

    data = as_json("diff", "--base", "feature", "--format", "json")
    assert not spy.exists()
    assert data["findings"]["unchanged"] == len(base)
    assert data["findings"]["new"] == data["findings"]["fixed"] == []


# -- bad input: a message, exit 2, nothing written ------------------------------------------------

def refused(*args: str, output: Path) -> str:
    code, out, err = cli(*args, "--output", str(output))
    assert (code, out) == (2, ""), err
    assert err.startswith("workers-audit: error: ") and "Traceback" not in err
    assert not output.exists()
    return err


def test_outside_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(SAMPLES / "counter", plain)
    monkeypatch.chdir(plain)
    err = refused("diff", "--base", "main", output=tmp_path / "out.md")
    assert "is not inside a git repository" in err


def test_without_git(pull_request: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    err = refused("diff", "--base", "main", output=tmp_path / "out.md")
    assert "git is not installed" in err


def test_a_ref_that_does_not_exist(pull_request: dict[str, Any], tmp_path: Path) -> None:
    untouched = Untouched(pull_request["repo"])
    err = refused("diff", "--base", "origin/develop", output=tmp_path / "out.md")
    untouched.check()
    assert "`origin/develop` is not a commit in this repository" in err
    assert "`git fetch origin develop`" in err
    err = refused("diff", "--base", "develop", output=tmp_path / "out.md")
    assert "`git fetch origin develop`, then pass `--base origin/develop`" in err
    err = refused("diff", "--base", "--help", output=tmp_path / "out.md")
    assert "is not a git revision" in err


def test_a_shallow_clone_without_the_base_or_the_merge_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            made: list[Path]) -> None:
    origin = counter_repo(tmp_path, "origin")
    change(origin)
    commit(origin, "write on every miss")
    git(origin, "checkout", "-q", "main")
    (origin / "README.md").write_text("main moves on\n", encoding="utf-8")
    commit(origin, "readme")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "1", "--branch", "feature", origin.resolve().as_uri(), str(clone))
    monkeypatch.chdir(clone)
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    untouched = Untouched(clone)

    err = refused("diff", "--base", "origin/main", output=tmp_path / "out.md")
    untouched.check()
    assert "the base `origin/main` is not in this shallow clone" in err
    assert "`fetch-depth: 0` for actions/checkout" in err and "`git fetch --unshallow`" in err

    git(clone, "fetch", "-q", "--depth", "1", "origin", "main:refs/remotes/origin/main")
    err = refused("diff", "--base", "origin/main", output=tmp_path / "out.md")
    assert "the merge base of `origin/main` and HEAD is not in this shallow clone" in err
    assert "`fetch-depth: 0` for actions/checkout" in err and "`git fetch --unshallow`" in err
    assert not made  # refused before anything was copied

    git(clone, "fetch", "-q", "--unshallow")  # what the message says to do
    data = as_json("diff", "--base", "origin/main", "--format", "json")
    assert data["base"]["merge_base"] == git(origin, "merge-base", "main", "feature")
    assert data["findings"]["new"]


def test_paths_outside_the_repository_or_nowhere(pull_request: dict[str, Any], tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(SAMPLES / "counter", elsewhere)
    err = refused("diff", "--base", "main", str(elsewhere), output=tmp_path / "out.md")
    assert f"{elsewhere}: outside the git repository at " in err
    err = refused("diff", "--base", "main", "--config", "../elsewhere/wrangler.toml",
                  output=tmp_path / "out.md")
    assert "outside the git repository" in err
    err = refused("diff", "--base", "main", "nowhere", output=tmp_path / "out.md")
    assert "nowhere: no such file or directory, in the working tree or in `main`" in err


def test_no_commit_yet_and_unrelated_histories(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(SAMPLES / "counter", repo)
    git(repo, "init", "-q")
    monkeypatch.chdir(repo)
    err = refused("diff", "--base", "main", output=tmp_path / "out.md")
    assert "HEAD has no commit yet" in err

    commit(repo, "first")
    git(repo, "checkout", "-q", "--orphan", "other")
    commit(repo, "another root")
    err = refused("diff", "--base", "main", output=tmp_path / "out.md")
    assert "`main` and HEAD share no history" in err


def test_a_base_that_cannot_be_audited_removes_its_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        made: list[Path]) -> None:
    repo = counter_repo(tmp_path)
    monkeypatch.chdir(repo)
    settings = repo / "workers-audit.toml"
    good = settings.read_text(encoding="utf-8")
    settings.write_text('plan = "gold"\n', encoding="utf-8")
    commit(repo, "a bad settings file")
    settings.write_text(good, encoding="utf-8")  # the pull request fixes it
    err = refused("diff", "--base", "feature", output=tmp_path / "out.md")
    short = git(repo, "rev-parse", "--short", "feature")
    assert f"the base revision {short} (`feature`): workers-audit.toml:1: `plan` must be one of" in err
    assert made and not any(path.exists() for path in made)
