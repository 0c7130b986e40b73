"""Exports say what they hold: disabled records, translated envelope values, one date format, the incident's case,
a workbook that prints. Read back as a partner would (openpyxl, csv, json)."""
import csv
import io
import json
import re
import zipfile
from datetime import datetime

import openpyxl
import pytest

from server.services.workers import run_once
from tests.builders import field, make_user, publish, role
from tests.conftest import authenticated
from tests.export.test_exports import export, rows

ISO_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
SHOWN = {"yyyy-mm-dd": "%Y-%m-%d", 'yyyy-mm-dd"T"hh:mm:ss"Z"': "%Y-%m-%dT%H:%M:%SZ"}


def book_of(response):
    return openpyxl.load_workbook(io.BytesIO(response.data))


def table(sheet) -> list[dict]:
    """The rows of a sheet as {header: value}."""
    header, *body = rows(sheet)
    return [dict(zip(header, row)) for row in body]


def csv_tables(response) -> dict[str, list[dict]]:
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    return {name: list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            for name in archive.namelist()}


def about(book) -> dict:
    return {row[0]: row[1] for row in rows(book.worksheets[-1])}


def shown(cell) -> str:
    """The text Excel shows for a date cell (the number formats exports use)."""
    assert isinstance(cell.value, datetime), cell.value
    return cell.value.strftime(SHOWN[cell.number_format])


@pytest.fixture
def two_cases(backend_client):
    """Awa's case, enabled, and Koffi's, disabled; each with one family member."""
    made = {}
    for name in ("Awa", "Koffi"):
        response = backend_client.post("/api/v1/cases", json={"data": {
            "name": name, "family_members": [{"relation_name": f"Mother of {name}"}]}})
        assert response.status_code == 201
        made[name] = response.get_json()["data"]
    assert backend_client.delete(f"/api/v1/cases/{made['Koffi']['id']}").status_code == 200
    return made


def test_disabled_records_are_left_out_unless_asked_for_and_then_marked(backend_app, backend_client, two_cases):
    awa, koffi = two_cases["Awa"]["case_id_display"], two_cases["Koffi"]["case_id_display"]
    job, response = export(backend_client, backend_app)
    book = book_of(response)
    assert job["include_disabled"] is False and job["total"] == 1
    assert [row["Name"] for row in table(book["Basic identity"])] == ["Awa"]
    assert "Record state" not in rows(book["Basic identity"])[0]
    assert [row["Record id"] for row in table(book["Family members"])] == [awa]
    assert about(book)["Disabled records"] == "Left out"

    job, response = export(backend_client, backend_app, include_disabled=True)
    book = book_of(response)
    assert job["include_disabled"] is True and job["total"] == 2
    assert rows(book["Basic identity"])[0][:5] == ["Record id", "Short id", "Status", "Record state", "Owner"]
    assert {row["Name"]: row["Record state"] for row in table(book["Basic identity"])} == {
        "Awa": "Enabled record", "Koffi": "Disabled record"}
    assert rows(book["Family members"])[0][:3] == ["Record id", "Record state", "Row id"]
    assert {(row["Record id"], row["Relation name"], row["Record state"]) for row in table(book["Family members"])} == {
        (awa, "Mother of Awa", "Enabled record"), (koffi, "Mother of Koffi", "Disabled record")}
    assert about(book)["Disabled records"] == "Included, marked in the column Record state"


def test_csv_and_json_leave_disabled_records_out_and_mark_them_when_asked(backend_app, backend_client, two_cases):
    _, response = export(backend_client, backend_app, format="csv")
    assert [row["Name"] for row in csv_tables(response)["Basic identity.csv"]] == ["Awa"]
    _, response = export(backend_client, backend_app, format="csv", include_disabled=True)
    tables = csv_tables(response)
    assert {row["Name"]: row["Record state"] for row in tables["Basic identity.csv"]} == {
        "Awa": "Enabled record", "Koffi": "Disabled record"}
    assert {row["Relation name"]: row["Record state"] for row in tables["Family members.csv"]} == {
        "Mother of Awa": "Enabled record", "Mother of Koffi": "Disabled record"}

    _, response = export(backend_client, backend_app, format="json")
    document = json.loads(response.data)
    assert [r["data"]["name"] for r in document["data"]] == ["Awa"]
    assert document["meta"]["include_disabled"] is False and document["meta"]["records"] == 1
    _, response = export(backend_client, backend_app, format="json", include_disabled=True)
    document = json.loads(response.data)
    marks = {r["data"]["name"]: (r["record_state"], r["labels"]["record_state"]) for r in document["data"]}
    assert marks == {"Awa": (True, "Enabled record"), "Koffi": (False, "Disabled record")}
    assert document["meta"]["include_disabled"] is True and document["meta"]["records"] == 2


