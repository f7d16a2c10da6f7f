"""The command line as a user meets it: output forms, options, exit codes and bad input."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import main

REPO = Path(__file__).parent.parent
EXAMPLE = REPO / "examples" / "quote-cache"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "result.schema.json").read_text())

CLEAN_TOML = """\
name = "clean"
main = "src/index.ts"
compatibility_date = "2026-09-01"
kv_namespaces = [{ binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" }]

[env.production]
kv_namespaces = [{ binding = "CACHE", id = "7d1e5c0a3b2f4e6d8c9a0b1c2d3e4f5a" }]
"""

SHARED_ID_TOML = """\
name = "shared"
kv_namespaces = [
  { binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" },
  { binding = "BACKUP", id = "0f2ac74b498b48028cb68387c421e279" },
  { binding = "OTHER", id = "your-kv-id" },
]
"""


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    with _chdir(cwd or Path.cwd()):
        outcome = runner.invoke(main, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.stdout, outcome.stderr


class _chdir:
    def __init__(self, path: Path) -> None:
        self.path, self.old = path, Path.cwd()

    def __enter__(self) -> Path:
        import os

        os.chdir(self.path)
        return self.path

    def __exit__(self, *_: object) -> None:
        import os

        os.chdir(self.old)


def worker(tmp_path: Path, text: str, name: str = "wrangler.toml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_example_reports_config_defects_in_compiler_form() -> None:
    code, out, _ = run("check", "examples/quote-cache", cwd=REPO)
    assert code == 1
    assert "examples/quote-cache/wrangler.toml:11:32: CF002 KV bindings `QUOTES` and " in out
    assert "examples/quote-cache/wrangler.toml:26:1: CF005 `kv_namespaces` is set" in out
    assert out.rstrip().splitlines()[-1].startswith("Found ")


def test_clean_worker_is_quiet_and_exits_zero(tmp_path: Path) -> None:
    code, out, err = run("check", str(worker(tmp_path, CLEAN_TOML)))
    assert (code, out, err) == (0, "", "")


def test_fail_on_sets_the_gate(tmp_path: Path) -> None:
    root = str(worker(tmp_path, SHARED_ID_TOML))
    assert run("check", root, "--fail-on", "error")[0] == 1  # CF002 is an error
    assert run("check", root, "--fail-on", "error", "--ignore", "CF002")[0] == 0  # CF006 warns
    assert run("check", root, "--fail-on", "never")[0] == 0
    assert run("check", root, "--fail-on", "info", "--ignore", "CF002,CF006")[0] == 0


def test_select_and_ignore_take_codes_and_prefixes(tmp_path: Path) -> None:
    root = str(worker(tmp_path, SHARED_ID_TOML))
    _, out, _ = run("check", root, "--select", "CF006")
    assert "CF006" in out and "CF002" not in out
    _, out, _ = run("check", root, "--select", "CF", "--ignore", "CF006")
    assert "CF002" in out and "CF006" not in out


def test_unknown_selector_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run("check", str(worker(tmp_path, CLEAN_TOML)), "--select", "KV9")
    assert code == 2
    assert "unknown rule code or prefix `KV9`" in err


def test_json_output_follows_the_contract(tmp_path: Path) -> None:
    import jsonschema

    code, out, _ = run("check", "--format", "json", str(worker(tmp_path, SHARED_ID_TOML)))
    assert code == 1
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    shared = next(f for f in document["findings"] if f["rule"] == "CF002")
    assert shared["line"] == 4 and shared["binding"] == "BACKUP"
    assert shared["related"][0]["line"] == 3
    assert document["workers"][0]["environments"] == [""]


def test_json_errors_say_where_as_the_text_does(tmp_path: Path) -> None:
    import jsonschema

    root = worker(tmp_path, 'name = "w"\nmain = "src/index.ts"\n')
    (root / "src").mkdir()
    (root / "src" / "index.ts").write_text(
        "export default {\n  async fetch() {\n    const x = ;\n  },\n};\n", encoding="utf-8")
    _, out, _ = run("check", "--format", "json", str(root))
    document = json.loads(out)
    jsonschema.validate(document, SCHEMA)
    (error,) = document["errors"]
    _, text, _ = run("check", str(root))
    assert f"{error['path']}:{error['line']}:{error['column']}: error {error['message']}" in text
    assert (error["line"], error["column"]) == (3, 13)  # the `=` tree-sitter cannot place


def test_json_paths_are_relative_to_the_working_directory() -> None:
    _, out, _ = run("check", "--format", "json", "examples/quote-cache", cwd=REPO)
    document = json.loads(out)
    assert document["workers"][0]["root"] == "examples/quote-cache"
    assert {f["path"] for f in document["findings"]} == {"examples/quote-cache/wrangler.toml",
                                                           "examples/quote-cache/src/index.ts"}


def test_fingerprints_survive_unrelated_edits_above(tmp_path: Path) -> None:
    root = worker(tmp_path, SHARED_ID_TOML)
    before = json.loads(run("check", "--format", "json", str(root))[1])["findings"]
    worker(tmp_path, "# a comment\n\n" + SHARED_ID_TOML)
    after = json.loads(run("check", "--format", "json", str(root))[1])["findings"]
    assert [f["line"] + 2 for f in before] == [f["line"] for f in after]
    assert [f["fingerprint"] for f in before] == [f["fingerprint"] for f in after]


def test_env_option_audits_one_environment(tmp_path: Path) -> None:
    text = SHARED_ID_TOML + '\n[env.production]\nname = "p"\n'
    root = str(worker(tmp_path, text))
    _, out, _ = run("check", root, "--env", "production", "--select", "CF")
    assert "CF005" in out and "CF002" not in out
    code, _, err = run("check", root, "--env", "staging")
    assert code == 2 and "no environment `staging`" in err


def test_output_file_is_the_only_thing_written(tmp_path: Path) -> None:
    root = worker(tmp_path / "w", SHARED_ID_TOML) if (tmp_path / "w").mkdir() is None else None
    assert root is not None
    before = tree_digest(tmp_path)
    target = tmp_path / "report.json"
    assert run("check", str(root), "--format", "json", "--output", str(target))[0] == 1
    after = tree_digest(tmp_path)
    assert set(after) - set(before) == {"report.json"}
    assert all(after[name] == digest for name, digest in before.items())
    json.loads(target.read_text())


def test_colour_only_when_asked(tmp_path: Path) -> None:
    root = str(worker(tmp_path, SHARED_ID_TOML))
    assert "\x1b[" in run("check", root, "--color", "always")[1]
    assert "\x1b[" not in run("check", root)[1]


def test_tool_configuration_in_pyproject_applies(tmp_path: Path) -> None:
    root = worker(tmp_path, SHARED_ID_TOML)
    (root / "pyproject.toml").write_text('[tool.workers-audit]\nignore = ["CF002"]\n')
    _, out, _ = run("check", str(root))
    assert "CF006" in out and "CF002" not in out
    _, out, _ = run("check", str(root), "--ignore", "CF006")  # the command line adds to it
    assert "CF006" not in out


def test_settings_severity_override(tmp_path: Path) -> None:
    root = worker(tmp_path, SHARED_ID_TOML)
    (root / "workers-audit.toml").write_text('[severity]\nCF002 = "info"\nCF006 = "info"\n')
    code, out, _ = run("check", str(root))
    assert code == 0 and "CF002" in out


@pytest.mark.parametrize(("settings", "message"), [
    ('plan = "enterprise"\n', "workers-audit.toml:1: `plan` must be one of free, paid"),
    ('\n[usage]\nrequests-per-day = -5\n', "workers-audit.toml:3: `usage.requests-per-day` must"),
    ('[usage]\nrequests-per-day = "many"\n', "workers-audit.toml:2: `usage.requests-per-day`"),
    ('colour = "red"\n', "workers-audit.toml:1: unknown setting `colour`"),
    ('ignore = ["XX1"]\n', "workers-audit.toml:1: ignore: unknown rule code or prefix `XX1`"),
    ('plan = \n', "workers-audit.toml:1: invalid TOML"),
])
def test_bad_settings_exit_2_with_file_and_line(tmp_path: Path, settings: str, message: str) -> None:
    root = worker(tmp_path, CLEAN_TOML)
    (root / "workers-audit.toml").write_text(settings)
    code, _, err = run("check", str(root))
    assert code == 2
    assert message in err.replace(str(root) + "/", "")


@pytest.mark.parametrize(("name", "text", "where"), [
    ("wrangler.toml", 'name = "x"\nkv_namespaces = [\n  { binding = "A" \n', "wrangler.toml:3"),
    ("wrangler.jsonc", '{\n  "name": "x",\n  "main": ,\n}\n', "wrangler.jsonc:3"),
    ("wrangler.json", "[1, 2]\n", "wrangler.json:1"),
    ("wrangler.toml", "", None),
])
def test_unparseable_config_is_cf007_and_exit_2(tmp_path: Path, name: str, text: str,
                                                 where: str | None) -> None:
    root = worker(tmp_path, text, name)
    code, out, err = run("check", str(root))
    if where is None:  # an empty TOML file is a valid, empty configuration
        assert code == 0
        return
    assert code == 2
    assert f"{where}:" in out.replace(str(root) + "/", "") and " CF007 " in out
    assert "Traceback" not in out + err


def test_invalid_utf8_is_reported_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "wrangler.toml").write_bytes(b'name = "x"\nmain = "\xff\xfe"\n')
    code, out, _ = run("check", str(tmp_path))
    assert code == 2
    assert "wrangler.toml:2:1: CF007 the file is not valid UTF-8" in out.replace(
        str(tmp_path) + "/", "")


def test_wrong_shape_is_cf007_but_the_rest_is_audited(tmp_path: Path) -> None:
    text = SHARED_ID_TOML + '\n[triggers]\ncrons = "0 * * * *"\n'
    code, out, _ = run("check", str(worker(tmp_path, text)))
    assert code == 1
    assert "CF007 `triggers.crons` must be an array of strings, found a string" in out
    assert "CF002" in out


def test_unreadable_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = worker(tmp_path, CLEAN_TOML)
    original = Path.read_bytes

    def refuse(self: Path) -> bytes:
        if self.name == "wrangler.toml":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code, out, _ = run("check", str(root))
    assert code == 2
    assert "CF007 cannot read the file: Permission denied" in out


def test_config_option_names_a_file_or_a_directory(tmp_path: Path) -> None:
    root = worker(tmp_path, SHARED_ID_TOML, "wrangler.staging.toml")
    assert run("check", "--config", str(root / "wrangler.staging.toml"))[0] == 1
    code, _, err = run("check", "--config", str(root))
    assert code == 2 and "is a directory with no wrangler.json" in err
    code, _, err = run("check", "--config", str(root / "missing.toml"))
    assert code == 2 and "no such file" in err


def test_no_worker_found_and_missing_path(tmp_path: Path) -> None:
    code, _, err = run("check", str(tmp_path))
    assert code == 2 and "no wrangler.json, wrangler.jsonc or wrangler.toml found" in err
    code, _, err = run("check", str(tmp_path / "nope"))
    assert code == 2 and "no such file or directory" in err


def test_monorepo_roots_are_each_audited_and_gitignore_honoured(tmp_path: Path) -> None:
    worker(tmp_path / "a", SHARED_ID_TOML) if (tmp_path / "a").mkdir() is None else None
    (tmp_path / "b").mkdir()
    worker(tmp_path / "b", CLEAN_TOML, "wrangler.jsonc".replace("jsonc", "toml"))
    (tmp_path / "node_modules" / "pkg").mkdir(parents=True)
    worker(tmp_path / "node_modules" / "pkg", SHARED_ID_TOML)
    (tmp_path / "generated").mkdir()
    worker(tmp_path / "generated", SHARED_ID_TOML)
    (tmp_path / ".gitignore").write_text("generated/\n")
    _, out, _ = run("check", "--format", "json", str(tmp_path))
    roots = [w["root"] for w in json.loads(out)["workers"]]
    assert [Path(r).name for r in roots] == ["a", "b"]


def test_a_file_path_names_its_worker(tmp_path: Path) -> None:
    root = worker(tmp_path, SHARED_ID_TOML)
    (root / "src").mkdir()
    (root / "src" / "index.ts").write_text("export default {};\n")
    assert run("check", str(root / "src" / "index.ts"))[0] == 1


def test_wrangler_precedence_json_before_jsonc_before_toml(tmp_path: Path) -> None:
    worker(tmp_path, SHARED_ID_TOML)
    worker(tmp_path, '{"name": "from-json"}', "wrangler.json")
    _, out, _ = run("check", "--format", "json", str(tmp_path))
    assert json.loads(out)["workers"][0]["config"].endswith("wrangler.json")


def test_rules_and_rule_commands() -> None:
    from auditor.rules import RULES

    code, out, _ = run("rules")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == [r.code for r in RULES]
    code, out, _ = run("rule", "cf002")
    assert code == 0 and out.startswith("# CF002 shared-kv-namespace (error)")
    assert "## Why is this bad?" in out
    assert run("rule", "XX999")[0] == 2


def test_no_traceback_from_the_installed_command(tmp_path: Path) -> None:
    worker(tmp_path, "name = [\n")
    process = subprocess.run([sys.executable, "-m", "auditor", "check", str(tmp_path)],
                             capture_output=True, text=True, timeout=60)
    assert process.returncode == 2
    assert "Traceback" not in process.stdout + process.stderr
    assert "CF007 invalid TOML" in process.stdout


@pytest.mark.parametrize("command", ["estimate", "report"])
def test_an_estimator_bug_is_a_message_not_a_traceback(command: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import auditor.estimate

    def broken(*_: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(auditor.estimate, "estimate_for", broken)
    # On the paid plan without a budget no cost rule asks first (their crash is RuleCrashed).
    result = CliRunner().invoke(main, [command, str(EXAMPLE), "--plan", "paid"])
    assert result.exit_code == 2
    assert "the estimate failed while auditing" in result.output
    assert "ZeroDivisionError: division by zero. This is a bug in workers-audit" in result.output
    assert "Traceback" not in result.output
