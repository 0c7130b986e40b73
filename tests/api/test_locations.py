"""Country profiles and location hierarchies: Bénin and Cameroon."""
import io
import json
from collections import Counter

import openpyxl
import pytest

from server.config import PROJECT_ROOT
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings
from server.storage import get_db
from tests.builders import make_user
from tests.conftest import authenticated, make_app

PROFILES = PROJECT_ROOT / "metadata" / "countries"


def hierarchy(country):
    return json.loads((PROFILES / country / "locations" / f"locations-{country}.json").read_text("utf-8"))


@pytest.mark.parametrize("country,level1,level2", [("bj", 12, 77), ("cm", 10, 58)])
def test_hierarchies_are_complete_and_consistent(country, level1, level2):
    places = hierarchy(country)["locations"]
    by_level = Counter(place["admin_level"] for place in places)
    assert by_level == {0: 1, 1: level1, 2: level2}
    codes = [place["code"] for place in places]
    assert len(codes) == len(set(codes))
    levels = {place["code"]: place["admin_level"] for place in places}
    for place in places:
        assert place["name_i18n"].get("en") and place["name_i18n"].get("fr")
        if place["admin_level"]:
            assert levels[place["parent_code"]] == place["admin_level"] - 1


def test_official_names_keep_their_accents():
    names = {p["name_i18n"]["fr"] for p in hierarchy("bj")["locations"]}
    assert {"Ouémé", "Abomey-Calavi", "Sèmè-Kpodji", "Bembèrèkè", "Cotonou"} <= names
    regions = {p["name_i18n"]["fr"]: p["name_i18n"]["en"] for p in hierarchy("cm")["locations"] if p["admin_level"] == 1}
    assert regions["Extrême-Nord"] == "Far North" and regions["Sud-Ouest"] == "South-West"


@pytest.fixture(params=["mongomock", "secantus"])
def benin(request):
    uri = "mongomock://" if request.param == "mongomock" else request.getfixturevalue("secantus_uri")
    app = make_app(uri)
    with app.app_context():
        assert bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("en", "fr"), "en"), "bj") == 1
    yield authenticated(app, make_user(app, "admin", "role-system-administrator"))
    if request.param == "secantus":
        database = app.extensions["abri_db"]
        database.client.drop_database(database.name)
        database.client.close()


