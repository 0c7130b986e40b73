"""Cases, incidents and tracing requests through the API, on mongomock and on SecantusDB."""
import uuid

import pytest


def create(client, data=None, route="cases", **body):
    return client.post(f"/api/v1/{route}", json={"data": data or {}, **body})


def details(response):
    return {(d["field"], d["code"]) for d in response.get_json()["error"]["details"]}


@pytest.fixture
def case(backend_client):
    response = create(backend_client, {"name": "Benoît Ngo Bassa", "sex": "male", "age": 9,
                                       "family_members": [{"relation_name": "Awa", "relation_age": 34}]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def test_create_fills_the_envelope(case):
    assert uuid.UUID(case["id"]) and len(case["short_id"]) == 7
    assert case["case_id_display"] == case["short_id"]
    assert case["module_id"] == "primeromodule-cp"
    assert (case["status"], case["record_state"], case["revision"], case["config_version"]) == ("open", True, 1, 1)
    assert case["created_at"].endswith("Z") and case["created_by"] == case["owned_by"]
    assert uuid.UUID(case["data"]["family_members"][0]["unique_id"])


def test_read_returns_the_record_with_its_revision_as_etag(backend_client, case):
    response = backend_client.get(f"/api/v1/cases/{case['id']}")
    assert response.get_json()["data"] == case
    assert response.headers["ETag"] == '"1"'


def test_envelope_fields_cannot_be_written(backend_client):
    response = create(backend_client, {"name": "A"}, status="closed")
    assert response.status_code == 422
    response = create(backend_client, {"name": "A", "revision": 5, "owned_by": "x"})
    assert details(response) == {("/revision", "unknown"), ("/owned_by", "unknown")}


def test_every_invalid_field_is_reported_and_nothing_is_stored(backend_client):
    response = create(backend_client, {"name": "x" * 201, "sex": "other", "age": -1, "date_of_birth": "31/12/2020",
                                       "ghost": 1, "family_members": [{"relation_age": "old", "x": 1}]})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "RECORD_INVALID"
    assert details(response) == {("/name", "max_length"), ("/sex", "enum"), ("/age", "minimum"),
                                 ("/date_of_birth", "format"), ("/ghost", "unknown"),
                                 ("/family_members/0/relation_age", "type"), ("/family_members/0/x", "unknown")}
    assert backend_client.get("/api/v1/cases").get_json()["meta"]["total"] == 0


def test_messages_are_localized(backend_client):
    response = backend_client.post("/api/v1/cases?locale=fr", json={"data": {"age": 500}})
    assert response.get_json()["error"]["details"][0]["message"] == "Doit être au plus 120."


def test_required_applies_only_when_the_field_is_shown(backend_client, case):
    low = backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"risk_level": "low"}})
    assert low.status_code == 200
    high = backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"risk_level": "high"}})
    assert high.status_code == 422 and details(high) == {("/risk_reason", "required")}
    both = backend_client.patch(f"/api/v1/cases/{case['id']}",
                                json={"data": {"risk_level": "high", "risk_reason": "Threats at home"}})
    assert both.status_code == 200 and both.get_json()["data"]["revision"] == 3


def test_patch_merges_subform_rows_by_unique_id(backend_client, case):
    row_id = case["data"]["family_members"][0]["unique_id"]
    response = backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"family_members": [
        {"unique_id": row_id, "relation_age": 35}, {"relation_name": "Koffi"}]}})
    rows = response.get_json()["data"]["data"]["family_members"]
    assert rows[0] == {"relation_name": "Awa", "relation_age": 35, "unique_id": row_id}
    assert rows[1]["relation_name"] == "Koffi"
    removed = backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"family_members": [
        {"unique_id": row_id, "_destroy": True}]}})
    assert [r["relation_name"] for r in removed.get_json()["data"]["data"]["family_members"]] == ["Koffi"]


def test_null_clears_a_field(backend_client, case):
    response = backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": None}})
    assert "age" not in response.get_json()["data"]["data"]


