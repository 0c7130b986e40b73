"""Data protection through the API, on the shipped configuration (tests/data_protection_world.py), on mongomock and
SecantusDB: the data protection officer's journey (retention preview, dry run, run; a child's archive; the consent
audit and its CSV) with what the audit log then shows; who else may not; bad and hostile input answered with a
localized 4xx naming the field and writing nothing; and what a partner's pseudonymised export holds, cell by cell."""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import datetime, timezone

import openpyxl
import pytest

from server.services.retention import LEASE
from server.services.workers import run_once
from server.storage import data_protection, get_db
from tests.builders import make_user
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri
from tests.data_protection_world import AWA, NAMES, ok, open_office
from tests.export.test_exports import rows

PSEUDONYM = re.compile(r"[0-9a-f]{16}")
RETENTION, RUNS = "/api/v1/data_protection/retention", "/api/v1/data_protection/retention/runs"
SUBJECT, CONSENT = "/api/v1/data_protection/subject_access/", "/api/v1/data_protection/consent_audit"


@pytest.fixture(params=BACKENDS)
def office(request):
    with app_on(backend_uri(request)) as app:
        yield open_office(app)


@pytest.fixture
def mock_office():
    with app_on("mongomock://") as app:
        yield open_office(app)


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code, response.get_json()
    return response.get_json()["error"]


def test_the_data_protection_officer_runs_retention_and_answers_a_subject_access_request(office):
    dpo, awa = office.as_("dpo"), office.cases["awa"]
    # The child asks for her data before the rule applies: the archive holds her names and photo.
    archive = dpo.get(SUBJECT + awa["case_id_display"], headers={"Accept-Language": "fr"})
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    assert archive.headers["Content-Disposition"] == f'attachment; filename="subject-access-{awa["short_id"]}.zip"'
    zipped = zipfile.ZipFile(io.BytesIO(archive.data))
    assert zipped.read("README.txt").decode().startswith("Données qu'Abri détient sur un enfant")
    assert '"name_first": "Awa"' in zipped.read(f"records/case-{awa['short_id']}.json").decode()

    preview = ok(dpo.get(RETENTION))["data"]
    assert [(rule["id"], rule["due"], rule["sample"]) for rule in preview["rules"]] == [
        ("closed-cases-pseudonymised", 1, [awa["case_id_display"]])]
    dry = ok(dpo.post(RUNS, json={"data": {"dry_run": True}}))["data"]
    assert dry["dry_run"] and dry["rules"][0]["done"] == 1 and dry["remaining"] == 0
    assert ok(office.as_("worker").get(office.case_url("awa")))["data"]["data"]["name_first"] == "Awa"
    run = ok(dpo.post(RUNS, json={"data": {}}))["data"]
    assert (run["dry_run"], run["rules"][0]["done"], run["remaining"]) == (False, 1, 0)

    # After: the archive says what is left, without the names; the audit log shows each step.
    after = zipfile.ZipFile(io.BytesIO(dpo.get(SUBJECT + awa["id"]).data))
    case_text = after.read(f"records/case-{awa['short_id']}.json").decode() + \
        after.read(f"records/case-{awa['short_id']}-history.json").decode()
    assert not [name for name in NAMES if name in case_text] and '"pseudonymised_at"' in case_text
    assert not [name for name in after.namelist() if name.startswith(f"attachments/case-{awa['short_id']}/")]
    log = ok(dpo.get("/api/v1/audit_logs", query_string={"user_name": "dpo", "per_page": 50}))["data"]
    actions = [entry["action"] for entry in reversed(log)]
    assert actions == ["subject_access", "retention_preview", "retention_dry_run", "pseudonymise", "retention_run",
                       "subject_access"]
    run_entry = next(entry for entry in log if entry["action"] == "retention_run")
    assert "closed-cases-pseudonymised: 1 due, 1 done, 0 failed" in run_entry["detail"]
    # The officer reads no case: which record an entry is about is hidden from them in the log (not in the archive).
    assert next(entry for entry in log if entry["action"] == "pseudonymise")["redacted"] is True


