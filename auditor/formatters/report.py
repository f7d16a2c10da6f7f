"""The Markdown audit report (`workers-audit report`): findings with excerpts, recommendations
and savings, then the estimate, rendered through a jinja2 template.

Reports are reproducible: nothing in them depends on the clock, only on the audited files,
the tool's version and the dated price list.

`--template FILE` renders a template of your own with the same context; it may `{% include %}`
or `{% from "estimate.md.j2" import estimate_section with context %}` the built-in ones.
An undefined name is an error (StrictUndefined), reported with the template's file and line.

Template context:

- `title` (str): "workers-audit report: <Worker names>".
- `verdict` (str): "Fails: 1 error, 2 warnings; on the free plan KV writes run out every day by
  16:35 UTC".
- `tool`: `{name, version}`; `pricing_as_of` (str or None): the date of the price list.
- `counts`: `{"error": n, "warning": n, "info": n}`; `failing` (int): findings at or above the
  fail level; `unreadable` (bool): a configuration could not be read.
- `workers`: `[{root, config, name, environments}]` as in the JSON output.
- `findings`: every finding as in the JSON output (`rule`, `name`, `severity`, `path`, `line`,
  `column`, `end_line`, `end_column`, `message`, `binding`, `environment`, `fingerprint`,
  `related`, `fix`) plus `excerpt` (None, or `{language, first_line, last_line, code, fence}`),
  `savings` (`{category: {min, max}}`, daily operations the recommendation would save) and
  `savings_text` ("saves 1,440 KV lists and up to 14,400 deletes a day", or "").
- `groups`: `[{severity, heading, rules}]` for the severities that have findings, errors
  first; each rule `{code, name, summary, recommendation, findings}`, by code.
- `estimates`: one per Worker, the JSON `estimate` object (see `--format json`) plus `name`,
  `title`, `assumptions[].note`/`.default`, `totals` (`[{category, label, daily, busiest_day,
  differs}]`), `costs` (`[{plan, current, base_usd, monthly_usd, lines: [{category, label,
  monthly, included, usd_per_million, usd}]}]`), `limits[].label`/`.sentence`,
  `routes[].usd_per_million`, `route_categories`, `runs_out` (str) and `charts`
  (`[{title, caption, mermaid}]`).
- `errors`: `[{path, line, column, message}]`, the files the audit could not read.

Filters: `num` (1,440), `rng` ({min, max} as "0-2" with an en dash), `usd` ("$5.00" or a range), `price`
(a price per million: "$0.50", "$0.001"), `cell`
(escapes `|` for a table cell), `label` ("kv.writes" as "KV writes"); for text that must not be
read as Markdown: `message` (a message: its `code` spans stay code, the rest is literal), `text`
(all literal), `code` (a code span; `message` and `code` take `cell=True` in a table cell) and
`html` (inside an HTML block such as `<summary>`); see `auditor/formatters/markdown_format.py`.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor import __version__
from auditor.findings import Finding, Result, Severity
from auditor.formatters.estimate_format import (
    LABELS,
    amounts,
    fmt,
    fmt_range,
    fmt_usd,
    number,
    price,
    runs_out_phrase,
    view,
    worker_name,
)
from auditor.paths import innermost

if TYPE_CHECKING:
    import jinja2

    from auditor.estimate.model import Estimate

LANGUAGES = {".ts": "ts", ".mts": "ts", ".cts": "ts", ".tsx": "tsx", ".js": "js", ".mjs": "js",
             ".cjs": "js", ".jsx": "jsx", ".py": "python", ".toml": "toml", ".json": "json",
             ".jsonc": "jsonc"}
CONTEXT_LINES = 2
MAX_EXCERPT = 15  # lines: a finding that spans a whole function shows its start
HEADINGS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}


class TemplateProblem(Exception):
    """A template that does not parse or render: `file:line: message` for the CLI (exit 2)."""



def excerpt(path: str, line: int, end_line: int | None = None) -> dict[str, Any] | None:
    """The lines around a finding, read relative to the working directory as finding paths
    are; None when the file cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return None
    first = max(1, line - CONTEXT_LINES)
    last = min(len(lines), max(line, end_line or line) + CONTEXT_LINES, first + MAX_EXCERPT - 1)
    while first < line and not lines[first - 1].strip():
        first += 1
    while last > line and not lines[last - 1].strip():
        last -= 1
    code = textwrap.dedent("\n".join(lines[first - 1:last])).rstrip()
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    return {"language": LANGUAGES.get(Path(path).suffix.lower(), ""), "first_line": first,
            "last_line": last, "code": code, "fence": "`" * max(3, longest + 1)}


