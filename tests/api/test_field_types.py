"""GET /api/v1/field_types: the registry a form renderer reads instead of a list of its own."""
from server.metadata.field_types import FIELD_TYPES
from tests.builders import make_user, role
from tests.conftest import authenticated


def test_every_type_is_served_with_how_it_is_filtered_exported_and_shown(client):
    answer = client.get("/api/v1/field_types")
    assert answer.status_code == 200
    served = {row["type"]: row for row in answer.get_json()["data"]}
    assert list(served) == list(FIELD_TYPES) and answer.get_json()["meta"] == {"total": len(FIELD_TYPES)}
    select = served["select_box"]
    assert select["label"] == "Choice list" and select["value"] == "option" and select["export"] == "option"
    assert select["render"] == {"widget": "select", "options": True, "multiple": True, "accept": None}
    assert {"option_strings_source", "multi_select", "filterable"} <= set(select["attributes"])
    assert served["numeric_field"]["filter"] == "range" and served["location"]["filter"] == "location"
    assert served["separator"]["holds_data"] is False and served["separator"]["json_type"] == []
    assert served["calculated"]["read_only"] is True
    assert served["text_field"]["searchable"] is True and "searchable" not in served["tally_field"]["attributes"]
    assert served["photo_upload_box"]["render"]["accept"] == "image/jpeg,image/png,image/webp"


def test_labels_are_in_the_request_language(client):
    french = {row["type"]: row["label"] for row in client.get("/api/v1/field_types?locale=fr").get_json()["data"]}
    assert french["text_field"] == "Texte court" and french["audio_upload_box"] == "Enregistrements audio"
    by_header = client.get("/api/v1/field_types", headers={"Accept-Language": "fr"}).get_json()["data"]
    assert by_header[0]["label"] == "Texte court"


def test_a_client_revalidates_with_its_etag_per_language(client):
    english = client.get("/api/v1/field_types")
    assert client.get("/api/v1/field_types", headers={"If-None-Match": english.headers["ETag"]}).status_code == 304
    french = client.get("/api/v1/field_types", headers={"Accept-Language": "fr",
                                                        "If-None-Match": english.headers["ETag"]})
    assert french.status_code == 200 and french.headers["ETag"] != english.headers["ETag"]


def test_any_signed_in_user_may_read_it_and_nobody_else(app, client):
    client.post("/api/v1/roles", json={"data": role("role-nothing", {})})
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    nobody = authenticated(app, make_user(app, "idrissa", "role-nothing"))
    assert nobody.get("/api/v1/field_types").status_code == 200
    refused = app.test_client().get("/api/v1/field_types")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "AUTHENTICATION_REQUIRED"


def test_the_openapi_document_describes_the_answer(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/field_types"]["get"]
    assert "200" in operation["responses"] and "304" in operation["responses"]
    assert "FieldType" in document["components"]["schemas"]
