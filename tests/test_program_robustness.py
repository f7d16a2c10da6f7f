"""Bad source input: cycles terminate, broken files still give facts and an error entry."""

from __future__ import annotations

from pathlib import Path

from auditor.engine import audit

CONFIG = """name = "w"
main = "src/index.ts"
kv_namespaces = [{ binding = "KV", id = "0f2ac74b498b48028cb68387c421e279" }]
"""


def worker(root: Path, files: dict[str, str]) -> Path:
    (root / "wrangler.toml").write_text(CONFIG)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def findings(root: Path) -> list[tuple[str, int, str]]:
    result = audit([root], {"fail_on": "never", "select": ("KV", "CF", "DO")}, base=root)
    return sorted((f.location.path, f.location.line, f.rule) for f in result.findings)


def test_import_and_re_export_cycles_terminate(tmp_path: Path) -> None:
    root = worker(tmp_path, {
        "src/index.ts": 'export * from "./a";\nimport { save } from "./a";\n'
                        "export default { async fetch(r: Request, env: Env) { await save(env, 'k'); "
                        "return new Response(); } };\ninterface Env { KV: KVNamespace }\n",
        "src/a.ts": 'export * from "./b";\nexport { save } from "./b";\n',
        "src/b.ts": 'export * from "./a";\nexport * from "./index";\n'
                    "export async function save(env: any, key: string) { await env.KV.put(key, 'v'); }\n",
    })
    assert ("src/b.ts", 3, "KV001") in findings(root)


def test_recursive_wrappers_terminate(tmp_path: Path) -> None:
    root = worker(tmp_path, {
        "src/index.ts": (
            "interface Env { KV: KVNamespace }\n"
            "async function ping(env: Env, key: string, options?: KVNamespacePutOptions): Promise<void> {\n"
            "  if (key.length > 3) return pong(env, key.slice(1), options);\n"
            "  await env.KV.put(key, 'v', options);\n"
            "}\n"
            "async function pong(env: Env, key: string, options?: KVNamespacePutOptions): Promise<void> {\n"
            "  return ping(env, key, options);\n"
            "}\n"
            "export default { async fetch(r: Request, env: Env) {\n"
            "  await ping(env, 'abcdef');\n"
            "  return new Response();\n"
            "} };\n"
        ),
    })
    assert ("src/index.ts", 10, "KV001") in findings(root)


def test_a_file_with_syntax_errors_gives_an_error_entry_and_its_facts(tmp_path: Path) -> None:
    root = worker(tmp_path, {
        "src/index.ts": (
            "interface Env { KV: KVNamespace }\n"
            "export default { async fetch(r: Request, env: Env) {\n"
            "  await env.KV.put('a', 'b');\n"
            "  return new Response();\n"
            "} };\n"
            "function broken( {\n"
        ),
    })
    result = audit([root], {"fail_on": "never", "select": ("KV001",)}, base=root)
    assert [(f.location.path, f.location.line) for f in result.findings] == [("src/index.ts", 3)]
    assert any(e.path == "src/index.ts" and e.line == 6 for e in result.errors), result.errors


def test_a_class_with_field_initialisers_and_no_constructor(tmp_path: Path) -> None:
    """The fields' initialisers run in a constructor the class does not write: resolving
    `this.m` used to look that constructor up and crash every code rule."""
    root = worker(tmp_path, {
        "src/index.ts": "export class Memo {\n  private m = new Map<string, string>();\n"
                        "  get(k: string) { return this.m.get(k); }\n}\nconst memo = new Memo();\n"
                        "export default { async fetch(r: Request, env: any) { memo.get('x'); "
                        "await env.KV.put('k', 'v'); return new Response(); } };\n",
    })
    assert ("src/index.ts", 6, "KV001") in findings(root)
