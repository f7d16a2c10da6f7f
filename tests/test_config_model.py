"""The configuration frontend: exact spans in TOML and JSONC, environments, bindings, bad input.

A span is 1-based, its end column exclusive; a keyed value's span is its whole
`key = value` (or `"key": value`) so that a finding points at the key a user searches for,
and an array element's span is the element itself. Columns count characters, not bytes.
"""

from __future__ import annotations

import json
import random

import pytest

from auditor.config.document import ConfigSyntaxError, Document, format_key
from auditor.config.jsonc import read_jsonc
from auditor.config.load import ConfigUnreadable, load_config
from auditor.config.model import WorkerConfig
from auditor.config.toml import read_toml
from auditor.findings import Location

Span = tuple[int, int, "int | None", "int | None"]


def span(doc: Document, *path: str | int) -> Span:
    """The span recorded for exactly this path (no fallback to an ancestor)."""
    location = doc.spans[tuple(path)]
    return location.line, location.column, location.end_line, location.end_column


def load(text: str, path: str = "wrangler.toml") -> WorkerConfig:
    return load_config(text.encode("utf-8"), path, ".")


def line_of(text: str, needle: str) -> int:
    """The line holding `needle`, which must occur on exactly one line."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, f"{needle!r} on lines {found}"
    return found[0]


# TOML spans ----------------------------------------------------------------------------

TOML_SPANS = """\
name = "quotes-api"
kv_namespaces = [
  { binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" },
  { binding = "BACKUP", id = "7d1e5c0a3b2f4e6d8c9a0b1c2d3e4f5a" }, # trailing comment
]
"quoted key" = "x"
site."entry-point" = "src/site.ts"

[[queues.producers]]
binding = "EVENTS"
queue = "quote-events"

[[queues.producers]]
binding = "AUDIT"
queue = "audit-log"

[[migrations]]
tag = "v1"

[[migrations]]
tag = "v2"

[[migrations.renamed_classes]]
from = "OrderBook"
to = "OrderBookV2"

[env."staging-eu"]
durable_objects.bindings = [
  { name = "ORDERS", class_name = "OrderBook" },
]

[env.production.vars]
API_BASE = "https://api.example.com"
"""


@pytest.fixture(scope="module")
def toml_doc() -> Document:
    return read_toml(TOML_SPANS, "wrangler.toml")


def test_toml_pair_spans_cover_key_and_value(toml_doc: Document) -> None:
    assert span(toml_doc, "name") == (1, 1, 1, 20)
    assert span(toml_doc, "kv_namespaces") == (2, 1, 5, 2)


def test_toml_inline_tables_in_an_array(toml_doc: Document) -> None:
    assert span(toml_doc, "kv_namespaces", 0) == (3, 3, 3, 65)
    assert span(toml_doc, "kv_namespaces", 0, "id") == (3, 24, 3, 63)
    # A trailing comment after the entry belongs to neither entry.
    assert span(toml_doc, "kv_namespaces", 1) == (4, 3, 4, 66)
    assert span(toml_doc, "kv_namespaces", 1, "binding") == (4, 5, 4, 23)
    assert toml_doc.data["kv_namespaces"][1]["binding"] == "BACKUP"


def test_toml_quoted_and_dotted_keys(toml_doc: Document) -> None:
    assert span(toml_doc, "quoted key") == (6, 1, 6, 19)
    # Every prefix of a dotted key is spanned by the pair that creates it.
    assert span(toml_doc, "site") == (7, 1, 7, 35)
    assert span(toml_doc, "site", "entry-point") == (7, 1, 7, 35)
    assert span(toml_doc, "env", "staging-eu") == (27, 1, 27, 19)
    assert span(toml_doc, "env", "staging-eu", "durable_objects") == (28, 1, 30, 2)
    assert span(toml_doc, "env", "staging-eu", "durable_objects", "bindings", 0) == (29, 3, 29, 48)
    assert span(toml_doc, "env", "staging-eu", "durable_objects", "bindings", 0, "name") == (29, 5, 29, 20)


def test_toml_arrays_of_tables(toml_doc: Document) -> None:
    # An element is spanned by its `[[header]]`, its keys by their own lines.
    assert span(toml_doc, "queues", "producers", 0) == (9, 1, 9, 21)
    assert span(toml_doc, "queues", "producers", 1) == (13, 1, 13, 21)
    assert span(toml_doc, "queues", "producers", 1, "binding") == (14, 1, 14, 18)
    assert span(toml_doc, "migrations", 1) == (20, 1, 20, 15)


def test_toml_nested_array_of_tables_belongs_to_the_last_element(toml_doc: Document) -> None:
    # `[[migrations.renamed_classes]]` after the second `[[migrations]]` extends that one.
    assert toml_doc.data["migrations"][1]["renamed_classes"] == [{"from": "OrderBook",
                                                                  "to": "OrderBookV2"}]
    assert span(toml_doc, "migrations", 1, "renamed_classes", 0) == (23, 1, 23, 31)
    assert span(toml_doc, "migrations", 1, "renamed_classes", 0, "to") == (25, 1, 25, 19)
    assert ("migrations", "renamed_classes") not in toml_doc.spans


def test_toml_env_subtable(toml_doc: Document) -> None:
    assert span(toml_doc, "env", "production") == (32, 1, 32, 22)
    assert span(toml_doc, "env", "production", "vars") == (32, 1, 32, 22)
    assert span(toml_doc, "env", "production", "vars", "API_BASE") == (33, 1, 33, 37)


def test_toml_columns_count_characters() -> None:
    doc = read_toml('vars = { "GRÜSSE" = "Grüße", API_BASE = "x" }\n', "wrangler.toml")
    assert doc.data["vars"] == {"GRÜSSE": "Grüße", "API_BASE": "x"}
    # 29 characters (32 bytes) come before API_BASE.
    assert span(doc, "vars", "API_BASE") == (1, 30, 1, 44)


def test_toml_crlf_line_endings() -> None:
    doc = read_toml('name = "a"\r\n[vars]\r\nMODE = "dev"\r\n', "wrangler.toml")
    assert doc.data == {"name": "a", "vars": {"MODE": "dev"}}
    assert span(doc, "vars", "MODE") == (3, 1, 3, 13)


def test_at_falls_back_to_the_nearest_spanned_ancestor(toml_doc: Document) -> None:
    location = toml_doc.at("env", "production", "vars", "MISSING")
    assert (location.line, location.column) == (32, 1)
    assert location.key == "env.production.vars.MISSING"
    assert toml_doc.at("nothing", "here") == Location("wrangler.toml", 1, 1, key="nothing.here")


def test_format_key() -> None:
    assert format_key(("env", "production", "kv_namespaces", 1, "id")) == \
        "env.production.kv_namespaces[1].id"
    assert format_key(("env", "staging-eu", "vars", "a.b")) == 'env.staging-eu.vars."a.b"'


# JSONC spans ---------------------------------------------------------------------------

JSONC_SPANS = """\
// The Worker that serves quotes.
{
  "name": "quotes-api", /* inline block comment */
  "vars": {
    "GREETING": "Grüße aus Zürich", "API_BASE": "https://api.example.com/*not-a-comment*/",
    "ROCKET": "🚀", "MODE": "dev",
  },
  "kv_namespaces": [
    // the primary cache
    { "binding": "CACHE", "id": "0f2ac74b498b48028cb68387c421e279", },
    {
      "binding": "BACKUP",
      "id": "7d1e5c0a3b2f4e6d8c9a0b1c2d3e4f5a",
    },
    // a comment after the trailing comma
  ],
  "env": {
    "production": {
      "triggers": { "crons": ["0 * * * *", "*/5 * * * *",] },
    },
  },
}
"""


@pytest.fixture(scope="module")
def jsonc_doc() -> Document:
    return read_jsonc(JSONC_SPANS, "wrangler.jsonc")


def test_jsonc_values_through_comments_and_trailing_commas(jsonc_doc: Document) -> None:
    assert jsonc_doc.data == {
        "name": "quotes-api",
        "vars": {"GREETING": "Grüße aus Zürich",
                 "API_BASE": "https://api.example.com/*not-a-comment*/",
                 "ROCKET": "🚀", "MODE": "dev"},
        "kv_namespaces": [
            {"binding": "CACHE", "id": "0f2ac74b498b48028cb68387c421e279"},
            {"binding": "BACKUP", "id": "7d1e5c0a3b2f4e6d8c9a0b1c2d3e4f5a"},
        ],
        "env": {"production": {"triggers": {"crons": ["0 * * * *", "*/5 * * * *"]}}},
    }


def test_jsonc_member_and_element_spans(jsonc_doc: Document) -> None:
    assert span(jsonc_doc, "name") == (3, 3, 3, 23)
    assert span(jsonc_doc, "kv_namespaces") == (8, 3, 16, 4)
    assert span(jsonc_doc, "kv_namespaces", 0) == (10, 5, 10, 70)
    assert span(jsonc_doc, "kv_namespaces", 0, "id") == (10, 27, 10, 67)
    assert span(jsonc_doc, "kv_namespaces", 1) == (11, 5, 14, 6)
    assert span(jsonc_doc, "kv_namespaces", 1, "id") == (13, 7, 13, 47)
    assert span(jsonc_doc, "env", "production") == (18, 5, 20, 6)
    assert span(jsonc_doc, "env", "production", "triggers", "crons", 1) == (19, 44, 19, 57)
    assert ("kv_namespaces", 2) not in jsonc_doc.spans


def test_jsonc_columns_count_characters(jsonc_doc: Document) -> None:
    # "Grüße aus Zürich" is 16 characters and 19 bytes; 🚀 is 1 character and 4 bytes.
    assert span(jsonc_doc, "vars", "API_BASE") == (5, 37, 5, 91)
    assert span(jsonc_doc, "vars", "MODE") == (6, 20, 6, 33)


def test_json_file_is_read_as_jsonc() -> None:
    config = load('{\n  // comment\n  "name": "a",\n}\n', "wrangler.json")
    assert config.name == "a"
    assert config.document.at("name").line == 3


COMMENTS = ["", "", " // a note, with a comma ]", " /* }, ] */"]


def _jsonc(value: object, rng: random.Random, indent: int = 0) -> str:
    """Serialise with comments and trailing commas sprinkled in, as people write JSONC."""
    if isinstance(value, dict):
        items = [f"{json.dumps(k, ensure_ascii=False)}: {_jsonc(v, rng, indent + 1)}"
                 for k, v in value.items()]
        opening, closing = "{", "}"
    elif isinstance(value, list):
        items = [_jsonc(v, rng, indent + 1) for v in value]
        opening, closing = "[", "]"
    else:
        return json.dumps(value, ensure_ascii=False)
    text = opening
    for number, item in enumerate(items):
        last = number == len(items) - 1
        comma = "," if not last or rng.random() < 0.6 else ""
        lead = rng.choice(["", "", "/* lead */ "])
        text += "\n" + "  " * (indent + 1) + lead + item + comma + rng.choice(COMMENTS)
    return text + "\n" + "  " * indent + closing


def _random_value(rng: random.Random, depth: int) -> object:
    kind = rng.choice(["dict", "list", "scalar", "scalar"] if depth < 4 else ["scalar"])
    if kind == "dict":
        return {f"k{i}/*{i}": _random_value(rng, depth + 1) for i in range(rng.randint(0, 4))}
    if kind == "list":
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice([1, -2.5, True, False, None, "x", "a // b", "c /* d */", 'q"uote,]', "ü"])


@pytest.mark.parametrize("seed", range(40))
def test_jsonc_round_trips_generated_documents(seed: int) -> None:
    rng = random.Random(seed)
    value = {"name": "generated", **{f"key{i}": _random_value(rng, 1) for i in range(4)}}
    text = _jsonc(value, rng)
    assert read_jsonc(text, "wrangler.jsonc").data == value, text


# Environments --------------------------------------------------------------------------

ENVIRONMENTS = """\
name = "quotes-api"
main = "src/index.ts"
compatibility_date = "2025-09-15"
routes = ["quotes.example.com/*"]
kv_namespaces = [
  { binding = "CACHE", id = "0f2ac74b498b48028cb68387c421e279" },
]
r2_buckets = []
assets = { directory = "./public", binding = "ASSETS" }
define = { __VERSION__ = '"1.0.0"' }

[vars]
MODE = "development"

[triggers]
crons = ["*/5 * * * *"]

[[migrations]]
tag = "v1"
new_sqlite_classes = ["OrderBook"]

[env.staging]
compatibility_date = "2025-10-01"
vars = { MODE = "staging" }

[env.production]
name = "quotes-api-production"
kv_namespaces = [
  { binding = "CACHE", id = "7d1e5c0a3b2f4e6d8c9a0b1c2d3e4f5a" },
]

[env.production.triggers]
crons = ["0 * * * *"]
"""


@pytest.fixture(scope="module")
def environments() -> WorkerConfig:
    return load(ENVIRONMENTS)


def test_top_level_view(environments: WorkerConfig) -> None:
    top = environments.top
    assert top.name is None and top.label == "the top level"
    assert top.location == Location("wrangler.toml", 1, 1)
    assert environments.name == "quotes-api"
    assert [e.name for e in environments.views()] == [None, "staging", "production"]
    assert top.not_inherited == ()
    assert "env" not in top.settings


def test_environment_location_is_its_header(environments: WorkerConfig) -> None:
    staging = environments.environments["staging"]
    assert (staging.location.line, staging.location.column) == (line_of(ENVIRONMENTS, "[env.staging]"), 1)
    assert staging.label == "`env.staging`"


def test_inheritable_keys_come_from_the_top_level(environments: WorkerConfig) -> None:
    staging = environments.environments["staging"]
    assert staging.settings["main"] == "src/index.ts"
    assert staging.settings["routes"] == ["quotes.example.com/*"]
    assert staging.settings["compatibility_date"] == "2025-10-01"  # its own wins
    # Inherited crons and migrations keep the top-level spans.
    assert [c.expression for c in staging.crons or ()] == ["*/5 * * * *"]
    assert staging.crons and staging.crons[0].location.line == line_of(ENVIRONMENTS, '"*/5 * * * *"')
    assert [m.tag for m in staging.migrations] == ["v1"]
    assert staging.migrations[0].location.line == line_of(ENVIRONMENTS, 'tag = "v1"') - 1
    assert staging.migrations[0].new_sqlite_classes[0].value == "OrderBook"


def test_an_environment_overrides_an_inheritable_key(environments: WorkerConfig) -> None:
    production = environments.environments["production"]
    assert [c.expression for c in production.crons or ()] == ["0 * * * *"]
    assert production.crons and production.crons[0].location.line == \
        line_of(ENVIRONMENTS, 'crons = ["0 * * * *"]')


def test_non_inheritable_keys_are_not_taken(environments: WorkerConfig) -> None:
    staging = environments.environments["staging"]
    for key in ("kv_namespaces", "r2_buckets", "define"):
        assert key not in staging.settings
    # Its own vars, and the inheritable assets binding; not the top-level KV namespace.
    assert [(b.kind, b.name) for b in staging.bindings] == [("vars", "MODE"), ("assets", "ASSETS")]
    assert staging.bindings_of("vars")[0].fields == {"value": "staging"}
    assert staging.bindings_of("assets")[0].location.line == line_of(ENVIRONMENTS, "assets = {")


def test_not_inherited_lists_non_empty_top_level_keys_with_their_spans(
        environments: WorkerConfig) -> None:
    staging = environments.environments["staging"]
    production = environments.environments["production"]
    # `r2_buckets = []` loses nothing; `define` is not inherited either.
    assert [(key, loc.line, loc.key) for key, loc in staging.not_inherited] == [
        ("define", 10, "define"),
        ("kv_namespaces", 5, "kv_namespaces"),
    ]
    assert [key for key, _ in production.not_inherited] == ["vars", "define"]
    kv = production.bindings_of("kv_namespaces")[0]
    assert kv.field("id") is not None
    assert kv.field("id").value == "7d1e5c0a3b2f4e6d8c9a0b1c2d3e4f5a"  # type: ignore[union-attr]
    assert kv.path == ("env", "production", "kv_namespaces", 0)


def test_jsonc_environments_match_toml() -> None:
    config = load("""{
  "name": "quotes-api",
  "kv_namespaces": [{ "binding": "CACHE" }],
  "vars": { "MODE": "development" },
  "triggers": { "crons": ["*/5 * * * *"] },
  "env": {
    "staging": { "vars": { "MODE": "staging" } },
  },
}""", "wrangler.jsonc")
    staging = config.environments["staging"]
    assert (staging.location.line, staging.location.column) == (7, 5)
    assert [key for key, _ in staging.not_inherited] == ["kv_namespaces"]
    assert [c.expression for c in staging.crons or ()] == ["*/5 * * * *"]
    assert [(b.kind, b.name, b.location.line) for b in staging.bindings] == [("vars", "MODE", 7)]


def test_environment_that_is_not_a_table_is_skipped() -> None:
    config = load('name = "a"\n[env]\nproduction = "yes"\n')
    assert config.environments == {}
    assert [p.message for p in config.problems] == [
        "`env.production` must be a table, found a string"]


# Binding kinds -------------------------------------------------------------------------

EVERY_KIND_TOML = """\
name = "quotes-api"
main = "src/index.ts"
kv_namespaces = [{ binding = "KV_BINDING", id = "0f2ac74b498b48028cb68387c421e279" }]
r2_buckets = [{ binding = "R2_BINDING", bucket_name = "quotes" }]
d1_databases = [{ binding = "D1_BINDING", database_name = "quotes", database_id = "x" }]
services = [{ binding = "SERVICE_BINDING", service = "auth", entrypoint = "Auth" }]
workflows = [{ binding = "WORKFLOW_BINDING", name = "settle", class_name = "Settle" }]
send_email = [{ name = "EMAIL_NAME" }]
vectorize = [{ binding = "VECTORIZE_BINDING", index_name = "quotes" }]
hyperdrive = [{ binding = "HYPERDRIVE_BINDING", id = "x" }]
analytics_engine_datasets = [{ binding = "AE_BINDING", dataset = "quotes" }]
dispatch_namespaces = [{ binding = "DISPATCH_BINDING", namespace = "tenants" }]
mtls_certificates = [{ binding = "MTLS_BINDING", certificate_id = "x" }]
pipelines = [{ binding = "PIPELINE_BINDING", stream = "events" }]
secrets_store_secrets = [{ binding = "STORE_BINDING", store_id = "x", secret_name = "s" }]
ratelimits = [{ name = "RATELIMIT_NAME", namespace_id = "1001", simple = { limit = 10, period = 60 } }]
worker_loaders = [{ binding = "LOADER_BINDING" }]
vpc_services = [{ binding = "VPC_BINDING", service_id = "x" }]
tail_consumers = [{ service = "NOT_A_BINDING_TAIL" }]
ai = { binding = "AI_BINDING" }
browser = { binding = "BROWSER_BINDING" }
images = { binding = "IMAGES_BINDING" }
version_metadata = { binding = "VERSION_BINDING" }
assets = { directory = "./public", binding = "ASSETS_BINDING" }
define = { NOT_A_BINDING_DEFINE = "1" }

[vars]
VAR_NAME = "value"
VAR_NUMBER = 3

[secrets]
required = ["SECRET_NAME", "OTHER_SECRET_NAME"]

[[durable_objects.bindings]]
name = "DO_NAME"
class_name = "OrderBook"

[queues]
producers = [{ binding = "QUEUE_BINDING", queue = "events" }]
consumers = [{ queue = "NOT_A_BINDING_CONSUMER" }]

[unsafe]
bindings = [{ name = "UNSAFE_NAME", type = "ratelimit" }]

[logfwdr]
bindings = [{ name = "LOGFWDR_NAME", destination = "x" }]

[text_blobs]
TEXT_BLOB_NAME = "./data.txt"

[[migrations]]
tag = "NOT_A_BINDING_TAG"
"""

EVERY_KIND = {
    "kv_namespaces": ["KV_BINDING"], "r2_buckets": ["R2_BINDING"], "d1_databases": ["D1_BINDING"],
    "services": ["SERVICE_BINDING"], "workflows": ["WORKFLOW_BINDING"], "send_email": ["EMAIL_NAME"],
    "vectorize": ["VECTORIZE_BINDING"], "hyperdrive": ["HYPERDRIVE_BINDING"],
    "analytics_engine_datasets": ["AE_BINDING"], "dispatch_namespaces": ["DISPATCH_BINDING"],
    "mtls_certificates": ["MTLS_BINDING"], "pipelines": ["PIPELINE_BINDING"],
    "secrets_store_secrets": ["STORE_BINDING"], "ratelimits": ["RATELIMIT_NAME"],
    "worker_loaders": ["LOADER_BINDING"], "vpc_services": ["VPC_BINDING"], "ai": ["AI_BINDING"],
    "browser": ["BROWSER_BINDING"], "images": ["IMAGES_BINDING"],
    "version_metadata": ["VERSION_BINDING"], "assets": ["ASSETS_BINDING"],
    "vars": ["VAR_NAME", "VAR_NUMBER"], "secrets": ["SECRET_NAME", "OTHER_SECRET_NAME"],
    "durable_objects": ["DO_NAME"], "queues": ["QUEUE_BINDING"], "unsafe": ["UNSAFE_NAME"],
    "logfwdr": ["LOGFWDR_NAME"], "text_blobs": ["TEXT_BLOB_NAME"],
}


def _as_jsonc(toml_text: str) -> str:
    """The same configuration as JSONC, one member per line where TOML had one."""
    data = read_toml(toml_text, "wrangler.toml").data
    return json.dumps(data, indent=2)


@pytest.mark.parametrize("path", ["wrangler.toml", "wrangler.jsonc"])
def test_every_binding_kind_is_found_where_its_name_is_written(path: str) -> None:
    text = EVERY_KIND_TOML if path.endswith(".toml") else _as_jsonc(EVERY_KIND_TOML)
    config = load(text, path)
    assert config.problems == ()
    found = {(b.kind, b.name) for b in config.top.bindings}
    assert found == {(kind, name) for kind, names in EVERY_KIND.items() for name in names}
    for binding in config.top.bindings:
        # A map's names are keys; in TOML they stand unquoted before `=`.
        keyed = path.endswith(".toml") and binding.kind in ("vars", "text_blobs")
        needle = f"{binding.name} =" if keyed else f'"{binding.name}"'
        assert binding.location.line == line_of(text, needle), binding
    assert not any("NOT_A_BINDING" in b.name for b in config.top.bindings)


def test_binding_fields_and_their_spans() -> None:
    config = load(EVERY_KIND_TOML)
    service = config.top.bindings_of("services")[0]
    assert service.fields == {"binding": "SERVICE_BINDING", "service": "auth", "entrypoint": "Auth"}
    entrypoint = service.field("entrypoint")
    assert entrypoint is not None and entrypoint.value == "Auth"
    assert (entrypoint.location.line, entrypoint.location.column) == (6, 62)
    assert service.field("environment") is None
    secret = config.top.bindings_of("secrets")[1]
    assert secret.path == ("secrets", "required", 1)
    assert (secret.location.line, secret.location.column) == (32, 28)
    assert config.top.bindings_of("vars")[1].fields == {"value": 3}


def test_bindings_of_the_wrong_shape_are_skipped_not_fatal() -> None:
    config = load('kv_namespaces = "CACHE"\nvars = ["A"]\nai = "AI"\n'
                  'r2_buckets = [{ bucket_name = "no-binding" }, "x"]\n')
    assert config.top.bindings == ()
    assert len(config.problems) == 5


# Bad input -----------------------------------------------------------------------------

def unreadable(raw: bytes, path: str = "wrangler.toml") -> ConfigUnreadable:
    with pytest.raises(ConfigUnreadable) as caught:
        load_config(raw, path, ".")
    assert caught.value.location.path == path
    return caught.value


@pytest.mark.parametrize("path", ["wrangler.toml", "wrangler.jsonc"])
def test_invalid_utf8_names_its_line(path: str) -> None:
    raw = b'name = "a"\nmain = "src/\xff.ts"\n' if path.endswith(".toml") else \
        b'{\n  "name": "a",\n  "main": "src/\xff.ts",\n}\n'
    error = unreadable(raw, path)
    assert error.message == "the file is not valid UTF-8"
    assert error.location.line == (2 if path.endswith(".toml") else 3)


def test_utf16_is_not_utf8() -> None:
    error = unreadable('{"name": "a"}'.encode("utf-16"), "wrangler.jsonc")
    assert (error.location.line, error.message) == (1, "the file is not valid UTF-8")


@pytest.mark.parametrize(("raw", "path"), [
    (b'\xef\xbb\xbfname = "quotes-api"\n', "wrangler.toml"),
    (b'\xef\xbb\xbf{ "name": "quotes-api" }\n', "wrangler.jsonc"),
])
def test_byte_order_mark_is_stripped(raw: bytes, path: str) -> None:
    config = load_config(raw, path, ".")
    assert config.name == "quotes-api"
    assert not config.document.text.startswith("\ufeff")
    location = config.document.at("name")
    assert (location.line, location.column) == (1, 1 if path.endswith(".toml") else 3)


def test_empty_toml_file_is_an_empty_configuration() -> None:
    # TOML's empty document is an empty table, as wrangler's TOML parser reads it.
    config = load_config(b"", "wrangler.toml", ".")
    assert config.document.data == {}
    assert config.top.bindings == () and config.environments == {} and config.problems == ()


@pytest.mark.parametrize("text", ["", "   \n", "// only a comment\n", "/* and */ // comments\n"])
def test_empty_jsonc_file_is_unreadable(text: str) -> None:
    error = unreadable(text.encode(), "wrangler.jsonc")
    assert (error.location.line, error.message) == (1, "the file is empty: expected a JSON object")


@pytest.mark.parametrize(("text", "found"), [
    ('[{ "name": "a" }]', "an array"),
    ('"wrangler"', "a string"),
    ("42", "a number"),
    ("null", "null"),
])
def test_jsonc_top_level_must_be_an_object(text: str, found: str) -> None:
    error = unreadable(f"// config\n{text}\n".encode(), "wrangler.jsonc")
    assert error.message == f"expected an object at the top level, found {found}"
    assert (error.location.line, error.location.column) == (2, 1)


def test_jsonc_second_top_level_value() -> None:
    error = unreadable(b'{ "name": "a" }\n{ "name": "b" }\n', "wrangler.jsonc")
    assert (error.location.line, error.location.column) == (2, 1)


@pytest.mark.parametrize(("text", "line", "column"), [
    ('{\n  "name": "a"\n  "main": "src/index.ts"\n}', 3, 3),  # a missing comma
    ('{\n  "name": "a",\n  "main": ,\n}', 3, 11),  # a missing value
    ('{\n  "name": "a",,\n}', 2, 15),  # two commas
    ('{\n  "vars": [1, 2,, 3],\n}', 2, 17),
    ('{\n  "name": \'a\',\n}', 2, 11),  # single quotes are not JSON
    ('{\n  "name": "a",\n  "main": "src/index.ts"', 3, 25),  # unclosed
    ('{\n  "name": "a",\n  /* unterminated\n  "main": "x"\n}\n', 3, 3),
])
def test_jsonc_syntax_error_position(text: str, line: int, column: int) -> None:
    with pytest.raises(ConfigSyntaxError) as caught:
        read_jsonc(text, "wrangler.jsonc")
    assert (caught.value.line, caught.value.column) == (line, column), caught.value.message
    assert caught.value.message.startswith("invalid JSON")


@pytest.mark.parametrize("text", [
    "[" * 10_000 + "]" * 10_000,
    '{"a": ' * 10_000 + "1" + "}" * 10_000,
    '{"a": ' + "[" * 10_000 + "]" * 10_000 + "}",
    '{"a": ' + "[" * 10_000,  # deep and unclosed
])
def test_deeply_nested_json_is_a_syntax_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(ConfigSyntaxError):
        read_jsonc(text, "wrangler.jsonc")


@pytest.mark.parametrize("text", [
    "a = " + "[" * 10_000 + "]" * 10_000 + "\n",
    "a = " + "{ b = " * 10_000 + "1" + " }" * 10_000 + "\n",
])
def test_deeply_nested_toml_is_a_syntax_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(ConfigSyntaxError):
        read_toml(text, "wrangler.toml")


@pytest.mark.parametrize(("text", "line"), [
    ('name = "a"\nmain = "src/index.ts"\nname = "b"\n', 3),
    ('name = "a"\nmain = "src/index.ts"\nname = "b"\ncompatibility_date = "2025-09-15"\n', 3),
    ('[vars]\nA = "1"\nA = "2"\nB = "3"\n', 3),
    ('[vars]\nA = "1"\n\n[env.production]\nname = "p"\n\n[vars]\nB = "2"\nC = "3"\n', 7),
    ('[env.production]\nname = "p"\n[env.production.vars]\nA = "1"\n[env.production]\nmain = "x"\n', 5),
    ('kv_namespaces = [{ binding = "A", binding = "B" }]\n', 1),
])
def test_toml_duplicate_key_names_its_line(text: str, line: int) -> None:
    with pytest.raises(ConfigSyntaxError) as caught:
        read_toml(text, "wrangler.toml")
    assert caught.value.line == line, caught.value.message
    assert "already exists" in caught.value.message


def test_toml_duplicate_key_through_load_config() -> None:
    error = unreadable(b'name = "a"\n\n[vars]\nMODE = "dev"\nMODE = "prod"\n')
    assert error.location.line == 5
    assert error.message == 'invalid TOML: Key "MODE" already exists.'


@pytest.mark.parametrize(("text", "line", "column"), [
    ('name = "quotes-api\nmain = "src/index.ts"\n', 1, 19),  # an unclosed string
    ('kv_namespaces = [\n  { binding = "A" }\n  { binding = "B" },\n]\n', 3, 3),  # a missing comma
    ('[env.production\nname = "p"\n', 1, 16),
])
def test_toml_syntax_error_position(text: str, line: int, column: int) -> None:
    with pytest.raises(ConfigSyntaxError) as caught:
        read_toml(text, "wrangler.toml")
    assert (caught.value.line, caught.value.column) == (line, column), caught.value.message
    assert caught.value.message.startswith("invalid TOML")


@pytest.mark.parametrize(("text", "expected"), [
    ('name = "shop"\n[env.staging]\n[env.production]\nname = "shop-live"\n',
     {None: "shop", "staging": "shop-staging", "production": "shop-live"}),
    ('[env.staging]\nname = "only-staging"\n[env.dev]\n', {None: None, "staging": "only-staging",
                                                           "dev": None}),
])
def test_script_name_appends_the_environment_to_an_inherited_name(
        text: str, expected: dict[str | None, str | None]) -> None:
    config = load_config(text.encode(), "wrangler.toml", ".")
    assert {view.name: view.script_name for view in config.views()} == expected
