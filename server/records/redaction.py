"""Removing the fields that identify a person from a record and from its history (retention's pseudonymisation).

What stays is the record with its other fields: its status, dates, places, concerns and services, which reports keep
counting. The record's search words and duplicate keys are made again from what stays (server.records.service's
write), so no index keeps a name either. The history keeps every entry, without the identifying fields' values: a
later reader still sees who changed what and when.
"""
from __future__ import annotations

from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.retention import IdentifyingFields
from server.records import service
from server.records.actor import Actor
from server.records.types import RecordType
from server.records.validation import form_fields
from server.storage import Database, data_protection as store

PSEUDONYMISED_AT = "pseudonymised_at"   # the envelope's mark: when the identifying fields were removed
PSEUDONYMISE_ACTION = "pseudonymise"     # the history entry of that write
ROW_ID = "unique_id"
EMPTIED = {"from": None, "to": None}     # what the pseudonymising write's history says of a field it removed


class AlreadyPseudonymised(Exception):
    """The record was pseudonymised already (by another run, or before this one resumed)."""


def stripped_data(data: dict[str, Any], identifying: IdentifyingFields) -> tuple[dict[str, Any], dict[str, Any]]:
    """The data without the identifying fields (rows keep their other fields), and the history's changes of that."""
    kept: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    for name, value in data.items():
        if name in identifying.top:
            changes[name] = dict(EMPTIED)
        elif name in identifying.rows and isinstance(value, list):
            rows, changed = _stripped_rows(value, identifying.rows[name])
            kept[name] = rows
            if changed:
                changes[name] = {"rows": changed}
        else:
            kept[name] = value
    return kept, changes


def removed_names(changes: dict[str, Any]) -> list[str]:
    """The fields a pseudonymising write emptied, from its history changes: "name", or "subform/field" in rows."""
    names = set()
    for name, change in changes.items():
        rows = change.get("rows") if isinstance(change, dict) else None
        if isinstance(rows, dict):
            names.update(f"{name}/{field}" for row in rows.values() if isinstance(row, dict)
                         for field in row.get("changed") or ())
        else:
            names.add(name)
    return sorted(names)


def _stripped_rows(rows: list[Any], names: frozenset[str]) -> tuple[list[Any], dict[str, Any]]:
    kept, changed = [], {}
    for row in rows:
        if not isinstance(row, dict):
            kept.append(row)
            continue
        removed = sorted(name for name in row if name in names)
        kept.append({key: value for key, value in row.items() if key not in names})
        if removed:
            changed[str(row.get(ROW_ID))] = {"changed": {name: dict(EMPTIED) for name in removed}}
    return kept, changed


def scrubbed_changes(changes: dict[str, Any], identifying: IdentifyingFields) -> dict[str, Any]:
    """A history entry's changes without the identifying fields' values (an entry of a field removed entirely)."""
    scrubbed: dict[str, Any] = {}
    for name, change in changes.items():
        if name in identifying.top:
            continue
        if name in identifying.rows and isinstance(change, dict) and isinstance(change.get("rows"), dict):
            rows = {row_id: _scrubbed_row(row, identifying.rows[name]) for row_id, row in change["rows"].items()}
            rows = {row_id: row for row_id, row in rows.items() if row is not None}
            if rows or not change["rows"]:
                scrubbed[name] = {**change, "rows": rows}
        elif name in identifying.rows and isinstance(change, dict):  # a whole list replaced: its rows' values
            scrubbed[name] = {key: _stripped_rows(value, identifying.rows[name])[0] if isinstance(value, list)
                              else value for key, value in change.items()}
        else:
            scrubbed[name] = change
    return scrubbed


def _scrubbed_row(change: Any, names: frozenset[str]) -> Any:
    """A row's change without the identifying fields (None: nothing of it is left to tell)."""
    if not isinstance(change, dict):
        return change
    scrubbed = {}
    for kind, value in change.items():
        if kind in ("added", "changed") and isinstance(value, dict):
            value = {name: item for name, item in value.items() if name not in names}
            if kind == "changed" and not value:
                continue
        scrubbed[kind] = value
    return scrubbed or None


def pseudonymise_record(db: Database, config: Configuration, record_type: RecordType, record_id: str,
                        identifying: IdentifyingFields, actor: Actor) -> dict[str, Any]:
    """Remove the identifying fields of a record in one write (a history entry `pseudonymise` names the fields it
    emptied, never their values) and mark it pseudonymised; AlreadyPseudonymised when it is already.

    The write is the record engine's: retried on a concurrent write, with the record's search words, duplicate keys
    and workflow summaries made again from what stays.
    """
    def build(record: dict[str, Any]):
        if record.get(PSEUDONYMISED_AT):
            raise AlreadyPseudonymised(record["_id"])
        forms = form_fields(config, record_type.name, record.get("module_id"))
        data, diff = stripped_data(record.get("data") or {}, identifying)
        changes = {f"data.{name}": data[name] for name in diff if name in data}
        unset = [f"data.{name}" for name in diff if name not in data]
        changes.update({"_search": service._search_words(data, forms), PSEUDONYMISED_AT: actor.now})
        return changes, unset, diff
    return service.write_change(db, config, record_type, record_id, None, "write", actor, PSEUDONYMISE_ACTION, build)


def scrub_history(db: Database, record: dict[str, Any], identifying: IdentifyingFields) -> int:
    """Remove the identifying fields' values from every history entry of a record; return how many entries changed.

    Idempotent: an entry already scrubbed is left as it is, and so is the pseudonymising write's own entry (it names
    the fields it emptied, with no value).
    """
    scrubbed = 0
    for entry in store.all_history(db, record["_id"]):
        if entry.get("action") == PSEUDONYMISE_ACTION:
            continue
        changes = entry.get("changes") or {}
        cleaned = scrubbed_changes(changes, identifying)
        if cleaned != changes:
            store.replace_history_changes(db, entry["_id"], cleaned)
            scrubbed += 1
    return scrubbed