def test_only_roles_that_read_the_records_may_ask_for_disabled_ones(backend_app, backend_client, two_cases):
    assert backend_client.post("/api/v1/roles", json={"data": role(
        "role-exporter", {"case": ["export_xlsx"]}, "all")}).status_code == 201
    publish(backend_client)
    exporter = authenticated(backend_app, make_user(backend_app, "exporter", "role-exporter"))
    refused = exporter.post("/api/v1/exports", json={"data": {"record_type": "case", "include_disabled": True}})
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert error["code"] == "PERMISSION_DENIED" and [d["field"] for d in error["details"]] == ["/include_disabled"]
    assert exporter.get("/api/v1/exports").get_json()["meta"]["total"] == 0  # nothing queued
    french = exporter.post("/api/v1/exports?locale=fr",
                           json={"data": {"record_type": "case", "include_disabled": True}})
    assert "dossiers désactivés" in french.get_json()["error"]["message"]


def test_a_state_filter_cannot_bring_disabled_records_in_unasked(backend_app, backend_client, two_cases):
    for value in (False, "false", "true,false", [True, False]):
        refused = backend_client.post("/api/v1/exports", json={"data": {
            "record_type": "case", "filters": {"record_state": value}}})
        assert refused.status_code == 422, value
        assert [d["field"] for d in refused.get_json()["error"]["details"]] == ["/filters/record_state"]
    job, response = export(backend_client, backend_app, filters={"record_state": False}, include_disabled=True)
    assert [row["Name"] for row in table(book_of(response)["Basic identity"])] == ["Koffi"]
    _, response = export(backend_client, backend_app, filters={"record_state": True})
    assert [row["Name"] for row in table(book_of(response)["Basic identity"])] == ["Awa"]


def test_a_role_that_stops_reading_records_gets_no_disabled_ones_from_a_queued_export(backend_app, backend_client,
                                                                                       two_cases):
    assert backend_client.post("/api/v1/roles", json={"data": role(
        "role-partner", {"case": ["read", "export_xlsx"]}, "all")}).status_code == 201
    publish(backend_client)
    partner = authenticated(backend_app, make_user(backend_app, "partner", "role-partner"))
    queued = partner.post("/api/v1/exports", json={"data": {"record_type": "case", "include_disabled": True}})
    assert queued.status_code == 202
    assert backend_client.patch("/api/v1/roles/role-partner", json={"data": {
        "permissions": {"case": ["export_xlsx"]}}}).status_code == 200
    publish(backend_client)
    assert run_once(backend_app, "test-worker")
    job = partner.get(f"/api/v1/exports/{queued.get_json()['data']['id']}").get_json()["data"]
    assert job["status"] == "failed" and "disabled records" in job["errors"][0]
    assert partner.get(f"/api/v1/exports/{job['id']}/file").status_code == 403


CASE_STATUS = {"unique_id": "lookup-case-status", "name_i18n": {"en": "Case status", "fr": "Statut du dossier"},
               "lookup_values_i18n": [{"id": "open", "display_text": {"en": "Open", "fr": "Ouvert"}},
                                      {"id": "closed", "display_text": {"en": "Closed", "fr": "Fermé"}}]}


