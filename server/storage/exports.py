"""Export jobs and their files.

Jobs are claimed atomically (find_one_and_update), so any number of workers, in any number of
processes, can run them; a running job whose worker stops sending heartbeats is claimed again.
Files are stored in MongoDB in chunks, so every app worker can serve a download. Each claim of a job
writes its own chunks (keyed by its attempt); the job names the attempt whose file it holds only when
its holder completes it, so a worker whose lease expired never overwrites or extends another's file.

An export is gone from the moment it expires: the lookups below leave expired jobs out, whether or
not a worker's cleanup (every few minutes, and only where a worker runs) has deleted them yet.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from bson.binary import Binary
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import OperationFailure

from server.storage.client import Database
from server.storage.errors import translated_errors

JOBS, CHUNKS = "export_jobs", "export_chunks"
CHUNK_SIZE = 1024 * 1024
LEGACY_CHUNK_INDEX = "job_id_1_n_1"  # unique (job_id, n): one file per job, whichever worker wrote it


def ensure_export_indexes(db: Database) -> None:
    with translated_errors():
        db[JOBS].create_index([("user_name", ASCENDING), ("created_at", DESCENDING)])
        db[JOBS].create_index([("status", ASCENDING), ("heartbeat_at", ASCENDING)])
        db[JOBS].create_index([("expires_at", ASCENDING)])
        db[CHUNKS].create_index([("job_id", ASCENDING), ("attempt", ASCENDING), ("n", ASCENDING)], unique=True)
        if LEGACY_CHUNK_INDEX in db[CHUNKS].index_information():
            try:
                db[CHUNKS].drop_index(LEGACY_CHUNK_INDEX)
            except OperationFailure:
                pass  # another process dropped it first


def insert_job(db: Database, job: dict[str, Any]) -> None:
    with translated_errors():
        db[JOBS].insert_one(job)


def _unexpired(now: datetime | None) -> dict[str, Any]:
    return {"expires_at": {"$gt": now or datetime.now(timezone.utc)}}


def find_job(db: Database, job_id: str, now: datetime | None = None) -> dict[str, Any] | None:
    """Return the job `job_id`, or None when there is none or it has expired (at `now`, by default the time now)."""
    with translated_errors():
        return db[JOBS].find_one({"_id": job_id, **_unexpired(now)})


def list_jobs(db: Database, user_name: str, skip: int, limit: int,
              now: datetime | None = None) -> tuple[list[dict], int]:
    """Return a page of the user's unexpired jobs, newest first, and how many there are."""
    query = {"user_name": user_name, **_unexpired(now)}
    with translated_errors():
        total = db[JOBS].count_documents(query)
        return list(db[JOBS].find(query).sort("created_at", DESCENDING).skip(skip).limit(limit)), total


def claim_job(db: Database, worker: str, now: datetime, lease: timedelta, max_attempts: int) -> dict[str, Any] | None:
    """Take the oldest queued job, or a running one whose worker went silent; None when there is none.

    A waiting job that expired meanwhile is never run: it is marked expired instead.
    """
    stale = now - lease
    waiting = {"$or": [{"status": "queued"}, {"status": "running", "heartbeat_at": {"$lt": stale}}]}
    with translated_errors():
        db[JOBS].update_many({**waiting, "expires_at": {"$lte": now}},
                             {"$set": {"status": "expired", "finished_at": now},
                              "$unset": {"worker": "", "password_sealed": "", "password": ""}})
        return db[JOBS].find_one_and_update(
            {**waiting, "attempts": {"$lt": max_attempts}, "expires_at": {"$gt": now}},
            {"$set": {"status": "running", "worker": worker, "heartbeat_at": now, "started_at": now},
             "$inc": {"attempts": 1}},
            sort=[("created_at", ASCENDING)], return_document=ReturnDocument.AFTER)


def fail_abandoned_jobs(db: Database, now: datetime, lease: timedelta, max_attempts: int, message: str) -> int:
    """Mark as failed the jobs that were claimed too often without finishing (never stuck forever)."""
    with translated_errors():
        return db[JOBS].update_many(
            {"status": "running", "heartbeat_at": {"$lt": now - lease}, "attempts": {"$gte": max_attempts}},
            {"$set": {"status": "failed", "finished_at": now, "errors": [message]},
             "$unset": {"password_sealed": "", "password": ""}}
        ).modified_count


def update_job(db: Database, job_id: str, worker: str | None, changes: dict[str, Any],
               unset: tuple[str, ...] = ()) -> bool:
    """Update a job (only while `worker` still holds it, when given); tell whether it was."""
    query: dict[str, Any] = {"_id": job_id}
    if worker is not None:
        query.update(worker=worker, status="running")
    update: dict[str, Any] = {"$set": changes}
    if unset:
        update["$unset"] = {name: "" for name in unset}
    with translated_errors():
        return db[JOBS].update_one(query, update).matched_count == 1


def release_job(db: Database, job_id: str, worker: str) -> bool:
    """Give a job back to the queue (its worker stops cleanly): not counted as an attempt; tell whether it was."""
    with translated_errors():
        return db[JOBS].update_one({"_id": job_id, "worker": worker, "status": "running"},
                                   {"$set": {"status": "queued", "rows_done": 0},
                                    "$unset": {"worker": "", "heartbeat_at": "", "started_at": ""},
                                    "$inc": {"attempts": -1}}).matched_count == 1


def delete_job(db: Database, job_id: str) -> None:
    with translated_errors():
        db[JOBS].delete_one({"_id": job_id})
        db[CHUNKS].delete_many({"job_id": job_id})


def expired_job_ids(db: Database, now: datetime) -> list[str]:
    with translated_errors():
        return [job["_id"] for job in db[JOBS].find({"expires_at": {"$lt": now}}, {"_id": 1})]


def store_file(db: Database, job_id: str, path: str, attempt: int = 0) -> int:
    """Copy a file into chunks of the job's claim `attempt` (no other claim's chunks are touched); return its size."""
    size = 0
    with translated_errors():
        db[CHUNKS].delete_many({"job_id": job_id, "attempt": attempt})
        with open(path, "rb") as handle:
            for n, chunk in enumerate(iter(lambda: handle.read(CHUNK_SIZE), b"")):
                db[CHUNKS].insert_one({"_id": f"{job_id}:{attempt}:{n}", "job_id": job_id, "attempt": attempt, "n": n,
                                       "data": Binary(chunk)})
                size += len(chunk)
    return size


def delete_files(db: Database, job_id: str, attempt: int, keep: bool) -> None:
    """Delete the chunks of claim `attempt` of a job (keep False), or those of every other claim (keep True)."""
    with translated_errors():
        db[CHUNKS].delete_many({"job_id": job_id, "attempt": {"$ne": attempt} if keep else attempt})


def read_file(db: Database, job_id: str, attempt: int | None = None) -> Iterator[bytes]:
    """Yield the file of a job's claim `attempt` chunk by chunk (one chunk in memory at a time).

    None: a file stored before chunks were kept per claim.
    """
    n = 0
    while True:
        with translated_errors():
            chunk = db[CHUNKS].find_one({"job_id": job_id, "attempt": attempt, "n": n})
        if chunk is None:
            return
        yield bytes(chunk["data"])
        n += 1

