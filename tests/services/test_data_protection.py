"""The data protection use cases on the shipped configuration (tests/data_protection_world.py), called as the API,
the CLI and the admin page call them, on mongomock and on SecantusDB: the default retention rule, a dry run, a run
(pseudonymise, and a delete rule), a run that stops midway, one run at a time, permissions first, subject access and
the consent audit, each with its audit entries."""
from __future__ import annotations

import io
import json
import time
import zipfile

import pytest

from server.errors import Conflict, Forbidden, NotFound
from server.records import redaction
from server.services import consent_audit, retention, subject_access
from server.storage import data_protection as dp_store, get_db
from server.storage.reports import residues_after
from server.storage import records as records_store
from tests.api.sync_helpers import pull_all
from tests.conftest import BACKENDS, app_on, backend_uri
from tests.data_protection_world import NAMES, OVERRIDE, ok, open_office
from tests.services.contexts import as_user, operator

RULE = "closed-cases-pseudonymised"


@pytest.fixture(params=BACKENDS)
def office(request):
    with app_on(backend_uri(request)) as app:
        office = open_office(app)
        with app.app_context():
            yield office


@pytest.fixture
def mock_office():
    with app_on("mongomock://") as app:
        office = open_office(app)
        with app.app_context():
            yield office


def entries(db, *actions: str) -> list[tuple]:
    """The audit entries of these actions, oldest first: who, what, about what, which record, the detail."""
    return [(e["user_name"], e["action"], e["resource"], e["record_id"], e["detail"])
            for e in db.audit_log.find({"action": {"$in": list(actions)}}).sort("at", 1)]


def traces_of(db, record_id: str) -> str:
    """Everything stored about one record, as text: the record, its history, its files, its duplicate listings."""
    stored = [db.case.find_one({"_id": record_id}), *db.record_history.find({"record_id": record_id}),
              *db["attachments.files"].find({"metadata.record_id": record_id}),
              *db.match_names.find({f"names.{record_id}": {"$exists": True}}),
              *db.record_conflicts.find({"record_id": record_id})]
    return json.dumps(stored, default=str, ensure_ascii=False)


def names_in(text: str) -> list[str]:
    return [name for name in NAMES if name in text]


# Retention ------------------------------------------------------------------------------------------------------

def test_the_default_rule_reaches_the_cases_closed_more_than_five_years_ago(mock_office):
    dpo = as_user(mock_office.app, "dpo")
    preview = retention.preview_retention(dpo)
    [rule] = preview["rules"]
    assert (rule["id"], rule["record_type"], rule["status"], rule["after_days"], rule["from"], rule["action"]) == (
        RULE, "case", "closed", 1826, "date_closure", "pseudonymise")
    assert rule["due"] == 1  # not Kofi: closed in 2026
    assert rule["sample"] == [mock_office.cases["awa"]["case_id_display"]]
    assert "reports keep counting" in rule["note"] and "rapports" in rule["note_i18n"]["fr"]
    assert entries(dpo.db, "retention_preview") == [("dpo", "retention_preview", "data_protection", None,
                                                     f"{RULE}: 1 due, 0 done, 0 failed")]


def test_a_dry_run_says_what_would_change_and_changes_nothing(mock_office):
    db, awa = get_db(), mock_office.cases["awa"]
    before = traces_of(db, awa["id"])
    answer = retention.run_retention(as_user(mock_office.app, "dpo"), dry_run=True)
    [rule] = answer["rules"]
    assert answer["dry_run"] and (rule["due"], rule["done"], rule["files"]) == (1, 1, 1)
    assert set(rule["fields"]) == {"name_first", "name_last", "name_nickname", "date_of_birth", "telephone_current",
                                   "address_current", "national_id_no", "family_situation", "photos",
                                   "family_details_section/relation_name", "family_details_section/relation_telephone"}
    assert rule["history_entries"] == 2  # its creation and the photo's upload hold identifying values
    assert traces_of(db, awa["id"]) == before and names_in(before)
    assert entries(db, "retention_dry_run")[0][:4] == ("dpo", "retention_dry_run", "data_protection", None)
    assert entries(db, "pseudonymise", "retention_run") == []


