"""Potential duplicates: the candidates of a match, found by their keys, and the pairs kept for review.

Each case carries its matching keys under MATCH_KEYS (indexed, multikey; server/matching/score.py makes them) and,
while the pairs of its last write are not yet computed, MATCH_DUE (sparse-indexed: the worker finds what a crash
left). The wide keys (a part of a name with a birth year: hundreds of children of a common name share one) are
looked up in NAMES instead, one document per key listing the names of the records that hold it, so that a match
reads the few records whose names are alike rather than every child born that year with that surname. NAMES is
derived from MATCH_KEYS when a record's pairs are computed, and MATCH_NAMED says under which keys it then was.

A pair (`duplicates`) is one case and another case, or one trace of a tracing request and a case: its score, its
level, the fields that agree, and the review's decision, which a later computation never overwrites.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Iterable

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from server.storage.client import Database
from server.storage.errors import translated_errors

PAIRS = "duplicates"
LOCKS = "merge_locks"   # one per case being merged (or unmerged): two merges of one case never interleave
MATCH_KEYS = "_match"
MATCH_DUE = "_match_due"
MATCH_FROM = "_match_from"   # the fingerprint of the rules the keys were made by (a published change makes them again)
MATCH_NAMED = "_match_named"  # the wide keys NAMES lists the record under
MATCHING_KEYS = (MATCH_KEYS, MATCH_DUE, MATCH_FROM, MATCH_NAMED)
NAMES = "match_names"    # {_id: "<collection>|<wide key>", "names": {record id: {"r": revision, "n": [its names]}}}
# The review of a pair: still to review, not a duplicate (remembered: never raised again), or the same child.
OPEN, NOT_DUPLICATE, DUPLICATE = "open", "not_duplicate", "duplicate"
# What a candidate is read with, besides the data fields compared: the envelope a match shows and a scope check needs.
CANDIDATE_FIELDS = ("short_id", "case_id_display", "tracing_request_id_display", "module_id", "owned_by",
                    "owned_by_agency", "record_state", "created_at", "status", "_access")
_LIGHT = {"_search": 0, "_pending_history": 0, "_create_hash": 0}
_PAIR_NAMESPACE = uuid.UUID("6f1d8a52-4a0c-4f55-9b1e-5d0c3e2a7b18")
_indexed: set[str] = set()


def ensure_indexes(db: Database) -> None:
    if db.name in _indexed:
        return
    with translated_errors():
        db[PAIRS].create_index([("records", ASCENDING), ("status", ASCENDING)])
        db[PAIRS].create_index([("access_0", ASCENDING), ("status", ASCENDING), ("score", DESCENDING)])
    _indexed.add(db.name)


def candidates(db: Database, collection: str, keys: list[str], exclude: Iterable[str], limit: int,
               data_fields: Iterable[str]) -> list[dict]:
    """Up to `limit` enabled records holding any of `keys`, not those in `exclude`; of their data, only
    `data_fields`.

    The query names the keys alone: with `record_state` beside them, the embedded database reads the (record_state,
    _seq) index, that is every enabled record, instead of the keys' (measured: seconds at 100,000 cases). Disabled
    records and `exclude` are left out here.
    """
    if not keys:
        return []
    skip = set(exclude)
    with translated_errors():
        projection = {name: 1 for name in (*CANDIDATE_FIELDS, *(f"data.{name}" for name in data_fields))}
        found = db[collection].find({MATCH_KEYS: {"$in": sorted(set(keys))}}, projection).limit(limit + len(skip))
        return [record for record in found if record.get("record_state") and record["_id"] not in skip][:limit]


def records_of(db: Database, collection: str, ids: Iterable[str], exclude: Iterable[str],
               data_fields: Iterable[str]) -> list[dict]:
    """The enabled records of `ids`, not those of `exclude`, read as `candidates` reads them."""
    wanted = sorted(set(ids) - set(exclude))
    if not wanted:
        return []
    with translated_errors():
        projection = {name: 1 for name in (*CANDIDATE_FIELDS, *(f"data.{name}" for name in data_fields))}
        return [record for record in db[collection].find({"_id": {"$in": wanted}}, projection)
                if record.get("record_state")]


def names_under(db: Database, collection: str, keys: Iterable[str]) -> dict[str, list[str]]:
    """{record id: its names} of the records NAMES lists under any of `keys`."""
    found: dict[str, list[str]] = {}
    with translated_errors():
        for bucket in db[NAMES].find({"_id": {"$in": sorted({f"{collection}|{key}" for key in keys})}}):
            for record_id, listed in (bucket.get("names") or {}).items():
                if isinstance(listed, dict) and isinstance(listed.get("n"), list):
                    found.setdefault(record_id, listed["n"])
    return found


def name_records(db: Database, collection: str, listings: Iterable[tuple[str, int, list[str], list[str]]]) -> None:
    """List many records at once, each (record id, its revision, its wide keys, its names): a bulk load (a bench's,
    a rebuild's)."""
    buckets: dict[str, dict[str, dict[str, Any]]] = {}
    for record_id, revision, keys, names in listings:
        for key in keys:
            buckets.setdefault(f"{collection}|{key}", {})[record_id] = {"r": revision, "n": names}
    documents = [{"_id": bucket, "names": listed} for bucket, listed in buckets.items()]
    with translated_errors():
        for start in range(0, len(documents), 1000):
            batch = documents[start:start + 1000]
            try:
                db[NAMES].insert_many(batch, ordered=False)
            except BulkWriteError as error:  # keys that already list records: add these to them
                for failed in error.details.get("writeErrors", ()):
                    document = batch[failed["index"]]
                    db[NAMES].update_one({"_id": document["_id"]}, {"$set": {
                        f"names.{record_id}": listing for record_id, listing in document["names"].items()}})


def name_record(db: Database, collection: str, record_id: str, revision: int, keys: list[str], names: list[str],
                before: Iterable[str]) -> None:
    """List a record's names, as of its `revision`, under `keys` in NAMES, and no longer under the keys of `before`
    it has lost. Idempotent; a listing made for a later revision (two computations of one record at once) is
    neither replaced nor taken away. A command per step, not per key (each is a durable write): one to take away,
    one to list under the keys that exist; and when a key lists nobody yet, one to make it and one to list again."""
    field = f"names.{record_id}"
    listing = {"r": revision, "n": names}
    gone = sorted({f"{collection}|{key}" for key in before} - {f"{collection}|{key}" for key in keys})
    buckets = sorted({f"{collection}|{key}" for key in keys})
    not_later = {f"{field}.r": {"$not": {"$gt": revision}}}
    with translated_errors():
        if gone:
            db[NAMES].update_many({"_id": {"$in": gone}, f"{field}.r": {"$lt": revision}}, {"$unset": {field: ""}})
        if not buckets:
            return
        if db[NAMES].update_many({"_id": {"$in": buckets}, **not_later},
                                 {"$set": {field: listing}}).matched_count == len(buckets):
            return
        existing = {found["_id"] for found in db[NAMES].find({"_id": {"$in": buckets}}, {"_id": 1})}
        new = [{"_id": bucket, "names": {record_id: listing}} for bucket in buckets if bucket not in existing]
        try:
            if new:
                db[NAMES].insert_many(new, ordered=False)
        except BulkWriteError:
            pass
        # Once more: a key made by another record's listing since the first (or at the same moment as this insert)
        # lists this one now; a key still not listing it lists a later revision of it.
        db[NAMES].update_many({"_id": {"$in": buckets}, **not_later}, {"$set": {field: listing}})


def pair_id(record_type: str, one: str, other: str, trace: str | None = None) -> str:
    """The id of a pair (a UUID), the same whichever record it is computed from."""
    key = f"{record_type}:{one}:{trace}:{other}" if trace else f"{record_type}:{':'.join(sorted((one, other)))}"
    return str(uuid.uuid5(_PAIR_NAMESPACE, key))


def find_pair(db: Database, pair: str) -> dict[str, Any] | None:
    with translated_errors():
        return db[PAIRS].find_one({"_id": pair})


def decide_pair(db: Database, pair: str, decision: str, user_name: str, now: datetime, reason: str | None) -> None:
    """Record a review's decision on a pair (OPEN again forgets the last one)."""
    changes = {"status": decision, "decided_by": user_name, "decided_at": now, "reason": reason}
    with translated_errors():
        db[PAIRS].update_one({"_id": pair}, {"$set": changes})


def list_pairs(db: Database, record_type: str, keys: list[str] | None, status: str | None, level: str | None,
               record_id: str | None, skip: int, limit: int) -> tuple[list[dict[str, Any]], int, int]:
    """A page of the pairs of a record type whose two records hold one of `keys` (None: every pair), best first;
    how many there are; how many more hold a record outside `keys` (counted, never returned)."""
    query: dict[str, Any] = {"record_type": record_type}
    if status:
        query["status"] = status
    if level:
        query["level"] = level
    if record_id:
        query["records"] = record_id
    scoped = dict(query)
    if keys is not None:
        scoped.update({"access_0": {"$in": keys}, "access_1": {"$in": keys}})
    with translated_errors():
        total = db[PAIRS].count_documents(scoped)
        outside = db[PAIRS].count_documents(query) - total if record_id else 0
        found = db[PAIRS].find(scoped).sort([("score", DESCENDING), ("_id", ASCENDING)]).skip(skip).limit(limit)
        return list(found), total, outside


def records_by_id(db: Database, collection: str, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """{id: record} of the records of `ids` that exist (their envelopes and data)."""
    with translated_errors():
        found = db[collection].find({"_id": {"$in": sorted(set(ids))}}, _LIGHT)
        return {record["_id"]: record for record in found}


def save_pairs(db: Database, record_id: str, found: list[dict[str, Any]], now: datetime) -> None:
    """Keep the pairs just computed for a record, and drop its open pairs that no longer hold.

    A pair already reviewed keeps its decision (its score and access are brought up to date); an open pair not found
    again (the data changed, a record was disabled) goes.
    """
    with translated_errors():
        for pair in found:
            fields = {key: value for key, value in pair.items() if key != "_id"}
            db[PAIRS].update_one({"_id": pair["_id"]},
                                 {"$set": {**fields, "computed_at": now},
                                  "$setOnInsert": {"status": OPEN, "found_at": now}}, upsert=True)
        db[PAIRS].delete_many({"records": record_id, "status": OPEN, "_id": {"$nin": [pair["_id"] for pair in found]}})


def mark_matched(db: Database, collection: str, record_id: str, revision: int, named: list[str]) -> bool:
    """The pairs of a record at `revision` are computed and its names listed under `named` (a later write asks
    again); tell whether it was still there."""
    with translated_errors():
        return db[collection].update_one({"_id": record_id, "revision": revision},
                                         {"$unset": {MATCH_DUE: ""}, "$set": {MATCH_NAMED: named}}).matched_count == 1


def due(db: Database, collection: str, limit: int) -> list[dict]:
    """Up to `limit` records whose pairs are still to compute."""
    with translated_errors():
        return list(db[collection].find({MATCH_DUE: True}, _LIGHT).limit(limit))


def stale_keys(db: Database, collection: str, module_id: str, fingerprint: str, limit: int) -> list[dict]:
    """Up to `limit` records of a module whose keys were made by other rules than `fingerprint` (or none)."""
    with translated_errors():
        return list(db[collection].find({"module_id": module_id, MATCH_FROM: {"$ne": fingerprint}}, _LIGHT)
                    .limit(limit))


def set_keys(db: Database, collection: str, record_id: str, revision: int, keys: list[str], fingerprint: str) -> bool:
    """Give a record still at `revision` new keys and make its pairs due (nothing a user wrote changes)."""
    with translated_errors():
        return db[collection].update_one({"_id": record_id, "revision": revision}, {"$set": {
            MATCH_KEYS: keys, MATCH_FROM: fingerprint, MATCH_DUE: True}}).matched_count == 1


def lock_cases(db: Database, case_ids: Iterable[str], owner: str, now: datetime, lease: timedelta) -> bool:
    """Take the merge lock of each case (all or none); a lock older than `lease` is a crashed merge's, and is taken
    over. Tell whether every lock was taken."""
    taken: list[str] = []
    with translated_errors():
        for case_id in sorted(set(case_ids)):
            try:
                db[LOCKS].insert_one({"_id": case_id, "owner": owner, "at": now})
            except DuplicateKeyError:
                stale = db[LOCKS].find_one_and_update({"_id": case_id, "at": {"$lt": now - lease}},
                                                      {"$set": {"owner": owner, "at": now}})
                if stale is None:
                    db[LOCKS].delete_many({"_id": {"$in": taken}, "owner": owner})
                    return False
            taken.append(case_id)
    return True


def unlock_cases(db: Database, case_ids: Iterable[str], owner: str) -> None:
    with translated_errors():
        db[LOCKS].delete_many({"_id": {"$in": sorted(set(case_ids))}, "owner": owner})
