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