def test_statuses_and_states_are_translated_like_lookup_values(backend_app, backend_client, two_cases):
    assert backend_client.post("/api/v1/lookups", json={"data": CASE_STATUS}).status_code == 201
    publish(backend_client)
    _, french = export(backend_client, backend_app, locale="fr", include_disabled=True)
    sheet = table(book_of(french)["Basic identity (fr)"])
    assert {row["Name (fr)"]: (row["Statut"], row["État du dossier"]) for row in sheet} == {
        "Awa": ("Ouvert", "Dossier actif"), "Koffi": ("Ouvert", "Dossier désactivé")}
    assert about(book_of(french))["Dossiers désactivés"] == "Inclus, signalés dans la colonne État du dossier"
    _, english = export(backend_client, backend_app, locale="en")
    assert [row["Status"] for row in table(book_of(english)["Basic identity"])] == ["Open"]
    _, codes = export(backend_client, backend_app, locale="fr", codes=True, include_disabled=True)
    assert {(row["Statut"], row["État du dossier"]) for row in table(book_of(codes)["Basic identity (fr)"])} == {
        ("open", "true"), ("open", "false")}
    _, as_csv = export(backend_client, backend_app, locale="fr", format="csv")
    assert [row["Statut"] for row in csv_tables(as_csv)["Basic identity (fr).csv"]] == ["Ouvert"]


def test_json_records_carry_the_labels_of_their_envelope_values(backend_app, backend_client):
    assert backend_client.post("/api/v1/lookups", json={"data": CASE_STATUS}).status_code == 201
    publish(backend_client)
    worker = authenticated(backend_app, make_user(backend_app, "worker", "role-system-administrator", "ngo-a"))
    assert backend_client.patch("/api/v1/agencies/ngo-a", json={"data": {
        "name_i18n": {"en": "Children first", "fr": "Les enfants d'abord"}}}).status_code == 200
    assert worker.post("/api/v1/cases", json={"data": {"name": "Awa"}}).status_code == 201
    _, response = export(backend_client, backend_app, format="json", locale="fr")
    record = json.loads(response.data)["data"][0]
    assert (record["status"], record["module_id"], record["owned_by_agency"]) == ("open", "primeromodule-cp", "ngo-a")
    assert record["labels"] == {"status": "Ouvert", "record_state": "Dossier actif",
                                "module_id": "Protection de l'enfance", "owned_by_agency": "Les enfants d'abord"}
    _, codes = export(backend_client, backend_app, format="json", locale="fr", codes=True)
    assert "labels" not in json.loads(codes.data)["data"][0]


def test_dates_and_times_read_the_same_in_json_csv_and_xlsx(backend_app, backend_client):
    admin = backend_client
    for form_id, body in (("basic_identity", field("seen_at", "date_field", date_include_time=True)),
                          ("family_members_section", field("relation_since", "date_field"))):
        assert admin.post(f"/api/v1/forms/{form_id}/fields", json={"data": body}).status_code == 200
    publish(admin)
    assert admin.post("/api/v1/cases", json={"data": {
        "name": "Awa", "date_of_birth": "2020-01-31", "seen_at": "2024-05-31T14:30:45.678+01:00",
        "family_members": [{"relation_name": "Mère", "relation_since": "2019-02-28"}]}}).status_code == 201

    _, as_json = export(admin, backend_app, format="json")
    document = json.loads(as_json.data)
    record = document["data"][0]
    assert (record["data"]["date_of_birth"], record["data"]["seen_at"]) == ("2020-01-31", "2024-05-31T13:30:45Z")
    assert record["data"]["family_members"][0]["relation_since"] == "2019-02-28"
    assert ISO_DATETIME.fullmatch(record["created_at"]) and ISO_DATETIME.fullmatch(document["meta"]["exported_at"])
    expected = {"Date of birth": "2020-01-31", "Seen at": "2024-05-31T13:30:45Z", "Created": record["created_at"],
                "Last updated": record["last_updated_at"]}

    _, as_csv = export(admin, backend_app, format="csv")
    tables = csv_tables(as_csv)
    assert {name: tables["Basic identity.csv"][0][name] for name in expected} == expected
    assert tables["Family members.csv"][0]["Relation since"] == "2019-02-28"
    assert ISO_DATETIME.fullmatch(dict(tuple(row) for row in csv.reader(io.StringIO(
        zipfile.ZipFile(io.BytesIO(as_csv.data)).read("About this export.csv").decode("utf-8-sig"))))[
        "Exported at (UTC)"])

    _, as_xlsx = export(admin, backend_app)
    book = book_of(as_xlsx)
    sheet = book["Basic identity"]
    header = rows(sheet)[0]
    assert {name: shown(sheet.cell(row=2, column=header.index(name) + 1)) for name in expected} == expected
    members = book["Family members"]
    assert shown(members.cell(row=2, column=rows(members)[0].index("Relation since") + 1)) == "2019-02-28"
    exported_at = next(row for row in book.worksheets[-1].iter_rows() if row[0].value == "Exported at (UTC)")[1]
    assert ISO_DATETIME.fullmatch(shown(exported_at))


