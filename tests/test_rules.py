"""Every fixture case, run with only its rule (the WA rules with every rule), must report
exactly what its comments expect."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.engine import audit
from auditor.rules import RULES
from tests.expectations import Mark, marks_under

FIXTURES = Path(__file__).parent / "fixtures"
CODE_OF = {rule.check.__module__.rsplit(".", 1)[-1]: rule.code for rule in RULES}


def cases() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*") if p.is_dir() and p.parent.name in CODE_OF)


@pytest.mark.parametrize("case", cases(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(case: Path) -> None:
    code = CODE_OF[case.parent.name]
    # A suppression's own findings (WA) need the rules it names to run as well.
    select = ("ALL",) if code.startswith("WA") else (code,)
    result = audit([case], {"select": select, "fail_on": "never"}, base=case)
    findings = [f for f in result.findings if f.rule == code]
    actual = {(f.location.path, f.location.line, f.rule) for f in findings}
    messages = {(f.location.path, f.location.line, f.rule): f.message for f in findings}
    marks = [m for m in marks_under(case) if m.code == code]
    expected = {(m.path, m.line, m.code) for m in marks if m.kind == "expect"}
    whole_files = {(m.path, m.code) for m in marks if m.kind == "expect-file"}
    tolerated = {(m.path, m.line, m.code) for m in marks if m.kind == "todo-ok"}
    in_files = {(path, rule) for path, _, rule in actual if (path, rule) in whole_files}
    problems = []
    for missing in sorted(expected - actual):
        problems.append(f"missing   {missing[0]}:{missing[1]} {missing[2]}")
    for extra in sorted(actual - expected):
        if (extra[0], extra[2]) not in whole_files and extra not in tolerated:
            problems.append(f"unexpected {extra[0]}:{extra[1]} {extra[2]} {messages[extra]}")
    for path, rule in sorted(whole_files - in_files):
        problems.append(f"missing   {path} {rule} (expect-file)")
    problems.extend(_strict_todos(marks, actual))
    problems.extend(_message_checks(marks, messages))
    assert not problems, "\n" + "\n".join(problems)


def _strict_todos(marks: list[Mark], actual: set[tuple[str, int, str]]) -> list[str]:
    out = []
    for mark in marks:
        key = (mark.path, mark.line, mark.code)
        if mark.kind == "todo-expect" and key in actual:
            out.append(f"todo-expect now passes at {mark.path}:{mark.line}: promote it to expect")
        if mark.kind == "todo-ok" and key not in actual:
            out.append(f"todo-ok now passes at {mark.path}:{mark.line}: promote it to ok")
        if mark.kind == "ok" and key in actual:
            out.append(f"ok violated  {mark.path}:{mark.line} {mark.code}")
    return out


def _message_checks(marks: list[Mark], messages: dict[tuple[str, int, str], str]) -> list[str]:
    out = []
    for mark in marks:
        key = (mark.path, mark.line, mark.code)
        if (mark.kind == "expect" and mark.text and key in messages
                and mark.text not in messages[key]):
            out.append(f"message at {mark.path}:{mark.line} lacks {mark.text!r}: "
                       f"{messages[key]!r}")
    return out
