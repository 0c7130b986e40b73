"""Record collections (case, incident, tracing_request) and their history.

A record document keeps its envelope at the top, form data under `data`, the normalized words of
its searchable fields under `_search`, and the hash of its create body under `_create_hash`
(idempotent creates). A change and its history entry are written together: the entry travels in
the record document (`_pending_history`) in the same atomic update, then is copied to
record_history (an idempotent upsert by record and revision). If the process dies before the
copy, the entry is still in the record: the next write of the record and every history read
copy it first. So a failed write leaves no history, and a process dying midway loses none.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping, Sequence

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from server.storage.client import Database
from server.storage.errors import DuplicateKey, translated_errors
from server.storage.mongo_query import to_mongo, to_mongo_sort, to_projection
from server.storage.query import EVERY_ITEM, Condition, Page, Sort

HISTORY = "record_history"
PENDING = "_pending_history"
ENVELOPE_INDEXES = ("short_id", "status", "record_state", "module_id", "owned_by", "owned_by_agency",
                    "created_at", "last_updated_at", "associated_user_names", "_search", "links.case_id")
_known_indexes: set[tuple[str, str, str]] = set()


def ensure_record_indexes(db: Database, collection: str, data_fields: Iterable[str]) -> None:
    """Create the envelope indexes and one per filterable data field (idempotent, remembered per process)."""
    wanted = [("short_id", True)] + [(name, False) for name in ENVELOPE_INDEXES[1:]]
    wanted += [(f"data.{name}", False) for name in data_fields]
    with translated_errors():
        for name, unique in wanted:
            key = (db.name, collection, name)
            if key in _known_indexes:
                continue
            db[collection].create_index([(name, ASCENDING)], unique=unique, sparse=unique)
            _known_indexes.add(key)
        key = (db.name, HISTORY, "record")
        if key not in _known_indexes:
            db[HISTORY].create_index([("record_id", ASCENDING), ("revision", DESCENDING)])
            _known_indexes.add(key)


def insert_record(db: Database, collection: str, document: dict[str, Any]) -> None:
    """Insert a new record with its pending history; DuplicateKey names the clashing key (duplicate_field)."""
    try:
        with translated_errors():
            db[collection].insert_one(document)
    except DuplicateKey as error:
        error.field = _clashing_key(db, collection, document, error)
        raise
    flush_history(db, collection, document)


def _clashing_key(db: Database, collection: str, document: dict[str, Any], error: DuplicateKey) -> str:
    """The unique key a refused insert clashed on: as the server names it, else as the collection shows it."""
    message = str(error.__cause__)
    if "short_id" in message:
        return "short_id"
    if "_id_" in message:  # MongoDB names the index (_id_); some servers and the in-memory fake do not
        return "_id"
    with translated_errors():
        return "_id" if db[collection].find_one({"_id": document["_id"]}, {"_id": 1}) else "short_id"


def duplicate_field(error: DuplicateKey) -> str:
    """Tell which unique key a DuplicateKey of insert_record came from ("_id" or "short_id")."""
    return getattr(error, "field", None) or ("short_id" if "short_id" in str(error.__cause__) else "_id")


def find_record(db: Database, collection: str, record_id: str) -> dict[str, Any] | None:
    with translated_errors():
        return db[collection].find_one({"_id": record_id})


def update_record(db: Database, collection: str, record_id: str, revision: int,
                  changes: dict[str, Any], unset: Iterable[str], history: dict[str, Any]) -> dict[str, Any] | None:
    """Apply `changes` if the record is still at `revision`; None when it moved on (or is gone)."""
    update: dict[str, Any] = {"$set": {**changes, PENDING: history}, "$inc": {"revision": 1}}
    unset = list(unset)
    if unset:
        update["$unset"] = {name: "" for name in unset}
    with translated_errors():
        record = db[collection].find_one_and_update({"_id": record_id, "revision": revision}, update,
                                                    return_document=ReturnDocument.AFTER)
    if record:
        flush_history(db, collection, record)
    return record


def flush_history(db: Database, collection: str, record: dict[str, Any]) -> None:
    """Copy a record's latest history entry to record_history (idempotent: an upsert by its id)."""
    entry = record.get(PENDING)
    if entry:
        with translated_errors():
            db[HISTORY].replace_one({"_id": entry["_id"]}, entry, upsert=True)


def list_records(db: Database, collection: str, where: Condition | Mapping[str, Any] | None, sort: Sequence[Sort],
                 page: Page = EVERY_ITEM, fields: Iterable[str] | None = None) -> tuple[list[dict], int]:
    """Return one page of the records meeting a condition (only `fields`, if given) and how many meet it."""
    query = to_mongo(where)
    with translated_errors():
        total = db[collection].count_documents(query)
        found = db[collection].find(query, to_projection(fields)).sort(to_mongo_sort(sort))
        items = list(found.skip(page.skip).limit(page.size))
    return items, total


def list_history(db: Database, record_id: str, max_revision: int, skip: int, limit: int) -> tuple[list[dict], int]:
    """Return a record's history, newest first (entries of writes that never committed are ignored)."""
    query = {"record_id": record_id, "revision": {"$lte": max_revision}}
    with translated_errors():
        total = db[HISTORY].count_documents(query)
        entries = list(db[HISTORY].find(query).sort("revision", DESCENDING).skip(skip).limit(limit))
    return entries, total


def stream_records(db: Database, collection: str, where: Condition | Mapping[str, Any],
                   batch_size: int = 1000) -> Iterator[dict]:
    """Yield the records meeting a condition in a stable order, fetched in batches."""
    query = to_mongo(where)
    with translated_errors():
        cursor = db[collection].find(query, {"_search": 0, "_create_hash": 0}).sort("_id", ASCENDING)
        cursor = cursor.batch_size(batch_size)
        yield from cursor


def count_records(db: Database, collection: str, where: Condition | Mapping[str, Any]) -> int:
    query = to_mongo(where)
    with translated_errors():
        return db[collection].count_documents(query)


def display_ids(db: Database, collection: str, ids: set[str], key: str) -> dict[str, Any]:
    """{record id: its display id} of the records found among `ids`."""
    with translated_errors():
        found = db[collection].find({"_id": {"$in": sorted(ids)}}, {key: 1})
        return {record["_id"]: record.get(key) for record in found}
