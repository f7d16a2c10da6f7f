"""The estimate: invocations per day of every entry point, times the storage operations
each invocation reaches, summed per day and priced per plan.

`estimate_for` is asked by the `estimate` and `report` commands and by the cost rules
(CO001, CO002); it is computed once per Program.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import cast

from auditor.config.model import Environment
from auditor.estimate.entries import (
    Handler,
    RouteEntry,
    alarm_classes,
    code_routes,
    handlers,
    router_routes,
)
from auditor.estimate.model import (
    CATEGORIES,
    ZERO,
    Assumption,
    Estimate,
    LimitBreach,
    Note,
    Range,
    RouteCost,
    Site,
    Trigger,
)
from auditor.estimate.pricing import DAYS_PER_MONTH, plan_costs, pricing
from auditor.estimate.walk import Counts, Invocation, LoopBounds, Walker
from auditor.findings import Location
from auditor.program import Module, Program
from auditor.settings import Settings
from auditor.values import Constant, Scope

DEFAULT_REQUESTS_PER_DAY = 10_000
DEFAULT_LOOP_ITERATIONS = 10
DEFAULT_BATCH_SIZE = 10  # a queue consumer's `max_batch_size` when the configuration has none
MS_PER_DAY = 86_400_000
MINUTES_PER_DAY = 1440


def estimate_for(program: Program, settings: Settings) -> Estimate:
    if "estimate" not in program.memo:
        program.memo["estimate"] = _Estimator(program, settings).run()
    return cast(Estimate, program.memo["estimate"])


class _Estimator:
    def __init__(self, program: Program, settings: Settings) -> None:
        self.program = program
        self.settings = settings
        name = settings.environment
        self.environment: Environment = (program.config.environments[name] if name
                                          else program.config.top)
        usage = settings.usage
        self.loop_bounds = LoopBounds(usage.loop_iterations if usage.loop_iterations is not None
                                      else DEFAULT_LOOP_ITERATIONS)
        self.walker = Walker(program, self.environment, self.loop_bounds)
        self.notes: list[Note] = []
        self.assumptions: list[Assumption] = []
        self.walks: list[tuple[Trigger, Counts]] = []

    def run(self) -> Estimate:
        prices = pricing()
        self._crons()
        routes = self._routes()
        self._external(routes)
        self._queues()
        self._alarms()
        sites = self._sites()
        triggers = tuple(trigger for trigger, _ in self.walks)
        invocations = tuple((trigger, counts.totals) for trigger, counts in self.walks)
        daily = _totals(invocations, lambda t: t.runs_per_day)
        busiest = _totals(invocations, lambda t: t.peak)
        exceeded = tuple(_breaches(sites, invocations, busiest, prices.free_daily))
        self._general_assumptions(prices.as_of)
        return Estimate(
            root=self.program.root,
            environment=self.environment.name,
            plan=self.settings.plan,
            pricing_as_of=prices.as_of,
            assumptions=tuple(self.assumptions),
            triggers=triggers,
            sites=sites,
            daily=daily,
            busiest_day=busiest,
            costs=plan_costs(daily, prices),
            exceeded=exceeded,
            routes=tuple(_route_costs(invocations)),
            notes=tuple(self.notes),
            free_limits=dict(prices.free_daily),
            invocations=invocations,
        )

    # -- triggers --------------------------------------------------------------------------

    def _walk(self, trigger: Trigger, entries: list[Handler], run: Invocation) -> None:
        counts = Counts()
        for handler in entries:
            counts.add(self.walker.function(handler.module, handler.function,
                                            Scope(handler.module.key, handler.function), run),
                       Range(1, 1), optional=False)
        self.walks.append((trigger, counts))

    def _crons(self) -> None:
        from auditor.cron import CronError, parse, schedule

        crons = self.environment.crons or ()
        scheduled = handlers(self.program, "scheduled")
        if crons and not scheduled:
            self.notes.append(Note("crons are configured but no `scheduled` handler was found; "
                                   "their runs reach no code", crons[0].location))
        for cron in crons:
            try:
                plan = schedule(parse(cron.expression))
            except CronError as error:
                self.notes.append(Note(f"cron `{cron.expression}` left out of the estimate: "
                                       f"{error.reason or error} (CR002)", cron.location))
                continue
            trigger = Trigger("cron", f"cron {cron.expression}", plan.runs_per_day,
                              "cron schedule (UTC)", cron.location, plan.busiest_day,
                              tuple(plan.busiest_times))
            self._walk(trigger, scheduled, Invocation(cron=cron.expression))

    def _routes(self) -> list[RouteEntry]:
        """Fetch traffic split over the routes; returns the routes for outside schedulers."""
        usage = self.settings.usage
        fetch = handlers(self.program, "fetch")
        routes = router_routes(self.program)
        if not routes:
            routes = [r for handler in fetch for r in code_routes(self.program, handler)]
        if not fetch and not routes:
            self._unknown_route_keys([])
            return []
        total = usage.requests_per_day
        self.assumptions.append(Assumption(
            "requests-per-day", total if total is not None else DEFAULT_REQUESTS_PER_DAY,
            "settings" if total is not None else "default",
            "fetch traffic the routes without a figure in [usage.routes] share"))
        total = total if total is not None else DEFAULT_REQUESTS_PER_DAY
        if not routes:
            trigger = Trigger("route", "all requests", total,
                              "usage.requests-per-day" if usage.requests_per_day is not None
                              else "default requests-per-day", None, route="*")
            self._walk(trigger, fetch, Invocation())
            self._unknown_route_keys([])
            return []
        given = {}
        for route in routes:
            key = next((k for k in usage.routes if _key_matches(k, route.method, route.path, routes)), None)
            if key is not None:
                given[route] = (usage.routes[key], f"usage.routes \"{key}\"")
        remaining = max(0.0, total - sum(figure for figure, _ in given.values()))
        shared = [r for r in routes if r not in given]
        for route in routes:
            if route in given:
                runs, source = given[route]
            else:
                runs = remaining / len(shared)
                source = (f"an equal share of the remaining {remaining:,.0f} requests/day "
                          f"with {len(shared) - 1} other route(s) (no figure in [usage.routes])"
                          if len(shared) > 1 else "the remaining requests/day (no figure in [usage.routes])")
            location = Location(route.module.display, route.line) if route.module and route.line else None
            trigger = Trigger("route", route.label, runs, source, location, route=route.label)
            run = Invocation(method=route.method, path=route.path)
            self._walk(trigger, list(route.handlers) or fetch, run)
        self._unknown_route_keys(routes)
        return routes

    def _unknown_route_keys(self, routes: list[RouteEntry]) -> None:
        for key in self.settings.usage.routes:
            if not any(_key_matches(key, r.method, r.path, routes) for r in routes):
                known = ", ".join(f"`{r.label}`" for r in routes) or "none found in the code"
                self.notes.append(Note(f"[usage.routes] \"{key}\" matches no route of the Worker "
                                       f"(routes: {known}); its figure is not used",
                                       _settings_line(self.program, self.settings, key)))

    def _external(self, routes: list[RouteEntry]) -> None:
        """Routes an outside scheduler (a GitHub Actions `schedule`) calls."""
        from auditor.discover import workflows_home

        directory = self.program.directory
        repository = workflows_home(directory) if directory is not None else None
        if repository is None:
            return
        from auditor.workflows import external_schedules

        schedules, problems = external_schedules(repository, _display_root(self.program, repository))
        for problem in problems:
            self.notes.append(Note(problem.message, Location(problem.path, problem.line)))
        fetch = handlers(self.program, "fetch")
        for found in schedules:
            where = Location(found.workflow, found.line)
            called = f"{found.method} {found.path or found.url}"
            if found.path is None:
                self.notes.append(Note(f"{found.workflow}:{found.call_line} calls `{found.url}` on a "
                                       "schedule; its path is not written out, so it is not matched to a "
                                       "route", where))
                continue
            matching = [r for r in routes if _path_matches(found.path, r.path)]
            route = next((r for r in matching if r.method == found.method),
                         next((r for r in matching if r.method == "*"), None))
            if route is None and (routes or not fetch):
                self.notes.append(Note(f"{found.workflow}:{found.call_line} calls `{called}` on a schedule, "
                                       "and no route of this Worker matches it", where))
                continue
            label = route.label if route is not None else called
            if route is not None and any(_key_matches(k, route.method, route.path, routes)
                                         for k in self.settings.usage.routes):
                self.notes.append(Note(f"the schedule in {found.workflow}:{found.line} is not counted: "
                                       f"[usage.routes] gives the figure for `{label}`", where))
                continue
            trigger = Trigger("external", f"external {label} (cron {found.cron})",
                              found.schedule.runs_per_day,
                              f"GitHub Actions schedule in {found.workflow}:{found.line} ({found.tool})",
                              where, found.schedule.busiest_day, tuple(found.schedule.busiest_times),
                              route=label)
            entries = list(route.handlers) if route is not None and route.handlers else fetch
            run = Invocation(method=found.method, path=route.path if route is not None else found.path)
            self._walk(trigger, entries, run)

    def _queues(self) -> None:
        queues = self.environment.settings.get("queues")
        consumers = queues.get("consumers", []) if isinstance(queues, dict) else []
        entries = handlers(self.program, "queue")
        for index, consumer in enumerate(consumers if isinstance(consumers, list) else []):
            if not isinstance(consumer, dict) or not isinstance(consumer.get("queue"), str):
                continue
            name = consumer["queue"]
            location = self._config_location("queues", "consumers", index, "queue")
            messages = self.settings.usage.queues.get(name)
            if messages is None:
                self.notes.append(Note(f"queue `{name}` is consumed but [usage.queues] gives no "
                                       f"messages per day for it; its consumer is left out", location))
                continue
            batch = consumer.get("max_batch_size")
            batch = batch if isinstance(batch, int) and batch > 0 else DEFAULT_BATCH_SIZE
            trigger = Trigger("queue", f"queue {name}", messages / batch,
                              f"usage.queues \"{name}\" = {messages:,.0f} messages/day in batches of {batch}",
                              location)
            self._walk(trigger, entries, Invocation(batch_size=batch))

    def _alarms(self) -> None:
        for module, class_name in alarm_classes(self.program, self.walker):
            interval = _alarm_interval(self.program, module, class_name)
            function = f"{class_name}.alarm"
            location = module.location(module.functions[function].span)
            if interval is None:
                self.notes.append(Note(f"`{class_name}.alarm` runs at an interval the code does not "
                                       "state as a constant; it is left out", location))
                continue
            trigger = Trigger("alarm", f"alarm {class_name}", MS_PER_DAY / interval,
                              f"setAlarm every {interval / 1000:g} s, one object", location)
            self._walk(trigger, [Handler(module, function)], Invocation())

    def _config_location(self, *keypath: str | int) -> Location:
        name = self.environment.name
        return self.program.config.document.at(*(("env", name) if name else ()), *keypath)

    # -- sites and totals ------------------------------------------------------------------

    def _sites(self) -> tuple[Site, ...]:
        sites = []
        for trigger, counts in self.walks:
            for key, count in counts.ranges.items():
                module = self.program.modules[key.module]
                location = Location(module.display, key.line, key.column, key.end_line, key.end_column)
                sites.append(Site(location, key.op, key.category, key.binding, trigger, count,
                                  counts.via.get(key, ())))
        return tuple(sorted(sites, key=lambda s: (s.location.path, s.location.line, s.location.column,
                                                   s.trigger.label, s.op)))

    def _general_assumptions(self, as_of: str) -> None:
        bounds = self.loop_bounds
        if bounds.unread:
            lines = ", ".join(f"{path}:{line}" for path, line in sorted(bounds.unread))
            self.assumptions.append(Assumption(
                "loop-iterations", bounds.default,
                "settings" if self.settings.usage.loop_iterations is not None else "default",
                f"loops whose bound the code does not state: {lines}"))
        if bounds.pages:
            lines = ", ".join(f"{path}:{line}" for path, line in sorted(bounds.pages))
            self.assumptions.append(Assumption(
                "list-pages", 1, "default",
                f"loops over list() pages by cursor ({lines}): one page, as the keys assumed "
                f"({bounds.default:g}) fit in one page of 1,000"))
        self.assumptions.append(Assumption("environment", self.environment.label, "configuration"
                                           if self.environment.name else "default",
                                           "the deploy target whose triggers and vars are read"))
        self.assumptions.append(Assumption("plan", self.settings.plan,
                                           "settings" if self.settings.source else "default"))
        self.assumptions.append(Assumption("days-per-month", round(DAYS_PER_MONTH, 4), "default",
                                           "an average Gregorian month"))
        self.assumptions.append(Assumption("prices-as-of", as_of, "default",
                                           "auditor/data/pricing.toml"))


Invocations = tuple[tuple[Trigger, dict[str, Range]], ...]


def _totals(invocations: Invocations, per_day: Callable[[Trigger], float]) -> dict[str, Range]:
    totals = {category: ZERO for category in CATEGORIES}
    for trigger, per_run in invocations:
        for category, count in per_run.items():
            totals[category] = totals[category] + count * per_day(trigger)
        if trigger.kind in ("route", "external"):
            totals["workers.requests"] = totals["workers.requests"] + Range(1, 1) * per_day(trigger)
    return totals


def _breaches(sites: tuple[Site, ...], invocations: Invocations, busiest: dict[str, Range],
              limits: dict[str, float]) -> list[LimitBreach]:
    found = []
    for category, limit in limits.items():
        daily = busiest.get(category, ZERO)
        if daily.max <= limit:
            continue
        contributing = [s for s in sites if s.category == category]
        top = sorted(contributing, key=lambda s: -(s.ops_per_run.max * s.trigger.peak))[:3]
        found.append(LimitBreach(category, daily, limit,
                                 (_runs_out(invocations, category, limit, use_max=True),
                                  _runs_out(invocations, category, limit, use_max=False)),
                                 tuple(top)))
    return found


def _runs_out(invocations: Invocations, category: str, limit: float, use_max: bool) -> int | None:
    """The minute after 00:00 UTC of the busiest day at which `limit` is used up: crons
    and outside schedules run at their times, other traffic spreads evenly over the day."""
    per_minute = [0.0] * MINUTES_PER_DAY
    for trigger, per_run in invocations:
        if category == "workers.requests":
            ops = 1.0 if trigger.kind in ("route", "external") else 0.0
        else:
            found = per_run.get(category, ZERO)
            ops = found.max if use_max else found.min
        if not ops:
            continue
        if trigger.times:
            for minute in trigger.times:
                per_minute[minute] += ops
        else:
            spread = ops * trigger.peak / MINUTES_PER_DAY
            for minute in range(MINUTES_PER_DAY):
                per_minute[minute] += spread
    used = 0.0
    for minute, added in enumerate(per_minute):
        used += added
        if used >= limit - 1e-9:
            return minute
    return None


def _route_costs(invocations: Invocations) -> list[RouteCost]:
    return [RouteCost(trigger, {c: n * 1000 for c, n in per_run.items() if n.max > 0})
            for trigger, per_run in invocations if trigger.kind == "route"]


def _alarm_interval(program: Program, module: Module, class_name: str) -> float | None:
    """Milliseconds between alarms, from `setAlarm(Date.now() + N)` with a constant N in
    the class's `alarm` (an alarm that sets the next one runs every N ms)."""
    function = f"{class_name}.alarm"
    for fid in [f for f in module.functions if f == function or f.startswith(function + ".")]:
        for call in module.calls.get(fid, ()):
            callee = call.callee
            if callee.kind != "member" or callee.name != "setAlarm" or not call.args:
                continue
            arg = call.args[0]
            if arg.kind == "binary" and arg.operator == "+" and len(arg.args) == 2:
                for side in arg.args:
                    value = program.resolver.resolve(side, Scope(module.key, fid))
                    if isinstance(value, Constant) and isinstance(value.value, (int, float)) \
                            and not isinstance(value.value, bool) and value.value > 0:
                        return float(value.value)
    return None


