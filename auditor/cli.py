"""The command line. Imports stay inside the commands: the pre-commit hook pays for start-up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """`--select KV,CF --select DO` and repeated options alike."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _fail(message: str) -> None:
    click.echo(f"workers-audit: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workers-audit", prog_name="workers-audit")
def main() -> None:
    """Static configuration and cost auditor for Cloudflare Workers projects."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--config", "config", type=click.Path(path_type=Path),
              help="The wrangler file to audit (default: found from PATH, as wrangler does).")
@click.option("--env", "environment", metavar="NAME",
              help="Audit only this environment ('' for the top level).")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the output to FILE instead of standard output.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
              help="Lowest severity that makes the exit code 1 [default: warning].")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rule codes or prefixes (comma-separated).")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Skip these rule codes or prefixes (comma-separated).")
@click.option("--plan", type=click.Choice(["free", "paid"]),
              help="Which plan's limits and prices apply [default: free].")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True)
def check(paths: tuple[Path, ...], config: Path | None, environment: str | None,
          output_format: str, output: Path | None, fail_on: str | None,
          select: tuple[str, ...], ignore: tuple[str, ...], plan: str | None, color: str) -> None:
    """Report findings for the Workers under PATH (default: the current directory).

    Exit status: 0 nothing at or above the fail level, 1 findings at or above it,
    2 a usage error or a configuration that cannot be read.
    """
    from auditor.engine import RuleCrashed, UsageError, audit
    from auditor.formatters import formatter
    from auditor.settings import SettingsError

    overrides: dict[str, Any] = {
        "fail_on": fail_on, "select": _codes(select), "ignore": _codes(ignore), "plan": plan,
        "environment": environment,
    }
    try:
        result = audit(paths or (Path("."),), overrides, config=config)
    except (UsageError, SettingsError) as error:
        _fail(str(error))
    except RuleCrashed as error:
        cause = error.__cause__
        _fail(f"{error}: {type(cause).__name__}: {cause}. This is a bug in workers-audit; "
              f"please report it. `--ignore {error.code}` skips the rule meanwhile")
    if not result.workers and not result.errors:
        where = ", ".join(str(p) for p in paths) or "."
        _fail(f"no wrangler.json, wrangler.jsonc or wrangler.toml found under {where}")
    colour = color == "always" or (color == "auto" and output is None and sys.stdout.isatty())
    text = formatter(output_format)(result, colour=colour)
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            _fail(f"{output}: cannot write: {error.strerror}")
    elif text:
        click.echo(text, nl=False, color=colour)
    if result.unreadable:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if result.failing else EXIT_CLEAN)


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
        return
    click.echo(f"# {rule.code} {rule.name} ({rule.severity.label})\n")
    click.echo((rule.doc or rule.summary).strip())
