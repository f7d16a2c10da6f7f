"""`workers-audit diff` as a Markdown pull-request comment (`templates/diff.md.j2`), as text
and as JSON. The three read one view of the Diff, so they never disagree."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from auditor import __version__
from auditor.diff import METRICS, MONTHLY_USD, Change, Crossing, Diff, ThresholdCheck, WorkerDelta
from auditor.estimate.model import CATEGORIES
from auditor.findings import Finding, Severity
from auditor.formatters.estimate_format import LABELS, fmt, fmt_range, fmt_usd, number, table, wrap

# The first line of the comment: a CI script finds its own comment by it and edits it.
MARKER = "<!-- workers-audit-diff -->"
COLLAPSE = 10  # rows: a longer list of findings goes inside <details>
MAX_ROWS = 100  # rows per list: GitHub refuses a comment over 65,536 characters


def signed(value: float) -> str:
    """A change as people read it: +1,200, -48, 0."""
    value = round(value, 2) + 0.0
    return "0" if value == 0 else f"+{fmt(value)}" if value > 0 else f"-{fmt(-value)}"


def signed_usd(value: float) -> str:
    value = round(value, 2) + 0.0
    return "$0.00" if value == 0 else f"+${value:,.2f}" if value > 0 else f"-${-value:,.2f}"


def worker_label(worker: WorkerDelta) -> str:
    return f"`{worker.name or worker.root}`"


def crossing_sentence(worker: WorkerDelta, crossing: Crossing) -> str:
    """`+1,200 KV writes/day: this pull request takes `counter` over the free plan's 1,000 ...`,
    with the figure it rests on: the estimate's max on the busiest day, and the range."""
    change = crossing.change
    label = LABELS.get(crossing.category, crossing.category)
    verb = "takes" if crossing.over else "brings"
    where = "over" if crossing.over else "back under"
    return (f"{signed(change.delta.max)} {label}/day: this pull request {verb} {worker_label(worker)} "
            f"{where} the free plan's {fmt(crossing.limit)} a day (the worst case: the estimate's max "
            f"for the busiest day goes from {fmt(change.base.max)} to {fmt(change.head.max)}; its "
            f"range from {fmt_range(change.base)} to {fmt_range(change.head)})")


def _counts(findings: Sequence[Finding]) -> str:
    parts = []
    for level in sorted(Severity, reverse=True):
        n = sum(f.severity is level for f in findings)
        if n:
            parts.append(f"{n} {level.label}{'s' if n != 1 and level is not Severity.INFO else ''}")
    return ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def metric_label(metric: str) -> str:
    return "monthly cost" if metric == MONTHLY_USD else f"{LABELS[METRICS[metric]]} a day"


def threshold_text(check: ThresholdCheck) -> str:
    """`KV writes a day +1,200: more than `--fail-on-increase kv-writes=500` allows`."""
    metric, limit = check.threshold.metric, check.threshold.limit
    increase = signed_usd(check.increase) if metric == MONTHLY_USD else signed(check.increase)
    option = f"`--fail-on-increase {metric}={int(limit) if limit.is_integer() else limit}`"
    if check.exceeded:
        return f"{metric_label(metric)} {increase}: more than {option} allows"
    return f"{metric_label(metric)} {increase}: within {option}"


def verdict(diff: Diff) -> str:
    """The one line a reviewer reads: pass or fail, and why."""
    failed = diff.failed or diff.unreadable
    parts = [f"{_plural(len(diff.new), 'new finding')} ({_counts(diff.new)})" if diff.new
             else "no new findings"]
    if diff.fixed:
        parts[0] += f", {len(diff.fixed):,} fixed"
    reasons = []
    for worker in diff.workers:
        for crossing in worker.crossings:
            label = LABELS.get(crossing.category, crossing.category)
            move = "goes over" if crossing.over else "comes back under"
            reasons.append(f"{worker_label(worker)} {move} the free plan's {fmt(crossing.limit)} "
                           f"{label} a day")
    for check in diff.thresholds:
        if check.exceeded:
            reasons.append(threshold_text(check))
    if diff.unreadable:
        reasons.append("a configuration in the working tree cannot be read")
    head = f"{'Fails' if failed else 'Passes'}: {', '.join(parts)}"
    return f"{head}; {'; '.join(reasons)}" if reasons else head


