"""Read a wrangler file into a WorkerConfig, resolving each `[env.NAME]` the way wrangler does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from auditor.config import schema
from auditor.config.document import ConfigSyntaxError, Document, KeyPath
from auditor.config.model import (
    Binding,
    Cron,
    Environment,
    ExportEntry,
    Located,
    Migration,
    RenamedClass,
    WorkerConfig,
)
from auditor.findings import Location

# wrangler's own order of precedence when several exist in one directory.
CONFIG_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")


class ConfigUnreadable(Exception):
    """Nothing in this configuration can be audited; `location` says where and why."""

    def __init__(self, location: Location, message: str) -> None:
        super().__init__(message)
        self.location = location
        self.message = message


def parse_document(text: str, path: str) -> Document:
    """Parse by extension; wrangler reads `.json` as JSONC too."""
    if path.endswith(".toml"):
        from auditor.config.toml import read_toml

        return read_toml(text, path)
    from auditor.config.jsonc import read_jsonc

    return read_jsonc(text, path)


def read_text(raw: bytes, path: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigUnreadable(Location(path, line), "the file is not valid UTF-8") from None
    return text.removeprefix("\ufeff")


def load_config(raw: bytes, path: str, root: str) -> WorkerConfig:
    """Build the model; raises ConfigUnreadable when the file does not parse at all."""
    text = read_text(raw, path)
    try:
        document = parse_document(text, path)
    except ConfigSyntaxError as error:
        raise ConfigUnreadable(Location(path, error.line, error.column), error.message) from None
    problems = tuple(schema.check(document))
    top = _environment(document, None, document.data, ())
    environments = {}
    raw_envs = document.data.get("env")
    if isinstance(raw_envs, dict):
        for name, raw_env in raw_envs.items():
            if isinstance(raw_env, dict):
                environments[name] = _environment(document, name, raw_env, ("env", name))
    return WorkerConfig(root, path, document, top, environments, problems)


def _environment(doc: Document, name: str | None, raw: dict[str, Any], base: KeyPath) -> Environment:
    top = doc.data
    settings: dict[str, Any] = {}
    # Where each effective key was written: the environment's own table, or the top level.
    origin: dict[str, KeyPath] = {}
    for key, value in top.items():
        if key != "env" and (name is None or key in schema.INHERITABLE):
            settings[key] = value
            origin[key] = ()
    not_inherited = []
    if name is not None:
        for key, value in raw.items():
            settings[key] = value
            origin[key] = base
        for key in schema.NON_INHERITABLE:
            if key in top and key not in raw and _non_empty(top[key]):
                not_inherited.append((key, doc.at(key)))
    location = doc.at(*base) if base else Location(doc.path, 1, 1)
    return Environment(
        script_name=_script_name(top.get("name"), name, raw.get("name")),
        name=name,
        location=location,
        settings=settings,
        bindings=tuple(_bindings(doc, settings, origin)),
        crons=_crons(doc, settings, origin),
        migrations=tuple(_migrations(doc, settings, origin)),
        exports=tuple(_exports(doc, settings, origin)),
        not_inherited=tuple(not_inherited),
    )


def _script_name(top_name: Any, env: str | None, own_name: Any) -> str | None:
    if env is not None and isinstance(own_name, str):
        return own_name
    if not isinstance(top_name, str):
        return None
    return top_name if env is None else f"{top_name}-{env}"


def _non_empty(value: Any) -> bool:
    return value not in ([], {}, None, "")


def _bindings(doc: Document, settings: dict[str, Any], origin: dict[str, KeyPath]) -> Iterator[Binding]:
    for kind, shape in schema.BINDING_KINDS.items():
        if kind not in settings:
            continue
        base = (*origin[kind], kind)
        value = settings[kind]
        if shape.container == "map":
            if isinstance(value, dict):
                for var_name, var_value in value.items():
                    where = doc.at(*base, var_name)
                    yield Binding(kind, var_name, where, (*base, var_name), {"value": var_value})
            continue
        if shape.container == "nested:required":  # secrets = { required = ["API_KEY"] }
            names = value.get("required") if isinstance(value, dict) else None
            for index, secret in enumerate(names if isinstance(names, list) else []):
                if isinstance(secret, str):
                    where = doc.at(*base, "required", index)
                    yield Binding(kind, secret, where, (*base, "required", index))
            continue
        for entry_path, entry in _entries(value, base, shape.container):
            name = entry.get(shape.name_field)
            if not isinstance(name, str):
                continue
            yield Binding(
                kind,
                name,
                doc.at(*entry_path, shape.name_field),
                entry_path,
                dict(entry),
                {key: doc.at(*entry_path, key) for key in entry},
            )


def _entries(value: Any, base: KeyPath, container: str) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    if container == "single":
        if isinstance(value, dict):
            yield base, value
        return
    if container.startswith("nested:"):
        inner = container.removeprefix("nested:")
        if not isinstance(value, dict):
            return
        value, base = value.get(inner), (*base, inner)
    if isinstance(value, list):
        for index, entry in enumerate(value):
            if isinstance(entry, dict):
                yield (*base, index), entry


def _crons(doc: Document, settings: dict[str, Any], origin: dict[str, KeyPath]) -> tuple[Cron, ...] | None:
    triggers = settings.get("triggers")
    if not isinstance(triggers, dict) or not isinstance(triggers.get("crons"), list):
        return None
    base = (*origin["triggers"], "triggers", "crons")
    return tuple(
        Cron(expr, doc.at(*base, index))
        for index, expr in enumerate(triggers["crons"])
        if isinstance(expr, str)
    )


def _names(doc: Document, value: Any, base: KeyPath) -> tuple[Located, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(Located(v, doc.at(*base, i)) for i, v in enumerate(value) if isinstance(v, str))


def _renames(doc: Document, value: Any, base: KeyPath) -> tuple[RenamedClass, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(
        RenamedClass(v["from"], v["to"], doc.at(*base, i))
        for i, v in enumerate(value)
        if isinstance(v, dict) and isinstance(v.get("from"), str) and isinstance(v.get("to"), str)
    )


def _migrations(doc: Document, settings: dict[str, Any], origin: dict[str, KeyPath]) -> Iterator[Migration]:
    value = settings.get("migrations")
    if not isinstance(value, list):
        return
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            continue
        at = (*origin["migrations"], "migrations", index)
        tag = entry.get("tag")
        yield Migration(
            tag=tag if isinstance(tag, str) else None,
            location=doc.at(*at),
            new_sqlite_classes=_names(doc, entry.get("new_sqlite_classes"), (*at, "new_sqlite_classes")),
            new_classes=_names(doc, entry.get("new_classes"), (*at, "new_classes")),
            renamed_classes=_renames(doc, entry.get("renamed_classes"), (*at, "renamed_classes")),
            deleted_classes=_names(doc, entry.get("deleted_classes"), (*at, "deleted_classes")),
            transferred_classes=_renames(doc, entry.get("transferred_classes"), (*at, "transferred_classes")),
        )


def _exports(doc: Document, settings: dict[str, Any], origin: dict[str, KeyPath]) -> Iterator[ExportEntry]:
    value = settings.get("exports")
    if not isinstance(value, dict):
        return
    for name, entry in value.items():
        if not isinstance(entry, dict):
            continue

        def text(key: str, entry: dict[str, Any] = entry) -> str | None:
            found = entry.get(key)
            return found if isinstance(found, str) else None

        yield ExportEntry(name, text("type"), text("storage"), text("state"),
                          doc.at(*origin["exports"], "exports", name), text("renamed_to"))
