"""Which records hold given values: what a metadata change (a place or an option removed) would leave behind.

A value is looked for in every field that may hold it, in the published and the draft configuration
and, for places, in the fields published once and since removed (their data stay in the records):
top-level fields as `data.<name>`, subform rows as `data.<subform>.<name>`.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Collection, Iterable

from server.metadata import patterns
from server.metadata.configuration import Configuration
from server.metadata.documents import RECORD_TYPES, SUBFORM
from server.storage import Database, records as store
from server.storage.query import AnyOf, Filter, Sort

FieldTest = Callable[[dict[str, Any]], bool]


def value_paths(configs: Iterable[Configuration], holds: FieldTest) -> dict[str, set[str]]:
    """{record type: paths under the record} of the fields `holds` accepts, in any of the configurations."""
    paths: dict[str, set[str]] = {record_type: set() for record_type in RECORD_TYPES}
    for config in configs:
        for record_type in config.record_types():
            for _, form in config.forms_of(record_type, nested=False):
                for field in form["fields"]:
                    if holds(field):
                        paths[record_type].add(f"data.{field['name']}")
                    nested = config.forms.get(field.get("subform_section_id", "")) if field["type"] == SUBFORM else None
                    for row_field in (nested or {}).get("fields", []):
                        if holds(row_field):
                            paths[record_type].add(f"data.{field['name']}.{row_field['name']}")
    return paths


def _values_at(document: Any, parts: list[str]) -> Iterable[Any]:
    """Yield the values at a dotted path, through lists (subform rows, multiple choices)."""
    if isinstance(document, list):
        for item in document:
            yield from _values_at(item, parts)
    elif not parts:
        yield document
    elif isinstance(document, dict):
        yield from _values_at(document.get(parts[0]), parts[1:])


def _outermost(paths: set[str]) -> set[str]:
    """The paths no other path contains (MongoDB refuses a projection of both data.a and data.a.b)."""
    return {path for path in paths if not any(path.startswith(other + ".") for other in paths)}


def count_uses(db: Database, paths: dict[str, set[str]], values: Collection[str]) -> dict[str, Counter]:
    """{value: Counter({record type: records holding it in any of the paths})}, for the values some record holds.

    One query per record type, reading only the paths: a record holding a value twice counts once.
    """
    wanted = sorted(set(values))
    uses: dict[str, Counter] = {}
    for record_type, record_paths in paths.items():
        if not wanted or not record_paths:
            continue
        holding = AnyOf(*(Filter(path, "in", wanted) for path in sorted(record_paths)))
        records, _ = store.list_records(db, record_type, holding, [Sort("_id")], fields=_outermost(record_paths))
        for record in records:
            held = {value for path in record_paths for value in _values_at(record, path.split("."))
                    if isinstance(value, str)}
            for value in held.intersection(wanted):
                uses.setdefault(value, Counter())[record_type] += 1
    return uses


def holds_values(db: Database, record_type: str, name: str) -> bool:
    """Tell whether some record holds a value (anything but null) for a top-level field.

    One query that stops at the first record found (asked only when a check needs it: a field's type
    changes). A name outside the identifier rule is never put in a query: assume it holds one.
    """
    if not patterns.matches(r"^[a-z][a-z0-9_]*$", name):
        return True
    return bool(store.find_records(db, record_type, Filter(f"data.{name}", "ne", None), [Sort("_id")], 1,
                                   fields=["_id"]))