def recommendation(doc: str | None, summary: str) -> str:
    """From a rule's docs: the "Use instead" paragraph with its example and what follows it up
    to a blank line; failing that, the first paragraph of "Why is this bad?"; or the summary."""
    lines = (doc or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Use instead")), None)
    if start is None:
        why = (doc or "").split("## Why is this bad?", 1)
        return why[1].strip().split("\n\n", 1)[0].strip() if len(why) == 2 else summary
    taken: list[str] = []
    fenced = False
    index = start
    while index < len(lines) and not lines[index].startswith("## "):
        line = lines[index]
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and not line.strip():
            after = next((i for i in range(index, len(lines)) if lines[i].strip()), len(lines))
            # "Use instead:", a blank line, then the example: the example still belongs to it.
            example = after < len(lines) and lines[after].startswith("```")
            if not (example and taken[-1].rstrip().endswith(":")):
                break
            taken.append("")
            index = after
            continue
        taken.append(line)
        index += 1
    return "\n".join(taken).strip()


def _finding(finding: Finding, estimates: list[Estimate]) -> dict[str, Any]:
    from auditor.estimate.savings import savings
    from auditor.formatters.json_format import finding_dict as finding_json

    data = finding_json(finding)
    data["excerpt"] = excerpt(finding.location.path, finding.location.line, finding.location.end_line)
    estimate = innermost(finding.location.path, estimates)
    saved = savings(estimate, finding) if estimate is not None else {}
    data["savings"] = {c: {"min": number(r.min), "max": number(r.max)} for c, r in saved.items()}
    text = amounts(saved)
    data["savings_text"] = f"saves {text}" if text else ""
    return data


def _groups(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from auditor.rules import BY_CODE

    groups = []
    for severity in sorted(Severity, reverse=True):
        mine = [f for f in findings if f["severity"] == severity.label]
        if not mine:
            continue
        rules = []
        for code in sorted({f["rule"] for f in mine}):
            rule = BY_CODE.get(code)
            summary = rule.summary if rule else ""
            rules.append({"code": code, "name": rule.name if rule else mine[0]["name"], "summary": summary,
                          "recommendation": recommendation(rule.doc if rule else None, summary),
                          "findings": [f for f in mine if f["rule"] == code]})
        groups.append({"severity": severity.label, "heading": HEADINGS[severity], "rules": rules})
    return groups


def _verdict(result: Result) -> str:
    counts = {level: sum(f.severity is level for f in result.findings) for level in Severity}
    parts = [f"{n} {level.label}{'s' if n != 1 and level is not Severity.INFO else ''}"
             for level, n in sorted(counts.items(), reverse=True) if n]
    failed = result.failing > 0 or result.unreadable
    text = f"{'Fails' if failed else 'Passes'}: {', '.join(parts) or 'no findings'}"
    several = len(result.estimates) > 1
    for estimate in result.estimates:
        parts = []
        phrase = runs_out_phrase(estimate)
        if phrase:
            parts.append(f"on the free plan {phrase}")
        if estimate.plan != "free":
            parts.append(f"about {fmt_usd(estimate.monthly_usd)} a month on the {estimate.plan} plan")
        if parts:
            whose = f"`{worker_name(result, estimate)}`: " if several else ""
            text += f"; {whose}{', '.join(parts)}"
    if result.unreadable:
        text += "; a configuration could not be read"
    return text


def context(result: Result) -> dict[str, Any]:
    """What the templates see; the module docstring lists it."""
    estimates = list(result.estimates)
    findings = [_finding(f, estimates) for f in result.findings]
    names = [w.name or w.root for w in result.workers] or ["no Worker found"]
    return {
        "title": f"workers-audit report: {', '.join(names)}",
        "verdict": _verdict(result),
        "tool": {"name": "workers-audit", "version": __version__},
        "pricing_as_of": estimates[0].pricing_as_of if estimates else None,
        "counts": {level.label: sum(f.severity is level for f in result.findings) for level in Severity},
        "failing": result.failing,
        "unreadable": result.unreadable,
        "workers": [{"root": w.root, "config": w.config, "name": w.name, "environments": list(w.environments)}
                    for w in result.workers],
        "findings": findings,
        "groups": _groups(findings),
        "estimates": [view(e, result) for e in estimates],
        "errors": [{"path": e.path, "line": e.line, "column": e.column, "message": e.message}
                   for e in result.errors],
    }


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _number(value: object) -> str:
    return fmt(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _environment(search: Path | None) -> jinja2.Environment:
    import jinja2

    from auditor.formatters.markdown_format import code_span, escape_html, escape_message, escape_text

    loaders: list[jinja2.BaseLoader] = []
    if search is not None:
        loaders.append(jinja2.FileSystemLoader(str(search)))
    loaders.append(jinja2.PackageLoader("auditor.templates", "."))
    # Markdown, not HTML: no autoescape; table cells go through `cell`.
    env = jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
                             autoescape=False, keep_trailing_newline=True, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters.update(num=_number, rng=fmt_range, usd=fmt_usd, price=price, cell=_cell,
                       label=lambda category: LABELS.get(category, category),
                       message=escape_message, text=escape_text, code=code_span, html=escape_html)
    return env


def _where(error: BaseException) -> tuple[str | None, int | None]:
    """The template file and line jinja2 put in the traceback (it rewrites template frames)."""
    import jinja2

    if isinstance(error, jinja2.TemplateSyntaxError):
        return error.filename or error.name, error.lineno
    where: tuple[str | None, int | None] = (None, None)
    tb = error.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return where


def tidy(markdown: str) -> str:
    """One blank line at most between blocks (template loops leave more); code blocks are left
    as they are."""
    out: list[str] = []
    fence = ""
    for line in markdown.splitlines():
        marker = re.match(r"\s*(`{3,}|~{3,})", line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)
        elif not fence and not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def render_template(name: str, data: dict[str, Any], search: Path | None = None,
                    shown: str | None = None) -> str:
    """Render template `name` (looked up in `search`, then among the built-in ones); any
    failure is a TemplateProblem naming the file (as `shown` when it is the user's) and line."""
    import jinja2

    try:
        text = _environment(search).get_template(name).render(data)
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError,
            AttributeError) as error:
        path, line = _where(error)
        if path is not None and search is not None and Path(path) == search / name:
            path = shown or path
        where = f"{path or shown or name}:{line}" if line else f"{path or shown or name}"
        message = getattr(error, "message", None) or str(error)
        raise TemplateProblem(f"{where}: {type(error).__name__}: {message}") from None
    return tidy(text)


def render_report(result: Result, template: Path | None = None) -> str:
    """The report, through `templates/report.md.j2` or the template file given."""
    if template is None:
        return render_template("report.md.j2", context(result))
    try:
        template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise TemplateProblem(f"{template}: cannot read the template: {reason}") from None
    return render_template(template.name, context(result), search=template.parent, shown=str(template))


__all__ = ["TemplateProblem", "context", "excerpt", "recommendation", "render_report", "render_template"]
