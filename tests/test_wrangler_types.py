"""The bindings the config model finds, compared with what the real `wrangler types` writes.

Each case under `tests/wrangler_types/` is a small project (a wrangler file and its `src/`).
It is copied to a temporary directory, and wrangler (installed into `.ci/node/` by
`.ci/install-node-tools`) generates the types of every deploy target: the top level and
each `[env.NAME]`. Per target the binding names must be the same set as the model's, and
each type must be the `env_type` that `BINDING_KINDS` gives the binding's kind (vars: the
literal type of the value).

wrangler runs offline and touches nothing outside the temporary directory:
`--include-runtime false` skips the runtime types, which would start workerd and are
not compared; the environment is built from scratch (HOME, XDG_CONFIG_HOME and TMPDIR
inside tmp_path; no CLOUDFLARE_API_TOKEN, so pipeline types never call the API).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from auditor.config.load import CONFIG_NAMES, load_config
from auditor.config.model import Binding, Environment
from auditor.config.schema import BINDING_KINDS

REPO = Path(__file__).resolve().parents[1]
CASES = Path(__file__).parent / "wrangler_types"
NODE_PREFIX = REPO / ".ci" / "node"
WRANGLER = NODE_PREFIX / "node_modules" / ".bin" / "wrangler"
INSTALL_HINT = "run .ci/install-node-tools"
RUN_TIMEOUT = 120  # seconds; one run takes about a second

# Which deploy targets a file has, and its top level alone, read by wrangler's own config
# reader rather than ours. When a file has environments, `wrangler types` writes one
# interface per environment (`StagingEnv`) and an `Env` that is the union of all targets,
# with no interface for the top level alone; that comes from a run on a copy of the file
# without its `env` table (environments cannot change the top level's bindings).
# The per-environment interfaces are used rather than `--env NAME` runs: a `--env` run
# leaves out the `assets` binding an environment inherits from the top level (wrangler
# 4.86.0 and 4.164.0), while the per-environment interfaces include it, as a deploy does.
READ_CONFIG_JS = """
const [wranglerDir, config, topOut, envsOut] = process.argv.slice(1);
const { experimental_readRawConfig } = require(wranglerDir);
const { rawConfig } = experimental_readRawConfig({ config });
const { env = {}, ...top } = rawConfig;
require("fs").writeFileSync(topOut, JSON.stringify(top, null, 2));
require("fs").writeFileSync(envsOut, JSON.stringify(Object.keys(env)));
"""

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A member of the Env interface, or a service-worker global; names that are not
# identifiers are quoted.
_MEMBER = re.compile(r'^\s*(?:const\s+)?("(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*)\??:\s*(.*?);\s*$')
_COMMENT = re.compile(r"/\*.*?\*/")
_IMPORT_PREFIX = re.compile(r'^import\("[^"]*"\)\.')
_TYPE_NAME = re.compile(r"[A-Za-z_$][\w$.]*")

DISCREPANCIES = {
    "services_rpc_toml": "services: BINDING_KINDS says `Fetcher` for every service binding, but "
    "`wrangler types` writes `Service /* entrypoint E from S */` when `entrypoint` is set, and "
    "`Service<typeof import(\"./src/index\").default|E>` when the service is this Worker; only "
    "a plain binding to another Worker is `Fetcher /* S */`",
    "logfwdr_toml": "logfwdr: the model has one binding per `logfwdr.bindings[].name` "
    "(REQUEST_LOG, AUDIT_TRAIL: `any`); `wrangler types` writes a single `LOGFWDR_SCHEMA: any` "
    "whatever the bindings are called, and none of the names",
    "unsafe_ratelimit_jsonc": "unsafe: BINDING_KINDS says `any` for every `unsafe.bindings` "
    "entry, but `wrangler types` writes `RateLimit` for one with `type = \"ratelimit\"`",
    "wasm_modules_toml": "wasm_modules: the model has a `WebAssembly.Module` binding per "
    "`[wasm_modules]` entry, but `wrangler types` writes nothing for wasm_modules (it types "
    "text_blobs and data_blobs only)",
}


def _cases() -> list[object]:
    params: list[object] = []
    for case in sorted(p for p in CASES.iterdir() if p.is_dir()):
        marks = []
        if case.name in DISCREPANCIES:
            marks.append(pytest.mark.xfail(strict=True, reason=DISCREPANCIES[case.name]))
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


def _config_file(case: Path) -> Path:
    return next(case / name for name in CONFIG_NAMES if (case / name).is_file())


@pytest.fixture(scope="module")
def wrangler() -> Path:
    """The installed wrangler; skips (never passes) when it or a suitable node is missing."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(f"node not found on PATH: install Node.js, then {INSTALL_HINT}")
    if not WRANGLER.is_file():
        pytest.skip(f"wrangler not installed: {INSTALL_HINT}")
    manifest = json.loads((NODE_PREFIX / "node_modules" / "wrangler" / "package.json").read_text())
    required = manifest.get("engines", {}).get("node", "").removeprefix(">=")
    found = subprocess.run([node, "--version"], capture_output=True, text=True, check=True,
                           timeout=RUN_TIMEOUT).stdout.strip()
    if required and _version(found) < _version(required):
        # wrangler's own launcher refuses to start on an older node.
        pytest.skip(f"node {found} is older than wrangler {manifest['version']} needs "
                    f"(>={required}): upgrade Node.js")
    return WRANGLER


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def _environ(tmp: Path) -> dict[str, str]:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", ""),  # wrangler's launcher is `#!/usr/bin/env node`
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),  # wrangler's logs and metrics.json
        "TMPDIR": str(home),
        "CI": "true",  # never prompt
        "WRANGLER_SEND_METRICS": "false",
        "WRANGLER_SEND_ERROR_REPORTS": "false",
        # The banner asks the npm registry for a newer wrangler; some warnings and error
        # paths ask too, and those requests go to a closed local port instead.
        "WRANGLER_HIDE_BANNER": "true",
        "npm_config_registry": "http://127.0.0.1:9/",
        "FORCE_COLOR": "0",
    }


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"timed out after {RUN_TIMEOUT}s: {' '.join(args)}")


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return _ANSI.sub("", result.stdout + result.stderr).strip()


