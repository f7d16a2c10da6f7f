"""The GitHub Action and the CI documentation: action.yml's structure, its scripts run with
stand-ins for `workers-audit` and `gh`, every command line they build parsed by the real
command line, and the README's CI snippets kept equal to the files in examples/ci."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from auditor.cli import main

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
SCRIPTS = ROOT / "action"
README = ROOT / "README.md"
WORKFLOW = ROOT / "examples" / "ci" / "github-workflow.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
MARKER = "<!-- workers-audit-diff -->"

BASH = shutil.which("bash")
needs_bash = pytest.mark.skipif(BASH is None, reason="bash is not installed: the action's scripts are bash")
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

# Outputs of the actions the composite action uses (their own action.yml).
USES = {"actions/setup-python@v5": {"python-path", "python-version", "cache-hit"},
        "github/codeql-action/upload-sarif@v3": {"sarif-id"}}


def _action() -> dict[str, Any]:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert isinstance(action, dict)
    return action


def _steps() -> list[dict[str, Any]]:
    return list(_action()["runs"]["steps"])


def _script_of(step: dict[str, Any]) -> Path:
    match = re.fullmatch(r'bash "\$\{GITHUB_ACTION_PATH\}/action/([\w-]+\.sh)"( "\$\{\w+\}")*',
                         step["run"].strip())
    assert match, f"step {step['name']!r} does not run one script of action/"
    return SCRIPTS / match.group(1)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _written_outputs(script: Path) -> set[str]:
    return set(re.findall(r'echo "([\w-]+)=[^"]*" >> "\$\{GITHUB_OUTPUT', script.read_text(encoding="utf-8")))


def parse(argv: list[str]) -> click.Context:
    """Parse a `workers-audit` argument vector as the command line does; a bad option, choice
    or argument raises click's UsageError."""
    name, *rest = argv
    command = main.commands.get(name)
    assert command is not None, f"no command `workers-audit {name}`"
    return command.make_context(name, rest)


# -- action.yml -----------------------------------------------------------------------------

def test_action_is_composite_with_bash_steps() -> None:
    action = _action()
    assert action["runs"]["using"] == "composite"
    for step in _steps():
        assert step.get("name"), step
        assert ("uses" in step) != ("run" in step), step
        if "run" in step:
            assert step["shell"] == "bash"
            # Inputs reach the shell through `env:`, never spliced into its text.
            assert "${{" not in step["run"], f"step {step['name']!r} puts an expression in its script"
        else:
            assert step["uses"] in USES


def test_inputs_are_declared_used_and_defaulted() -> None:
    action = _action()
    declared = set(action["inputs"])
    referenced = set(re.findall(r"\binputs\.([\w-]+)", ACTION.read_text(encoding="utf-8")))
    assert referenced == declared
    for name, spec in action["inputs"].items():
        assert spec.get("description"), name
        assert "default" in spec and spec.get("required", False) is False, name
    assert action["inputs"]["path"]["default"] == "."
    assert action["inputs"]["base"]["default"] == "${{ github.event.pull_request.base.sha }}"
    assert action["inputs"]["github-token"]["default"] == "${{ github.token }}"


def test_step_outputs_exist_where_they_are_read() -> None:
    steps = _steps()
    outputs: dict[str, set[str]] = {}
    for step in steps:
        text = "\n".join(_strings(step))
        for step_id, output in re.findall(r"\bsteps\.([\w-]+)\.(?:outputs\.([\w-]+)|outcome)", text):
            assert step_id in outputs, f"step {step['name']!r} reads step `{step_id}` before it runs"
            assert not output or output in outputs[step_id], f"`{step_id}` writes no output `{output}`"
        if "id" in step:
            outputs[step["id"]] = USES[step["uses"]] if "uses" in step else _written_outputs(_script_of(step))
    for name, spec in _action()["outputs"].items():
        read = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", spec["value"])
        assert read, name
        step_id, output = read.groups()
        assert output in outputs[step_id], name


