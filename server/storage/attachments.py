"""The files attached to records: a GridFS bucket, `attachments`, in the records' database.

GridFS keeps each file in chunks of 255 kB (`attachments.chunks`) with one descriptor (`attachments.files`), so a
replica set replicates and a backup holds them with the records, and any app worker serves any download. A file's
`_id` is the attachment id the record's data holds; its `metadata` says which record and field it belongs to, what
it is and who uploaded it. The record is the authority on which files it has: a file no record field names (a
write that failed, or a process that died between the bytes and the record) is never served.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator

import gridfs
from pymongo import ASCENDING

from server.storage.client import Database
from server.storage.errors import DuplicateKey, translated_errors

BUCKET = "attachments"
FILES = f"{BUCKET}.files"
READ_SIZE = 256 * 1024  # bytes read from GridFS at a time for a download


@dataclass(frozen=True)
class StoredFile:
    """A file's descriptor (`files`' document) and a reader of its bytes, one block at a time."""

    descriptor: dict[str, Any]
    blocks: Iterator[bytes]


def ensure_attachment_indexes(db: Database) -> None:
    """Index the files by record and field (lists, exports and sync pulls find them so)."""
    with translated_errors():
        db[FILES].create_index([("metadata.record_id", ASCENDING), ("metadata.field", ASCENDING)])


def _bucket(db: Database) -> gridfs.GridFS:
    return gridfs.GridFS(db, collection=BUCKET)


def put_file(db: Database, file_id: str, data: bytes, file_name: str, metadata: dict[str, Any]) -> None:
    """Store a file's bytes under `file_id`, with its name and metadata (record_id, field, ...)."""
    with translated_errors():
        try:
            _bucket(db).put(data, _id=file_id, filename=file_name, metadata=metadata)
        except gridfs.errors.FileExists as error:
            raise DuplicateKey(details=[]) from error


def open_file(db: Database, file_id: str) -> StoredFile | None:
    """The file `file_id` and its bytes, or None when there is none."""
    with translated_errors():
        try:
            stream = _bucket(db).get(file_id)
        except gridfs.errors.NoFile:
            return None
        descriptor = {"_id": stream._id, "filename": stream.filename, "length": stream.length,
                      "uploadDate": stream.upload_date, "metadata": stream.metadata or {}}

    def blocks() -> Iterator[bytes]:
        with translated_errors():
            while block := stream.read(READ_SIZE):
                yield block
    return StoredFile(descriptor, blocks())


def find_files(db: Database, record_ids: Iterable[str], file_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The descriptors of the files of these records (of those among `file_ids`, if given), oldest first."""
    query: dict[str, Any] = {"metadata.record_id": {"$in": sorted(set(record_ids))}}
    if file_ids is not None:
        query["_id"] = {"$in": sorted(set(file_ids))}
    with translated_errors():
        return list(db[FILES].find(query, {"filename": 1, "length": 1, "uploadDate": 1, "metadata": 1})
                    .sort([("uploadDate", ASCENDING), ("_id", ASCENDING)]))


def delete_file(db: Database, file_id: str) -> None:
    """Delete a file's bytes and descriptor (nothing when there is none)."""
    with translated_errors():
        _bucket(db).delete(file_id)


def delete_unreferenced(db: Database, record_id: str, field: str, keep: Iterable[str], before: datetime) -> int:
    """Delete the files of a record's field that `keep` does not name and that were stored before `before`.

    What a failed write left behind; files stored since may belong to uploads still being written.
    """
    kept = set(keep)
    with translated_errors():
        stale = [row["_id"] for row in db[FILES].find(
            {"metadata.record_id": record_id, "metadata.field": field, "uploadDate": {"$lt": before}}, {"_id": 1})
            if row["_id"] not in kept]
    for file_id in stale:
        delete_file(db, file_id)
    return len(stale)
