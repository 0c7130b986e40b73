"""Translating the configuration: coverage, the spreadsheet round trip, a third language."""
import io

import openpyxl
import pytest

from tests.builders import minimal_configuration, seed
from tests.conftest import authenticated, make_app

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def fon_client():
    """A deployment that added Fon to its languages: configuration only, no code."""
    app = make_app("mongomock://", LANGUAGES=("en", "fr", "fon"))
    return authenticated(app, seed(app, minimal_configuration()))


def sheet_rows(data):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book, {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in book.worksheets}


def upload(client, book, locale):
    buffer = io.BytesIO()
    book.save(buffer)
    return client.post(f"/api/v1/metadata/translations.xlsx?locale={locale}", data=buffer.getvalue(), content_type=XLSX)


def test_coverage_per_language_and_form(fon_client):
    report = fon_client.get("/api/v1/metadata/translations/coverage").get_json()["data"]
    assert report["en"]["percent"] == 100.0 and report["fr"]["percent"] == 100.0
    assert report["fon"]["percent"] == 0.0 and report["fon"]["total"] == report["fr"]["total"]
    identity = next(d for d in report["fon"]["documents"] if d["unique_id"] == "basic_identity")
    assert "sex/display_name_i18n" in identity["missing"]


def test_an_incomplete_language_warns_at_publish_with_its_coverage(fon_client):
    fon_client.patch("/api/v1/forms/basic_identity", json={"data": {"order": 11}})
    published = fon_client.post("/api/v1/metadata/publish", json={}).get_json()
    warning = next(w for w in published["meta"]["warnings"] if w["field"] == "form:basic_identity")
    assert warning["code"] == "TRANSLATION_INCOMPLETE" and "(0% translated)" in warning["message"]


def test_a_translator_fills_the_spreadsheet_and_labels_change_after_publishing(fon_client):
    response = fon_client.get("/api/v1/metadata/translations.xlsx?locale=fon")
    assert response.headers["Content-Type"] == XLSX
    book, sheets = sheet_rows(response.data)
    assert list(sheets)[:2] == ["case", "incident"] and "lookups" in sheets
    header, *rows = sheets["case"]
    assert header == ["kind", "document", "field", "option", "property", "text (en)", "text (fon)", "missing"]
    age = next(i for i, row in enumerate(rows, start=2) if row[2] == "age" and row[4] == "display_name_i18n")
    assert rows[age - 2][7] == "missing"
    book["case"].cell(row=age, column=7, value="Xwè")
    uploaded = upload(fon_client, book, "fon")
    assert uploaded.status_code == 200, uploaded.get_json()
    assert uploaded.get_json()["data"] == [{"row": f"case!{age}", "kind": "form", "document": "basic_identity",
                                            "field": "age", "option": "", "property": "display_name_i18n",
                                            "from": "", "to": "Xwè"}]
    assert fon_client.post("/api/v1/metadata/publish", json={}).status_code == 201
    form = fon_client.get("/api/v1/forms/basic_identity?locale=fon").get_json()["data"]
    labels = {f["name"]: f["display_name"] for f in form["fields"]}
    assert labels["age"] == "Xwè" and labels["sex"] == "Sex"  # untranslated labels fall back to the default


def test_lookups_and_locked_lookups_can_be_translated(fon_client):
    book, sheets = sheet_rows(fon_client.get("/api/v1/metadata/translations.xlsx?locale=fon").data)
    row = next(i for i, r in enumerate(sheets["lookups"], start=1) if r[1] == "lookup-sex" and r[3] == "female")
    book["lookups"].cell(row=row, column=7, value="Nyɔnu")
    assert upload(fon_client, book, "fon").status_code == 200
    assert fon_client.post("/api/v1/metadata/publish", json={}).status_code == 201
    values = fon_client.get("/api/v1/lookups/lookup-sex?locale=fon").get_json()["data"]["lookup_values"]
    assert values[0] == {"id": "female", "display_text": "Nyɔnu"}


def test_changed_or_unknown_keys_are_refused_with_their_rows_and_nothing_is_applied(fon_client):
    book, sheets = sheet_rows(fon_client.get("/api/v1/metadata/translations.xlsx?locale=fon").data)
    case = book["case"]
    case.cell(row=2, column=7, value="a good translation")
    case.cell(row=3, column=3, value="no_such_field")
    case.cell(row=4, column=6, value="someone edited the English")
    response = upload(fon_client, book, "fon")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "TRANSLATIONS_REFUSED"
    assert [(d["field"], d["code"]) for d in error["details"]] == [("case!3", "unknown_key"), ("case!4", "changed_key")]
    report = fon_client.get("/api/v1/metadata/translations/coverage?locale=fon").get_json()["data"]
    assert report["fon"]["translated"] == 0


def test_only_translations_change_and_not_in_the_default_language(fon_client):
    data = fon_client.get("/api/v1/metadata/translations.xlsx?locale=fon").data
    assert fon_client.post("/api/v1/metadata/translations.xlsx?locale=en", data=data, content_type=XLSX).status_code == 422
    garbage = fon_client.post("/api/v1/metadata/translations.xlsx?locale=fon", data=b"not a spreadsheet", content_type=XLSX)
    assert garbage.status_code == 422 and garbage.get_json()["error"]["code"] == "SPREADSHEET_INVALID"


def test_a_third_language_is_a_known_locale(fon_client):
    assert fon_client.get("/api/v1/forms?locale=fon").status_code == 200
    assert fon_client.get("/api/v1/forms?locale=ff").status_code == 400


def test_exports_in_a_third_language_fall_back_to_the_default_for_missing_labels(fon_client):
    from server.services.workers import run_once

    fon_client.post("/api/v1/cases", json={"data": {"name": "Awa", "sex": "female"}})
    job = fon_client.post("/api/v1/exports", json={"data": {"record_type": "case", "locale": "fon"}}).get_json()["data"]
    assert run_once(fon_client.application, "w")
    data = fon_client.get(f"/api/v1/exports/{job['id']}/file").data
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows()]
    assert rows[0][6:8] == ["Name", "Sex"] and rows[1][7] == "Female"
