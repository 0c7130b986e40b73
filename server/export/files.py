"""The files of upload fields in exports: their names, never their bytes nor a link to them.

An upload field holds the ids of its files; an export shows their names instead (a cell lists them, comma-separated;
json has the list of names), looked up a batch of records at a time, in one query per batch. A partner who needs a
file asks for it through the API, as someone who may read that record and field.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from server.export.envelope import in_batches
from server.metadata.configuration import Configuration
from server.metadata.field_types import FILES, type_of
from server.records.attachments import file_names
from server.records.validation import form_fields
from server.storage import Database

BATCH = 500


def upload_fields(config: Configuration, record_type: str, names: Iterable[str]) -> set[str]:
    """The names among `names` that are upload fields of the record type's published forms."""
    fields = form_fields(config, record_type, None).fields
    return {name for name in names if name in fields and type_of(fields[name]).value == FILES}


def with_file_names(db: Database, records: Iterable[dict[str, Any]], fields: set[str],
                    batch: int = BATCH) -> Iterator[dict[str, Any]]:
    """Yield the records with the ids in their upload `fields` replaced by the files' names."""
    if not fields:
        yield from records
        return
    for pending in in_batches(records, batch):
        yield from _named(db, pending, fields)


def _named(db: Database, records: list[dict[str, Any]], fields: set[str]) -> list[dict[str, Any]]:
    ids = {item for record in records for name in fields for item in _ids(record, name)}
    names = file_names(db, ids, [record["_id"] for record in records]) if ids else {}
    named = []
    for record in records:
        data = dict(record.get("data") or {})
        for name in fields:
            if name in data and isinstance(data[name], list):
                data[name] = [names.get(item, item) for item in _ids(record, name)]
        named.append({**record, "data": data})
    return named


def _ids(record: dict[str, Any], name: str) -> list[str]:
    value = (record.get("data") or {}).get(name)
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
