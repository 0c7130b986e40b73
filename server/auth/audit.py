"""The audit log: who did what, when, to which record, from where. Never field values or passwords."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from server.storage import Database, auth as store


def log_event(db: Database, *, action: str, user_name: str | None, at: datetime, address: str | None,
              resource: str | None = None, record_id: str | None = None, status: int | None = None,
              detail: str | None = None) -> None:
    """Append an entry to the audit log."""
    store.insert_audit(db, {"at": at, "user_name": user_name, "action": action, "resource": resource,
                            "record_id": record_id, "address": address, "status": status, "detail": detail})


def list_events(db: Database, filters: dict[str, Any], page: int, per_page: int) -> tuple[list[dict], int]:
    """Return a page of audit entries, newest first, filtered by user, action, record and date range."""
    query: dict[str, Any] = {}
    for name in ("user_name", "action", "record_id"):
        if filters.get(name):
            query[name] = filters[name]
    if filters.get("from") or filters.get("to"):
        query["at"] = {**({"$gte": filters["from"]} if filters.get("from") else {}),
                       **({"$lte": filters["to"]} if filters.get("to") else {})}
    items, total = store.page(db, "audit_log", query, (page - 1) * per_page, per_page, sort="at", direction=-1)
    return [{k: v for k, v in item.items() if k != "_id"} for item in items], total