def test_a_run_removes_what_identifies_the_child_everywhere_and_keeps_the_case_counted(office):
    db, awa = get_db(), office.cases["awa"]
    assert names_in(traces_of(db, awa["id"]))
    answer = retention.run_retention(as_user(office.app, "dpo"))
    [rule] = answer["rules"]
    assert (rule["due"], rule["done"], rule["failed"], rule["files"], answer["remaining"]) == (1, 1, 0, 1, 0)

    assert names_in(traces_of(db, awa["id"])) == []  # the record, every history entry, files, duplicate listings
    worker, supervisor = office.as_("worker"), office.as_("supervisor")
    case = ok(worker.get(office.case_url("awa")))["data"]
    assert case["pseudonymised_at"] and case["status"] == "closed" and case["revision"] == awa["revision"] + 1
    row_id = awa["data"]["family_details_section"][0]["unique_id"]
    assert case["data"]["family_details_section"] == [{"relation": "father", "relation_age": 41, "unique_id": row_id}]
    assert {"sex", "age", "protection_concerns", "risk_level", "date_closure"} <= set(case["data"])
    assert ok(worker.get(office.case_url("awa") + "/attachments"))["data"] == []
    assert db["attachments.files"].count_documents({"metadata.record_id": awa["id"]}) == 0
    assert ok(worker.get("/api/v1/cases?query=Awa"))["data"] == []  # the search no longer finds her by name
    assert ok(supervisor.get("/api/v1/cases?status=closed"))["meta"]["total"] == 2  # still counted
    history = ok(worker.get(office.case_url("awa") + "/history"))["data"]
    assert history[0]["action"] == "pseudonymise" and history[0]["user_name"] == "dpo"
    assert history[0]["changes"]["name_first"] == {"from": None, "to": None}
    assert [entry["action"] for entry in history][-1] == "create"  # every entry is kept, without the values

    audited = entries(db, "retention_run", "pseudonymise")
    assert audited[0] == ("dpo", "pseudonymise", "case", awa["id"],
                          f"rule {RULE}; 11 fields, 2 history entries, 1 files")
    assert audited[1][:4] == ("dpo", "retention_run", "data_protection", None)
    assert f"{RULE}: 1 due, 1 done, 0 failed" in audited[1][4] and audited[1][4].endswith("0 remaining")

    again = retention.run_retention(as_user(office.app, "dpo"))  # idempotent: nothing is reached any more
    assert (again["rules"][0]["due"], again["rules"][0]["done"], again["remaining"]) == (0, 0, 0)
    assert ok(worker.get(office.case_url("awa")))["data"]["revision"] == case["revision"]
    assert len(entries(db, "pseudonymise")) == 1


def test_a_run_that_stopped_midway_is_finished_by_the_next(office, monkeypatch):
    db, awa = get_db(), office.cases["awa"]
    real = redaction.scrub_history

    def crash(*args):
        raise RuntimeError("the server stopped")
    monkeypatch.setattr(redaction, "scrub_history", crash)
    stopped = retention.run_retention(as_user(office.app, "dpo"))
    assert (stopped["rules"][0]["done"], stopped["rules"][0]["failed"]) == (0, 1)
    assert retention.preview_retention(as_user(office.app, "dpo"))["pending"] == 1
    assert names_in(traces_of(db, awa["id"]))  # the record was written, its history not yet

    monkeypatch.setattr(redaction, "scrub_history", real)
    finished = retention.run_retention(as_user(office.app, "dpo"))
    assert (finished["resumed"], finished["remaining"]) == (1, 0)
    assert names_in(traces_of(db, awa["id"])) == []
    assert retention.preview_retention(as_user(office.app, "dpo"))["pending"] == 0
    assert [entry[3] for entry in entries(db, "pseudonymise")] == [awa["id"]]


