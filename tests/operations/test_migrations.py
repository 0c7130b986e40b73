"""Upgrades that migrate: a database written by an earlier release reaches this release's shape, nothing lost."""
from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.config import load_config
from server.errors import Conflict, ServiceUnavailable
from server.services import migrations
from server.services.migrations import SCHEMA_VERSION, STEPS
from tests.operations.conftest import PASSWORD, PDF, RELEASES, app_for, fixture_documents, load_release, login
from tests.conftest import authenticated

RECORDS = ("case", "incident", "tracing_request")


def _kept(before: dict, after: dict) -> bool:
    """Every field the earlier release stored is still there with the same value (a migration may only add)."""
    return all(key in after and after[key] == value for key, value in before.items())


@pytest.mark.parametrize("release", RELEASES)
def test_a_database_of_an_earlier_release_migrates_with_nothing_lost(release, database, secantus_uri):
    db = database()
    load_release(db, release)
    earlier = fixture_documents(release)
    with app_for(secantus_uri, db.name) as app:
        migration = app.extensions["abri_migration"]
        assert (migration.before, migration.after) == (0, SCHEMA_VERSION)
        assert [step["name"] for step in migration.done] == [step.name for step in STEPS]
        # every record, history entry, user and configuration version, field for field
        for collection, document in earlier:
            if collection in (*RECORDS, "record_history", "users", "metadata_versions", "metadata_blobs",
                              "audit_log", "attachments.files", "attachments.chunks"):
                stored = db[collection].find_one({"_id": document["_id"]})
                assert stored is not None and _kept(document, stored), (collection, document["_id"])
        for collection in (*RECORDS, "record_history", "users", "metadata_versions", "attachments.chunks"):
            assert db[collection].count_documents({}) == sum(1 for name, _ in earlier if name == collection)
        # records carry what this release reads them by
        for collection in RECORDS:
            assert db[collection].count_documents({"_access": {"$exists": False}}) == 0
            numbers = [record["_seq"] for record in db[collection].find()]
            assert len(numbers) == len(set(numbers))
        assert db.agencies.count_documents({"agency_type": {"$exists": False}}) == 0

        # and people work with them as before
        worker = authenticated(app, login(app, "awa.worker"))
        cases = worker.get("/api/v1/cases?per_page=50").json
        owned = [document for name, document in earlier if name == "case" and document["owned_by"] == "awa.worker"]
        assert cases["meta"]["total"] == len(owned)
        first = next(document for document in owned if document["revision"] > 1)
        shown = worker.get(f"/api/v1/cases/{first['_id']}").json["data"]
        assert shown["data"]["name_first"] == first["data"]["name_first"]
        history = worker.get(f"/api/v1/cases/{first['_id']}/history").json["data"]
        assert len(history) == sum(1 for name, entry in earlier
                                   if name == "record_history" and entry["record_id"] == first["_id"])
        pulled = worker.get("/api/v1/sync/records?per_page=100").json["data"]
        assert {item["id"] for item in pulled} >= {document["_id"] for document in owned if not document.get("disabled")
                                                   and document.get("record_state", True)}
        changed = worker.patch(f"/api/v1/cases/{first['_id']}", json={"data": {"name_nickname": "Zed"}},
                               headers={"If-Match": f'"{shown["revision"]}"'})
        assert changed.status_code == 200, changed.json
        for user in ("admin", "koffi.super", "data.manager"):
            assert login(app, user)
        admin = authenticated(app, login(app, "admin"))
        versions = admin.get("/api/v1/metadata/versions").json["data"]
        assert sorted(version["version"] for version in versions) == \
            sorted(document["_id"] for name, document in earlier if name == "metadata_versions")
        if any(name == "attachments.files" for name, _ in earlier):
            with_file = next(document for name, document in earlier if name == "attachments.files")
            record_id = with_file["metadata"]["record_id"]
            listed = worker.get(f"/api/v1/cases/{record_id}/attachments").json["data"]
            download = worker.get(f"/api/v1/cases/{record_id}/attachments/{listed[0]['id']}")
            assert download.data == PDF


def _everything(db) -> dict:
    return {name: sorted(db[name].find(), key=lambda document: str(document["_id"]))
            for name in db.list_collection_names()}


def test_migrating_again_changes_nothing(database, secantus_uri):
    db = database()
    load_release(db, "5922c79")
    first = migrations.migrate(db, _settings())
    assert first.after == SCHEMA_VERSION and len(first.done) == len(STEPS)
    before = _everything(db)
    again = migrations.migrate(db, _settings())
    assert (again.before, again.after, again.done) == (SCHEMA_VERSION, SCHEMA_VERSION, [])
    assert _everything(db) == before


