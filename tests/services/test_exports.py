"""The export use cases, called as the CLI and the workers call them (no HTTP client, a Context), and how the
workers run jobs: a worker whose lease expired cannot touch the file of the job's new holder, a job that expired
while it waited is never run, and a clean stop ends every thread and leaves no job running.

The world: the basic_identity form and a health form; a partner of agency-a who reads basic identity and may
export xlsx and json; a reader who may read cases but not export them; a case of agency-a with a health secret.
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from server.auth import principal_for_user
from server.cli import cli
from server.errors import Forbidden, NotFound
from server.export import jobs
from server.export.jobs import export_settings
from server.metadata.versions import published_configuration
from server.services import exports as use_cases
from server.services.context import CLI_ADDRESS, Context
from server.services.workers import run_once, start_workers
from server.storage import exports as store, get_db
from tests.builders import field, form, make_user, minimal_configuration, publish, role, seed
from tests.conftest import app_on, authenticated, make_app
from tests.services.contexts import as_user, audited

SECRET = "SECRET-HEALTH"


@pytest.fixture
def world(app, client):
    """The health form, the partner and the reader, a case of agency-a; an app context to call use cases in."""
    for route, body in [("forms", form("health", field("health_notes", "textarea"), order=20)),
                        ("roles", role("role-partner", {"case": ["read", "export_xlsx", "export_json"]}, "agency",
                                       {"basic_identity": "r"})),
                        ("roles", role("role-reader", {"case": ["read"]}, "all"))]:
        assert client.post(f"/api/v1/{route}", json={"data": body}).status_code == 201
    publish(client)
    make_user(app, "partner", "role-partner", "agency-a")
    make_user(app, "reader", "role-reader", "agency-a")
    colleague = authenticated(app, make_user(app, "colleague", "role-system-administrator", "agency-a"))
    assert colleague.post("/api/v1/cases", json={"data": {"name": "Awa", "health_notes": SECRET}}).status_code == 201
    with app.app_context():
        yield app



def asked(record_type: str = "case", fmt: str = "json", **params) -> dict:
    return {"record_type": record_type, "format": fmt, "filters": {}, **params}


# The use cases ---------------------------------------------------------------------------------------------

def test_asking_for_an_export_checks_the_permission_before_anything_else(world):
    reader = as_user(world, "reader")
    with pytest.raises(Forbidden):  # not a 400 about the filter, nor a 422 about the form: nothing was looked at
        use_cases.create_export(reader, asked(filters={"no_such_field": "x"}, form_ids=["no_such_form"]))
    assert reader.db.export_jobs.count_documents({}) == 0


def test_an_export_is_audited_and_seen_only_by_its_user(world):
    partner = as_user(world, "partner")
    job = use_cases.create_export(partner, asked())
    assert (job["status"], job["record_type"], job["format"]) == ("queued", "case", "json")
    assert audited(partner) == [("partner", "export", "case", job["id"], None, "json", "192.0.2.7")]
    assert use_cases.read_export(partner, job["id"])["id"] == job["id"]
    assert use_cases.list_exports(partner, 1, 50)[1] == 1
    with pytest.raises(NotFound):
        use_cases.read_export(as_user(world, "colleague"), job["id"])
    assert use_cases.list_exports(as_user(world, "colleague"), 1, 50) == ([], 0)


def test_a_download_holds_only_what_the_role_reads_and_is_audited(world):
    partner = as_user(world, "partner")
    job = use_cases.create_export(partner, asked())
    assert run_once(world, "test-worker")
    shown, chunks = use_cases.download_export(as_user(world, "partner"), job["id"])
    records = json.loads(b"".join(chunks))["data"]
    assert [record["data"] for record in records] == [{"name": "Awa"}]
    assert shown["status"] == "complete"
    assert audited(partner) == [("partner", "export_download", "case", job["id"], 200, None, "192.0.2.7")]
    with pytest.raises(NotFound):
        use_cases.download_export(as_user(world, "colleague"), job["id"])
    assert audited(partner)[0][1:6] == ("export_download", "export", job["id"], 404, "NOT_FOUND")


def test_an_export_run_at_once_writes_only_what_the_role_reads_and_keeps_nothing(world):
    partner = as_user(world, "partner", CLI_ADDRESS)
    saved = []
    finished = use_cases.export_now(partner, asked(), lambda chunks: saved.append(b"".join(chunks)))
    assert (finished["status"], finished["total"]) == ("complete", 1)
    records = json.loads(saved[0])["data"]
    assert SECRET not in saved[0].decode() and [record["data"] for record in records] == [{"name": "Awa"}]
    assert partner.db.export_jobs.count_documents({}) == 0 and partner.db.export_chunks.count_documents({}) == 0
    assert audited(partner) == [("partner", "export", "case", finished["id"], None, "json", "cli")]


def test_a_failed_export_run_at_once_saves_nothing(world, monkeypatch):
    monkeypatch.setattr(jobs, "write_json", lambda *args: 1 / 0)
    partner = as_user(world, "partner", CLI_ADDRESS)
    saved = []
    finished = use_cases.export_now(partner, asked(), saved.append)
    assert finished["status"] == "failed" and finished["errors"] and saved == []
    assert partner.db.export_jobs.count_documents({}) == 0
    assert [entry[1] for entry in audited(partner, 5)].count("export") == 0


def test_a_failed_export_says_why_in_its_own_language(world):
    partner = as_user(world, "partner")
    job = use_cases.create_export(partner, asked(locale="fr", password="s3cret-pass"))
    world.config["EXPORT_PASSWORD_KEY"] = "B" * 43 + "="  # the server's export key changed meanwhile
    assert run_once(world, "test-worker")
    failed = use_cases.read_export(partner, job["id"])
    assert failed["status"] == "failed"
    assert failed["errors"] == ["Le mot de passe de cet export ne peut plus être lu (la clé d'export du serveur a "
                                "changé). Relancez l'export."]


# How workers run jobs --------------------------------------------------------------------------------------

def test_a_worker_whose_lease_expired_mid_run_cannot_overwrite_or_extend_the_new_holders_file(
        backend_app, backend_client, monkeypatch):
    monkeypatch.setattr(store, "CHUNK_SIZE", 64)  # files of several chunks: an overwrite or an append would show
    admin = backend_client
    assert admin.post("/api/v1/cases", json={"data": {"name": "Awa"}}).status_code == 201
    job_id = admin.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "json"}}
                        ).get_json()["data"]["id"]
    settings = export_settings(backend_app.config)
    with backend_app.app_context():
        db = get_db()
        stalled = store.claim_job(db, "worker-a", datetime.now(timezone.utc), settings.lease, settings.max_attempts)
        taken_over = []

        def lease_expires(done: int, total: int) -> None:
            """worker-a's last heartbeat: it then stalls past its lease, and worker-b runs the job to the end."""
            if not taken_over:
                admin.post("/api/v1/cases", json={"data": {"name": "Koffi"}})  # worker-b's file holds two records
                later = datetime.now(timezone.utc) + settings.lease + timedelta(seconds=1)
                worker_b = Context(db, backend_app.config, now=later, operator=True)
                taken_over.append(use_cases.run_next_export(worker_b, "worker-b"))

        # worker-a wakes up, writes its (one-record) file and tries to complete the job
        jobs.run_job(db, stalled, published_configuration(db), principal_for_user(db, "admin"), settings,
                     "worker-a", lease_expires)
        [finished] = taken_over
        after = store.find_job(db, job_id)
        chunks = db.export_chunks.count_documents({"job_id": job_id})
    assert (finished["status"], finished["worker"], finished["attempts"]) == ("complete", "worker-b", 2)
    assert (after["status"], after["worker"], after["size"], after["errors"]) == \
           ("complete", "worker-b", finished["size"], [])
    assert chunks == -(-finished["size"] // 64)  # worker-b's chunks only, none left by worker-a
    download = admin.get(f"/api/v1/exports/{job_id}/file")
    body = download.get_data()
    assert len(body) == finished["size"]
    assert sorted(record["data"]["name"] for record in json.loads(body)["data"]) == ["Awa", "Koffi"]


def test_an_export_that_expired_while_it_waited_is_marked_expired_and_never_run(backend_app, backend_client):
    backend_client.post("/api/v1/cases", json={"data": {"name": "Awa"}})
    job_id = backend_client.post("/api/v1/exports", json={"data": {"record_type": "case", "password": "s3cret-pass"}}
                                 ).get_json()["data"]["id"]
    with backend_app.app_context():
        get_db().export_jobs.update_one({"_id": job_id}, {"$set": {
            "expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    assert not run_once(backend_app, "test-worker")
    with backend_app.app_context():
        stored = get_db().export_jobs.find_one({"_id": job_id})
        assert get_db().export_chunks.count_documents({"job_id": job_id}) == 0
    assert (stored["status"], stored["attempts"], "worker" in stored, "password_sealed" in stored) == \
           ("expired", 0, False, False)


@pytest.fixture
def slow_export(monkeypatch):
    """json exports that run until their worker stops them; `running` is set once one runs."""
    running = threading.Event()

    def write_until_stopped(path, records, present, progress, meta):
        for _ in records:
            pass
        running.set()
        for _ in range(3000):  # at most 30 s: a worker that never stops fails the test, not the session
            progress(1)
            time.sleep(0.01)
    monkeypatch.setattr(jobs, "write_json", write_until_stopped)
    return running


def queued_job(client) -> str:
    assert client.post("/api/v1/cases", json={"data": {"name": "Awa"}}).status_code == 201
    return client.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "json"}}
                       ).get_json()["data"]["id"]


def export_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name.startswith("abri-export-")]


