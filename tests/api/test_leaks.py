"""Nothing leaves the server that the role may not read: the content each role receives, on every route.

The world: a case form anyone may read (basic_identity) and a health form only nurses may read,
with a subform and a field that happens to be named like an envelope field (owned_by). Every
secret is written where a worker may not read it, and the tests look for it in what the worker
receives: record bodies, history, error messages, incidents pre-filled from the case, traces.
Each test runs on mongomock and on SecantusDB.
"""
import pytest

from tests.builders import field, form, make_user, minimal_configuration, publish, role, seed
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri, refusal

SECRET = "SECRET-HEALTH"
CASE = ["read", "create", "write", "view_history", "assign"]
OPTIONS = [{"id": "positive", "display_text": {"en": "Positive", "fr": "Positif"}},
           {"id": "negative", "display_text": {"en": "Negative", "fr": "Négatif"}}]


@pytest.fixture
def world(backend_app, backend_client):
    """A worker (basic identity only), a nurse (basic identity and health), both of agency-a, and their clients."""
    return build_world(backend_app, backend_client)


def build_world(app, admin) -> dict:
    """Publish the health form and the roles as `admin`; make the users; return everyone's clients."""
    for body in [
        form("treatments_section", field("medicine"), is_nested=True, visible=False),
        form("health", field("hiv", "select_box", option_strings_text_i18n=OPTIONS), field("health_notes", "textarea"),
             field("owned_by"), field("treatments", "subform", subform_section_id="treatments_section"), order=20),
        role("role-worker", {"case": CASE}, "self", {"basic_identity": "rw"}),
        role("role-nurse", {"case": CASE}, "all", {"basic_identity": "rw", "health": "rw"}),
        role("role-no-cases", {"incident": ["read"]}, "all", {}),
        role("role-supervisor", {"case": ["read", "view_history"]}, "group", {"basic_identity": "r"}),
        role("role-manager", {"case": ["read", "view_history"]}, "agency", {"basic_identity": "r"}),
    ]:
        route = "roles" if "permissions" in body else "forms"
        assert admin.post(f"/api/v1/{route}", json={"data": body}).status_code == 201, body
    publish(admin)
    clients = {name: authenticated(app, make_user(app, name, role_id, "agency-a"))
               for name, role_id in [("worker", "role-worker"), ("nurse", "role-nurse"),
                                     ("clerk", "role-no-cases")]}
    clients["admin"] = admin
    return clients


def a_case_with_health_secrets(world) -> dict:
    """A case of the worker's, whose health form the nurse filled in (and changed, so history has both)."""
    case = world["worker"].post("/api/v1/cases", json={"data": {"name": "Awa", "age": 7}}).get_json()["data"]
    for data in ({"hiv": "positive", "health_notes": SECRET, "owned_by": SECRET,
                  "treatments": [{"medicine": SECRET}]},
                 {"health_notes": SECRET + "-2", "treatments": [{"medicine": SECRET + "-3"}]}):
        response = world["nurse"].patch(f"/api/v1/cases/{case['id']}", json={"data": data})
        assert response.status_code == 200, response.get_json()
    return case


def test_reads_lists_and_history_hold_nothing_of_an_unreadable_form(world):
    case = a_case_with_health_secrets(world)
    worker = world["worker"]
    for url in (f"/api/v1/cases/{case['id']}", "/api/v1/cases", f"/api/v1/cases/{case['id']}/history"):
        response = worker.get(url)
        assert response.status_code == 200
        assert SECRET not in response.get_data(as_text=True), url
    history = worker.get(f"/api/v1/cases/{case['id']}/history").get_json()["data"]
    # the nurse's two updates are there (who, when), with none of their changes; the worker's create is whole
    assert [(entry["action"], entry["changes"]) for entry in history[:2]] == [("update", {}), ("update", {})]
    assert set(history[-1]["changes"]) == {"name", "age"}
    nurse_view = world["nurse"].get(f"/api/v1/cases/{case['id']}/history").get_json()["data"]
    assert nurse_view[1]["changes"]["owned_by"] == {"from": None, "to": SECRET}
    assert set(nurse_view[0]["changes"]) == {"health_notes", "treatments"}


