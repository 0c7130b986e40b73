"""Merging a PATCH into stored record data, and the field-level diff of two versions of data.

Top-level fields are replaced; null clears a field. Subform arrays merge row by row on
`unique_id`: a row with a known id merges into it, `_destroy: true` removes it, a row without
an id is added (the server gives it one); rows not mentioned stay.
"""
from __future__ import annotations

import copy
import uuid
from typing import Any

ROW_ID = "unique_id"
DESTROY = "_destroy"


def merge_rows(stored: list[dict], patch: list[Any]) -> list[Any]:
    """Merge subform rows by unique_id."""
    rows = [copy.deepcopy(row) for row in stored]
    index = {row.get(ROW_ID): position for position, row in enumerate(rows) if isinstance(row, dict)}
    removed = set()
    for row in patch:
        if not isinstance(row, dict):
            rows.append(row)  # the schema will refuse it with its position
            continue
        row_id = row.get(ROW_ID)
        if row.get(DESTROY) is True:
            if row_id in index:
                removed.add(row_id)
            continue
        if row_id in index:
            merged = rows[index[row_id]]
            for key, value in row.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = copy.deepcopy(value)
        else:
            new = {key: copy.deepcopy(value) for key, value in row.items() if value is not None and key != DESTROY}
            new.setdefault(ROW_ID, str(uuid.uuid4()))
            index[new[ROW_ID]] = len(rows)
            rows.append(new)
    return [row for row in rows if not (isinstance(row, dict) and row.get(ROW_ID) in removed)]


def merge_data(stored: dict[str, Any], patch: dict[str, Any], subforms: set[str]) -> dict[str, Any]:
    """Return stored data with the patch applied (stored is not modified)."""
    merged = copy.deepcopy(stored)
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        elif name in subforms and isinstance(value, list) and isinstance(merged.get(name), list):
            merged[name] = merge_rows(merged[name], value)
        elif name in subforms and isinstance(value, list):
            merged[name] = merge_rows([], value)
        else:
            merged[name] = copy.deepcopy(value)
    return merged


def diff_data(before: dict[str, Any], after: dict[str, Any], subforms: set[str]) -> dict[str, Any]:
    """Return {field: {"from", "to"}}; subforms as {field: {"rows": {unique_id: change}}}."""
    changes: dict[str, Any] = {}
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name in subforms and isinstance(old or [], list) and isinstance(new or [], list):
            changes[name] = {"rows": _diff_rows(old or [], new or [])}
        else:
            changes[name] = {"from": old, "to": new}
    return changes


def _diff_rows(before: list[dict], after: list[dict]) -> dict[str, Any]:
    old = {row.get(ROW_ID): row for row in before if isinstance(row, dict)}
    new = {row.get(ROW_ID): row for row in after if isinstance(row, dict)}
    rows: dict[str, Any] = {}
    for row_id in dict.fromkeys([*old, *new]):
        if row_id not in new:
            rows[row_id] = {"removed": True}
        elif row_id not in old:
            rows[row_id] = {"added": {k: v for k, v in new[row_id].items() if k != ROW_ID}}
        elif old[row_id] != new[row_id]:
            rows[row_id] = {"changed": diff_data(old[row_id], new[row_id], set())}
    return rows
