"""Audit entries of concurrent requests share one durable write, and each caller still waits for its own."""
from __future__ import annotations

import threading
import time

import pytest

from server.storage.auth import _GroupWriter
from server.storage.errors import StorageUnavailable


class SlowCollection:
    """A collection whose first insert waits until it is let go, so that other entries queue meanwhile."""

    name = "audit_log"

    def __init__(self, fail: bool = False) -> None:
        self.database = type("Db", (), {"client": object(), "name": "abri"})()
        self.batches: list[list[dict]] = []
        self.let_go = threading.Event()
        self.fail = fail

    def insert_many(self, entries, ordered=True):
        if not self.batches:
            self.batches.append(list(entries))
            self.let_go.wait(5)
            return
        self.batches.append(list(entries))
        if self.fail:
            raise StorageUnavailable()


def _write_concurrently(writer: _GroupWriter, collection: SlowCollection, count: int) -> list[BaseException | None]:
    outcomes: list[BaseException | None] = [None] * count

    def write(number: int) -> None:
        try:
            writer.insert(collection, {"n": number})
        except BaseException as error:  # noqa: BLE001  (the test looks at it)
            outcomes[number] = error

    first = threading.Thread(target=write, args=(0,))
    first.start()
    while not collection.batches:
        time.sleep(0.001)
    others = [threading.Thread(target=write, args=(number,)) for number in range(1, count)]
    for thread in others:
        thread.start()
    while len(writer.waiting) < count - 1:  # every other caller queued behind the first write
        time.sleep(0.001)
    collection.let_go.set()
    for thread in [first, *others]:
        thread.join(5)
    return outcomes


def test_entries_that_arrive_during_a_write_go_together_in_the_next_one():
    collection = SlowCollection()
    outcomes = _write_concurrently(_GroupWriter(), collection, 6)
    assert outcomes == [None] * 6
    assert [sorted(entry["n"] for entry in batch) for batch in collection.batches] == [[0], [1, 2, 3, 4, 5]]


def test_a_refused_write_is_an_error_for_every_caller_whose_entry_it_held():
    collection = SlowCollection(fail=True)
    outcomes = _write_concurrently(_GroupWriter(), collection, 4)
    assert outcomes[0] is None
    assert all(isinstance(outcome, StorageUnavailable) for outcome in outcomes[1:])


def test_a_lone_entry_is_written_at_once():
    collection = SlowCollection()
    collection.let_go.set()
    _GroupWriter().insert(collection, {"n": 1})
    assert collection.batches == [[{"n": 1}]]


@pytest.mark.parametrize("count", [1, 3])
def test_the_writer_is_free_again_after_each_write(count):
    collection = SlowCollection()
    collection.let_go.set()
    writer = _GroupWriter()
    for number in range(count):
        writer.insert(collection, {"n": number})
    assert (writer.writing, writer.waiting) == (False, [])
