"""What roles refuse: scope, readable and writable forms, translators, the forms a role sees."""
import pytest

from tests.builders import field, form, make_user, role
from tests.conftest import authenticated

RECORD = ["read", "create", "write", "view_history", "disable", "assign"]


@pytest.fixture
def world(app, client):
    """Roles: case worker (self), supervisor (group), manager (agency), partner (identity read-only)."""
    client.post("/api/v1/forms", json={"data": form("protection_concern", field("concern_notes", "textarea", filterable=True), order=20)})
    roles = [
        role("role-worker", {"case": RECORD, "incident": ["read"]}, "self",
             {"basic_identity": "rw", "protection_concern": "rw"}),
        role("role-supervisor", {"case": RECORD}, "group", {"basic_identity": "rw", "protection_concern": "rw"}),
        role("role-manager", {"case": ["read"]}, "agency", {"basic_identity": "r", "protection_concern": "r"}),
        role("role-partner", {"case": ["read", "write"]}, "all", {"basic_identity": "r"}),
        role("role-translator", {"metadata": ["manage_translations"]}, "self", {}),
    ]
    for body in roles:
        assert client.post("/api/v1/roles", json={"data": body}).status_code == 201
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    users = {
        "awa": make_user(app, "awa", "role-worker", "agency-a", ["group-a"]),
        "koffi": make_user(app, "koffi", "role-worker", "agency-a", ["group-b"]),
        "nadia": make_user(app, "nadia", "role-worker", "agency-b", ["group-a"]),
        "sup": make_user(app, "sup", "role-supervisor", "agency-c", ["group-a"]),
        "mgr": make_user(app, "mgr", "role-manager", "agency-a", []),
        "partner": make_user(app, "partner", "role-partner", "agency-z", []),
        "translator": make_user(app, "translator", "role-translator"),
    }
    clients = {name: authenticated(app, token) for name, token in users.items()}
    cases = {}
    for name in ("awa", "koffi", "nadia"):
        response = clients[name].post("/api/v1/cases", json={"data": {"name": f"Child of {name}", "age": 7,
                                                                       "concern_notes": "confidential"}})
        assert response.status_code == 201, response.get_json()
        cases[name] = response.get_json()["data"]["id"]
    return clients, cases


def ids(response):
    return {record["id"] for record in response.get_json()["data"]}


def test_case_workers_see_only_their_own_cases_and_counts(world):
    clients, cases = world
    listing = clients["awa"].get("/api/v1/cases")
    assert ids(listing) == {cases["awa"]} and listing.get_json()["meta"]["total"] == 1
    assert clients["awa"].get("/api/v1/cases?query=child").get_json()["meta"]["total"] == 1


def test_a_record_out_of_scope_is_not_found_on_every_route(world):
    clients, cases = world
    other = cases["koffi"]
    for method, url, body in [("GET", f"/api/v1/cases/{other}", None),
                              ("PATCH", f"/api/v1/cases/{other}", {"data": {"age": 8}}),
                              ("DELETE", f"/api/v1/cases/{other}", None),
                              ("GET", f"/api/v1/cases/{other}/history", None),
                              ("POST", f"/api/v1/cases/{other}/assign", {"data": {"owned_by": "awa"}})]:
        response = clients["awa"].open(url, method=method, json=body)
        assert response.status_code == 404, (method, url)
        assert "confidential" not in response.get_data(as_text=True)
    missing = clients["awa"].get("/api/v1/cases/00000000-0000-4000-8000-000000000000")
    assert missing.get_json()["error"]["code"] == clients["awa"].get(f"/api/v1/cases/{other}").get_json()["error"]["code"]


def test_supervisors_see_their_groups_and_managers_their_agency(world):
    clients, cases = world
    assert ids(clients["sup"].get("/api/v1/cases")) == {cases["awa"], cases["nadia"]}
    assert ids(clients["mgr"].get("/api/v1/cases")) == {cases["awa"], cases["koffi"]}


def test_reads_show_only_readable_fields(world):
    clients, cases = world
    record = clients["partner"].get(f"/api/v1/cases/{cases['awa']}").get_json()["data"]
    assert record["data"] == {"name": "Child of awa", "age": 7}
    listed = clients["partner"].get("/api/v1/cases").get_json()["data"]
    assert all("concern_notes" not in r["data"] for r in listed)
    history = clients["partner"].get(f"/api/v1/cases/{cases['awa']}/history")
    assert history.status_code == 403  # the partner role has no view_history


def test_writes_to_read_only_forms_are_refused_naming_the_fields(world):
    clients, cases = world
    response = clients["partner"].patch(f"/api/v1/cases/{cases['awa']}", json={"data": {"age": 9, "name": "x"}})
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "FIELDS_FORBIDDEN"
    assert {(d["field"], d["code"]) for d in error["details"]} == {("/age", "forbidden"), ("/name", "forbidden")}
    assert clients["awa"].get(f"/api/v1/cases/{cases['awa']}").get_json()["data"]["revision"] == 1


