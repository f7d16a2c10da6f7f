"""wrangler's configuration keys: which exist, their shapes, which environments inherit.

Taken from wrangler's own validator (workers-sdk, packages/workers-utils/src/config,
environment.ts and validation.ts). wrangler warns on unknown keys and fails on wrong
types; we report both as CF007 so that a typo such as `kv_namespace` is seen before the
deploy silently drops a binding.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.config.document import Document, KeyPath, format_key
from auditor.config.model import ConfigProblem
from auditor.findings import Severity


@dataclass(frozen=True)
class Table:
    """A TOML table / JSON object. `values` types the entries of a map with free keys."""

    fields: Mapping[str, Spec] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    closed: bool = True
    values: Spec | None = None


@dataclass(frozen=True)
class Array:
    item: Spec


@dataclass(frozen=True)
class OneOf:
    options: tuple[Spec, ...]


# A scalar spec is the name of its type: "string", "boolean", "number" or "any".
Spec = str | Table | Array | OneOf

STRING, BOOL, NUMBER, ANY = "string", "boolean", "number", "any"
STRINGS = Array(STRING)
OPEN = Table(closed=False)


@dataclass(frozen=True)
class BindingShape:
    """Where a binding kind keeps its entries and which field names the `env` property."""

    container: str  # "list", "single", "map", "nested:<field>"
    name_field: str = "binding"
    env_type: str = "unknown"  # the type `wrangler types` writes into the Env interface


BINDING_KINDS: dict[str, BindingShape] = {
    "kv_namespaces": BindingShape("list", env_type="KVNamespace"),
    "durable_objects": BindingShape("nested:bindings", "name", "DurableObjectNamespace"),
    "r2_buckets": BindingShape("list", env_type="R2Bucket"),
    "d1_databases": BindingShape("list", env_type="D1Database"),
    "services": BindingShape("list", env_type="Fetcher"),
    "queues": BindingShape("nested:producers", env_type="Queue"),
    "vars": BindingShape("map", env_type="var"),
    "workflows": BindingShape("list", env_type="Workflow"),
    "send_email": BindingShape("list", "name", "SendEmail"),
    "vectorize": BindingShape("list", env_type="VectorizeIndex"),
    "hyperdrive": BindingShape("list", env_type="Hyperdrive"),
    "analytics_engine_datasets": BindingShape("list", env_type="AnalyticsEngineDataset"),
    "dispatch_namespaces": BindingShape("list", env_type="DispatchNamespace"),
    "mtls_certificates": BindingShape("list", env_type="Fetcher"),
    "pipelines": BindingShape("list", env_type="Pipeline"),
    "secrets_store_secrets": BindingShape("list", env_type="SecretsStoreSecret"),
    "ratelimits": BindingShape("list", "name", "RateLimit"),
    "worker_loaders": BindingShape("list", env_type="WorkerLoader"),
    "vpc_services": BindingShape("list", env_type="Fetcher"),
    "vpc_networks": BindingShape("list", env_type="Fetcher"),
    "unsafe_hello_world": BindingShape("list", env_type="HelloWorldBinding"),
    "ai_search_namespaces": BindingShape("list"),
    "ai_search": BindingShape("list"),
    "agent_memory": BindingShape("list"),
    "artifacts": BindingShape("list"),
    "flagship": BindingShape("list"),
    "unsafe": BindingShape("nested:bindings", "name", "any"),
    "logfwdr": BindingShape("nested:bindings", "name", "any"),
    "ai": BindingShape("single", env_type="Ai"),
    "browser": BindingShape("single", env_type="Fetcher"),
    "images": BindingShape("single", env_type="ImagesBinding"),
    "media": BindingShape("single", env_type="MediaBinding"),
    "stream": BindingShape("single"),
    "websearch": BindingShape("single"),
    "version_metadata": BindingShape("single", env_type="WorkerVersionMetadata"),
    "assets": BindingShape("single", env_type="Fetcher"),
    "secrets": BindingShape("nested:required", env_type="string"),
    "text_blobs": BindingShape("map", env_type="string"),
    "data_blobs": BindingShape("map", env_type="ArrayBuffer"),
    "wasm_modules": BindingShape("map", env_type="WebAssembly.Module"),
}


def _entry(*names: str, required: tuple[str, ...] = ("binding",), **typed: Spec) -> Table:
    fields: dict[str, Spec] = {name: STRING for name in ("binding", *names)}
    fields.update(typed)
    return Table(fields, required=required)


def _single(**typed: Spec) -> Table:
    return Table({"binding": STRING, "remote": BOOL, **typed}, required=("binding",))


ROUTE = OneOf((STRING, Table({"pattern": STRING, "zone_id": STRING, "zone_name": STRING,
                              "custom_domain": BOOL, "enabled": BOOL, "previews_enabled": BOOL},
                             required=("pattern",))))
RENAME = Table({"from": STRING, "to": STRING, "from_script": STRING}, required=("from", "to"))
MIGRATION = Table({"tag": STRING, "new_classes": STRINGS, "new_sqlite_classes": STRINGS,
                   "renamed_classes": Array(RENAME), "deleted_classes": STRINGS,
                   "transferred_classes": Array(RENAME)}, required=("tag",))
EXPORT = Table({"type": STRING, "storage": STRING, "state": STRING, "renamed_to": STRING,
                "transferred_to": STRING, "transfer_from": STRING, "cache": OPEN, "name": STRING,
                "limits": OPEN, "schedules": OneOf((STRING, STRINGS))}, required=("type",))
CONSUMER = Table({"queue": STRING, "type": STRING, "max_batch_size": NUMBER,
                  "max_batch_timeout": NUMBER, "max_retries": NUMBER, "max_concurrency": ANY,
                  "visibility_timeout_ms": NUMBER, "retry_delay": NUMBER,
                  "dead_letter_queue": STRING}, required=("queue",))

# Keys an environment takes from the top level unless it sets its own.
INHERITABLE_SPEC: dict[str, Spec] = {
    "name": STRING, "account_id": STRING, "compatibility_date": STRING,
    "compatibility_flags": STRINGS, "main": STRING, "find_additional_modules": BOOL,
    "preserve_file_names": BOOL, "workers_dev": BOOL, "preview_urls": BOOL, "no_bundle": BOOL,
    "minify": BOOL, "keep_names": BOOL, "first_party_worker": BOOL, "logpush": BOOL,
    "upload_source_maps": BOOL, "base_dir": STRING, "tsconfig": STRING, "jsx_factory": STRING,
    "jsx_fragment": STRING, "route": ROUTE, "routes": Array(ROUTE),
    "triggers": Table({"crons": STRINGS}), "limits": OPEN, "rules": Array(OPEN),
    "build": Table({"command": STRING, "cwd": STRING, "watch_dir": OneOf((STRING, STRINGS))}),
    "placement": OPEN,
    "assets": Table({"directory": STRING, "binding": STRING, "html_handling": STRING,
                     "not_found_handling": STRING, "run_worker_first": OneOf((BOOL, STRINGS))}),
    "observability": OPEN, "cache": OPEN, "compliance_region": STRING, "python_modules": OPEN,
    "migrations": Array(MIGRATION), "exports": Table(closed=False, values=EXPORT),
    "logfwdr": Table({"bindings": Array(Table({"name": STRING, "destination": STRING},
                                              required=("name",)))}),
    "previews": OPEN,
    # Deprecated or removed, but still met in real files; handled in REMOVED below.
    "usage_model": STRING, "node_compat": BOOL,
}

# Keys an environment does not inherit: one that does not repeat them has none.
NON_INHERITABLE_SPEC: dict[str, Spec] = {
    "vars": Table(closed=False),
    "define": Table(closed=False, values=STRING),
    "secrets": Table({"required": STRINGS}),
    "durable_objects": Table({"bindings": Array(Table(
        {"name": STRING, "class_name": STRING, "script_name": STRING, "environment": STRING,
         "remote": BOOL}, required=("name", "class_name")))}, required=("bindings",)),
    "workflows": Array(_entry("name", "class_name", "script_name", remote=BOOL, limits=OPEN,
                              schedules=OneOf((STRING, STRINGS)),
                              required=("binding", "class_name"))),
    "kv_namespaces": Array(_entry("id", "preview_id", remote=BOOL)),
    "send_email": Array(Table({"name": STRING, "binding": STRING, "destination_address": STRING,
                               "allowed_destination_addresses": STRINGS,
                               "allowed_sender_addresses": STRINGS, "remote": BOOL},
                              required=("name",))),
    "queues": Table({"producers": Array(_entry("queue", remote=BOOL, delivery_delay=NUMBER,
                                               required=("binding", "queue"))),
                     "consumers": Array(CONSUMER)}),
    "r2_buckets": Array(_entry("bucket_name", "preview_bucket_name", "jurisdiction",
                               remote=BOOL)),
    "d1_databases": Array(_entry("database_id", "database_name", "preview_database_id",
                                 "migrations_table", "migrations_dir", "migrations_pattern",
                                 "database_internal_env", remote=BOOL)),
    "vectorize": Array(_entry("index_name", remote=BOOL)),
    "ai_search_namespaces": Array(_entry("namespace", remote=BOOL)),
    "ai_search": Array(_entry("instance_name", remote=BOOL)),
    "agent_memory": Array(_entry("namespace", remote=BOOL)),
    "websearch": _single(),
    "hyperdrive": Array(_entry("id", "localConnectionString")),
    "services": Array(Table({"binding": STRING, "service": STRING}, required=("binding", "service"),
                            closed=False)),
    "analytics_engine_datasets": Array(_entry("dataset")),
    "dispatch_namespaces": Array(Table({"binding": STRING, "namespace": STRING},
                                       required=("binding", "namespace"), closed=False)),
    "mtls_certificates": Array(_entry("certificate_id", remote=BOOL)),
    "browser": _single(),
    "ai": Table({"binding": STRING}, required=("binding",), closed=False),
    "images": _single(), "media": _single(), "stream": _single(),
    "version_metadata": Table({"binding": STRING}, required=("binding",), closed=False),
    "unsafe": Table({"bindings": Array(Table({"name": STRING, "type": STRING},
                                             required=("name", "type"), closed=False)),
                     "metadata": OPEN, "capnp": OPEN}),
    "pipelines": Array(_entry("stream", "pipeline", remote=BOOL)),
    "secrets_store_secrets": Array(_entry("store_id", "secret_name")),
    "artifacts": Array(_entry("namespace", remote=BOOL)),
    "unsafe_hello_world": Array(_entry(enable_timer=BOOL)),
    "flagship": Array(_entry("app_id", remote=BOOL)),
    "ratelimits": Array(Table({"name": STRING, "namespace_id": STRING, "simple": OPEN},
                              required=("name",))),
    "worker_loaders": Array(_entry()),
    "vpc_services": Array(_entry("service_id", remote=BOOL)),
    "vpc_networks": Array(_entry("tunnel_id", "network_id", remote=BOOL)),
    "tail_consumers": Array(OPEN),
    "streaming_tail_consumers": Array(OPEN),
    "containers": Array(OPEN),
    "cloudchamber": OPEN,
}

TOP_LEVEL_ONLY_SPEC: dict[str, Spec] = {
    "$schema": STRING, "send_metrics": BOOL, "keep_vars": BOOL, "pages_build_output_dir": STRING,
    "dependencies_instrumentation": OPEN, "addresses": STRINGS, "dev": OPEN,
    "site": Table({"bucket": STRING, "include": STRINGS, "exclude": STRINGS,
                   "entry-point": STRING}, required=("bucket",)),
    "alias": Table(closed=False, values=STRING), "wasm_modules": Table(closed=False, values=STRING),
    "text_blobs": Table(closed=False, values=STRING), "data_blobs": Table(closed=False, values=STRING),
    "legacy_env": BOOL,
}

INHERITABLE = frozenset(INHERITABLE_SPEC)
NON_INHERITABLE = tuple(NON_INHERITABLE_SPEC)
ENVIRONMENT = Table({**INHERITABLE_SPEC, **NON_INHERITABLE_SPEC})
TOP_LEVEL = Table({**ENVIRONMENT.fields, **TOP_LEVEL_ONLY_SPEC,
                   "env": Table(closed=False, values=ENVIRONMENT)})

# Keys wrangler 4 rejects outright, with what to write instead.
REMOVED = {
    "node_compat": "was removed in wrangler 4; use compatibility_flags = [\"nodejs_compat\"]",
    "legacy_env": "is no longer supported by wrangler 4; remove it",
}


def check(doc: Document) -> Iterator[ConfigProblem]:
    """Every shape problem in the file, each at the exact span of the offending value."""
    yield from _check(doc, doc.data, TOP_LEVEL, ())


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _expected(spec: Spec) -> str:
    if isinstance(spec, Table):
        return "a table"
    if isinstance(spec, Array):
        return f"an array of {_expected(spec.item).removeprefix('a ').removeprefix('an ')}s"
    if isinstance(spec, OneOf):
        return " or ".join(_expected(option) for option in spec.options)
    return {"string": "a string", "boolean": "a boolean", "number": "a number"}.get(spec, spec)


def _matches(value: Any, spec: Spec) -> bool:
    if isinstance(spec, OneOf):
        return any(_matches(value, option) for option in spec.options)
    if isinstance(spec, Table):
        return isinstance(value, dict)
    if isinstance(spec, Array):
        return isinstance(value, list)
    if spec == STRING:
        return isinstance(value, str)
    if spec == BOOL:
        return isinstance(value, bool)
    if spec == NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def _where(path: KeyPath) -> str:
    return f"`{format_key(path)}`" if path else "the top level"


def _check(doc: Document, value: Any, spec: Spec, path: KeyPath) -> Iterator[ConfigProblem]:
    if not _matches(value, spec):
        yield ConfigProblem(doc.at(*path), f"{_where(path)} must be {_expected(spec)}, "
                                           f"found {_describe(value)}")
        return
    if isinstance(spec, OneOf):
        spec = next(option for option in spec.options if _matches(value, option))
    if isinstance(spec, Array):
        for index, item in enumerate(value):
            yield from _check(doc, item, spec.item, (*path, index))
    elif isinstance(spec, Table):
        yield from _check_table(doc, value, spec, path)


def _check_table(doc: Document, value: dict[str, Any], spec: Table,
                 path: KeyPath) -> Iterator[ConfigProblem]:
    for name in spec.required:
        if name not in value:
            yield ConfigProblem(doc.at(*path), f"{_where(path)} is missing the required "
                                               f"field `{name}`")
    in_environment = len(path) == 2 and path[0] == "env"
    for key, item in value.items():
        at = (*path, key)
        if key in REMOVED and (not path or in_environment):
            yield ConfigProblem(doc.at(*at), f"`{key}` {REMOVED[key]}")
        elif key in spec.fields:
            yield from _check(doc, item, spec.fields[key], at)
        elif spec.values is not None:
            yield from _check(doc, item, spec.values, at)
        elif spec.closed:
            yield _unknown(doc, key, at, spec, in_environment)


def _unknown(doc: Document, key: str, at: KeyPath, spec: Table,
             in_environment: bool) -> ConfigProblem:
    where = _where(at[:-1])
    if in_environment and key in TOP_LEVEL_ONLY_SPEC:
        message = f"`{key}` is only read at the top level; in {where} it has no effect"
    else:
        message = f"unknown key `{key}` in {where}"
        close = difflib.get_close_matches(key, list(spec.fields), n=1, cutoff=0.75)
        if close:
            message += f" (did you mean `{close[0]}`?)"
    # wrangler itself only warns here, and newer wrangler versions add keys we may not
    # know yet; a typo that drops a binding still shows up.
    return ConfigProblem(doc.at(*at), message, Severity.WARNING)
