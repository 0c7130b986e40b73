"""Exports on mongomock and on SecantusDB over the wire: what a file may hold, and how jobs are run.

An export holds only the records in its user's scope and the fields their role may read; two workers
never run the same job; a worker whose lease expired is replaced and can no longer change the job;
a job that keeps dying ends failed; an expired export is gone, even before the cleanup deletes it.
"""
from __future__ import annotations

import io
import json
import threading
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from server.auth import principal_for_user
from server.export import jobs
from server.export.jobs import export_settings
from server.metadata.versions import published_configuration
from server.services.context import Context
from server.services.exports import remove_expired_exports, run_next_export
from server.services.workers import run_once
from server.storage import exports as store, get_db
from tests.builders import field, form, make_user, minimal_configuration, publish, role, seed
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri

SECRET = "SECRET-DIAGNOSIS"
CASE = ["read", "create", "write", "export_xlsx", "export_json"]


@pytest.fixture(scope="module", params=BACKENDS)
def office(request):
    """Agency ngo-a: a worker and a colleague (each sees their own cases), a partner who reads the identity
    form of the agency's cases; an outsider of ngo-b. Each worker made one case with a health secret.
    Built once per backend: each test reads its own export only."""
    with app_on(backend_uri(request)) as app:
        admin = authenticated(app, seed(app, minimal_configuration()))
        for route, body in [
            ("forms", form("health", field("diagnosis", "textarea"), order=20)),
            ("roles", role("role-worker", {"case": CASE}, "self", {"basic_identity": "rw", "health": "rw"})),
            ("roles", role("role-partner", {"case": ["read", "export_xlsx", "export_json"]}, "agency",
                           {"basic_identity": "r"})),
        ]:
            assert admin.post(f"/api/v1/{route}", json={"data": body}).status_code == 201, body
        publish(admin)
        people = {name: authenticated(app, make_user(app, name, role_id, agency))
                  for name, role_id, agency in [("worker", "role-worker", "ngo-a"),
                                                ("colleague", "role-worker", "ngo-a"),
                                                ("partner", "role-partner", "ngo-a"),
                                                ("outsider", "role-worker", "ngo-b")]}
        for name, child in (("worker", "Awa"), ("colleague", "Koffi"), ("outsider", "Nadia")):
            made = people[name].post("/api/v1/cases", json={"data": {"name": child,
                                                                      "diagnosis": f"{SECRET} of {child}"}})
            assert made.status_code == 201, made.get_json()
        yield app, people


def exported(app, client, **data) -> bytes:
    """Ask for an export, run it as a worker would, and return the downloaded file."""
    asked = client.post("/api/v1/exports", json={"data": {"record_type": "case", **data}})
    assert asked.status_code == 202, asked.get_json()
    assert run_once(app, "test-worker")
    download = client.get(f"/api/v1/exports/{asked.get_json()['data']['id']}/file")
    assert download.status_code == 200, download.get_json()
    return download.get_data()


def cells(workbook: bytes) -> dict[str, list[list]]:
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    return {sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()] for sheet in book.worksheets}


def queue(client, count: int) -> list[str]:
    """Queue `count` json exports; return their ids."""
    ids = []
    for _ in range(count):
        asked = client.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "json"}})
        assert asked.status_code == 202, asked.get_json()
        ids.append(asked.get_json()["data"]["id"])
    return ids


# What a file holds -----------------------------------------------------------------------------------

def test_an_export_holds_the_agencys_records_and_only_the_forms_the_role_reads(office):
    app, people = office
    sheets = cells(exported(app, people["partner"]))
    assert "Health" not in sheets and SECRET not in str(sheets)
    identity = sheets["Basic identity"]
    name = identity[0].index("Name")
    assert sorted(row[name] for row in identity[1:]) == ["Awa", "Koffi"]  # not Nadia, of another agency


def test_an_export_holds_only_the_records_a_case_worker_owns(office):
    app, people = office
    records = json.loads(exported(app, people["worker"], format="json"))["data"]
    assert [(r["data"]["name"], r["data"]["diagnosis"]) for r in records] == [("Awa", f"{SECRET} of Awa")]


def test_a_filter_never_widens_the_scope(office):
    app, people = office
    records = json.loads(exported(app, people["worker"], format="json", filters={"owned_by": "colleague"}))["data"]
    assert records == []


# How jobs run ------------------------------------------------------------------------------------------

@pytest.fixture
def wire_app(secantus_uri):
    """An app on the wire server only: workers in threads need the server's atomic claims, not mongomock's."""
    with app_on(secantus_uri) as application:
        application.config["ADMIN_TOKEN"] = seed(application, minimal_configuration())
        yield application


