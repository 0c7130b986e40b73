"""Record collections (case, incident, tracing_request) and their history.

A record document keeps its envelope at the top, form data under `data`, the normalized words of
its searchable fields under `_search`, and the hash of its create body under `_create_hash`
(idempotent creates). A change and its history entry are written together: the entry travels in
the record document (`_pending_history`) in the same atomic update, then is copied to
record_history (an idempotent upsert by record and revision). If the process dies before the
copy, the entry is still in the record: the next write of the record and every history read
copy it first. So a failed write leaves no history, and a process dying midway loses none.

Every write also stamps the record with the next number of its collection's sequence (SEQUENCE, from
record_sequences): a list of the most recent records reads the compound index (ACCESS, SEQUENCE) in windows of
numbers (server/storage/listing.py). ACCESS holds the record's access keys, which the record engine computes.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from pymongo import ASCENDING, DESCENDING, ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError, OperationFailure

from server.storage.client import Database
from server.storage.errors import DuplicateKey, StorageUnavailable, translated_errors
from server.storage.mongo_query import to_mongo, to_mongo_sort, to_projection
from server.storage.query import EVERY_ITEM, Condition, Page, Sort

HISTORY = "record_history"
SEQUENCES = "record_sequences"
PENDING = "_pending_history"
ACCESS = "_access"  # the record's access keys: who may see it (server.auth.permissions.record_access_keys)
EVERY_RECORD_KEY = "*"  # the access key every record carries (the scope "all")
SEQUENCE = "_seq"  # the number of the record's last write in its collection's sequence
NUMBERED_AT = "_seq_at"  # when SEQUENCE was taken (seconds since the epoch, this server's clock)
GONE = "_access_gone"  # access keys the record once had and no longer has (a sync pull's tombstones)
DELETED_AT = "deleted_at"  # a deleted record's tombstone (server/storage/data_protection.py): when; no data
# A write whose commit returns more than WRITE_LEASE seconds after it took its number takes a new one: a sync pull
# that reads up to the records numbered SETTLE seconds ago (WRITE_LEASE plus the clocks' disagreement) never passes a
# number whose write has yet to commit (server/storage/sync.py).
WRITE_LEASE = 5.0
LAYOUT = 2  # records carry ACCESS and SEQUENCE
UPGRADE_BATCH = 1_000  # records given their numbers in one block (one counter write, not one per record)
ENVELOPE_INDEXES = ("_search", "links.case_id", "_match", "_match_due")  # and short_id, unique: the fields a narrow plan
# reads by; the matching keys (server/storage/matching.py)
# Envelope fields a list filters on by equality: each, like each filterable data field, is indexed with the
# sequence, so that a rare value leads a list's windows ({field: value, _seq: range}) instead of the scope.
LEAD_FIELDS = ("status", "record_state", "module_id", "owned_by", "owned_by_agency", "associated_user_names", "stage",
               "flagged", "pending_approvals")
# Compound indexes: a scope key and an order. Every list names one key by equality and a range of the order (a
# case's earliest task and service due days: the task and service lists, server/workflow/worklists.py).
SCOPED_INDEXES = ((ACCESS, SEQUENCE), (ACCESS, "last_updated_at"), (GONE, SEQUENCE), (ACCESS, "task_due"),
                  (ACCESS, "service_due"))
# Single-field indexes of earlier releases that no plan reads (every write paid for them): dropped once.
SUPERSEDED_INDEXES = (*LEAD_FIELDS, "created_at", "last_updated_at")
_known_indexes: set[tuple[str, str, str]] = set()
_upgraded: set[tuple[str, str]] = set()  # (database, collection) whose records have the current LAYOUT


def ensure_record_indexes(db: Database, collection: str, data_fields: Iterable[str]) -> None:
    """Create the envelope indexes, and one (field, sequence) per equality filter (idempotent, remembered per
    process); drop the single-field indexes earlier releases made."""
    wanted = [([("short_id", ASCENDING)], True)] + [([(name, ASCENDING)], False) for name in ENVELOPE_INDEXES]
    leads = [*LEAD_FIELDS, *(f"data.{name}" for name in data_fields)]
    wanted += [([(name, ASCENDING), (SEQUENCE, ASCENDING)], False) for name in leads]
    wanted += [([(name, ASCENDING) for name in fields], False) for fields in SCOPED_INDEXES]
    with translated_errors():
        _drop_superseded(db, collection)
        for keys, unique in wanted:
            key = (db.name, collection, ",".join(name for name, _ in keys))
            if key in _known_indexes:
                continue
            db[collection].create_index(keys, unique=unique, sparse=unique)
            _known_indexes.add(key)
        key = (db.name, HISTORY, "record")
        if key not in _known_indexes:
            db[HISTORY].create_index([("record_id", ASCENDING), ("revision", DESCENDING)])
            _known_indexes.add(key)


def _drop_superseded(db: Database, collection: str) -> None:
    key = (db.name, collection, "superseded dropped")
    if key in _known_indexes:
        return
    for index in list(db[collection].list_indexes()):
        fields = list(index["key"])
        if len(fields) == 1 and (fields[0] in SUPERSEDED_INDEXES or fields[0].startswith("data.")):
            try:
                db[collection].drop_index(index["name"])
            except OperationFailure:
                if index["name"] in {found["name"] for found in db[collection].list_indexes()}:
                    raise  # still there: not another process starting at the same moment that dropped it
    _known_indexes.add(key)


def lead_fields(db: Database, collection: str) -> set[str]:
    """The fields indexed with the sequence in this process (what may lead a list's windows)."""
    suffix = f",{SEQUENCE}"
    return {name.removesuffix(suffix) for database, known, name in _known_indexes
            if database == db.name and known == collection and name.endswith(suffix)} - {ACCESS, GONE}


def next_sequence(db: Database, collection: str, count: int = 1, inserted: int = 0) -> int:
    """Take `count` numbers of a collection's sequence and return the last; `inserted` records are added to its count.

    The counter is written (durably) before any record carries one of its numbers, so it is never behind them. It is
    made apart, once, before it is first incremented: an increment that also created it (an upsert) could, when two
    requests made it at the same moment, be applied without the database returning the number it took.
    """
    with translated_errors():
        for _ in range(2):
            counter = db[SEQUENCES].find_one_and_update(
                {"_id": collection}, {"$inc": {"value": count, "records": inserted}},
                return_document=ReturnDocument.AFTER)
            if counter is not None:
                return counter["value"]
            try:  # no counter yet (nothing was incremented): make it, then take the numbers
                db[SEQUENCES].update_one({"_id": collection}, {"$setOnInsert": {"value": 0, "records": 0}},
                                         upsert=True)
            except DuplicateKeyError:
                pass  # made by a concurrent request
    raise StorageUnavailable()  # seen while the server was being killed: nothing was acknowledged


def sequence_state(db: Database, collection: str) -> dict[str, Any]:
    """The collection's counter: the last number given (value), the records inserted (records), the layout."""
    with translated_errors():
        return db[SEQUENCES].find_one({"_id": collection}) or {"_id": collection, "value": 0, "records": 0}


def upgrade_layout(db: Database, collection: str, access_keys: Callable[[dict[str, Any]], list[str]],
                   progress: Callable[[], None] = lambda: None) -> int:
    """Give the records written before LAYOUT their access keys and a sequence number; return how many.

    Runs once per collection (the counter remembers the layout); idempotent and safe to run again after a crash:
    a record is only ever given its keys again and, if it has none, a number. `progress` is called after each
    batch (a migration extends its lease there: a country's records take minutes).
    """
    if (db.name, collection) in _upgraded:
        return 0
    state = sequence_state(db, collection)
    if state.get("layout", 0) >= LAYOUT:
        _upgraded.add((db.name, collection))
        return 0
    upgraded = 0
    with translated_errors():
        cursor = db[collection].find({}, {"owned_by": 1, "associated_user_names": 1, "owned_by_groups": 1,
                                          "owned_by_agency": 1, SEQUENCE: 1}).sort("last_updated_at", ASCENDING)
        batch: list[dict[str, Any]] = []
        for record in cursor:
            batch.append(record)
            if len(batch) == UPGRADE_BATCH:
                upgraded += _upgrade_batch(db, collection, batch, access_keys)
                batch = []
                progress()
        upgraded += _upgrade_batch(db, collection, batch, access_keys)
        total = db[collection].count_documents({})
        db[SEQUENCES].update_one({"_id": collection}, {"$set": {"layout": LAYOUT, "records": total}}, upsert=True)
    _upgraded.add((db.name, collection))
    return upgraded


def _upgrade_batch(db: Database, collection: str, records: list[dict[str, Any]],
                   access_keys: Callable[[dict[str, Any]], list[str]]) -> int:
    """Write the access keys of a batch of records, and numbers for those without, taken in one block; one
    round trip (an ordered bulk write: a crash midway leaves a prefix written, which the next run writes again)."""
    if not records:
        return 0
    unnumbered = [record for record in records if SEQUENCE not in record]
    first = next_sequence(db, collection, count=len(unnumbered)) - len(unnumbered) + 1 if unnumbered else 0
    numbers = {record["_id"]: number for number, record in enumerate(unnumbered, start=first)}
    writes = []
    for record in records:
        changes: dict[str, Any] = {ACCESS: access_keys(record)}
        if record["_id"] in numbers:
            changes[SEQUENCE] = numbers[record["_id"]]
        writes.append(UpdateOne({"_id": record["_id"]}, {"$set": changes}))
    db[collection].bulk_write(writes, ordered=True)
    return len(records)


def insert_record(db: Database, collection: str, document: dict[str, Any]) -> None:
    """Insert a new record with its pending history; DuplicateKey names the clashing key (duplicate_field)."""
    started = write_clock()
    document.update(numbered(next_sequence(db, collection, inserted=1)))
    try:
        with translated_errors():
            db[collection].insert_one(document)
    except DuplicateKey as error:
        next_sequence(db, collection, count=0, inserted=-1)
        error.field = _clashing_key(db, collection, document, error)
        raise
    _renumber_if_late(db, collection, document, started)
    flush_history(db, collection, document)


def wall_clock() -> float:
    """Now, in seconds since the epoch (a test may move it)."""
    return time.time()


def write_clock() -> float:
    """The clock a write's lease is measured on (monotonic; a test may move it)."""
    return time.monotonic()


def numbered(number: int) -> dict[str, Any]:
    """A record's number in its collection's sequence, and when it was taken."""
    return {SEQUENCE: number, NUMBERED_AT: wall_clock()}


def _renumber_if_late(db: Database, collection: str, record: dict[str, Any], started: float) -> None:
    """Give a record whose write committed after WRITE_LEASE a new number, above what a sync pull may have passed.

    Only if nothing wrote it since (its number unchanged): a later write numbered it later already.
    """
    if write_clock() - started <= WRITE_LEASE:
        return
    renumbered = numbered(next_sequence(db, collection))
    with translated_errors():
        if db[collection].update_one({"_id": record["_id"], SEQUENCE: record[SEQUENCE]},
                                     {"$set": renumbered}).matched_count:
            record.update(renumbered)


def insert_records(db: Database, collection: str, documents: list[dict[str, Any]]) -> None:
    """Insert new records (a bulk load: ids and short ids must not clash) with their history, in one batch each."""
    if not documents:
        return
    last = next_sequence(db, collection, count=len(documents), inserted=len(documents))
    for number, document in enumerate(documents, start=last - len(documents) + 1):
        document.update(numbered(number))
    with translated_errors():
        db[collection].insert_many(documents, ordered=True)
        history = [document[PENDING] for document in documents if document.get(PENDING)]
        if history:
            db[HISTORY].insert_many(history)


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
    started = write_clock()
    update: dict[str, Any] = {"$set": {**changes, PENDING: history, **numbered(next_sequence(db, collection))},
                              "$inc": {"revision": 1}}
    unset = list(unset)
    if unset:
        update["$unset"] = {name: "" for name in unset}
    # update_one, then a read: SecantusDB answers findAndModify by reading the whole collection (2 s at 100,000
    # records, measured), an update by its _id. Between the two, another write may come: the record is then read
    # as it is now, and this write's history entry, which that write copies too, is copied here.
    with translated_errors():
        if not db[collection].update_one({"_id": record_id, "revision": revision}, update).matched_count:
            return None
        record = db[collection].find_one({"_id": record_id, "revision": revision + 1})
        if record is None:
            flush_history(db, collection, {PENDING: history})
            return db[collection].find_one({"_id": record_id})
    _renumber_if_late(db, collection, record, started)
    flush_history(db, collection, record)
    return record


def flush_history(db: Database, collection: str, record: dict[str, Any], copied_unless_missing: bool = False) -> None:
    """Copy a record's latest history entry to record_history (idempotent: an upsert by its id).

    `copied_unless_missing`: the entry of an earlier write, most likely copied already: look before writing
    (a read instead of a durable write on every update and history read).
    """
    entry = record.get(PENDING)
    if not entry:
        return
    with translated_errors():
        if copied_unless_missing and db[HISTORY].find_one({"_id": entry["_id"]}, {"_id": 1}) is not None:
            return
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


def find_records(db: Database, collection: str, where: Condition | Mapping[str, Any] | None, sort: Sequence[Sort],
                 limit: int, fields: Iterable[str] | None = None) -> list[dict]:
    """Up to `limit` records meeting a condition, in `sort` order (only `fields`, if given), not counted."""
    with translated_errors():
        found = db[collection].find(to_mongo(where), to_projection(fields)).sort(to_mongo_sort(sort))
        return list(found.limit(limit))


def list_history(db: Database, record_id: str, max_revision: int, skip: int, limit: int) -> tuple[list[dict], int]:
    """Return a record's history, newest first (entries of writes that never committed are ignored)."""
    query = {"record_id": record_id, "revision": {"$lte": max_revision}}
    with translated_errors():
        total = db[HISTORY].count_documents(query)
        entries = list(db[HISTORY].find(query).sort("revision", DESCENDING).skip(skip).limit(limit))
    return entries, total


def last_history_entry(db: Database, record_id: str, action: str, path: str, value: Any) -> dict[str, Any] | None:
    """A record's latest history entry of `action` whose `path` (dotted) holds `value` (None: there is none)."""
    with translated_errors():
        found = db[HISTORY].find({"record_id": record_id, "action": action, path: value})
        entries = list(found.sort("revision", DESCENDING).limit(1))
    return entries[0] if entries else None


def history_since(db: Database, record: dict[str, Any], revision: int) -> list[dict[str, Any]]:
    """The history entries of a record's writes after `revision`, up to its current one, oldest first (one query;
    the latest entry from the record itself when it is not copied yet)."""
    query = {"record_id": record["_id"], "revision": {"$gt": revision, "$lte": record["revision"]}}
    with translated_errors():
        entries = {entry["revision"]: entry for entry in db[HISTORY].find(query)}
    pending = record.get(PENDING)
    if pending and revision < pending.get("revision", 0) <= record["revision"]:
        entries.setdefault(pending["revision"], pending)
    return [entries[number] for number in sorted(entries)]


def stream_records(db: Database, collection: str, where: Condition | Mapping[str, Any],
                   batch_size: int = 1000) -> Iterator[dict]:
    """Yield the records meeting a condition in a stable order, fetched in batches."""
    query = to_mongo(where)
    with translated_errors():
        cursor = db[collection].find(query, {"_search": 0, "_create_hash": 0, ACCESS: 0, SEQUENCE: 0,
                                                    NUMBERED_AT: 0, GONE: 0})
        cursor = cursor.sort("_id", ASCENDING)
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


def module_state(db: Database, collection: str, part: str, module_id: str) -> str | None:
    """The fingerprint of the module `part` (its workflow, its matching rules) every record of a module was last
    brought up to date by (None: not known)."""
    with translated_errors():
        found = db[SEQUENCES].find_one({"_id": f"{collection}:{part}:{module_id}"})
    return found.get("fingerprint") if found else None


def mark_module_state(db: Database, collection: str, part: str, module_id: str, fingerprint: str) -> None:
    with translated_errors():
        db[SEQUENCES].update_one({"_id": f"{collection}:{part}:{module_id}"}, {"$set": {"fingerprint": fingerprint}},
                                 upsert=True)


def stale_derived(db: Database, collection: str, module_id: str, fingerprint: str, limit: int) -> list[dict]:
    """Up to `limit` records of a module derived by another workflow than `fingerprint` (or never)."""
    with translated_errors():
        found = db[collection].find({"module_id": module_id, "derived_from": {"$ne": fingerprint}},
                                    {"_search": 0, PENDING: 0, ACCESS: 0, GONE: 0})
        return list(found.limit(limit))


def set_derived(db: Database, collection: str, record_id: str, revision: int, changes: dict[str, Any]) -> bool:
    """Set derived fields of a record still at `revision` (nothing else changes); tell whether it was."""
    with translated_errors():
        return db[collection].update_one({"_id": record_id, "revision": revision}, {"$set": changes}).matched_count == 1