def test_a_field_named_like_an_envelope_field_is_not_shown_as_one(world):
    """Envelope changes are shown only in the entries that make them (assign, enable, disable)."""
    case = a_case_with_health_secrets(world)
    assert world["worker"].post(f"/api/v1/cases/{case['id']}/assign",
                                json={"data": {"owned_by": "nurse"}}).status_code == 200
    history = world["nurse"].get(f"/api/v1/cases/{case['id']}/history").get_json()["data"]
    assert history[0]["action"] == "assign" and history[0]["changes"] == {"owned_by": {"from": "worker", "to": "nurse"}}
    worker_history = world["worker"].get(f"/api/v1/cases/{case['id']}/history").get_json()["data"]
    assert [e["changes"] for e in worker_history if e["action"] == "update"] == [{}, {}]


def test_removed_fields_are_seen_only_by_roles_that_could_read_the_form_that_held_them(world):
    admin, worker, nurse = world["admin"], world["worker"], world["nurse"]
    for form_id, name in (("basic_identity", "nickname"), ("health", "old_diagnosis")):
        assert admin.post(f"/api/v1/forms/{form_id}/fields", json={"data": field(name)}).status_code == 200
    publish(admin)
    case = worker.post("/api/v1/cases", json={"data": {"name": "Awa", "nickname": "Wawa"}}).get_json()["data"]
    assert nurse.patch(f"/api/v1/cases/{case['id']}", json={"data": {"old_diagnosis": SECRET}}).status_code == 200
    for form_id, name in (("basic_identity", "nickname"), ("health", "old_diagnosis")):
        assert admin.delete(f"/api/v1/forms/{form_id}/fields/{name}").status_code in (200, 204)
    publish(admin)
    assert worker.patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 8}}).status_code == 200  # restamped

    seen_by_worker = worker.get(f"/api/v1/cases/{case['id']}").get_json()["data"]["data"]
    assert seen_by_worker == {"name": "Awa", "age": 8, "nickname": "Wawa"}
    assert nurse.get(f"/api/v1/cases/{case['id']}").get_json()["data"]["data"]["old_diagnosis"] == SECRET
    listed = worker.get("/api/v1/cases").get_json()["data"][0]["data"]
    assert "nickname" in listed and "old_diagnosis" not in listed
    history = worker.get(f"/api/v1/cases/{case['id']}/history").get_json()["data"]
    assert SECRET not in str(history) and history[-1]["changes"]["nickname"] == {"from": None, "to": "Wawa"}


def test_validation_errors_do_not_tell_what_a_hidden_field_holds(world):
    """A field required when hiv is positive: the worker's write must not learn that it is."""
    case = a_case_with_health_secrets(world)
    admin = world["admin"]
    assert admin.post("/api/v1/forms/health/fields", json={"data": field(
        "hiv_care_plan", "textarea", required=True, display_conditions={"eq": {"hiv": "positive"}})}).status_code == 200
    publish(admin)
    refused = world["worker"].patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 8}})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert [(d["field"], d["code"]) for d in error["details"]] == [("", "hidden_fields")]
    assert "hiv" not in refused.get_data(as_text=True)
    told_nurse = world["nurse"].patch(f"/api/v1/cases/{case['id']}", json={"data": {"age": 8}}).get_json()["error"]
    assert [(d["field"], d["code"]) for d in told_nurse["details"]] == [("/hiv_care_plan", "required")]


