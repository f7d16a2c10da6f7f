"""The command line. Imports stay inside the commands: the pre-commit hook pays for start-up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from auditor.baseline import Baseline
    from auditor.cache import FactsCache
    from auditor.findings import Result

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--select KV,CF --select DO` and repeated options alike."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _fail(message: str) -> NoReturn:
    click.echo(f"workers-audit: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workers-audit", prog_name="workers-audit")
def main() -> None:
    """Static configuration and cost auditor for Cloudflare Workers projects."""


# Options shared by the commands that audit Workers.
_paths = click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
_config = click.option("--config", "config", type=click.Path(path_type=Path),
                       help="The wrangler file to audit (default: found from PATH, as wrangler does).")
_env = click.option("--env", "environment", metavar="NAME",
                    help="Audit only this environment ('' for the top level).")
_output = click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                       help="Write the output to FILE instead of standard output.")
_plan = click.option("--plan", type=click.Choice(["free", "paid"]),
                     help="Which plan's limits and prices apply [default: free].")
_color = click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
                      show_default=True)
_no_cache = click.option("--no-cache", is_flag=True,
                         help="Parse every source file: neither read nor write the cache of parsed "
                              "files (WORKERS_AUDIT_CACHE_DIR, else ~/.cache/workers-audit).")


def _facts_cache(no_cache: bool) -> FactsCache | None:
    """The cache of parsed files where the environment puts it, unless `--no-cache`."""
    if no_cache:
        return None
    import os

    from auditor.cache import FactsCache, default_directory

    directory = default_directory(os.environ)
    return FactsCache(directory) if directory is not None else None


def _load_baseline(path: Path | None) -> Baseline | None:
    """The `--baseline` file; one that is missing or not a baseline ends the run (exit 2)."""
    if path is None:
        return None
    from auditor.baseline import Baseline, BaselineError

    try:
        return Baseline.load(path)
    except BaselineError as error:
        _fail(str(error))


def _audit(paths: tuple[Path, ...], config: Path | None, overrides: dict[str, Any],
           estimate: bool = False, baseline: Baseline | None = None,
           cache: FactsCache | None = None) -> Result:
    """Audit the Workers under `paths`; bad input ends the run with exit status 2."""
    from auditor.engine import EstimateCrashed, RuleCrashed, UsageError, audit
    from auditor.settings import SettingsError
    from auditor.suppressions import SuppressionError

    try:
        result = audit(paths or (Path("."),), overrides, config=config, estimate=estimate,
                       baseline=baseline, cache=cache)
    except (UsageError, SettingsError, SuppressionError) as error:
        _fail(str(error))
    except EstimateCrashed as error:
        cause = error.__cause__
        _fail(f"{error}: {type(cause).__name__}: {cause}. This is a bug in workers-audit; "
              "please report it. `check` still reports the findings")
    except RuleCrashed as error:
        cause = error.__cause__
        skip = (f"`--ignore {error.code}`" if not estimate
                else f"`ignore = [\"{error.code}\"]` in workers-audit.toml")
        _fail(f"{error}: {type(cause).__name__}: {cause}. This is a bug in workers-audit; "
              f"please report it. {skip} skips the rule meanwhile")
    if not result.workers and not result.errors:
        where = ", ".join(str(p) for p in paths) or "."
        _fail(f"no wrangler.json, wrangler.jsonc or wrangler.toml found under {where}")
    return result


def _colour(color: str, output: Path | None) -> bool:
    return color == "always" or (color == "auto" and output is None and sys.stdout.isatty())


def _emit(text: str, output: Path | None, colour: bool = False) -> None:
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            _fail(f"{output}: cannot write: {error.strerror}")
    elif text:
        click.echo(text, nl=False, color=colour)


_fail_on = click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
                        help="Lowest severity that makes the exit code 1 [default: warning].")
_select = click.option("--select", multiple=True, metavar="CODES",
                       help="Only these rule codes or prefixes (comma-separated).")
_ignore = click.option("--ignore", multiple=True, metavar="CODES",
                       help="Skip these rule codes or prefixes (comma-separated).")


def _rule_overrides(fail_on: str | None, select: tuple[str, ...], ignore: tuple[str, ...],
                    plan: str | None, environment: str | None) -> dict[str, Any]:
    return {"fail_on": fail_on, "select": _codes(select), "ignore": _codes(ignore), "plan": plan,
            "environment": environment}


def _changed(paths: tuple[Path, ...]) -> tuple[Path, ...]:
    """The Workers the changed files pre-commit passes can change (deleted ones are gone)."""
    from auditor.discover import changed_workers

    existing = [path for path in paths if path.is_file()]
    return tuple(root.config for root in changed_workers(existing))


@main.command()
@_paths
@_config
@_env
@click.option("--format", "output_format",
              type=click.Choice(["text", "json", "sarif", "github", "markdown"]),
              default="text", show_default=True)
@_output
@_fail_on
@_select
@_ignore
@_plan
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Leave out the findings recorded in this file (`workers-audit baseline`).")
@click.option("--changed-files", is_flag=True,
              help="PATHs are changed files, as pre-commit passes them: audit each Worker that "
                   "holds one; none in a Worker is a clean run.")
@click.option("--fix", "fix", is_flag=True,
              help="Apply the safe fixes, checked by a second audit before any file is written; "
                   "report what remains.")
@click.option("--unsafe-fixes", is_flag=True,
              help="Offer the unsafe fixes too: `--fix` and `--diff` apply them; alone, they are "
                   "reported as fixable.")
@click.option("--diff", "diff", is_flag=True,
              help="Print the fixes as a unified diff instead of writing them; exit 1 when there "
                   "is something to fix.")
@_color
@_no_cache
def check(paths: tuple[Path, ...], config: Path | None, environment: str | None,
          output_format: str, output: Path | None, fail_on: str | None,
          select: tuple[str, ...], ignore: tuple[str, ...], plan: str | None,
          baseline: Path | None, changed_files: bool, fix: bool, unsafe_fixes: bool, diff: bool,
          color: str, no_cache: bool) -> None:
    """Report findings for the Workers under PATH (default: the current directory).

    Exit status: 0 nothing at or above the fail level, 1 findings at or above it,
    2 a usage error or a configuration that cannot be read. With `--diff`: 1 when there
    is something to fix, else 0.
    """
    from auditor.formatters import formatter

    if changed_files:
        paths = _changed(paths)
        if not paths:
            sys.exit(EXIT_CLEAN)
    overrides = _rule_overrides(fail_on, select, ignore, plan, environment)
    known = _load_baseline(baseline)
    cache = _facts_cache(no_cache)
    result = _audit(paths, config, overrides, baseline=known, cache=cache)
    if fix or diff or unsafe_fixes:
        from auditor import fix as fixer
        from auditor.engine import audit
        from auditor.formatters.text_format import fix_summary

        mode = "diff" if diff else "fix" if fix else "report"
        result, outcome = fixer.run(
            result, lambda overlay: audit(paths or (Path("."),), overrides, config=config,
                                          baseline=known, overlay=overlay, cache=cache),
            Path.cwd(), unsafe_fixes, mode)
        summary = fix_summary(result) if outcome is not None and (diff or output_format != "text") else []
        if summary:
            click.echo("\n".join(summary), err=True)
        if outcome is not None and diff:
            _emit(fixer.unified_diff(outcome), output)
            sys.exit(EXIT_ERROR if result.unreadable else EXIT_FINDINGS if outcome.changed else EXIT_CLEAN)
    colour = _colour(color, output)
    _emit(formatter(output_format)(result, colour=colour), output, colour)
    if result.unreadable:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.failing else EXIT_CLEAN)


@main.command()
@_paths
@_config
@_env
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True)
@_output
@_plan
@_color
@_no_cache
def estimate(paths: tuple[Path, ...], config: Path | None, environment: str | None,
             output_format: str, output: Path | None, plan: str | None, color: str,
             no_cache: bool) -> None:
    """Estimate daily KV and Durable Object operations and the monthly cost of the Workers
    under PATH, per operation site and trigger, with every assumption stated.

    Exit status: 0, or 2 for a usage error or a configuration that cannot be read. The
    gate on cost is `check` (rules CO001, CO002).
    """
    from auditor.formatters import estimate_formatter

    result = _audit(paths, config, {"plan": plan, "environment": environment}, estimate=True,
                    cache=_facts_cache(no_cache))
    colour = _colour(color, output)
    _emit(estimate_formatter(output_format)(result, colour=colour), output, colour)
    sys.exit(EXIT_ERROR if result.unreadable else EXIT_CLEAN)


@main.command()
@_paths
@_config
@_env
@_plan
@_output
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
              help="Render this jinja2 template instead of the built-in report.")
@_no_cache
def report(paths: tuple[Path, ...], config: Path | None, environment: str | None, plan: str | None,
           output: Path | None, template: Path | None, no_cache: bool) -> None:
    """Write a Markdown audit report of the Workers under PATH: findings with code excerpts,
    recommendations and savings, the estimate, the cost per plan and the limits it breaks.

    Exit status: 0, or 2 for a usage error, a configuration that cannot be read or a
    template that does not render.
    """
    from auditor.formatters.report import TemplateProblem, render_report

    result = _audit(paths, config, {"plan": plan, "environment": environment}, estimate=True,
                    cache=_facts_cache(no_cache))
    try:
        text = render_report(result, template)
    except TemplateProblem as problem:
        _fail(str(problem))
    _emit(text, output)
    sys.exit(EXIT_ERROR if result.unreadable else EXIT_CLEAN)


@main.command("baseline")
@_paths
@_config
@_env
@_select
@_ignore
@_plan
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("workers-audit-baseline.json"), show_default=True,
              help="The baseline file to write.")
@_no_cache
def write_baseline(paths: tuple[Path, ...], config: Path | None, environment: str | None,
                   select: tuple[str, ...], ignore: tuple[str, ...], plan: str | None,
                   output: Path, no_cache: bool) -> None:
    """Record the current findings of the Workers under PATH in a baseline file, so that
    `check --baseline FILE` fails only on findings made after it.

    Run it from the directory `check` runs in: findings are keyed by rule, path, binding and
    the code of the site, with paths relative to that directory.
    """
    from auditor.baseline import dumps

    overrides = _rule_overrides(None, select, ignore, plan, environment)
    result = _audit(paths, config, overrides, cache=_facts_cache(no_cache))
    if result.unreadable:
        _fail("a configuration could not be read; fix it before writing a baseline")
    _emit(dumps(result.findings), output)
    count = len(result.findings)
    click.echo(f"Wrote {count} finding{'s' if count != 1 else ''} to {output}.", err=True)


@main.command("rules")
def list_rules() -> None:
    """List every rule: code, name, default severity and summary."""
    from auditor.rules import RULES

    width = max(len(rule.name) for rule in RULES)
    for rule in RULES:
        click.echo(f"{rule.code}  {rule.name:<{width}}  {rule.severity.label:<7}  {rule.summary}")


@main.command("rule")
@click.argument("code")
def explain_rule(code: str) -> None:
    """Explain one rule: what it flags, why, and what to write instead."""
    from auditor.rules import BY_CODE

    rule = BY_CODE.get(code.upper())
    if rule is None:
        _fail(f"unknown rule `{code}`; `workers-audit rules` lists them")
    click.echo(f"# {rule.code} {rule.name} ({rule.severity.label})\n")
    click.echo((rule.doc or rule.summary).strip())


def _increases(_context: click.Context, _parameter: click.Parameter,
               values: tuple[str, ...]) -> tuple[Any, ...]:
    """`--fail-on-increase kv-writes=1000`, checked before anything runs (a bad one exits 2)."""
    from auditor.diff import parse_threshold

    try:
        return tuple(parse_threshold(value) for value in values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@main.command("diff")
@_paths
@click.option("--base", "ref", required=True, metavar="REF",
              help="The branch the pull request merges into (`origin/main`); compared at its merge "
                   "base with HEAD, as the pull request's diff is.")
@_config
@_env
@click.option("--format", "output_format", type=click.Choice(["markdown", "text", "json"]),
              default="markdown", show_default=True)
@_output
@_fail_on
@_select
@_ignore
@_plan
@click.option("--fail-on-increase", "increases", multiple=True, metavar="METRIC=N", callback=_increases,
              help="Exit 1 when the change raises METRIC (listed above) by more than N; N=0: any "
                   "increase. Repeatable.")
@_color
@_no_cache
def diff_command(paths: tuple[Path, ...], ref: str, config: Path | None, environment: str | None,
                 output_format: str, output: Path | None, fail_on: str | None,
                 select: tuple[str, ...], ignore: tuple[str, ...], plan: str | None,
                 increases: tuple[Any, ...], color: str, no_cache: bool) -> None:
    """Compare the Workers under PATH in the working tree with the base of a pull request:
    new and fixed findings, and the change in estimated daily operations and monthly cost.
    The default output is a Markdown comment for the pull request.

    The base revision is read from git into a temporary directory; the repository's work
    tree, index and HEAD are left alone.

    \b
    --fail-on-increase metrics, summed over the Workers:
      kv-reads, kv-writes, kv-deletes, kv-lists, do-requests,
      do-rows-read, do-rows-written, workers-requests   a day (the busiest day's max)
      monthly-usd                                      a month, on each Worker's plan

    Exit status: 0 no new finding at or above the fail level and no threshold exceeded,
    1 otherwise, 2 a usage error, a ref or history git does not have, or a configuration
    in the working tree that cannot be read.
    """
    from auditor.diff import DiffError, run
    from auditor.formatters import diff_format

    overrides = _rule_overrides(fail_on, select, ignore, plan, environment)
    try:
        compared = run(ref, paths, config, overrides, increases, cache=_facts_cache(no_cache))
    except DiffError as error:
        _fail(str(error))
    colour = output_format == "text" and _colour(color, output)
    if output_format == "json":
        text = diff_format.render_json(compared)
    elif output_format == "text":
        text = diff_format.render_text(compared, colour=colour)
    else:
        text = diff_format.render_markdown(compared)
    _emit(text, output, colour)
    if compared.unreadable:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if compared.failed else EXIT_CLEAN)
