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
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri

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


@pytest.fixture(params=BACKENDS)
def benin(request):
    with app_on(backend_uri(request)) as app:
        with app.app_context():
            assert bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("en", "fr"), "en"),
                                           "bj") == 1
        yield authenticated(app, make_user(app, "admin", "role-system-administrator"))


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
    from server.services.workers import run_once

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
    with app_on("mongomock://") as app, app.app_context(), pytest.raises(Unprocessable) as refused:
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


# The import refuses duplicated codes and never removes a place records use without confirmation ------------

def import_places(client, text, hierarchy="locations-bj", confirm=None, **headers):
    query = f"?unique_id={hierarchy}" + (f"&confirm={confirm}" if confirm else "")
    body = text.encode("utf-8") if isinstance(text, str) else text
    return client.post(f"/api/v1/metadata/locations/import{query}", data=body, content_type="text/csv",
                       headers=headers)


def draft_places(client):
    from server.metadata.draft import get_document
    with client.application.app_context():
        return {p["code"]: p for p in get_document(get_db(), "location", "locations-bj")["body"]["locations"]}


HEAD = "Département,Code,Commune (fr),Commune (en),Code commune\n#adm1+name,#adm1+code,#adm2+name+i_fr,#adm2+name+i_en,#adm2+code\n"


@pytest.mark.parametrize("rows,details", [
    ("Zou,BJ-ZO,Abomey,Abomey,BJ-ZO-01\nZou,BJ-ZO,Bohicon,Bohicon,BJ-ZO-01\n",
     [{"field": "row 4", "code": "duplicate", "message": "Row 4: the code BJ-ZO-01 is already used by row 3."}]),
    ("Zou,BJ-ZO,Abomey,Abomey,BJ-ZO-01\nCollines,BJ-ZO,Dassa,Dassa,BJ-ZO-02\n",
     [{"field": "row 4", "code": "conflict_name",
       "message": "Row 4: BJ-ZO already appears in row 3 with another name (Zou)."}]),
    ("Zou,bj-zo,Abomey,Abomey,BJ-ZO-01\nZou,ＢＪ-ZO,Abomey,Abomey,BJ-ZO-01\n",
     [{"field": "row 3", "code": "pattern",
       "message": "Row 3: bj-zo is not a valid code (A-Z, 0-9, - and _, at most 50 characters)."},
      {"field": "row 4", "code": "pattern",
       "message": "Row 4: ＢＪ-ZO is not a valid code (A-Z, 0-9, - and _, at most 50 characters)."}]),
    ('Zou,$gt,Abomey,Abomey,BJ-ZO-01\nZou,BJ-ZO,Abomey,Abomey,"{""$ne"": 1}"\nZou,BJ-ZO,Abomey,Abomey,BJ.ZO\n',
     [{"field": "row 3", "code": "pattern",
       "message": "Row 3: $gt is not a valid code (A-Z, 0-9, - and _, at most 50 characters)."},
      {"field": "row 4", "code": "pattern",
       "message": 'Row 4: {"$ne": 1} is not a valid code (A-Z, 0-9, - and _, at most 50 characters).'},
      {"field": "row 5", "code": "pattern",
       "message": "Row 5: BJ.ZO is not a valid code (A-Z, 0-9, - and _, at most 50 characters)."}]),
    ("Zou,BJ-ZO,Abomey\u202e,Abomey,BJ-ZO-01\n",
     [{"field": "row 3", "code": "control", "message": "Row 3: a cell contains a control character (a line break, "
                                                       "a tab or a text direction mark)."}]),
])
def test_duplicated_codes_and_codes_that_are_not_codes_are_refused_by_row(benin, rows, details):
    response = import_places(benin, HEAD + rows)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "CSV_INVALID"
    assert response.get_json()["error"]["details"] == details
    assert len(draft_places(benin)) == 1 + 12 + 77


def test_a_duplicate_code_is_explained_in_french(benin):
    response = import_places(benin, HEAD + "Zou,BJ-ZO,Abomey,Abomey,BJ-ZO-01\nZou,BJ-ZO,Bohicon,Bohicon,BJ-ZO-01\n",
                             **{"Accept-Language": "fr"})
    assert response.get_json()["error"]["message"] == "Lignes refusées : 1. Rien n'a été modifié."
    assert response.get_json()["error"]["details"][0]["message"] == \
        "Ligne 4 : le code BJ-ZO-01 est déjà utilisé par la ligne 3."


