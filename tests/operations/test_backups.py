"""Backups that restore: everything Abri stores, from one snapshot taken while it serves, back byte for byte."""
from __future__ import annotations

import os
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.config import load_config
from server.errors import Conflict, Unprocessable
from server.services import backups
from server.services.migrations import SCHEMA_VERSION, migrate
from server.storage import backup as backup_store
from tests.conftest import authenticated
from tests.operations.conftest import PDF, app_for, load_release, login, raw_documents

SECRET = "a long backup password"
CHANGED_ON_RESTORE = {"settings", "record_sequences"}   # the restore's lineage; counters moved on


def _migrated(database, release="2be7879"):
    db = database()
    load_release(db, release)
    migrate(db, load_config())
    return db


def test_a_restore_gives_back_every_document_byte_for_byte(database, secantus_uri, tmp_path):
    source = _migrated(database)
    written = backups.write_backup(source, tmp_path / "b.abribak", SECRET)
    assert written.manifest["snapshot"] == "transaction"   # SecantusDB: one read-only snapshot transaction
    assert written.manifest["schema_version"] == SCHEMA_VERSION
    assert written.manifest["config_version"] == 2
    assert written.manifest["counts"]["cases"] == 6 and written.manifest["counts"]["attachments"] == 1
    assert b"Afiavi" not in (tmp_path / "b.abribak").read_bytes()      # encrypted: no name in clear

    target = database()
    manifest = backups.restore_backup(target, tmp_path / "b.abribak", SECRET)
    assert manifest == written.manifest
    for name in source.list_collection_names():
        if name in CHANGED_ON_RESTORE or name in backup_store.LEFT_OUT:
            continue
        assert raw_documents(target, name) == raw_documents(source, name), name
        assert _indexes(target, name) == _indexes(source, name), name
    assert target.tokens.count_documents({}) == 0           # no credential travels in a backup
    for counter in source.record_sequences.find({"value": {"$exists": True}}):
        assert target.record_sequences.find_one({"_id": counter["_id"]})["value"] == \
            counter["value"] + backups.SEQUENCE_GAP

    with app_for(secantus_uri, target.name) as app:
        worker = authenticated(app, login(app, "awa.worker"))
        cases = worker.get("/api/v1/cases?per_page=50").json["data"]
        assert sorted(case["data"]["name_first"] for case in cases) == \
            sorted(case["data"]["name_first"] for case in source.case.find({"owned_by": "awa.worker"}))
        with_file = next(case for case in cases if case["id"] == source["attachments.files"].find_one()["metadata"]
                         ["record_id"])
        listed = worker.get(f"/api/v1/cases/{with_file['id']}/attachments").json["data"]
        assert worker.get(f"/api/v1/cases/{with_file['id']}/attachments/{listed[0]['id']}").data == PDF
        history = worker.get(f"/api/v1/cases/{with_file['id']}/history").json["data"]
        assert len(history) == source.record_history.count_documents({"record_id": with_file["id"]})


def _indexes(db, name):
    return sorted((index["name"], tuple(index["key"].items()), index.get("unique", False))
                  for index in db[name].list_indexes())


def test_a_backup_taken_during_a_burst_of_writes_restores_a_consistent_moment(database, secantus_uri, tmp_path):
    source = _migrated(database)
    with app_for(secantus_uri, source.name) as app:
        worker = authenticated(app, login(app, "awa.worker"))
        template = worker.get("/api/v1/cases?per_page=1").json["data"][0]
        stop, written = threading.Event(), []

        def burst(n):
            client = authenticated(app, login(app, "awa.worker"))
            while not stop.is_set():
                made = client.post("/api/v1/cases", json={"module_id": template["module_id"],
                                                          "data": {**_required(template), "name_first": f"Burst{n}"}})
                assert made.status_code == 201, made.json
                record = made.json["data"]
                for _ in range(2):
                    changed = client.patch(f"/api/v1/cases/{record['id']}", json={"data": {"name_nickname": "x"
                                                                                              + str(time.time())}},
                                           headers={"If-Match": f'"{record["revision"]}"'})
                    assert changed.status_code == 200, changed.json
                    record = changed.json["data"]
                written.append(record["id"])

        writers = [threading.Thread(target=burst, args=(n,)) for n in range(3)]
        for writer in writers:
            writer.start()
        deadline = time.monotonic() + 60
        while len(written) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        before = len(written)
        assert backups.write_backup(source, tmp_path / "burst.abribak", SECRET).manifest["snapshot"] == "transaction"
        while len(written) < before + 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        for writer in writers:
            writer.join()
    assert before > 0 and len(written) > before

    target = database()
    backups.restore_backup(target, tmp_path / "burst.abribak", SECRET)
    restored = {record["_id"]: record for record in target.case.find()}
    assert set(written[:before]) <= set(restored)             # what was acknowledged before the backup is in it
    assert len(restored) < source.case.count_documents({})    # and what came after is not
    for record_id, record in restored.items():
        entries = {entry["revision"] for entry in target.record_history.find({"record_id": record_id})}
        pending = record.get("_pending_history")
        if pending:
            entries.add(pending["revision"])
        assert entries == set(range(1, record["revision"] + 1)), record_id  # each record with exactly its history
        original = source.case.find_one({"_id": record_id})
        if original["revision"] == record["revision"]:   # the same write; the matching upkeep may have run since
            assert _written(original) == _written(record)
    assert target.record_sequences.find_one({"_id": "case"})["records"] == len(restored)


