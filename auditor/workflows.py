"""GitHub Actions schedules that call a Worker: one record per cron and HTTP call in a workflow.

Teams on the free plan (five cron triggers per account) often schedule a Worker from GitHub
Actions instead: a workflow with `on: schedule: - cron: "*/10 * * * *"` whose steps call one of
the Worker's routes with curl. Those requests count against the Worker's daily limit as any
other, at the workflow's pace. This module reads `.github/workflows/*.yml` and `*.yaml` and
extracts, per cron and per call, the schedule (the cron read as POSIX cron, as GitHub does), the
method, the URL and its path. It never runs anything and never uses the network; matching the
paths to the Worker's routes is the caller's.

What it reads:
- `run:` scripts, split the way a shell would split them (quotes, `\\` line continuations,
  comments, `$(...)`, redirections, heredocs): curl, wget and httpie (`http`, `https`, `xh`) in
  full, `Invoke-WebRequest`/`Invoke-RestMethod` in PowerShell (`shell: pwsh`, Windows runners).
- Any script, `actions/github-script`'s `script` included: `fetch(`, `axios.get(`, python's
  `requests.post(`, `httpx.get(`, `urlopen(` with a literal first argument (`node -e`,
  `python -c`, heredocs, `shell: python`).
- `fjogeleit/http-request-action` (`with: url`, `method`, POST by default).
- A job or step whose `if:` cannot be true for a scheduled run (`github.event_name ==
  'workflow_dispatch'`, `github.event_name != 'schedule'`, `github.event.schedule == '<another
  cron>'`, `failure()`) is left out; a condition we cannot decide counts, since most guard
  something else (the repository, a branch).
- A URL that starts with a variable or an expression (`$WORKER_URL/api/refresh`, `${{
  secrets.WORKER_URL }}/api/refresh`) has that prefix stand for the origin: the path is
  `/api/refresh`. A variable set in `env:` or assigned earlier in the script is put in first.
  A URL that is only a variable has no path (None).

What it leaves: reusable workflows (`jobs.<id>.uses`), composite and other actions, scripts in
files (`run: ./ping.sh`), matrices (a `${{ matrix.x }}` stays in the path as written, and a job
that runs once per combination is counted once). GitHub runs a schedule at most every five
minutes and may delay or drop runs when busy, so `schedule` (what the cron asks for) is an
upper bound.
"""

from __future__ import annotations

import bisect
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditor.cron import CronError, CronExpression, Schedule, parse, schedule

# PyYAML nodes (yaml.nodes.Node), kept as Any: yaml is imported only when workflows are read.
Node = Any


@dataclass(frozen=True)
class ExternalSchedule:
    """One HTTP call that one cron of a workflow makes."""

    workflow: str  # display path of the workflow file
    line: int  # the line of the `cron:`
    cron: str
    schedule: Schedule  # the cron evaluated as POSIX cron
    method: str  # GET, POST, … as the tool sends it; as written when it is a variable
    url: str  # as written, quotes removed
    path: str | None  # the URL's path (`/api/refresh`); None when the URL is only a variable
    job: str  # the job's id (its key under `jobs:`)
    step: str  # the step's name, else its `uses`, else "Run <first line>" as GitHub shows it
    tool: str  # curl, wget, httpie, xh, Invoke-WebRequest, fetch, axios, requests, …
    call_line: int  # the line of the call in the workflow file


@dataclass(frozen=True)
class WorkflowProblem:
    path: str
    line: int
    message: str


def external_schedules(repo_root: Path, display_root: str,
                       ) -> tuple[list[ExternalSchedule], list[WorkflowProblem]]:
    """The scheduled HTTP calls in `repo_root`'s workflows, and what could not be read.

    `display_root` is how the user sees `repo_root` (`""` or `.` for the working directory);
    workflow paths in the results are joined to it. Never raises for a workflow's content.
    """
    import yaml  # not at import time: only an audit that reads workflows pays for it

    directory = repo_root / ".github" / "workflows"
    try:
        files = sorted(p for p in directory.iterdir()
                       if p.suffix in (".yml", ".yaml") and p.is_file())
    except OSError:
        return [], []
    schedules: list[ExternalSchedule] = []
    problems: list[WorkflowProblem] = []
    for file in files:
        shown = _display(display_root, file.relative_to(repo_root).as_posix())
        try:
            text = file.read_text(encoding="utf-8")
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except (OSError, UnicodeDecodeError) as error:
            problems.append(WorkflowProblem(shown, 1, f"workflow cannot be read: {error}"))
            continue
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            reason = getattr(error, "problem", None) or str(error).splitlines()[0]
            line = mark.line + 1 if mark is not None else 1
            problems.append(WorkflowProblem(shown, line, f"workflow is not valid YAML: {reason}"))
            continue
        except RecursionError:
            problems.append(WorkflowProblem(shown, 1, "workflow is nested too deeply to read"))
            continue
        if root is not None:
            _workflow(root, text, shown, schedules, problems)
    return schedules, problems


def _display(root: str, relative: str) -> str:
    return relative if root in ("", ".") else posixpath.join(root, relative)


# YAML nodes: `id` is "scalar", "sequence" or "mapping"; marks count lines from 0.

def _scalar(node: Node | None) -> str | None:
    return node.value if node is not None and node.id == "scalar" else None


def _items(node: Node | None) -> list[tuple[Node, Node]]:
    return list(node.value) if node is not None and node.id == "mapping" else []