def test_a_delete_rule_removes_the_record_and_its_history_and_keeps_its_residue(office, monkeypatch):
    monkeypatch.setattr(records_store, "wall_clock", lambda: time.time() - 3600)  # every write settled: pulls see it
    db, incident = get_db(), office.incident
    admin = office.as_("admin")
    _, token, _ = pull_all(office.as_("worker"))   # the worker's tablet holds the incident
    module = ok(admin.get("/api/v1/modules/primeromodule-cp"))["data"]
    rules = [*module["retention"], {"id": "old-incidents", "record_type": "incident", "after_days": 1826,
                                    "from": "incident_date", "action": "delete"}]
    ok(admin.patch("/api/v1/modules/primeromodule-cp", json={"data": {"retention": rules}}))
    ok(admin.post("/api/v1/metadata/publish", json={"data": {"comment": "Incidents: five years"}}), 201)
    assert db.record_history.count_documents({"record_id": incident["id"]}) >= 1

    answer = retention.run_retention(as_user(office.app, "dpo"))
    assert [(rule["id"], rule["action"], rule["done"]) for rule in answer["rules"]] == [
        ("old-incidents", "delete", 1), (RULE, "pseudonymise", 1)]  # deletions first
    tombstone = db.incident.find_one({"_id": incident["id"]})   # nothing but when, and who could see it
    assert set(tombstone) == {"_id", "deleted_at", "record_state", "_access", "_access_gone", "_seq", "_seq_at"}
    assert tombstone["_access"] == [] and "user:worker" in tombstone["_access_gone"]
    items, _, _ = pull_all(office.as_("worker"), token)
    assert {"record_type": "incident", "id": incident["id"], "deleted": True, "reason": "deleted"} in items
    assert db.record_history.count_documents({"record_id": incident["id"]}) == 0
    assert office.as_("worker").get(f"/api/v1/incidents/{incident['id']}").status_code == 404
    [residue] = residues_after(db, "incident", 0)
    assert residue["_id"] == incident["id"] and residue["data"]["cp_incident_violence_type"] == "neglect"
    assert "cp_incident_description" not in residue["data"] and "Moussa" not in json.dumps(residue, default=str)
    assert ("dpo", "retention_delete", "incident", incident["id"]) in [entry[:4] for entry in
                                                                       entries(db, "retention_delete")]
    assert db.audit_log.count_documents({"record_id": incident["id"], "action": "create"}) == 1  # the log stays


def test_one_run_at_a_time(office):
    ctx = as_user(office.app, "dpo")
    assert dp_store.claim_run(ctx.db, "another-run", ctx.now, retention.LEASE)
    with pytest.raises(Conflict) as refused:
        retention.run_retention(ctx)
    assert refused.value.code == "RETENTION_RUNNING"
    assert retention.run_retention(ctx, dry_run=True)["rules"][0]["due"] == 1  # a dry run writes nothing: it may
    dp_store.release_run(ctx.db, "another-run")
    assert retention.run_retention(ctx)["rules"][0]["done"] == 1


@pytest.mark.parametrize("user_name", ["worker", "supervisor", "partner", "admin"])
def test_only_the_data_protection_officer_may_preview_or_run(mock_office, user_name):
    ctx = as_user(mock_office.app, user_name)
    for call in (retention.preview_retention, retention.run_retention,
                 lambda c: retention.run_retention(c, dry_run=True),
                 lambda c: subject_access.subject_access(c, mock_office.cases["awa"]["id"], io.BytesIO()),
                 lambda c: consent_audit.consent_audit(c, {}, 1, 50)):
        with pytest.raises(Forbidden):
            call(ctx)
    assert entries(ctx.db, "retention_run", "retention_dry_run", "retention_preview", "consent_audit") == []
    assert entries(ctx.db, "subject_access") == [(user_name, "subject_access", "case", mock_office.cases["awa"]["id"],
                                                  "PERMISSION_DENIED")]


# Subject access -------------------------------------------------------------------------------------------------

