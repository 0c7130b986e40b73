"""The publish check on published fields: a type change is allowed while no record holds a value for the field.

server/metadata/checks.py, check_published_fields_unchanged: what an import onto an instance without records
needs (test_primero_import.py imports onto one with records).
"""
import copy

from server.metadata.checks import check_published_fields_unchanged
from server.metadata.configuration import Configuration
from server.metadata.problems import CheckContext
from tests.builders import publish


def retyped(client, name: str, type_: str, **attributes):
    """Change the type of a field of basic_identity in the draft through the API; return the answer."""
    form = client.get("/api/v1/forms/basic_identity").get_json()["data"]
    fields = [dict(f, type=type_, **attributes) if f["name"] == name else f for f in form["fields"]]
    for field in fields:
        if field["name"] == name:
            for key in ("min_value", "max_value", "option_strings_source", "filterable", "searchable"):
                field.pop(key, None)
    return client.put("/api/v1/forms/basic_identity", json={"data": {**form, "fields": fields}})


def test_a_field_no_record_holds_may_change_its_type(backend_client):
    assert retyped(backend_client, "age", "text_field").status_code == 200
    publish(backend_client, "age as text")
    created = backend_client.post("/api/v1/cases", json={"data": {"name": "Awa", "age": "about nine"}})
    assert created.status_code == 201, created.get_json()
    lookup = {"unique_id": "lookup-new", "name_i18n": {"en": "New"}, "lookup_values_i18n": []}
    assert backend_client.post("/api/v1/lookups", json={"data": lookup}).status_code == 201
    publish(backend_client, "a lookup")  # records hold text in age, published as text since: no refusal


def test_a_field_a_record_holds_keeps_its_type(backend_client):
    assert backend_client.post("/api/v1/cases", json={"data": {"name": "Awa", "age": 9}}).status_code == 201
    refused = retyped(backend_client, "age", "text_field")  # the draft refuses it already, as publishing would
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "CHECKS_FAILED"
    details = {(d["field"], d["code"]) for d in refused.get_json()["error"]["details"]}
    assert details == {("form:basic_identity/age/type", "PUBLISHED_FIELD_CHANGED")}


def _field_config(type_: str) -> Configuration:
    form = {"unique_id": "f", "parent_form": "case", "name_i18n": {"en": "F"},
            "fields": [{"name": "x", "type": type_, "display_name_i18n": {"en": "X"}}]}
    return Configuration.from_documents([("form", "f", copy.deepcopy(form))])


def test_the_rule_asks_whether_records_hold_the_field_only_when_the_type_changes():
    asked = []
    published = {"case": {"x": {"type": "numeric_field", "multi_select": False}}}

    def holds(record_type, name):
        asked.append((record_type, name))
        return True

    ctx = CheckContext(("en",), "en", Configuration(version=0), published, holds_values=holds)
    assert list(check_published_fields_unchanged(_field_config("numeric_field"), ctx)) == []
    assert asked == []
    assert [p.code for p in check_published_fields_unchanged(_field_config("text_field"), ctx)] == [
        "PUBLISHED_FIELD_CHANGED"]
    ctx.holds_values = lambda record_type, name: False
    assert list(check_published_fields_unchanged(_field_config("text_field"), ctx)) == []


def test_without_a_way_to_ask_the_rule_assumes_records_hold_the_field():
    ctx = CheckContext(("en",), "en", Configuration(version=0),
                       {"case": {"x": {"type": "numeric_field", "multi_select": False}}})
    assert [p.code for p in check_published_fields_unchanged(_field_config("date_field"), ctx)] == [
        "PUBLISHED_FIELD_CHANGED"]
