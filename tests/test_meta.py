"""The registry, the rule docs, the fixtures and the README stay in step."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from auditor.rules import RULES
from tests.expectations import marks_under

REPO = Path(__file__).parent.parent
RULE_MODULES = sorted(p.stem for p in (REPO / "rules").glob("*.py") if p.stem != "__init__")
REQUIRED_SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "Use instead",
                     "## References"]
OPTIONAL_SECTIONS = ["## Cost model", "## Options", "## Known problems"]


def test_codes_are_unique_and_sorted() -> None:
    codes = [rule.code for rule in RULES]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"(CF|DO|KV|CR|CO|WA)\d{3}", code) for code in codes)


def test_every_rule_module_is_registered_once() -> None:
    registered = [rule.check.__module__.rsplit(".", 1)[-1] for rule in RULES]
    assert sorted(registered) == RULE_MODULES


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_rule_name_and_docs(rule: object) -> None:
    from auditor.findings import Rule

    assert isinstance(rule, Rule)
    module = rule.check.__module__.rsplit(".", 1)[-1]
    assert rule.name == module.replace("_", "-")
    doc = rule.doc or ""
    title = doc.splitlines()[0]
    assert title and not title.startswith("#"), "the docstring opens with a one-line title"
    positions = [doc.find(section) for section in REQUIRED_SECTIONS]
    assert -1 not in positions, f"missing sections: {REQUIRED_SECTIONS}"
    assert positions == sorted(positions), "sections out of order"
    for section in OPTIONAL_SECTIONS:
        if section in doc:
            assert positions[3] < doc.find(section) < positions[4]
    assert rule.summary and not rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_rule_has_flagged_and_look_alike_fixtures(rule: object) -> None:
    module = rule.check.__module__.rsplit(".", 1)[-1]  # type: ignore[attr-defined]
    folder = REPO / "tests" / "fixtures" / module
    marks = marks_under(folder) if folder.is_dir() else []
    kinds = {m.kind for m in marks if m.code == rule.code}  # type: ignore[attr-defined]
    assert "expect" in kinds, f"no `expect: {rule.code}` under {folder}"  # type: ignore[attr-defined]
    assert "ok" in kinds, f"no `ok: {rule.code}` under {folder}"  # type: ignore[attr-defined]


def test_readme_rule_table_is_generated_from_the_registry() -> None:
    spec = importlib.util.spec_from_file_location("rule_table", REPO / "scripts" / "rule_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert module.expected_readme(text) == text, "run python scripts/rule_table.py"


def test_importing_the_cli_does_no_work() -> None:
    """The pre-commit hook pays for every import: the parsers load only when used."""
    import subprocess
    import sys

    code = ("import sys, auditor.cli; heavy = [m for m in ('tree_sitter', 'tomlkit', 'libcst', "
            "'jinja2', 'auditor.rules', 'auditor.config.load') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