def test_a_code_of_another_hierarchy_is_refused(benin):
    from datetime import datetime, timezone

    from server.metadata import draft as drafts
    other = {"unique_id": "locations-tg", "name_i18n": {"en": "Togo", "fr": "Togo"},
             "admin_levels": [{"admin_level": 0, "type": "country", "type_i18n": {"en": "Country", "fr": "Pays"}}],
             "locations": [{"code": "TG", "admin_level": 0, "name_i18n": {"en": "Togo", "fr": "Togo"}}]}
    with benin.application.app_context():
        drafts.create_document(get_db(), "location", other, LanguageSettings(("en", "fr"), "en"), "t",
                               datetime.now(timezone.utc))
    response = import_places(benin, HEAD + "Plateaux,TG,Atakpamé,Atakpamé,TG-PL-01\n")
    assert response.get_json()["error"]["details"] == [
        {"field": "row 3", "code": "duplicate", "message": "Row 3: TG is already a place of locations-tg."}]


def test_names_are_stored_in_one_unicode_form_and_the_country_column_must_be_the_country(benin):
    decomposed = "Ou\u0065\u0301me\u0301"  # "Ouémé" typed with combining accents
    rows = ("Pays,Département,Code,Commune,Code commune\n#adm0+code,#adm1+name,#adm1+code,#adm2+name,#adm2+code\n"
            f"BJ,Ouémé,BJ-OU,Porto-Novo,BJ-OU-01\nBJ,{decomposed},BJ-OU,Adjarra,BJ-OU-02\n")
    response = import_places(benin, "\ufeff" + rows)
    assert response.status_code == 200, response.get_json()
    assert draft_places(benin)["BJ-OU"]["name_i18n"]["en"] == "Ouémé"
    assert "parent_code" not in draft_places(benin)["BJ"] and draft_places(benin)["BJ-OU"]["parent_code"] == "BJ"
    assert import_places(benin, rows.replace("\nBJ,Ouémé", "\nTG,Ouémé")).get_json()["error"]["details"] == [
        {"field": "row 3", "code": "root", "message": "Row 3: TG is not the country of this hierarchy (BJ)."}]


def test_a_file_that_is_not_utf8_is_refused_with_its_row_and_a_huge_one_before_it_is_read(benin):
    latin1 = (HEAD.replace("é", "e") + "Zou,BJ-ZO,Abomey,Abomey,BJ-ZO-01\nOuémé,BJ-OU,Sèmè,Sèmè,BJ-OU-01\n"
              ).encode("latin-1")
    response = import_places(benin, latin1)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"field": "row 4", "code": "encoding", "message": "Row 4 is not UTF-8 text: save the file as CSV (UTF-8)."}]
    huge = import_places(benin, HEAD.encode() + b"Zou,BJ-ZO,Abomey,Abomey,BJ-ZO-01\n" * 80_000)
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert len(draft_places(benin)) == 1 + 12 + 77


KANDI, BANIKOARA = "BJ-AL-03", "BJ-AL-01"
ONLY_LITTORAL = HEAD + "Littoral,BJ-LI,Cotonou,Cotonou,BJ-LI-01\n"


def used_places(benin):
    """Two cases in Kandi (one through a family member's row), an incident in Banikoara."""
    cases = [benin.post("/api/v1/cases", json={"data": {**CASE, "location_current": KANDI}}),
             benin.post("/api/v1/cases", json={"data": {**CASE, "family_details_section": [
                 {"relation_name": "Moussa", "relation_location_current": KANDI}]}})]
    incident = benin.post("/api/v1/incidents", json={"data": {
        "incident_date": "2025-02-01", "cp_incident_violence_type": "rape", "incident_location": BANIKOARA}})
    assert [r.status_code for r in cases + [incident]] == [201, 201, 201], [r.get_json() for r in cases + [incident]]
    return [r.get_json()["data"] for r in cases + [incident]]


