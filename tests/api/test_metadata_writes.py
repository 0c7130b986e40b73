"""Editing the draft through the API, publishing, versions, diff and restore."""
from tests.builders import field, form, lookup, make_user, publish, role
from tests.conftest import authenticated


def add_field(client, form_id, data, **kwargs):
    return client.post(f"/api/v1/forms/{form_id}/fields", json={"data": data, **kwargs})


def test_add_a_select_field_and_publish_it(backend_client):
    client = backend_client
    response = add_field(client, "basic_identity", field("nationality", "select_box",
                                                         option_strings_source="lookup lookup-sex"), position=1)
    assert response.status_code == 200
    assert [f["name"] for f in response.get_json()["data"]["fields"]][:3] == ["name", "nationality", "sex"]
    published = client.post("/api/v1/metadata/publish", json={"data": {"comment": "nationality"}})
    assert published.status_code == 201
    version = published.get_json()["data"]
    assert version["version"] == 2 and version["comment"] == "nationality"
    assert version["changes"] == [{"kind": "form", "unique_id": "basic_identity", "change": "changed"}]
    form_now = client.get("/api/v1/forms/basic_identity").get_json()["data"]
    assert "nationality" in [f["name"] for f in form_now["fields"]]


def test_reorder_fields(client):
    names = [f["name"] for f in client.get("/api/v1/forms/basic_identity").get_json()["data"]["fields"]]
    reordered = list(reversed(names))
    response = client.put("/api/v1/forms/basic_identity/fields/order", json={"data": reordered})
    assert [f["name"] for f in response.get_json()["data"]["fields"]] == reordered


def test_reorder_must_name_every_field_once(client):
    response = client.put("/api/v1/forms/basic_identity/fields/order", json={"data": ["name", "ghost"]})
    assert response.status_code == 422
    codes = {(d["field"], d["code"]) for d in response.get_json()["error"]["details"]}
    assert ("ghost", "unknown") in codes and ("sex", "required") in codes


def test_stale_if_match_is_refused_with_412_and_changes_nothing(backend_client):
    client = backend_client
    first = client.patch("/api/v1/forms/basic_identity", json={"data": {"order": 20}}, headers={"If-Match": '"1"'})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = client.patch("/api/v1/forms/basic_identity", json={"data": {"order": 30}}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.get_json()["error"]["code"] == "STALE_REVISION"
    assert client.get("/api/v1/forms/basic_identity?draft=true").get_json()["data"]["order"] == 20


def test_create_and_delete_a_lookup(client):
    created = client.post("/api/v1/lookups", json={"data": lookup("lookup-language", "fon", "yoruba")})
    assert created.status_code == 201
    assert created.get_json()["meta"]["revision"] == 1
    assert client.post("/api/v1/lookups", json={"data": lookup("lookup-language", "x")}).status_code == 409
    assert client.delete("/api/v1/lookups/lookup-language").status_code == 204
    assert client.get("/api/v1/lookups/lookup-language?draft=true").status_code == 404


def test_a_lookup_used_by_a_field_cannot_be_deleted(client):
    response = client.delete("/api/v1/lookups/lookup-sex")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "IN_USE"
    assert error["details"][0]["field"] == "form:basic_identity/sex"


def test_add_and_disable_lookup_values(client):
    added = client.post("/api/v1/lookups/lookup-risk-level/values",
                        json={"data": {"id": "critical", "display_text": {"en": "Critical", "fr": "Critique"}}})
    assert added.status_code == 200
    disabled = client.patch("/api/v1/lookups/lookup-risk-level/values/low", json={"data": {"disabled": True}})
    values = disabled.get_json()["data"]["lookup_values_i18n"]
    assert {"id": "low", "display_text": {"en": "Low", "fr": "Low (fr)"}, "disabled": True} in values


def test_a_locked_lookup_can_be_translated_but_not_extended(client):
    translated = client.patch("/api/v1/lookups/lookup-sex/values/female",
                              json={"data": {"display_text": {"fr": "Féminin"}}})
    assert translated.status_code == 200
    extended = client.post("/api/v1/lookups/lookup-sex/values",
                           json={"data": {"id": "other", "display_text": {"en": "Other", "fr": "Autre"}}})
    assert extended.status_code == 422
    assert extended.get_json()["error"]["details"][0]["code"] == "LOCKED_LOOKUP_CHANGED"


def test_versions_history_diff_and_restore(backend_client):
    client = backend_client
    client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"max_value": 25}})
    client.delete("/api/v1/forms/basic_identity/fields/risk_reason")
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201

    history = client.get("/api/v1/metadata/versions").get_json()
    assert [v["version"] for v in history["data"]] == [2, 1] and history["meta"]["total"] == 2

    diff = client.get("/api/v1/metadata/versions/1/diff/2").get_json()["data"]
    assert diff[0]["unique_id"] == "basic_identity"
    assert diff[0]["fields_removed"] == ["risk_reason"]
    assert diff[0]["fields_changed"] == {"age": {"max_value": {"from": 120, "to": 25}}}

    restored = client.post("/api/v1/metadata/versions/1/restore", json={})
    assert restored.status_code == 201
    assert restored.get_json()["data"]["version"] == 3 and restored.get_json()["data"]["restored_from"] == 1
    assert client.get("/api/v1/metadata/versions/1/diff/3").get_json()["data"] == []
    assert client.get("/api/v1/metadata/draft").get_json()["data"]["changes"] == []