def focal_point(world, field_map: dict[str, str]):
    """A focal point who reads basic identity of cases and writes cp_incident_form (not incident_review)."""
    admin = world["admin"]
    for url, body in [
        ("/api/v1/forms/cp_incident_form/fields", field("incident_age", "numeric_field")),
        ("/api/v1/forms/cp_incident_form/fields", field("incident_notes", "textarea")),
        ("/api/v1/forms", form("incident_review", field("reviewer_name"), parent_form="incident")),
        ("/api/v1/roles", role("role-focal", {"case": ["read"], "incident": ["read", "create"]}, "agency",
                               {"basic_identity": "r", "cp_incident_form": "rw", "incident_review": "r"})),
    ]:
        assert admin.post(url, json={"data": body}).status_code in (200, 201), url
    patch = {"field_map": {"incident": field_map}}
    assert admin.patch("/api/v1/modules/primeromodule-cp", json={"data": patch}).status_code == 200
    publish(admin)
    return authenticated(admin.application, make_user(admin.application, "focal", "role-focal", "agency-a"))


def test_an_incident_from_a_case_copies_no_field_the_user_may_not_read(world):
    focal = focal_point(world, {"incident_age": "age", "incident_notes": "health_notes"})
    case = a_case_with_health_secrets(world)
    created = focal.post(f"/api/v1/cases/{case['id']}/incidents", json={"data": {"incident_date": "2024-05-01"}})
    assert created.status_code == 201, created.get_json()
    incident = created.get_json()["data"]
    assert incident["data"] == {"incident_date": "2024-05-01", "incident_age": 7}
    assert SECRET not in str(world["admin"].get(f"/api/v1/incidents/{incident['id']}").get_json())
    by_admin = world["admin"].post(f"/api/v1/cases/{case['id']}/incidents", json={"data": {}}).get_json()["data"]
    assert by_admin["data"]["incident_notes"] == SECRET + "-2"  # the map works for who may read the field


def test_an_incident_from_a_case_writes_no_field_the_user_may_not_write(world):
    focal = focal_point(world, {"incident_age": "age", "reviewer_name": "name"})
    case = a_case_with_health_secrets(world)
    created = focal.post(f"/api/v1/cases/{case['id']}/incidents", json={"data": {"incident_date": "2024-05-01"}})
    assert created.status_code == 201, created.get_json()
    incident_id = created.get_json()["data"]["id"]
    stored = world["admin"].get(f"/api/v1/incidents/{incident_id}").get_json()["data"]["data"]
    assert stored == {"incident_date": "2024-05-01", "incident_age": 7}  # reviewer_name is read-only for them


def trace_world(world):
    """A tracing request with one trace, and two roles: one writes the traces form, one only reads it."""
    admin = world["admin"]
    for route, body in [
        ("forms", form("traces_section", field("name"), field("matched_case_id"), parent_form="tracing_request",
                       is_nested=True, visible=False)),
        ("forms", form("traces", field("traces", "subform", subform_section_id="traces_section"),
                       parent_form="tracing_request")),
        ("forms", form("inquirer", field("inquirer_name"), parent_form="tracing_request")),
        ("roles", role("role-tracer", {"tracing_request": ["read", "write", "create"], "case": ["read"]}, "agency",
                       {"inquirer": "rw", "traces": "rw", "basic_identity": "r"})),
        ("roles", role("role-inquirer", {"tracing_request": ["read", "write", "create"], "case": ["read"]}, "agency",
                       {"inquirer": "rw", "traces": "r", "basic_identity": "r"})),
    ]:
        assert admin.post(f"/api/v1/{route}", json={"data": body}).status_code == 201, body
    publish(admin)
    app = admin.application
    tracer = authenticated(app, make_user(app, "tracer", "role-tracer", "agency-a"))
    inquirer = authenticated(app, make_user(app, "inquirer", "role-inquirer", "agency-a"))
    request = tracer.post("/api/v1/tracing_requests", json={"data": {"inquirer_name": "Koffi",
                                                                     "traces": [{"name": "Awa"}]}}).get_json()["data"]
    case = world["worker"].post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    return tracer, inquirer, request, case