def test_the_consent_audit_lists_referrals_and_exports_and_downloads_as_csv(mock_office):
    dpo, partner_worker = mock_office.as_("dpo"), mock_office.as_("partner")
    ok(partner_worker.post("/api/v1/exports", json={"data": {"record_type": "case"}}), 202)
    listed = ok(dpo.get(CONSENT, query_string={"per_page": 2}))
    assert listed["meta"] == {"total": 3, "page": 1, "per_page": 2}
    export_row = ok(dpo.get(CONSENT, query_string={"kind": "export"}))["data"][0]
    assert (export_row["by"], export_row["to_agency"], export_row["record_type"], export_row["identifying"]) == (
        "partner", "ong-enfance", "case", "hash")
    assert ok(dpo.get(CONSENT, query_string={"agency": "ong-enfance"}))["meta"]["total"] == 1
    override = ok(dpo.get(CONSENT, query_string={"kind": "referral", "agency": "brigade-mineurs"}))["data"][0]
    assert override["consent_overridden"] and override["consent_sharing"] == "consent_refused"

    download = dpo.get(CONSENT + "/export.csv", query_string={"locale": "en", "kind": "referral"})
    assert download.status_code == 200 and download.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert [row["What"] for row in table] == ["Referral", "Referral"]
    assert {row["Consent overridden"] for row in table} == {"Yes", "No"}


@pytest.mark.parametrize("user_name", ["worker", "supervisor", "police", "partner", "admin"])
def test_every_other_role_is_refused_before_anything_is_looked_up(mock_office, user_name):
    client = mock_office.as_(user_name)
    for method, path in (("GET", RETENTION), ("POST", RUNS), ("GET", SUBJECT + mock_office.cases["awa"]["id"]),
                         ("GET", SUBJECT + "no-such-case"), ("GET", CONSENT), ("GET", CONSENT + "/export.csv")):
        refused(client.open(path, method=method, json={"data": {"dry_run": False}} if method == "POST" else None),
                403, "PERMISSION_DENIED")
    assert ok(mock_office.as_("worker").get(mock_office.case_url("awa")))["data"]["data"]["name_first"] == "Awa"


@pytest.mark.parametrize("body,field,rule", [
    ({"data": {"limit": 0}}, "data.limit", "range"),
    ({"data": {"limit": "all"}}, "data.limit", "type"),
    ({"data": {"dry_run": "perhaps"}}, "data.dry_run", "type"),
    ({"data": {"dry_run": True, "confirm": "yes"}}, "data.confirm", "unknown"),
    ({"data": {"limit": 10 ** 30}}, "/data/limit", "int64_range"),
    ({"data": {"$where": "1"}}, "/data/$where", "key_forbidden"),
    ({"data": ["dry_run"]}, "data._schema", "type"),
])
def test_a_bad_run_is_refused_naming_the_field_and_changes_nothing(mock_office, body, field, rule):
    error = refused(mock_office.as_("dpo").post(RUNS, json=body, headers={"Accept-Language": "fr"}), 422,
                    "BODY_INVALID")
    assert [(detail["field"], detail["code"]) for detail in error["details"]] == [(field, rule)]
    assert error["message"] == "Le corps de la requête n'est pas valide."
    assert ok(mock_office.as_("worker").get(mock_office.case_url("awa")))["data"]["data"]["name_first"] == "Awa"


@pytest.mark.parametrize("query,field", [({"from": "yesterday"}, "from"), ({"kind": "everything"}, "kind"),
                                         ({"agency": "x" * 101}, "agency"), ({"per_page": 0}, "per_page")])
