"""The metadata collections behave the same on mongomock and on a real wire server."""
from datetime import datetime, timezone

import pytest

from server.storage import DuplicateKey, get_db
from server.storage import metadata as store

NOW = datetime(2026, 1, 2, tzinfo=timezone.utc)


@pytest.fixture
def db(backend_app):
    with backend_app.app_context():
        yield get_db()


def test_a_draft_document_is_replaced_only_at_its_revision(db):
    store.insert_draft(db, "lookup", "lookup-x", {"unique_id": "lookup-x"}, "ana", NOW)
    assert store.replace_draft(db, "lookup", "lookup-x", {"unique_id": "lookup-x", "v": 2}, 1, "ana", NOW)["revision"] == 2
    assert store.replace_draft(db, "lookup", "lookup-x", {"unique_id": "lookup-x", "v": 3}, 1, "ana", NOW) is None
    assert store.get_draft(db, "lookup", "lookup-x")["body"]["v"] == 2


def test_inserting_an_existing_draft_document_is_a_duplicate(db):
    store.insert_draft(db, "lookup", "lookup-x", {}, "ana", NOW)
    with pytest.raises(DuplicateKey):
        store.insert_draft(db, "lookup", "lookup-x", {}, "ana", NOW)


def test_only_one_publisher_can_take_a_version_number(db):
    number, _ = store.latest_version_ref(db)
    store.insert_version(db, {"_id": number + 1, "fingerprint": "a", "documents": {}})
    with pytest.raises(DuplicateKey):
        store.insert_version(db, {"_id": number + 1, "fingerprint": "b", "documents": {}})
    assert store.latest_version_ref(db) == (number + 1, "a")


def test_blobs_are_stored_once_by_hash(db):
    store.store_blobs(db, {"h1": ("form", "f", {"a": 1})})
    store.store_blobs(db, {"h1": ("form", "f", {"a": "changed"}), "h2": ("form", "g", {"b": 2})})
    assert store.load_blobs(db, ["h1", "h2"]) == {"h1": {"a": 1}, "h2": {"b": 2}}


def test_field_registry_keeps_the_newest_published_type_and_never_an_older_one(db):
    store.remember_fields(db, [("case", "weight", "numeric_field", False)], 3)
    store.remember_fields(db, [("case", "weight", "text_field", False), ("case", "height", "numeric_field", False)], 4)
    store.remember_fields(db, [("case", "weight", "numeric_field", False)], 3)  # an older version, read again
    fields = store.published_fields(db, "case")
    assert fields["weight"]["type"] == "text_field" and fields["weight"]["version"] == 4
    assert fields["height"]["version"] == 4


def test_reset_draft_removes_documents_that_are_not_listed(db):
    store.reset_draft(db, [("lookup", "lookup-a", {"unique_id": "lookup-a"})], "ana", NOW)
    assert [entry["unique_id"] for entry in store.list_draft(db)] == ["lookup-a"]


def test_the_newest_version_known_before_is_checked_against_the_database(db):
    number, _ = store.latest_version_ref(db)
    store.insert_version(db, {"_id": number + 1, "fingerprint": "a", "documents": {}})
    assert store.latest_version_ref(db, known=(number + 1, "a")) == (number + 1, "a")
    store.insert_version(db, {"_id": number + 2, "fingerprint": "b", "documents": {}})  # another process published
    assert store.latest_version_ref(db, known=(number + 1, "a")) == (number + 2, "b")
    assert store.latest_version_ref(db, known=(number + 2, "other database")) == (number + 2, "b")
    assert store.latest_version_ref(db, known=(number + 7, "restored from a backup")) == (number + 2, "b")
