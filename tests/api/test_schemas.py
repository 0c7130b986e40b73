"""The JSON Schema of a record type, compiled from the published forms."""
from jsonschema import Draft202012Validator


def test_case_schema_is_valid_json_schema_2020_12(backend_client):
    response = backend_client.get("/api/v1/schemas/case")
    schema = response.get_json()["data"]
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["sex"]["enum"] == ["female", "male", None]  # null clears a field
    rows = schema["properties"]["family_members"]["items"]
    assert rows["else"]["properties"]["relation_age"] == {"title": "Relation age", "type": ["number", "null"]}
    assert rows["then"]["properties"]["_destroy"] == {"const": True}  # {"unique_id", "_destroy": true} removes a row
    assert Draft202012Validator(schema).is_valid({"name": "Awa", "sex": "female", "age": 9})
    assert not Draft202012Validator(schema).is_valid({"sex": "unknown"})


def test_the_schema_refuses_what_the_server_refuses(backend_client):
    from datetime import date, timedelta

    client = backend_client
    for body in ({"name": "seen_on", "type": "date_field", "date_validation": "not_future_date",
                  "display_name_i18n": {"en": "Seen on", "fr": "Vu le"}},
                 {"name": "household_size", "type": "calculated", "calculation": {"sum": ["age", 1]},
                  "display_name_i18n": {"en": "Household", "fr": "Ménage"}}):
        assert client.post("/api/v1/forms/basic_identity/fields", json={"data": body}).status_code == 200
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    schema = client.get("/api/v1/schemas/case").get_json()["data"]
    validator = Draft202012Validator(schema)
    in_three_days, yesterday = (date.today() + timedelta(days=3)).isoformat(), (date.today() - timedelta(1)).isoformat()
    for data, accepted in [({"seen_on": yesterday}, True), ({"seen_on": in_three_days}, False),
                           ({"seen_on": "2024-02-30"}, False), ({"household_size": 4}, False),
                           ({"risk_level": "high"}, False), ({"risk_level": "high", "risk_reason": " "}, False),
                           ({"risk_level": "high", "risk_reason": "Threats"}, True), ({"risk_level": None}, True),
                           ({"family_members": [{"relation_name": "Awa", "unique_id": None}]}, True)]:
        assert validator.is_valid(data) is accepted, data
        assert (client.post("/api/v1/cases", json={"data": data}).status_code == 201) is accepted, data
    assert schema["properties"]["household_size"]["readOnly"] is True
    assert "required" not in schema  # risk_reason is required only when shown
    risk = next(rule for rule in schema["allOf"] if "risk_reason" in rule.get("then", {}).get("required", []))
    assert risk["if"] == {"required": ["risk_level"], "properties": {"risk_level": {"anyOf": [
        {"not": {"type": "array"}, "enum": ["high"]}, {"type": "array", "contains": {"enum": ["high"]}}]}}}


def test_the_schema_of_a_day_is_revalidated_the_next_day(client, monkeypatch):
    from datetime import timedelta

    from server.metadata.record_schema import day_bounds
    from server.services import documents

    first = client.get("/api/v1/schemas/case")
    assert client.get("/api/v1/schemas/case", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    monkeypatch.setattr(documents, "day_bounds", lambda now: day_bounds(now + timedelta(days=1)))
    next_day = client.get("/api/v1/schemas/case", headers={"If-None-Match": first.headers["ETag"]})
    assert next_day.status_code == 200 and next_day.headers["ETag"] != first.headers["ETag"]
    days = first.get_json()["data"]["x-abri-days"], next_day.get_json()["data"]["x-abri-days"]
    assert days[0]["latest"] < days[1]["latest"]


def test_a_role_gets_the_schema_of_what_it_may_write(app, client):
    from tests.builders import field, form, make_user, role
    from tests.conftest import authenticated

    for route, body in (("forms", form("assessment_form", field("assessment_notes", "textarea"), order=20)),
                        ("forms", form("health", field("diagnosis", required=True), order=30)),
                        ("roles", role("role-assessor", {"case": ["read", "create", "write"]}, "all",
                                       {"basic_identity": "r", "assessment_form": "rw"}))):
        assert client.post(f"/api/v1/{route}", json={"data": body}).status_code == 201
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    assessor = authenticated(app, make_user(app, "assessor", "role-assessor"))
    schema = assessor.get("/api/v1/schemas/case").get_json()["data"]
    assert schema["properties"]["name"] == {"title": "Name", "readOnly": True, "not": {}}  # read, not written
    assert schema["properties"]["assessment_notes"]["type"] == ["string", "null"]
    assert "diagnosis" not in str(schema)  # a form the role may not read is never named ...
    assert {"not": {}} in schema["allOf"]  # ... but its required field makes every create of this role fail
    answer = assessor.post("/api/v1/cases", json={"data": {"assessment_notes": "x"}})
    assert answer.status_code == 422 and "diagnosis" not in answer.get_data(as_text=True)
    assert not Draft202012Validator(schema).is_valid({"assessment_notes": "x"})


def test_schema_follows_publishing(client):
    client.post("/api/v1/forms/basic_identity/fields", json={"data": {
        "name": "nickname", "type": "text_field", "display_name_i18n": {"en": "Nickname", "fr": "Surnom"}}})
    client.post("/api/v1/metadata/publish", json={})
    schema = client.get("/api/v1/schemas/case").get_json()
    assert "nickname" in schema["data"]["properties"]
    assert schema["meta"]["version"] == 2


def test_unknown_record_type_is_not_found(client):
    assert client.get("/api/v1/schemas/person").status_code == 404


def test_openapi_document_lists_the_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/forms/{unique_id}/fields" in spec["paths"]
    assert "/api/v1/metadata/publish" in spec["paths"]
    assert "meta-form" in spec["components"]["schemas"]


def test_the_schema_of_a_module_that_does_not_hold_the_record_type_is_not_found(client):
    missing = client.get("/api/v1/schemas/case?module_id=nope&locale=fr")
    assert missing.status_code == 404 and "nope" in missing.get_json()["error"]["message"]
    assert missing.get_json()["error"]["message"].startswith("Module nope")
