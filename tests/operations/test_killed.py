"""`abri restore` and `abri migrate` killed with SIGKILL midway: the next run finishes the work, nothing is lost."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from server.errors import Conflict
from server.services import backups, migrations
from server.services.migrations import SCHEMA_VERSION
from tests.operations.conftest import app_for, load_release, login

SECRET = "a long backup password"
COPIES = 4_000


def _grow(db) -> None:
    """Copies of the earlier release's cases (with their history), so that the work lasts long enough to be killed."""
    cases = list(db.case.find())
    history = list(db.record_history.find())
    made, entries = [], []
    for n in range(COPIES):
        case = dict(cases[n % len(cases)])
        record_id = str(uuid.uuid4())
        case.update(_id=record_id, short_id=f"k{n:06d}")
        made.append(case)
        entries += [{**entry, "_id": str(uuid.uuid4()), "record_id": record_id} for entry in history
                    if entry["record_id"] == cases[n % len(cases)]["_id"]]
    db.case.insert_many(made)
    db.record_history.insert_many(entries)


def _command(secantus_uri, name, *arguments):
    env = {**os.environ, "ABRI_MONGO_URI": secantus_uri, "ABRI_MONGO_DB_NAME": name, "ABRI_BACKUP_PASSWORD": SECRET}
    return subprocess.Popen([sys.executable, "-m", "server.cli", *arguments], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)


def _kill_when(process, condition, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.communicate()[0]
            pytest.fail(f"finished before it could be killed: {output[-2000:]!r}")
        if condition():
            process.send_signal(signal.SIGKILL)
            process.wait(30)
            process.stdout.close()
            return
        time.sleep(0.02)
    process.kill()
    process.communicate()
    pytest.fail("the condition never held")


def test_a_killed_restore_blocks_the_server_and_the_next_restore_finishes(database, secantus_uri, tmp_path):
    source = database()
    load_release(source, "2be7879")
    migrations.migrate(source, {"METADATA_DIR": "metadata"})
    _grow(source)
    path = backups.write_backup(source, tmp_path / "big.abribak", SECRET).path
    target = database()
    restoring = _command(secantus_uri, target.name, "restore", str(path))
    _kill_when(restoring, lambda: target.settings.find_one({"_id": "restore"}) is not None
               and 0 < target.case.estimated_document_count())
    assert target.case.count_documents({}) < source.case.count_documents({})
    with pytest.raises(Conflict) as refused:
        with app_for(secantus_uri, target.name):
            pass
    assert refused.value.error.code == "RESTORE_UNFINISHED"

    again = _command(secantus_uri, target.name, "restore", str(path))
    output = again.communicate(timeout=300)[0].decode()
    assert again.returncode == 0, output
    for name in ("case", "record_history", "users", "metadata_versions", "attachments.chunks"):
        assert target[name].count_documents({}) == source[name].count_documents({}), name
    with app_for(secantus_uri, target.name) as app:
        assert login(app, "awa.worker")


def test_a_killed_migration_is_finished_by_the_next_run(database, secantus_uri):
    db = database()
    load_release(db, "5922c79")   # records without access keys or numbers
    _grow(db)
    migrating = _command(secantus_uri, db.name, "migrate")
    _kill_when(migrating, lambda: 0 < db.case.count_documents({"_access": {"$exists": True}}, limit=1))
    schema = db.settings.find_one({"_id": "schema"})
    assert schema["version"] == 0 and schema["migrating"]          # killed inside step 1, holding the lease
    assert db.case.count_documents({"_access": {"$exists": False}}) > 0

    # the next start waits for the lease to run out (here: made to have run out), then does the rest
    db.settings.update_one({"_id": "schema"}, {"$set": {"migrating.until": schema["migrating"]["until"].replace(
        year=2000)}})
    again = _command(secantus_uri, db.name, "migrate")
    output = again.communicate(timeout=300)[0].decode()
    assert again.returncode == 0, output
    assert f"moved from schema version 0 to {SCHEMA_VERSION}" in output
    assert db.case.count_documents({"_access": {"$exists": False}}) == 0
    numbers = [record["_seq"] for record in db.case.find({}, {"_seq": 1})]
    assert len(numbers) == COPIES + 6 and len(set(numbers)) == len(numbers)
    assert db.record_sequences.find_one({"_id": "case"})["value"] >= max(numbers)
