"""Changes as a person reads them: before a publish, an administrator sees labels in their language, properties in
words, what a removed field leaves in the records, and whom the version reaches; nothing that means nothing."""
from __future__ import annotations

import uuid

import pytest

from server.metadata.readable import same_value
from tests.builders import make_user, publish


@pytest.mark.parametrize("key,before,after", [
    ("required", None, False), ("searchable", False, None), ("visible", None, True), ("display_name_i18n",
     {"en": "Age", "fr": ""}, {"en": "Age"}), ("module_ids", ["b", "a"], ["a", "b"]),
    ("permissions", {"case": ["write", "read"]}, {"case": ["read", "write"]}), ("help_text_i18n", None, {"en": ""})])
def test_empty_and_reordered_values_mean_no_change(key, before, after):
    assert same_value(key, before, after)


@pytest.mark.parametrize("key,before,after", [
    ("visible", None, False), ("required", None, True),
    ("display_name_i18n", {"en": "Age"}, {"en": "Age", "fr": "Âge"}),
    ("fields_order", ["a", "b"], ["b", "a"]), ("min_value", 0, None)])
def test_a_real_change_is_one(key, before, after):
    assert not same_value(key, before, after)


def impact(client, locale="fr"):
    response = client.get(f"/api/v1/metadata/draft/impact?locale={locale}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def test_saving_defaults_again_leaves_the_draft_without_changes(client):
    form = client.get("/api/v1/forms/basic_identity?draft=true").get_json()
    fields = form["data"]["fields"]
    fields[0]["required"] = False
    fields[1]["visible"] = True
    fields[2]["display_name_i18n"]["es"] = ""
    response = client.put("/api/v1/forms/basic_identity", json={"data": form["data"]},
                          headers={"If-Match": f'"{form["meta"]["revision"]}"'})
    assert response.status_code == 200, response.get_json()
    assert client.get("/api/v1/metadata/draft").get_json()["data"]["changes"] == []
    assert impact(client)["changes"] == []


def test_the_impact_names_fields_options_and_properties_in_the_readers_language(backend_app, backend_client):
    client = backend_client
    for number in range(3):  # records holding data for the field the draft removes, and one without
        data = {"name": f"Enfant {number}", **({"date_of_birth": "2015-03-0%d" % (number + 1)} if number else {})}
        assert client.post("/api/v1/cases", json={"data": data}).status_code == 201
    make_user(backend_app, "awa", "role-system-administrator")
    make_user(backend_app, "kofi", "role-system-administrator")
    client.patch("/api/v1/users/kofi", json={"data": {"disabled": True}})
    device = {"data": {"id": str(uuid.uuid4()), "name": "Tablette"}}
    assert client.post("/api/v1/devices", json=device).status_code == 201
    revision = lambda: f'"{client.get("/api/v1/forms/basic_identity?draft=true").get_json()["meta"]["revision"]}"'
    assert client.post("/api/v1/forms/basic_identity/fields", json={"data": {
        "name": "school", "type": "text_field", "display_name_i18n": {"en": "School", "fr": "École"}}, "position": 1},
        headers={"If-Match": revision()}).status_code == 200
    assert client.delete("/api/v1/forms/basic_identity/fields/date_of_birth",
                         headers={"If-Match": revision()}).status_code == 200
    assert client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {
        "display_name_i18n": {"en": "Age (years)", "fr": "Âge (ans)"}, "required": True}},
        headers={"If-Match": revision()}).status_code == 200
    lookup = client.get("/api/v1/lookups/lookup-risk-level?draft=true").get_json()
    extreme = {"id": "extreme", "display_text": {"en": "Extreme", "fr": "Extrême"}}
    values = lookup["data"]["lookup_values_i18n"] + [extreme]
    assert client.patch("/api/v1/lookups/lookup-risk-level", json={"data": {"lookup_values_i18n": values}},
                        headers={"If-Match": f'"{lookup["meta"]["revision"]}"'}).status_code == 200

    seen = impact(client)
    form = next(change for change in seen["changes"] if change["unique_id"] == "basic_identity")
    assert form["label"] == "Basic identity (fr)" and form["change"] == "changed"
    assert form["fields_added"] == [{"name": "school", "label": "École"}]
    assert form["fields_removed"] == [{"name": "date_of_birth", "label": "Date of birth (fr)", "records": 2}]
    assert form["fields_changed"] == [{"name": "age", "label": "Âge (ans)", "properties": ["libellé", "obligatoire"]}]
    risk = next(change for change in seen["changes"] if change["unique_id"] == "lookup-risk-level")
    assert risk["options_added"] == [{"id": "extreme", "label": "Extrême"}] and not risk["options_removed"]
    assert (seen["users"], seen["devices"], seen["records_losing_a_field"]) == (2, 1, 2)
    english = impact(client, "en")
    assert next(c for c in english["changes"] if c["unique_id"] == "basic_identity")["fields_changed"][0][
        "properties"] == ["label", "required"]
    publish(client)
    assert impact(client)["changes"] == []