def test_scripts_get_the_environment_they_read() -> None:
    referenced = set()
    for step in _steps():
        if "run" not in step:
            continue
        script = _script_of(step)
        referenced.add(script.name)
        text = script.read_text(encoding="utf-8")
        assert text.startswith("#!/usr/bin/env bash\n")
        assert "\nset -euo pipefail\n" in text
        # Inputs reach a script only through its step's `env:`; so do the other values it
        # needs (those it reads with a `:-` default may be left out).
        inputs = set(re.findall(r"\$\{(INPUT_\w+)", text))
        needed = set(re.findall(r"\$\{(PYTHON|PR_NUMBER|CHECK_EXIT|DIFF_EXIT|MARKDOWN_FILE)(?!:-)", text))
        missing = (inputs | needed) - set(step.get("env", {}))
        assert not missing, f"{script.name} reads {sorted(missing)}, which its step does not set"
    assert referenced == {path.name for path in SCRIPTS.glob("*.sh")}, "a script that no step runs"


def test_steps_run_in_gate_order() -> None:
    steps = _steps()
    names = [step.get("id") or step.get("uses") or step["name"] for step in steps]
    assert names.index("check") < names.index("github/codeql-action/upload-sarif@v3") < names.index("comment")
    assert names.index("diff") < names.index("comment")
    gate = steps[-1]
    assert _script_of(gate).name == "gate.sh"
    # After the check, every step runs whatever happened before it: the SARIF and the comment
    # are posted when the audit found something, and the gate decides last.
    for step in steps[names.index("check") + 1:]:
        assert step["if"].startswith("always() &&"), step["name"]
    upload = steps[names.index("github/codeql-action/upload-sarif@v3")]
    assert upload["with"]["sarif_file"] == "${{ steps.check.outputs.sarif-file }}"
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    comment = steps[names.index("comment")]
    assert comment["env"]["GH_TOKEN"] == "${{ inputs.github-token }}"
    assert "inputs.comment == 'true'" in comment["if"]


# -- the scripts, with a stand-in for workers-audit ---------------------------------------

