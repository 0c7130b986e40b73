"""The facts cache: what it keeps of a record, its snapshots, and a process that starts from one."""
from __future__ import annotations

import pytest

from server.metadata.versions import published_configuration
from server.reports import facts as facts_module
from server.reports.facts import facts_of, forget, trimmed
from server.storage import get_db
from server.storage.reports import SNAPSHOTS
from tests.builders import make_user
from tests.conftest import BACKENDS, authenticated, backend_uri
from tests.reports.test_report_access import CASE, EXACT, benin_on, girls


@pytest.fixture(params=BACKENDS)
def world(request, monkeypatch):
    monkeypatch.setattr(facts_module, "SNAPSHOT_AFTER", 3)
    monkeypatch.setattr(facts_module, "SETTLE", 0.0)   # every record written before a read is settled
    with benin_on(backend_uri(request)) as app:
        worker = authenticated(app, make_user(app, "ts1", "role-case-worker", agency="gups-exemple-1"))
        national = authenticated(app, make_user(app, "nat", "role-national-administrator"))
        yield app, worker, national


def test_the_cache_keeps_what_reports_read_and_no_name_nor_note():
    record = {"_id": "r", "status": "open", "owned_by": "ts1", "_access": ["*", "user:ts1"], "data": {
        **CASE, "services_section": [{"unique_id": "s1", "service_type": "health_medical_service",
                                      "service_referral_notes": "Mère joignable au 01 02 03 04"}]}}
    kept = trimmed(record, {"sex", "services_section.service_type", "services_section.unique_id"})
    assert kept["data"] == {"sex": "female", "services_section": [{"unique_id": "s1",
                                                                   "service_type": "health_medical_service"}]}
    assert "Zinsou" not in str(kept) and "01 02" not in str(kept)


def test_a_process_that_starts_reads_the_snapshot_and_the_records_written_since(world):
    app, worker, national = world
    for _ in range(4):
        worker.post("/api/v1/cases", json={"data": CASE})
    assert girls(national.get(EXACT).get_json()["data"]) == 4       # the first read writes a snapshot (4 > 3)
    with app.app_context():
        db = get_db()
        head = db[SNAPSHOTS].find_one({"_id": "head:case"})
        assert head and head["chunks"] == 1
        worker.post("/api/v1/cases", json={"data": CASE})
        forget(db)                                                  # as a process that starts
        calls = []
        original = facts_module.store.records_after
        monkey = lambda *args, **kwargs: calls.append(args[2]) or original(*args, **kwargs)  # noqa: E731
        facts_module.store.records_after = monkey
        try:
            facts = facts_of(db, published_configuration(db), "case")
        finally:
            facts_module.store.records_after = original
        assert len(facts.records) == 5
        assert head["position"] >= 4 and calls == [head["position"]]   # it read from the snapshot's position on
    assert girls(national.get(EXACT).get_json()["data"]) == 5


def test_a_snapshot_of_other_fields_is_not_used(world):
    app, worker, national = world
    for _ in range(4):
        worker.post("/api/v1/cases", json={"data": CASE})
    national.get(EXACT)
    with app.app_context():
        db = get_db()
        db[SNAPSHOTS].update_one({"_id": "head:case"}, {"$set": {"fields_key": "sex"}})
        forget(db)
        facts = facts_of(db, published_configuration(db), "case")
        assert len(facts.records) == 4 and facts.position > 0


def test_a_snapshot_missing_a_chunk_is_not_used(world):
    app, worker, national = world
    for _ in range(4):
        worker.post("/api/v1/cases", json={"data": CASE})
    national.get(EXACT)
    with app.app_context():
        db = get_db()
        db[SNAPSHOTS].update_one({"_id": "head:case"}, {"$set": {"chunks": 2}})
        forget(db)
        assert len(facts_of(db, published_configuration(db), "case").records) == 4


def test_the_warm_up_counts_every_published_report_without_an_audit_entry(world):
    app, worker, _ = world
    worker.post("/api/v1/cases", json={"data": CASE})
    from server.services.workers import warm_reports
    with app.app_context():
        db = get_db()
        forget(db)
        before = db["audit_log"].count_documents({})
        warm_reports(app)
        facts = facts_of(db, published_configuration(db), "case")
        assert len(facts.records) == 1
        assert len(facts.tallies) == len([body for body in published_configuration(db).reports.values()
                                          if body["record_type"] == "case"])
        assert db["audit_log"].count_documents({}) == before