def test_a_trace_is_matched_only_through_a_form_the_role_may_write(world):
    tracer, inquirer, request, case = trace_world(world)
    trace_id = request["data"]["traces"][0]["unique_id"]
    url = f"/api/v1/tracing_requests/{request['id']}/traces/{trace_id}/match"
    refused = inquirer.post(url, json={"data": {"case_id": case["id"]}})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "FIELDS_FORBIDDEN"
    unchanged = tracer.get(f"/api/v1/tracing_requests/{request['id']}").get_json()["data"]
    assert unchanged["revision"] == 1 and "matched_case_id" not in unchanged["data"]["traces"][0]
    matched = tracer.post(url, json={"data": {"case_id": case["id"]}})
    assert matched.status_code == 200
    assert matched.get_json()["data"]["data"]["traces"][0]["matched_case_id"] == case["id"]


def test_assign_checks_the_permission_and_the_scope_before_any_user_lookup(world):
    """Whether a user name exists is never the difference between two refusals."""
    case = world["nurse"].post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    url = f"/api/v1/cases/{case['id']}/assign"
    for client, status in ((world["clerk"], 403), (world["worker"], 404)):  # no permission; out of scope
        answers = [client.post(url, json={"data": {"owned_by": name}}) for name in ("nurse", "nobody-at-all")]
        assert [a.status_code for a in answers] == [status, status]
        assert refusal(answers[0]) == refusal(answers[1])
        assert "nobody-at-all" not in answers[1].get_data(as_text=True)


def test_a_record_goes_only_to_a_user_whose_role_may_read_it(world):
    case = world["worker"].post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    url = f"/api/v1/cases/{case['id']}/assign"
    for owner, rule in (("clerk", "not_entitled"), ("nobody-at-all", "unknown")):
        refused = world["worker"].post(url, json={"data": {"owned_by": owner}})
        assert refused.status_code == 422
        assert [(d["field"], d["code"]) for d in refused.get_json()["error"]["details"]] == [("/owned_by", rule)]
    record = world["worker"].get(f"/api/v1/cases/{case['id']}").get_json()["data"]
    assert (record["owned_by"], record["revision"]) == ("worker", 1)
    assert world["worker"].post(url, json={"data": {"owned_by": "nurse"}}).get_json()["data"]["owned_by"] == "nurse"


def test_refused_record_accesses_are_audited_without_values(backend_app, world):
    case = world["nurse"].post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    worker, clerk = world["worker"], world["clerk"]
    base = f"/api/v1/cases/{case['id']}"
    tries = [(worker, "GET", base, None, "read", 404),
             (worker, "PATCH", base, {"data": {"name": SECRET}}, "update", 404),
             (worker, "GET", base + "/history", None, "view_history", 404),
             (worker, "POST", base + "/assign", {"data": {"owned_by": "worker"}}, "assign", 404),
             (clerk, "GET", base, None, "read", 403), (clerk, "GET", "/api/v1/cases", None, "list", 403)]
    for client, method, url, body, _, status in tries:
        assert client.open(url, method=method, json=body).status_code == status
    entries = world["admin"].get("/api/v1/audit_logs?per_page=100").get_json()["data"]
    refused = [(e["user_name"], e["action"], e["resource"], e["record_id"], e["status"]) for e in entries
               if e["status"] in (403, 404)]
    expected = [("worker" if client is worker else "clerk", action, "case",
                 None if url.endswith("/cases") else case["id"], status) for client, _, url, _, action, status in tries]
    assert sorted(refused) == sorted(expected)
    assert SECRET not in str(list(backend_app.extensions["abri_db"].audit_log.find()))
    malformed = worker.get("/api/v1/cases/not-a-uuid%0Aforged")
    assert malformed.status_code == 404
    last = world["admin"].get("/api/v1/audit_logs?user_name=worker&per_page=1").get_json()["data"][0]
    assert (last["action"], last["record_id"], last["status"]) == ("read", None, 404)


