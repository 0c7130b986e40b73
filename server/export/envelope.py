"""What an export shows of a record's envelope: translated statuses and states, the incident's case, json records.

Statuses take their labels from the status lookup of the record type in the published
configuration (Primero's ids, so an imported configuration brings its own), modules from their
names, agencies from theirs; a code without a label is shown as it is. An incident carries the
id of the case it was created from (`links.case_id`); exports add that case's display id, looked
up a batch of records at a time so memory stays flat.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

from server.messages import _l

from server.auth.accounts import list_entities
from server.export.cells import date_kind, date_text, parse_date, parse_datetime
from server.export.layout import LINKED_CASE
from server.metadata.configuration import Configuration
from server.metadata.labels import resolve_text
from server.records.service import present
from server.records.types import RecordType
from server.records.validation import form_fields
from server.storage import Database, records as store

STATUS_LOOKUPS = {"case": "lookup-case-status", "incident": "lookup-incident-status",
                  "tracing_request": "lookup-inquiry-status"}
LOOKUP_BATCH = 500


def record_state_labels(codes: bool) -> dict[bool, str]:
    """How a record's state reads in the export (codes: as json writes it)."""
    if codes:
        return {True: "true", False: "false"}
    return {True: str(_l("Enabled record")), False: str(_l("Disabled record"))}


def status_labels(config: Configuration, record_type: str, locale: str, default: str) -> dict[str, str]:
    """{status code: label} from the record type's status lookup (empty when the configuration has none)."""
    lookup = config.lookups.get(STATUS_LOOKUPS.get(record_type, ""), {})
    return {value["id"]: resolve_text(value["display_text"], locale, default) or value["id"]
            for value in lookup.get("lookup_values_i18n", [])}


def envelope_labels(config: Configuration, record_type: str, locale: str, default: str,
                    codes: bool) -> dict[str, dict[Any, str]]:
    """The labels of the envelope columns of a sheet: {column name: {value: label}}."""
    return {"status": {} if codes else status_labels(config, record_type, locale, default),
            "record_state": record_state_labels(codes)}


def with_linked_cases(db: Database, incidents: Iterable[dict[str, Any]], case_type: RecordType,
                      batch: int = LOOKUP_BATCH) -> Iterator[dict[str, Any]]:
    """Yield incidents with their case's display id added to their links (one query per batch)."""
    for pending in in_batches(incidents, batch):
        yield from _add_case_display_ids(db, pending, case_type)


def in_batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """The items, `size` at a time, so that each batch costs one lookup query (itertools.batched is 3.12)."""
    pending: list[dict[str, Any]] = []
    for item in items:
        pending.append(item)
        if len(pending) == size:
            yield pending
            pending = []
    if pending:
        yield pending


def _add_case_display_ids(db: Database, incidents: list[dict[str, Any]], case_type: RecordType) -> list[dict]:
    case_ids = {(incident.get("links") or {}).get("case_id") for incident in incidents} - {None}
    shown = store.display_ids(db, case_type.name, case_ids, case_type.display_id) if case_ids else {}
    for incident in incidents:
        links = incident.get("links") or {}
        if links.get("case_id") in shown:
            incident["links"] = {**links, LINKED_CASE: shown[links["case_id"]]}
    return incidents


def _json_date(value: Any, kind: str) -> Any:
    """A stored date as every export writes it (a value that is not a date is left as it is)."""
    parsed = parse_datetime(value) if kind == "datetime" else parse_date(value)
    return date_text(parsed) if parsed is not None else value


class JsonRecords:
    """Turns stored records into the records of a json export: readable fields, dates as in xlsx and csv,
    the linked case, and (unless codes were asked for) the labels of the envelope values."""

    def __init__(self, db: Database, config: Configuration, record_type: RecordType, fields: list[str],
                 readable: set[str] | None, locale: str, default: str, codes: bool) -> None:
        forms = form_fields(config, record_type.name, None)
        self.record_type, self.fields, self.readable = record_type, fields, readable
        self.dates = {name: kind for name, field in forms.fields.items() if (kind := date_kind(field))}
        self.row_dates = {name: {row: kind for row, field in rows.items() if (kind := date_kind(field))}
                          for name, rows in forms.nested.items()}
        self.labels = None if codes else {
            "status": status_labels(config, record_type.name, locale, default),
            "record_state": record_state_labels(False),
            "module_id": {uid: resolve_text(module.get("name_i18n"), locale, default) or uid
                          for uid, module in config.modules.items()},
            "owned_by_agency": _agency_names(db, locale, default)}

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        shown = present(record, self.record_type, self.fields, self.readable)
        for key, value in shown.items():
            if isinstance(value, datetime):  # envelope times (created_at, last_updated_at)
                shown[key] = date_text(_naive_utc(value))
        data = shown["data"]
        for name, kind in self.dates.items():
            if name in data:
                data[name] = _json_date(data[name], kind)
        for name, kinds in self.row_dates.items():
            if kinds and isinstance(data.get(name), list):
                data[name] = [{key: _json_date(value, kinds[key]) if key in kinds else value
                               for key, value in row.items()} if isinstance(row, dict) else row
                              for row in data[name]]
        if self.labels is not None:
            shown["labels"] = {key: labels[shown[key]] for key, labels in self.labels.items()
                               if isinstance(shown.get(key), (str, bool)) and shown[key] in labels}
        return shown


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _agency_names(db: Database, locale: str, default: str) -> dict[str, str]:
    """{agency id: name} of the agencies that have a name."""
    agencies, _ = list_entities(db, "agencies", {}, 1, 0)
    names = {agency["_id"]: resolve_text(agency.get("name_i18n"), locale, default) for agency in agencies}
    return {key: name for key, name in names.items() if name}
