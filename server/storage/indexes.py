"""The indexes Abri needs; created at start-up, idempotently."""
from __future__ import annotations

from pymongo import ASCENDING, DESCENDING

from server.storage.client import Database


def ensure_indexes(db: Database) -> None:
    """Create the indexes of the metadata collections."""
    db.metadata_draft.create_index([("kind", ASCENDING), ("unique_id", ASCENDING)], unique=True)
    db.metadata_versions.create_index([("published_at", DESCENDING)])
    db.metadata_fields.create_index([("record_type", ASCENDING)])
