"""Metadata collections: the draft, content-addressed document bodies, and published versions.

- metadata_draft:    one document per (kind, unique_id) being edited, with a revision counter.
- metadata_blobs:    immutable document bodies keyed by their content hash (shared by versions).
- metadata_versions: one document per published configuration version: its manifest
                     {"<kind>:<unique_id>": hash}; inserting it is the atomic publish step.
- metadata_fields:   every field name ever published per record type, with its type. It is derived
                     from the versions: metadata_derived {"_id": "fields"} names the newest version it
                     holds, and the newer versions are added in order before it is read (a publisher
                     that died between its commit and this upkeep leaves nothing missing).
- metadata_lock:     {"_id": "change"} while a change that reads or writes several draft documents runs (an
                     import, a publish, a restore, a field moved between forms), so that no other one sees
                     or makes half of it. A lease: a holder killed mid-change frees it when its time runs out.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from pymongo import DESCENDING, ReturnDocument

from server.storage import leases
from server.storage.client import Database
from server.storage.errors import translated_errors

CHANGE_LOCK = "change"


def draft_key(kind: str, unique_id: str) -> str:
    """Return the storage key of a metadata document."""
    return f"{kind}:{unique_id}"


def list_draft(db: Database, kind: str | None = None) -> list[dict[str, Any]]:
    """Return the draft documents (envelope and body), optionally of one kind."""
    query = {"kind": kind} if kind else {}
    with translated_errors():
        return list(db.metadata_draft.find(query).sort("_id", 1))


def get_draft(db: Database, kind: str, unique_id: str) -> dict[str, Any] | None:
    """Return one draft document, or None."""
    with translated_errors():
        return db.metadata_draft.find_one({"_id": draft_key(kind, unique_id)})


def insert_draft(db: Database, kind: str, unique_id: str, body: dict, user: str, now: datetime) -> dict:
    """Add a document to the draft; DuplicateKey when it exists."""
    entry = {"_id": draft_key(kind, unique_id), "kind": kind, "unique_id": unique_id, "body": body,
             "revision": 1, "updated_at": now, "updated_by": user}
    with translated_errors():
        db.metadata_draft.insert_one(entry)
    return entry


def replace_draft(db: Database, kind: str, unique_id: str, body: dict, revision: int,
                  user: str, now: datetime) -> dict | None:
    """Replace a draft document if it is still at `revision`; None when it is not."""
    with translated_errors():
        return db.metadata_draft.find_one_and_update(
            {"_id": draft_key(kind, unique_id), "revision": revision},
            {"$set": {"body": body, "updated_at": now, "updated_by": user}, "$inc": {"revision": 1}},
            return_document=ReturnDocument.AFTER)


def delete_draft(db: Database, kind: str, unique_id: str, revision: int | None) -> bool:
    """Remove a draft document (at `revision` when given); tell whether one was removed."""
    query: dict[str, Any] = {"_id": draft_key(kind, unique_id)}
    if revision is not None:
        query["revision"] = revision
    with translated_errors():
        return db.metadata_draft.delete_one(query).deleted_count == 1


def reset_draft(db: Database, documents: Iterable[tuple[str, str, dict]], user: str, now: datetime) -> None:
    """Make the draft exactly `documents`, keeping revisions growing for documents that stay."""
    documents = list(documents)
    keys = [draft_key(kind, uid) for kind, uid, _ in documents]
    with translated_errors():
        db.metadata_draft.delete_many({"_id": {"$nin": keys}})
        for kind, uid, body in documents:
            db.metadata_draft.update_one(
                {"_id": draft_key(kind, uid)},
                {"$set": {"kind": kind, "unique_id": uid, "body": body, "updated_at": now, "updated_by": user},
                 "$inc": {"revision": 1}}, upsert=True)


def claim_change(db: Database, holder: str, now: datetime, until: datetime, replacing: str | None = None) -> bool:
    """Take (or renew) the change lock for `holder` until `until` (see leases.claim); tell whether it holds it now."""
    return leases.claim(db.metadata_lock, CHANGE_LOCK, holder, now, until, replacing)


def change_holder(db: Database) -> str | None:
    """Who holds the change lock (its lease may have run out), or None."""
    return leases.holder_of(db.metadata_lock, CHANGE_LOCK)


def release_change(db: Database, holder: str) -> None:
    """Free the change lock if `holder` still holds it."""
    leases.release(db.metadata_lock, CHANGE_LOCK, holder)


def store_blobs(db: Database, blobs: dict[str, tuple[str, str, dict]]) -> None:
    """Store document bodies by content hash (idempotent: a hash names one body forever)."""
    with translated_errors():
        known = {blob["_id"] for blob in db.metadata_blobs.find({"_id": {"$in": list(blobs)}}, {"_id": 1})}
        for digest, (kind, uid, body) in blobs.items():
            if digest not in known:
                db.metadata_blobs.update_one({"_id": digest}, {"$setOnInsert": {"kind": kind, "unique_id": uid,
                                                                                 "body": body}}, upsert=True)


def load_blobs(db: Database, digests: Iterable[str]) -> dict[str, dict]:
    """Return {hash: body} for the given hashes."""
    with translated_errors():
        return {blob["_id"]: blob["body"] for blob in db.metadata_blobs.find({"_id": {"$in": list(digests)}})}


def latest_version_ref(db: Database, known: tuple[int, str] | None = None) -> tuple[int, str]:
    """Return (number, fingerprint) of the newest published version ((0, "") before any).

    `known`: the newest version the caller saw before. Versions are numbered without gaps and never
    removed, so it is still the newest when it is stored unchanged and the next number is not: a read
    of two ids, which costs the same however many versions there are (SecantusDB answers the sort
    below by reading every version, 8 ms with 50 of them).
    """
    if known is not None and known[0]:
        number, fingerprint = known
        with translated_errors():
            found = {row["_id"]: row["fingerprint"] for row in
                     db.metadata_versions.find({"_id": {"$in": [number, number + 1]}}, {"fingerprint": 1})}
        if found == {number: fingerprint}:
            return known
    with translated_errors():
        newest = db.metadata_versions.find_one({}, {"_id": 1, "fingerprint": 1}, sort=[("_id", DESCENDING)])
    return (newest["_id"], newest["fingerprint"]) if newest else (0, "")


def insert_version(db: Database, version: dict[str, Any]) -> None:
    """Publish: insert the version document; DuplicateKey when another publish took that number."""
    with translated_errors():
        db.metadata_versions.insert_one(version)


def get_version(db: Database, number: int, with_manifest: bool = True) -> dict[str, Any] | None:
    """Return one version document, or None."""
    projection = None if with_manifest else {"documents": 0}
    with translated_errors():
        return db.metadata_versions.find_one({"_id": number}, projection)


def list_versions(db: Database, skip: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Return a page of versions, newest first, without manifests, and the total."""
    with translated_errors():
        total = db.metadata_versions.count_documents({})
        page = list(db.metadata_versions.find({}, {"documents": 0}).sort("_id", DESCENDING)
                    .skip(skip).limit(limit))
    return page, total