def _wrangler_types(wrangler: Path, project: Path, config: str,
                    environ: dict[str, str]) -> tuple[str, list[str]]:
    """The declaration file one `wrangler types` run writes, and problems with the run."""
    out = project / f"{config}.d.ts"
    args = [str(wrangler), "types", str(out), "--config", config, "--include-runtime", "false"]
    result = _run(args, project, environ)
    log = _output(result)
    if result.returncode != 0 or not out.is_file():
        return "", [f"`wrangler {' '.join(args[2:])}` failed ({result.returncode}):\n{log}"]
    if "Unexpected fields found" in result.stderr:
        # A typo in the case itself: wrangler would ignore the key, so the case tests less.
        warning = _ANSI.sub("", result.stderr).strip()
        return out.read_text(), [f"wrangler warns about the case's config ({config}):\n{warning}"]
    return out.read_text(), []


def _interface_name(env_name: str) -> str:
    """wrangler's `toEnvInterfaceName`: `staging` -> `StagingEnv`, `eu-west` -> `EuWestEnv`."""
    pascal = "".join(word[:1].upper() + word[1:].lower() for word in re.split(r"[-_]", env_name))
    return pascal if pascal.endswith("Env") else f"{pascal}Env"


def _members(text: str, interface: str) -> dict[str, str] | None:
    """Name -> type text of the interface that types one target; None when it is absent.

    wrangler 4.86 writes `interface Env { ... }`, and for the service-worker format
    `declare global { const NAME: T; }`. Newer releases (4.160 at least) write the top
    level as `interface __BaseEnv_Env { ... }` and service-worker globals as top-level
    `declare const NAME: T;`; both are read so that moving the pin needs no change here.
    """
    lines = text.splitlines()
    openers = {f"interface {name} {{{end}" for name in (interface, f"__BaseEnv_{interface}")
               for end in ("", "}")}
    if interface == "Env":
        openers.add("declare global {")
    start = next((i for i, line in enumerate(lines) if line.strip() in openers), None)
    if start is None:
        globals_ = [line for line in lines if line.startswith("declare const ")]
        if interface != "Env" or not globals_:
            return None
        return dict(_member(line.removeprefix("declare ")) for line in globals_)
    if lines[start].strip().endswith("{}"):
        return {}
    members = []
    for line in lines[start + 1:]:
        if line.strip() == "}":
            break
        members.append(_member(line))
    return dict(member for member in members if member[0])


