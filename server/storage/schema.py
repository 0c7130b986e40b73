"""The database's schema version and the lease of the one process that migrates it.

- settings: {"_id": "schema", "version": n, "steps": [{"version", "name", "done_at", "changed"}],
            "migrating": {"by", "until"} | absent}
  `version` is the number of migration steps (server/services/migrations.py) the stored documents have been
  through. A database without this document was written by a release from before schema versions (version 0),
  or is empty. `migrating` is a lease: the process that holds it runs the steps; another that starts meanwhile
  waits for it, and takes over once the lease has run out (the holder was killed).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from server.storage.client import Database
from server.storage.errors import DuplicateKey, translated_errors

SCHEMA_ID = "schema"
SETTINGS = "settings"
# Collections that hold nothing a user made: an instance with only these is empty for a restore.
HOUSEKEEPING = frozenset({"login_counters", "tokens"})


def find_schema(db: Database) -> dict[str, Any] | None:
    """Return the schema document, or None (an empty database, or one older than schema versions)."""
    with translated_errors():
        return db[SETTINGS].find_one({"_id": SCHEMA_ID})


def lineage(db: Database) -> str:
    """The database's lineage: empty until a restore gives it one (each restore a new one)."""
    with translated_errors():
        found = db[SETTINGS].find_one({"_id": SCHEMA_ID}, {"lineage": 1})
    return (found or {}).get("lineage", "")


def stamp_schema(db: Database, version: int, now: datetime) -> None:
    """Record `version` for a database that had none (an empty one: nothing to migrate)."""
    try:
        with translated_errors():
            db[SETTINGS].insert_one({"_id": SCHEMA_ID, "version": version, "steps": [], "created_at": now})
    except DuplicateKey:  # another process starting at the same moment stamped it
        pass


def claim_lease(db: Database, owner: str, now: datetime, until: datetime) -> dict[str, Any] | None:
    """Take the migration lease if nobody holds it or it ran out; return the schema document, or None if held."""
    free = {"$or": [{"migrating": None}, {"migrating.until": {"$lt": now}}, {"migrating.by": owner}]}
    try:
        with translated_errors():
            return db[SETTINGS].find_one_and_update(
                {"_id": SCHEMA_ID, **free}, {"$set": {"migrating": {"by": owner, "until": until}},
                                             "$setOnInsert": {"version": 0, "steps": []}},
                upsert=True, return_document=ReturnDocument.AFTER)
    except DuplicateKey:  # the document exists and someone else holds the lease
        return None


def extend_lease(db: Database, owner: str, until: datetime) -> bool:
    """Keep the lease while a long step runs; False when it was lost (another process took it over)."""
    with translated_errors():
        result = db[SETTINGS].update_one({"_id": SCHEMA_ID, "migrating.by": owner},
                                         {"$set": {"migrating.until": until}})
    return result.matched_count == 1


def record_step(db: Database, owner: str, version: int, name: str, changed: int, now: datetime) -> bool:
    """Record that step `version` is done (only by the lease's holder, only once); tell whether it was recorded."""
    with translated_errors():
        result = db[SETTINGS].update_one(
            {"_id": SCHEMA_ID, "migrating.by": owner, "version": version - 1},
            {"$set": {"version": version},
             "$push": {"steps": {"version": version, "name": name, "done_at": now, "changed": changed}}})
    return result.modified_count == 1


def release_lease(db: Database, owner: str) -> None:
    """Give the lease back."""
    with translated_errors():
        db[SETTINGS].update_one({"_id": SCHEMA_ID, "migrating.by": owner}, {"$unset": {"migrating": ""}})


def holds_user_data(db: Database) -> list[str]:
    """The collections that hold documents (the schema stamp and housekeeping aside), sorted."""
    with translated_errors():
        names = sorted(name for name in db.list_collection_names()
                       if not name.startswith("system.") and name not in HOUSEKEEPING)
        return [name for name in names
                if db[name].find_one({"_id": {"$ne": SCHEMA_ID}} if name == SETTINGS else {}, {"_id": 1})]


def find_mark(db: Database, mark: str) -> dict[str, Any] | None:
    """Return a mark of work under way (a restore), or None."""
    with translated_errors():
        return db[SETTINGS].find_one({"_id": mark})


def put_mark(db: Database, mark: str, content: dict[str, Any]) -> None:
    """Leave a mark of work under way (replacing an earlier one)."""
    with translated_errors():
        db[SETTINGS].replace_one({"_id": mark}, {**content, "_id": mark}, upsert=True)


def drop_mark(db: Database, mark: str) -> None:
    """Remove a mark: the work is done."""
    with translated_errors():
        db[SETTINGS].delete_one({"_id": mark})


def clear_settings(db: Database, keep: str) -> None:
    """Delete every settings document but `keep` (a restore starting over)."""
    with translated_errors():
        db[SETTINGS].delete_many({"_id": {"$ne": keep}})


def drop_collections(db: Database, names: list[str]) -> None:
    """Drop collections (what a restore cut short had written)."""
    with translated_errors():
        for name in names:
            db.drop_collection(name)


def mark_restored(db: Database, restored: dict[str, Any], version: int) -> None:
    """Record a restore on the schema document (a new lineage: devices start their sync over); drop any lease."""
    with translated_errors():
        db[SETTINGS].update_one({"_id": SCHEMA_ID}, {"$set": restored, "$unset": {"migrating": ""},
                                                     "$setOnInsert": {"version": version, "steps": []}},
                                upsert=True)
