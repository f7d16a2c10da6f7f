"""The command line. Imports stay inside the commands: the pre-commit hook pays for start-up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
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


def _audit(paths: tuple[Path, ...], config: Path | None, overrides: dict[str, Any],
           estimate: bool = False) -> Result:
    """Audit the Workers under `paths`; bad input ends the run with exit status 2."""
    from auditor.engine import EstimateCrashed, RuleCrashed, UsageError, audit
    from auditor.settings import SettingsError

    try:
        result = audit(paths or (Path("."),), overrides, config=config, estimate=estimate)
    except (UsageError, SettingsError) as error:
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


@main.command()
@_paths
@_config
@_env
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@_output
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rule codes or prefixes (comma-separated).")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Skip these rule codes or prefixes (comma-separated).")
@_plan
@_color
def check(paths: tuple[Path, ...], config: Path | None, environment: str | None,
          output_format: str, output: Path | None, fail_on: str | None,
          select: tuple[str, ...], ignore: tuple[str, ...], plan: str | None, color: str) -> None:
    """Report findings for the Workers under PATH (default: the current directory).

    Exit status: 0 nothing at or above the fail level, 1 findings at or above it,
    2 a usage error or a configuration that cannot be read.
    """
    from auditor.formatters import formatter

    overrides: dict[str, Any] = {
        "fail_on": fail_on, "select": _codes(select), "ignore": _codes(ignore), "plan": plan,
        "environment": environment,
    }
    result = _audit(paths, config, overrides)
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
def estimate(paths: tuple[Path, ...], config: Path | None, environment: str | None,
             output_format: str, output: Path | None, plan: str | None, color: str) -> None:
    """Estimate daily KV and Durable Object operations and the monthly cost of the Workers
    under PATH, per operation site and trigger, with every assumption stated.

    Exit status: 0, or 2 for a usage error or a configuration that cannot be read. The
    gate on cost is `check` (rules CO001, CO002).
    """
    from auditor.formatters import estimate_formatter

    result = _audit(paths, config, {"plan": plan, "environment": environment}, estimate=True)
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
def report(paths: tuple[Path, ...], config: Path | None, environment: str | None, plan: str | None,
           output: Path | None, template: Path | None) -> None:
    """Write a Markdown audit report of the Workers under PATH: findings with code excerpts,
    recommendations and savings, the estimate, the cost per plan and the limits it breaks.

    Exit status: 0, or 2 for a usage error, a configuration that cannot be read or a
    template that does not render.
    """
    from auditor.formatters.report import TemplateProblem, render_report

    result = _audit(paths, config, {"plan": plan, "environment": environment}, estimate=True)
    try:
        text = render_report(result, template)
    except TemplateProblem as problem:
        _fail(str(problem))
    _emit(text, output)
    sys.exit(EXIT_ERROR if result.unreadable else EXIT_CLEAN)


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
