"""A deleted record's residue: the counts keep it, and it names no child."""
from __future__ import annotations

import pytest

from server.metadata.versions import published_configuration
from server.reports.residues import keep_residue, residue_of
from server.storage import get_db
from server.storage.reports import RESIDUES
from tests.builders import make_user
from tests.conftest import BACKENDS, authenticated, backend_uri
from tests.reports.test_report_access import CASE, EXACT, benin_on, girls


@pytest.fixture(params=BACKENDS)
def world(request):
    with benin_on(backend_uri(request)) as app:
        worker = authenticated(app, make_user(app, "ts1", "role-case-worker", agency="gups-exemple-1"))
        national = authenticated(app, make_user(app, "nat", "role-national-administrator"))
        yield app, worker, national


def test_a_deleted_record_keeps_counting_through_its_residue(world):
    app, worker, national = world
    made = worker.post("/api/v1/cases", json={"data": {**CASE, "services_section": [
        {"service_type": "health_medical_service", "service_implemented": "implemented",
         "service_implemented_day_time": "2025-06-10"}]}}).get_json()["data"]
    before = national.get(EXACT).get_json()["data"]
    with app.app_context():
        db = get_db()
        record = db["case"].find_one({"_id": made["id"]})
        keep_residue(db, published_configuration(db), "case", record)
        db["case"].delete_one({"_id": made["id"]})   # as a retention run deletes it
        residue = db[RESIDUES].find_one({"_id": made["id"]})
    after = national.get(EXACT).get_json()["data"]
    assert girls(after) == girls(before) == 1 and after["total"] == before["total"]
    text = str(residue)
    assert "Awa" not in text and "Zinsou" not in text
    assert residue["data"]["sex"] == "female" and residue["data"]["protection_concerns"] == ["street_child"]
    assert residue["data"]["services_section"] == [{"service_type": "health_medical_service",
                                                    "service_implemented": "implemented",
                                                    "service_implemented_day_time": "2025-06-10"}]
    service = national.get("/api/v1/reports/report-services-by-type/result?exact=true").get_json()["data"]
    assert service["total"]["value"] == 1


def test_a_residue_keeps_no_identifying_field_and_no_text(world):
    app, _, _ = world
    with app.app_context():
        config = published_configuration(get_db())
    record = {"_id": "r1", "status": "closed", "data": {**CASE, "risk_level_reason": "Violences au domicile",
                                                          "date_of_birth": "2016-02-01"}}
    residue = residue_of(config, "case", record)
    assert "risk_level_reason" not in residue["data"] and "name_first" not in residue["data"]
    identifying = {field["name"] for _, form in config.forms_of("case", nested=False) for field in form["fields"]
                   if field.get("identifying")}
    assert identifying and not identifying & set(residue["data"])
    assert residue["status"] == "closed" and residue["data"]["location_current"] == "BJ-AK-06"