def test_stale_if_match_is_412_and_changes_nothing(backend_client, case):
    url = f"/api/v1/cases/{case['id']}"
    assert backend_client.patch(url, json={"data": {"age": 10}}, headers={"If-Match": '"1"'}).status_code == 200
    stale = backend_client.patch(url, json={"data": {"age": 11}}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert backend_client.get(url).get_json()["data"]["data"]["age"] == 10


def test_two_writers_of_different_fields_keep_both_changes(backend_app, case):
    from datetime import datetime, timezone

    from server.metadata.versions import published_configuration
    from server.records import service
    from server.records.types import RECORD_TYPES
    from server.storage import get_db, records as store

    with backend_app.app_context():
        db, config = get_db(), published_configuration(get_db())
        real_update = store.update_record
        calls = []

        def interleaved(*args, **kwargs):  # another writer commits between our read and our write
            if not calls:
                calls.append(1)
                service.update_record(db, config, RECORD_TYPES["case"], case["id"], {"age": 12}, None,
                                      service.Actor("other", datetime.now(timezone.utc)))
            return real_update(*args, **kwargs)
        store.update_record = interleaved
        try:
            service.update_record(db, config, RECORD_TYPES["case"], case["id"], {"name": "Benoît"}, None,
                                  service.Actor("me", datetime.now(timezone.utc)))
        finally:
            store.update_record = real_update
        stored = service.get_record(db, RECORD_TYPES["case"], case["id"])
    assert stored["data"]["name"] == "Benoît" and stored["data"]["age"] == 12 and stored["revision"] == 3


def test_create_with_a_client_id_is_idempotent(backend_client):
    record_id = str(uuid.uuid4())
    first = create(backend_client, {"name": "Awa"}, id=record_id)
    again = create(backend_client, {"name": "Awa"}, id=record_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["data"] == first.get_json()["data"]
    assert backend_client.get(f"/api/v1/cases/{record_id}/history").get_json()["meta"]["total"] == 1
    different = create(backend_client, {"name": "Other"}, id=record_id)
    assert different.status_code == 409
    assert different.get_json()["error"]["code"] == "RECORD_EXISTS"
    assert different.get_json()["error"]["revision"] == 1


def test_malformed_ids(backend_client):
    assert create(backend_client, {"name": "A"}, id="not-a-uuid").status_code == 422
    assert backend_client.get("/api/v1/cases/../../etc").status_code == 404
    assert backend_client.get("/api/v1/cases/12345").get_json()["error"]["code"] == "NOT_FOUND"


def test_disable_keeps_the_data_refuses_writes_and_enable_brings_it_back(backend_client, case):
    url = f"/api/v1/cases/{case['id']}"
    disabled = backend_client.delete(url)
    assert disabled.get_json()["data"]["record_state"] is False
    assert disabled.get_json()["data"]["data"] == case["data"]
    refused = backend_client.patch(url, json={"data": {"age": 3}})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "RECORD_DISABLED"
    enabled = backend_client.post(f"{url}/enable")
    assert enabled.get_json()["data"]["record_state"] is True
    actions = [e["action"] for e in backend_client.get(f"{url}/history").get_json()["data"]]
    assert actions == ["enable", "disable", "create"]


def test_history_has_field_level_diffs_with_subform_rows(backend_client, case):
    row_id = case["data"]["family_members"][0]["unique_id"]
    backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 10, "family_members": [
        {"unique_id": row_id, "relation_age": 35}]}})
    latest = backend_client.get(f"/api/v1/cases/{case['id']}/history?per_page=1").get_json()
    assert latest["meta"]["total"] == 2
    entry = latest["data"][0]
    assert entry["revision"] == 2 and entry["action"] == "update"
    assert entry["changes"] == {"age": {"from": 9, "to": 10},
                                "family_members": {"rows": {row_id: {"changed": {"relation_age": {"from": 34, "to": 35}}}}}}


def test_a_failed_write_leaves_no_history(backend_client, case):
    backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": "nine"}})
    assert backend_client.get(f"/api/v1/cases/{case['id']}/history").get_json()["meta"]["total"] == 1


def test_removed_fields_keep_their_data(backend_client, case):
    client = backend_client
    client.delete("/api/v1/forms/basic_identity/fields/age")
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    updated = client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"name": "Benoît"}})
    assert updated.status_code == 200
    assert updated.get_json()["data"]["data"]["age"] == 9
    assert updated.get_json()["data"]["config_version"] == 2
    assert details(client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 10}})) == {("/age", "unknown")}


def test_disabled_options_are_refused_for_new_values_only(backend_client, case):
    client = backend_client
    client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"risk_level": "medium"}})
    client.patch("/api/v1/lookups/lookup-risk-level/values/medium", json={"data": {"disabled": True}})
    client.post("/api/v1/metadata/publish", json={})
    assert client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"name": "Kept"}}).status_code == 200
    other = create(client, {"risk_level": "medium"})
    assert details(other) == {("/risk_level", "disabled_option")}