def test_the_archive_holds_everything_abri_keeps_about_the_child(office):
    awa = office.cases["awa"]
    out = io.BytesIO()
    made = subject_access.subject_access(as_user(office.app, "dpo"), awa["short_id"], out)
    archive = zipfile.ZipFile(out)
    short, incident, request = awa["short_id"], office.incident["short_id"], office.tracing_request["short_id"]
    assert sorted(archive.namelist()) == sorted([
        "README.txt", "manifest.json", "fields.json", "audit-log.json", "attachments/attachments.json",
        f"records/case-{short}.json", f"records/case-{short}-history.json",
        f"records/incident-{incident}.json", f"records/incident-{incident}-history.json",
        f"records/tracing_request-{request}.json", f"records/tracing_request-{request}-history.json",
        *[name for name in archive.namelist() if name.startswith(f"attachments/case-{short}/photos/")]])
    case = json.loads(archive.read(f"records/case-{short}.json"))
    assert case["data"]["name_first"] == "Awa" and case["data"]["telephone_current"] == "+229 97 12 34 56"
    assert case["transitions"][0]["to_user"] == "police"
    assert json.loads(archive.read(f"records/incident-{incident}.json"))["data"]["cp_incident_description"] == \
        "Frappée par Moussa"
    traces = json.loads(archive.read(f"records/tracing_request-{request}.json"))["data"]
    assert traces["tracing_request_subform_section"][0]["matched_case_id"] == awa["id"]
    history = json.loads(archive.read(f"records/case-{short}-history.json"))
    assert [entry["action"] for entry in history][:3] == ["create", "attach", "refer"]
    assert history[0]["changes"]["name_first"] == {"from": None, "to": "Awa"}

    [photo] = [name for name in archive.namelist() if name.startswith(f"attachments/case-{short}/photos/")]
    [listed] = json.loads(archive.read("attachments/attachments.json"))
    stored = office.as_("worker").get(f"{office.case_url('awa')}/attachments/{listed['id']}").data
    assert archive.read(photo) == stored and listed["sha256_of_bytes"] == listed["sha256"]  # byte for byte
    assert listed["file_name"] == "awa-zongo.png" and listed["path"] == photo

    audit_log = json.loads(archive.read("audit-log.json"))
    assert {("worker", "create", awa["id"]), ("worker", "attach", awa["id"]), ("worker", "refer", awa["id"]),
            ("worker", "create", office.incident["id"])} <= {(e["user_name"], e["action"], e["record_id"])
                                                             for e in audit_log}
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["case_id"], manifest["made_by"], manifest["complete"]) == (awa["id"], "dpo", True)
    assert len(manifest["records"]) == 3 and manifest["files"][0]["path"] == photo
    assert json.loads(archive.read("fields.json"))["case"]["name_first"] == "First name"  # the default language
    assert (made["records"], made["files"]) == (3, 1)
    assert entries(get_db(), "subject_access") == [("dpo", "subject_access", "case", awa["id"], (
        f"3 records, {made['history_entries']} history entries, 1 files, {made['audit_entries']} audit entries"))]


def test_the_archive_explains_itself_in_the_requesters_language(mock_office):
    awa = mock_office.cases["awa"]
    for locale, title, field in (("fr", "Données qu'Abri détient sur un enfant", "Prénom"),
                                 ("en", "Data that Abri holds about one child", "First name")):
        out = io.BytesIO()
        subject_access.subject_access(_with_locale(as_user(mock_office.app, "dpo"), locale), awa["id"], out)
        archive = zipfile.ZipFile(out)
        readme = archive.read("README.txt").decode("utf-8")
        assert readme.startswith(title) and awa["case_id_display"] in readme
        assert json.loads(archive.read("fields.json"))["case"]["name_first"] == field


def _with_locale(ctx, locale):
    ctx.locale = locale
    return ctx


@pytest.mark.parametrize("reference", ["7c9e6679-7425-40de-944b-e07fc1f90ae7", "zzzzzzz", "../../etc/passwd",
                                       "{\"$ne\": null}", "x" * 5000, ""])
