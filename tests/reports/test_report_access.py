"""Who may run which report, over which records; freshness; hostile input; on both storage backends."""
from __future__ import annotations

import contextlib
import io
import json
import threading
from datetime import datetime, timezone

import openpyxl
import pytest

from server.deployment import start_deployment
from tests.builders import make_user
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri

CASE = {"name_first": "Awa", "name_last": "Zinsou", "sex": "female", "age": 9, "registration_date": "2025-06-02",
        "protection_concerns": ["street_child"], "risk_level": "low", "consent_for_services": "consent_given",
        "consent_for_data_sharing": "consent_given", "location_current": "BJ-AK-06"}
CONCERNS = "/api/v1/reports/report-concerns-by-sex/result"
EXACT = CONCERNS + "?exact=true"   # the national administrator may see small counts


@contextlib.contextmanager
def benin_on(uri: str):
    with app_on(uri, PROFILE="bj", DEFAULT_LOCALE="fr") as app:
        with app.app_context():
            start_deployment(app, datetime.now(timezone.utc))
        yield app


@pytest.fixture(scope="module", params=BACKENDS)
def office(request):
    """The Bénin profile with a social worker of each of two offices, a partner of the first, the national
    administrator and a translator; six cases in the first office, one in the second."""
    with benin_on(backend_uri(request)) as app:
        people = {"ts1": make_user(app, "ts1", "role-case-worker", agency="gups-exemple-1"),
                  "ts2": make_user(app, "ts2", "role-case-worker", agency="gups-exemple-2"),
                  "partner": make_user(app, "partner", "role-partner-data-manager", agency="gups-exemple-1"),
                  "nat": make_user(app, "nat", "role-national-administrator"),
                  "translator": make_user(app, "tia", "role-translator"),
                  "admin": make_user(app, "root", "role-system-administrator")}
        clients = {name: authenticated(app, token) for name, token in people.items()}
        ids = [clients["ts1"].post("/api/v1/cases", json={"data": CASE}).get_json()["data"]["id"] for _ in range(6)]
        clients["ts2"].post("/api/v1/cases", json={"data": {**CASE, "sex": "male"}})
        yield app, clients, ids


def girls(result: dict) -> int | None:
    row = next(i for i, key in enumerate(result["row_keys"]) if key["key"] == ["street_child"])
    column = next(j for j, key in enumerate(result["column_keys"]) if key["key"] == ["female"])
    return result["cells"][row][column]["value"]


def test_a_role_without_reports_is_refused_before_anything_is_looked_up(office):
    _, clients, _ = office
    for path in (CONCERNS, "/api/v1/reports/report-no-such/result", "/api/v1/dashboards/current",
                 "/api/v1/reports/runnable", "/api/v1/reports/report-no-such/export?format=csv"):
        answer = clients["translator"].get(path)
        assert answer.status_code == 403, path
        assert answer.get_json()["error"]["code"] == "PERMISSION_DENIED"
    assert clients["ts1"].get(CONCERNS).status_code == 403   # a social worker reads cases, not reports


def test_an_unknown_report_is_a_404_for_a_role_that_may_run_reports(office):
    _, clients, _ = office
    answer = clients["nat"].get("/api/v1/reports/report-no-such/result")
    assert answer.status_code == 404 and "report-no-such" in answer.get_json()["error"]["message"]


def test_a_report_reading_a_form_the_role_may_not_read_is_refused_and_not_listed(office):
    _, clients, _ = office
    answer = clients["partner"].get("/api/v1/reports/report-cases-opened-closed/result")   # reads date_closure
    assert answer.status_code == 403
    assert "report-cases-opened-closed" in answer.get_json()["error"]["message"]
    listed = {item["unique_id"] for item in clients["partner"].get("/api/v1/reports/runnable").get_json()["data"]}
    assert "report-concerns-by-sex" in listed and "report-cases-opened-closed" not in listed