def test_incident_exports_carry_the_linked_case(backend_app, backend_client):
    admin = backend_client
    case = admin.post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    linked = admin.post(f"/api/v1/cases/{case['id']}/incidents", json={"data": {"incident_date": "2024-03-01"}})
    alone = admin.post("/api/v1/incidents", json={"data": {"incident_date": "2024-04-01"}})
    assert linked.status_code == alone.status_code == 201
    # A role that reads incidents and nothing of cases still gets the link: the API shows it on every incident.
    assert admin.post("/api/v1/roles", json={"data": role(
        "role-incident-analyst", {"incident": ["read", "export_xlsx", "export_csv", "export_json",
                                               "export_identifying"]},
        "all")}).status_code == 201
    publish(admin)
    analyst = authenticated(backend_app, make_user(backend_app, "analyst", "role-incident-analyst"))
    assert analyst.get(f"/api/v1/cases/{case['id']}").status_code == 403

    _, response = export(analyst, backend_app, record_type="incident")
    sheet = book_of(response).worksheets[0]
    assert rows(sheet)[0][:4] == ["Record id", "Short id", "Linked case", "Status"]
    assert {row["Incident date"].date().isoformat(): row["Linked case"] for row in table(sheet)} == {
        "2024-03-01": case["case_id_display"], "2024-04-01": None}
    _, response = export(analyst, backend_app, record_type="incident", format="csv")
    assert {row["Incident date"]: row["Linked case"] for row in csv_tables(response)["Cp incident form.csv"]} == {
        "2024-03-01": case["case_id_display"], "2024-04-01": ""}
    _, response = export(analyst, backend_app, record_type="incident", format="json")
    links = {r["data"]["incident_date"]: (r.get("case_id"), r.get("case_id_display"))
             for r in json.loads(response.data)["data"]}
    assert links == {"2024-03-01": (case["id"], case["case_id_display"]), "2024-04-01": (None, None)}
    assert "Awa" not in response.data.decode()


def test_a_workbook_prints_landscape_across_one_page_with_its_header_row_on_each_page(app, client):
    client.post("/api/v1/cases", json={"data": {"name": "Awa", "date_of_birth": "2020-01-31",
                                                "family_members": [{"relation_name": "Mère"}]}})
    for locale, title, page in (("en", "Export of cases", "Page &P of &N"), ("fr", "Export des dossiers",
                                                                           "Page &P sur &N")):
        job, response = export(client, app, locale=locale)
        book = book_of(response)
        for sheet in book.worksheets:
            setup = sheet.page_setup
            assert (setup.orientation, int(setup.paperSize)) == ("landscape", 9), sheet.title
            assert sheet.sheet_properties.pageSetUpPr.fitToPage
            # one page wide (absent: 1, the OOXML default), as many pages tall as needed
            assert (int(setup.fitToWidth or 1), int(setup.fitToHeight)) == (1, 0)
            assert sheet.print_options.gridLines
            assert sheet.oddHeader.left.text == title and sheet.oddHeader.center.text == "&A"
            assert ISO_DATETIME.fullmatch(sheet.oddHeader.right.text)
            assert sheet.oddFooter.left.text.endswith("admin") and sheet.oddFooter.right.text == page
        for sheet in book.worksheets[:-1]:
            assert sheet.print_title_rows == "$1:$1" and sheet.freeze_panes == "A2"
    identity = book.worksheets[0]
    header = rows(identity)[0]

    def width(name: str) -> float:
        return identity.column_dimensions[openpyxl.utils.get_column_letter(header.index(name) + 1)].width
    assert width("Date of birth (fr)") >= 12 and width("Créé le") >= 22 and width("Dernière modification") >= 22


def test_an_ampersand_in_a_printed_header_is_text_not_an_excel_code():
    from server.export.writers import _header_text
    assert _header_text("Santé & protection") == "Santé && protection"
    assert len(_header_text("x" * 300)) == 80  # Excel refuses headers over 255 characters
