"""The files of records in GridFS behave the same on mongomock and on a real wire server."""
from datetime import datetime, timedelta, timezone

import pytest

from server.storage import DuplicateKey, get_db
from server.storage import attachments as store

BIG = bytes(range(256)) * 4000  # 1 MB: several GridFS chunks


@pytest.fixture
def db(backend_app):
    with backend_app.app_context():
        yield get_db()


def meta(record_id: str, field: str = "photos") -> dict:
    return {"record_id": record_id, "field": field, "content_type": "image/jpeg", "sha256": "x"}


def test_a_file_comes_back_byte_for_byte_in_blocks_with_its_descriptor(db):
    store.put_file(db, "f1", BIG, "visage.jpg", meta("r1"))
    found = store.open_file(db, "f1")
    assert found.descriptor["filename"] == "visage.jpg" and found.descriptor["length"] == len(BIG)
    assert found.descriptor["metadata"]["record_id"] == "r1"
    blocks = list(found.blocks)
    assert len(blocks) > 1 and b"".join(blocks) == BIG
    assert store.open_file(db, "nothing") is None


def test_files_are_found_by_record_and_id_oldest_first_and_an_id_is_taken_once(db):
    store.put_file(db, "a", b"1", "a.jpg", meta("r1"))
    store.put_file(db, "b", b"2", "b.pdf", meta("r1", "documents"))
    store.put_file(db, "c", b"3", "c.jpg", meta("r2"))
    assert [row["_id"] for row in store.find_files(db, ["r1"])] == ["a", "b"]
    assert [row["_id"] for row in store.find_files(db, ["r1", "r2"], ["b", "c", "zz"])] == ["b", "c"]
    assert store.find_files(db, ["r3"]) == []
    with pytest.raises(DuplicateKey):
        store.put_file(db, "a", b"again", "a.jpg", meta("r1"))
    assert "metadata.record_id_1_metadata.field_1" in db[store.FILES].index_information()


def test_deleting_a_file_removes_its_chunks_and_only_old_unreferenced_files_are_swept(db):
    store.put_file(db, "keep", b"k", "k.jpg", meta("r1"))
    store.put_file(db, "orphan", BIG, "o.jpg", meta("r1"))
    store.put_file(db, "other-field", b"d", "d.pdf", meta("r1", "documents"))
    now = datetime.now(timezone.utc)
    assert store.delete_unreferenced(db, "r1", "photos", ["keep"], now - timedelta(hours=1)) == 0  # may be in flight
    assert store.delete_unreferenced(db, "r1", "photos", ["keep"], now + timedelta(seconds=1)) == 1
    assert [row["_id"] for row in store.find_files(db, ["r1"])] == ["keep", "other-field"]
    store.delete_file(db, "keep")
    store.delete_file(db, "keep")  # nothing left: nothing happens
    assert db[f"{store.BUCKET}.chunks"].count_documents({"files_id": {"$in": ["keep", "orphan"]}}) == 0
