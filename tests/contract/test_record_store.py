"""Record storage behaves the same on every backend: unique keys, writes at a revision, history, lists, streams."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from server.storage import DuplicateKey
from server.storage import records as store
from server.storage.query import DESC, Filter, Page, Sort

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=timezone.utc)


def record(record_id: str, short_id: str, **envelope) -> dict:
    return {"_id": record_id, "short_id": short_id, "revision": 1, "status": "open", "data": {"name": record_id},
            "_search": [f"name:{record_id}"], "_create_hash": "h", "last_updated_at": NOW, **envelope,
            store.PENDING: {"_id": f"{record_id}:1", "record_id": record_id, "revision": 1, "action": "create"}}


@pytest.fixture
def db(database):
    store.ensure_record_indexes(database, "case", ["age"])
    return database


def test_an_id_or_a_short_id_is_taken_once_and_the_clash_says_which(db):
    store.insert_record(db, "case", record("c1", "s1"))
    with pytest.raises(DuplicateKey) as same_id:
        store.insert_record(db, "case", record("c1", "s2"))
    with pytest.raises(DuplicateKey) as same_short_id:
        store.insert_record(db, "case", record("c2", "s1"))
    assert (store.duplicate_field(same_id.value), store.duplicate_field(same_short_id.value)) == ("_id", "short_id")
    assert store.find_record(db, "case", "c2") is None


def test_a_write_applies_only_at_the_revision_it_was_built_from(db):
    store.insert_record(db, "case", record("c1", "s1"))
    entry = {"_id": "c1:2", "record_id": "c1", "revision": 2, "action": "update"}
    updated = store.update_record(db, "case", "c1", 1, {"data.name": "Awa", "status": "closed"}, ["_search"], entry)
    assert (updated["revision"], updated["data"]["name"], updated["status"]) == (2, "Awa", "closed")
    assert "_search" not in updated
    assert store.update_record(db, "case", "c1", 1, {"status": "open"}, [], {**entry, "_id": "c1:x"}) is None
    assert store.update_record(db, "case", "absent", 1, {"status": "open"}, [], entry) is None
    assert store.find_record(db, "case", "c1")["status"] == "closed"


def test_history_is_copied_once_and_read_newest_first_up_to_the_record_revision(db):
    store.insert_record(db, "case", record("c1", "s1"))
    for revision in (2, 3):
        current = store.find_record(db, "case", "c1")
        store.update_record(db, "case", "c1", current["revision"], {"status": f"s{revision}"}, [],
                            {"_id": f"c1:{revision}", "record_id": "c1", "revision": revision, "action": "update"})
    store.flush_history(db, "case", store.find_record(db, "case", "c1"))  # again: still one entry per revision
    entries, total = store.list_history(db, "c1", 2, 0, 10)
    assert ([entry["revision"] for entry in entries], total) == ([2, 1], 2)
    assert [entry["revision"] for entry in store.list_history(db, "c1", 3, 1, 1)[0]] == [2]


def test_a_list_counts_every_match_and_returns_one_sorted_page(db):
    for number in range(7):
        store.insert_record(db, "case", record(f"c{number}", f"s{number}", status="open" if number % 2 else "closed",
                                                last_updated_at=NOW + timedelta(minutes=number % 3)))
    order = [Sort("last_updated_at", DESC), Sort("_id")]
    page, total = store.list_records(db, "case", Filter("status", "eq", "closed"), order, Page(2, 2),
                                     fields=["status"])
    assert total == 4
    assert page == [{"_id": "c0", "status": "closed"}, {"_id": "c6", "status": "closed"}]


def test_a_stream_yields_every_match_in_id_order_without_internal_keys(db):
    for number in (3, 1, 2):
        store.insert_record(db, "case", record(f"c{number}", f"s{number}"))
    streamed = list(store.stream_records(db, "case", Filter("_id", "in", ["c2", "c3"]), batch_size=1))
    assert [item["_id"] for item in streamed] == ["c2", "c3"]
    assert not {"_search", "_create_hash"} & set(streamed[0])
    assert store.count_records(db, "case", {"status": "open"}) == 3


def test_the_single_field_indexes_of_earlier_releases_are_dropped_once_and_each_equality_gets_its_own(database):
    """Every write paid for them and no plan read them; an equality filter leads windows on (field, _seq)."""
    for name in ("status", "created_at", "data.age", "_search", "links.case_id"):
        database.case.create_index(name)
    store.ensure_record_indexes(database, "case", ["age", "sex"])
    keys = {tuple(key for key, _ in index["key"]) for index in database.case.index_information().values()}
    assert not {("status",), ("created_at",), ("data.age",)} & keys
    assert {("_search",), ("links.case_id",), ("short_id",), ("_id",), ("status", "_seq"), ("data.age", "_seq"),
            ("data.sex", "_seq"), ("owned_by", "_seq"), ("_access", "_seq")} <= keys
    assert store.lead_fields(database, "case") >= {"status", "data.age", "data.sex", "owned_by"}
    assert "_access" not in store.lead_fields(database, "case")


def test_two_processes_dropping_the_same_old_index_at_once_both_start(database, monkeypatch):
    database.case.create_index("status")
    listed, real = [list(database.case.list_indexes())], type(database.case).list_indexes
    database.case.drop_index("status_1")  # the other process was first, after this one listed the indexes
    monkeypatch.setattr(type(database.case), "list_indexes",
                        lambda self, *a, **k: iter(listed.pop()) if listed else real(self, *a, **k))
    store.ensure_record_indexes(database, "case", [])
    monkeypatch.undo()
    assert ("status", "_seq") in {tuple(k for k, _ in i["key"]) for i in database.case.index_information().values()}