def test_a_bad_consent_audit_filter_is_refused_naming_it(mock_office, query, field):
    error = refused(mock_office.as_("dpo").get(CONSENT, query_string=query), 400, "BAD_PARAMETER")
    assert [detail["field"] for detail in error["details"]] == [field]


def test_an_operator_like_agency_is_only_a_text(mock_office):
    dpo = mock_office.as_("dpo")
    assert ok(dpo.get(CONSENT, query_string={"agency": "{\"$ne\": null}"}))["meta"]["total"] == 0
    assert ok(dpo.get(CONSENT, query_string={"agency[$ne]": "x"}))["meta"]["total"] == 2  # not a filter: left out


@pytest.mark.parametrize("reference,code", [("$where", "NOT_FOUND"), ("x" * 3000, "NOT_FOUND"),
                                            ("7C9E6679-7425-40DE-944B-E07FC1F90AE7", "NOT_FOUND"),
                                            ("..%2F..%2Fetc", "ROUTE_NOT_FOUND")])
def test_a_hostile_case_reference_is_not_found(mock_office, reference, code):
    refused(mock_office.as_("dpo").get(SUBJECT + reference), 404, code)


def test_a_case_reference_no_database_could_hold_is_refused(mock_office):
    refused(mock_office.as_("dpo").get(SUBJECT + "awa%00"), 400, "BAD_PARAMETER")


def test_a_second_run_at_once_is_refused(mock_office):
    with mock_office.app.app_context():
        assert data_protection.claim_run(get_db(), "elsewhere", datetime.now(timezone.utc), LEASE)
    error = refused(mock_office.as_("dpo").post(RUNS, json={"data": {}}, headers={"Accept-Language": "fr"}), 409,
                    "RETENTION_RUNNING")
    assert error["message"].startswith("Une application des règles de conservation est déjà en cours.")


# Pseudonymised exports for partners ---------------------------------------------------------------------------

def _export(client, app, status: int = 202, **data):
    response = client.post("/api/v1/exports", json={"data": {"record_type": "case", **data}})
    assert response.status_code == status, response.get_json()
    if status != 202:
        return response.get_json()["error"]
    job = response.get_json()["data"]
    assert run_once(app, "test-worker")
    done = ok(client.get(f"/api/v1/exports/{job['id']}"))["data"]
    assert done["status"] == "complete", done
    return done, openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/exports/{job['id']}/file").data))


def _table(book, title: str) -> list[dict]:
    header, *body = rows(book[title])
    return [dict(zip(header, row)) for row in body]


@pytest.fixture
def partner_world(office):
    """A case of the partner's agency (ong-enfance), with a service; a second agency (ong-espoir)."""
    app = office.app
    ong = authenticated(app, make_user(app, "ong-worker", "role-case-worker", "ong-enfance"))
    case = ok(ong.post("/api/v1/cases", json={"data": {**AWA, "services_section": [
        {"service_type": "psychosocial_service", "service_referral_notes": "Suivi hebdomadaire"}]}}), 201)["data"]
    make_user(app, "espoir", "role-partner-data-manager", "ong-espoir")
    return office, case