def _sequence(node: Node | None) -> list[Node]:
    return list(node.value) if node is not None and node.id == "sequence" else []


def _get(node: Node | None, key: str) -> Node | None:
    found = None
    for name, value in _items(node):
        if _scalar(name) == key:  # `on` stays the text "on" in nodes (YAML 1.1 reads it as true)
            found = value
    return found


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _env(node: Node | None) -> dict[str, str]:
    return {name: value for key, node_value in _items(node)
            if (name := _scalar(key)) is not None and (value := _scalar(node_value)) is not None}


@dataclass(frozen=True)
class _Call:
    tool: str
    method: str
    url: str
    path: str | None
    line: int


@dataclass(frozen=True)
class _Cron:
    text: str
    line: int
    expression: CronExpression


def _crons(root: Node, shown: str, problems: list[WorkflowProblem]) -> list[_Cron]:
    crons: list[_Cron] = []
    for entry in _sequence(_get(_get(root, "on"), "schedule")):
        node = _get(entry, "cron")
        text = _scalar(node)
        if node is None or text is None:
            problems.append(WorkflowProblem(shown, _line(entry), "schedule entry has no `cron` string"))
            continue
        try:
            crons.append(_Cron(text, _line(node), parse(text, dialect="posix")))
        except CronError as error:
            problems.append(WorkflowProblem(shown, _line(node), error.message))
    return crons


def _workflow(root: Node, text: str, shown: str, schedules: list[ExternalSchedule],
              problems: list[WorkflowProblem]) -> None:
    crons = _crons(root, shown, problems)
    if not crons:
        return
    env = _env(_get(root, "env"))
    shell = _scalar(_get(_get(_get(root, "defaults"), "run"), "shell"))
    for job_key, job in _items(_get(root, "jobs")):
        job_id = _scalar(job_key) or "?"
        if _get(job, "uses") is not None:
            continue  # a reusable workflow: not followed
        job_env = {**env, **_env(_get(job, "env"))}
        job_shell = _scalar(_get(_get(_get(job, "defaults"), "run"), "shell")) or shell
        if job_shell is None:  # GitHub's default: bash, or pwsh on Windows runners
            runner = _scalar(_get(job, "runs-on")) or " ".join(
                _scalar(label) or "" for label in _sequence(_get(job, "runs-on")))
            job_shell = "pwsh" if "windows" in runner.lower() else "bash"
        for step in _sequence(_get(job, "steps")):
            step_env = {**job_env, **_env(_get(step, "env"))}
            calls = _step_calls(step, text, step_env, _scalar(_get(step, "shell")) or job_shell)
            name = _step_name(step)
            for cron in crons:
                if calls and _may_run(_get(job, "if"), cron.text) and _may_run(_get(step, "if"), cron.text):
                    schedules.extend(
                        ExternalSchedule(shown, cron.line, cron.text, schedule(cron.expression),
                                         call.method, call.url, call.path, job_id, name, call.tool,
                                         call.line)
                        for call in calls)


def _step_name(step: Node) -> str:
    name = _scalar(_get(step, "name")) or _scalar(_get(step, "uses"))
    if name:
        return name
    run = (_scalar(_get(step, "run")) or "").strip()
    first = run.splitlines()[0] if run else ""
    return f"Run {first[:80]}"


def _step_calls(step: Node, text: str, env: dict[str, str], shell: str) -> list[_Call]:
    uses = _scalar(_get(step, "uses")) or ""
    action = uses.split("@")[0].lower()
    inputs = _get(step, "with")
    if action == "fjogeleit/http-request-action":
        url_node = _get(inputs, "url")
        url = _scalar(url_node)
        if url_node is None or url is None:
            return []
        method = (_scalar(_get(inputs, "method")) or "POST").upper()  # the action's default
        expressions = _Markers()
        return [_Call("http-request-action", method, url, _url_path(expressions.protect(url),
                                                                   expressions), _line(url_node))]
    if action == "actions/github-script":
        return _script_calls(_get(inputs, "script"), text, env, "node")
    return _script_calls(_get(step, "run"), text, env, shell)


def _script_calls(node: Node | None, text: str, env: dict[str, str], shell: str) -> list[_Call]:
    script = _scalar(node)
    if node is None or script is None:
        return []
    program = shell.split()[0].lower() if shell.strip() else "bash"
    calls: list[_Call] = []
    if program not in ("python", "python3", "node"):
        calls.extend(_shell_calls(script, env, pwsh=program in ("pwsh", "powershell")))
    calls.extend(_code_calls(script))
    return sorted((_place(call, node, text) for call in calls), key=lambda c: c.line)


def _place(call: _Call, node: Node, text: str) -> _Call:
    """Turn the call's line in the script (0 for the first) into a line of the workflow file."""
    if node.style == "|":  # a literal block keeps its lines: content starts below the `|`
        line = int(node.start_mark.line) + 2 + call.line
    else:  # folded or flow scalars join lines: find the URL in the source instead
        source = text[node.start_mark.index:node.end_mark.index]
        at = source.find(call.url) if call.url else -1
        line = _line(node) + (source.count("\n", 0, at) if at >= 0 else 0)
    return _Call(call.tool, call.method, call.url, call.path, line)


# `if:` conditions, read with three values: true, false, or unknown (`_UNKNOWN`). Only a
# condition that is false for a scheduled run of this cron leaves the job or step out.

class _Unknown:
    pass


_UNKNOWN = _Unknown()
Value = str | float | bool | None | _Unknown