FAKE_WORKERS_AUDIT = """\
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(args) + "\\n")
if "--output" in args and os.environ.get("FAKE_WRITE", "1") == "1":
    with open(args[args.index("--output") + 1], "w", encoding="utf-8") as out:
        out.write("output of " + args[0] + "\\n")
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""


def _stand_in(directory: Path, name: str, source: str) -> None:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text(f"#!{sys.executable}\n{source}", encoding="utf-8")
    path.chmod(0o755)


def _run_script(script: str, tmp_path: Path, env: dict[str, str], *args: str, cwd: Path | None = None,
                timeout: int = 60, real: Path | None = None,
                ) -> tuple[subprocess.CompletedProcess[str], dict[str, str], list[list[str]]]:
    """Run action/`script` as the runner would, with stand-ins first on PATH (the real
    workers-audit from the directory `real` instead, when given); return the process, what it
    wrote to GITHUB_OUTPUT and the command lines the workers-audit stand-in was given."""
    bin_dir = tmp_path / "bin"
    _stand_in(bin_dir, "workers-audit", FAKE_WORKERS_AUDIT)
    first = [str(bin_dir)]
    if real is not None:
        (bin_dir / "workers-audit").unlink()
        first.append(str(real))
    output, log = tmp_path / "github_output", tmp_path / "calls.jsonl"
    output.write_text("", encoding="utf-8")
    log.write_text("", encoding="utf-8")
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir(exist_ok=True)
    full_env = {"PATH": os.pathsep.join([*first, os.environ.get("PATH", os.defpath)]),
                "GITHUB_OUTPUT": str(output), "FAKE_LOG": str(log), "RUNNER_TEMP": str(runner_temp),
                "HOME": str(tmp_path), **env}
    assert BASH is not None
    done = subprocess.run([BASH, str(SCRIPTS / script), *args], cwd=cwd or tmp_path, env=full_env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    written = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return done, written, calls


@needs_bash
def test_check_script_defaults(tmp_path: Path) -> None:
    done, written, calls = _run_script("check.sh", tmp_path, {"INPUT_PATH": "."})
    assert done.returncode == 0, done.stderr
    sarif = str(tmp_path / "runner" / "workers-audit" / "workers-audit.sarif")
    assert calls == [["check", "--format", "github", "--", "."],
                     ["check", "--format", "sarif", "--output", sarif, "--fail-on", "never", "--", "."]]
    annotations, results = (parse(call) for call in calls)
    assert annotations.params["output_format"] == "github"
    assert annotations.params["fail_on"] is None and annotations.params["baseline"] is None
    assert annotations.params["paths"] == (Path("."),)
    assert results.params["output_format"] == "sarif" and results.params["output"] == Path(sarif)
    assert written == {"exit-code": "0", "sarif-file": sarif}


@needs_bash
def test_check_script_passes_every_input(tmp_path: Path) -> None:
    env = {"INPUT_PATH": "workers/api\n\nworkers/page cache\n", "INPUT_FAIL_ON": "error",
           "INPUT_BASELINE": "audit/baseline.json", "INPUT_SARIF_FILE": "reports/audit.sarif"}
    done, written, calls = _run_script("check.sh", tmp_path, env)
    assert done.returncode == 0, done.stderr
    annotations, results = (parse(call) for call in calls)
    paths = (Path("workers/api"), Path("workers/page cache"))
    assert annotations.params["paths"] == paths and results.params["paths"] == paths
    assert annotations.params["fail_on"] == "error"
    assert annotations.params["baseline"] == Path("audit/baseline.json")
    # The SARIF holds every finding; the baseline and the fail level are the gate's business.
    assert results.params["baseline"] is None and results.params["fail_on"] == "never"
    assert results.params["output"] == Path("reports/audit.sarif")
    assert (tmp_path / "reports" / "audit.sarif").is_file()
    assert written == {"exit-code": "0", "sarif-file": "reports/audit.sarif"}


@needs_bash
@pytest.mark.parametrize("status", ["1", "2"])
def test_check_script_keeps_the_exit_status_for_the_gate(tmp_path: Path, status: str) -> None:
    done, written, calls = _run_script("check.sh", tmp_path, {"FAKE_EXIT": status})
    assert done.returncode == 0, done.stderr  # the upload and the comment still run
    assert written["exit-code"] == status
    assert len(calls) == 2 and "sarif-file" in written


@needs_bash
def test_check_script_without_sarif_says_so(tmp_path: Path) -> None:
    stale = tmp_path / "runner" / "workers-audit" / "workers-audit.sarif"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}", encoding="utf-8")  # from an earlier use of the action in the job
    done, written, _ = _run_script("check.sh", tmp_path, {"FAKE_EXIT": "2", "FAKE_WRITE": "0"})
    assert done.returncode == 0, done.stderr
    assert written == {"exit-code": "2"}  # no sarif-file: the upload step is skipped
    assert "::warning title=workers-audit::no SARIF written (exit status 2)" in done.stdout


def _git(cwd: Path, *args: str) -> str:
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.invalid")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _repository_with_a_commit(path: Path, files: dict[str, str] | None = None) -> str:
    path.mkdir()
    _git(path, "init", "--quiet")
    _commit(path, files or {}, "base")
    return _git(path, "rev-parse", "HEAD")


def _commit(repository: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repository / name).parent.mkdir(parents=True, exist_ok=True)
        (repository / name).write_text(text, encoding="utf-8")
    _git(repository, "add", "--all")
    _git(repository, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", message)


@needs_bash
@needs_git
def test_diff_script_defaults(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    base = _repository_with_a_commit(repository)
    done, written, calls = _run_script("diff.sh", tmp_path, {"INPUT_BASE": base, "INPUT_PATH": "."},
                                       cwd=repository)
    assert done.returncode == 0, done.stderr
    markdown = str(tmp_path / "runner" / "workers-audit" / "diff.md")
    assert calls == [["diff", "--base", base, "--format", "markdown", "--output", markdown, "--", "."]]
    assert written == {"exit-code": "0", "markdown-file": markdown}
    context = parse(calls[0])
    assert context.params["output"] == Path(markdown) and context.params["paths"] == (Path("."),)
    assert context.params["ref"] == base and context.params["output_format"] == "markdown"


@needs_bash
@needs_git
def test_diff_script_passes_every_input(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    base = _repository_with_a_commit(repository)
    env = {"INPUT_BASE": base, "INPUT_PATH": "workers/api", "MARKDOWN_FILE": "diff.md",
           "INPUT_FAIL_ON": "error", "INPUT_FAIL_ON_INCREASE": "kv-writes=100 monthly-usd=1\nkv-reads=5000\n",
           "FAKE_EXIT": "1"}
    done, written, calls = _run_script("diff.sh", tmp_path, env, cwd=repository)
    assert done.returncode == 0, done.stderr
    assert calls == [["diff", "--base", base, "--format", "markdown", "--output", "diff.md",
                      "--fail-on", "error",
                      "--fail-on-increase", "kv-writes=100", "--fail-on-increase", "monthly-usd=1",
                      "--fail-on-increase", "kv-reads=5000", "--", "workers/api"]]
    assert written == {"exit-code": "1", "markdown-file": "diff.md"}
    context = parse(calls[0])
    assert context.params["paths"] == (Path("workers/api"),) and context.params["fail_on"] == "error"
    assert len(context.params["increases"]) == 3


@needs_bash
@needs_git
def test_diff_script_without_markdown_posts_nothing(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    base = _repository_with_a_commit(repository)
    (repository / "diff.md").write_text("an earlier diff\n", encoding="utf-8")
    env = {"INPUT_BASE": base, "MARKDOWN_FILE": "diff.md", "FAKE_EXIT": "2", "FAKE_WRITE": "0"}
    done, written, _ = _run_script("diff.sh", tmp_path, env, cwd=repository)
    assert done.returncode == 0, done.stderr
    assert written == {"exit-code": "2"}  # no markdown-file: the comment step is skipped


@needs_bash
@needs_git
def test_diff_script_rejects_what_diff_does_not_know(tmp_path: Path) -> None:
    # The command lines are checked by the real parser, not only compared with a list.
    repository = tmp_path / "repository"
    base = _repository_with_a_commit(repository)
    env = {"INPUT_BASE": base, "INPUT_FAIL_ON_INCREASE": "kv-widgets=1"}
    _, _, calls = _run_script("diff.sh", tmp_path, env, cwd=repository)
    with pytest.raises(click.BadParameter, match="unknown metric"):
        parse(calls[0])


@needs_bash
@needs_git
def test_diff_script_fetches_a_missing_base(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    _repository_with_a_commit(repository)
    missing = "0" * 40
    done, _, calls = _run_script("diff.sh", tmp_path, {"INPUT_BASE": missing}, cwd=repository)
    # No `origin` to fetch from: a warning, and diff runs to say what is missing.
    assert done.returncode == 0, done.stderr
    assert f"::warning title=workers-audit::could not fetch the base {missing}" in done.stdout
    assert calls[0][:3] == ["diff", "--base", missing]


@needs_bash
@needs_git
def test_diff_script_unshallows_a_shallow_checkout(tmp_path: Path) -> None:
    # actions/checkout's default is one commit deep: no base, no merge base to compare at.
    origin = tmp_path / "origin"
    base = _repository_with_a_commit(origin, {"a.txt": "base\n"})
    _commit(origin, {"a.txt": "change\n"}, "change")
    checkout = tmp_path / "checkout"
    _git(tmp_path, "clone", "--quiet", "--depth=1", origin.as_uri(), str(checkout))
    assert _git(checkout, "rev-parse", "--is-shallow-repository") == "true"

    done, _, calls = _run_script("diff.sh", tmp_path, {"INPUT_BASE": base}, cwd=checkout)
    assert done.returncode == 0, done.stderr
    assert "::warning" not in done.stdout
    assert _git(checkout, "rev-parse", "--is-shallow-repository") == "false"
    assert _git(checkout, "merge-base", base, "HEAD") == base
    assert calls[0][:3] == ["diff", "--base", base]


@needs_bash
@pytest.mark.parametrize(("check", "diff", "status"), [
    ("0", "", 0), ("0", "0", 0), ("1", "", 1), ("1", "0", 1), ("0", "1", 1),
    ("2", "1", 2), ("1", "2", 1), ("0", "2", 2), ("", "", 2),
])
def test_gate_keeps_the_exit_status(tmp_path: Path, check: str, diff: str, status: int) -> None:
    done, _, _ = _run_script("gate.sh", tmp_path, {"CHECK_EXIT": check, "DIFF_EXIT": diff})
    assert done.returncode == status, done.stdout + done.stderr


def _command_lines(text: str) -> set[tuple[str, str]]:
    """(command, --format) of each `workers-audit COMMAND … --format F` line of a script."""
    found = set()
    for line in text.splitlines():
        if line.lstrip().startswith(("#", "echo ")):
            continue
        for command, rest in re.findall(r"\bworkers-audit (\w+)(.*)", line):
            form = re.search(r"--format (\w+)", rest)
            found.add((command, form.group(1) if form else ""))
    return found


@needs_bash
@needs_git
def test_every_command_line_of_the_scripts_was_run_above(tmp_path: Path) -> None:
    # The tests above parse what the scripts run: make sure no command line escapes them.
    in_scripts = set().union(*(_command_lines(path.read_text(encoding="utf-8"))
                               for path in SCRIPTS.glob("*.sh")))
    repository = tmp_path / "repository"
    base = _repository_with_a_commit(repository)
    _, _, check_calls = _run_script("check.sh", tmp_path, {})
    _, _, diff_calls = _run_script("diff.sh", tmp_path, {"INPUT_BASE": base}, cwd=repository)
    ran = {(call[0], call[call.index("--format") + 1]) for call in check_calls + diff_calls}
    assert in_scripts == ran == {("check", "github"), ("check", "sarif"), ("diff", "markdown")}


@needs_bash
def test_install_script_puts_only_workers_audit_on_the_path(tmp_path: Path) -> None:
    from tests.test_precommit import copy_working_tree

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("the action's checkout is copied from a git checkout of this repository")
    checkout = tmp_path / "action"
    copy_working_tree(checkout)
    github_path = tmp_path / "github_path"
    env = {"PYTHON": sys.executable, "GITHUB_ACTION_PATH": str(checkout), "GITHUB_PATH": str(github_path),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done, _, _ = _run_script("install.sh", tmp_path, env, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    (added,) = github_path.read_text(encoding="utf-8").splitlines()
    assert sorted(path.name for path in Path(added).iterdir()) == ["workers-audit"]
    installed = subprocess.run([str(Path(added) / "workers-audit"), "rules"], capture_output=True, text=True,
                               check=False)
    assert installed.returncode == 0 and "KV001" in installed.stdout, installed.stderr


# -- pr-comment.sh, with a stand-in for gh ------------------------------------------------

FAKE_GH = """\
import json, os, sys
args = sys.argv[1:]
call = {"args": args}
for arg in args:
    if arg.startswith("body=@"):
        with open(arg[len("body=@"):], encoding="utf-8") as body:
            call["body"] = body.read()
