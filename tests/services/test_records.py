"""The record use cases, called as the CLI and the workers call them: no HTTP client, a Context.

The world: the shipped basic_identity form and a health form a worker may not read; a worker
(self scope), a colleague of the same role, and a clerk whose role has no case permission.
"""
from datetime import datetime, timezone

import pytest

from server.errors import Forbidden, NotFound
from server.metadata import draft as drafts
from server.metadata.versions import LanguageSettings
from server.records.types import RECORD_TYPES
from server.services import records as use_cases
from server.storage import get_db
from tests.builders import field, form, make_user, publish, role
from tests.services.contexts import as_user, audited, operator

CASE = RECORD_TYPES["case"]
SECRET = "SECRET-HEALTH"
WORKER = ["read", "create", "write", "disable", "view_history", "assign"]


@pytest.fixture
def world(app, client):
    """The published health form and roles, the users, and an app context to call use cases in."""
    for route, body in [("forms", form("health", field("health_notes", "textarea"), order=20)),
                        ("roles", role("role-worker", {"case": WORKER}, "self", {"basic_identity": "rw"})),
                        ("roles", role("role-clerk", {"incident": ["read"]}, "all", {}))]:
        assert client.post(f"/api/v1/{route}", json={"data": body}).status_code == 201
    publish(client)
    for name, role_id in (("worker", "role-worker"), ("colleague", "role-worker"), ("clerk", "role-clerk")):
        make_user(app, name, role_id, "agency-a")
    with app.app_context():
        yield app



def workers_case(app) -> str:
    """A case the operator creates with a health secret and gives to the worker."""
    created = use_cases.create_record(operator(app), CASE, {"data": {"name": "Awa", "health_notes": SECRET}})
    use_cases.assign_record(operator(app), CASE, created.record["id"], "worker")
    return created.record["id"]


def test_the_command_line_creates_and_assigns_with_audit_entries_of_the_operator(world):
    created = use_cases.create_record(operator(world), CASE, {"data": {"name": "Awa"}})
    assert (created.created, created.revision, created.record["owned_by"]) == (True, 1, "system")
    assigned = use_cases.assign_record(operator(world), CASE, created.record["id"], "worker", expected_revision=1)
    assert (assigned.revision, assigned.record["owned_by"]) == (2, "worker")
    case_id = created.record["id"]
    assert audited(operator(world), 2) == [("system", "create", "case", case_id, 201, None, "cli"),
                                           ("system", "assign", "case", case_id, 200, None, "cli")]


def test_a_role_receives_only_the_fields_it_may_read_and_the_read_is_audited(world):
    case_id = workers_case(world)
    worker = as_user(world, "worker")
    shown = use_cases.read_record(worker, CASE, case_id.upper())
    assert (shown.record["id"], shown.record["data"], shown.revision) == (case_id, {"name": "Awa"}, 2)
    assert SECRET not in str(shown)
    assert use_cases.read_record(operator(world), CASE, case_id).record["data"]["health_notes"] == SECRET
    assert audited(worker, 2)[0] == ("worker", "read", "case", case_id, 200, None, "192.0.2.7")


def test_a_list_shows_its_page_and_total_with_readable_fields_only_and_is_audited(world):
    workers_case(world)
    use_cases.create_record(operator(world), CASE, {"data": {"name": "Not the worker's"}})
    worker = as_user(world, "worker")
    page = use_cases.list_records(worker, CASE, {"per_page": ["10"]})
    assert (page.total, page.page, page.per_page) == (1, 1, 10)
    assert [item["data"] for item in page.items] == [{"name": "Awa"}]
    assert audited(worker) == [("worker", "list", "case", None, None, "1 records", "192.0.2.7")]


def test_history_shows_only_readable_changes_without_storage_keys(world):
    case_id = workers_case(world)
    worker = as_user(world, "worker")
    page = use_cases.record_history(worker, CASE, case_id, 1, 10)
    assert page.total == 2 and [entry["action"] for entry in page.items] == ["assign", "create"]
    assert page.items[1]["changes"] == {"name": {"from": None, "to": "Awa"}}
    assert not {"_id", "record_id"} & set(page.items[0])
    assert audited(worker) == [("worker", "view_history", "case", case_id, None, None, "192.0.2.7")]


def test_refusals_are_audited_with_the_action_the_record_and_the_code(world):
    case_id = workers_case(world)
    colleague, clerk, worker = (as_user(world, name) for name in ("colleague", "clerk", "worker"))
    tries = [(colleague, lambda ctx: use_cases.read_record(ctx, CASE, case_id), NotFound,
              ("colleague", "read", "case", case_id, 404, "NOT_FOUND")),
             (colleague, lambda ctx: use_cases.update_record(ctx, CASE, case_id, {"name": "B"}), NotFound,
              ("colleague", "update", "case", case_id, 404, "NOT_FOUND")),
             (clerk, lambda ctx: use_cases.set_record_state(ctx, CASE, case_id, False), Forbidden,
              ("clerk", "disable", "case", case_id, 403, "PERMISSION_DENIED")),
             (clerk, lambda ctx: use_cases.list_records(ctx, CASE, {}), Forbidden,
              ("clerk", "list", "case", None, 403, "PERMISSION_DENIED")),
             (clerk, lambda ctx: use_cases.create_incident(ctx, case_id, {}), Forbidden,
              ("clerk", "create_incident", "case", case_id, 403, "PERMISSION_DENIED")),
             (worker, lambda ctx: use_cases.read_record(ctx, CASE, "not-a-uuid\nforged"), NotFound,
              ("worker", "read", "case", None, 404, "NOT_FOUND"))]
    for ctx, call, refusal, entry in tries:
        with pytest.raises(refusal):
            call(ctx)
        assert audited(ctx) == [(*entry, "192.0.2.7")]
    assert SECRET not in str(list(worker.db.audit_log.find()))


def test_a_permission_is_refused_before_the_record_is_looked_up(world):
    """Whether a record exists is never the difference between two refusals."""
    clerk, absent = as_user(world, "clerk"), "0f8fad5b-d9cb-469f-a165-70867728950e"
    refusals = []
    for record_id in (workers_case(world), absent):
        for call in (use_cases.read_record, use_cases.record_history):
            with pytest.raises(Forbidden) as refused:
                call(clerk, CASE, record_id, *(() if call is use_cases.read_record else (1, 10)))
            refusals.append((refused.value.code, str(refused.value)))
    assert len(set(refusals[0::2])) == len(set(refusals[1::2])) == 1


def test_a_create_indexes_a_filterable_field_a_dying_publish_left_unindexed(world):
    """Publishing commits before it indexes; whoever writes next under the new version indexes it."""
    admin = world.test_client()
    admin.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.config['ADMIN_TOKEN']}"
    assert admin.post("/api/v1/forms/basic_identity/fields",
                      json={"data": field("district", filterable=True)}).status_code == 200
    now = datetime.now(timezone.utc)
    drafts.publish_draft(get_db(), LanguageSettings(("en", "fr"), "en"), "tester", now, "no indexing")
    keys = lambda: [index["key"] for index in get_db()["case"].index_information().values()]  # noqa: E731
    assert [("data.district", 1), ("_seq", 1)] not in keys()
    use_cases.create_record(as_user(world, "worker"), CASE, {"data": {"name": "Awa", "district": "Zou"}})
    assert [("data.district", 1), ("_seq", 1)] in keys()