_CONDITION_TOKEN = re.compile(r"""\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>\d+(?:\.\d+)?)
    |(?P<op>==|!=|<=|>=|&&|\|\||[()!<>,\[\]])|(?P<name>[A-Za-z_][\w.\-*]*))""", re.VERBOSE)
_STATUS = {"always": True, "success": True, "failure": False, "cancelled": False}


def _may_run(node: Node | None, cron: str) -> bool:
    """Whether the `if:` can be true when `cron` triggers the workflow (yes when unsure)."""
    condition = _scalar(node)
    if condition is None:
        return True
    condition = condition.strip()
    if condition.startswith("${{") and condition.endswith("}}"):
        condition = condition[3:-2]
    if "${{" in condition:
        return True
    try:
        result = _Condition(condition, cron).parse()
    except (ValueError, IndexError, RecursionError):
        return True
    return _truth(result) is not False


def _truth(value: Value) -> bool | None:
    if isinstance(value, _Unknown):
        return None
    return bool(value)


class _Condition:
    """A recursive-descent reader of GitHub's expression syntax, evaluated as it goes."""

    def __init__(self, text: str, cron: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while text[position:].strip():
            match = _CONDITION_TOKEN.match(text, position)
            if match is None or match.lastgroup is None:
                raise ValueError(text)
            self.tokens.append((match.lastgroup, match.group(match.lastgroup)))
            position = match.end()
        self.index = 0
        self.context: dict[str, Value] = {"github.event_name": "schedule",
                                          "github.event.schedule": cron}

    def parse(self) -> Value:
        value = self._or()
        if self.index != len(self.tokens):
            raise ValueError("trailing tokens")
        return value

    def _peek(self) -> str:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else ""

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        token = self.tokens[self.index]
        if expected is not None and token[1] != expected:
            raise ValueError(f"expected {expected}")
        self.index += 1
        return token

    def _or(self) -> Value:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            truths = (_truth(value), _truth(right))
            value = True if True in truths else False if truths == (False, False) else _UNKNOWN
        return value

    def _and(self) -> Value:
        value = self._not()
        while self._peek() == "&&":
            self._take()
            right = self._not()
            truths = (_truth(value), _truth(right))
            value = False if False in truths else True if truths == (True, True) else _UNKNOWN
        return value

    def _not(self) -> Value:
        if self._peek() == "!":
            self._take()
            truth = _truth(self._not())
            return _UNKNOWN if truth is None else not truth
        return self._comparison()

    def _comparison(self) -> Value:
        left = self._primary()
        operator = self._peek()
        if operator not in ("==", "!=", "<", "<=", ">", ">="):
            return left
        self._take()
        right = self._primary()
        if operator not in ("==", "!=") or isinstance(left, _Unknown) or isinstance(right, _Unknown):
            return _UNKNOWN
        if isinstance(left, str) and isinstance(right, str):
            equal = left.lower() == right.lower()  # GitHub compares strings ignoring case
        elif type(left) is type(right):
            equal = left == right
        else:
            return _UNKNOWN
        return equal if operator == "==" else not equal

    def _primary(self) -> Value:
        kind, text = self._take()
        if text == "(" and kind == "op":
            value = self._or()
            self._take(")")
            return value
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return float(text)
        if kind != "name":
            raise ValueError(f"unexpected {text}")
        if self._peek() == "(":
            return self._call(text.lower())
        name = text.lower()
        while self._peek() == "[":  # github.event['schedule']
            self._take()
            key = self._or()
            self._take("]")
            name = f"{name}.{key.lower()}" if isinstance(key, str) else "?"
        literals: dict[str, Value] = {"true": True, "false": False, "null": None}
        if name in literals:
            return literals[name]
        return self.context.get(name, _UNKNOWN)

    def _call(self, function: str) -> Value:
        self._take("(")
        arguments: list[Value] = []
        while self._peek() != ")":
            arguments.append(self._or())
            if self._peek() == ",":
                self._take()
        self._take(")")
        if function in _STATUS and not arguments:
            return _STATUS[function]
        texts = [a for a in arguments if isinstance(a, str)]
        if function in ("contains", "startswith", "endswith") and len(texts) == len(arguments) == 2:
            whole, part = texts[0].lower(), texts[1].lower()
            return {"contains": part in whole, "startswith": whole.startswith(part),
                    "endswith": whole.endswith(part)}[function]
        return _UNKNOWN


# URLs and paths. Text from scripts keeps the parts that are not known as markers: GitHub
# expressions (`${{ … }}`, put in before the shell runs), command substitutions and, in code,
# expressions other than string literals. A marker is `\x00n\x00`, `n` an index into `_Markers`.

_MARKER = re.compile(r"\x00(\d+)\x00")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_VARIABLE = re.compile(r"\x00\d+\x00|\$\{[^}]*\}|\$env:\w+|\$\w+|%\w+%", re.IGNORECASE)
_HOST = re.compile(r"(?:(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|[\w-]+(?:\.[\w-]+)*\.([A-Za-z]{2,}))(?::\d+)?"
                   r"|:\d+)([/?#]|$)")
# `out.json`, `ping.sh`: a file name where a host name could stand, unless a path follows.
_FILE_SUFFIXES = frozenset({
    "json", "txt", "log", "sh", "yml", "yaml", "xml", "html", "csv", "md", "js", "ts", "py", "gz",
    "zip", "tar", "out", "tmp", "env",
})


@dataclass
class _Markers:
    texts: list[str] = field(default_factory=list)

    def add(self, text: str) -> str:
        self.texts.append(text)
        return f"\x00{len(self.texts) - 1}\x00"

    def protect(self, text: str) -> str:
        """Replace the GitHub expressions in `text` by markers."""
        return re.sub(r"\$\{\{.*?\}\}", lambda m: self.add(m.group(0)), text, flags=re.DOTALL)

    def restore(self, text: str) -> str:
        for _ in range(8):  # markers inside markers (a substitution that holds an expression)
            if "\x00" not in text:
                break
            text = _MARKER.sub(self._text, text)
        return text

    def _text(self, match: re.Match[str]) -> str:
        index = int(match.group(1))  # a script may hold NUL bytes of its own ("\0" in YAML)
        return self.texts[index] if index < len(self.texts) else match.group(0)


def _looks_like_url(text: str) -> bool:
    if _SCHEME.match(text) or _VARIABLE.match(text):
        return True
    host = _HOST.match(text)
    if host is None:
        return False
    suffix, after = host.group(1), host.group(2)
    return not (suffix and suffix.lower() in _FILE_SUFFIXES and not after)


def _url_path(text: str, markers: _Markers) -> str | None:
    """The path of a URL (markers in, as written out), without query or fragment.

    A leading variable or expression stands for the origin; a URL that is nothing else has no
    path we can know.
    """
    scheme = _SCHEME.match(text)
    if scheme:
        rest = text[scheme.end():]
        cut = re.search(r"[/?#]", rest)
        path = rest[cut.start():] if cut and cut.group() == "/" else "/"
    elif _VARIABLE.match(text):
        rest = text
        while (prefix := _VARIABLE.match(rest)) and prefix.end() > 0:
            rest = rest[prefix.end():]
        if not rest or rest[0] in "?#":
            return None
        slash = rest.find("/")
        path = rest[slash:] if slash >= 0 else "/"  # `${{ secrets.HOST }}.workers.dev/api`
    else:
        slash = text.find("/")
        path = text[slash:] if slash >= 0 else "/"
    return markers.restore(re.split(r"[?#]", path, maxsplit=1)[0] or "/")


def _resolve(text: str, variables: dict[str, str], fold: bool) -> str:
    """Put in a leading `$NAME` or `${NAME}` whose value the workflow or the script sets.

    `fold`: names ignore case (PowerShell, where `$env:NAME` reads the environment).
    """
    for _ in range(4):
        match = re.match(r"\$\{(\w+)\}|\$(?:env:)?(\w+)", text, re.IGNORECASE)
        name = (match.group(1) or match.group(2)) if match else ""
        key = name.lower() if fold else name
        if match is None or key not in variables:
            break
        text = variables[key] + text[match.end():]
    return text


# Shell scripts. `_Lexer` splits a script into words and operators the way bash does for what
# matters here; commands are then read option by option for each HTTP tool.

@dataclass(frozen=True)
class _Word:
    text: str  # quotes removed; substitutions and expressions as markers
    offset: int  # where it starts in the script
    op: bool = False  # a control operator (`;`, `&&`, `|`, newline …): a command ends


_MAX_DEPTH = 20  # nested `$(…)`; deeper ones stay text


class _Lexer:
    def __init__(self, script: str, markers: _Markers, pwsh: bool) -> None:
        self.text = script
        self.markers = markers
        self.pwsh = pwsh
        self.escape = "`" if pwsh else "\\"
        self.position = 0
        self.streams: list[list[_Word]] = []  # the script, then each substitution

    def read(self) -> list[list[_Word]]:
        self.streams.append(self._stream("", 0))
        return self.streams

    def _stream(self, stop: str, depth: int) -> list[_Word]:
        text = self.text
        words: list[_Word] = []
        buffer: list[str] | None = None
        start = self.position
        drop_next = False  # the next word is a redirection's file
        heredocs: list[tuple[str, bool]] = []
        parentheses = 0

        def flush() -> None:
            nonlocal buffer, drop_next
            if buffer is not None:
                if drop_next:
                    drop_next = False
                else:
                    words.append(_Word("".join(buffer), start))
                buffer = None

        def begin() -> list[str]:
            nonlocal buffer, start
            if buffer is None:
                buffer, start = [], self.position
            return buffer

        while self.position < len(text):
            char = text[self.position]
            if stop and char == stop and not parentheses:
                flush()
                self.position += 1
                return words
            if char == self.escape:
                following = text[self.position + 1:self.position + 2]
                if following != "\n":
                    begin().append(following)
                self.position += 2  # `\` and a newline: the line goes on
            elif char in " \t\r":
                flush()
                self.position += 1
            elif char == "\n":
                flush()
                words.append(_Word(";", self.position, op=True))
                self.position += 1
                for delimiter, tabs in heredocs:
                    self._skip_heredoc(delimiter, tabs)
                heredocs.clear()
            elif char == "#" and buffer is None:
                end = text.find("\n", self.position)
                self.position = len(text) if end < 0 else end
            elif char == "'":
                end = text.find("'", self.position + 1)
                end = len(text) if end < 0 else end
                begin().append(text[self.position + 1:end])
                self.position = end + 1
            elif char == '"':
                self._double_quoted(begin(), depth)
            elif text.startswith("$(", self.position) and depth < _MAX_DEPTH:
                begin().append(self._substitution(")", depth))
            elif text.startswith("${", self.position):
                end = text.find("}", self.position)
                end = len(text) if end < 0 else end + 1
                begin().append(text[self.position:end])
                self.position = end
            elif char == "`" and depth < _MAX_DEPTH:  # in bash; in pwsh it is the escape
                begin().append(self._substitution("`", depth))
            elif char in "<>":
                if buffer is not None and "".join(buffer).isdigit():
                    buffer = None  # `2>`: a file descriptor, not a word
                flush()
                drop_next = self._redirection(heredocs)
            elif char in ";&|()":
                flush()
                pair = text[self.position:self.position + 2]
                if pair in ("&>",):
                    self.position += 3 if text.startswith("&>>", self.position) else 2
                    drop_next = True
                    continue
                symbol = pair if pair in ("&&", "||", ";;", "|&") else char
                if char == "(":
                    parentheses += 1
                elif char == ")" and parentheses:
                    parentheses -= 1
                words.append(_Word(symbol, self.position, op=True))
                self.position += len(symbol)
            else:
                begin().append(char)
                self.position += 1
        flush()
        return words

    def _double_quoted(self, buffer: list[str], depth: int) -> None:
        text = self.text
        self.position += 1
        while self.position < len(text):
            char = text[self.position]
            if char == '"':
                self.position += 1
                return
            if char == self.escape:
                following = text[self.position + 1:self.position + 2]
                if following == "\n":
                    pass
                elif self.pwsh or following in '"\\$`':
                    buffer.append(following)
                else:
                    buffer.append(char + following)
                self.position += 2
            elif text.startswith("$(", self.position) and depth < _MAX_DEPTH:
                buffer.append(self._substitution(")", depth))
            elif char == "`" and depth < _MAX_DEPTH:
                buffer.append(self._substitution("`", depth))
            else:
                buffer.append(char)
                self.position += 1

    def _substitution(self, stop: str, depth: int) -> str:
        """Read `$(…)` or a backquoted command as a stream of its own; a marker stands in."""
        begin = self.position
        self.position += 2 if stop == ")" else 1
        self.streams.append(self._stream(stop, depth + 1))
        return self.markers.add(self.text[begin:self.position])

    def _redirection(self, heredocs: list[tuple[str, bool]]) -> bool:
        """Step over a redirection operator; whether a file name follows it."""
        text = self.text
        if text.startswith("<<<", self.position):
            self.position += 3
            return True
        if text.startswith("<<", self.position):
            self.position += 2
            tabs = text.startswith("-", self.position)
            self.position += tabs
            while text[self.position:self.position + 1] in (" ", "\t"):
                self.position += 1
            match = re.compile(r"""(?:'([^']*)'|"([^"]*)"|([^\s;&|<>()]+))""").match(text, self.position)
            if match:
                heredocs.append((next(g for g in match.groups() if g is not None), tabs))
                self.position = match.end()
            return False
        self.position += 1
        if text[self.position:self.position + 1] in (">", "|"):
            self.position += 1
        if text[self.position:self.position + 1] == "&":  # `>&2`: a descriptor, no file
            self.position += 1
            while self.position < len(text) and (text[self.position].isdigit() or text[self.position] == "-"):
                self.position += 1
            return False
        return True

    def _skip_heredoc(self, delimiter: str, tabs: bool) -> None:
        text = self.text
        while self.position < len(text):
            end = text.find("\n", self.position)
            end = len(text) if end < 0 else end
            line = text[self.position:end].rstrip("\r")
            self.position = end + 1
            if (line.lstrip("\t") if tabs else line) == delimiter:
                return
        self.position = len(text)


def _shell_calls(script: str, env: dict[str, str], pwsh: bool) -> list[_Call]:
    """The HTTP calls of a shell script; `line` holds each call's offset in the script."""
    markers = _Markers()
    protected = markers.protect(script)
    newlines = [match.start() for match in re.finditer("\n", protected)]
    streams = _Lexer(protected, markers, pwsh).read()
    commands = sorted((command for stream in streams for command in _split(stream)),
                      key=lambda command: command[0].offset)
    variables = {name.lower() if pwsh else name: markers.protect(value) for name, value in env.items()}
    calls: list[_Call] = []
    for command in commands:
        if _assignments(command, variables, pwsh):
            continue
        words = _strip_prefixes(command)
        if not words:
            continue
        program = posixpath.basename(markers.restore(words[0].text).replace("\\", "/")).lower()
        program = program.removesuffix(".exe")
        reader = _TOOLS.get(program)
        if reader is None:
            continue
        tool = _TOOL_NAMES.get(program, program)
        line = bisect.bisect_left(newlines, words[0].offset)  # where the command starts
        requests = reader(words[1:])
        if len(requests) > 1:  # `curl $CURL_OPTS "$URL"`: a lone variable beside a URL is options
            requests = [r for r in requests if not _VARIABLE.fullmatch(_resolve(r[1].text, variables, pwsh))]
        for method, url in requests:
            calls.append(_Call(tool, markers.restore(method), markers.restore(url.text),
                               _url_path(_resolve(url.text, variables, pwsh), markers), line))
    return calls


def _split(stream: list[_Word]) -> Iterator[list[_Word]]:
    command: list[_Word] = []
    for word in stream:
        if word.op:
            if command:
                yield command
            command = []
        else:
            command.append(word)
    if command:
        yield command


_ASSIGNMENT = re.compile(r"([A-Za-z_]\w*)=(.*)", re.DOTALL)


def _assignments(command: list[_Word], variables: dict[str, str], pwsh: bool) -> bool:
    """Record `NAME=value` (`export NAME=value`; `$name = value` in pwsh); whether it was one."""
    if pwsh:
        if len(command) == 3 and command[1].text == "=" and command[0].text.startswith("$"):
            variables[command[0].text[1:].lower().removeprefix("env:")] = command[2].text
            return True
        return False
    words = command[1:] if command[0].text in ("export", "declare", "local", "readonly") else command
    matches = [_ASSIGNMENT.fullmatch(word.text) for word in words]
    if not words or not all(matches):
        return False
    for match in matches:
        assert match is not None
        if match.group(2):
            variables[match.group(1)] = match.group(2)
    return True


_PREFIXES = frozenset({"sudo", "time", "exec", "command", "nohup", "then", "do", "else", "elif", "if",
                       "while", "until", "!", "{", "env", "xargs", "timeout", "retry"})


def _strip_prefixes(command: list[_Word]) -> list[_Word]:
    """The command without leading assignments and wrappers (`sudo -E`, `timeout 30`, `if`)."""
    words = list(command)
    while words:
        head = words[0].text
        if _ASSIGNMENT.fullmatch(head):
            words.pop(0)
        elif head in _PREFIXES:
            words.pop(0)
            while words and words[0].text.startswith("-") and len(words[0].text) > 1:
                words.pop(0)
            if head == "timeout" and words and words[0].text[:1].isdigit():
                words.pop(0)
        else:
            break
    return words


Request = tuple[str, _Word]  # (method, URL word)

# curl: the options that take a value (curl has no `--name=value` form).
_CURL_SHORT_VALUES = frozenset("AbcCdDeEFHKmoPQrtTuUwxXyYz")
_CURL_LONG_VALUES = frozenset({
    "--abstract-unix-socket", "--alt-svc", "--aws-sigv4", "--cacert", "--capath", "--cert",
    "--cert-type", "--ciphers", "--config", "--connect-timeout", "--connect-to", "--continue-at",
    "--cookie", "--cookie-jar", "--create-file-mode", "--crlfile", "--curves", "--data", "--data-ascii",
    "--data-binary", "--data-raw", "--data-urlencode", "--delegation", "--dns-interface",
    "--dns-ipv4-addr", "--dns-ipv6-addr", "--dns-servers", "--doh-url", "--dump-header", "--ech",
    "--egd-file", "--engine", "--etag-compare", "--etag-save", "--expect100-timeout", "--form",
    "--form-string", "--ftp-account", "--ftp-alternative-to-user", "--ftp-method", "--ftp-port",
    "--ftp-ssl-ccc-mode", "--happy-eyeballs-timeout-ms", "--haproxy-clientip", "--header",
    "--hostpubmd5", "--hostpubsha256", "--hsts", "--interface", "--ip-tos", "--ipfs-gateway", "--json",
    "--keepalive-cnt", "--keepalive-time", "--key", "--key-type", "--krb", "--libcurl", "--limit-rate",
    "--local-port", "--login-options", "--mail-auth", "--mail-from", "--mail-rcpt", "--max-filesize",
    "--max-redirs", "--max-time", "--netrc-file", "--noproxy", "--oauth2-bearer", "--output",
    "--output-dir", "--parallel-max", "--pass", "--pinnedpubkey", "--preproxy", "--proto",
    "--proto-default", "--proto-redir", "--proxy", "--proxy-cacert", "--proxy-capath", "--proxy-cert",
    "--proxy-cert-type", "--proxy-ciphers", "--proxy-crlfile", "--proxy-header", "--proxy-key",
    "--proxy-key-type", "--proxy-pass", "--proxy-pinnedpubkey", "--proxy-service-name",
    "--proxy-tls13-ciphers", "--proxy-tlsauthtype", "--proxy-tlspassword", "--proxy-tlsuser",
    "--proxy-user", "--proxy1.0", "--pubkey", "--quote", "--random-file", "--range", "--rate",
    "--referer", "--request", "--request-target", "--resolve", "--retry", "--retry-delay",
    "--retry-max-time", "--sasl-authzid", "--service-name", "--socks4", "--socks4a", "--socks5",
    "--socks5-gssapi-service", "--socks5-hostname", "--speed-limit", "--speed-time", "--stderr",
    "--telnet-option", "--tftp-blksize", "--time-cond", "--tls-max", "--tls13-ciphers", "--tlsauthtype",
    "--tlspassword", "--tlsuser", "--trace", "--trace-ascii", "--trace-config", "--unix-socket",
    "--upload-file", "--url", "--url-query", "--user", "--user-agent", "--variable", "--write-out",
})
_CURL_DATA = frozenset({"--data", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode",
                        "--json", "--form", "--form-string", "d", "F"})


def _curl(args: list[_Word]) -> list[Request]:
    method: str | None = None
    flags: set[str] = set()
    urls: list[_Word] = []
    index = 0
    options = True

    def value() -> _Word:
        nonlocal index
        index += 1
        return args[index - 1] if index - 1 < len(args) else _Word("", 0)

    while index < len(args):
        word = args[index]
        index += 1
        text = word.text
        if options and text == "--":
            options = False
        elif options and text.startswith("--"):
            if text in _CURL_LONG_VALUES:
                given = value()
                if text == "--request":
                    method = given.text
                elif text == "--url":
                    urls.append(given)
            flags.add(text)
        elif options and text.startswith("-") and len(text) > 1:
            for at, letter in enumerate(text[1:], 2):
                flags.add(letter)
                if letter in _CURL_SHORT_VALUES:
                    given = _Word(text[at:], word.offset) if text[at:] else value()
                    if letter == "X":
                        method = given.text
                    break
        elif _looks_like_url(text):
            urls.append(word)
    if method is None:
        method = ("HEAD" if flags & {"I", "--head"} else "GET" if flags & {"G", "--get"}
                  else "POST" if flags & _CURL_DATA else "PUT" if flags & {"T", "--upload-file"}
                  else "GET")
    return [(method.upper(), url) for url in urls]


_WGET_SHORT_VALUES = frozenset("OoaeiBtTwQPUlARDIX")
_WGET_LONG_VALUES = frozenset({
    "--output-document", "--output-file", "--append-output", "--execute", "--input-file", "--base",
    "--config", "--bind-address", "--tries", "--timeout", "--dns-timeout", "--connect-timeout",
    "--read-timeout", "--limit-rate", "--wait", "--waitretry", "--quota", "--directory-prefix",
    "--user-agent", "--user", "--password", "--http-user", "--http-password", "--ftp-user",
    "--ftp-password", "--header", "--max-redirect", "--proxy-user", "--proxy-password", "--referer",
    "--load-cookies", "--save-cookies", "--post-data", "--post-file", "--method", "--body-data",
    "--body-file", "--certificate", "--certificate-type", "--private-key", "--private-key-type",
    "--ca-certificate", "--ca-directory", "--crl-file", "--pinnedpubkey", "--random-file", "--egd-file",
    "--secure-protocol", "--ciphers", "--level", "--accept", "--reject", "--accept-regex",
    "--reject-regex", "--regex-type", "--domains", "--exclude-domains", "--include-directories",
    "--exclude-directories", "--cut-dirs", "--default-page", "--restrict-file-names", "--progress",
    "--retry-on-http-error", "--compression", "--report-speed", "--use-askpass", "--hsts-file",
    "--local-encoding", "--remote-encoding", "--prefer-family", "--dns-servers", "--bind-dns-address",
})


def _wget(args: list[_Word]) -> list[Request]:
    method: str | None = None
    post = spider = False
    urls: list[_Word] = []
    index = 0
    while index < len(args):
        text = args[index].text
        index += 1
        if text.startswith("--"):
            name, equals, given = text.partition("=")
            if not equals and name in _WGET_LONG_VALUES:
                given = args[index].text if index < len(args) else ""
                index += 1
            if name == "--method":
                method = given
            post = post or name in ("--post-data", "--post-file")
            spider = spider or name == "--spider"
        elif text.startswith("-") and len(text) > 1:
            if text[1] == "n":  # -nv, -nc, -nd, -nH: two-letter flags
                continue
            for at, letter in enumerate(text[1:], 2):
                if letter in _WGET_SHORT_VALUES:
                    index += 0 if text[at:] else 1
                    break
        elif _looks_like_url(text):
            urls.append(args[index - 1])
    chosen = method or ("POST" if post else "HEAD" if spider else "GET")
    return [(chosen.upper(), url) for url in urls]


_HTTPIE_SHORT_VALUES = frozenset("aAopPs")
_HTTPIE_LONG_VALUES = frozenset({
    "--auth", "--auth-type", "--output", "--session", "--session-read-only", "--print",
    "--history-print", "--verify", "--cert", "--cert-key", "--cert-key-pass", "--timeout", "--proxy",
    "--pretty", "--style", "--format-options", "--response-charset", "--response-mime",
    "--max-redirects", "--ssl", "--ciphers", "--raw", "--boundary", "--default-scheme", "--max-headers",
})
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
# httpie request items by separator, the longest first where two start at the same place.
_HTTPIE_SEPARATORS = (":=@", "=@", ":=", "==", "=", "@", ":")


def _httpie(args: list[_Word]) -> list[Request]:
    positional: list[_Word] = []
    flags: set[str] = set()
    index = 0
    options = True
    while index < len(args):
        text = args[index].text
        index += 1
        if options and text == "--":
            options = False
        elif options and text.startswith("--"):
            name, equals, _ = text.partition("=")
            flags.add(name)
            if not equals and name in _HTTPIE_LONG_VALUES:
                index += 1
        elif options and text.startswith("-") and len(text) > 1 and not text[1].isdigit():
            for at, letter in enumerate(text[1:], 2):
                flags.add(letter)
                if letter in _HTTPIE_SHORT_VALUES:
                    index += 0 if text[at:] else 1
                    break
        else:
            positional.append(args[index - 1])
    if "--offline" in flags or not positional:
        return []  # --offline builds the request and prints it; nothing is sent
    method: str | None = None
    if len(positional) > 1 and positional[0].text.upper() in _METHODS:
        method = positional.pop(0).text.upper()
    url, items = positional[0], positional[1:]
    data = "--raw" in flags or any(_httpie_item(item.text) in ("=", ":=", "=@", ":=@", "@")
                                   for item in items)
    return [(method or ("POST" if data else "GET"), url)]


def _httpie_item(text: str) -> str | None:
    found: tuple[int, int, str] | None = None
    for separator in _HTTPIE_SEPARATORS:
        at = text.find(separator)
        if at > 0 and (found is None or (at, -len(separator)) < found[:2]):
            found = (at, -len(separator), separator)
    return found[2] if found else None


_PWSH_FLAGS = frozenset({
    "usebasicparsing", "skipcertificatecheck", "passthru", "disablekeepalive", "usedefaultcredentials",
    "allowunencryptedauthentication", "skipheadervalidation", "resume", "noproxy",
    "preserveauthorizationonredirect", "skiphttperrorcheck", "allowinsecureredirect",
    "proxyusedefaultcredentials",
})


def _invoke_web_request(args: list[_Word]) -> list[Request]:
    method = "GET"
    urls: list[_Word] = []
    index = 0
    while index < len(args):
        word = args[index]
        index += 1
        if word.text.startswith("-") and len(word.text) > 1 and word.text[1].isalpha():
            name, colon, given = word.text[1:].partition(":")
            name = name.lower()
            if name in _PWSH_FLAGS:
                continue
            if not colon:
                given = args[index].text if index < len(args) else ""
                index += 1
            if name == "method":
                method = given.upper()
            elif name == "uri":
                urls.append(_Word(given, word.offset))
        elif _looks_like_url(word.text):
            urls.append(word)
    return [(method, url) for url in urls[:1]]


_TOOLS = {
    "curl": _curl, "wget": _wget, "http": _httpie, "https": _httpie, "xh": _httpie, "xhs": _httpie,
    "invoke-webrequest": _invoke_web_request, "iwr": _invoke_web_request,
    "invoke-restmethod": _invoke_web_request, "irm": _invoke_web_request,
}
_TOOL_NAMES = {"http": "httpie", "https": "httpie", "xhs": "xh", "invoke-webrequest": "Invoke-WebRequest",
               "iwr": "Invoke-WebRequest", "invoke-restmethod": "Invoke-RestMethod",
               "irm": "Invoke-RestMethod"}


# Calls in code (JavaScript, Python) inside any script: found by pattern, first argument read
# as string literals and other expressions joined by `+`.

_CODE_CALLS = (
    (re.compile(r"\bfetch\(\s*"), "fetch", None),
    (re.compile(r"\baxios\.(get|post|put|patch|delete|head)\(\s*"), "axios", 1),
    (re.compile(r"\b(requests|httpx)\.(get|post|put|patch|delete|head|options)\(\s*(?:url\s*=\s*)?"),
     "", 2),
    (re.compile(r"\b(requests|httpx)\.request\(\s*(['\"])(\w+)\2\s*,\s*(?:url\s*=\s*)?"), "", 3),
    (re.compile(r"\burlopen\(\s*"), "urllib", None),
)
_STRING = re.compile(r"""([rbfu]{0,2})('''|\"\"\"|'|"|`)""", re.IGNORECASE)
# `BASE`, `process.env.WORKER_URL`, `os.environ["URL"]`, `os.environ.get("URL")`
_NAME = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[[^\]\n]*\]|\([^()\n]*\))*")