CASE = {"registration_date": "2025-02-10", "name_first": "Awa", "sex": "female", "risk_level": "low",
        "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}


def test_a_case_in_a_commune_is_found_by_its_department(benin):
    kandi = "BJ-AL-03"
    created = benin.post("/api/v1/cases", json={"data": {**CASE, "location_current": kandi}})
    assert created.status_code == 201, created.get_json()
    assert benin.get("/api/v1/cases?location_current=BJ-AL").get_json()["meta"]["total"] == 1
    assert benin.get(f"/api/v1/cases?location_current={kandi}").get_json()["meta"]["total"] == 1
    assert benin.get("/api/v1/cases?location_current=BJ").get_json()["meta"]["total"] == 1
    assert benin.get("/api/v1/cases?location_current=BJ-LI").get_json()["meta"]["total"] == 0


def test_unknown_location_codes_are_refused(benin):
    response = benin.post("/api/v1/cases", json={"data": {**CASE, "location_current": "BJ-XX-99"}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"field": "/location_current", "code": "location", "message": "BJ-XX-99 is not a known location code."}]


def test_a_form_can_restrict_a_location_to_an_admin_level(benin):
    benin.patch("/api/v1/forms/basic_identity/fields/location_current", json={"data": {"location_admin_level": 2}})
    assert benin.post("/api/v1/metadata/publish", json={}).status_code == 201
    response = benin.post("/api/v1/cases", json={"data": {**CASE, "location_current": "BJ-AL"}})
    assert response.get_json()["error"]["details"][0]["code"] == "location_level"


def test_locations_api_filters_and_revalidates(benin):
    departments = benin.get("/api/v1/locations?admin_level=1&locale=fr")
    assert departments.get_json()["meta"]["total"] == 12
    assert {"code": "BJ-OU", "admin_level": 1, "type": "department", "parent_code": "BJ", "name": "Ouémé"} in \
        departments.get_json()["data"]
    communes = benin.get("/api/v1/locations?parent_code=BJ-LI").get_json()["data"]
    assert communes == [{"code": "BJ-LI-01", "admin_level": 2, "type": "commune", "parent_code": "BJ-LI",
                         "name_i18n": {"en": "Cotonou", "fr": "Cotonou"}}]
    etag = departments.headers["ETag"]
    assert benin.get("/api/v1/locations?admin_level=1&locale=fr", headers={"If-None-Match": etag}).status_code == 304
    assert benin.get("/api/v1/locations?since=1").get_json()["data"] == []


def test_exports_show_location_names(benin):
    from server.export.worker import run_once

    benin.post("/api/v1/cases", json={"data": {**CASE, "location_current": "BJ-LI-01"}})
    job = benin.post("/api/v1/exports", json={"data": {"record_type": "case", "locale": "fr"}}).get_json()["data"]
    assert run_once(benin.application, "w")
    book = openpyxl.load_workbook(io.BytesIO(benin.get(f"/api/v1/exports/{job['id']}/file").data))
    rows = [[c.value for c in r] for r in book.worksheets[0].iter_rows()]
    assert rows[1][rows[0].index("Localité actuelle")] == "Cotonou"


HXL = """Département,Code,Commune,Code commune
#adm1+name,#adm1+code,#adm2+name+i_fr,#adm2+name+i_en,#adm2+code
Littoral,BJ-LI,Cotonou,Cotonou,BJ-LI-01
Zou,BJ-ZO,Abomey,Abomey,BJ-ZO-01
Zou,BJ-ZO,Bohicon,Bohicon,BJ-ZO-02
"""


def test_a_hierarchy_is_imported_from_an_hxl_csv(benin):
    response = benin.post("/api/v1/metadata/locations/import?unique_id=locations-bj", data=HXL, content_type="text/csv")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["meta"]["total"] == 6  # the country, 2 departments, 3 communes
    assert benin.post("/api/v1/metadata/publish", json={}).status_code == 201
    assert benin.get("/api/v1/locations?parent_code=BJ-ZO").get_json()["meta"]["total"] == 2


def test_a_bad_csv_names_its_rows_and_changes_nothing(benin):
    bad = HXL + "Zou,BJ-ZO,,,\nZou,BJ-LI,Ville,Town,bad code\n"
    response = benin.post("/api/v1/metadata/locations/import?unique_id=locations-bj", data=bad, content_type="text/csv")
    assert response.status_code == 422
    assert [d["field"] for d in response.get_json()["error"]["details"]] == ["row 6", "row 7"]
    draft = benin.get("/api/v1/locations?admin_level=2").get_json()
    assert draft["meta"]["total"] == 77


def test_an_unknown_profile_is_refused():
    from server.errors import Unprocessable
    app = make_app("mongomock://")
    with app.app_context(), pytest.raises(Unprocessable) as refused:
        bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("en", "fr"), "en"), "zz")
    assert refused.value.code == "PROFILE_UNKNOWN"


def test_phone_numbers_follow_the_country_format(benin):
    bad = benin.post("/api/v1/cases", json={"data": {**CASE, "caregiver_telephone": "97 00 00 00"}},
                     headers={"Accept-Language": "fr"})
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"] == [{"field": "/caregiver_telephone", "code": "pattern", "message":
        "N'est pas au format attendu : par exemple +229 01 XX XX XX XX."}]
    good = benin.post("/api/v1/cases", json={"data": {**CASE, "caregiver_telephone": "+229 01 97 00 00 00"}})
    assert good.status_code == 201