def test_counts_cover_the_callers_scope_only(office):
    _, clients, _ = office
    national = clients["nat"].get(CONCERNS + "?exact=true").get_json()["data"]
    partner = clients["partner"].get(CONCERNS).get_json()["data"]
    assert national["total"]["value"] == partner["total"]["value"] + 1   # the second office's boy is not theirs
    assert girls(partner) == girls(national)


def test_a_new_case_counts_at_once_and_a_disabled_one_stops_counting(office):
    _, clients, ids = office
    before = girls(clients["nat"].get(EXACT).get_json()["data"])
    clients["ts1"].post("/api/v1/cases", json={"data": CASE})
    assert girls(clients["nat"].get(EXACT).get_json()["data"]) == before + 1
    assert clients["ts1"].delete(f"/api/v1/cases/{ids[0]}").status_code == 200   # disabled
    assert girls(clients["nat"].get(EXACT).get_json()["data"]) == before
    changed = clients["ts1"].patch(f"/api/v1/cases/{ids[1]}", json={"data": {"sex": "male"}})
    assert changed.status_code == 200, changed.get_json()
    result = clients["nat"].get(EXACT).get_json()["data"]
    assert girls(result) == before - 1


def test_concurrent_reports_and_writes_agree_once_the_writes_are_done(office):
    _, clients, _ = office
    before = girls(clients["nat"].get(EXACT).get_json()["data"])
    errors = []

    def write():
        for _ in range(5):
            answer = clients["ts1"].post("/api/v1/cases", json={"data": CASE})
            if answer.status_code != 201:
                errors.append(answer.status_code)

    def read():
        for _ in range(5):
            answer = clients["nat"].get(EXACT)
            if answer.status_code != 200:
                errors.append(answer.status_code)
    threads = [threading.Thread(target=write), threading.Thread(target=read), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert girls(clients["nat"].get(EXACT).get_json()["data"]) == before + 5


def test_the_exports_hold_the_aggregates_and_the_marks_only(office):
    _, clients, _ = office
    clients["ts1"].post("/api/v1/cases", json={"data": {**CASE, "sex": "male"}})  # one boy: a small count
    answer = clients["partner"].get("/api/v1/reports/report-concerns-by-sex/export?format=xlsx")
    assert answer.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(answer.data))
    values = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    text = " ".join(map(str, values))
    assert "< 5" in text and "Zinsou" not in text and "Awa" not in text
    assert workbook.worksheets[0]._charts, "the report's sheet carries a native chart"
    rows = answer_csv(clients["partner"].get("/api/v1/reports/report-concerns-by-sex/export?format=csv"))
    header, street = rows[0], next(row for row in rows if row[0] == "Enfant en situation de rue")
    assert header == ["Préoccupations de protection", "Féminin", "Masculin", "Total"]
    assert street[2] == "< 5"
    body = json.loads(clients["partner"].get("/api/v1/reports/report-concerns-by-sex/export?format=json").data)
    assert "Zinsou" not in json.dumps(body) and body["made_by"] == "partner"


def answer_csv(answer) -> list[list[str]]:
    import csv
    assert answer.status_code == 200
    return list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("query", ["format=pdf", "format=", "exact=maybe", "format=%00"])
def test_a_bad_export_query_is_a_clear_4xx(office, query):
    _, clients, _ = office
    answer = clients["nat"].get(f"/api/v1/reports/report-concerns-by-sex/export?{query}")
    assert 400 <= answer.status_code < 500, answer.data[:200]
    assert answer.get_json()["error"]["message"]


