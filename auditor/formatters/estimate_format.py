"""The estimate as JSON, as text for a terminal and as Markdown: per Worker, the triggers, the
operations each one reaches, the daily totals, the cost per plan and the free limits it breaks.

The JSON form is the `estimate` object of the JSON contract (DESIGN.md); the text and
Markdown forms read the same figures, so the three never disagree."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from auditor.estimate.model import (
    CATEGORIES,
    CATEGORY_NAMES,
    ZERO,
    Estimate,
    LimitBreach,
    Range,
    Site,
    Trigger,
)
from auditor.findings import Result

LABELS = CATEGORY_NAMES  # "kv.writes" as people read it: "KV writes"
DASH = "\u2013"  # an en dash, between the ends of a range
WIDTH = 100  # the terminal the text form is laid out for



def number(value: float, places: int = 2) -> int | float:
    """A JSON number: an int when integral once rounded, else rounded to `places`."""
    rounded = round(float(value), places)
    return int(rounded) if rounded.is_integer() else rounded


def _range(r: Range, places: int = 2) -> dict[str, int | float]:
    return {"min": number(r.min, places), "max": number(r.max, places)}


def _usd(r: Range) -> dict[str, float]:
    return {"min": round(float(r.min), 2), "max": round(float(r.max), 2)}


def clock(minute: int | None) -> str | None:
    """Minutes after 00:00 UTC as `HH:MM`."""
    return None if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def fmt(value: float) -> str:
    """A count for people: thousands separators, decimals only below 100."""
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{value:.2g}"


def fmt_range(r: Range | dict[str, Any]) -> str:
    low, high = (r["min"], r["max"]) if isinstance(r, dict) else (r.min, r.max)
    a, b = fmt(low), fmt(high)
    return a if a == b else f"{a}{DASH}{b}"


def fmt_usd(r: Range | dict[str, Any] | float) -> str:
    if isinstance(r, (int, float)):
        return f"${r:,.2f}"
    low, high = (r["min"], r["max"]) if isinstance(r, dict) else (r.min, r.max)
    a, b = f"${low:,.2f}", f"${high:,.2f}"
    return a if a == b else f"{a}{DASH}{b}"



def price(usd_per_million: float) -> str:
    """A price per million operations; DO rows read cost a tenth of a cent."""
    if usd_per_million >= 0.01 or usd_per_million == 0:
        return f"${usd_per_million:,.2f}"
    return f"${usd_per_million:g}"


def listed(items: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _by_service(totals: dict[str, Range]) -> dict[str, dict[str, dict[str, int | float]]]:
    """`{"kv.reads": r}` as `{"kv": {"reads": {min, max}}}`, every category present."""
    out: dict[str, dict[str, dict[str, int | float]]] = {}
    for category in CATEGORIES:
        service, metric = category.split(".", 1)
        out.setdefault(service, {})[metric] = _range(totals.get(category, ZERO))
    return out


def _value(value: object) -> object:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return number(value, 4)
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    return str(value)


def shown_value(value: object) -> str:
    """An assumption's value for people: numbers with separators, the rest as text."""
    value = _value(value)
    return fmt(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _trigger(trigger: Trigger) -> dict[str, Any]:
    where = trigger.location
    return {
        "kind": trigger.kind, "label": trigger.label,
        "runs_per_day": number(trigger.runs_per_day, 4), "busiest_day": number(trigger.peak, 4),
        "source": trigger.source,
        "path": where.path if where else None, "line": where.line if where else None,
    }


def _site(site: Site) -> dict[str, Any]:
    return {
        "path": site.location.path, "line": site.location.line, "op": site.op,
        "binding": site.binding, "trigger": site.trigger.label,
        "runs_per_day": number(site.trigger.runs_per_day, 4),
        "ops_per_run": _range(site.ops_per_run), "ops_per_day": _range(site.ops_per_day),
    }


def busiest_ops(site: Site) -> Range:
    """A site's operations on the busiest day, the day the free limits are judged on."""
    return site.ops_per_run * site.trigger.peak


def _limit(breach: LimitBreach) -> dict[str, Any]:
    at_max, at_min = breach.runs_out_at
    return {
        "category": breach.category, "limit": number(breach.limit),
        "daily": _range(breach.daily),
        "runs_out_at": {"min": clock(at_min), "max": clock(at_max)},
        "top_sites": [{"path": s.location.path, "line": s.location.line, "op": s.op,
                       "binding": s.binding, "trigger": s.trigger.label,
                       "ops_per_day": _range(busiest_ops(s))} for s in breach.top_sites],
    }


def cost_note(estimate: Estimate, plan: str) -> str:
    """What the month's figure for `plan` leaves out or is made of."""
    cost = estimate.costs[plan]
    if plan == "free":
        broken = [LABELS.get(b.category, b.category) for b in estimate.exceeded]
        return (f"but {listed(broken)} run out on the busiest day" if broken
                else "every operation within the daily limits")
    over = cost.monthly_usd + Range(-cost.base_usd, -cost.base_usd)
    if over.max <= 0.005:
        return f"base {fmt_usd(cost.base_usd)}; the operations are within the included amounts"
    return f"base {fmt_usd(cost.base_usd)} and {fmt_usd(over)} past the included amounts"


def _plans(estimate: Estimate) -> list[str]:
    return sorted(estimate.costs, key=lambda plan: (plan != "free", plan != "paid", plan))


def as_json(estimate: Estimate) -> dict[str, Any]:
    """The `estimate` object of the JSON contract. `runs_out_at.max` is when the limit runs out
    at the estimate's max, `.min` at its min (null: the min stays under the limit)."""
    return {
        "root": estimate.root,
        "environment": estimate.environment,
        "plan": estimate.plan,
        "pricing_as_of": estimate.pricing_as_of,
        "assumptions": [{"name": a.name, "value": _value(a.value), "source": a.source}
                        for a in estimate.assumptions],
        "triggers": [_trigger(t) for t in estimate.triggers],
        "sites": [_site(s) for s in estimate.sites],
        "daily": _by_service(estimate.daily),
        "busiest_day": _by_service(estimate.busiest_day),
        "monthly_usd": _usd(estimate.monthly_usd),
        "monthly_usd_by_plan": {plan: _usd(estimate.costs[plan].monthly_usd) for plan in _plans(estimate)},
        "free_plan_exceeded": [b.category for b in estimate.exceeded],
        "limits": [_limit(b) for b in estimate.exceeded],
        "routes": [{"route": r.trigger.route or r.trigger.label,
                    "per_1000": {c: _range(r.per_thousand[c]) for c in CATEGORIES if c in r.per_thousand}}
                   for r in estimate.routes],
        "notes": [{"message": n.message, "path": n.location.path if n.location else None,
                   "line": n.location.line if n.location else None} for n in estimate.notes],
    }



def breach_sentence(breach: LimitBreach) -> str:
    """`kv.writes: 1,440/day against the free plan's 1,000: runs out at about 16:40 UTC`."""
    at_max, at_min = breach.runs_out_at
    head = f"{breach.category}: {fmt_range(breach.daily)}/day against the free plan's {fmt(breach.limit)}"
    if at_max is None:
        return head
    if at_min == at_max:
        return f"{head}: runs out at about {clock(at_max)} UTC"
    if at_min is None:
        return (f"{head}: runs out at about {clock(at_max)} UTC at the most; at the least "
                f"({fmt(breach.daily.min)}/day) it stays under the limit")
    return f"{head}: runs out between about {clock(at_max)} and {clock(at_min)} UTC"


def amounts(totals: dict[str, Range], per: str = "a day") -> str:
    """`1,440 KV lists and up to 14,400 deletes a day`: the service named once in a row."""
    parts: list[str] = []
    service = ""
    for category in CATEGORIES:
        r = totals.get(category)
        if r is None or r.max <= 0:
            continue
        label = LABELS[category]
        if label.split(" ", 1)[0] == service:
            label = label.split(" ", 1)[1]
        service = LABELS[category].split(" ", 1)[0]
        size = f"up to {fmt(r.max)}" if r.min <= 0 < r.max else fmt_range(r)
        parts.append(f"{size} {label}")
    if not parts:
        return ""
    return f"{listed(parts)} {per}"


def runs_out_phrase(estimate: Estimate) -> str:
    """`KV writes run out every day by 23:45 UTC (as early as 00:12 UTC), KV deletes can run
    out as early as 00:24 UTC`, or "". A limit the minimum already breaks runs out every
    day; one only the maximum breaks may run out."""
    parts: list[str] = []
    for breach in estimate.exceeded:
        at_max, at_min = breach.runs_out_at
        label = LABELS.get(breach.category, breach.category)
        if at_min is not None:
            at = f"run out every day by {clock(at_min)} UTC"
            if at_max is not None and at_max != at_min:
                at += f" (as early as {clock(at_max)} UTC)"
        elif at_max is not None:
            at = f"can run out as early as {clock(at_max)} UTC"
        else:
            at = "can run out on the busiest day"
        parts.append(f"{label} {at}")
    return ", ".join(parts)


def worker_name(result: Result, estimate: Estimate) -> str:
    for worker in result.workers:
        if worker.root == estimate.root and worker.name:
            return worker.name
    return estimate.root


def environment_label(estimate: Estimate) -> str:
    return "top level" if not estimate.environment else f"environment `{estimate.environment}`"



def _chart_number(value: float) -> str:
    """Mermaid takes plain decimals only: no exponent, no NaN."""
    if not math.isfinite(value):
        value = 0.0
    value = round(float(value), 1)
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


def _chart_text(text: str, limit: int = 28) -> str:
    text = text.replace('"', "'").replace("%%", "%")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _axis_top(values: Iterable[float]) -> int:
    """A round upper bound a little above the largest value."""
    top = max([1.0, *values]) * 1.1
    step = 10 ** max(0, len(str(int(top))) - 2)
    return int(math.ceil(top / step) * step)


def _xychart(title: str, labels: Sequence[str], y_title: str, bars: Sequence[Sequence[float]],
             lines: Sequence[Sequence[float]], x_title: str | None = None) -> str:
    values = [v for series in (*bars, *lines) for v in series]
    x_axis = ", ".join(f'"{_chart_text(label)}"' for label in labels)
    x_name = f'"{_chart_text(x_title)}" ' if x_title else ""
    out = ["xychart-beta", f'    title "{_chart_text(title, 80)}"', f"    x-axis {x_name}[{x_axis}]",
           f'    y-axis "{_chart_text(y_title, 60)}" 0 --> {_axis_top(values)}']
    out += [f"    bar [{', '.join(_chart_number(v) for v in series)}]" for series in bars]
    out += [f"    line [{', '.join(_chart_number(v) for v in series)}]" for series in lines]
    return "\n".join(out)


def cumulative(estimate: Estimate, category: str, bound: str = "max") -> list[float]:
    """Operations of `category` made by each hour of the busiest UTC day, 00:00 to 24:00: a cron
    at the minutes it runs, other triggers spread evenly over the day."""
    totals = [0.0] * 25
    for trigger in estimate.triggers:
        per_run = estimate.per_run(trigger).get(category)
        if per_run is None:
            continue
        amount = per_run.max if bound == "max" else per_run.min
        for hour in range(25):
            if trigger.times:
                totals[hour] += amount * sum(1 for minute in trigger.times if minute < 60 * hour)
            else:
                totals[hour] += amount * trigger.peak * hour / 24
    return totals


def charts(estimate: Estimate) -> list[dict[str, str]]:
    """Mermaid charts where a picture says it faster: the busiest day against the free
    limits (`kind` "limits"), writes per trigger ("triggers"), and for each broken limit the
    day's running total ("day", with its `category`)."""
    out = []
    limits = estimate.free_limits
    shown = [c for c in CATEGORIES if limits.get(c) and estimate.busiest_day.get(c, ZERO).max > 0]
    if shown:
        percent = [estimate.busiest_day[c].max / limits[c] * 100 for c in shown]
        out.append({
            "kind": "limits", "category": "",
            "title": "Busiest day against the free plan's daily limits",
            "caption": "Bars: each operation's busiest day (at the estimate's max) as a percentage of the "
                       "free plan's daily limit; the line marks 100%.",
            "mermaid": _xychart("Busiest day, % of the free daily limit", [LABELS[c] for c in shown],
                                "% of the free limit", [percent], [[100.0] * len(shown)]),
        })
    writes = [(t, estimate.per_run(t).get("kv.writes", ZERO).max * t.peak) for t in estimate.triggers]
    writes = [(t, n) for t, n in writes if n > 0]
    if len(writes) > 1:
        limit = limits.get("kv.writes")
        out.append({
            "kind": "triggers", "category": "kv.writes",
            "title": "KV writes per trigger",
            "caption": "Bars: KV writes each trigger makes on the busiest day (at the estimate's max)"
                       + ("; the line marks the free plan's daily limit." if limit else "."),
            "mermaid": _xychart("KV writes per trigger, busiest day", [t.label for t, _ in writes],
                                "KV writes", [[n for _, n in writes]],
                                [[limit] * len(writes)] if limit else []),
        })
    for breach in estimate.exceeded:
        high = cumulative(estimate, breach.category, "max")
        low = cumulative(estimate, breach.category, "min")
        series = [high] if high == low else [high, low]
        label = LABELS.get(breach.category, breach.category)
        out.append({
            "kind": "day", "category": breach.category,
            "title": f"{label} over the busiest UTC day",
            "caption": f"Lines: {label} made since 00:00 UTC, "
                       + ("at the estimate's max and at its min, " if len(series) > 1 else "")
                       + f"and the free plan's limit of {fmt(breach.limit)}: past it, {label} fail "
                       "until 00:00 UTC.",
            "mermaid": _xychart(f"{label} since 00:00 UTC, busiest day", [str(h) for h in range(25)],
                                label, [], [*series, [breach.limit] * 25], x_title="hour (UTC)"),
        })
    return out



def view(estimate: Estimate, result: Result) -> dict[str, Any]:
    """The JSON object plus what a template needs ready-made (see `auditor.formatters.report`)."""
    data = as_json(estimate)
    name = worker_name(result, estimate)
    data["name"] = name
    data["title"] = f"{name} ({environment_label(estimate)})"
    data["assumptions"] = [{"name": a.name, "value": _value(a.value), "source": a.source, "note": a.note,
                            "default": a.source == "default"} for a in estimate.assumptions]
    data["totals"] = [
        {"category": c, "label": LABELS[c], "daily": _range(estimate.daily.get(c, ZERO)),
         "busiest_day": _range(estimate.busiest_day.get(c, ZERO)),
         "differs": estimate.daily.get(c, ZERO) != estimate.busiest_day.get(c, ZERO)}
        for c in CATEGORIES
        if estimate.daily.get(c, ZERO).max > 0 or estimate.busiest_day.get(c, ZERO).max > 0]
    paid = estimate.costs.get("paid")
    prices = {line.category: line.usd_per_million for line in paid.lines} if paid else {}
    data["costs"] = [{
        "plan": plan, "current": plan == estimate.plan, "base_usd": cost.base_usd,
        "monthly_usd": _usd(cost.monthly_usd), "note": cost_note(estimate, plan),
        "lines": [{"category": line.category, "label": LABELS.get(line.category, line.category),
                   "monthly": _range(line.monthly, 0), "included": number(line.included),
                   "usd_per_million": line.usd_per_million, "usd": _usd(line.usd)}
                  for line in cost.lines if line.monthly.max > 0],
    } for plan, cost in ((p, estimate.costs[p]) for p in _plans(estimate))]
    for limit, breach in zip(data["limits"], estimate.exceeded, strict=True):
        limit["label"] = LABELS.get(breach.category, breach.category)
        limit["sentence"] = breach_sentence(breach)
    data["route_categories"] = [c for c in CATEGORIES if any(c in r.per_thousand for r in estimate.routes)]
    for route, cost in zip(data["routes"], estimate.routes, strict=True):
        per_request = prices.get("workers.requests", 0.0)
        usd = Range(per_request, per_request)
        for category, ops in cost.per_thousand.items():
            usd = usd + ops * (prices.get(category, 0.0) / 1000)
        route["label"] = cost.trigger.label
        route["usd_per_million"] = _usd(usd)  # paid plan, past the included amounts
    data["runs_out"] = runs_out_phrase(estimate)
    data["charts"] = charts(estimate)
    return data



def _bold(text: str, colour: bool) -> str:
    return f"\x1b[1m{text}\x1b[0m" if colour else text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Iterable[int] = (),
          shrink: Sequence[int] = (), indent: int = 2) -> list[str]:
    """Columns two spaces apart, within WIDTH: when too wide, the widest of the last column and
    the `shrink` columns is narrowed, one at a time, and text wraps within its cell."""
    right = set(right)
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    last = len(widths) - 1
    narrow = {i: max(16, len(headers[i])) for i in {*shrink, last} - right}
    excess = indent + sum(widths) + 2 * last - WIDTH
    while excess > 0:
        candidates = [i for i in narrow if widths[i] > narrow[i]]
        if not candidates:
            break
        widths[max(candidates, key=lambda i: widths[i])] -= 1
        excess -= 1
    out = []
    for row in (headers, *rows):
        cells = [[str(cell).rjust(widths[i])] if i in right else
                 textwrap.wrap(str(cell), widths[i], break_on_hyphens=False) or [""]
                 for i, cell in enumerate(row)]
        for n in range(max(len(pieces) for pieces in cells)):
            parts = [(pieces[n] if n < len(pieces) else "").ljust(width)
                     for pieces, width in zip(cells, widths, strict=True)]
            out.append((" " * indent + "  ".join(parts)).rstrip())
    return out