# Lists, counts, searches, sync pulls and pages hold only the records in the user's scope -------------

@pytest.fixture(scope="module", params=BACKENDS)
def caseload(request):
    """The world, and one case each of: the worker (agency-a), a colleague (agency-a, group-b), an outsider
    (agency-b, group-a); a supervisor of group-a and a manager of agency-a, who read them by their group or
    agency. Built once per backend: the tests that use it only read."""
    with app_on(backend_uri(request)) as app:
        clients = build_world(app, authenticated(app, seed(app, minimal_configuration())))
        for name, role_id, agency, groups in [("colleague", "role-worker", "agency-a", ["group-b"]),
                                              ("outsider", "role-worker", "agency-b", ["group-a"]),
                                              ("supervisor", "role-supervisor", "agency-c", ["group-a"]),
                                              ("manager", "role-manager", "agency-a", [])]:
            clients[name] = authenticated(app, make_user(app, name, role_id, agency, groups))
        cases = {}
        for name, child in (("worker", "Awa"), ("colleague", "Koffi"), ("outsider", "Nadia")):
            made = clients[name].post("/api/v1/cases", json={"data": {"name": f"{child} Enfant", "age": 7}})
            assert made.status_code == 201, made.get_json()
            cases[child] = made.get_json()["data"]["id"]
        yield clients, cases


SEES = {"worker": ["Awa"], "colleague": ["Koffi"], "outsider": ["Nadia"], "supervisor": ["Nadia"],
        "manager": ["Awa", "Koffi"], "nurse": ["Awa", "Koffi", "Nadia"]}


def names(answer) -> list[str]:
    body = answer.get_json()
    assert answer.status_code == 200, body
    return sorted(record["data"]["name"].split()[0] for record in body["data"])


def test_lists_searches_and_sync_pulls_hold_only_the_records_in_scope(caseload):
    clients, _ = caseload
    for query in ("", "?query=enfant", "?record_state=true", "?created_at=2020-01-01..2099-12-31",
                  "?updated_since=2020-01-01T00:00:00Z", "?sort=-created_at"):
        for user, expected in SEES.items():
            answer = clients[user].get("/api/v1/cases" + query)
            assert (names(answer), answer.get_json()["meta"]["total"]) == (expected, len(expected)), (user, query)


def test_pages_count_only_the_records_in_scope(caseload):
    clients, _ = caseload
    pages = [clients["manager"].get(f"/api/v1/cases?sort=created_at&per_page=1&page={page}") for page in (1, 2, 3)]
    assert [names(page) for page in pages] == [["Awa"], ["Koffi"], []]
    assert {page.get_json()["meta"]["total"] for page in pages} == {2}


def test_a_filter_never_widens_the_scope(caseload):
    clients, _ = caseload
    for user, query, expected in [("worker", "owned_by=colleague", []),
                                  ("worker", "owned_by=worker,colleague,outsider", ["Awa"]),
                                  ("manager", "owned_by_agency=agency-b", []),
                                  ("manager", "owned_by_agency=agency-a,agency-b", ["Awa", "Koffi"]),
                                  ("supervisor", "owned_by=worker", [])]:
        answer = clients[user].get(f"/api/v1/cases?{query}")
        assert (names(answer), answer.get_json()["meta"]["total"]) == (expected, len(expected)), (user, query)


def test_history_is_read_only_in_scope(caseload):
    clients, cases = caseload
    for user, visible in SEES.items():
        for child, case_id in cases.items():
            answer = clients[user].get(f"/api/v1/cases/{case_id}/history")
            assert answer.status_code == (200 if child in visible else 404), (user, child)
            assert (child in answer.get_data(as_text=True)) == (child in visible), (user, child)
