"""Files of records through the API, on mongomock and on SecantusDB: upload, list, download, delete; who may; limits;
stripping; hostile names; concurrency; history, exports and sync pulls.

The configuration is the minimal one with a form of upload fields for each record type: photos (at most 3), documents
(at most 0.05 MB) and recordings. Its people: awa and kofi, case workers who write the files form and see their own
cases; sika, a supervisor who reads everything but writes nothing; noor, who reads and writes the identity form only;
guest, whose role has no right on cases. A last test runs on the shipped configuration (its case worker and police
focal point), with a photos field in the identity form and a documents field in the assessment.
"""
from __future__ import annotations

import copy
import hashlib
import io
import json
import threading
import uuid
from datetime import datetime, timezone

import openpyxl
import pytest

from server.config import PROJECT_ROOT
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.configuration import Configuration
from server.metadata.versions import LanguageSettings, publish_configuration, published_configuration
from server.records import media
from server.storage import get_db
from server.storage.attachments import FILES
from server.services.workers import run_once
from tests.builders import field, form, make_user, minimal_configuration, role, seed
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri
from tests.records.test_media import LATITUDE, PLACE_TEXT, camera_jpeg, camera_png

FILES_FORMS = {"case": "case_files", "incident": "incident_files", "tracing_request": "inquiry_files"}
ROUTES = {"case": "cases", "incident": "incidents", "tracing_request": "tracing_requests"}
WORK = ["read", "create", "write", "disable", "view_history", "export_xlsx"]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def configuration() -> Configuration:
    documents = [(kind, uid, copy.deepcopy(body)) for kind, uid, body in minimal_configuration().documents()]
    for record_type, uid in FILES_FORMS.items():
        documents.append(("form", uid, form(
            uid, field("photos", "photo_upload_box", max_files=3), field("documents", "document_upload_box",
                                                                         max_size_mb=0.05),
            field("recordings", "audio_upload_box"), field("notes", "textarea"), parent_form=record_type)))
    every_form = {"basic_identity": "rw", "cp_incident_form": "rw", **{uid: "rw" for uid in FILES_FORMS.values()}}
    worker = {name: WORK for name in ROUTES}
    documents += [
        ("role", "role-worker", role("role-worker", worker, "self", every_form)),
        ("role", "role-reader", role("role-reader", {name: ["read", "view_history"] for name in ROUTES}, "all",
                                     {uid: "r" for uid in every_form})),
        ("role", "role-identity", role("role-identity", {name: ["read", "write"] for name in ROUTES}, "all",
                                       {"basic_identity": "rw", "cp_incident_form": "rw"})),
        ("role", "role-guest", role("role-guest", {"audit_log": ["read"]}, "all")),
    ]
    return Configuration.from_documents(documents)


@pytest.fixture(params=BACKENDS)
def office(request):
    with app_on(backend_uri(request)) as app:
        token = seed(app, configuration())
        people = {"admin": authenticated(app, token)}
        for name, role_id in (("awa", "role-worker"), ("kofi", "role-worker"), ("sika", "role-reader"),
                              ("noor", "role-identity"), ("guest", "role-guest")):
            people[name] = authenticated(app, make_user(app, name, role_id, "gups-natitingou"))
        yield app, people


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code, error
    return error


def new_record(client, record_type: str = "case") -> dict:
    return ok(client.post(f"/api/v1/{ROUTES[record_type]}", json={"data": {}}), 201)["data"]