def wrap(text: str, indent: int = 2, hanging: int = 4) -> list[str]:
    """A sentence within WIDTH, its continuation lines indented further."""
    return textwrap.wrap(text, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * (indent + hanging),
                         break_on_hyphens=False) or [""]


def _short(path: str, root: str) -> str:
    return path[len(root) + 1:] if root not in ("", ".") and path.startswith(root + "/") else path


def _where(path: str | None, line: int | None) -> str:
    return f"{path}:{line}" if path and line else path or ""


def _worker_text(estimate: Estimate, result: Result, colour: bool) -> list[str]:
    name = worker_name(result, estimate)
    root = estimate.root
    lines = [_bold(f"{name} — {root}, {environment_label(estimate)}", colour),
             f"Plan: {estimate.plan}. Prices as of {estimate.pricing_as_of}.", ""]

    if estimate.assumptions:
        lines.append(_bold("Assumptions", colour))
        rows = []
        for a in estimate.assumptions:
            source = "(default)" if a.source == "default" else a.source
            rows.append([a.name, shown_value(a.value), f"{source}: {a.note}" if a.note else source])
        lines += table(["assumption", "value", "source"], rows, right={1}, shrink=[0])
        lines.append("")

    if estimate.triggers:
        lines.append(_bold("Triggers", colour))
        triggers = [[t.label, fmt(t.runs_per_day), fmt(t.peak), t.source] for t in estimate.triggers]
        lines += table(["trigger", "runs/day", "busiest day", "source"], triggers, right={1, 2},
                       shrink=[0])
        lines.append("")

    if estimate.sites:
        under = f" (paths under {root}/)" if root not in ("", ".") else ""
        lines.append(_bold(f"Operations per site{under}", colour))
        sites = [[f"{_short(site.location.path, root)}:{site.location.line}", site.op, site.binding or "",
                  site.trigger.label, fmt(site.trigger.runs_per_day), fmt_range(site.ops_per_run),
                  fmt_range(site.ops_per_day)] for site in estimate.sites]
        lines += table(["site", "op", "binding", "trigger", "runs/day", "ops/run", "ops/day"], sites,
                       right={4, 5, 6}, shrink=[3, 0, 2, 1])
        lines.append("")

    shown = [c for c in CATEGORIES
             if estimate.daily.get(c, ZERO).max > 0 or estimate.busiest_day.get(c, ZERO).max > 0]
    if shown:
        differs = any(estimate.daily.get(c, ZERO) != estimate.busiest_day.get(c, ZERO) for c in shown)
        lines.append(_bold("Daily operations", colour))
        headers = ["operation", "average day", *(["busiest day"] if differs else [])]
        totals = [[LABELS[c], fmt_range(estimate.daily.get(c, ZERO)),
                   *([fmt_range(estimate.busiest_day.get(c, ZERO))] if differs else [])] for c in shown]
        lines += table(headers, totals, right={1, 2})
        lines.append("")

    lines.append(_bold("Monthly cost", colour))
    for plan in _plans(estimate):
        cost = estimate.costs[plan]
        mark = " (this Worker's plan)" if plan == estimate.plan else ""
        lines += wrap(f"{plan}{mark}: {fmt_usd(cost.monthly_usd)}; {cost_note(estimate, plan)}")
        if plan == "free":
            continue
        billed = [[LABELS.get(line.category, line.category), fmt_range(line.monthly), fmt(line.included),
                   price(line.usd_per_million), fmt_usd(line.usd)]
                  for line in cost.lines if line.monthly.max > 0]
        if billed:
            lines += table(["operation", "used a month", "included", "per million", "overage"], billed,
                           right={1, 2, 3, 4}, indent=4)
    lines.append("")

    if estimate.exceeded:
        lines.append(_bold("Free-plan limits exceeded on the busiest day", colour))
        for breach in estimate.exceeded:
            lines += wrap(breach_sentence(breach))
            for site in breach.top_sites:
                where = f"{_short(site.location.path, root)}:{site.location.line}"
                lines += wrap(f"{where} {site.op} {site.binding or ''} ({site.trigger.label}): "
                              f"{fmt_range(busiest_ops(site))}/day", indent=6)
        lines.append("")

    if estimate.routes:
        lines.append(_bold("Per 1,000 requests", colour))
        routes = [[r.trigger.label,
                   ", ".join(f"{LABELS.get(c, c)} {fmt_range(r.per_thousand[c])}"
                             for c in CATEGORIES if c in r.per_thousand)] for r in estimate.routes]
        lines += table(["route", "operations"], routes, shrink=[0])
        lines.append("")

    if estimate.notes:
        lines.append(_bold("Notes", colour))
        for note in estimate.notes:
            where = _where(note.location.path, note.location.line) if note.location else ""
            lines += wrap(f"{where}: {note.message}" if where else note.message)
        lines.append("")
    return lines


def render_text(result: Result, colour: bool = False) -> str:
    """`workers-audit estimate`: one block per Worker, then what could not be read."""
    lines: list[str] = []
    for estimate in result.estimates:
        lines += _worker_text(estimate, result, colour)
    if not result.estimates:
        lines += ["No estimate: no Worker configuration could be read.", ""]
    for error in result.errors:
        lines.append(f"{error.path}:{error.line}:{error.column}: error {error.message}")
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def render_markdown(result: Result) -> str:
    """`workers-audit estimate --format markdown`, through `templates/estimate.md.j2`."""
    from auditor.formatters.report import context, render_template

    return render_template("estimate.md.j2", context(result))


__all__ = ["LABELS", "amounts", "as_json", "breach_sentence", "charts", "render_markdown", "render_text",
           "view"]
