"""Exports through the API, read back with openpyxl (and csv/zip readers) as a partner would."""
import csv
import io
import json
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

import msoffcrypto
import openpyxl
import pyzipper
import pytest

from server.config import PROJECT_ROOT
from server.export.cells import MAX_CELL, sheet_name
from server.services.workers import run_once
from tests.builders import field, form, make_user, minimal_configuration, publish, role, seed
from tests.conftest import authenticated, make_app

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "\t=1+1", "+1+1", "-2+3", "\r=2"]


def export(client, app, **data):
    response = client.post("/api/v1/exports", json={"data": {"record_type": "case", **data}})
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["data"]
    assert job["status"] == "queued"
    assert run_once(app, "test-worker")
    done = client.get(f"/api/v1/exports/{job['id']}").get_json()["data"]
    assert done["status"] == "complete", done
    download = client.get(f"/api/v1/exports/{job['id']}/file")
    download.get_data()  # read the stream now, inside the request
    return done, download


def rows(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def cases(backend_client):
    made = []
    for name, sex, age in [("Awa", "female", 4), ("Koffi", "male", 12)] + [(h, "female", 7) for h in HOSTILE]:
        response = backend_client.post("/api/v1/cases", json={"data": {
            "name": name, "sex": sex, "age": age, "date_of_birth": "2020-01-31",
            "family_members": [{"relation_name": "Mère", "relation_age": 30}]}})
        assert response.status_code == 201
        made.append(response.get_json()["data"])
    return made


def test_xlsx_export_reads_back_with_labels_dates_and_numbers(backend_app, backend_client, cases):
    job, response = export(backend_client, backend_app, format="xlsx", locale="fr", filters={"sex": "female"})
    assert (job["rows_done"], job["total"], job["percent"]) == (len(cases) - 1, len(cases) - 1, 100)
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:2] == ["Basic identity (fr)", "Family members (fr)"]
    identity = book["Basic identity (fr)"]
    header = rows(identity)[0]
    assert header[:2] == ["Identifiant du dossier", "Identifiant court"]
    assert header[6:10] == ["Name (fr)", "Sex (fr)", "Age (fr)", "Date of birth (fr)"]
    awa = next(r for r in rows(identity)[1:] if r[6] == "Awa")
    assert awa[7] == "Female (fr)" and awa[8] == 4
    assert awa[9] == datetime(2020, 1, 31) and identity.cell(row=2, column=10).number_format == "yyyy-mm-dd"
    assert isinstance(awa[4], datetime)
    assert identity.freeze_panes == "A2" and identity.auto_filter.ref.startswith("A1")
    members = rows(book["Family members (fr)"])
    assert members[0][:3] == ["Identifiant du dossier", "Identifiant de la ligne", "Relation name (fr)"]
    assert len(members) == len(cases)  # one row per subform row of the female cases, plus the header
    assert book.sheetnames[-1] == "À propos de cet export"
    about = dict((r[0], r[1]) for r in rows(book.worksheets[-1]))
    assert about["Nombre de dossiers"] == len(cases) - 1 and about["Filtres"] == "sex=female"
    assert about["Exporté par"] == "admin" and about["Version de la configuration"] == 1
    assert about["Type de dossier"] == "Dossier" and about["Langue"] == "fr"


def test_hostile_strings_arrive_as_text(backend_app, backend_client, cases):
    _, response = export(backend_client, backend_app)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    # xlsx escapes a carriage return as _x000D_, which Excel reads back (openpyxl does not)
    names = {row[6].replace("_x000D_", "\r") for row in rows(sheet)[1:]}
    assert set(HOSTILE) <= names
    for cell in sheet["G"][1:]:
        assert cell.data_type == "s"
    assert "HYPERLINK" not in str(sheet._hyperlinks)


