"""GitHub Actions workflow commands: an `::error`, `::warning` or `::notice` annotation per
finding and per file that could not be read, shown on the pull request's diff."""

from __future__ import annotations

from auditor.findings import Finding, Location, Result, Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """The message, escaped as @actions/core's `escapeData`: `%` first, or the runner would
    decode a literal `%0A` in the text as a line break."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value, escaped as @actions/core's `escapeProperty`: `:` and `,` end a value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: list[tuple[str, str | int | None]], message: str) -> str:
    given = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties
                     if value is not None)
    return f"::{name}{' ' + given if given else ''}::{escape_data(message)}"


def _position(location: Location) -> list[tuple[str, str | int | None]]:
    if location.line < 1:
        return [("file", location.path)]
    end_line = location.end_line if location.end_line is not None else location.line
    position: list[tuple[str, str | int | None]] = [
        ("file", location.path), ("line", location.line), ("endLine", end_line)]
    if end_line == location.line:  # GitHub takes columns only on a one-line annotation
        position += [("col", location.column), ("endColumn", location.end_column)]
    return position


def _annotation(finding: Finding) -> str:
    lines = [finding.message]
    lines += [f"{r.location.path}:{r.location.line}:{r.location.column}: {r.message}"
              for r in finding.related]
    return command(COMMANDS[finding.severity],
                   [*_position(finding.location), ("title", f"{finding.rule} {finding.name}")],
                   "\n".join(lines))


def render(result: Result, colour: bool = False, **_: object) -> str:
    # Suppressed and baselined findings are left out: they are what the team chose not to see.
    lines = []
    # An unreadable configuration is also a CF007 finding; one annotation is enough.
    reported = {(f.location.path, f.location.line) for f in result.findings if f.rule == "CF007"}
    for error in result.errors:
        if (error.path, error.line) not in reported:
            where = Location(error.path, error.line, error.column)
            lines.append(command("error", [*_position(where), ("title", "workers-audit")],
                                 error.message))
    lines += [_annotation(finding) for finding in result.findings]
    return "\n".join(lines) + ("\n" if lines else "")