def _settings() -> dict:
    return load_config()


def test_a_migration_cut_short_is_finished_by_the_next_process(database, secantus_uri, monkeypatch):
    db = database()
    load_release(db, "5922c79")

    def killed(ctx, alive):
        raise KeyboardInterrupt  # the process dies in step 2, after step 1 was recorded

    monkeypatch.setattr(migrations, "STEPS", (STEPS[0], migrations.Step("agency_types", "", killed), *STEPS[2:]))
    monkeypatch.setattr(migrations.store, "release_lease", lambda db, owner: None)  # killed: nothing cleaned up
    with pytest.raises(KeyboardInterrupt):
        migrations.migrate(db, _settings())
    found = db.settings.find_one({"_id": "schema"})
    assert found["version"] == 1 and found["migrating"]
    monkeypatch.undo()

    # another process waits for the lease, then takes it over once it has run out
    with pytest.raises(ServiceUnavailable) as waited:
        migrations.migrate(db, _settings(), wait_seconds=0)
    assert waited.value.error.code == "MIGRATION_BUSY"
    db.settings.update_one({"_id": "schema"}, {"$set": {"migrating.until": found["migrating"]["until"].replace(year=2000)}})
    done = migrations.migrate(db, _settings())
    assert (done.before, done.after) == (1, SCHEMA_VERSION)
    assert [step["version"] for step in db.settings.find_one({"_id": "schema"})["steps"]] == \
        list(range(1, SCHEMA_VERSION + 1))
    assert db.case.count_documents({"_access": {"$exists": False}}) == 0


def test_processes_starting_at_once_run_each_step_once(database, secantus_uri):
    db = database()
    load_release(db, "5922c79")
    results, errors = [], []

    def start():
        try:
            results.append(migrations.migrate(db, _settings()))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and all(result.after == SCHEMA_VERSION for result in results)
    steps = db.settings.find_one({"_id": "schema"})["steps"]
    assert [step["name"] for step in steps] == [step.name for step in STEPS]
    numbers = [record["_seq"] for record in db.case.find()]
    assert len(numbers) == len(set(numbers))


def test_a_new_database_starts_at_this_release_schema_version(database, secantus_uri):
    db = database()
    with app_for(secantus_uri, db.name) as app:
        assert app.extensions["abri_migration"].before is None
    assert db.settings.find_one({"_id": "schema"})["version"] == SCHEMA_VERSION


def test_a_database_newer_than_the_code_is_refused_by_every_process(database, secantus_uri):
    db = database()
    load_release(db, "5922c79")
    db.settings.insert_one({"_id": "schema", "version": SCHEMA_VERSION + 1, "steps": []})
    with pytest.raises(Conflict) as refused:
        with app_for(secantus_uri, db.name):
            pass
    assert refused.value.error.code == "DATABASE_TOO_NEW"
    result = CliRunner().invoke(cli, ["migrate"], env={"ABRI_MONGO_URI": secantus_uri, "ABRI_MONGO_DB_NAME": db.name})
    assert result.exit_code == 1
    assert f"DATABASE_TOO_NEW: The database has schema version {SCHEMA_VERSION + 1}" in result.output
    assert db.case.count_documents({"_access": {"$exists": True}}) == 0  # nothing was touched


def test_without_migrate_on_start_an_older_database_waits_for_abri_migrate(database, secantus_uri):
    db = database()
    load_release(db, "5922c79")
    with pytest.raises(Conflict) as refused:
        with app_for(secantus_uri, db.name, MIGRATE_ON_START=False):
            pass
    assert refused.value.error.code == "DATABASE_NOT_MIGRATED"
    env = {"ABRI_MONGO_URI": secantus_uri, "ABRI_MONGO_DB_NAME": db.name, "ABRI_MIGRATE_ON_START": "false"}
    result = CliRunner().invoke(cli, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    assert f"moved from schema version 0 to {SCHEMA_VERSION}" in result.output
    assert "step 1 records_layout: records carry their access keys and sync sequence numbers" in result.output
    again = CliRunner().invoke(cli, ["migrate"], env=env)
    assert "nothing to do" in again.output
    with app_for(secantus_uri, db.name, MIGRATE_ON_START=False) as app:
        assert login(app, "awa.worker") and PASSWORD