def test_csv_export_neutralizes_formulas(backend_app, backend_client, cases):
    _, response = export(backend_client, backend_app, format="csv")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    first = archive.namelist()[0]
    table = list(csv.reader(io.StringIO(archive.read(first).decode("utf-8-sig"))))
    names = [row[6] for row in table[1:]]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in names and "'\t=1+1" in names and "'-2+3" in names
    assert "Awa" in names
    assert archive.namelist()[-1] == "About this export.csv"


def test_json_export(backend_app, backend_client, cases):
    _, response = export(backend_client, backend_app, format="json")
    records = json.loads(response.data)["data"]
    assert {r["data"]["name"] for r in records} >= {"Awa", "Koffi"}


def test_codes_instead_of_labels(backend_app, backend_client, cases):
    _, response = export(backend_client, backend_app, codes=True)
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert {row[7] for row in rows(sheet)[1:]} == {"female", "male"}


def test_password_really_encrypts(backend_app, backend_client, cases):
    _, response = export(backend_client, backend_app, password="s3cret-pass")
    office = msoffcrypto.OfficeFile(io.BytesIO(response.data))
    assert office.is_encrypted()
    with pytest.raises(Exception):
        openpyxl.load_workbook(io.BytesIO(response.data))
    office.load_key(password="s3cret-pass")
    plain = io.BytesIO()
    office.decrypt(plain)
    assert openpyxl.load_workbook(plain).sheetnames[0] == "Basic identity"
    _, zipped = export(backend_client, backend_app, format="csv", password="s3cret-pass")
    with pyzipper.AESZipFile(io.BytesIO(zipped.data)) as archive:
        with pytest.raises(RuntimeError):
            archive.read(archive.namelist()[0])
        archive.setpassword(b"s3cret-pass")
        assert zipfile.ZipFile(io.BytesIO(archive.read(archive.namelist()[0]))).namelist()


def test_the_password_is_not_kept(app, client):
    client.post("/api/v1/cases", json={"data": {"name": "A"}})
    export(client, app, password="s3cret-pass")
    assert "s3cret-pass" not in str(list(app.extensions["abri_db"].export_jobs.find()))


def test_long_cells_are_truncated_with_a_mark(app, client):
    client.post("/api/v1/forms/basic_identity/fields", json={"data": {
        "name": "story", "type": "textarea", "max_length": 50000, "display_name_i18n": {"en": "Story", "fr": "Récit"}}})
    client.post("/api/v1/metadata/publish", json={})
    client.post("/api/v1/cases", json={"data": {"story": "x" * 40000}})
    _, response = export(client, app)
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    story = rows(sheet)[1][rows(sheet)[0].index("Story")]
    assert len(story) == MAX_CELL and story.endswith("[…]")


def test_removed_fields_can_be_included(app, client):
    client.post("/api/v1/cases", json={"data": {"name": "A", "age": 3}})
    client.delete("/api/v1/forms/basic_identity/fields/age")
    client.post("/api/v1/metadata/publish", json={})
    _, without = export(client, app)
    assert "Removed fields" not in openpyxl.load_workbook(io.BytesIO(without.data)).sheetnames
    _, with_removed = export(client, app, include_removed=True)
    removed = openpyxl.load_workbook(io.BytesIO(with_removed.data))["Removed fields"]
    assert rows(removed)[0][-1] == "age" and rows(removed)[1][-1] == 3


def test_exports_contain_only_readable_fields_and_records_in_scope(app, client):
    client.post("/api/v1/roles", json={"data": role("role-partner", {"case": ["read", "export_xlsx"]}, "agency",
                                                    {"basic_identity": "r"})})
    client.post("/api/v1/roles", json={"data": role("role-reader", {"case": ["read"]}, "all")})
    client.post("/api/v1/metadata/publish", json={})
    partner = authenticated(app, make_user(app, "partner", "role-partner", "ngo-a"))
    worker = authenticated(app, make_user(app, "worker", "role-system-administrator", "ngo-a"))
    worker.post("/api/v1/cases", json={"data": {"name": "In scope", "family_members": [{"relation_name": "x"}]}})
    client.post("/api/v1/cases", json={"data": {"name": "Other agency"}})
    _, response = export(partner, app)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Basic identity", "Family members", "About this export"]
    assert [row[6] for row in rows(book.worksheets[0])[1:]] == ["In scope"]
    reader = authenticated(app, make_user(app, "reader", "role-reader"))
    refused = reader.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "xlsx"}})
    assert refused.status_code == 403
    assert partner.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "csv"}}).status_code == 403
    bad_form = partner.post("/api/v1/exports", json={"data": {"record_type": "case", "form_ids": ["family_members_section"]}})
    assert bad_form.status_code == 422