def test_a_partner_receives_pseudonyms_stable_for_it_and_different_for_another_partner(partner_world):
    office, case = partner_world
    app, partner, admin = office.app, office.as_("partner"), office.as_("admin")
    job, book = _export(partner, app)
    assert (job["identifying"], job["partner_agency"]) == ("hash", "ong-enfance")
    [identity] = _table(book, "Basic identity")
    for column in ("First name", "Surname", "Nickname", "Date of birth", "Telephone", "Current address",
                   "National ID number", "Record id", "Short id"):
        assert PSEUDONYM.fullmatch(identity[column]), (column, identity[column])
    assert identity["Sex"] == "Female" and identity["Age"] == 6  # what counts stays as it is
    assert identity["Record id"] == identity["Short id"] and identity["Record id"] not in (case["id"], case["short_id"])
    cells = "\n".join(str(cell) for sheet in book.worksheets for row in rows(sheet) for cell in row if cell)
    assert not [name for name in NAMES if name in cells] and case["id"] not in cells and case["short_id"] not in cells
    [service] = _table(book, "Services")
    assert service["Record id"] == identity["Record id"] and PSEUDONYM.fullmatch(service["Row id"])
    assert service["Notes"] == "Suivi hebdomadaire"
    assert service["Row id"] != case["data"]["services_section"][0]["unique_id"]
    about = {row[0]: row[1] for row in rows(book.worksheets[-1])}
    assert about["Identifying fields"].startswith("Replaced by pseudonyms for the agency ong-enfance")

    _, again = _export(partner, app)  # the same child, the same pseudonyms, in every export to this partner
    assert _table(again, "Basic identity") == [identity]
    _, for_partner = _export(admin, app, identifying="hash", partner_agency="ong-enfance")
    assert identity in _table(for_partner, "Basic identity")  # the partner's own pseudonyms, made by another user
    _, for_other = _export(admin, app, identifying="hash", partner_agency="ong-espoir")
    others = _table(for_other, "Basic identity")
    assert identity["First name"] not in {row["First name"] for row in others}
    assert identity["Record id"] not in {row["Record id"] for row in others}

    _, dropped = _export(partner, app, identifying="drop")
    [left] = _table(dropped, "Basic identity")
    assert "First name" not in left and "Telephone" not in left and left["Sex"] == "Female"
    assert PSEUDONYM.fullmatch(left["Record id"])
    _, named = _export(admin, app)  # a role with export_identifying gets the values
    assert {"Awa", "Kpogbé"} <= {row["First name"] for row in _table(named, "Basic identity")} | {
        row["Surname"] for row in _table(named, "Basic identity")}


def test_a_role_without_export_identifying_never_gets_the_values(mock_office):
    app, partner = mock_office.app, mock_office.as_("partner")
    error = _export(partner, app, status=403, identifying="include")
    assert error["code"] == "PERMISSION_DENIED" and [d["field"] for d in error["details"]] == ["/identifying"]
    error = _export(partner, app, status=403, partner_agency="ong-espoir")
    assert [d["field"] for d in error["details"]] == ["/partner_agency"]
    error = _export(mock_office.as_("admin"), app, status=422, identifying="hash", partner_agency="no-such-agency")
    assert [(d["field"], d["code"]) for d in error["details"]] == [("/partner_agency", "enum")]
    error = _export(mock_office.as_("admin"), app, status=422, identifying="include", partner_agency="ong-enfance")
    assert [(d["field"], d["code"]) for d in error["details"]] == [("/partner_agency", "invalid")]
    error = _export(partner, app, status=422, identifying="names")
    assert [d["field"] for d in error["details"]] == ["data.identifying"]


def test_a_pseudonymised_json_export_holds_no_name_no_note_and_no_real_id(mock_office):
    app, admin = mock_office.app, mock_office.as_("admin")
    response = admin.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "json",
                                                            "identifying": "hash", "partner_agency": "ong-enfance"}})
    job = ok(response, 202)["data"]
    assert run_once(app, "test-worker")
    text = admin.get(f"/api/v1/exports/{job['id']}/file").data.decode("utf-8")
    records = {record["data"].get("age"): record for record in json.loads(text)["data"]}
    awa = records[6]
    assert PSEUDONYM.fullmatch(awa["id"]) and awa["id"] == awa["short_id"] == awa["case_id_display"]
    assert PSEUDONYM.fullmatch(awa["data"]["name_first"]) and awa["data"]["risk_level"] == "high"
    assert "transitions" not in awa and "approvals" not in awa and "photos" not in awa["data"]
    cases = mock_office.cases.values()
    for secret in (*NAMES, "Suspicion de violences", "Plan réalisé", *(case["id"] for case in cases),
                   *(case["short_id"] for case in cases)):
        assert secret not in text, secret
