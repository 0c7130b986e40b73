"""The layout the README's architecture section describes: each package imports only packages below it.

    foundation   errors, messages, rules, config, i18n, serialization   (no server package above)
    storage      storage, embedded                                      the only pymongo/bson code
    metadata     the configuration's documents, checks, versions, field types
    auth         users, agencies, tokens, the permission evaluator
    records      the record engine
    workflow     case work: referrals, transfers, closing, approvals, flags
    export       export writers and jobs
    services     the use cases (and the deployment's first start)
    edges        api, admin, app_ui, cli, app, monitoring               HTTP, the web pages, the command line, wiring,
                                                                        the operators' probes, metrics and logs
"""
from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "server"
LAYERS = [
    {"errors", "messages", "rules", "config", "i18n", "serialization"},
    {"storage", "embedded"},
    {"metadata"},
    {"auth"},
    {"matching"},
    {"records"},
    {"workflow"},
    {"reports"},
    {"export", "interop"},
    {"services", "deployment"},
    {"api", "admin", "app_ui", "cli", "app", "__main__", "monitoring"},
]
DOMAIN = ("metadata", "records", "workflow", "export", "auth", "matching", "interop", "reports")
# Lazy imports of third-party modules that are optional or heavy (never an import of Abri's own code).
LAZY_ALLOWED = {"mongomock", "zxcvbn", "cryptography", "datetime", "ipaddress"}


def _layer(top: str) -> int:
    return next(index for index, names in enumerate(LAYERS) if top in names)


def _modules():
    for path in sorted(SERVER.rglob("*.py")):
        relative = path.relative_to(SERVER)
        yield relative, ast.parse(path.read_text(encoding="utf-8"))


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node, [node.module]
        elif isinstance(node, ast.Import):
            yield node, [alias.name for alias in node.names]


def test_every_package_of_the_server_has_a_layer():
    tops = {relative.parts[0].removesuffix(".py") for relative, _ in _modules()} - {"__init__", "_shipped"}
    assert sorted(top for top in tops if not any(top in names for names in LAYERS)) == []


def test_no_package_imports_a_package_above_it():
    upward = []
    for relative, tree in _modules():
        top = relative.parts[0].removesuffix(".py")
        if top in ("__init__", "_shipped"):
            continue
        for node, names in _imports(tree):
            for name in names:
                parts = name.split(".")
                if parts[0] == "server" and len(parts) > 1 and _layer(parts[1]) > _layer(top):
                    upward.append(f"server/{relative}:{node.lineno} imports {name}")
    assert upward == []


def test_no_function_level_import_hides_a_dependency():
    hidden = []
    for relative, tree in _modules():
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node, names in _imports(function):
                if any(name.split(".")[0] not in LAZY_ALLOWED for name in names):
                    hidden.append(f"server/{relative}:{node.lineno} imports {', '.join(names)} inside a function")
    assert sorted(set(hidden)) == []


def test_the_domain_does_not_import_flask():
    flask = []
    for relative, tree in _modules():
        if relative.parts[0] not in DOMAIN:
            continue
        for node, names in _imports(tree):
            if any(name.split(".")[0] in ("flask", "flask_babel", "flask_smorest", "werkzeug") for name in names):
                flask.append(f"server/{relative}:{node.lineno} imports {', '.join(names)}")
    assert flask == []
