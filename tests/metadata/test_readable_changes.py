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


# Moving a field to another form


def move(client, source, name, target, position=None, revision=None):
    revision = revision or client.get(f"/api/v1/forms/{source}?draft=true").get_json()["meta"]["revision"]
    body = {"data": {"form": target, **({} if position is None else {"position": position})}}
    return client.post(f"/api/v1/forms/{source}/fields/{name}/move", json=body, headers={"If-Match": f'"{revision}"'})


def names_in(client, form_id):
    return [f["name"] for f in client.get(f"/api/v1/forms/{form_id}?draft=true").get_json()["data"]["fields"]]


def a_second_case_form(client):
    response = client.post("/api/v1/forms", json={"data": {
        "unique_id": "household", "parent_form": "case", "module_ids": ["primeromodule-cp"],
        "name_i18n": {"en": "Household", "fr": "Ménage"}, "fields": [
            {"name": "adults", "type": "numeric_field", "display_name_i18n": {"en": "Adults", "fr": "Adultes"}}]}})
    assert response.status_code == 201, response.get_json()


def test_a_field_moves_to_another_form_where_the_administrator_chooses(backend_client):
    client = backend_client
    a_second_case_form(client)
    response = move(client, "basic_identity", "date_of_birth", "household", position=0)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["unique_id"] == "household"
    assert names_in(client, "household") == ["date_of_birth", "adults"]
    assert "date_of_birth" not in names_in(client, "basic_identity")
    changes = client.get("/api/v1/metadata/draft/impact?locale=en").get_json()["data"]["changes"]
    moved = {c["unique_id"]: c for c in changes}
    assert moved["basic_identity"]["fields_removed"] == [{"name": "date_of_birth", "label": "Date of birth",
                                                          "records": 0, "moved_to": "Household"}]
    assert publish(client)["data"]["version"] == 2  # the field kept its name and type: its data still fit


@pytest.mark.parametrize("target,code", [("cp_incident_form", 422), ("family_members_section", 422),
                                         ("basic_identity", 422), ("nowhere", 404)])
def test_a_field_does_not_move_to_another_record_type_a_subform_itself_or_nowhere(client, target, code):
    before = names_in(client, "basic_identity")
    response = move(client, "basic_identity", "age", target)
    assert response.status_code == code, response.get_json()
    assert "%(" not in response.get_json()["error"]["message"]
    assert names_in(client, "basic_identity") == before


def test_a_move_from_a_stale_page_is_refused_and_changes_nothing(client):
    a_second_case_form(client)
    stale = client.get("/api/v1/forms/basic_identity?draft=true").get_json()["meta"]["revision"]
    reversed_names = list(reversed(names_in(client, "basic_identity")))
    client.put("/api/v1/forms/basic_identity/fields/order", json={"data": reversed_names})
    response = move(client, "basic_identity", "age", "household", revision=stale)
    assert response.status_code == 412
    assert "age" in names_in(client, "basic_identity") and names_in(client, "household") == ["adults"]
    assert move(client, "basic_identity", "ghost", "household").status_code == 404
    french = client.post("/api/v1/forms/basic_identity/fields/age/move?locale=fr", json={"data": {"form": ""}})
    assert french.status_code == 422 and french.get_json()["error"]["details"][0]["field"] == "data.form"
