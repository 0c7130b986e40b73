"""Reading the changes of a scope in sequence order, for sync pulls; and the conflicts a push keeps.

A pull asks for the records numbered after a position that carry one of a few access keys, or once carried one
(GONE: the record left that scope, the device gets a tombstone). Numbers are taken before a write commits, so a
number may become visible after a higher one: a pull stops before the first record numbered less than `settle`
seconds ago, and a write that committed more than WRITE_LEASE seconds after taking its number takes a new one
(server/storage/records.py). A pull therefore never passes a number whose write has yet to become visible: the
position it returns is the number of the last record it gave, and every write still in flight below it will carry
a higher number when it commits.

The windows: `{ACCESS: key, SEQUENCE: {$gt: low, $lte: high}}` (and the same on GONE), one query per key and window,
an equality and a range on one compound index, read in ascending windows that widen while they find little.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING

from server.storage.client import Database
from server.storage.errors import translated_errors
from server.storage.records import ACCESS, GONE, NUMBERED_AT, SEQUENCE, sequence_state

WINDOW_GROWTH = 8
CONFLICTS = "record_conflicts"


@dataclass(frozen=True)
class Changes:
    """Records in sequence order, the position after the last of them, and whether more may follow now."""

    records: list[dict[str, Any]]
    position: int
    more: bool


def read_changes(db: Database, collection: str, keys: tuple[str, ...], after: int, limit: int,
                 settled_before: float) -> Changes:
    """The records carrying or having lost one of `keys`, numbered after `after`, oldest first, at most `limit`,
    and none numbered at or after `settled_before` (seconds since the epoch) nor any after such a one."""
    top = sequence_state(db, collection).get("value", 0)
    found: list[dict[str, Any]] = []
    low, width = after, 2 * limit
    while low < top:
        high = min(low + width, top)
        window = _window(db, collection, keys, low, high)
        for record in window:
            if record.get(NUMBERED_AT, 0) >= settled_before:
                return Changes(found, found[-1][SEQUENCE] if found else after, False)
            found.append(record)
            if len(found) == limit:
                return Changes(found, record[SEQUENCE], True)
        if 2 * len(window) < limit:  # little found (none, for a page of one): read wider
            width *= WINDOW_GROWTH
        low = high
    return Changes(found, found[-1][SEQUENCE] if found else after, False)


def _window(db: Database, collection: str, keys: tuple[str, ...], low: int, high: int) -> list[dict[str, Any]]:
    numbers = {"$gt": low, "$lte": high}
    seen: dict[str, dict[str, Any]] = {}
    with translated_errors():
        for key in keys:
            for field in (ACCESS, GONE):
                for record in db[collection].find({field: key, SEQUENCE: numbers}):
                    seen[record["_id"]] = record
    return sorted(seen.values(), key=lambda record: record[SEQUENCE])


def ensure_conflict_indexes(db: Database) -> None:
    with translated_errors():
        db[CONFLICTS].create_index([("record_id", ASCENDING), ("status", ASCENDING)])
        db[CONFLICTS].create_index([(ACCESS, ASCENDING), ("status", ASCENDING), ("created_at", ASCENDING)])


def save_conflict(db: Database, conflict: dict[str, Any]) -> dict[str, Any]:
    """Keep a conflict (its _id is the change's id): computed again after a concurrent write, it replaces the one
    kept by the attempt before (whose fields in conflict may have been fewer)."""
    changes = {key: value for key, value in conflict.items() if key not in ("_id", "created_at")}
    with translated_errors():
        db[CONFLICTS].update_one({"_id": conflict["_id"]}, {"$set": changes,
                                                            "$setOnInsert": {"created_at": conflict["created_at"]}},
                                 upsert=True)
        return db[CONFLICTS].find_one({"_id": conflict["_id"]})


def find_conflict(db: Database, conflict_id: str) -> dict[str, Any] | None:
    with translated_errors():
        return db[CONFLICTS].find_one({"_id": conflict_id})


def open_conflicts(db: Database, keys: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
    """The open conflicts of records that carried one of these access keys when the conflict was kept, oldest
    first."""
    with translated_errors():
        return list(db[CONFLICTS].find({"status": "open", ACCESS: {"$in": list(keys)}})
                    .sort("created_at", ASCENDING).limit(limit))


def close_conflict(db: Database, conflict_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Mark an open conflict resolved; None when it is not open (resolved meanwhile)."""
    with translated_errors():
        if not db[CONFLICTS].update_one({"_id": conflict_id, "status": "open"}, {"$set": changes}).matched_count:
            return None
        return db[CONFLICTS].find_one({"_id": conflict_id})
