"""What reports read: the records (and residues of deleted ones) written after a position in their sequence.

Every record carries the access key every record has (EVERY_RECORD_KEY) with its sequence number, so the records
written after a position are one range of the compound index (ACCESS, SEQUENCE). A residue (what a retention run
keeps of a deleted record for the counts: server/reports/residues.py) takes a number of the same sequence.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from pymongo import ASCENDING

from server.storage.client import Database
from server.storage.errors import translated_errors
from server.storage.records import ACCESS, EVERY_RECORD_KEY, NUMBERED_AT, SEQUENCE, next_sequence

RESIDUES = "report_residues"
READ_BATCH = 5_000


def _projection(keys: Iterable[str]) -> dict[str, int]:
    return {key: 1 for key in (*keys, SEQUENCE, NUMBERED_AT, ACCESS)}


def records_after(db: Database, collection: str, position: int, keys: Iterable[str]) -> Iterator[dict[str, Any]]:
    """The records numbered after `position`, in sequence order, with only `keys` (dotted paths) and their numbers
    (read as they come: a first read of every record never holds them all at once)."""
    with translated_errors():
        cursor = db[collection].find({ACCESS: EVERY_RECORD_KEY, SEQUENCE: {"$gt": position}}, _projection(keys),
                                     batch_size=READ_BATCH).sort(SEQUENCE, ASCENDING)
        yield from cursor


def residues_after(db: Database, record_type: str, position: int) -> list[dict[str, Any]]:
    """The residues of a record type numbered after `position`, in sequence order."""
    with translated_errors():
        return list(db[RESIDUES].find({"record_type": record_type, SEQUENCE: {"$gt": position}},
                                      batch_size=READ_BATCH).sort(SEQUENCE, ASCENDING))


def ensure_residue_indexes(db: Database) -> None:
    with translated_errors():
        db[RESIDUES].create_index([("record_type", ASCENDING), (SEQUENCE, ASCENDING)])


def save_residue(db: Database, record_type: str, residue: dict[str, Any], numbered_at: float) -> None:
    """Keep (or replace) the residue of a record, numbered in its record type's sequence."""
    number = next_sequence(db, record_type)
    with translated_errors():
        db[RESIDUES].replace_one({"_id": residue["_id"]},
                                 {**residue, "record_type": record_type, SEQUENCE: number, NUMBERED_AT: numbered_at},
                                 upsert=True)


# Snapshots of the facts cache (server/reports/facts.py), so that a process that starts reads a few large documents
# instead of every record: a head per record type names the current generation, its chunks hold the records.
SNAPSHOTS = "report_snapshots"
CHUNK = 2_000
# Chunks of a generation that no head names, written longer ago than this, are left by a writer that died before its
# head (or whose replaced head came back empty from a race of two writers): the next snapshot deletes them. A writer
# still at work writes its chunks in seconds, so its own are never among them.
ORPHANED_AFTER = 600.0


def read_snapshot(db: Database, record_type: str, fields_key: str) -> tuple[dict[str, Any], list[dict]] | None:
    """The head and the records of the record type's snapshot made for `fields_key`; None if there is none whole."""
    with translated_errors():
        head = db[SNAPSHOTS].find_one({"_id": f"head:{record_type}"})
        if not head or head.get("fields_key") != fields_key:
            return None
        chunks = list(db[SNAPSHOTS].find({"generation": head["generation"], "_id": {"$ne": head["_id"]}}))
    if len(chunks) != head["chunks"]:   # replaced while being read: the caller reads the records instead
        return None
    return head, [record for chunk in sorted(chunks, key=lambda c: c["index"]) for record in chunk["records"]]


def write_snapshot(db: Database, record_type: str, fields_key: str, positions: dict[str, int],
                   records: Iterable[dict[str, Any]], generation: str, written_at: float) -> None:
    """Write a new generation's chunks, then make it the head, then delete the generation it replaced and the
    chunks orphaned earlier."""
    chunks = 0
    head_id = f"head:{record_type}"
    with translated_errors():
        for chunk in _chunked(records):
            db[SNAPSHOTS].insert_one({"_id": f"{generation}:{chunks}", "generation": generation, "index": chunks,
                                      "record_type": record_type, "written_at": written_at, "records": chunk})
            chunks += 1
        before = db[SNAPSHOTS].find_one_and_replace(
            {"_id": head_id},
            {"generation": generation, "fields_key": fields_key, "chunks": chunks, "written_at": written_at,
             **positions}, upsert=True)
        if before and before.get("generation") != generation:
            db[SNAPSHOTS].delete_many({"generation": before["generation"]})
        head = db[SNAPSHOTS].find_one({"_id": head_id}, {"generation": 1})
        named = [head["generation"]] if head else []
        db[SNAPSHOTS].delete_many({"record_type": record_type, "generation": {"$nin": named},
                                   "$or": [{"written_at": {"$lt": written_at - ORPHANED_AFTER}},
                                           {"written_at": {"$exists": False}}]})


def _chunked(records: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ensure_snapshot_indexes(db: Database) -> None:
    with translated_errors():
        db[SNAPSHOTS].create_index([("generation", ASCENDING)])