def test_bad_filters_are_refused_when_asked(client):
    response = client.post("/api/v1/exports", json={"data": {"record_type": "case", "filters": {"age[$gt]": 1}}})
    assert response.status_code == 400


def test_users_see_and_delete_only_their_own_exports(app, client):
    job, _ = export(client, app)
    other = authenticated(app, make_user(app, "other", "role-system-administrator"))
    assert other.get(f"/api/v1/exports/{job['id']}").status_code == 404
    assert other.get(f"/api/v1/exports/{job['id']}/file").status_code == 404
    assert other.get("/api/v1/exports").get_json()["meta"]["total"] == 0
    assert client.get("/api/v1/exports").get_json()["meta"]["total"] == 1
    assert client.delete(f"/api/v1/exports/{job['id']}").status_code == 204
    assert client.get(f"/api/v1/exports/{job['id']}").status_code == 404


def test_a_queued_export_cannot_be_downloaded_yet(client):
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case"}}).get_json()["data"]
    response = client.get(f"/api/v1/exports/{job['id']}/file")
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "EXPORT_NOT_READY"


def test_a_job_left_by_a_dead_worker_is_taken_over(app, client):
    from server.storage import exports as store, get_db
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case"}}).get_json()["data"]
    with app.app_context():
        now = datetime.now(timezone.utc)
        claimed = store.claim_job(get_db(), "dead-worker", now - timedelta(minutes=10), timedelta(seconds=120), 3)
        assert claimed["_id"] == job["id"]
        assert store.claim_job(get_db(), "other", now, timedelta(seconds=120), 3)["worker"] == "other"


def test_a_job_that_keeps_dying_ends_failed_not_stuck(app, client):
    from server.storage import exports as store, get_db
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case"}}).get_json()["data"]
    with app.app_context():
        long_ago = datetime.now(timezone.utc) - timedelta(hours=1)
        for attempt in range(3):  # three workers took it and died
            store.claim_job(get_db(), f"dead-{attempt}", long_ago + timedelta(minutes=10 * attempt), timedelta(0), 3)
        assert get_db().export_jobs.find_one()["attempts"] == 3
    assert not run_once(app, "w")
    failed = client.get(f"/api/v1/exports/{job['id']}").get_json()["data"]
    assert failed["status"] == "failed" and failed["errors"]


def test_expired_exports_are_deleted(app, client):
    from server.services.context import Context
    from server.services.exports import remove_expired_exports
    from server.storage import get_db
    job, _ = export(client, app)
    with app.app_context():
        next_week = datetime.now(timezone.utc) + timedelta(days=8)
        assert remove_expired_exports(Context(get_db(), app.config, now=next_week, operator=True)) == 1
    assert client.get(f"/api/v1/exports/{job['id']}").status_code == 404


def test_sheet_names_are_valid_and_unique():
    taken = set()
    assert sheet_name("Situation: famille / [ménage]?", taken) == "Situation  famille    ménage"
    long = "Préoccupations de protection de l'enfant"
    assert sheet_name(long, taken) == long[:31]
    assert sheet_name(long, taken) == long[:27] + " (2)"
    assert sheet_name("", taken) == "Sheet"


def test_exports_are_audited(app, client):
    job, _ = export(client, app)
    actions = [e["action"] for e in client.get(f"/api/v1/audit_logs?record_id={job['id']}").get_json()["data"]]
    assert actions == ["export_download", "export"]