def test_calculated_fields_are_computed_and_cannot_be_written(backend_client):
    client = backend_client
    client.post("/api/v1/forms/basic_identity/fields", json={"data": {
        "name": "household_size", "type": "calculated", "display_name_i18n": {"en": "Household", "fr": "Ménage"},
        "calculation": {"sum": ["age", 1]}}})
    client.post("/api/v1/metadata/publish", json={})
    created = create(client, {"age": 4})
    assert created.get_json()["data"]["data"]["household_size"] == 5
    assert details(create(client, {"household_size": 3})) == {("/household_size", "read_only")}


def test_list_filters_ranges_sort_and_pagination(backend_client):
    for name, sex, age in [("Awa", "female", 4), ("Koffi", "male", 12), ("Nadia", "female", 15)]:
        create(backend_client, {"name": name, "sex": sex, "age": age})
    listing = backend_client.get("/api/v1/cases?sex=female&sort=-created_at").get_json()
    assert listing["meta"]["total"] == 2
    assert backend_client.get("/api/v1/cases?sex=female,male").get_json()["meta"]["total"] == 3
    page = backend_client.get("/api/v1/cases?per_page=2&page=2&sort=created_at").get_json()
    assert page["meta"] == {"total": 3, "page": 2, "per_page": 2, "total_exact": True, "next_cursor": None}
    assert len(page["data"]) == 1
    assert backend_client.get("/api/v1/cases?per_page=5000").get_json()["meta"]["per_page"] == 1000
    fields = backend_client.get("/api/v1/cases?fields=name&sex=male").get_json()["data"][0]["data"]
    assert fields == {"name": "Koffi"}


def test_text_query_ignores_case_and_accents(backend_client, case):
    create(backend_client, {"name": "Awa Diallo"})
    assert [r["id"] for r in backend_client.get("/api/v1/cases?query=benoit").get_json()["data"]] == [case["id"]]
    assert backend_client.get("/api/v1/cases?query=NGO bassa").get_json()["meta"]["total"] == 1
    assert backend_client.get("/api/v1/cases?query=.*").get_json()["meta"]["total"] == 0


def test_updated_since_returns_what_changed(backend_client, case):
    stamp = case["last_updated_at"]
    assert backend_client.get(f"/api/v1/cases?updated_since={stamp}").get_json()["meta"]["total"] == 0
    backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 10}})
    assert backend_client.get(f"/api/v1/cases?updated_since={stamp}").get_json()["meta"]["total"] == 1


@pytest.mark.parametrize("query", ["age[$gt]=1", "sex[$regex]=.*", "$where=1", "data.sex=male", "name=Awa",
                                   "sort=$natural", "updated_since=yesterday", "record_state=maybe", "page=0"])
def test_operators_and_unknown_filters_in_the_query_string_are_refused(backend_client, query):
    response = backend_client.get(f"/api/v1/cases?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "BAD_PARAMETER"


@pytest.mark.parametrize("data", [{"sex": {"$ne": None}}, {"name": {"$gt": ""}}, {"family_members": [{"$x": 1}]}])
def test_operators_in_bodies_are_refused(backend_client, data):
    response = create(backend_client, data)
    assert response.status_code == 422


def test_huge_arrays_and_long_strings_are_refused(backend_client):
    rows = [{"relation_name": "x"}] * 1001
    assert details(create(backend_client, {"family_members": rows})) == {("/family_members", "max_items")}


def test_incidents_link_to_a_case(backend_client, case):
    created = backend_client.post(f"/api/v1/cases/{case['id']}/incidents",
                                  json={"data": {"incident_date": "2024-05-01"}})
    assert created.status_code == 201
    incident = created.get_json()["data"]
    assert incident["case_id"] == case["id"] and incident["incident_id_display"] == incident["short_id"]
    linked = backend_client.get(f"/api/v1/cases/{case['id']}/incidents").get_json()
    assert [i["id"] for i in linked["data"]] == [incident["id"]]
    assert create(backend_client, route="incidents").status_code == 201
    assert backend_client.get(f"/api/v1/cases/{case['id']}/incidents").get_json()["meta"]["total"] == 1


def test_a_trace_is_matched_to_a_case(backend_client, case):
    client = backend_client
    name = {"en": "Trace", "fr": "Recherche"}
    client.post("/api/v1/forms", json={"data": {
        "unique_id": "tracing_request_subform_section", "parent_form": "tracing_request", "is_nested": True,
        "module_ids": ["primeromodule-cp"], "name_i18n": name, "fields": [
            {"name": "name", "type": "text_field", "display_name_i18n": name, "searchable": True},
            {"name": "matched_case_id", "type": "text_field", "display_name_i18n": name, "disabled": True}]}})
    client.post("/api/v1/forms", json={"data": {
        "unique_id": "tracing_request_tracing_request", "parent_form": "tracing_request",
        "module_ids": ["primeromodule-cp"], "name_i18n": name, "fields": [
            {"name": "tracing_request_subform_section", "type": "subform", "display_name_i18n": name,
             "subform_section_id": "tracing_request_subform_section"}]}})
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    request = create(client, {"tracing_request_subform_section": [{"name": "Benoît"}]}, route="tracing_requests")
    record = request.get_json()["data"]
    trace_id = record["data"]["tracing_request_subform_section"][0]["unique_id"]
    assert client.get("/api/v1/tracing_requests?query=benoit").get_json()["meta"]["total"] == 1

    url = f"/api/v1/tracing_requests/{record['id']}/traces/{trace_id}/match"
    matched = client.post(url, json={"data": {"case_id": case["id"]}})
    assert matched.status_code == 200
    assert matched.get_json()["data"]["data"]["tracing_request_subform_section"][0]["matched_case_id"] == case["id"]
    assert client.post(url, json={"data": {"case_id": str(uuid.uuid4())}}).status_code == 404
    history = client.get(f"/api/v1/tracing_requests/{record['id']}/history").get_json()["data"][0]
    assert history["action"] == "match"


def test_publishing_a_field_as_filterable_indexes_it(backend_app, backend_client):
    client = backend_client
    client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"filterable": True}})
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    indexed = {tuple(key for key, _ in index["key"])
               for index in backend_app.extensions["abri_db"]["case"].index_information().values()}
    assert {("data.age", "_seq"), ("data.sex", "_seq"), ("owned_by", "_seq"), ("short_id",), ("_search",)} <= indexed
    assert not {("data.age",), ("owned_by",), ("created_at",)} & indexed  # no plan reads those: no write pays for them
    assert client.get("/api/v1/cases?age=1..10&sort=age").status_code == 200


