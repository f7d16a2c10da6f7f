"""Write the README's rule table from the registry (`--check` only compares).

The registry is the single source: a rule added there without running this script fails
tests/test_meta.py, which calls `expected_readme`.
"""

from __future__ import annotations

import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def table() -> str:
    from auditor.rules import RULES

    rows = ["| code | name | severity | what it flags |", "|---|---|---|---|"]
    rows += [f"| {r.code} | `{r.name}` | {r.severity.label} | {r.summary} |" for r in RULES]
    return "\n".join(rows)


def expected_readme(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main() -> int:
    text = README.read_text(encoding="utf-8")
    wanted = expected_readme(text)
    if "--check" in sys.argv:
        if wanted != text:
            print("README.md rule table is out of date: run python scripts/rule_table.py")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
