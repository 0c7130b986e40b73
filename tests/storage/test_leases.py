"""The leases that make changes one at a time (the configuration's change lock, the retention run's lock): one holder
at a time, across threads and processes, for its lease only."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from server.errors import Conflict
from server.metadata import draft as drafts
from server.storage import get_db
from server.storage import data_protection
from server.storage import metadata as store


@pytest.fixture
def db(backend_app):
    with backend_app.app_context():
        yield get_db()


class Lock:
    """A lease as its users take it: the configuration's change lock, or the retention run's lock."""

    def __init__(self, db, kind: str):
        self.db, self.kind = db, kind

    def claim(self, holder: str, now: datetime, until: datetime) -> bool:
        if self.kind == "change":
            return store.claim_change(self.db, holder, now, until)
        return data_protection.claim_run(self.db, holder, now, until - now)

    def release(self, holder: str) -> None:
        (store.release_change if self.kind == "change" else data_protection.release_run)(self.db, holder)

    def holder(self) -> str | None:
        collection, key = ((self.db.metadata_lock, store.CHANGE_LOCK) if self.kind == "change"
                           else (self.db[data_protection.RUNS], data_protection.RUN_LOCK))
        return collection.find_one({"_id": key})["holder"]


@pytest.fixture(params=["change", "retention run"])
def lock(request, db):
    return Lock(db, request.param)


def test_of_many_claims_at_once_one_wins_and_the_lock_passes_on_when_it_is_released(lock):
    now = datetime.now(timezone.utc)
    until = now + timedelta(minutes=10)
    start, won = threading.Barrier(8), []

    def claim(holder: str) -> None:
        start.wait()
        if lock.claim(holder, now, until):
            won.append(holder)
    threads = [threading.Thread(target=claim, args=(f"h{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1, won
    assert lock.holder() == won[0]
    assert not lock.claim("late", now, until)
    lock.release("late")  # one who does not hold it frees nothing
    assert not lock.claim("late", now, until)
    assert lock.claim(won[0], now, until + timedelta(minutes=1))  # its holder renews it
    lock.release(won[0])
    assert lock.claim("late", now, until)


def test_a_lease_that_ran_out_passes_to_the_next_claim_and_its_holder_cannot_free_the_new_one(lock):
    now = datetime.now(timezone.utc)
    assert lock.claim("killed", now - timedelta(minutes=11), now - timedelta(minutes=1))
    assert lock.claim("next", now, now + timedelta(minutes=10))
    lock.release("killed")
    assert lock.holder() == "next"
    assert not lock.claim("killed", now, now + timedelta(minutes=10))


def test_a_change_that_fails_gives_the_lock_back(db):
    with pytest.raises(ValueError):
        with drafts.one_change_at_a_time(db):
            with pytest.raises(Conflict) as refused:
                with drafts.one_change_at_a_time(db):
                    pass
            assert refused.value.code == "CONFIGURATION_BUSY"
            raise ValueError("the change failed")
    assert db.metadata_lock.count_documents({}) == 0
    with drafts.one_change_at_a_time(db):
        assert db.metadata_lock.count_documents({}) == 1


def dead_pid() -> int:
    """The pid of a process of this machine that ran and ended."""
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(ended.stdout)


def test_a_lock_left_by_a_dead_process_of_this_machine_is_taken_over_at_once(db):
    now = datetime.now(timezone.utc)
    host = socket.gethostname()
    assert store.claim_change(db, f"{host}:{dead_pid()}:killed", now, now + timedelta(seconds=60))
    with drafts.one_change_at_a_time(db):
        assert store.change_holder(db).startswith(f"{host}:{os.getpid()}:")
    assert store.change_holder(db) is None


@pytest.mark.parametrize("holder", ["{host}:{alive}:running", "elsewhere:{dead}:killed", "{host}:not-a-pid:x",
                                    "no-colon-at-all"])
def test_a_lock_held_by_a_live_process_or_one_of_another_machine_is_not_taken_over(db, holder):
    now = datetime.now(timezone.utc)
    holder = holder.format(host=socket.gethostname(), alive=os.getppid(), dead=dead_pid())
    assert store.claim_change(db, holder, now, now + timedelta(seconds=60))
    with pytest.raises(Conflict) as refused:
        with drafts.one_change_at_a_time(db):
            pass
    assert refused.value.code == "CONFIGURATION_BUSY"
    assert store.change_holder(db) == holder


def test_a_long_change_renews_its_lease_and_keeps_the_lock(db, monkeypatch):
    monkeypatch.setattr(drafts, "CHANGE_LEASE", timedelta(seconds=0.6))
    with drafts.one_change_at_a_time(db):
        first = db.metadata_lock.find_one({"_id": store.CHANGE_LOCK})
        time.sleep(1.5)  # more than twice the lease: without renewal, another would have taken it
        now = datetime.now(timezone.utc)
        assert not store.claim_change(db, "another", now, now + timedelta(seconds=60))
        renewed = db.metadata_lock.find_one({"_id": store.CHANGE_LOCK})
        assert renewed["holder"] == first["holder"] and renewed["until"] > first["until"]
    assert store.change_holder(db) is None