def test_a_clean_stop_returns_once_every_thread_ended_and_gives_the_running_job_back(secantus_uri, slow_export):
    with app_on(secantus_uri, EXPORT_POLL_SECONDS=1) as app:
        client = authenticated(app, seed(app, minimal_configuration()))
        job_id = queued_job(client)
        workers = start_workers(app, 2)
        assert slow_export.wait(20)
        workers.stop()
        assert [thread for thread in workers.threads if thread.is_alive()] == []
        with app.app_context():
            job = store.find_job(get_db(), job_id)
        assert (job["status"], job["attempts"], job.get("worker")) == ("queued", 0, None)  # not left running
        assert export_threads() == []


def test_abri_worker_stops_its_threads_before_it_closes_the_database_client(secantus_uri, slow_export, monkeypatch):
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", f"abri_cli_{uuid.uuid4().hex[:8]}")
    app = make_app(secantus_uri, MONGO_DB_NAME=os.environ["ABRI_MONGO_DB_NAME"])
    try:
        job_id = queued_job(authenticated(app, seed(app, minimal_configuration())))
    finally:
        app.close()
    previous = signal.getsignal(signal.SIGTERM)

    def terminate_once_running() -> None:
        """SIGTERM as a service manager sends it, once a job runs and the command handles the signal."""
        deadline = time.monotonic() + 20
        handled = lambda: signal.getsignal(signal.SIGTERM) is not previous  # noqa: E731
        while time.monotonic() < deadline and not (slow_export.is_set() and handled()):
            time.sleep(0.05)
        if handled():
            os.kill(os.getpid(), signal.SIGTERM)
    terminate = threading.Thread(target=terminate_once_running)
    terminate.start()
    try:
        result = CliRunner().invoke(cli, ["worker", "--threads", "2"])
    finally:
        terminate.join()
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, result.output
    assert "Export worker stopped." in result.output
    assert export_threads() == []  # ended before the command returned (and closed the app's client)
    with app_on(secantus_uri, MONGO_DB_NAME=os.environ["ABRI_MONGO_DB_NAME"]) as later:
        with later.app_context():
            job = store.find_job(get_db(), job_id)
    assert (job["status"], job["attempts"]) == ("queued", 0)  # no job left running
