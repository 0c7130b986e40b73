"""Bad input gets a 4xx naming the field and the rule; never a 500, never a half-applied change."""
import pytest

from tests.builders import field, form


def error_of(response):
    return response.get_json()["error"]


def draft_of(client, form_id="basic_identity"):
    return client.get(f"/api/v1/forms/{form_id}?draft=true").get_json()


def test_malformed_json(backend_client):
    response = backend_client.post("/api/v1/forms", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "MALFORMED_JSON"


def test_body_that_is_not_json(client):
    response = client.post("/api/v1/forms", data="unique_id=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and error_of(response)["code"] == "CONTENT_TYPE"


@pytest.mark.parametrize("key", ["$where", "$ne", "a.b"])
def test_operator_like_keys_are_refused_anywhere_in_a_body(client, key):
    body = {"data": form("other_form", field("x"), module_ids=["primeromodule-cp"])}
    body["data"]["fields"][0]["display_name_i18n"] = {"en": "X", key: "y"}
    response = client.post("/api/v1/forms", json=body)
    assert response.status_code == 422
    assert error_of(response)["details"][0] == {
        "field": f"/data/fields/0/display_name_i18n/{key}", "code": "key_forbidden",
        "message": "Keys may not start with $ or contain a dot."}


def test_deep_nesting_is_refused(client):
    body = {"data": {}}
    node = body["data"]
    for _ in range(50):
        node["n"] = {}
        node = node["n"]
    response = client.post("/api/v1/forms", json=body)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["code"] == "max_depth"


def test_very_deep_nesting_does_not_crash_the_parser(client):
    response = client.post("/api/v1/forms", data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code in (400, 422)
    assert "error" in response.get_json()


def test_unknown_envelope_key(client):
    response = client.post("/api/v1/forms", json={"data": form("x_form", field("x")), "extra": 1})
    assert response.status_code == 422
    assert {"field": "extra", "code": "unknown"}.items() <= error_of(response)["details"][0].items()


def test_unknown_document_key_and_wrong_types_are_listed_together(client):
    bad = form("bad_form", field("x"), colour="red")
    bad["fields"][0]["required"] = "yes"
    response = client.post("/api/v1/forms", json={"data": bad})
    assert response.status_code == 422
    details = {(d["field"], d["code"]) for d in error_of(response)["details"]}
    assert details == {("/colour", "unknown"), ("/fields/0/required", "type")}


@pytest.mark.parametrize("name", ["Name", "1st", "with space", "é", ""])
def test_bad_field_names(client, name):
    response = client.post("/api/v1/forms/basic_identity/fields", json={"data": field(name)})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "/fields/7/name"
    assert error_of(response)["details"][0]["code"] in ("pattern", "min_length")
    assert len(draft_of(client)["data"]["fields"]) == 7


def test_duplicate_field_name(client):
    response = client.post("/api/v1/forms/basic_identity/fields", json={"data": field("age")})
    assert response.status_code == 409 and error_of(response)["code"] == "ALREADY_EXISTS"


def test_reference_to_a_missing_lookup(client):
    response = client.post("/api/v1/forms/basic_identity/fields", json={
        "data": field("religion", "select_box", option_strings_source="lookup lookup-religion")})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "CHECKS_FAILED"
    assert error["details"] == [{"field": "form:basic_identity/religion/option_strings_source",
                                 "code": "LOOKUP_MISSING", "message": "The lookup lookup-religion does not exist."}]
    assert draft_of(client)["meta"]["revision"] == 1


def test_reference_to_a_missing_subform(client):
    response = client.post("/api/v1/forms/basic_identity/fields", json={
        "data": field("siblings", "subform", subform_section_id="siblings_section")})
    assert error_of(response)["details"][0]["code"] == "SUBFORM_MISSING"


def test_type_change_of_a_published_field(backend_client):
    response = backend_client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"type": "text_field"}})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["code"] == "PUBLISHED_FIELD_CHANGED"
    assert error_of(response)["details"][0]["field"] == "form:basic_identity/age/type"


def test_bad_expression_is_refused_with_its_reason(client):
    response = client.patch("/api/v1/forms/basic_identity/fields/risk_reason",
                            json={"data": {"display_conditions": {"like": {"risk_level": "h%"}}}})
    assert response.status_code == 422
    detail = error_of(response)["details"][0]
    assert detail["code"] == "EXPRESSION_INVALID" and "unknown operator" in detail["message"]


def test_body_over_the_size_cap(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/forms", json={"data": {"x": "y" * 2000}})
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"


def test_bad_query_parameter(client):
    response = client.get("/api/v1/forms?record_type=person")
    assert response.status_code == 400
    assert error_of(response)["details"][0]["field"] == "record_type"


def test_unknown_route_and_method(client):
    assert error_of(client.get("/api/v1/nothing"))["code"] == "ROUTE_NOT_FOUND"
    assert client.delete("/api/v1/metadata/versions").status_code == 405


def test_unexpected_errors_are_500_in_the_error_shape(client, monkeypatch):
    from server.metadata import versions

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(versions, "list_versions", broken)
    response = client.get("/api/v1/metadata/versions")
    assert response.status_code == 500
    assert error_of(response) == {"code": "INTERNAL_ERROR", "details": [],
                                  "message": "An unexpected error occurred. It has been logged."}


def test_anonymous_requests_are_refused(app):
    response = app.test_client().post("/api/v1/metadata/publish", json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
