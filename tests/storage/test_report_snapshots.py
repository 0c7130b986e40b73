"""The snapshots of the facts cache: one whole generation per record type stays, whatever the writers did."""
from __future__ import annotations

import threading
import time

import pytest

from server.storage import get_db
from server.storage import reports as store
from server.storage.reports import ORPHANED_AFTER, SNAPSHOTS

RECORDS = [{"_id": f"r{n}", "data": {"sex": "female"}} for n in range(5)]


@pytest.fixture
def db(backend_app, monkeypatch):
    monkeypatch.setattr(store, "CHUNK", 2)   # three chunks for five records
    with backend_app.app_context():
        yield get_db()


def generations(db) -> dict[str, int]:
    """The number of chunks kept for each generation of the cases' snapshots."""
    kept: dict[str, int] = {}
    for chunk in db[SNAPSHOTS].find({"record_type": "case"}):
        kept[chunk["generation"]] = kept.get(chunk["generation"], 0) + 1
    return kept


def write(db, generation: str, written_at: float, records=RECORDS) -> None:
    store.write_snapshot(db, "case", "sex", {"position": 5, "residue_position": 0}, records, generation, written_at)


def test_a_new_snapshot_replaces_the_one_it_follows(db):
    now = time.time()
    write(db, "g1", now)
    write(db, "g2", now + 1)
    assert generations(db) == {"g2": 3}
    head, records = store.read_snapshot(db, "case", "sex")
    assert head["generation"] == "g2" and [r["_id"] for r in records] == [r["_id"] for r in RECORDS]


def test_chunks_a_dead_writer_left_are_deleted_and_a_writer_at_work_keeps_its_own(db):
    now = time.time()
    write(db, "g1", now - 2 * ORPHANED_AFTER)
    for index in range(2):   # a writer killed before its head: chunks no head names, from long ago
        db[SNAPSHOTS].insert_one({"_id": f"dead:{index}", "generation": "dead", "index": index, "record_type": "case",
                                  "written_at": now - 2 * ORPHANED_AFTER, "records": RECORDS[:2]})
    db[SNAPSHOTS].insert_one({"_id": "older:0", "generation": "older", "index": 0, "record_type": "case",
                              "records": RECORDS[:2]})   # written before chunks were dated
    db[SNAPSHOTS].insert_one({"_id": "busy:0", "generation": "busy", "index": 0, "record_type": "case",
                              "written_at": now, "records": RECORDS[:2]})   # a writer still writing its chunks
    db[SNAPSHOTS].insert_one({"_id": "other:0", "generation": "other", "index": 0, "record_type": "incident",
                              "written_at": now - 2 * ORPHANED_AFTER, "records": []})
    db[SNAPSHOTS].insert_one({"_id": "head:incident", "generation": "other", "fields_key": "sex", "chunks": 1})
    write(db, "g2", now)
    assert generations(db) == {"g2": 3, "busy": 1}
    assert db[SNAPSHOTS].count_documents({"generation": "other"}) == 2   # another record type's snapshot is its own
    assert store.read_snapshot(db, "case", "sex")[0]["generation"] == "g2"


def test_snapshots_written_at_once_leave_one_whole_snapshot_and_no_orphan_once_settled(db):
    now = time.time()
    start = threading.Barrier(6)
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            write(db, f"w{number}", now)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    head, records = store.read_snapshot(db, "case", "sex")   # whichever won, its snapshot is whole
    assert len(records) == len(RECORDS)
    write(db, "later", now + ORPHANED_AFTER + 1)            # the next snapshot, once the writers are long done
    assert generations(db) == {"later": 3}