def _finding(finding: Finding) -> dict[str, Any]:
    from auditor.formatters.json_format import finding_dict

    data = finding_dict(finding)
    data["where"] = f"{finding.location.path}:{finding.location.line}"
    return data


def _change(change: Change, money: bool = False) -> dict[str, Any]:
    round_ = (lambda v: round(float(v), 2)) if money else number
    return {"base": {"min": round_(change.base.min), "max": round_(change.base.max)},
            "head": {"min": round_(change.head.min), "max": round_(change.head.max)},
            "change": {"min": round_(change.delta.min), "max": round_(change.delta.max)}}


def _worker(worker: WorkerDelta) -> dict[str, Any]:
    """A Worker's figures (JSON) and the same as text for the Markdown and text forms."""
    rows = [{"category": c, "label": LABELS[c], "base": fmt_range(change.base),
             "head": fmt_range(change.head), "change_min": signed(change.delta.min),
             "change_max": signed(change.delta.max)}
            for c, change in worker.daily.items() if change.base.max > 0 or change.head.max > 0]
    costs = [{"plan": plan, "current": plan == worker.plan, "base": fmt_usd(change.base),
              "head": fmt_usd(change.head), "change_min": signed_usd(change.delta.min),
              "change_max": signed_usd(change.delta.max)}
             for plan, change in worker.monthly_usd.items()]
    status = {"added": "added by this pull request", "removed": "removed by this pull request",
              "changed": "", "unchanged": "no change"}[worker.status]
    return {
        "root": worker.root, "name": worker.name, "label": worker_label(worker),
        "status": worker.status, "status_text": status, "plan": worker.plan,
        "environment": worker.environment,
        "daily": {c: _change(worker.daily[c]) for c in CATEGORIES},
        "monthly_usd": {plan: _change(change, money=True) for plan, change in worker.monthly_usd.items()},
        "crossings": [{"category": c.category, "limit": number(c.limit),
                       "direction": "over" if c.over else "under",
                       "sentence": crossing_sentence(worker, c)} for c in worker.crossings],
        "rows": rows, "costs": costs,
    }


def view(diff: Diff) -> dict[str, Any]:
    """Everything the three forms show; the JSON form is this less the ready-made text."""
    revision = diff.revision
    new = [_finding(f) for f in diff.new]
    fixed = [_finding(f) for f in diff.fixed]
    return {
        "marker": MARKER,
        "verdict": verdict(diff),
        "failed": diff.failed or diff.unreadable,
        "tool": {"name": "workers-audit", "version": __version__},
        "pricing_as_of": diff.pricing_as_of,
        "base": None if revision is None else {
            "ref": revision.ref, "commit": revision.ref_commit, "merge_base": revision.merge_base,
            "short": revision.short, "subject": revision.subject,
            "is_tip": revision.merge_base == revision.ref_commit,
        },
        # The working tree, uncommitted changes included, on top of this commit.
        "head": {"commit": None if revision is None else revision.head_commit, "working_tree": True},
        "new": new[:MAX_ROWS], "new_count": len(new), "new_more": max(0, len(new) - MAX_ROWS),
        "new_counts": _counts(diff.new),
        "fixed": fixed[:MAX_ROWS], "fixed_count": len(fixed), "fixed_more": max(0, len(fixed) - MAX_ROWS),
        "unchanged": diff.unchanged,
        "collapse": COLLAPSE,
        "workers": [_worker(w) for w in diff.workers],
        "thresholds": [{"metric": c.threshold.metric, "limit": c.threshold.limit,
                        "increase": c.increase, "exceeded": c.exceeded, "text": threshold_text(c)}
                       for c in diff.thresholds],
        "errors": [{"path": e.path, "line": e.line, "column": e.column, "message": e.message}
                   for e in diff.errors],
        "new_findings": new, "fixed_findings": fixed,
    }


