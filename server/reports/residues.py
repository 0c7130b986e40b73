"""What a deleted record leaves for the counts: its residue.

A retention run that deletes a record (server/services/data_protection.py) keeps its residue first, so that reports
keep counting it: the envelope parts reports read, and of its data only the values a report can group or filter by
(options, tick boxes, places, numbers, dates; a subform's rows with those values only), never a field marked
`identifying` nor any text. A residue names no child: no name, no free text, no date of birth, no record id a user
ever saw (its `_id` is the record's internal uuid, which no report shows).
"""
from __future__ import annotations

import time
from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.documents import SUBFORM
from server.metadata.report_definition import DIMENSION_TYPES, top_fields
from server.reports.facts import trimmed
from server.storage import Database, reports as store


def _countable(field: dict[str, Any]) -> bool:
    return field["type"] in DIMENSION_TYPES and not field.get("identifying")


def residue_of(config: Configuration, record_type: str, record: dict[str, Any]) -> dict[str, Any]:
    """The residue of a record: what the counts need and nothing that identifies the child."""
    fields = top_fields(config, record_type)
    data = record.get("data") or {}
    kept: dict[str, Any] = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None or field.get("identifying"):
            continue
        if field["type"] == SUBFORM:
            nested = config.forms.get(field.get("subform_section_id") or "") or {"fields": []}
            countable = {f["name"] for f in nested["fields"] if _countable(f)}
            kept[name] = [{key: item for key, item in row.items() if key in countable}
                          for row in value if isinstance(row, dict)] if isinstance(value, list) else []
        elif _countable(field):
            kept[name] = value
    residue = trimmed({**record, "data": kept}, kept)
    residue["_id"] = record["_id"]
    return residue


def keep_residue(db: Database, config: Configuration, record_type: str, record: dict[str, Any]) -> None:
    """Keep the residue of a record about to be deleted (idempotent: a second call replaces the first)."""
    store.ensure_residue_indexes(db)
    store.save_residue(db, record_type, residue_of(config, record_type, record), time.time())
