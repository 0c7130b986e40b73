"""Every record an actor may read that matches list filters, for outputs that read them all (exports).

The same rule as a record read or a list: the actor's scope (server.records.service.build_query, which
also checks the permission first) and only the data fields they may see (server.records.access.visible_fields).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from server.metadata.configuration import Configuration
from server.records.access import visible_fields
from server.records.actor import Actor
from server.records.service import build_query
from server.records.types import RecordType
from server.storage import Database, records as store
from server.storage.query import Condition


@dataclass(frozen=True)
class ReadableRecords:
    """How many records there are, the data fields the actor may see (None: all), and the records themselves.

    Iterating reads them again from the start, in a stable order, a batch at a time; each holds only
    the visible data fields.
    """

    total: int
    visible: set[str] | None
    _read: Callable[[], Iterator[dict[str, Any]]]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._read()


def readable_records(db: Database, config: Configuration, record_type: RecordType, args: dict[str, list[str]],
                     max_per_page: int, actor: Actor, base_filter: Condition | Mapping[str, Any] | None = None,
                     action: str = "read") -> ReadableRecords:
    """The records in the actor's scope matching the list arguments, as the actor may see them.

    `action` is the permission asked (export_xlsx, ...), checked before anything is read.
    """
    query = build_query(config, record_type, args, max_per_page, actor, base_filter, action=action)
    visible = visible_fields(db, config, record_type, actor)

    def read() -> Iterator[dict[str, Any]]:
        for record in store.stream_records(db, record_type.name, query.filter):
            yield _with_visible_data(record, visible)
    return ReadableRecords(store.count_records(db, record_type.name, query.filter), visible, read)


def _with_visible_data(record: dict[str, Any], visible: set[str] | None) -> dict[str, Any]:
    if visible is None:
        return record
    data = record.get("data") or {}
    return {**record, "data": {name: value for name, value in data.items() if name in visible}}