def test_a_field_of_a_form_the_role_may_not_read_is_unknown_to_it(world):
    """Its forms are not served to the role: a refusal does not tell it that the name exists either."""
    clients, cases = world
    response = clients["partner"].patch(f"/api/v1/cases/{cases['awa']}", json={"data": {"age": 9, "concern_notes": "x"}})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "RECORD_INVALID"
    assert [(d["field"], d["code"]) for d in error["details"]] == [("/age", "forbidden"), ("/concern_notes", "unknown")]
    no_such_field = clients["partner"].patch(f"/api/v1/cases/{cases['awa']}", json={"data": {"no_such_field": "x"}})
    assert no_such_field.get_json()["error"]["details"] == [
        {**error["details"][1], "field": "/no_such_field"}]  # told exactly as a name no form has
    assert clients["awa"].get(f"/api/v1/cases/{cases['awa']}").get_json()["data"]["revision"] == 1


def test_filters_on_unreadable_fields_are_refused(world):
    clients, _ = world
    assert clients["partner"].get("/api/v1/cases?concern_notes=confidential").status_code == 400
    assert clients["partner"].get("/api/v1/cases?sort=concern_notes").status_code == 400
    assert clients["awa"].get("/api/v1/cases?concern_notes=confidential").get_json()["meta"]["total"] == 1


def test_the_forms_a_role_may_not_read_are_not_served(world):
    clients, _ = world
    forms = {f["unique_id"] for f in clients["partner"].get("/api/v1/forms?record_type=case").get_json()["data"]}
    assert forms == {"basic_identity", "family_members_section"}
    assert clients["partner"].get("/api/v1/forms/protection_concern").status_code == 404
    schema = clients["partner"].get("/api/v1/schemas/case").get_json()["data"]
    assert "concern_notes" not in schema["properties"] and "age" in schema["properties"]


def test_assign_changes_the_owner_and_scope(world):
    clients, cases = world
    response = clients["sup"].post(f"/api/v1/cases/{cases['awa']}/assign", json={"data": {"owned_by": "koffi"}})
    assert response.status_code == 200
    assert response.get_json()["data"]["owned_by"] == "koffi"
    assert cases["awa"] in ids(clients["koffi"].get("/api/v1/cases"))
    assert clients["awa"].get(f"/api/v1/cases/{cases['awa']}").status_code == 200  # still associated
    assert cases["awa"] in ids(clients["awa"].get("/api/v1/cases"))  # and listed: the access keys follow the write


def test_translators_change_labels_but_nothing_else(world):
    clients, _ = world
    translator = clients["translator"]
    label = translator.patch("/api/v1/forms/basic_identity/fields/age",
                             json={"data": {"display_name_i18n": {"fr": "Âge"}, "visible": False}})
    assert label.status_code == 200
    required = translator.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"required": True}})
    assert required.status_code == 403 and required.get_json()["error"]["code"] == "TRANSLATIONS_ONLY"
    assert required.get_json()["error"]["details"][0]["field"] == "fields/age"
    assert translator.post("/api/v1/metadata/publish", json={}).status_code == 403
    assert translator.post("/api/v1/forms/basic_identity/fields", json={"data": field("x")}).status_code == 403


def test_disabled_users_cannot_log_in_or_use_their_tokens(app, world, client):
    clients, _ = world
    client.patch("/api/v1/users/awa", json={"data": {"disabled": True}})
    assert clients["awa"].get("/api/v1/cases").status_code == 401


def test_record_reads_and_writes_are_audited_without_values(app, world, client):
    clients, cases = world
    clients["awa"].get(f"/api/v1/cases/{cases['awa']}")
    entries = client.get(f"/api/v1/audit_logs?record_id={cases['awa']}").get_json()["data"]
    assert [e["action"] for e in entries] == ["read", "create"]
    assert entries[0]["user_name"] == "awa" and entries[0]["resource"] == "case"
    assert "confidential" not in str(list(app.extensions["abri_db"].audit_log.find()))
    assert clients["awa"].get("/api/v1/audit_logs").status_code == 403


def test_text_search_looks_only_at_readable_fields(world, client):
    clients, cases = world
    client.patch("/api/v1/forms/protection_concern/fields/concern_notes", json={"data": {"searchable": True}})
    client.post("/api/v1/metadata/publish", json={})
    clients["awa"].patch(f"/api/v1/cases/{cases['awa']}", json={"data": {"concern_notes": "violences domestiques"}})
    assert clients["awa"].get("/api/v1/cases?query=domestiques").get_json()["meta"]["total"] == 1
    assert clients["partner"].get("/api/v1/cases?query=domestiques").get_json()["meta"]["total"] == 0
    assert clients["partner"].get("/api/v1/cases?query=child awa").get_json()["meta"]["total"] == 1