@pytest.mark.parametrize("document, field", [
    ({"unique_id": "report-x", "name_i18n": {"fr": "X"}, "record_type": "case", "counts": {"unit": "records"},
      "rows": [{"field": "nope"}]}, "/rows/0/field"),
    ({"unique_id": "report-x", "name_i18n": {"fr": "X"}, "record_type": "case", "counts": {"unit": "records"},
      "rows": [{"field": "age", "bands": [0, 1e400]}]}, "/data/rows/0/bands/1"),
    ({"unique_id": "report-x", "name_i18n": {"fr": "X"}, "record_type": "case", "counts": {"unit": "records"},
      "rows": [{"$where": "sleep(1000)"}]}, None),
    ({"unique_id": "report-x", "name_i18n": {"fr": "X"}, "record_type": "case", "counts": {"unit": "records"},
      "rows": [{"field": "age", "bands": [18, 6]}]}, "/rows/0/bands"),
    ({"unique_id": "report-x", "name_i18n": {"fr": "X\ud800"}, "record_type": "case",
      "counts": {"unit": "records"}, "rows": [{"field": "sex"}]}, None),
    ({"unique_id": "report-x", "name_i18n": {"fr": "X"}, "record_type": "case", "counts": {"unit": "records"},
      "rows": [{"field": "sex"}], "filters": [{"field": "age", "lt": "douze"}]}, "/filters/0/lt"),
])
def test_a_hostile_preview_is_refused_naming_the_field_and_nothing_is_saved(office, document, field):
    _, clients, _ = office
    answer = clients["admin"].post("/api/v1/reports/preview", data=json.dumps({"data": document}),  # ASCII escapes:
                                   content_type="application/json")  # a lone surrogate is sent as JSON sends it
    assert 400 <= answer.status_code < 500, answer.data[:300]
    error = answer.get_json()["error"]
    if field:
        assert field in [detail["field"] for detail in error["details"]], error
    assert clients["admin"].get("/api/v1/reports/report-x?draft=true").status_code == 404


def test_a_preview_counts_an_unsaved_report_for_an_administrator_only(office):
    _, clients, _ = office
    document = {"unique_id": "report-girls", "name_i18n": {"fr": "Filles", "en": "Girls"}, "record_type": "case",
                "counts": {"unit": "records"}, "rows": [{"field": "location_current", "admin_level": 1}],
                "filters": [{"field": "sex", "in": ["female"]}, {"field": "age", "lt": 12}]}
    answer = clients["admin"].post("/api/v1/reports/preview?locale=fr", json={"data": document})
    assert answer.status_code == 200, answer.get_json()
    result = answer.get_json()["data"]
    atacora = next(i for i, row in enumerate(result["row_keys"]) if row["key"] == ["BJ-AK"])
    assert result["row_keys"][atacora]["labels"] == ["Atacora"]
    national = clients["nat"].get(CONCERNS + "?exact=true").get_json()["data"]
    assert result["cells"][atacora][0] == {"value": girls(national)}   # every girl of the world is 9, in Atacora
    assert clients["nat"].post("/api/v1/reports/preview", json={"data": document}).status_code == 200
    assert clients["partner"].post("/api/v1/reports/preview", json={"data": document}).status_code == 403


def test_a_report_that_breaks_a_check_is_refused_from_the_draft_and_a_good_one_is_published(office):
    _, clients, _ = office
    bad = {"unique_id": "report-bad", "name_i18n": {"fr": "Mauvais", "en": "Bad"}, "record_type": "case",
           "counts": {"unit": "records"}, "rows": [{"field": "name_first"}]}
    refused = clients["admin"].post("/api/v1/reports", json={"data": bad})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "CHECKS_FAILED"
    assert "REPORT_FIELD_IDENTIFYING" in [detail["code"] for detail in refused.get_json()["error"]["details"]]
    good = {**bad, "unique_id": "report-good", "rows": [{"field": "sex"}], "on_dashboards": ["role-partner-data-manager"]}
    assert clients["admin"].post("/api/v1/reports", json={"data": good}).status_code == 201
    assert clients["admin"].post("/api/v1/metadata/publish", json={"data": {"comment": "a report"}}).status_code == 201
    widgets = clients["partner"].get("/api/v1/dashboards/current").get_json()["data"]["widgets"]
    assert "report-good" in [widget["result"]["unique_id"] for widget in widgets if widget["kind"] == "report"]