with open(os.environ["FAKE_GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps(call) + "\\n")
if os.environ.get("FAKE_GH_FAIL") == "1":
    sys.stderr.write("gh: Resource not accessible by integration (HTTP 403)\\n")
    sys.exit(1)
if "--method" in args:
    print("https://github.com/octo/shop/pull/7#issuecomment-99")
else:
    with open(os.environ["FAKE_GH_PAGES"], encoding="utf-8") as pages:
        # gh api --paginate prints each page's array, one after the other.
        sys.stdout.write("".join(json.dumps(page, indent=1) for page in json.load(pages)))
"""


Comment = tuple[subprocess.CompletedProcess[str], dict[str, str], list[dict[str, Any]]]


def _comment(tmp_path: Path, pages: list[list[dict[str, Any]]], markdown: str, fail: bool = False) -> Comment:
    """Run pr-comment.sh with a `gh` whose comment list is `pages`; return the process, its
    outputs and the calls `gh` got (with the body it was sent)."""
    _stand_in(tmp_path / "bin", "gh", FAKE_GH)
    (tmp_path / "pages.json").write_text(json.dumps(pages), encoding="utf-8")
    (tmp_path / "diff.md").write_text(markdown, encoding="utf-8")
    log = tmp_path / "gh.jsonl"
    log.write_text("", encoding="utf-8")
    env = {"GITHUB_REPOSITORY": "octo/shop", "PR_NUMBER": "7", "GH_TOKEN": "token", "PYTHON": sys.executable,
           "FAKE_GH_LOG": str(log), "FAKE_GH_PAGES": str(tmp_path / "pages.json"),
           "FAKE_GH_FAIL": "1" if fail else "0"}
    done, written, _ = _run_script("pr-comment.sh", tmp_path, env, str(tmp_path / "diff.md"))
    return done, written, [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


LIST = ["api", "--paginate", "repos/octo/shop/issues/7/comments?per_page=100"]
DIFF_MARKDOWN = f"{MARKER}\n## workers-audit\n\nNo new findings; KV writes a day: 20 → 20.\n"


@needs_bash
def test_comment_is_created_when_none_has_the_marker(tmp_path: Path) -> None:
    pages = [[{"id": 11, "body": "Looks good to me"},
              {"id": 12, "body": f"the bot's comment starts with `{MARKER}`"}]]
    done, written, calls = _comment(tmp_path, pages, DIFF_MARKDOWN)
    assert done.returncode == 0, done.stderr
    assert len(calls) == 2 and calls[0]["args"] == LIST
    post = calls[1]["args"]
    assert post[:5] == ["api", "--method", "POST", "repos/octo/shop/issues/7/comments", "-F"]
    assert post[5].startswith("body=@") and post[6:] == ["--jq", ".html_url"]
    assert calls[1]["body"] == DIFF_MARKDOWN
    assert written == {"comment": "created"}


@needs_bash
def test_comment_with_the_marker_is_updated(tmp_path: Path) -> None:
    pages: list[list[dict[str, Any]]] = [
        [{"id": 11, "body": "Looks good to me"}],
        [{"id": 21, "body": None}, {"id": 22, "body": f"{MARKER}\n## workers-audit\n\nan older run\n"},
         {"id": 23, "body": f"\n{MARKER}\na second marked comment\n"}]]
    done, written, calls = _comment(tmp_path, pages, DIFF_MARKDOWN)
    assert done.returncode == 0, done.stderr
    assert len(calls) == 2 and calls[0]["args"] == LIST
    assert calls[1]["args"][:4] == ["api", "--method", "PATCH", "repos/octo/shop/issues/comments/22"]
    assert calls[1]["body"] == DIFF_MARKDOWN
    assert written == {"comment": "updated"}


@needs_bash
def test_comment_body_gets_the_marker(tmp_path: Path) -> None:
    done, _, calls = _comment(tmp_path, [[]], "## workers-audit\n\nno marker line\n")
    assert done.returncode == 0, done.stderr
    assert calls[1]["body"] == f"{MARKER}\n## workers-audit\n\nno marker line\n"


@needs_bash
def test_comment_fails_when_gh_does(tmp_path: Path) -> None:
    done, written, calls = _comment(tmp_path, [[]], DIFF_MARKDOWN, fail=True)
    assert done.returncode != 0
    assert [call["args"] for call in calls] == [LIST]  # nothing posted after a failed listing
    assert written == {}


# -- the whole action, with the real workers-audit --------------------------------------

@needs_bash
@needs_git
def test_scripts_in_sequence_on_a_real_worker(tmp_path: Path) -> None:
    from tests.test_precommit import FIXED_TS, INDEX_TS, KV001_LINE, SETTINGS_TOML, WRANGLER_TOML

    installed = Path(sys.executable).parent
    if not (installed / "workers-audit").is_file():
        pytest.skip(f"workers-audit is not installed beside {sys.executable} (pip install -e .)")
    # The pull request's checkout: the base without findings, then a commit that adds a KV001.
    repository = tmp_path / "repository"
    base = _repository_with_a_commit(repository, {"worker/wrangler.toml": WRANGLER_TOML,
                                                  "worker/workers-audit.toml": SETTINGS_TOML,
                                                  "worker/src/index.ts": FIXED_TS})
    _commit(repository, {"worker/src/index.ts": INDEX_TS}, "cache pages")

    check, checked, _ = _run_script("check.sh", tmp_path, {"INPUT_PATH": "."}, cwd=repository, real=installed)
    assert check.returncode == 0, check.stderr
    assert checked["exit-code"] == "1"
    # A warning annotation on the put (`file=…,line=…` as GitHub reads it).
    (annotation,) = [line for line in check.stdout.splitlines() if line.startswith("::warning file=")]
    line = KV001_LINE.split(":")[1]
    assert annotation.startswith(f"::warning file=worker/src/index.ts,line={line},") and "KV001" in annotation
    sarif = json.loads(Path(checked["sarif-file"]).read_text(encoding="utf-8"))
    assert [result["ruleId"] for result in sarif["runs"][0]["results"]] == ["KV001"]

    env = {"INPUT_BASE": base, "INPUT_PATH": ".", "INPUT_FAIL_ON_INCREASE": "kv-writes=0"}
    diff, diffed, _ = _run_script("diff.sh", tmp_path, env, cwd=repository, real=installed)
    assert diff.returncode == 0, diff.stderr
    assert diffed["exit-code"] == "1"  # a new warning
    markdown = Path(diffed["markdown-file"]).read_text(encoding="utf-8")
    assert markdown.startswith(MARKER + "\n") and "KV001" in markdown

    pages = [[{"id": 5, "body": "Please add a TTL"}, {"id": 6, "body": f"{MARKER}\nthe previous push\n"}]]
    done, commented, calls = _comment(tmp_path, pages, markdown)
    assert done.returncode == 0, done.stderr
    assert calls[1]["args"][:4] == ["api", "--method", "PATCH", "repos/octo/shop/issues/comments/6"]
    assert calls[1]["body"] == markdown and commented == {"comment": "updated"}

    gate, _, _ = _run_script("gate.sh", tmp_path, {"CHECK_EXIT": checked["exit-code"],
                                                   "DIFF_EXIT": diffed["exit-code"]})
    assert gate.returncode == 1


# -- the CI documentation -------------------------------------------------------------------

def _yaml_blocks() -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```$", README.read_text(encoding="utf-8"), re.M | re.S)


@pytest.mark.parametrize("example", [WORKFLOW, GITLAB], ids=lambda path: path.name)
def test_readme_shows_the_example_files(example: Path) -> None:
    text = example.read_text(encoding="utf-8")
    assert isinstance(yaml.safe_load(text), dict)
    assert text in _yaml_blocks(), f"README.md has no ```yaml block equal to {example.relative_to(ROOT)}"


def test_workflow_uses_the_action_as_declared() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in on
    assert workflow["permissions"] == {"contents": "read", "security-events": "write",
                                       "pull-requests": "write"}
    (job,) = workflow["jobs"].values()
    checkout, audit = job["steps"]
    assert checkout["uses"] == "actions/checkout@v4" and checkout["with"]["fetch-depth"] == 0
    assert re.fullmatch(r"[\w-]+/workers-audit@\S+", audit["uses"])
    inputs = _action()["inputs"]
    assert set(audit["with"]) <= set(inputs)
    # The inputs shown commented out are real inputs too.
    commented = set(re.findall(r"^\s+# ([\w-]+): ", WORKFLOW.read_text(encoding="utf-8"), re.M))
    assert commented and commented <= set(inputs)
    assert audit["with"]["fail-on"] in {"error", "warning", "info", "never"}


def test_readme_lists_every_input() -> None:
    section = README.read_text(encoding="utf-8").split("## GitHub Actions", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([\w-]+)` \|", section, re.M)
    assert listed == list(_action()["inputs"])
    outputs = set(re.findall(r"`([\w-]+)`", section.split("Outputs:", 1)[1].split(".", 1)[0]))
    assert set(_action()["outputs"]) <= outputs


def _gitlab_job() -> dict[str, Any]:
    (job,) = yaml.safe_load(GITLAB.read_text(encoding="utf-8")).values()
    assert isinstance(job, dict)
    return job


def test_gitlab_job_runs_on_merge_requests_with_full_history() -> None:
    job = _gitlab_job()
    assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert str(job["variables"]["GIT_DEPTH"]) == "0"
    assert job["artifacts"]["when"] == "always"
    outputs = [line.split("--output ", 1)[1].split()[0] for line in job["script"] if "--output " in line]
    assert sorted(outputs) == sorted(job["artifacts"]["paths"])
    # The gate: a plain `check` whose exit status ends the job.
    assert "workers-audit check ." in job["script"]


def _gitlab_command_lines() -> list[list[str]]:
    lines = []
    for line in _gitlab_job()["script"]:
        words = shlex.split(line)
        if words[0] == "workers-audit":
            lines.append(words[1:words.index("||")] if "||" in words else words[1:])
    return lines


@pytest.mark.parametrize("argv", _gitlab_command_lines(), ids=" ".join)
def test_gitlab_command_lines_parse(argv: list[str]) -> None:
    context = parse(argv)
    if argv[0] == "diff":
        assert argv[argv.index("--base") + 1] == "$CI_MERGE_REQUEST_DIFF_BASE_SHA"
    assert context.params