def multipart(name: bytes, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with the part `file` (built here: werkzeug's test client leaves the temporary file
    of a large body open)."""
    boundary = "abri-boundary-7"
    body = (f"--{boundary}\r\n".encode() + b'Content-Disposition: form-data; name="file"; filename="' + name
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + data + f"\r\n--{boundary}--\r\n".encode())
    return body, f"multipart/form-data; boundary={boundary}"


def upload(client, record_id: str, field_name: str, data: bytes, name: str = "photo.jpg", record_type: str = "case",
           **kwargs):
    body, content_type = multipart(name.encode(), data)
    return client.post(f"/api/v1/{ROUTES[record_type]}/{record_id}/attachments/{field_name}", data=body,
                       content_type=content_type, **kwargs)


def stored_files(app) -> int:
    with app.app_context():
        return get_db()[FILES].count_documents({})


def files_of(client, record_id: str, record_type: str = "case") -> list[dict]:
    return ok(client.get(f"/api/v1/{ROUTES[record_type]}/{record_id}/attachments"))["data"]


@pytest.mark.parametrize("record_type", list(ROUTES))
def test_a_photo_goes_up_stripped_of_its_gps_and_comes_back_byte_for_byte_then_goes(office, record_type):
    app, people = office
    awa = people["awa"]
    record = new_record(awa, record_type)
    base = f"/api/v1/{ROUTES[record_type]}/{record['id']}"
    original = camera_jpeg()
    answer = upload(awa, record["id"], "photos", original, "IMG_2041.JPG", record_type)
    body = ok(answer, 201)
    file = body["data"]
    expected = media.strip(original, media.JPEG)
    assert (file["field"], file["file_name"], file["content_type"], file["size"], file["uploaded_by"]) == (
        "photos", "IMG_2041.jpg", "image/jpeg", len(expected), "awa")
    assert answer.headers["ETag"] == '"2"' and body["meta"]["revision"] == 2
    assert answer.headers["Location"] == f"{base}/attachments/{file['id']}"
    assert ok(awa.get(base))["data"]["data"]["photos"] == [file["id"]]
    assert files_of(awa, record["id"], record_type) == [file]

    download = awa.get(f"{base}/attachments/{file['id']}")
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert download.data == expected and LATITUDE not in download.data and PLACE_TEXT not in download.data
    assert download.headers["Content-Disposition"] == \
        "attachment; filename=\"IMG_2041.jpg\"; filename*=UTF-8''IMG_2041.jpg"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"].startswith("sandbox")
    assert download.headers["Cache-Control"] == "private, no-store"
    assert hashlib.sha256(download.data).hexdigest() == file["sha256"]

    deleted = awa.delete(f"{base}/attachments/{file['id']}", headers={"If-Match": '"2"'})
    assert deleted.status_code == 204 and deleted.headers["ETag"] == '"3"'
    assert files_of(awa, record["id"], record_type) == []
    assert "photos" not in ok(awa.get(base))["data"]["data"]
    refused(awa.get(f"{base}/attachments/{file['id']}"), 404, "NOT_FOUND")
    assert stored_files(app) == 0
    history = ok(awa.get(f"{base}/history"))["data"]
    assert [entry["action"] for entry in history[:2]] == ["detach", "attach"]
    assert history[1]["changes"]["photos"] == {"from": None, "to": [file["id"]],
                                               "added": [{"id": file["id"], "file_name": "IMG_2041.jpg"}]}
    assert history[0]["changes"]["photos"]["removed"] == [{"id": file["id"], "file_name": "IMG_2041.jpg"}]


def test_each_role_may_do_what_its_forms_say_and_no_more(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    file = ok(upload(awa, case["id"], "photos", camera_jpeg()), 201)["data"]
    base = f"/api/v1/cases/{case['id']}/attachments"
    one = f"{base}/{file['id']}"
    # sika reads every case and the files form: she lists and downloads, but may not add or delete
    assert files_of(people["sika"], case["id"]) == [file]
    assert people["sika"].get(one).status_code == 200
    error = refused(upload(people["sika"], case["id"], "photos", camera_jpeg()), 403, "PERMISSION_DENIED")
    assert "write" in error["message"]
    # noor writes cases but not the files form: the field is unknown to her, its files are not found
    assert files_of(people["noor"], case["id"]) == []
    assert "photos" not in ok(people["noor"].get(f"/api/v1/cases/{case['id']}"))["data"]["data"]
    refused(people["noor"].get(one), 404, "NOT_FOUND")
    refused(people["noor"].delete(one), 404, "NOT_FOUND")
    error = refused(upload(people["noor"], case["id"], "photos", camera_jpeg()), 404, "ATTACHMENT_FIELD_UNKNOWN")
    assert error["message"] == "This record has no field for files named photos (its fields for files: none)."
    # kofi has the same role, but the case is not his: as if it did not exist
    for response in (people["kofi"].get(base), people["kofi"].get(one), people["kofi"].delete(one),
                     upload(people["kofi"], case["id"], "photos", camera_jpeg())):
        refused(response, 404, "NOT_FOUND")
    # guest may not read cases at all: 403 before anything is looked up, even for a case that does not exist
    for case_id in (case["id"], str(uuid.uuid4())):
        for response in (people["guest"].get(f"/api/v1/cases/{case_id}/attachments"),
                         people["guest"].get(f"/api/v1/cases/{case_id}/attachments/{file['id']}"),
                         people["guest"].delete(f"/api/v1/cases/{case_id}/attachments/{file['id']}"),
                         upload(people["guest"], case_id, "photos", camera_jpeg())):
            refused(response, 403, "PERMISSION_DENIED")
    assert stored_files(app) == 1


def test_a_field_readable_but_not_writable_is_refused_before_the_record_is_looked_up(office):
    app, people = office
    documents = [(kind, uid, copy.deepcopy(body)) for kind, uid, body in configuration().documents()]
    for kind, uid, body in documents:
        if uid == "role-identity":
            body["form_section_read_write"]["case_files"] = "r"
    admin = people["admin"]
    draft = admin.put("/api/v1/roles/role-identity", json={"data": next(b for k, u, b in documents
                                                                        if u == "role-identity")})
    assert draft.status_code == 200, draft.get_json()
    ok(admin.post("/api/v1/metadata/publish", json={}), 201)
    error = refused(upload(people["noor"], str(uuid.uuid4()), "photos", camera_jpeg()), 403, "FIELDS_FORBIDDEN")
    assert error["details"] == [{"field": "/photos", "code": "forbidden", "message": "Not writable with your role."}]
    awa_case = new_record(people["awa"])
    file = ok(upload(people["awa"], awa_case["id"], "photos", camera_jpeg()), 201)["data"]
    refused(people["noor"].delete(f"/api/v1/cases/{awa_case['id']}/attachments/{file['id']}"), 403,
            "FIELDS_FORBIDDEN")
    assert people["noor"].get(f"/api/v1/cases/{awa_case['id']}/attachments/{file['id']}").status_code == 200


def test_a_file_must_be_of_a_kind_its_field_takes_by_its_bytes_whatever_its_name(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    error = refused(upload(awa, case["id"], "photos", b"GIF89a\x01\x00\x01\x00" + b"\0" * 20, "x.jpg"), 415,
                    "ATTACHMENT_TYPE_REFUSED")
    assert error["message"] == ("The field photos takes only these kinds of file: image/jpeg, image/png, image/webp. "
                                "The content of this file is none of them (unknown). Nothing was stored.")
    refused(upload(awa, case["id"], "photos", PDF, "scan.jpg"), 415, "ATTACHMENT_TYPE_REFUSED")
    refused(upload(awa, case["id"], "recordings", camera_jpeg(), "voice.m4a"), 415, "ATTACHMENT_TYPE_REFUSED")
    refused(upload(awa, case["id"], "photos", camera_jpeg()[:300]), 422, "ATTACHMENT_DAMAGED")
    assert stored_files(app) == 0
    scan = ok(upload(awa, case["id"], "documents", PDF, "rapport"), 201)["data"]
    assert (scan["file_name"], scan["content_type"], scan["size"]) == ("rapport.pdf", "application/pdf", len(PDF))
    picture = ok(upload(awa, case["id"], "documents", camera_png(), "scan.pdf"), 201)["data"]
    assert (picture["file_name"], picture["content_type"]) == ("scan.pdf.png", "image/png")
    assert b"Awa" not in awa.get(f"/api/v1/cases/{case['id']}/attachments/{picture['id']}").data


def test_a_file_over_its_fields_limit_is_refused_and_nothing_is_stored(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    big = PDF + b"%" + b"x" * 60_000
    error = refused(upload(awa, case["id"], "documents", big, "gros.pdf"), 413, "ATTACHMENT_TOO_LARGE")
    assert error["message"] == ("The file is too large for the field documents, which takes files of at most 0.05 MB. "
                                "Nothing was stored.")
    french = upload(awa, case["id"], "documents", big, "gros.pdf", query_string={"locale": "fr"})
    assert refused(french, 413, "ATTACHMENT_TOO_LARGE")["message"].startswith("Le fichier est trop volumineux")
    assert stored_files(app) == 0
    assert ok(awa.get(f"/api/v1/cases/{case['id']}"))["data"]["revision"] == 1


def test_a_photo_larger_than_the_body_limit_but_within_its_field_is_taken(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    large = camera_jpeg().replace(b"\x12\xff\x00\x34", b"\x12" + b"\x55" * 3_000_000 + b"\xff\x00\x34")
    assert len(large) > app.config["MAX_CONTENT_LENGTH"]
    file = ok(upload(awa, case["id"], "photos", large), 201)["data"]
    assert file["size"] == len(media.strip(large, media.JPEG))


@pytest.fixture(params=BACKENDS)
def capped(request):
    """The same office with ATTACHMENT_MAX_MB=1."""
    with app_on(backend_uri(request), ATTACHMENT_MAX_MB=1) as app:
        yield app, authenticated(app, seed(app, configuration()))


def test_the_deployment_cap_lowers_every_fields_limit(capped):
    app, admin = capped
    case = new_record(admin)
    large = camera_jpeg().replace(b"\x12\xff\x00\x34", b"\x12" + b"\x55" * 1_100_000 + b"\xff\x00\x34")
    error = refused(upload(admin, case["id"], "photos", large), 413, "ATTACHMENT_TOO_LARGE")
    assert "at most 1 MB" in error["message"]
    assert stored_files(app) == 0


def test_a_full_field_refuses_another_file(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    for _ in range(3):
        ok(upload(awa, case["id"], "photos", camera_jpeg()), 201)
    error = refused(upload(awa, case["id"], "photos", camera_jpeg()), 409, "ATTACHMENTS_FULL")
    assert error["message"] == "The field photos already holds 3 files, as many as it takes: delete one first."
    assert len(files_of(awa, case["id"])) == 3 and stored_files(app) == 3


@pytest.mark.parametrize("sent,kept", [
    (b"../../etc/passwd", "passwd.jpg"), (b"..\\..\\boot.ini", "boot.ini.jpg"),
    ("photo\u202egpj.exe".encode(), "photogpj.exe.jpg"), (b"a\x01b\x7f.JPEG", "ab.jpeg"),
    ("Photo d'Afi é.jpg".encode(), "Photo d'Afi é.jpg"),
    (b"x" * 5000 + b".jpg", "x" * 196 + ".jpg"), (b"", "file.jpg"), (b"...", "file.jpg")])
def test_hostile_file_names_are_cleaned_and_sent_back_safely(office, sent, kept):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    body, content_type = multipart(sent, camera_jpeg())
    file = ok(awa.post(f"/api/v1/cases/{case['id']}/attachments/photos", data=body, content_type=content_type),
              201)["data"]
    name = file["file_name"]
    if kept is not None:
        assert name == kept
    assert name.endswith(".jpg") or name.endswith(".jpeg")
    assert "/" not in name and "\\" not in name and not any(ord(c) < 32 or 0x202a <= ord(c) <= 0x202e for c in name)
    assert len(name) <= 200 and not any(0xD800 <= ord(c) <= 0xDFFF for c in name)
    disposition = awa.get(f"/api/v1/cases/{case['id']}/attachments/{file['id']}").headers["Content-Disposition"]
    disposition.encode("ascii")  # the header is plain ASCII: the name is in filename* percent-encoded
    assert disposition.startswith('attachment; filename="') and "filename*=UTF-8''" in disposition


def test_a_name_of_broken_utf8_is_cleaned_or_its_part_unreadable(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    url = f"/api/v1/cases/{case['id']}/attachments/photos"
    body, content_type = multipart(b"\xff\xfe\xc3(.jpg", camera_jpeg())  # raw bytes: the part cannot be read
    refused(awa.post(url, data=body, content_type=content_type), 422, "BODY_INVALID")
    encoded = body.replace(b'filename="\xff\xfe\xc3(.jpg"', b"filename*=UTF-8''%ff%fe%c3%28.jpg")
    file = ok(awa.post(url, data=encoded, content_type=content_type), 201)["data"]
    assert file["file_name"].endswith(".jpg") and not any(0xD800 <= ord(c) <= 0xDFFF for c in file["file_name"])
    assert stored_files(app) == 1


def test_a_body_without_a_file_part_says_how_to_send_it(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    url = f"/api/v1/cases/{case['id']}/attachments/photos"
    for response in (awa.post(url, json={"data": {}}), awa.post(url, data=camera_jpeg(), content_type="image/jpeg"),
                     awa.post(url, data={"other": (io.BytesIO(b"x"), "x.jpg")}, content_type="multipart/form-data")):
        error = refused(response, 422, "BODY_INVALID")
        assert error["details"][0]["field"] == "file" and "multipart/form-data" in error["message"]


@pytest.mark.parametrize("office", ["secantus"], indirect=True)  # threads: mongomock has no lock
def test_concurrent_uploads_to_one_record_lose_no_file(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    token = awa.environ_base["HTTP_AUTHORIZATION"].split()[1]
    answers = []

    def send(number: int) -> None:
        client = authenticated(app, token)
        answers.append(upload(client, case["id"], "documents", PDF, f"page-{number}.pdf"))
    threads = [threading.Thread(target=send, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(response.status_code for response in answers) == [201] * 6
    held = ok(awa.get(f"/api/v1/cases/{case['id']}"))["data"]
    assert sorted(held["data"]["documents"]) == sorted(r.get_json()["data"]["id"] for r in answers)
    assert held["revision"] == 7 and stored_files(app) == 6


def test_a_stale_if_match_is_412_and_leaves_no_bytes_behind(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    ok(awa.patch(f"/api/v1/cases/{case['id']}", json={"data": {"name": "Afi"}}))
    error = refused(upload(awa, case["id"], "photos", camera_jpeg(), headers={"If-Match": '"1"'}), 412,
                    "STALE_REVISION")
    assert "revision 2" in error["message"]
    assert stored_files(app) == 0
    ok(upload(awa, case["id"], "photos", camera_jpeg(), headers={"If-Match": '"2"'}), 201)
    ok(awa.delete(f"/api/v1/cases/{case['id']}"))
    refused(upload(awa, case["id"], "photos", camera_jpeg()), 409, "RECORD_DISABLED")
    assert stored_files(app) == 1


def test_a_record_write_can_keep_the_files_of_a_field_but_never_change_them(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    file = ok(upload(awa, case["id"], "photos", camera_jpeg()), 201)["data"]
    url = f"/api/v1/cases/{case['id']}"
    kept = ok(awa.patch(url, json={"data": {"photos": [file["id"]], "notes": "Vue à l'école"}}))["data"]
    assert kept["data"]["photos"] == [file["id"]]
    for value in ([file["id"], str(uuid.uuid4())], [], None):
        error = refused(awa.patch(url, json={"data": {"photos": value}}), 422, "RECORD_INVALID")
        assert [(d["field"], d["code"]) for d in error["details"]] == [("/photos", "attachments_only")]
    error = refused(awa.post("/api/v1/cases", json={"data": {"photos": [file["id"]]}}), 422, "RECORD_INVALID")
    assert error["details"][0]["code"] == "attachments_only"
    schema = ok(awa.get("/api/v1/schemas/case"))["data"]
    assert schema["properties"]["photos"]["readOnly"] is True


def test_an_id_written_before_files_were_checked_is_listed_nowhere_and_can_be_deleted(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    stray = str(uuid.uuid4())
    with app.app_context():  # a record written by an earlier release, whose PATCH took any uuid
        get_db()["case"].update_one({"_id": case["id"]}, {"$set": {"data.photos": [stray]}})
    assert files_of(awa, case["id"]) == []
    refused(awa.get(f"/api/v1/cases/{case['id']}/attachments/{stray}"), 404, "NOT_FOUND")
    assert awa.delete(f"/api/v1/cases/{case['id']}/attachments/{stray}").status_code == 204
    assert "photos" not in ok(awa.get(f"/api/v1/cases/{case['id']}"))["data"]["data"]
    refused(awa.delete(f"/api/v1/cases/{case['id']}/attachments/not-an-id"), 404, "NOT_FOUND")


def test_an_export_names_the_files_and_never_links_to_them(office):
    app, people = office
    admin = people["admin"]
    case = new_record(admin)
    ok(admin.patch(f"/api/v1/cases/{case['id']}", json={"data": {"name": "Afi"}}))
    ok(upload(admin, case["id"], "photos", camera_jpeg(), "visage.jpg"), 201)
    ok(upload(admin, case["id"], "documents", PDF, "acte de naissance.pdf"), 201)
    job = ok(admin.post("/api/v1/exports", json={"data": {"record_type": "case"}}), 202)["data"]
    assert run_once(app, "test-worker")
    download = admin.get(f"/api/v1/exports/{job['id']}/file")
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    sheet = next(sheet for sheet in book.worksheets if sheet.title.startswith("Case files"))
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header, values = rows[0], rows[1]
    assert values[header.index("Photos")] == "visage.jpg"
    assert values[header.index("Documents")] == "acte de naissance.pdf"
    assert "/attachments/" not in str(rows) and not any(cell.hyperlink for row in sheet.iter_rows() for cell in row)
    job = ok(admin.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "json"}}), 202)["data"]
    assert run_once(app, "test-worker")
    exported = json.loads(admin.get(f"/api/v1/exports/{job['id']}/file").get_data())["data"][0]["data"]
    assert (exported["photos"], exported["documents"]) == (["visage.jpg"], ["acte de naissance.pdf"])


def test_a_device_pulls_the_files_references_and_fetches_them_with_its_credential(office, settled):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    file = ok(upload(awa, case["id"], "photos", camera_jpeg(), "visage.jpg"), 201)["data"]
    registered = ok(awa.post("/api/v1/devices", json={"data": {"id": str(uuid.uuid4()), "name": "Tablette 3"}}),
                    201)
    tablet = authenticated(app, registered["data"]["credential"])
    pulled = ok(tablet.get("/api/v1/sync/records"))["data"]
    item = next(item for item in pulled if item["id"] == case["id"])
    assert item["record"]["data"]["photos"] == [file["id"]]
    assert item["attachments"] == [file]
    fetched = tablet.get(f"/api/v1/cases/{case['id']}/attachments/{file['id']}")
    assert fetched.status_code == 200 and hashlib.sha256(fetched.data).hexdigest() == file["sha256"]
    noor_items = ok(people["noor"].get("/api/v1/sync/records"))["data"]
    assert next(i for i in noor_items if i["id"] == case["id"])["attachments"] == []


def test_every_action_is_audited_without_the_file_name_refusals_too(office):
    app, people = office
    awa = people["awa"]
    case = new_record(awa)
    file = ok(upload(awa, case["id"], "photos", camera_jpeg(), "Afi Houngbedji.jpg"), 201)["data"]
    refused(upload(awa, case["id"], "photos", PDF, "Afi.pdf"), 415, "ATTACHMENT_TYPE_REFUSED")
    awa.get(f"/api/v1/cases/{case['id']}/attachments/{file['id']}")
    refused(people["kofi"].get(f"/api/v1/cases/{case['id']}/attachments/{file['id']}"), 404, "NOT_FOUND")
    entries = ok(people["admin"].get("/api/v1/audit_logs", query_string={"per_page": 100}))["data"]
    mine = [(e["action"], e["user_name"], e["status"]) for e in entries if "attach" in e["action"]]
    assert ("attach", "awa", 201) in mine and ("attach", "awa", 415) in mine
    assert ("download_attachment", "awa", None) in mine or ("download_attachment", "awa", 200) in mine
    assert ("download_attachment", "kofi", 404) in mine
    assert "Afi" not in str(entries)


@pytest.fixture(params=BACKENDS)
def shipped(request):
    """The shipped configuration (its photos, audio and documents forms) with an identity photo field in the
    identity form; a GUPS case worker and a police focal point of another agency."""
    with app_on(backend_uri(request)) as app:
        with app.app_context():
            languages = LanguageSettings(("en", "fr"), "en")
            bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", languages)
            documents = [(kind, uid, copy.deepcopy(body))
                         for kind, uid, body in published_configuration(get_db()).documents()]
            forms = {uid: body for kind, uid, body in documents if kind == "form"}
            forms["basic_identity"]["fields"].append(field("identity_photo", "photo_upload_box"))
            publish_configuration(get_db(), Configuration.from_documents(documents), languages, "tester",
                                  datetime.now(timezone.utc), "files")
        yield app, {name: authenticated(app, make_user(app, name, role_id, agency))
                    for name, role_id, agency in (("awa", "role-case-worker", "gups-natitingou"),
                                                  ("police", "role-focal-point", "brigade-mineurs"))}


def test_a_referral_recipient_gets_the_files_of_the_forms_their_role_reads_while_it_lasts(shipped):
    app, people = shipped
    awa, police = people["awa"], people["police"]
    consent = {"consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}
    case = ok(awa.post("/api/v1/cases", json={"data": {"registration_date": "2026-11-02", "name_first": "Afi",
                                                       "sex": "female", "risk_level": "medium", **consent}}),
              201)["data"]
    photo = ok(upload(awa, case["id"], "identity_photo", camera_jpeg()), 201)["data"]
    report = ok(upload(awa, case["id"], "other_documents", PDF, "evaluation.pdf"), 201)["data"]
    portrait = ok(upload(awa, case["id"], "photos", camera_png()), 201)["data"]
    assert {f["id"]: f["field"] for f in files_of(awa, case["id"])} == {
        photo["id"]: "identity_photo", report["id"]: "other_documents", portrait["id"]: "photos"}
    base = f"/api/v1/cases/{case['id']}/attachments"
    refused(police.get(base), 404, "NOT_FOUND")
    referral = ok(awa.post(f"/api/v1/cases/{case['id']}/referrals", json={"data": {"to_user": "police"}}))
    transition = referral["meta"]["transition_id"]
    # identity: read; the shipped photos and documents forms: not for a police focal point
    assert files_of(police, case["id"]) == [photo]
    assert police.get(f"{base}/{photo['id']}").data == media.strip(camera_jpeg(), media.JPEG)
    refused(police.get(f"{base}/{report['id']}"), 404, "NOT_FOUND")
    refused(police.get(f"{base}/{portrait['id']}"), 404, "NOT_FOUND")
    refused(upload(police, case["id"], "identity_photo", camera_jpeg()), 403, "PERMISSION_DENIED")
    ok(awa.post(f"/api/v1/cases/{case['id']}/referrals/{transition}/revoke", json={"data": {}}))
    refused(police.get(f"{base}/{photo['id']}"), 404, "NOT_FOUND")