def test_filters_take_lists_and_ranges(app, client):
    for age in (3, 9, 15):
        client.post("/api/v1/cases", json={"data": {"name": f"Age {age}", "age": age, "sex": "female"}})
    job, _ = export(client, app, filters={"sex": ["female", "male"]}, format="json")
    assert job["total"] == 3 and job["filters"] == {"sex": "female,male"}
    refused = client.post("/api/v1/exports", json={"data": {"record_type": "case", "filters": {"sex": {"$ne": 1}}}})
    assert refused.status_code == 422


def test_tick_boxes_are_a_localized_yes_or_no(app, client):
    client.post("/api/v1/forms/basic_identity/fields", json={"data": {
        "name": "estimated", "type": "tick_box", "display_name_i18n": {"en": "Estimated", "fr": "Estimé"}}})
    client.post("/api/v1/metadata/publish", json={})
    client.post("/api/v1/cases", json={"data": {"name": "A", "estimated": True}})
    client.post("/api/v1/cases", json={"data": {"name": "B", "estimated": False}})
    _, response = export(client, app, locale="fr")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    column = rows(sheet)[0].index("Estimé")
    assert sorted(row[column] for row in rows(sheet)[1:]) == ["Non", "Oui"]


SECRET = "SECRET-HEALTH"


@pytest.fixture
def partner(backend_app, backend_client):
    """A partner of ngo-a who may read basic identity (not health) and export; a case of ngo-a with both."""
    admin = backend_client
    for route, body in [
        ("forms", form("health", field("health_notes", "textarea"), order=20)),
        ("roles", role("role-partner", {"case": ["read", "export_xlsx", "export_json", "export_identifying"]},
                       "agency", {"basic_identity": "r"})),
    ]:
        assert admin.post(f"/api/v1/{route}", json={"data": body}).status_code == 201
    publish(admin)
    partner = authenticated(backend_app, make_user(backend_app, "partner", "role-partner", "ngo-a"))
    worker = authenticated(backend_app, make_user(backend_app, "worker", "role-system-administrator", "ngo-a"))
    created = worker.post("/api/v1/cases", json={"data": {"name": "Awa", "health_notes": SECRET}})
    assert created.status_code == 201
    return partner


def change_role(admin, **changes):
    assert admin.patch("/api/v1/roles/role-partner", json={"data": changes}).status_code == 200
    publish(admin)


def workbook_text(response) -> str:
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return "\n".join(str(value) for sheet in book.worksheets for row in rows(sheet) for value in row)


def test_include_removed_exports_only_fields_of_forms_the_role_could_read(backend_app, backend_client, partner):
    admin = backend_client
    for form_id, name in (("basic_identity", "nickname"), ("health", "old_diagnosis")):
        admin.post(f"/api/v1/forms/{form_id}/fields", json={"data": field(name)})
    publish(admin)
    case = admin.get("/api/v1/cases").get_json()["data"][0]
    admin.patch(f"/api/v1/cases/{case['id']}", json={"data": {"nickname": "Wawa", "old_diagnosis": SECRET}})
    for form_id, name in (("basic_identity", "nickname"), ("health", "old_diagnosis")):
        admin.delete(f"/api/v1/forms/{form_id}/fields/{name}")
    publish(admin)

    _, response = export(partner, backend_app, include_removed=True)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert rows(book["Removed fields"])[0][6:] == ["nickname"] and rows(book["Removed fields"])[1][6:] == ["Wawa"]
    assert SECRET not in workbook_text(response) and "old_diagnosis" not in workbook_text(response)
    _, as_json = export(partner, backend_app, format="json", include_removed=True)
    assert json.loads(as_json.data)["data"][0]["data"] == {"name": "Awa", "nickname": "Wawa"}
    _, without = export(partner, backend_app, format="json")
    assert json.loads(without.data)["data"][0]["data"] == {"name": "Awa"}
    _, everything = export(admin, backend_app, include_removed=True)
    assert rows(openpyxl.load_workbook(io.BytesIO(everything.data))["Removed fields"])[0][6:] == [
        "nickname", "old_diagnosis"]


