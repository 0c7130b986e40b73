"""GET and POST /api/v1/metadata/xlsform, and `abri metadata export-xlsform|import-xlsform`, on every backend."""
from __future__ import annotations

import io
import uuid

import openpyxl
import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert

from server.cli import cli
from server.storage import get_db, metadata as store
from tests.builders import minimal_configuration, seed
from tests.conftest import app_on
from tests.interop.test_xlsform import partner_workbook

URL = "/api/v1/metadata/xlsform"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def draft_forms(app) -> set[str]:
    with app.app_context():
        return {entry["unique_id"] for entry in store.list_draft(get_db(), "form")}


def test_the_workbook_download_converts_and_carries_the_report_in_the_request_language(backend_client):
    response = backend_client.get(f"{URL}?record_type=case&locale=fr")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "abri-case-xlsform.xlsx" in response.headers["Content-Disposition"]
    assert "/data/basic_identity/risk_reason" in convert(response.data, file_type=".xlsx").xform
    book = openpyxl.load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["survey", "choices", "settings", "abri_report"]
    header = next(book["survey"].iter_rows(values_only=True))
    assert "label::Français (fr)" in header and "relevant" in header


def test_an_upload_adds_forms_and_lookups_to_the_draft_only_and_answers_the_report(backend_app, backend_client):
    before = draft_forms(backend_app)
    response = backend_client.post(f"{URL}?record_type=case&locale=fr", data={
        "file": (io.BytesIO(partner_workbook()), "partenaire.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["data"]
    assert {d["unique_id"] for d in result["documents"]} == {"identite", "freres_section"}
    not_mapped = {item["name"]: item["message"] for item in result["report"]["not_mapped"]["items"]}
    assert "geopoint" in not_mapped["gps"]
    assert draft_forms(backend_app) == before | {"identite", "freres_section"}
    published = backend_client.get("/api/v1/forms?record_type=case").get_json()["data"]
    assert "identite" not in {form["unique_id"] for form in published}
    draft = backend_client.get("/api/v1/forms/identite?draft=true").get_json()["data"]
    assert draft["fields"][0]["name"] == "nom_enfant"


def test_a_dry_run_reports_without_changing_the_draft(backend_app, backend_client):
    before = draft_forms(backend_app)
    response = backend_client.post(f"{URL}?record_type=incident&dry_run=true", data=partner_workbook(),
                                   content_type=XLSX)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["dry_run"] is True
    assert draft_forms(backend_app) == before


@pytest.mark.parametrize("body,status,code", [
    (b"%PDF-1.4 not a workbook", 422, "XLSFORM_INVALID"),
    (b"PK\x03\x04", 422, "XLSFORM_INVALID"),
])
def test_a_hostile_upload_is_refused_in_the_request_language_and_leaves_the_draft(backend_app, backend_client, body,
                                                                                   status, code):
    before = draft_forms(backend_app)
    response = backend_client.post(f"{URL}?record_type=case&locale=fr", data={"file": (io.BytesIO(body), "x.xlsx")},
                                   content_type="multipart/form-data")
    assert response.status_code == status
    error = response.get_json()["error"]
    said = " ".join(detail["message"] for detail in error["details"])
    assert error["code"] == code and "XLSForm" in said and "Rien n'a été modifié" in said
    assert draft_forms(backend_app) == before


def test_an_upload_without_its_file_part_is_refused(client):
    response = client.post(f"{URL}?record_type=case", data={"other": "x"}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_an_import_that_would_break_the_checks_adds_nothing(client, app):
    from server.interop.xlsform_export import workbook_bytes
    before = draft_forms(app)
    workbook = workbook_bytes({"survey": [
        {"type": "begin_group", "name": "g", "label": "G"},
        {"type": "begin_repeat", "name": "rows", "label": "Rows"},
        {"type": "text", "name": "x", "label": "X"}, {"type": "end_repeat"},
        {"type": "calculate", "name": "total", "calculation": "${x} + 1"},  # sum over a text: a check error
        {"type": "end_group"}]})
    response = client.post(f"{URL}?record_type=case", data=workbook, content_type=XLSX)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "CHECKS_FAILED"
    assert draft_forms(app) == before


@pytest.fixture
def operator(monkeypatch, secantus_uri):
    name = f"abri_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", name)
    with app_on(secantus_uri, MONGO_DB_NAME=name) as application:
        seed(application, minimal_configuration())
        yield CliRunner(), application


def test_the_commands_export_and_import_through_the_use_cases(operator, tmp_path):
    runner, app = operator
    out = tmp_path / "case.xlsx"
    done = runner.invoke(cli, ["metadata", "export-xlsform", "--record-type", "case", "--out", str(out),
                               "--locale", "fr"])
    assert done.exit_code == 0, done.output
    assert "Not mapped" in done.output or "Non repris" in done.output
    convert(out.read_bytes(), file_type=".xlsx")
    partner = tmp_path / "partner.xlsx"
    partner.write_bytes(partner_workbook())
    dry = runner.invoke(cli, ["metadata", "import-xlsform", str(partner), "--record-type", "case", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "identite" in dry.output and "identite" not in draft_forms(app)
    done = runner.invoke(cli, ["metadata", "import-xlsform", str(partner), "--record-type", "case"])
    assert done.exit_code == 0, done.output
    assert {"identite", "freres_section"} <= draft_forms(app)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"nothing")
    refused = runner.invoke(cli, ["metadata", "import-xlsform", str(bad), "--record-type", "case"])
    assert refused.exit_code == 1 and "XLSFORM_INVALID" in refused.output