def test_a_case_not_found_is_told_alike_and_audited(mock_office, reference):
    ctx = as_user(mock_office.app, "dpo")
    with pytest.raises(NotFound):
        subject_access.subject_access(ctx, reference, io.BytesIO())
    assert entries(ctx.db, "subject_access")[-1][1:] == ("subject_access", "case",
                                                         reference if len(reference) == 36 else None, "NOT_FOUND")


def test_the_operator_may_make_an_archive_of_any_case(mock_office):
    out = io.BytesIO()
    made = subject_access.subject_access(operator(mock_office.app), mock_office.cases["kofi"]["case_id_display"], out)
    assert made["records"] == 1 and "records/case-" + mock_office.cases["kofi"]["short_id"] + ".json" in \
        zipfile.ZipFile(out).namelist()


# Consent audit ----------------------------------------------------------------------------------------------------

def test_the_consent_audit_shows_the_consent_each_referral_went_under(mock_office):
    awa, kofi, afi = (mock_office.cases[name] for name in ("awa", "kofi", "afi"))
    # Afi is referred with her consent, which is withdrawn afterwards: the audit shows what it was when she went.
    worker = mock_office.as_("worker")
    ok(worker.post(mock_office.case_url("afi") + "/referrals", json={"data": {"to_user": "police"}}))
    ok(worker.patch(mock_office.case_url("afi"), json={"data": {"consent_for_data_sharing": "consent_refused"}}))
    dpo = as_user(mock_office.app, "dpo")
    page = consent_audit.consent_audit(dpo, {}, 1, 50)
    rows = {row["display_id"]: row for row in page.items if row["kind"] == "referral"}
    assert rows[awa["case_id_display"]]["consent_sharing"] == "consent_given"
    assert not rows[awa["case_id_display"]]["consent_overridden"]
    overridden = rows[kofi["case_id_display"]]
    assert (overridden["by"], overridden["from_agency"], overridden["to_agency"], overridden["to_user"]) == (
        "supervisor", "gups-cotonou", "brigade-mineurs", "police")
    assert (overridden["consent_sharing"], overridden["consent_overridden"], overridden["override_reason"]) == (
        "consent_refused", True, OVERRIDE)
    assert overridden["consent_sharing_label"] == "Consent refused"  # in the default language
    assert rows[afi["case_id_display"]]["consent_sharing"] == "consent_given"  # then, not now
    assert entries(dpo.db, "consent_audit") == [("dpo", "consent_audit", "data_protection", None,
                                                 f"{page.total} rows; no filter")]

    assert consent_audit.consent_audit(dpo, {"agency": "ong-enfance"}, 1, 50).total == 0
    assert consent_audit.consent_audit(dpo, {"agency": "brigade-mineurs", "kind": "referral"}, 1, 50).total == 3
    assert consent_audit.consent_audit(dpo, {"kind": "transfer"}, 1, 50).total == 0
    later = dpo.now.replace(year=dpo.now.year + 1)
    assert consent_audit.consent_audit(dpo, {"from": later}, 1, 50).total == 0


def test_the_consent_audit_csv_is_in_the_readers_language_and_formula_safe(mock_office):
    ok(mock_office.as_("worker").patch(mock_office.case_url("afi"), json={"data": {
        "consent_for_data_sharing": "consent_refused"}}))
    ok(mock_office.as_("supervisor").post(mock_office.case_url("afi") + "/referrals", json={"data": {
        "to_user": "police", "consent_override_reason": "=HYPERLINK(\"http://evil\")"}}))
    dpo = _with_locale(as_user(mock_office.app, "dpo"), "fr")
    text = consent_audit.export_consent_audit(dpo, {"kind": "referral"})
    header, *lines = text.splitlines()
    assert header.startswith("Quand (UTC),Quoi,Par,")
    assert any("'=HYPERLINK" in line for line in lines) and not any(",=HYPERLINK" in line for line in lines)
    assert any("Consentement refusé" in line and OVERRIDE in line for line in lines)
    assert entries(dpo.db, "consent_audit_export")[0][4] == "3 rows; kind=referral"
