"""Databases for the operations tests: made by an earlier release (tests/fixtures/earlier), on SecantusDB."""
from __future__ import annotations

import contextlib
import gzip
import uuid
from pathlib import Path

import pymongo
import pytest
from bson import json_util
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument

from server.app import create_app
from tests.conftest import TEST_EXPORT_KEY, TEST_STREAMS

EARLIER = Path(__file__).resolve().parent.parent / "fixtures" / "earlier"
# The earlier releases the suite keeps a database of: before records carried access keys and sequence numbers
# (5922c79), and the release before schema versions (2be7879, with attachments, reports and workflow).
RELEASES = ["5922c79", "2be7879"]
PASSWORD = "Correct-Horse-Battery-42"          # every user's, in make_fixture.py
PDF = b"%PDF-1.4\n% Abri earlier-release fixture\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
RAW = CodecOptions(document_class=RawBSONDocument, tz_aware=True)
AWARE = json_util.CANONICAL_JSON_OPTIONS.with_options(tz_aware=True)


def fixture_documents(release: str) -> list[tuple[str, dict]]:
    """(collection, document) of every document of an earlier release's database."""
    with gzip.open(EARLIER / f"{release}.jsonl.gz", "rt", encoding="utf-8") as file:
        next(file)
        rows = [json_util.loads(line, json_options=AWARE) for line in file]
    return [(row["collection"], row["document"]) for row in rows]


@pytest.fixture
def database(secantus_uri):
    """Open databases on the session's SecantusDB by name (`database("x")`); dropped and closed at the end."""
    client = pymongo.MongoClient(secantus_uri, tz_aware=True, uuidRepresentation="standard")
    names = []

    def open_database(name: str | None = None):
        names.append(name or f"abri_ops_{uuid.uuid4().hex[:10]}")
        return client[names[-1]]

    yield open_database
    for name in names:
        client.drop_database(name)
    client.close()


def load_release(db, release: str) -> None:
    """Write an earlier release's documents into `db`, as that release stored them."""
    by_collection: dict[str, list] = {}
    for collection, document in fixture_documents(release):
        by_collection.setdefault(collection, []).append(document)
    for collection, documents in by_collection.items():
        db[collection].insert_many(documents)


@contextlib.contextmanager
def app_for(uri: str, name: str, **overrides):
    """An app on the database `name` (not dropped: the `database` fixture drops it)."""
    application = create_app({"TESTING": True, "MONGO_URI": uri, "MONGO_DB_NAME": name,
                              "EXPORT_PASSWORD_KEY": TEST_EXPORT_KEY, **TEST_STREAMS, **overrides})
    try:
        yield application
    finally:
        application.close()


def raw_documents(db, collection: str) -> list[bytes]:
    """A collection's documents as their stored bytes, in _id order."""
    return [document.raw for document in db.get_collection(collection, codec_options=RAW).find().sort("_id", 1)]


def login(application, user: str) -> str:
    answer = application.test_client().post("/api/v1/tokens", json={"user_name": user, "password": PASSWORD})
    assert answer.status_code == 201, answer.json
    return answer.json["data"]["token"]