def test_removing_places_that_records_use_is_refused_with_their_counts(benin):
    used_places(benin)
    response = import_places(benin, ONLY_LITTORAL)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "LOCATIONS_IN_USE"
    assert error["message"] == ("Places that records use would be removed: 2. Nothing was changed: check the list, "
                                "then import again with confirm to remove them (the records keep their codes).")
    assert error["details"] == [
        {"field": BANIKOARA, "code": "in_use",
         "message": "BJ-AL-01 (Banikoara) is used by records: 1 (cases: 0, incidents: 1, tracing requests: 0)."},
        {"field": KANDI, "code": "in_use",
         "message": "BJ-AL-03 (Kandi) is used by records: 2 (cases: 2, incidents: 0, tracing requests: 0)."}]
    french = import_places(benin, ONLY_LITTORAL, **{"Accept-Language": "fr"}).get_json()["error"]
    assert french["details"][1]["message"] == \
        "BJ-AL-03 (Kandi) est utilisé par des fiches : 2 (dossiers : 2, incidents : 0, demandes de recherche : 0)."
    assert french["message"].startswith("Des lieux utilisés par des fiches seraient supprimés : 2. Rien n'a été modifié")
    assert len(draft_places(benin)) == 1 + 12 + 77


def test_a_confirmed_removal_applies_and_the_records_keep_their_places(benin):
    case, family_case, incident = used_places(benin)
    response = import_places(benin, ONLY_LITTORAL, confirm="true")
    assert response.status_code == 200, response.get_json()
    meta = response.get_json()["meta"]
    assert meta["total"] == 3 and len(meta["removed"]) == 1 + 12 + 77 - 3
    assert meta["removed_in_use"] == [
        {"code": BANIKOARA, "name": "Banikoara", "records": {"case": 0, "incident": 1, "tracing_request": 0}},
        {"code": KANDI, "name": "Kandi", "records": {"case": 2, "incident": 0, "tracing_request": 0}}]
    assert set(draft_places(benin)) == {"BJ", "BJ-LI", "BJ-LI-01"}
    assert benin.post("/api/v1/metadata/publish", json={}).status_code == 201
    assert benin.get("/api/v1/locations?admin_level=2").get_json()["meta"]["total"] == 1

    stored = benin.get(f"/api/v1/cases/{case['id']}").get_json()["data"]
    assert stored["data"]["location_current"] == KANDI
    rows = benin.get(f"/api/v1/cases/{family_case['id']}").get_json()["data"]["data"]["family_details_section"]
    assert rows[0]["relation_location_current"] == KANDI
    assert benin.get(f"/api/v1/incidents/{incident['id']}").get_json()["data"]["data"]["incident_location"] == BANIKOARA
    updated = benin.patch(f"/api/v1/cases/{case['id']}", json={"data": {"name_first": "Awa Edith"}},
                          headers={"If-Match": f'"{stored["revision"]}"'})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["data"]["data"]["location_current"] == KANDI
    family_revision = benin.get(f"/api/v1/cases/{family_case['id']}").get_json()["data"]["revision"]
    row_kept = benin.patch(f"/api/v1/cases/{family_case['id']}", json={"data": {"name_first": "Ali"}},
                           headers={"If-Match": f'"{family_revision}"'})
    assert row_kept.status_code == 200, row_kept.get_json()  # a subform row's removed place is not checked again
    assert row_kept.get_json()["data"]["data"]["family_details_section"][0]["relation_location_current"] == KANDI
    entries = benin.get("/api/v1/audit_logs?action=locations_imported").get_json()["data"]
    assert entries[0]["record_id"] == "locations-bj" and "in use 2: BJ-AL-01 BJ-AL-03" in entries[0]["detail"]


def test_places_no_record_uses_are_removed_without_asking(benin):
    response = import_places(benin, ONLY_LITTORAL)
    assert response.status_code == 200
    assert response.get_json()["meta"]["removed_in_use"] == []
    assert KANDI in response.get_json()["meta"]["removed"]


def test_only_administrators_import_places_and_the_refusal_comes_before_any_lookup(benin):
    token = make_user(benin.application, "awa", "role-case-worker")
    worker = authenticated(benin.application, token)
    for hierarchy in ("locations-bj", "locations-nowhere"):
        response = import_places(worker, ONLY_LITTORAL, hierarchy=hierarchy)
        assert response.status_code == 403 and response.get_json()["error"]["code"] == "PERMISSION_DENIED"
    assert import_places(benin, ONLY_LITTORAL, hierarchy="locations-nowhere").status_code == 404
    assert len(draft_places(benin)) == 1 + 12 + 77
