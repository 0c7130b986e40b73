"""The audit log: who did what, when, to which record, from where. Never field values or passwords.

A reader sees which record an entry is about (its id and detail) only for the record types their
role may read with the scope "all"; for the others the entry shows who, what and when, with
`redacted: true` (an administrator who sees no case data learns no case id from the log either).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from server.auth.permissions import Principal
from server.metadata.documents import RECORD_TYPES
from server.storage import Database, auth as store
from server.storage.query import Filter, all_of


def log_event(db: Database, *, action: str, user_name: str | None, at: datetime, address: str | None,
              resource: str | None = None, record_id: str | None = None, status: int | None = None,
              detail: str | None = None, device_id: str | None = None) -> None:
    """Append an entry to the audit log (with the registered device the caller acts from, if any)."""
    entry = {"at": at, "user_name": user_name, "action": action, "resource": resource, "record_id": record_id,
             "address": address, "status": status, "detail": detail}
    if device_id:
        entry["device_id"] = device_id
    store.insert_audit(db, entry)


def hidden_record_types(reader: Principal | None) -> list[str]:
    """The record types whose ids and details `reader` may not see in the log (None: the operator sees all)."""
    if reader is None:
        return []
    return [name for name in RECORD_TYPES if not (reader.can(name, "read") and reader.scope == "all")]


def _shown(entry: dict[str, Any], hidden: list[str]) -> dict[str, Any]:
    shown = {k: v for k, v in entry.items() if k != "_id"}
    if shown.get("resource") in hidden:
        shown.update(record_id=None, detail=None, redacted=True)
    return shown


def list_events(db: Database, filters: dict[str, Any], page: int, per_page: int,
                reader: Principal | None = None) -> tuple[list[dict], int]:
    """Return a page of audit entries, newest first, filtered by user, action, record and date range.

    Entries about records `reader` may not see are redacted, and a record_id filter never matches
    them (the answer would tell that such a record exists and who touched it).
    """
    hidden = hidden_record_types(reader)
    conditions = [Filter(name, "eq", filters[name]) for name in ("user_name", "action", "record_id")
                  if filters.get(name)]
    if filters.get("record_id") and hidden:
        conditions.append(Filter("resource", "nin", hidden))
    conditions += [Filter("at", op, filters[bound]) for bound, op in (("from", "gte"), ("to", "lte"))
                   if filters.get(bound)]
    items, total = store.page(db, "audit_log", all_of(*conditions), (page - 1) * per_page, per_page,
                              sort="at", direction=-1)
    return [_shown(item, hidden) for item in items], total
