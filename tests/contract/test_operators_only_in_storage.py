"""Only server/storage speaks MongoDB: no query or update operator is written anywhere else in server/."""
from __future__ import annotations

import ast
import re
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
OPERATOR = re.compile(r"\$[A-Za-z]+")
# Keys of JSON Schema and OpenAPI documents, which start with "$" too and are not MongoDB's.
NOT_MONGODB = frozenset({"$ref", "$id", "$schema", "$defs", "$comment", "$anchor", "$dynamicRef", "$dynamicAnchor",
                         "$vocabulary", "$response", "$request", "$url", "$method", "$statusCode"})


def operators_outside_storage(server: Path = SERVER) -> list[str]:
    """Every string constant of server/ (storage left out) that is a "$name" MongoDB could read, as file:line."""
    found = []
    for path in sorted(server.rglob("*.py")):
        if (server / "storage") in path.parents:
            continue
        name = path.relative_to(server.parent)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and OPERATOR.fullmatch(node.value) \
                    and node.value not in NOT_MONGODB:
                found.append((str(name), node.lineno, node.col_offset, f"{name}:{node.lineno}: {node.value}"))
    return [where for *_, where in sorted(found)]


def test_mongodb_operators_are_written_only_under_server_storage():
    assert operators_outside_storage() == []


def test_the_scan_finds_an_operator_where_it_would_be(tmp_path):
    package = tmp_path / "server"
    (package / "records").mkdir(parents=True)
    (package / "storage").mkdir()
    (package / "records" / "search.py").write_text('QUERY = {"age": {"$gte": 5}, "$or": []}\nSCHEMA = {"$ref": "x"}\n')
    (package / "storage" / "mongo.py").write_text('QUERY = {"$in": []}\n')
    assert operators_outside_storage(package) == ["server/records/search.py:1: $gte", "server/records/search.py:1: $or"]