def test_a_download_is_refused_once_the_role_may_no_longer_export(backend_app, backend_client, partner):
    job, first = export(partner, backend_app)
    assert first.status_code == 200 and SECRET not in workbook_text(first)
    change_role(backend_client, permissions={"case": ["read", "export_json"]})
    refused = partner.get(f"/api/v1/exports/{job['id']}/file")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "EXPORT_NOT_ALLOWED"
    assert refused.data.find(b"PK") != 0  # no file


def test_a_download_is_refused_once_the_role_reads_less_or_over_a_narrower_scope(backend_app, backend_client, partner):
    job, _ = export(partner, backend_app)
    url = f"/api/v1/exports/{job['id']}/file"
    change_role(backend_client, form_section_read_write={"basic_identity": "r", "health": "r"})
    assert partner.get(url).status_code == 200  # reading more takes nothing away
    change_role(backend_client, form_section_read_write={"basic_identity": None})
    refused = partner.get(url)
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "EXPORT_ACCESS_CHANGED"
    change_role(backend_client, form_section_read_write={"basic_identity": "r"}, group_permission="self")
    assert partner.get(url).get_json()["error"]["code"] == "EXPORT_ACCESS_CHANGED"
    change_role(backend_client, group_permission="agency")
    assert partner.get(url).status_code == 200


def test_a_download_is_refused_to_a_disabled_user_and_to_anyone_else(backend_app, backend_client, partner):
    job, _ = export(partner, backend_app)
    url = f"/api/v1/exports/{job['id']}/file"
    assert backend_client.get(url).status_code == 404  # the administrator did not ask for it
    assert backend_client.patch("/api/v1/users/partner", json={"data": {"disabled": True}}).status_code == 200
    assert partner.get(url).status_code == 401
    entries = backend_client.get(f"/api/v1/audit_logs?record_id={job['id']}").get_json()["data"]
    assert [(e["user_name"], e["action"], e["status"]) for e in entries][:2] == [
        ("admin", "export_download", 404), ("partner", "export_download", 200)]


def test_refused_downloads_are_audited(backend_app, backend_client, partner):
    job, _ = export(partner, backend_app)
    change_role(backend_client, permissions={"case": ["read"]})
    assert partner.get(f"/api/v1/exports/{job['id']}/file").status_code == 403
    assert partner.get("/api/v1/exports/00000000-0000-4000-8000-000000000000/file").status_code == 404
    entries = backend_client.get("/api/v1/audit_logs?user_name=partner&action=export_download").get_json()["data"]
    assert [(e["resource"], e["record_id"], e["status"], e["detail"]) for e in entries] == [
        ("export", "00000000-0000-4000-8000-000000000000", 404, "NOT_FOUND"),
        ("case", job["id"], 403, "EXPORT_NOT_ALLOWED"), ("case", job["id"], 200, None)]


def jobs_text(app) -> str:
    return str(list(app.extensions["abri_db"].export_jobs.find()))


def test_no_job_document_ever_holds_the_export_password(backend_app, backend_client, cases, monkeypatch):
    from server.export import jobs as export_jobs
    password = "s3cret-pass-phrase"
    seen_while_running = []
    encrypt = export_jobs.encryption.encrypt

    def watching_encrypt(*args):
        seen_while_running.append(jobs_text(backend_app))
        return encrypt(*args)
    monkeypatch.setattr(export_jobs.encryption, "encrypt", watching_encrypt)

    queued = backend_client.post("/api/v1/exports", json={"data": {"record_type": "case", "password": password}})
    assert queued.status_code == 202
    stored = backend_app.extensions["abri_db"].export_jobs.find_one()
    assert password not in jobs_text(backend_app) and set(stored["password_sealed"]) == {"nonce", "ciphertext"}
    assert run_once(backend_app, "test-worker")
    assert seen_while_running and password not in seen_while_running[0] and "password_sealed" in seen_while_running[0]
    done = backend_app.extensions["abri_db"].export_jobs.find_one()
    assert done["status"] == "complete" and "password_sealed" not in done and password not in jobs_text(backend_app)
    monkeypatch.setattr(export_jobs, "write_xlsx", lambda *args: 1 / 0)  # a job that fails
    failing = backend_client.post("/api/v1/exports", json={"data": {"record_type": "case", "password": password}})
    assert run_once(backend_app, "test-worker")
    failed = backend_app.extensions["abri_db"].export_jobs.find_one({"_id": failing.get_json()["data"]["id"]})
    assert failed["status"] == "failed" and "password_sealed" not in failed
    assert password not in jobs_text(backend_app)
    assert password not in str(list(backend_app.extensions["abri_db"].audit_log.find()))


