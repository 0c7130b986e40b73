"""Every collection out as raw BSON, read from one consistent snapshot; and back into an empty database.

A backup reads all its collections at one moment of the database, while the server keeps writing:

- on a MongoDB replica set (and a sharded cluster), a snapshot session: every read is at the cluster time of the
  first (MongoDB keeps that history for minSnapshotHistoryWindowInSeconds, 300 s by default: raise it when a
  backup takes longer; a read past it fails with SnapshotTooOld, and the backup with it);
- on SecantusDB (the embedded database), one read-only transaction with read concern "snapshot" (SecantusDB ends
  one idle for 60 s; a backup never idles). SecantusDB accepts snapshot sessions but does not isolate them;
- a standalone MongoDB has neither: NoSnapshot.

Documents travel as the server's own BSON bytes (RawBSONDocument): what is restored is what was stored, byte for
byte, whatever the types (dates, uuids, binary attachment chunks).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo.errors import OperationFailure
from pymongo.read_concern import ReadConcern

from server.storage.client import Database
from server.storage.errors import translated_errors
from server.storage.records import SEQUENCES

RAW = CodecOptions(document_class=RawBSONDocument, tz_aware=True)
INSERT_BATCH = 1_000
INSERT_BYTES = 8 * 1024 * 1024
SNAPSHOT_UNAVAILABLE = 246
TRANSACTIONS_UNSUPPORTED = (20, 263)   # IllegalOperation; OperationNotSupportedInTransaction
INDEX_OPTIONS = ("unique", "sparse", "expireAfterSeconds", "partialFilterExpression", "collation", "weights",
                 "default_language", "language_override", "textIndexVersion", "2dsphereIndexVersion", "hidden")
# Never in a backup: bearer tokens, sessions and device credentials (a restore asks everyone to sign in again,
# and a stolen backup holds no credential), the login throttle's counters, and the configuration's change lock
# (a change under way in the server backed up is not under way in the one restored).
LEFT_OUT = frozenset({"tokens", "login_counters", "metadata_lock"})


class NoSnapshot(Exception):
    """The database can give no consistent snapshot (a standalone MongoDB)."""


def collection_plan(db: Database) -> list[dict[str, Any]]:
    """The collections to back up, sorted, each with its indexes (all but _id's) and its creation options."""
    with translated_errors():
        plan = []
        for info in sorted(db.list_collections(), key=lambda info: info["name"]):
            name = info["name"]
            if name.startswith("system.") or name in LEFT_OUT or info.get("type", "collection") != "collection":
                continue
            indexes = [_index_spec(index) for index in db[name].list_indexes() if index["name"] != "_id_"]
            plan.append({"name": name, "indexes": indexes})
    return plan


def _index_spec(index: Any) -> dict[str, Any]:
    return {"name": index["name"], "key": [[field, direction] for field, direction in index["key"].items()],
            **{option: index[option] for option in INDEX_OPTIONS if option in index}}


@contextmanager
def snapshot(db: Database) -> Iterator[tuple[str, Any]]:
    """Yield (how, session): every read made with `session` sees the database at one moment."""
    client = db.client
    if type(client).__module__.startswith("mongomock"):  # the tests' in-process fake: one thread, no snapshots
        yield "none", None
        return
    with translated_errors():
        session = snapshot_session(db)
        if session is not None:
            with session:
                yield "snapshot_session", session
            return
        with client.start_session() as session:
            try:
                session.start_transaction(read_concern=ReadConcern("snapshot"))
                db[SEQUENCES].find_one({}, session=session)
            except OperationFailure as error:
                if error.code in TRANSACTIONS_UNSUPPORTED or "replica set" in str(error):
                    raise NoSnapshot() from None
                raise
            try:
                yield "transaction", session
            finally:
                if session.in_transaction:
                    session.abort_transaction()  # read only: nothing to commit


def snapshot_session(db: Database) -> Any:
    """A snapshot session whose first read worked, or None where the server has none (a standalone server) or
    does not isolate one (SecantusDB accepts snapshot sessions but reads the latest data: its transactions do
    isolate, as tests/operations/test_backups.py shows)."""
    if "secantusVersion" in db.client.admin.command("buildInfo"):
        return None
    session = db.client.start_session(snapshot=True)
    try:
        db[SEQUENCES].find_one({}, session=session)
    except OperationFailure as error:
        session.end_session()
        if error.code != SNAPSHOT_UNAVAILABLE:
            raise
        return None
    return session


def read_collection(db: Database, name: str, session: Any) -> Iterator[bytes]:
    """Every document of a collection as its BSON bytes, in _id order, from the snapshot."""
    collection = db.get_collection(name, codec_options=RAW)
    with translated_errors():
        for document in collection.find({}, session=session, batch_size=1000).sort("_id", 1):
            yield document.raw


def published_version(db: Database, session: Any) -> int | None:
    """The configuration version published at the snapshot."""
    with translated_errors():
        latest = db.metadata_versions.find_one({}, {"_id": 1}, sort=[("_id", -1)], session=session)
    return latest["_id"] if latest else None


def write_documents(db: Database, name: str, documents: list[bytes]) -> None:
    """Insert a batch of documents (their exact bytes) into a collection."""
    if not documents:
        return
    with translated_errors():
        db.get_collection(name, codec_options=RAW).insert_many(
            [RawBSONDocument(raw) for raw in documents], ordered=True)


def create_indexes(db: Database, name: str, indexes: list[dict[str, Any]]) -> None:
    """Create a restored collection (even when empty) and its indexes as the backup described them."""
    with translated_errors():
        if name not in db.list_collection_names():
            db.create_collection(name)
        for index in indexes:
            options = {key: value for key, value in index.items() if key not in ("key", "name")}
            db[name].create_index([(field, direction) for field, direction in index["key"]], name=index["name"],
                                  **options)


def advance_sequences(db: Database, gap: int) -> None:
    """Move every sequence counter on by `gap`: numbers given after the backup, on the server that was lost and
    seen by a device or an alert stream, are never given again."""
    with translated_errors():
        db[SEQUENCES].update_many({"value": {"$type": "number"}}, {"$inc": {"value": gap}})


def document_id(raw: bytes) -> Any:
    """The _id of a document given as BSON bytes."""
    return RawBSONDocument(raw, RAW).get("_id")