def _normalise(path: str) -> str:
    """`/api/products/:id`, `/api/products/{id}` and `/api/products/*` alike."""
    text = path.strip()
    prefix = text.endswith("*")
    parts = ["*" if part.startswith((":", "{")) or part == "*" else part
             for part in text.rstrip("*").rstrip("/").split("/")]
    joined = "/".join(parts) + ("/*" if prefix else "")
    return joined or "/"


def _split_key(key: str) -> tuple[str, str]:
    words = key.split(None, 1)
    method, path = (words[0].upper(), words[1]) if len(words) == 2 else ("*", key)
    return ("*" if method in ("ALL", "ANY") else method), _normalise(path)


def _key_matches(key: str, method: str, path: str, routes: list[RouteEntry] | None = None) -> bool:
    """Does a `[usage.routes]` key ("GET /api/x", "/api/x") name this route? A route the
    code does not tell apart by method takes a key with any method, unless another route
    is that method on that path."""
    key_method, key_path = _split_key(key)
    if key_path != _normalise(path):
        return False
    if key_method == method:
        return True
    if method != "*":
        return False
    return not any(r.method == key_method and _normalise(r.path) == key_path for r in routes or ())


def _path_matches(called: str, route_path: str) -> bool:
    """Does a concrete path an outside scheduler calls fall under a route?"""
    called_parts = called.rstrip("/").split("/")
    route_parts = route_path.rstrip("/").split("/")
    for index, part in enumerate(route_parts):
        if part.endswith("*"):
            return "/".join(called_parts[index:]).startswith(part[:-1]) or part == "*"
        if index >= len(called_parts):
            return False
        if not (part.startswith((":", "{")) or part == called_parts[index]):
            return False
    return len(called_parts) == len(route_parts)


def _settings_line(program: Program, settings: Settings, key: str) -> Location | None:
    """Where a `[usage.routes]` key is written, for the note that reports it."""
    if not settings.source or program.directory is None:
        return None
    try:
        path = program.directory / Path(settings.source).name
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return Location(settings.source, 1)
    for number, line in enumerate(lines, start=1):
        if f'"{key}"' in line or f"'{key}'" in line:
            return Location(settings.source, number)
    return Location(settings.source, 1)


def _display_root(program: Program, repository: Path) -> str:
    """The repository's path as output shows paths: the Worker root's display path (relative
    to where the command was given) joined with the way up to the repository."""
    import posixpath

    assert program.directory is not None
    up = Path(os.path.relpath(repository, program.directory)).as_posix()
    return posixpath.normpath(posixpath.join(program.root, up))