def _code_calls(script: str) -> list[_Call]:
    calls: list[_Call] = []
    markers = _Markers()
    newlines = [match.start() for match in re.finditer("\n", script)]
    for pattern, tool, method_group in _CODE_CALLS:
        for match in pattern.finditer(script):
            argument = _argument(script, match.end(), markers)
            if argument is None:
                continue
            written, url, end = argument
            rest = _call_rest(script, end)
            if method_group is not None:
                method = match.group(method_group).upper()
            else:
                named = re.search(r"""\bmethod\s*[:=]\s*['"`](\w+)['"`]""", rest)
                method = named.group(1).upper() if named else (
                    "POST" if tool == "urllib" and re.search(r"\bdata\s*=", rest) else "GET")
            calls.append(_Call(tool or match.group(1), method, written, _url_path(url, markers),
                               bisect.bisect_left(newlines, match.start())))
    return calls


def _argument(script: str, position: int, markers: _Markers) -> tuple[str, str, int] | None:
    """The first argument at `position`: (as written, as a URL with markers, end); None if none.

    Only string literals and `a.b['c']`-style expressions joined by `+` are read; a literal's
    `${…}` (JavaScript) or `{…}` (Python f-string) parts become markers.
    """
    parts: list[str] = []
    at = position
    literal = False
    while True:
        string = _STRING.match(script, at)
        if string:
            quote, prefix = string.group(2), string.group(1).lower()
            end = script.find(quote, string.end())
            if end < 0 or ("\n" in script[string.end():end] and len(quote) == 1 and quote != "`"):
                return None
            content = script[string.end():end]
            if quote == "`":
                content = re.sub(r"\$\{[^}]*\}", lambda m: markers.add(m.group(0)), content)
            elif "f" in prefix:
                content = re.sub(r"\{[^}]*\}", lambda m: markers.add(m.group(0)), content)
            parts.append(content)
            literal = True
            at = end + len(quote)
        else:
            name = _NAME.match(script, at)
            if not name:
                return None
            parts.append(markers.add(name.group(0)))
            at = name.end()
        plus = re.compile(r"\s*\+\s*").match(script, at)
        if not plus:
            break
        at = plus.end()
    if not re.compile(r"\s*[,)]").match(script, at):
        return None
    url = "".join(parts)
    # One literal is written as its content (`https://…/api`, `${BASE}/api`); anything joined
    # with `+` as the expression.
    written = markers.restore(url) if literal and len(parts) == 1 else script[position:at].strip()
    return written, url, at


def _call_rest(script: str, position: int) -> str:
    """The rest of a call's arguments, to the closing parenthesis (roughly: strings ignored)."""
    depth = 0
    for index in range(position, min(len(script), position + 2000)):
        char = script[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return script[position:index]
            depth -= 1
    return script[position:position + 2000]