def test_a_sealed_password_opens_only_with_the_instance_key(tmp_path):
    from server.export import encryption
    key = encryption.instance_key("", str(tmp_path / "instance"))
    assert (tmp_path / "instance" / encryption.KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "instance").stat().st_mode & 0o777 == 0o700
    assert encryption.instance_key("", str(tmp_path / "instance")) == key  # made once, then read
    sealed = encryption.seal_password(key, "job-1", "s3cret-pass")
    assert "s3cret-pass" not in str(sealed)
    assert encryption.open_password(key, "job-1", sealed) == "s3cret-pass"
    assert encryption.open_password(key, "job-2", sealed) is None  # bound to its job
    assert encryption.open_password(bytes(32), "job-1", sealed) is None


def test_an_invalid_export_key_setting_stops_the_app():
    from server.config import SettingInvalid
    with pytest.raises(SettingInvalid, match="ABRI_EXPORT_PASSWORD_KEY"):
        make_app("mongomock://", EXPORT_PASSWORD_KEY="not a key")


def test_a_job_whose_key_changed_ends_failed_without_its_sealed_password(app, client):
    client.post("/api/v1/cases", json={"data": {"name": "A"}})
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case", "password": "s3cret-pass"}})
    app.config["EXPORT_PASSWORD_KEY"] = "B" * 43 + "="  # another instance key
    assert run_once(app, "test-worker")
    failed = client.get(f"/api/v1/exports/{job.get_json()['data']['id']}").get_json()["data"]
    assert failed["status"] == "failed" and "export key changed" in failed["errors"][0]
    assert "password_sealed" not in app.extensions["abri_db"].export_jobs.find_one()


def test_a_worker_in_another_process_runs_a_job_with_a_password(secantus_uri, tmp_path):
    """`abri worker` on the same machine: the key file of the instance folder opens the sealed password."""
    import subprocess
    import sys

    settings = {"MONGO_DB_NAME": f"abri_test_{uuid.uuid4().hex[:12]}", "INSTANCE_PATH": str(tmp_path / "instance"),
                "EXPORT_PASSWORD_KEY": ""}
    web = make_app(secantus_uri, **settings)
    client = authenticated(web, seed(web, minimal_configuration()))
    client.post("/api/v1/cases", json={"data": {"name": "Awa"}})
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case", "password": "s3cret-pass"}})
    script = ("import sys; from tests.conftest import make_app; from server.services.workers import run_once; "
              f"sys.exit(0 if run_once(make_app({secantus_uri!r}, **{settings!r}), 'other-process') else 1)")
    subprocess.run([sys.executable, "-c", script], check=True, cwd=str(PROJECT_ROOT), timeout=60)
    response = client.get(f"/api/v1/exports/{job.get_json()['data']['id']}/file")
    office = msoffcrypto.OfficeFile(io.BytesIO(response.data))
    office.load_key(password="s3cret-pass")
    plain = io.BytesIO()
    office.decrypt(plain)
    assert rows(openpyxl.load_workbook(plain).worksheets[0])[1][6] == "Awa"
    web.extensions["abri_db"].client.drop_database(settings["MONGO_DB_NAME"])
    web.extensions["abri_db"].client.close()
