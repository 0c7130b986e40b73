"""What data protection reads and removes: a record's whole history, files, conflicts, duplicate listings and alerts;
the audit entries about records; the retention run's lock and its records under way; the deployment's secrets.

A retention run holds RUNS' one lock document (a lease it renews), so that two runs never process one record at
once. A record it is processing is listed in PENDING (one document per record, its action and the step reached)
before the first change and taken off once the last is done: a run that dies midway leaves the list, and the next
run finishes those records first. Every step is idempotent.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, Iterable

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from server.storage import leases
from server.storage.attachments import FILES, delete_file
from server.storage.client import Database
from server.storage.errors import translated_errors
from server.storage.matching import NAMES, PAIRS
from server.storage.records import ACCESS, DELETED_AT, GONE, HISTORY, next_sequence, numbered
from server.storage.sync import CONFLICTS

RUNS = "retention_runs"
PENDING = "retention_pending"
SECRETS = "auth_secrets"
RUN_LOCK = "lock"
AUDIT_BATCH = 1000


# The run's lock and the records under way --------------------------------------------------------------------

def claim_run(db: Database, holder: str, now: datetime, lease: timedelta) -> bool:
    """Take (or renew) the run lock for `holder` until now + lease, if it is free or its lease ran out; tell whether
    `holder` holds it now."""
    return leases.claim(db[RUNS], RUN_LOCK, holder, now, now + lease)


def release_run(db: Database, holder: str) -> None:
    leases.release(db[RUNS], RUN_LOCK, holder)


def mark_pending(db: Database, collection: str, record_id: str, action: str, rule: str, run: str,
                 at: datetime) -> None:
    """List a record as under way (again, after a crash: its step is kept)."""
    with translated_errors():
        db[PENDING].update_one({"_id": f"{collection}:{record_id}"},
                               {"$setOnInsert": {"collection": collection, "record_id": record_id, "action": action,
                                                 "rule": rule, "step": "started", "at": at},
                                "$set": {"run": run}}, upsert=True)


def set_pending_step(db: Database, collection: str, record_id: str, step: str) -> None:
    with translated_errors():
        db[PENDING].update_one({"_id": f"{collection}:{record_id}"}, {"$set": {"step": step}})


def pending_step(db: Database, collection: str, record_id: str) -> str | None:
    with translated_errors():
        found = db[PENDING].find_one({"_id": f"{collection}:{record_id}"}, {"step": 1})
    return found["step"] if found else None


def unmark_pending(db: Database, collection: str, record_id: str) -> None:
    with translated_errors():
        db[PENDING].delete_one({"_id": f"{collection}:{record_id}"})


def count_pending(db: Database) -> int:
    with translated_errors():
        return db[PENDING].count_documents({})


def pending_records(db: Database, limit: int) -> list[dict[str, Any]]:
    """The records a run left under way, oldest first."""
    with translated_errors():
        return list(db[PENDING].find().sort([("at", ASCENDING), ("_id", ASCENDING)]).limit(limit))


# A record's history, files and traces elsewhere ------------------------------------------------------------------

def all_history(db: Database, record_id: str) -> list[dict[str, Any]]:
    """Every history entry of a record, oldest first."""
    with translated_errors():
        return list(db[HISTORY].find({"record_id": record_id}).sort("revision", ASCENDING))


def history_of(db: Database, record_ids: Iterable[str], fields: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The history entries of these records (only those changing one of `fields`, if given), oldest first."""
    query: dict[str, Any] = {"record_id": {"$in": sorted(set(record_ids))}}
    wanted = sorted(set(fields))
    if wanted:
        query["$or"] = [{f"changes.{name}": {"$exists": True}} for name in wanted]
    with translated_errors():
        return list(db[HISTORY].find(query).sort([("record_id", ASCENDING), ("revision", ASCENDING)]))


def replace_history_changes(db: Database, entry_id: str, changes: dict[str, Any]) -> None:
    with translated_errors():
        db[HISTORY].update_one({"_id": entry_id}, {"$set": {"changes": changes}})


def delete_history(db: Database, record_id: str) -> int:
    with translated_errors():
        return db[HISTORY].delete_many({"record_id": record_id}).deleted_count


def file_ids_of(db: Database, record_id: str, fields: Iterable[str] | None = None) -> list[str]:
    """The ids of the files stored for a record (in these upload fields, if given): those its data names and any a
    failed write left."""
    query: dict[str, Any] = {"metadata.record_id": record_id}
    if fields is not None:
        query["metadata.field"] = {"$in": sorted(set(fields))}
    with translated_errors():
        return [row["_id"] for row in db[FILES].find(query, {"_id": 1})]