def render_json(diff: Diff) -> str:
    data = view(diff)
    text_only = ("rows", "costs", "label", "status_text")
    workers = [{key: value for key, value in w.items() if key not in text_only} for w in data["workers"]]
    out = {
        "version": 1,
        "tool": data["tool"],
        "base": data["base"],
        "head": data["head"],
        "verdict": data["verdict"],
        "failed": data["failed"],
        "findings": {"new": data["new_findings"], "fixed": data["fixed_findings"],
                     "unchanged": data["unchanged"]},
        "workers": workers,
        "thresholds": [{k: v for k, v in t.items() if k != "text"} for t in data["thresholds"]],
        "pricing_as_of": data["pricing_as_of"],
        "errors": data["errors"],
    }
    for finding in (*out["findings"]["new"], *out["findings"]["fixed"]):
        finding.pop("where", None)
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def render_markdown(diff: Diff) -> str:
    from auditor.formatters.report import render_template

    return render_template("diff.md.j2", view(diff))


def _against(data: dict[str, Any]) -> str:
    base = data["base"]
    if base is None:
        return "the working tree"
    subject = f" ({base['subject']})" if base["subject"] else ""
    if base["is_tip"]:
        return f"the working tree against `{base['ref']}` at {base['short']}{subject}"
    return (f"the working tree against {base['short']}{subject}, the merge base of "
            f"`{base['ref']}` and HEAD")


def render_text(diff: Diff, colour: bool = False) -> str:
    def bold(text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if colour else text

    data = view(diff)
    lines = [bold(f"workers-audit diff: {_against(data)}"), data["verdict"] + ".", ""]
    for title, findings, more, note in (("New findings", data["new"], data["new_more"], ""),
                                        ("Fixed findings", data["fixed"], data["fixed_more"],
                                         "; lines as in the base revision")):
        if not findings:
            continue
        lines.append(bold(f"{title} ({len(findings) + more:,}{note})"))
        lines += [f"  {f['where']}:{f['column']}: {f['rule']} {f['message']}" for f in findings]
        if more:
            lines.append(f"  … and {more:,} more")
        lines.append("")
    if data["unchanged"]:
        lines += [f"{_plural(data['unchanged'], 'finding')} unchanged.", ""]
    for worker in data["workers"]:
        status = f", {worker['status_text']}" if worker["status_text"] else ""
        lines.append(bold(f"{worker['label'].strip('`')} ({worker['root']}, {worker['plan']} plan{status})"))
        if worker["status"] == "unchanged":
            lines.append("")
            continue
        lines += [line for c in worker["crossings"] for line in wrap(c["sentence"])]
        if worker["rows"]:
            lines += table(["busiest day", "base", "this change", "change (min)", "change (max)"],
                           [[r["label"], r["base"], r["head"], r["change_min"], r["change_max"]]
                            for r in worker["rows"]], right={1, 2, 3, 4})
            lines.append("")
        lines += table(["monthly cost", "base", "this change", "change (min)", "change (max)"],
                       [[c["plan"] + (" (its plan)" if c["current"] else ""), c["base"], c["head"],
                         c["change_min"], c["change_max"]] for c in worker["costs"]], right={1, 2, 3, 4})
        lines.append("")
    if data["thresholds"]:
        lines.append(bold("Thresholds"))
        lines += [line for t in data["thresholds"] for line in wrap(t["text"])]
        lines.append("")
    for error in data["errors"]:
        lines.append(f"{error['path']}:{error['line']}:{error['column']}: error {error['message']}")
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


__all__ = ["MARKER", "crossing_sentence", "render_json", "render_markdown", "render_text", "signed",
           "signed_usd", "verdict", "view"]