def test_history_survives_a_crash_between_the_write_and_the_history_copy(backend_app, backend_client, case):
    from server.storage import records as store

    real = store.flush_history
    store.flush_history = lambda *args, **kwargs: None  # the process "dies" before copying the entry
    try:
        backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 10}})
    finally:
        store.flush_history = real
    assert backend_app.extensions["abri_db"].record_history.count_documents({"record_id": case["id"]}) == 1
    backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 11}})
    revisions = [e["revision"] for e in backend_client.get(f"/api/v1/cases/{case['id']}/history").get_json()["data"]]
    assert revisions == [3, 2, 1]


def test_every_failing_field_is_told_in_the_users_language(backend_client):
    from datetime import date, timedelta

    client = backend_client
    assert client.post("/api/v1/forms/basic_identity/fields", json={"data": {
        "name": "seen_on", "type": "date_field", "date_validation": "not_future_date",
        "display_name_i18n": {"en": "Seen on", "fr": "Vu le"}}}).status_code == 200
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    body = {"data": {"ghost": 1, "seen_on": (date.today() + timedelta(days=3)).isoformat(), "risk_level": "high",
                     "risk_reason": " \u00a0 "}}
    told = {}
    for locale in ("en", "fr"):
        response = client.post(f"/api/v1/cases?locale={locale}", json=body)
        assert response.status_code == 422
        told[locale] = response.get_json()["error"]
    assert told["en"]["message"] == "Invalid fields: 3. Nothing was saved."
    assert told["fr"]["message"] == "Champs non valides : 3. Rien n'a été enregistré."
    assert told["en"]["details"] == [
        {"field": "/ghost", "code": "unknown", "message": "There is no such field in the published forms."},
        {"field": "/seen_on", "code": "future_date", "message": "Must not be in the future."},
        {"field": "/risk_reason", "code": "required", "message": "This field is required."}]
    assert [d["message"] for d in told["fr"]["details"]] == [
        "Ce champ n'existe pas dans les formulaires publiés.", "Ne doit pas être dans le futur.",
        "Ce champ est obligatoire."]
    assert client.get("/api/v1/cases").get_json()["meta"]["total"] == 0


@pytest.fixture
def assessor(backend_app, backend_client):
    """A user who reads basic identity and writes only an assessment form."""
    from tests.builders import field, form, make_user, role
    from tests.conftest import authenticated

    for route, body in (("forms", form("assessment_form", field("assessment_notes", "textarea"), order=20)),
                        ("roles", role("role-assessor", {"case": ["read", "create", "write"]}, "all",
                                       {"basic_identity": "r", "assessment_form": "rw"}))):
        assert backend_client.post(f"/api/v1/{route}", json={"data": body}).status_code == 201
    assert backend_client.post("/api/v1/metadata/publish", json={}).status_code == 201
    return authenticated(backend_app, make_user(backend_app, "assessor", "role-assessor"))