def test_restore_refuses_to_discard_pending_draft_changes(client):
    client.patch("/api/v1/forms/basic_identity", json={"data": {"order": 5}})
    client.post("/api/v1/metadata/publish", json={})
    client.patch("/api/v1/forms/basic_identity", json={"data": {"order": 6}})
    refused = client.post("/api/v1/metadata/versions/1/restore", json={})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "DRAFT_NOT_EMPTY"
    forced = client.post("/api/v1/metadata/versions/1/restore", json={"data": {"discard_draft": True}})
    assert forced.status_code == 201


def test_draft_status_lists_changes_and_check_results(client):
    client.post("/api/v1/forms", json={"data": form("orphan_section", field("x"), is_nested=True)})
    status = client.get("/api/v1/metadata/draft").get_json()["data"]
    assert status["published_version"] == 1
    assert status["changes"] == [{"kind": "form", "unique_id": "orphan_section", "change": "added"}]
    assert [w["code"] for w in status["warnings"]] == ["NESTED_FORM_UNUSED"]
    assert status["can_publish"] is True


def test_publishing_an_unchanged_draft_is_a_conflict(client):
    response = client.post("/api/v1/metadata/publish", json={})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "NOTHING_TO_PUBLISH"


def test_an_administrator_unlocks_a_lookup_then_changes_its_values_in_a_later_version(backend_client):
    client = backend_client
    unlocked = client.patch("/api/v1/lookups/lookup-sex", json={"data": {"locked": False}})
    assert unlocked.status_code == 200 and unlocked.get_json()["data"]["locked"] is False
    entry = client.get("/api/v1/audit_logs?action=lookup_unlocked").get_json()["data"][0]
    assert (entry["user_name"], entry["resource"], entry["record_id"]) == ("admin", "lookup", "lookup-sex")
    other = {"data": {"id": "other", "display_text": {"en": "Other", "fr": "Autre"}}}
    too_soon = client.post("/api/v1/lookups/lookup-sex/values", json=other)
    assert too_soon.status_code == 422
    assert too_soon.get_json()["error"]["details"] == [{
        "field": "lookup:lookup-sex/lookup_values_i18n", "code": "LOCKED_LOOKUP_UNLOCK_WITH_CHANGES",
        "message": "The lookup is unlocked in this draft but published locked: publish the unlock on its own first, "
                   "then change its values (+other)."}]
    publish(client, "unlock lookup-sex")
    assert client.post("/api/v1/lookups/lookup-sex/values", json=other).status_code == 200
    publish(client)
    assert "other" in [v["id"] for v in client.get("/api/v1/lookups/lookup-sex").get_json()["data"]["lookup_values_i18n"]]
    relocked = client.patch("/api/v1/lookups/lookup-sex", json={"data": {"locked": True}})
    assert relocked.status_code == 200
    assert client.get("/api/v1/audit_logs?action=lookup_locked").get_json()["meta"]["total"] == 1


def test_only_metadata_managers_lock_or_unlock_and_others_are_refused_before_any_lookup(backend_app, backend_client):
    backend_client.post("/api/v1/roles", json={"data": role("role-worker", {"case": ["read", "create"]})})
    backend_client.post("/api/v1/roles", json={"data": role("role-translator", {"metadata": ["manage_translations"]})})
    publish(backend_client)
    worker = authenticated(backend_app, make_user(backend_app, "awa", "role-worker"))
    for lookup_id in ("lookup-sex", "lookup-nowhere"):
        refused = worker.patch(f"/api/v1/lookups/{lookup_id}", json={"data": {"locked": False}})
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "PERMISSION_DENIED"
    translator = authenticated(backend_app, make_user(backend_app, "tia", "role-translator"))
    refused = translator.patch("/api/v1/lookups/lookup-sex", json={"data": {"locked": False}},
                               headers={"Accept-Language": "fr"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "TRANSLATIONS_ONLY"
    assert refused.get_json()["error"]["details"][0]["field"] == "locked"
    assert backend_client.get("/api/v1/lookups/lookup-sex?draft=true").get_json()["data"]["locked"] is True
    assert backend_client.get("/api/v1/audit_logs?action=lookup_unlocked").get_json()["meta"]["total"] == 0


def test_publishing_refuses_to_remove_a_lookup_value_that_records_hold(backend_client):
    client = backend_client
    for level in ("low", "low", "medium"):
        assert client.post("/api/v1/cases", json={"data": {"risk_level": level, "risk_reason": "x"}}).status_code == 201
    values = client.get("/api/v1/lookups/lookup-risk-level?draft=true").get_json()["data"]["lookup_values_i18n"]
    kept = [v for v in values if v["id"] == "high"]
    assert client.patch("/api/v1/lookups/lookup-risk-level", json={"data": {"lookup_values_i18n": kept}}).status_code == 200
    refused = client.post("/api/v1/metadata/publish", json={}, headers={"Accept-Language": "fr"})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "LOOKUP_VALUES_IN_USE"
    assert error["message"] == ("La publication supprimerait des valeurs de listes présentes dans des fiches : 2. "
                                "Rien n'a été publié.")
    assert error["details"] == [
        {"field": "lookup:lookup-risk-level/lookup_values_i18n/low", "code": "in_use",
         "message": "La valeur low figure dans des fiches : 2 (dossiers : 2, incidents : 0, demandes de recherche : "
                    "0). Désactivez-la au lieu de la supprimer."},
        {"field": "lookup:lookup-risk-level/lookup_values_i18n/medium", "code": "in_use",
         "message": "La valeur medium figure dans des fiches : 1 (dossiers : 1, incidents : 0, demandes de "
                    "recherche : 0). Désactivez-la au lieu de la supprimer."}]
    disabled = [{**v, "disabled": True} for v in values if v["id"] != "high"] + kept
    assert client.patch("/api/v1/lookups/lookup-risk-level", json={"data": {"lookup_values_i18n": disabled}}).status_code == 200
    publish(client, "retire low and medium")
