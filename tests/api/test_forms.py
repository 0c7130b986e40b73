"""Reading forms and lookups: languages, filters, ETag/304, `since` deltas."""
from tests.builders import i18n


def test_forms_are_filtered_by_record_type_and_come_in_the_requested_language(backend_client):
    response = backend_client.get("/api/v1/forms?record_type=case&locale=fr")
    assert response.status_code == 200
    forms = response.get_json()["data"]
    assert {f["unique_id"] for f in forms} == {"basic_identity", "family_members_section"}
    identity = next(f for f in forms if f["unique_id"] == "basic_identity")
    assert identity["name"] == "Basic identity (fr)"
    assert identity["fields"][0]["display_name"] == "Name (fr)"
    assert "name_i18n" not in identity


def test_forms_without_locale_carry_every_language(client):
    form = client.get("/api/v1/forms/basic_identity").get_json()["data"]
    assert form["name_i18n"] == i18n("Basic identity")


def test_a_missing_translation_falls_back_to_the_default_language(client):
    client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"display_name_i18n": {"fr": None}}})
    client.post("/api/v1/metadata/publish", json={})
    form = client.get("/api/v1/forms/basic_identity?locale=fr").get_json()["data"]
    assert next(f for f in form["fields"] if f["name"] == "age")["display_name"] == "Age"


def test_lookups_list_their_values_in_the_requested_language(client):
    lookup = client.get("/api/v1/lookups/lookup-sex?locale=fr").get_json()["data"]
    assert lookup["lookup_values"] == [{"id": "female", "display_text": "Female (fr)"},
                                       {"id": "male", "display_text": "Male (fr)"}]


def test_module_is_served(client):
    modules = client.get("/api/v1/modules").get_json()
    assert [m["unique_id"] for m in modules["data"]] == ["primeromodule-cp"]
    assert modules["meta"]["total"] == 1


def test_revalidation_with_the_etag_answers_304_without_a_body(backend_client):
    first = backend_client.get("/api/v1/forms?record_type=case")
    etag = first.headers["ETag"]
    again = backend_client.get("/api/v1/forms?record_type=case", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    other_language = backend_client.get("/api/v1/forms?record_type=case&locale=fr", headers={"If-None-Match": etag})
    assert other_language.status_code == 200


def test_publishing_changes_the_etag(client):
    etag = client.get("/api/v1/forms").headers["ETag"]
    client.patch("/api/v1/forms/basic_identity", json={"data": {"name_i18n": {"fr": "Identité"}}})
    client.post("/api/v1/metadata/publish", json={})
    response = client.get("/api/v1/forms", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_since_returns_only_changed_forms_and_tombstones(backend_client):
    client = backend_client
    client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"display_name_i18n": {"fr": "Âge"}}})
    client.delete("/api/v1/forms/cp_incident_form")
    assert client.post("/api/v1/metadata/publish", json={"data": {"comment": "label"}}).status_code == 201
    delta = client.get("/api/v1/forms?since=1").get_json()
    assert [item["unique_id"] for item in delta["data"]] == ["basic_identity", "cp_incident_form"]
    assert delta["data"][1] == {"unique_id": "cp_incident_form", "deleted": True}
    assert delta["meta"]["version"] == 2
    assert client.get("/api/v1/forms?since=2").get_json()["data"] == []


def test_since_a_future_version_is_not_found(client):
    response = client.get("/api/v1/forms?since=9")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "NOT_FOUND"


def test_unknown_form_answers_404_in_the_error_shape(client):
    body = client.get("/api/v1/forms/nope").get_json()
    assert body["error"]["code"] == "NOT_FOUND"
    assert "nope" in body["error"]["message"]


def test_draft_view_shows_unpublished_documents_with_their_revision(client):
    client.patch("/api/v1/forms/basic_identity", json={"data": {"name_i18n": {"en": "Identity"}}})
    response = client.get("/api/v1/forms/basic_identity?draft=true")
    assert response.get_json()["data"]["name_i18n"]["en"] == "Identity"
    assert response.get_json()["meta"]["revision"] == 2
    assert response.headers["ETag"] == '"2"'
    assert client.get("/api/v1/forms/basic_identity").get_json()["data"]["name_i18n"]["en"] == "Basic identity"
