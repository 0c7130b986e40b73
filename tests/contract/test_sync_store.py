"""Sync pulls read the same changes on every backend: in sequence order, what left a scope, never past a write that
may still be committing."""
from __future__ import annotations

import time

import pytest

from server.storage import records as store, sync

NOW = time.time()


def record(record_id: str, keys: list[str], gone: list[str] | None = None) -> dict:
    return {"_id": record_id, "short_id": record_id, "revision": 1, "data": {}, store.ACCESS: keys,
            store.GONE: gone or []}


@pytest.fixture
def db(database, monkeypatch):
    store.ensure_record_indexes(database, "case", [])
    monkeypatch.setattr(store, "wall_clock", lambda: NOW - 3600)
    return database


def ids(changes: sync.Changes) -> list[str]:
    return [found["_id"] for found in changes.records]


def test_a_scope_s_changes_come_in_sequence_order_with_those_that_left_it(db):
    store.insert_record(db, "case", record("a", ["*", "user:awa"]))
    store.insert_record(db, "case", record("k", ["*", "user:kofi"]))
    store.insert_record(db, "case", record("left", ["*", "user:kofi"], gone=["user:awa"]))
    store.insert_record(db, "case", record("b", ["*", "user:awa", "group:g"]))
    changes = sync.read_changes(db, "case", ("user:awa", "group:g"), 0, 10, NOW)
    assert ids(changes) == ["a", "left", "b"] and changes.more is False
    assert changes.position == changes.records[-1][store.SEQUENCE]
    assert ids(sync.read_changes(db, "case", ("user:awa",), changes.position, 10, NOW)) == []


def test_pages_resume_where_they_ended_across_sparse_numbers(db):
    for number in range(30):
        store.insert_record(db, "case", record(f"r{number:02}", ["*", "user:awa" if number % 10 == 0 else "user:x"]))
    first = sync.read_changes(db, "case", ("user:awa",), 0, 2, NOW)
    assert ids(first) == ["r00", "r10"] and first.more is True
    rest = sync.read_changes(db, "case", ("user:awa",), first.position, 2, NOW)
    assert ids(rest) == ["r20"] and rest.more is False


def test_a_pull_stops_before_the_first_record_numbered_too_recently(db, monkeypatch):
    store.insert_record(db, "case", record("old", ["*"]))
    monkeypatch.setattr(store, "wall_clock", lambda: NOW)
    store.insert_record(db, "case", record("recent", ["*"]))
    monkeypatch.setattr(store, "wall_clock", lambda: NOW - 3600)  # a clock behind: numbered "earlier", but after
    store.insert_record(db, "case", record("after", ["*"]))
    changes = sync.read_changes(db, "case", ("*",), 0, 10, NOW - 10)
    assert ids(changes) == ["old"] and changes.more is False
    assert ids(sync.read_changes(db, "case", ("*",), changes.position, 10, NOW + 1)) == ["recent", "after"]


def test_a_write_committing_after_its_lease_takes_a_new_number(db, monkeypatch):
    store.insert_record(db, "case", record("slow", ["*"]))
    store.insert_record(db, "case", record("other", ["*"]))
    clock = iter([0.0, store.WRITE_LEASE + 1])
    monkeypatch.setattr(store, "write_clock", lambda: next(clock))
    entry = {"_id": "slow:2", "record_id": "slow", "revision": 2, "action": "update"}
    updated = store.update_record(db, "case", "slow", 1, {"data.name": "late"}, [], entry)
    numbers = {found["_id"]: found[store.SEQUENCE] for found in db.case.find()}
    assert numbers["slow"] == store.sequence_state(db, "case")["value"] == updated[store.SEQUENCE]
    assert numbers["slow"] == numbers["other"] + 2  # the number it took first, then a new one