def _written(record):
    return {key: value for key, value in record.items() if not key.startswith("_match")}


def _required(case):
    keep = ("registration_date", "risk_level", "risk_level_reason", "consent_for_services", "consent_for_data_sharing",
            "sex", "name_last")
    return {name: case["data"][name] for name in keep if name in case["data"]}


@pytest.fixture
def small_backup(database, tmp_path):
    source = _migrated(database, "5922c79")
    return backups.write_backup(source, tmp_path / "small.abribak", SECRET).path


def _refused(database, path, password=SECRET):
    target = database()
    with pytest.raises((Unprocessable, Conflict)) as refused:
        backups.restore_backup(target, path, password)
    assert target.list_collection_names() == []   # nothing written
    return refused.value


def test_a_foreign_file_is_refused_by_name(database, tmp_path):
    other = tmp_path / "photo.jpg"
    other.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(5000))
    error = _refused(database, other)
    assert error.error.code == "BACKUP_FOREIGN"
    assert error.rendered("fr") == "photo.jpg n'est pas une sauvegarde d'Abri."


def test_a_wrong_password_is_told_apart_from_damage(database, small_backup):
    assert _refused(database, small_backup, "not the password at all").error.code == "BACKUP_KEY_WRONG"


@pytest.mark.parametrize("where", ["middle", "last byte", "cut", "appended"])
def test_a_damaged_file_is_refused_before_anything_is_written(database, small_backup, where):
    content = bytearray(small_backup.read_bytes())
    if where == "middle":
        content[len(content) // 2] ^= 0x40
    elif where == "last byte":
        content[-1] ^= 0x01
    elif where == "cut":
        del content[len(content) * 2 // 3:]
    else:
        content += b"\x00\x00\x00\x10" + os.urandom(16)
    small_backup.write_bytes(bytes(content))
    error = _refused(database, small_backup)
    assert error.error.code == "BACKUP_DAMAGED"
    assert "nothing was restored" in error.rendered("en")


def test_a_restore_needs_an_empty_database(database, small_backup, secantus_uri):
    target = _migrated(database, "5922c79")
    with pytest.raises(Conflict) as refused:
        backups.restore_backup(target, small_backup, SECRET)
    assert refused.value.error.code == "RESTORE_NOT_EMPTY"


def test_a_backup_of_a_later_release_is_refused(database, tmp_path):
    source = _migrated(database, "5922c79")
    source.settings.update_one({"_id": "schema"}, {"$set": {"version": SCHEMA_VERSION + 3}})
    path = backups.write_backup(source, tmp_path / "later.abribak", SECRET).path
    assert _refused(database, path).error.code == "BACKUP_TOO_NEW"


def test_a_backup_of_an_earlier_release_is_migrated_when_restored(database, secantus_uri, tmp_path):
    source = database()
    load_release(source, "5922c79")        # never started by this release: schema version 0
    path = backups.write_backup(source, tmp_path / "old.abribak", SECRET).path
    target = database()
    assert backups.restore_backup(target, path, SECRET)["schema_version"] == 0
    with app_for(secantus_uri, target.name) as app:
        assert (app.extensions["abri_migration"].before, app.extensions["abri_migration"].after) == (0, SCHEMA_VERSION)
        assert login(app, "awa.worker")


def test_a_restore_cut_short_blocks_the_server_and_is_started_over(database, small_backup, secantus_uri, monkeypatch):
    target = database()
    calls = []
    real = backup_store.write_documents

    def dies(db, name, documents):
        calls.append(name)
        if len(calls) == 4:
            raise KeyboardInterrupt   # the restoring process is killed
        real(db, name, documents)

    monkeypatch.setattr(backup_store, "write_documents", dies)
    with pytest.raises(KeyboardInterrupt):
        backups.restore_backup(target, small_backup, SECRET)
    monkeypatch.undo()
    with pytest.raises(Conflict) as refused:
        with app_for(secantus_uri, target.name):
            pass
    assert refused.value.error.code == "RESTORE_UNFINISHED"
    backups.restore_backup(target, small_backup, SECRET)
    with app_for(secantus_uri, target.name) as app:
        assert login(app, "awa.worker")
    assert target.case.count_documents({}) == 6


def test_devices_start_their_sync_over_after_a_restore(database, secantus_uri, tmp_path):
    source = _migrated(database)
    with app_for(secantus_uri, source.name) as app:
        worker = authenticated(app, login(app, "awa.worker"))
        first = worker.get("/api/v1/sync/records").json
        token = first["meta"]["next_token"]
        assert worker.get(f"/api/v1/sync/records?token={token}").json["meta"]["reset"] is False
    path = backups.write_backup(source, tmp_path / "b.abribak", SECRET).path
    target = database()
    backups.restore_backup(target, path, SECRET)
    with app_for(secantus_uri, target.name) as app:
        worker = authenticated(app, login(app, "awa.worker"))
        again = worker.get(f"/api/v1/sync/records?token={token}").json
        assert again["meta"]["reset"] is True
        assert {item["id"] for item in again["data"]} == {item["id"] for item in first["data"]}


def test_scheduled_backups_keep_the_newest_of_each_recent_day_and_week(database, tmp_path):
    source = _migrated(database, "5922c79")
    folder = tmp_path / "backups"
    folder.mkdir()
    now = datetime.now(timezone.utc)
    for days in (0.2, 1, 1.1, 2, 3, 9, 16, 23, 30, 60, 90):
        (folder / backups.scheduled_name(source.name, now - timedelta(days=days))).write_bytes(b"old")
    (folder / "notes.txt").write_text("an operator's file")
    written, removed = backups.write_scheduled(source, folder, SECRET, daily=3, weekly=4)
    kept = sorted(path.name for path in folder.iterdir())
    moments = sorted(backups.moment_of(name, source.name) for name in kept if name.endswith(".abribak"))
    assert written.path.name in kept and "notes.txt" in kept
    assert len({moment.date() for moment in moments if now - moment < timedelta(days=3)}) == 3
    weeks = {moment.isocalendar()[:2] for moment in moments}
    assert len(weeks) == 4 and len(moments) == len(set(moments))
    assert all(now - moment < timedelta(days=35) for moment in moments)
    assert removed and not any(path.exists() for path in removed)


def test_backups_to_keep_counts_days_and_weeks_that_have_a_backup():
    monday = datetime(2026, 11, 30, 2, tzinfo=timezone.utc)
    moments = [monday - timedelta(days=n, hours=h) for n in range(0, 40, 3) for h in (0, 1)]
    keep = backups.backups_to_keep(moments, daily=2, weekly=3)
    newest = sorted(moments, reverse=True)
    assert newest[0] in keep and newest[1] not in keep          # the newest of its day only
    assert len({moment.date() for moment in keep}) <= 5 and len(keep) <= 5


def test_the_command_line_backs_up_checks_and_restores(database, secantus_uri, tmp_path):
    source = _migrated(database, "5922c79")
    target = database()
    (tmp_path / "password").write_text(SECRET + "\n")
    env = {"ABRI_MONGO_URI": secantus_uri, "ABRI_MONGO_DB_NAME": source.name}
    made = CliRunner().invoke(cli, ["backup", "--out", str(tmp_path / "x.abribak"), "--password-file",
                                    str(tmp_path / "password")], env=env)
    assert made.exit_code == 0, made.output
    assert "from a transaction: schema version" in made.output and "6 cases" in made.output
    checked = CliRunner().invoke(cli, ["restore", "--check", str(tmp_path / "x.abribak")],
                                 env={**env, "ABRI_BACKUP_PASSWORD": SECRET})
    assert checked.exit_code == 0 and "x.abribak is whole" in checked.output
    wrong = CliRunner().invoke(cli, ["restore", str(tmp_path / "x.abribak")],
                               env={**env, "ABRI_MONGO_DB_NAME": target.name, "ABRI_BACKUP_PASSWORD": "x" * 20})
    assert wrong.exit_code == 1 and "BACKUP_KEY_WRONG" in wrong.output
    missing = CliRunner().invoke(cli, ["backup", "--out", str(tmp_path / "y.abribak")], env=env, input="")
    assert missing.exit_code == 1 and "BACKUP_PASSWORD_MISSING" in missing.output
    restored = CliRunner().invoke(cli, ["restore", str(tmp_path / "x.abribak")],
                                  env={**env, "ABRI_MONGO_DB_NAME": target.name, "ABRI_BACKUP_PASSWORD": SECRET})
    assert restored.exit_code == 0, restored.output
    assert "Everyone signs in again" in restored.output
    assert target.case.count_documents({}) == 6
    assert not list(Path(tmp_path).glob("*.partial"))