def _member(line: str) -> tuple[str, str]:
    """`NAME: Type;`, `NAME?: Type;` or `const NAME: Type;` -> (NAME, Type); ("", "") if not."""
    match = _MEMBER.match(line)
    if not match:
        return "", ""
    name = json.loads(match[1]) if match[1].startswith('"') else match[1]
    return name, match[2]


def _type_name(type_text: str) -> str:
    """`DurableObjectNamespace<import("./src/index").Cart>` -> `DurableObjectNamespace`."""
    text = _IMPORT_PREFIX.sub("", _COMMENT.sub("", type_text).strip())
    match = _TYPE_NAME.match(text)
    return match[0] if match else text


def _js_literal(value: object) -> str:
    """The literal type wrangler writes for a var: `JSON.stringify(value)`."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JavaScript has one number type: 2.0 prints as 2
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _type_mismatch(binding: Binding, type_text: str) -> str | None:
    expected = BINDING_KINDS[binding.kind].env_type
    if expected == "var":
        literal = _js_literal(binding.fields.get("value"))
        return None if type_text == literal else f"the literal `{literal}`"
    if expected == "unknown":  # the model makes no claim; only the name is compared
        return None
    return None if _type_name(type_text) == expected else f"`{expected}`"


def _compare(view: Environment, generated: dict[str, str]) -> list[str]:
    ours = {binding.name: binding for binding in view.bindings}
    lines = []
    for name in sorted(generated.keys() - ours.keys()):
        lines.append(f"  only wrangler:  {name}: {generated[name]}")
    for name in sorted(ours.keys() - generated.keys()):
        binding = ours[name]
        lines.append(f"  only the model: {name} ({binding.kind}, "
                     f"env_type `{BINDING_KINDS[binding.kind].env_type}`)")
    for name in sorted(ours.keys() & generated.keys()):
        expected = _type_mismatch(ours[name], generated[name])
        if expected is not None:
            lines.append(f"  type of {name} ({ours[name].kind}): wrangler `{generated[name]}`, "
                         f"model expects {expected}")
    return lines


@pytest.mark.parametrize("case", _cases())
def test_bindings_match_wrangler_types(case: Path, wrangler: Path, tmp_path: Path) -> None:
    source = _config_file(case)
    config = load_config(source.read_bytes(), str(source), str(case))
    project = tmp_path / case.name
    shutil.copytree(case, project)
    environ = _environ(tmp_path)

    read = _run(["node", "-e", READ_CONFIG_JS, str(NODE_PREFIX / "node_modules" / "wrangler"),
                 source.name, "wrangler.top.json", "envs.json"], project, environ)
    assert read.returncode == 0, f"wrangler could not read {source.name}:\n{_output(read)}"
    wrangler_envs = json.loads((project / "envs.json").read_text())

    report = []
    if sorted(wrangler_envs) != sorted(config.environments):
        report.append(f"environments: wrangler {sorted(wrangler_envs)}, "
                      f"model {sorted(config.environments)}")
    # (label for the diff, config file to run on, interface that holds the target's types)
    targets: dict[str | None, tuple[str, str, str]] = {None: ("top level", source.name, "Env")}
    if wrangler_envs:
        targets[None] = ("top level (file without `env`)", "wrangler.top.json", "Env")
        for name in wrangler_envs:
            targets[name] = (f"env.{name}", source.name, _interface_name(name))
    outputs = {file: _wrangler_types(wrangler, project, file, environ)
               for file in {file for _, file, _ in targets.values()}}
    for file in sorted(outputs):
        report.extend(outputs[file][1])
    for view in config.views():
        if view.name not in targets or outputs[targets[view.name][1]][1]:
            continue
        label, file, interface = targets[view.name]
        generated = _members(outputs[file][0], interface)
        if generated is None:
            report.append(f"{label}: no `interface {interface}` in the types of {file}:\n"
                          f"{outputs[file][0]}")
            continue
        differences = _compare(view, generated)
        if differences:
            report.append(f"{label} (interface {interface} of `wrangler types --config {file}`):\n"
                          + "\n".join(differences))
    assert not report, f"{case.name}: the model and wrangler types disagree\n" + "\n".join(report)