def test_forbidden_fields_alone_are_403_and_with_other_errors_one_422(backend_client, assessor, case):
    url = f"/api/v1/cases/{case['id']}"
    alone = assessor.patch(url, json={"data": {"age": 10}})
    assert alone.status_code == 403 and alone.get_json()["error"]["code"] == "FIELDS_FORBIDDEN"
    together = assessor.patch(f"{url}?locale=fr", json={"data": {"age": 10, "assessment_notes": 5}})
    assert together.status_code == 422
    error = together.get_json()["error"]
    assert error["code"] == "RECORD_INVALID"
    assert error["details"] == [
        {"field": "/age", "code": "forbidden", "message": "Non modifiable avec votre rôle."},
        {"field": "/assessment_notes", "code": "type", "message": "Doit être de type string."}]
    assert assessor.patch(url, json={"data": {"assessment_notes": "Seen at school"}}).status_code == 200
    history = backend_client.get(f"{url}/history").get_json()
    assert history["meta"]["total"] == 2 and history["data"][0]["changes"] == {
        "assessment_notes": {"from": None, "to": "Seen at school"}}  # the refused writes wrote nothing
    created = assessor.post("/api/v1/cases", json={"data": {"name": "Awa", "assessment_notes": ""}})
    assert created.status_code == 403 and backend_client.get("/api/v1/cases").get_json()["meta"]["total"] == 1


def test_refusals_on_a_cases_incidents_and_on_a_trace_match_are_audited_under_the_paths_record(backend_client):
    """The record a refusal is about is the one of the path (a case, a tracing request), kept only when it is an id."""
    absent, tracing_id = str(uuid.uuid4()), str(uuid.uuid4())
    tries = [("GET", f"/api/v1/cases/{absent}/incidents", None, ("list_incidents", "case", absent)),
             ("POST", f"/api/v1/cases/{absent}/incidents", {"data": {}}, ("create_incident", "case", absent)),
             ("GET", "/api/v1/cases/not-a-case/incidents", None, ("list_incidents", "case", None)),
             ("POST", f"/api/v1/tracing_requests/{tracing_id}/traces/t1/match", {"data": {"case_id": absent}},
              ("match", "tracing_request", tracing_id))]
    for method, url, body, (action, resource, record_id) in tries:
        assert backend_client.open(url, method=method, json=body).status_code == 404, url
        entry = backend_client.get("/api/v1/audit_logs?per_page=1").get_json()["data"][0]
        assert (entry["user_name"], entry["action"], entry["resource"], entry["record_id"], entry["status"],
                entry["detail"]) == ("admin", action, resource, record_id, 404, "NOT_FOUND"), url


def test_page_numbers_reach_the_first_thousand_records_and_cursors_any(backend_client, case):
    assert backend_client.get("/api/v1/cases?page=20&per_page=50").status_code == 200
    assert backend_client.get("/api/v1/cases?per_page=1000").status_code == 200
    refused = backend_client.get("/api/v1/cases?page=21&per_page=50", headers={"Accept-Language": "fr"})
    assert refused.status_code == 400
    detail = refused.get_json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("page", "page_window") and "next_cursor" in detail["message"]
    assert "premiers" in detail["message"]


def test_a_cursor_must_come_from_the_same_list(backend_client, case):
    create(backend_client, {"name": "Awa"})
    first = backend_client.get("/api/v1/cases?per_page=1").get_json()
    cursor = first["meta"]["next_cursor"]
    following = backend_client.get(f"/api/v1/cases?per_page=1&cursor={cursor}").get_json()
    assert [r["id"] for r in first["data"] + following["data"]] == [
        r["id"] for r in backend_client.get("/api/v1/cases?per_page=2").get_json()["data"]]
    assert following["meta"]["next_cursor"] is None
    for bad in (f"{cursor}&sort=created_at", "bm9wZQ", "%E2%82%AC", "eyJzZXEiOiIxIiwic29ydCI6Ii1sYXN0X3VwZGF0ZWRfYXQsX2lkIn0",
                f"{cursor}&page=2"):
        answer = backend_client.get(f"/api/v1/cases?per_page=1&cursor={bad}")
        assert answer.status_code == 400, bad
        assert answer.get_json()["error"]["details"][0]["field"] == "cursor", bad