def test_two_workers_never_run_the_same_export(wire_app):
    admin = authenticated(wire_app, wire_app.config["ADMIN_TOKEN"])
    admin.post("/api/v1/cases", json={"data": {"name": "Awa"}})
    ids = queue(admin, 6)
    barrier, runs = threading.Barrier(4), []

    def work(name: str) -> None:
        barrier.wait()
        while run_once(wire_app, name):
            runs.append(name)

    workers = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(runs) == 6
    with wire_app.app_context():
        done = [store.find_job(get_db(), job_id) for job_id in ids]
    assert [(job["status"], job["attempts"]) for job in done] == [("complete", 1)] * 6  # each claimed once


def test_a_worker_whose_lease_expired_is_replaced_and_can_no_longer_change_the_job(backend_app, backend_client):
    backend_client.post("/api/v1/cases", json={"data": {"name": "Awa"}})
    [job_id] = queue(backend_client, 1)
    settings = export_settings(backend_app.config)
    started = datetime.now(timezone.utc) - timedelta(minutes=10)
    with backend_app.app_context():
        db = get_db()
        stalled = store.claim_job(db, "worker-a", started, settings.lease, settings.max_attempts)
        assert stalled["_id"] == job_id
        within_lease = started + settings.lease - timedelta(seconds=1)
        assert store.claim_job(db, "worker-b", within_lease, settings.lease, settings.max_attempts) is None
        finished = run_next_export(Context(db, backend_app.config, operator=True), "worker-b")
        assert (finished["_id"], finished["status"], finished["worker"], finished["attempts"]) == \
               (job_id, "complete", "worker-b", 2)
        # worker-a wakes up and finishes its run: none of its writes lands
        jobs.run_job(db, stalled, published_configuration(db), principal_for_user(db, "admin"), settings, "worker-a")
        after = store.find_job(db, job_id)
    assert (after["status"], after["worker"], after["errors"], after["size"]) == \
           ("complete", "worker-b", [], finished["size"])
    download = backend_client.get(f"/api/v1/exports/{job_id}/file")
    assert [r["data"]["name"] for r in json.loads(download.get_data())["data"]] == ["Awa"]


def test_a_job_that_keeps_dying_ends_failed_not_stuck(backend_app, backend_client):
    [job_id] = queue(backend_client, 1)
    settings = export_settings(backend_app.config)
    long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    with backend_app.app_context():
        for attempt in range(settings.max_attempts):  # each worker took it and died
            when = long_ago + attempt * (settings.lease + timedelta(seconds=1))
            assert store.claim_job(get_db(), f"dead-{attempt}", when, settings.lease, settings.max_attempts)
    assert not run_once(backend_app, "survivor")
    failed = backend_client.get(f"/api/v1/exports/{job_id}").get_json()["data"]
    assert (failed["status"], failed["errors"]) == ("failed", ["The export stopped repeatedly."])


def test_an_expired_export_is_gone_before_the_cleanup_deletes_it(backend_app, backend_client):
    backend_client.post("/api/v1/cases", json={"data": {"name": "Awa"}})
    exported(backend_app, backend_client, format="json")
    [job] = backend_client.get("/api/v1/exports").get_json()["data"]
    with backend_app.app_context():
        get_db().export_jobs.update_one({"_id": job["id"]}, {"$set": {
            "expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
        assert get_db().export_chunks.count_documents({"job_id": job["id"]}) == 1  # still stored
    for url in (f"/api/v1/exports/{job['id']}", f"/api/v1/exports/{job['id']}/file"):
        assert backend_client.get(url).status_code == 404, url
    listed = backend_client.get("/api/v1/exports").get_json()
    assert (listed["data"], listed["meta"]["total"]) == ([], 0)
    with backend_app.app_context():
        assert remove_expired_exports(Context(get_db(), backend_app.config, operator=True)) == 1
        assert get_db().export_chunks.count_documents({"job_id": job["id"]}) == 0
        assert get_db().export_jobs.count_documents({}) == 0


def test_a_database_made_before_files_were_kept_per_claim_drops_the_one_file_per_job_index(backend_app):
    """Its unique (job_id, n) index would refuse a second claim's chunks: the index start replaces it."""
    with backend_app.app_context():
        chunks = get_db().export_chunks
        chunks.drop_indexes()
        chunks.create_index([("job_id", 1), ("n", 1)], unique=True)
        store.ensure_export_indexes(get_db())
        store.ensure_export_indexes(get_db())  # once gone, nothing to drop
        indexes = chunks.index_information()
    assert store.LEGACY_CHUNK_INDEX not in indexes
    assert [[(name, int(order)) for name, order in index["key"]] for index in indexes.values()
            if index.get("unique")] == [[("job_id", 1), ("attempt", 1), ("n", 1)]]