def delete_files(db: Database, file_ids: Iterable[str]) -> int:
    count = 0
    for file_id in file_ids:
        delete_file(db, file_id)
        count += 1
    return count


def conflicts_of(db: Database, record_ids: Iterable[str]) -> list[dict[str, Any]]:
    with translated_errors():
        return list(db[CONFLICTS].find({"record_id": {"$in": sorted(set(record_ids))}})
                    .sort([("created_at", ASCENDING), ("_id", ASCENDING)]))


def delete_conflicts(db: Database, record_id: str) -> int:
    """Remove the sync conflicts kept for a record (they hold values a device sent)."""
    with translated_errors():
        return db[CONFLICTS].delete_many({"record_id": record_id}).deleted_count


def forget_matches(db: Database, collection: str, record_id: str, named: Iterable[str]) -> None:
    """Take a record off the name listings of the duplicate search and drop the pairs that name it."""
    buckets = sorted({f"{collection}|{key}" for key in named})
    with translated_errors():
        if buckets:
            db[NAMES].update_many({"_id": {"$in": buckets}}, {"$unset": {f"names.{record_id}": ""}})
        db[PAIRS].delete_many({"records": record_id})


def delete_alerts(db: Database, record_id: str) -> int:
    with translated_errors():
        return db.alerts.delete_many({"record_id": record_id}).deleted_count


def delete_record(db: Database, collection: str, record_id: str, now: datetime) -> bool:
    """Replace the record by its tombstone: no data, no access key, the keys it had as lost (GONE) and a new number,
    so that every tablet that holds it is told to drop it at its next pull; nobody reads or lists it any more."""
    with translated_errors():
        record = db[collection].find_one({"_id": record_id}, {ACCESS: 1, GONE: 1, DELETED_AT: 1})
        if record is None or record.get(DELETED_AT):
            return False
        lost = sorted(set(record.get(ACCESS) or ()) | set(record.get(GONE) or ()))
        tombstone = {DELETED_AT: now, "record_state": False, ACCESS: [], GONE: lost,
                     **numbered(next_sequence(db, collection))}
        return db[collection].replace_one({"_id": record_id}, tombstone).modified_count == 1


# The audit log and export jobs, as data protection reads them ---------------------------------------------------

def audit_entries_of(db: Database, record_ids: Iterable[str], limit: int) -> list[dict[str, Any]]:
    """The audit entries about these records, oldest first (at most `limit`)."""
    with translated_errors():
        found = db.audit_log.find({"record_id": {"$in": sorted(set(record_ids))}}, {"_id": 0})
        return list(found.sort([("at", ASCENDING)]).limit(limit))


def audit_entries(db: Database, actions: Iterable[str], since: datetime | None, until: datetime | None,
                  limit: int) -> list[dict[str, Any]]:
    """The audit entries of these actions between two moments, oldest first (at most `limit`)."""
    query: dict[str, Any] = {"action": {"$in": sorted(set(actions))}}
    moments = {**({"$gte": since} if since else {}), **({"$lte": until} if until else {})}
    if moments:
        query["at"] = moments
    with translated_errors():
        return list(db.audit_log.find(query, {"_id": 0}).sort([("at", ASCENDING)]).limit(limit))


def export_jobs(db: Database, job_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """{id: job} of the export jobs still kept among `job_ids` (their options; never their files)."""
    with translated_errors():
        found = db.export_jobs.find({"_id": {"$in": sorted(set(job_ids))}}, {"identifying": 1, "partner_agency": 1,
                                                                              "format": 1, "status": 1})
        return {job["_id"]: job for job in found}


def agencies_of(db: Database, user_names: Iterable[str]) -> dict[str, str | None]:
    """{user name: their agency} of the users found."""
    with translated_errors():
        return {user["_id"]: user.get("agency")
                for user in db.users.find({"_id": {"$in": sorted(set(user_names))}}, {"agency": 1})}


# The deployment's secrets -----------------------------------------------------------------------------------------

_secrets: dict[tuple[int, str, str], bytes] = {}  # a secret never changes once made: read it once per process


def deployment_secret(db: Database, name: str) -> bytes:
    """A random secret of the deployment, made on first use and the same for every worker (kept in the database)."""
    cache_key = (id(db.client), db.name, name)
    if cache_key in _secrets:
        return _secrets[cache_key]
    with translated_errors():
        document = db[SECRETS].find_one({"_id": name})
        if document is None:
            try:
                db[SECRETS].insert_one({"_id": name, "key": secrets.token_hex(32)})
            except DuplicateKeyError:
                pass  # another worker made it first
            document = db[SECRETS].find_one({"_id": name})
    _secrets[cache_key] = bytes.fromhex(document["key"])
    return _secrets[cache_key]