def published_fields(db: Database, record_type: str) -> dict[str, dict[str, Any]]:
    """Return {field name: {"type", "multi_select", "version"}} of every field ever published."""
    with translated_errors():
        return {row["name"]: row for row in db.metadata_fields.find({"record_type": record_type})}


def fields_known_through(db: Database) -> int:
    """Return the newest version whose fields are all in the registry (0: none)."""
    with translated_errors():
        row = db.metadata_derived.find_one({"_id": "fields"})
    return row["version"] if row else 0


def remember_fields(db: Database, fields: Iterable[tuple[str, str, str, bool]], version: int) -> None:
    """Record (record_type, name, type, multi_select) of version `version`'s fields; the newest version wins.

    A field's type may change while no record holds a value for it; records may then hold values of the new
    type, so the registry keeps the newest (a field removed, then added again with its first type, is a change).
    The rows go first, then the mark that the registry holds `version`: a crash between them only
    makes the next reader write the same rows again (a write that changes nothing).
    """
    fields = list(fields)
    with translated_errors():
        known = {row["_id"] for row in db.metadata_fields.find({}, {"_id": 1})}
        for record_type, name, type_, multi in fields:
            key = f"{record_type}:{name}"
            row = {"record_type": record_type, "name": name, "type": type_, "multi_select": multi, "version": version}
            if key not in known:
                db.metadata_fields.update_one({"_id": key}, {"$setOnInsert": row}, upsert=True)
            else:  # an older version's row gives way (never a newer one: registries are filled oldest first)
                db.metadata_fields.update_one({"_id": key, "version": {"$lt": version}}, {"$set": row})
        db.metadata_derived.update_one({"_id": "fields"}, {"$max": {"version": version}}, upsert=True)

