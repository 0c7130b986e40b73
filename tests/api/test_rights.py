"""No one raises their own rights (issue #12, section 1), on the shipped roles and on both backends.

The world: the shipped configuration, `admin` (system administrator), `nat` (the shipped national
administrator, agency-hq), `cw1` (a case worker of agency-a) and the records cw1 made.
"""
from __future__ import annotations

import copy
import threading
import uuid
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from server.auth import accounts, rights
from server.auth.permissions import principal_from_role
from server.cli import cli
from server.config import load_config
from server.errors import Conflict, Unprocessable
from server.metadata import draft as drafts
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings, published_configuration
from server.storage import get_db
from tests.builders import PASSWORD, make_user, role
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri

SYSADMIN, NATIONAL = "role-system-administrator", "role-national-administrator"
FIELD_ROLES = ("role-agency-manager", "role-case-worker", "role-focal-point", "role-partner-data-manager",
               "role-supervisor")
LANGUAGES = LanguageSettings(("en", "fr"), "en")
MARKER = "Zanzibarmarker"
RECORDS = {"cases": {"registration_date": "2024-01-01", "name_first": MARKER, "sex": "female", "risk_level": "low",
                     "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"},
           "incidents": {"incident_date": "2024-01-01", "cp_incident_violence_type": "neglect"},
           "tracing_requests": {"inquiry_date": "2024-01-01", "relation_name": MARKER}}


# Roles the tests give to extra users, published once with the shipped ones.
TEST_ROLES = (
    role("role-designer", {"metadata": ["manage"]}, "self", {}),  # edits forms, not roles
    # manages users and may assign every role, but does not edit roles: not a system administrator
    role("role-helpdesk", {"user": ["manage"], "agency": ["manage"]}, "self", {}, assignable=["*"]),
)


class World:
    """The app, a client per user, and what they made."""

    def __init__(self, app):
        self.app = app
        self.clients = {}
        self.records = {}

    def user(self, name: str, role_id: str, agency: str | None = None, groups: list[str] | None = None):
        self.clients[name] = authenticated(self.app, make_user(self.app, name, role_id, agency, groups))
        return self.clients[name]

    def __getitem__(self, name: str):
        return self.clients[name]

    def publish_roles(self, *roles: dict) -> None:
        """Add or replace roles as the machine operator would (abri metadata load), and publish."""
        with self.app.app_context():
            db, now = get_db(), datetime.now(timezone.utc)
            config = drafts.draft_configuration(db)
            for body in roles:
                config.documents_by_kind["role"][body["unique_id"]] = body
            drafts.replace_draft(db, list(config.documents()), "system", now, force=True)
            drafts.publish_draft(db, LANGUAGES, "system", now)

    def role(self, unique_id: str) -> dict:
        with self.app.app_context():
            return dict(published_configuration(get_db()).roles[unique_id])

    def audit(self, **filters) -> list[dict]:
        return self["admin"].get("/api/v1/audit_logs", query_string=filters).get_json()["data"]


@pytest.fixture(scope="module", params=BACKENDS)
def template(request):
    """The world built once per backend: its app, its users' tokens, and every collection's documents."""
    with app_on(backend_uri(request)) as app:
        with app.app_context():
            bootstrap_configuration(get_db(), load_config()["METADATA_DIR"], LANGUAGES)
        World(app).publish_roles(*TEST_ROLES)
        tokens = {"admin": make_user(app, "admin", SYSADMIN), "nat": make_user(app, "nat", NATIONAL, "agency-hq"),
                  "cw1": make_user(app, "cw1", "role-case-worker", "agency-a", ["group-a"])}
        database = app.extensions["abri_db"]
        saved = {name: list(database[name].find()) for name in database.list_collection_names()}
        yield app, tokens, saved


@pytest.fixture
def world(template):
    """A fresh copy of the world for each test (cheaper than publishing the shipped configuration again)."""
    app, tokens, saved = template
    database = app.extensions["abri_db"]
    for name in database.list_collection_names():
        database[name].delete_many({})
    for name, documents in saved.items():
        if documents:
            database[name].insert_many(copy.deepcopy(documents))
    world = World(app)
    world.clients = {name: authenticated(app, token) for name, token in tokens.items()}
    return world


def error(response) -> str:
    return response.get_json()["error"]["code"]


def login(world, user_name: str, password: str = PASSWORD):
    return world.app.test_client().post("/api/v1/tokens", json={"user_name": user_name, "password": password})


# 1. Nobody changes their own rights ---------------------------------------------------------------

SELF_CHANGES = [{"role_unique_id": "role-supervisor"}, {"agency_unique_id": "agency-a"},
                {"user_group_unique_ids": ["group-a"]}, {"disabled": True}]


def test_nobody_changes_their_own_role_agency_groups_or_disabled_state(world):
    for who in ("admin", "nat"):
        before = world[who].get("/api/v1/users/current").get_json()["data"]
        for change in SELF_CHANGES:
            response = world[who].patch(f"/api/v1/users/{who.upper()}", json={"data": change})
            assert response.status_code == 403 and error(response) == "SELF_RIGHTS_CHANGE", (who, change)
            assert response.get_json()["error"]["details"][0]["field"] == "/" + next(iter(change))
        assert world[who].get("/api/v1/users/current").get_json()["data"] == before
    response = world["nat"].patch("/api/v1/users/nat", json={"data": {  # one's name, one's rights resent unchanged
        "full_name": "Nadia", "role_unique_id": NATIONAL, "agency_unique_id": "agency-hq", "disabled": False}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["full_name"] == "Nadia"


# 2. A manager grants only the roles it may assign ------------------------------------------------

def test_the_national_administrator_assigns_the_field_roles_only(world):
    assert world.role(NATIONAL)["assignable_role_ids"] == list(FIELD_ROLES)
    for number, role_id in enumerate(FIELD_ROLES):
        created = world["nat"].post("/api/v1/users", json={"data": {
            "user_name": f"field{number}", "password": PASSWORD, "role_unique_id": role_id}})
        assert created.status_code == 201, created.get_json()
    for role_id in (SYSADMIN, NATIONAL):
        refused = world["nat"].post("/api/v1/users", json={"data": {
            "user_name": "climber", "password": PASSWORD, "role_unique_id": role_id}})
        assert refused.status_code == 403 and error(refused) == "ROLE_NOT_ASSIGNABLE"
        assert refused.get_json()["error"]["details"][0]["field"] == "/role_unique_id"
        promoted = world["nat"].patch("/api/v1/users/cw1", json={"data": {"role_unique_id": role_id}})
        assert promoted.status_code == 403 and error(promoted) == "ROLE_NOT_ASSIGNABLE"
    assert world["admin"].get("/api/v1/users/climber").status_code == 404
    assert world["admin"].get("/api/v1/users/cw1").get_json()["data"]["role_unique_id"] == "role-case-worker"
    moved = world["nat"].patch("/api/v1/users/cw1", json={"data": {"role_unique_id": "role-supervisor"}})
    assert moved.status_code == 200 and moved.get_json()["data"]["role_unique_id"] == "role-supervisor"
    for number, role_id in enumerate((SYSADMIN, NATIONAL, *FIELD_ROLES)):  # the system administrator: every one
        created = world["admin"].post("/api/v1/users", json={"data": {
            "user_name": f"person{number}", "password": PASSWORD, "role_unique_id": role_id}})
        assert created.status_code == 201 and created.get_json()["data"]["role_unique_id"] == role_id


def test_the_national_administrator_cannot_touch_a_system_administrator(world):
    for change in ({"password": "another long passphrase"}, {"disabled": True}, {"full_name": "Someone else"},
                   {"agency_unique_id": "agency-hq"}):
        response = world["nat"].patch("/api/v1/users/admin", json={"data": change})
        assert response.status_code == 403 and error(response) == "USER_NOT_MANAGEABLE", change
    assert login(world, "admin").status_code == 201
    assert world["admin"].get("/api/v1/users/current").get_json()["data"]["full_name"] is None


def test_a_role_that_hands_out_more_than_the_granter_cannot_be_given(world):
    deputy = role("role-deputy", {"user": ["manage"]}, "self", {}, assignable=[SYSADMIN])
    world.publish_roles(deputy, {**world.role(NATIONAL),
                                 "assignable_role_ids": [*FIELD_ROLES, "role-deputy"]})
    response = world["nat"].post("/api/v1/users", json={"data": {
        "user_name": "deputy", "password": PASSWORD, "role_unique_id": "role-deputy"}})
    assert response.status_code == 403 and error(response) == "ROLE_EXCEEDS_GRANTER"
    assert response.get_json()["error"]["details"][0]["message"].endswith(f"assignable_role_ids/{SYSADMIN}.")
    moved = world["nat"].patch("/api/v1/users/cw1", json={"data": {"role_unique_id": "role-deputy"}})
    assert moved.status_code == 403 and error(moved) == "ROLE_EXCEEDS_GRANTER"
    assert world["admin"].post("/api/v1/users", json={"data": {
        "user_name": "deputy", "password": PASSWORD, "role_unique_id": "role-deputy"}}).status_code == 201


# 3. Roles are edited with role: manage, and never widened by who holds them ----------------------

def test_editing_roles_needs_role_manage_not_metadata_manage(world):
    world.user("designer", "role-designer")
    case_worker = world.role("role-case-worker")
    wider = {**case_worker, "group_permission": "all"}
    for method in ("put", "patch"):
        response = getattr(world["designer"], method)("/api/v1/roles/role-case-worker", json={"data": wider})
        assert response.status_code == 403, response.get_json()
    created = world["designer"].post("/api/v1/roles", json={"data": role("role-new", {}, "self", {})})
    assert created.status_code == 403 and "role" in created.get_json()["error"]["message"]
    assert world["designer"].delete("/api/v1/roles/role-case-worker").status_code == 403
    label = world["designer"].patch("/api/v1/roles/role-case-worker",
                                    json={"data": {"name_i18n": {"fr": "Travailleuse sociale"}}})
    assert label.status_code == 200 and label.get_json()["data"]["group_permission"] == "self"
    assert world["designer"].post("/api/v1/forms", json={"data": {}}).status_code == 422  # forms: still theirs
    edited = world["nat"].put("/api/v1/roles/role-case-worker", json={"data": wider})
    assert edited.status_code == 200 and edited.get_json()["data"]["group_permission"] == "all"


def test_publishing_role_changes_needs_role_manage(world):
    world.user("designer", "role-designer")
    assert world["nat"].put("/api/v1/roles/role-focal-point", json={"data": {
        **world.role("role-focal-point"), "group_permission": "agency"}}).status_code == 200
    refused = world["designer"].post("/api/v1/metadata/publish", json={})
    assert refused.status_code == 403 and error(refused) == "ROLE_MANAGE_REQUIRED"
    assert refused.get_json()["error"]["details"][0]["field"] == "role:role-focal-point"
    assert world["nat"].post("/api/v1/metadata/publish", json={}).status_code == 201
    assert world.role("role-focal-point")["group_permission"] == "agency"


def test_the_national_administrator_cannot_widen_its_own_role(world):
    national = world.role(NATIONAL)
    for widened, path in (({**national, "permissions": {**national["permissions"], "case": ["read"]}},
                           "permissions/case/read"),
                          ({**national, "form_section_read_write": {**national["form_section_read_write"],
                                                                    "family_details": "r"}},
                           "form_section_read_write/family_details/r"),
                          ({k: v for k, v in national.items() if k != "module_ids"}, "module_ids/*"),
                          ({**national, "assignable_role_ids": [*national["assignable_role_ids"], SYSADMIN]},
                           f"assignable_role_ids/{SYSADMIN}")):
        response = world["nat"].put(f"/api/v1/roles/{NATIONAL}", json={"data": widened})
        assert response.status_code == 403 and error(response) == "OWN_ROLE_WIDENING", path
        assert [d["field"] for d in response.get_json()["error"]["details"]] == [path]
    patched = world["nat"].patch(f"/api/v1/roles/{NATIONAL}", json={"data": {"module_ids": None}})
    assert patched.status_code == 403 and error(patched) == "OWN_ROLE_WIDENING"
    assert world["admin"].get(f"/api/v1/roles/{NATIONAL}?draft=true").get_json()["data"] == national


def test_a_system_administrator_cannot_widen_its_own_role_but_may_narrow_it(world):
    sysadmin = world.role(SYSADMIN)
    widened = {k: v for k, v in sysadmin.items() if k != "module_ids"}  # every module instead of one
    response = world["admin"].put(f"/api/v1/roles/{SYSADMIN}", json={"data": widened})
    assert response.status_code == 403 and error(response) == "OWN_ROLE_WIDENING"
    assert response.get_json()["error"]["details"][0]["field"] == "module_ids/*"
    narrowed = {**sysadmin, "permissions": {**sysadmin["permissions"], "case": ["read"]}}
    assert world["admin"].put(f"/api/v1/roles/{SYSADMIN}", json={"data": narrowed}).status_code == 200
    back = world["admin"].put(f"/api/v1/roles/{SYSADMIN}", json={"data": sysadmin})  # what it holds now
    assert back.status_code == 200, back.get_json()


def test_a_publish_that_widens_the_publishers_own_role_is_refused(world):
    with world.app.app_context():  # someone else (here the operator) widened the national role in the draft
        drafts.modify_document(get_db(), "role", NATIONAL, lambda body: {**body, "group_permission": "all",
                                                                           "permissions": {**body["permissions"],
                                                                                           "case": ["read"]}},
                               None, LANGUAGES, "system", datetime.now(timezone.utc))
    refused = world["nat"].post("/api/v1/metadata/publish", json={})
    assert refused.status_code == 403 and error(refused) == "OWN_ROLE_WIDENING"
    assert refused.get_json()["error"]["details"][0]["field"] == f"role:{NATIONAL}/permissions/case/read"
    assert "case" not in world.role(NATIONAL)["permissions"]
    assert world["admin"].post("/api/v1/metadata/publish", json={}).status_code == 201  # a second administrator


def test_a_role_cannot_be_made_to_hand_out_more_than_its_editor_can(world):
    supervisor = world.role("role-supervisor")
    over = {**supervisor, "permissions": {**supervisor["permissions"], "user": ["manage"]},
            "assignable_role_ids": ["role-case-worker", SYSADMIN]}
    response = world["nat"].put("/api/v1/roles/role-supervisor", json={"data": over})
    assert response.status_code == 403 and error(response) == "ROLE_EXCEEDS_EDITOR"
    assert [d["field"] for d in response.get_json()["error"]["details"]] == [f"assignable_role_ids/{SYSADMIN}"]
    within = {**over, "assignable_role_ids": ["role-case-worker"]}
    assert world["nat"].put("/api/v1/roles/role-supervisor", json={"data": within}).status_code == 200


def test_the_national_administrator_changes_only_roles_it_may_assign(world):
    sysadmin = world.role(SYSADMIN)
    narrowed = {**sysadmin, "permissions": {**sysadmin["permissions"], "user": []}}
    response = world["nat"].put(f"/api/v1/roles/{SYSADMIN}", json={"data": narrowed})
    assert response.status_code == 403 and error(response) == "ROLE_NOT_MANAGEABLE"
    assert world["nat"].delete(f"/api/v1/roles/{SYSADMIN}").status_code == 403
    label = world["nat"].patch(f"/api/v1/roles/{SYSADMIN}", json={"data": {"name_i18n": {"fr": "Admin système"}}})
    assert label.status_code == 200  # labels are translations


def test_roles_may_assign_only_roles_that_exist(world):
    case_worker = world.role("role-case-worker")
    response = world["admin"].put("/api/v1/roles/role-case-worker", json={"data": {
        **case_worker, "assignable_role_ids": ["role-nobody"]}})
    assert response.status_code == 422
    assert [d["code"] for d in response.get_json()["error"]["details"]] == ["ROLE_ASSIGNABLE_UNKNOWN"]
    bad = world["admin"].put("/api/v1/roles/role-case-worker", json={"data": {
        **case_worker, "assignable_role_ids": ["role-case-worker\n"]}})
    assert bad.status_code == 422 and error(bad) == "DOCUMENT_INVALID"


# 4. The last system administrator stays -----------------------------------------------------------

@pytest.fixture
def helpdesk(world):
    """A user manager who may assign every role but not edit roles: not a system administrator."""
    return world.user("helpdesk", "role-helpdesk", "agency-help")


@pytest.mark.parametrize("change", [{"disabled": True}, {"role_unique_id": "role-case-worker"},
                                    {"agency_unique_id": "agency-closed"}])
def test_the_last_system_administrator_cannot_be_disabled_or_demoted(world, helpdesk, change):
    with world.app.app_context():
        accounts.create_entity(get_db(), "agencies", {"unique_id": "agency-closed", "disabled": True},
                               datetime.now(timezone.utc))
    response = helpdesk.patch("/api/v1/users/admin", json={"data": change})
    assert response.status_code == 409 and error(response) == "LAST_ADMINISTRATOR"
    assert world["admin"].get("/api/v1/users/current").status_code == 200
    world.user("admin2", SYSADMIN)
    assert helpdesk.patch("/api/v1/users/admin", json={"data": change}).status_code == 200
    last = helpdesk.patch("/api/v1/users/admin2", json={"data": change})
    assert last.status_code == 409 and error(last) == "LAST_ADMINISTRATOR"


def test_the_agency_of_the_last_system_administrators_cannot_be_disabled(world, helpdesk):
    assert world["admin"].patch("/api/v1/users/helpdesk", json={"data": {"agency_unique_id": "agency-hq"}}).status_code == 200
    with world.app.app_context():
        db = get_db()
        db.users.update_one({"_id": "admin"}, {"$set": {"agency": "agency-a"}})
    world.user("admin2", SYSADMIN, "agency-a")
    response = helpdesk.patch("/api/v1/agencies/agency-a", json={"data": {"disabled": True}})
    assert response.status_code == 409 and error(response) == "LAST_ADMINISTRATOR"
    assert world["admin2"].get("/api/v1/users/current").status_code == 200
    assert world["cw1"].get("/api/v1/users/current").status_code == 200


def test_a_publish_cannot_leave_no_system_administrator(world):
    sysadmin = world.role(SYSADMIN)
    narrowed = {**sysadmin, "permissions": {k: v for k, v in sysadmin["permissions"].items() if k != "role"}}
    assert world["admin"].put(f"/api/v1/roles/{SYSADMIN}", json={"data": narrowed}).status_code == 200
    refused = world["admin"].post("/api/v1/metadata/publish", json={})
    assert refused.status_code == 409 and error(refused) == "LAST_ADMINISTRATOR"
    assert "role" in world.role(SYSADMIN)["permissions"]


def test_two_administrators_disabling_each_other_at_the_same_moment_leave_one(world):
    """The worst interleaving, made certain: B's whole edit runs between A's check and A's write."""
    world.user("admin2", SYSADMIN)
    with world.app.app_context():
        db, config, now = get_db(), published_configuration(get_db()), datetime.now(timezone.utc)
        first, second = (principal_from_role(accounts.get(db, "users", name), config.roles[SYSADMIN])
                         for name in ("admin", "admin2"))
        original, outcomes = accounts.store.update, {}

        def interleaved(db_, collection, key, changes):
            if key == "admin2" and changes.get("disabled") and "second" not in outcomes:
                outcomes["second"] = "running"
                accounts.update_user(db, config, "admin", {"disabled": True}, now, second)
                outcomes["second"] = "done"
            return original(db_, collection, key, changes)

        accounts.store.update = interleaved
        try:
            with pytest.raises(Conflict) as refused:
                accounts.update_user(db, config, "admin2", {"disabled": True}, now, first)
        finally:
            accounts.store.update = original
        assert refused.value.code == "LAST_ADMINISTRATOR" and outcomes["second"] == "done"
        assert rights.count_administrators(db, config) == 1
        assert [u["_id"] for u in db.users.find({"role": SYSADMIN, "disabled": False})] == ["admin2"]


def test_concurrent_mutual_disabling_never_disables_both(world):
    world.user("admin2", SYSADMIN)
    for _ in range(3):
        barrier, statuses = threading.Barrier(2), {}

        def disable(who, whom):
            barrier.wait()
            statuses[who] = world[who].patch(f"/api/v1/users/{whom}", json={"data": {"disabled": True}}).status_code

        threads = [threading.Thread(target=disable, args=pair) for pair in (("admin", "admin2"), ("admin2", "admin"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with world.app.app_context():
            remaining = rights.count_administrators(get_db(), published_configuration(get_db()))
        assert remaining >= 1 and sorted(statuses.values()) != [200, 200], statuses
        with world.app.app_context():  # the operator re-enables both for the next round, with fresh tokens
            get_db().users.update_many({}, {"$set": {"disabled": False}})
        for name in ("admin", "admin2"):
            token = login(world, name).get_json()["data"]["token"]
            world.clients[name] = authenticated(world.app, token)


# 5. The national administrator sees no case data ---------------------------------------------------

@pytest.fixture
def records(world):
    """One record of each type by cw1, an export by the administrator; their ids and display ids."""
    secrets = [MARKER]
    for route, data in RECORDS.items():
        response = world["cw1"].post(f"/api/v1/{route}", json={"data": data})
        assert response.status_code == 201, response.get_json()
        record = response.get_json()["data"]
        world.records[route] = record["id"]
        secrets += [value for key, value in record.items() if key in ("id", "short_id") or key.endswith("_display")]
        world["cw1"].get(f"/api/v1/{route}/{world.records[route]}")
    export = world["admin"].post("/api/v1/exports", json={"data": {"record_type": "case"}})
    world.records["export"] = export.get_json()["data"]["id"]
    return secrets


def _walk_values(world) -> dict[str, str]:
    return {"unique_id": "basic_identity", "user_name": "cw1", "job_id": world.records["export"], "number": "1",
            "a": "1", "b": "1", "record_type": "case", "name": "name_first", "value_id": "female",
            "trace_id": "trace-1", "code": "fr", "filename": "admin.js",
            "device_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "conflict_id": "7c9e6679-7425-40de-944b-e07fc1f90ae8",
            "transition_id": "7c9e6679-7425-40de-944b-e07fc1f90ae9", "flag_id": "7c9e6679-7425-40de-944b-e07fc1f90aea",
            "approval_type": "closure", "target": "7c9e6679-7425-40de-944b-e07fc1f90aeb",
            "pair_id": "7c9e6679-7425-40de-944b-e07fc1f90aec"}


def _url(world, rule) -> str:
    values = _walk_values(world)
    prefix = rule.rule.split("/")[3] if rule.rule.startswith("/api/") else ""
    values["record_id"] = world.records.get(prefix, "x")
    values["unique_id"] = {"lookups": "lookup-sex", "modules": "primeromodule-cp", "roles": "role-case-worker",
                           "agencies": "agency-a", "user_groups": "group-a"}.get(prefix, "basic_identity")
    return rule.build({argument: values[argument] for argument in rule.arguments})[1]


def _readable(response) -> str:
    """A response's text; a workbook's cells (the XLSForm of the forms), so record data in them would be seen."""
    data = response.get_data()
    if data[:2] == b"PK":
        import io
        import openpyxl
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return data.decode()


def test_the_national_administrator_gets_no_record_data_from_any_route(world, records):
    """Every route of the URL map, every method, as the shipped national administrator."""
    logout = {"/api/v1/tokens/current", "/api/v1/sessions/current"}
    seen = 0
    for rule in sorted(world.app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}, key=lambda m: m != "GET"):
            if method == "DELETE" and rule.rule in logout:
                continue
            url = _url(world, rule)
            body = None if method in ("GET", "DELETE") else {"data": {}}
            queries = ("", "?draft=true", "?record_id=" + world.records["cases"]) if method == "GET" else ("",)
            for query in queries:
                response = world["nat"].open(url + query, method=method, json=body)
                text = _readable(response)
                response.close()
                assert response.status_code != 500, (method, url, text[:300])
                leaked = [secret for secret in records if secret in text]
                assert not leaked, (method, url + query, response.status_code, leaked)
                seen += 1
    assert seen > 120
    assert world["admin"].get(f"/api/v1/cases/{world.records['cases']}").get_json()["data"]["data"]["name_first"] == MARKER


def test_audit_entries_about_records_name_them_only_to_readers_of_those_records(world, records):
    case_id = world.records["cases"]
    entries = world["nat"].get("/api/v1/audit_logs", query_string={"user_name": "cw1"}).get_json()["data"]
    about_records = [e for e in entries if e["resource"] in ("case", "incident", "tracing_request")]
    assert about_records and all(e["record_id"] is None and e["detail"] is None and e["redacted"]
                                 for e in about_records)
    assert {e["action"] for e in about_records} >= {"create", "read"}
    by_id = world["nat"].get("/api/v1/audit_logs", query_string={"record_id": case_id}).get_json()
    assert by_id["meta"]["total"] == 0
    seen = world["admin"].get("/api/v1/audit_logs", query_string={"record_id": case_id}).get_json()
    assert seen["meta"]["total"] >= 2 and all(e["record_id"] == case_id for e in seen["data"])
    assert not any(e.get("redacted") for e in seen["data"])


def test_no_configuration_change_gives_the_national_administrator_case_data(world, records):
    case_id = world.records["cases"]
    national = world.role(NATIONAL)
    own = world["nat"].put(f"/api/v1/roles/{NATIONAL}", json={"data": {
        **national, "permissions": {**national["permissions"], "case": ["read"]}}})
    assert own.status_code == 403 and error(own) == "OWN_ROLE_WIDENING"
    spy = role("role-spy", {"case": ["read"]}, "all")
    assert world["nat"].post("/api/v1/roles", json={"data": spy}).status_code == 201
    assert world["nat"].post("/api/v1/metadata/publish", json={}).status_code == 201  # a new role is fine...
    for attempt in (lambda: world["nat"].patch("/api/v1/users/nat", json={"data": {"role_unique_id": "role-spy"}}),
                    lambda: world["nat"].post("/api/v1/users", json={"data": {
                        "user_name": "spy", "password": PASSWORD, "role_unique_id": "role-spy"}}),
                    lambda: world["nat"].patch("/api/v1/users/cw1", json={"data": {"role_unique_id": "role-spy"}}),
                    lambda: world["nat"].put(f"/api/v1/roles/{NATIONAL}", json={"data": {
                        **national, "assignable_role_ids": [*national["assignable_role_ids"], "role-spy"]}})):
        response = attempt()  # ...but nobody can be given it by the national administrator
        assert response.status_code == 403, response.get_json()
    assert world["nat"].get(f"/api/v1/cases/{case_id}").status_code == 403
    assert world["admin"].get("/api/v1/users/spy").status_code == 404


# 6. User names, agency and group ids: one normal form, a whole-string rule -------------------------

def test_a_user_name_that_prints_like_another_is_that_other(world):
    for typed in ("CW1", "cw1\n", "ｃｗ１", " cw1 ", "Cw1", "ＣＷ1"):
        response = world["admin"].post("/api/v1/users", json={"data": {
            "user_name": typed, "password": PASSWORD, "role_unique_id": "role-case-worker"}})
        assert response.status_code == 409 and error(response) == "ALREADY_EXISTS", typed
    assert world["admin"].get("/api/v1/users", query_string={"per_page": 100}).get_json()["meta"]["total"] == 3


def test_user_names_outside_the_rule_are_refused_naming_the_field(world):
    for typed in ("cw 2", "сw2", "a", "current", "system", "SYSTEM", "cw2\n\nx", "cw2\x00", "-cw2", "x" * 101, "cw2\u200b"):
        response = world["admin"].post("/api/v1/users", json={"data": {
            "user_name": typed, "password": PASSWORD, "role_unique_id": "role-case-worker"}})
        assert response.status_code == 422, (typed, response.get_json())
        assert response.get_json()["error"]["details"][0]["field"].endswith("user_name")
    assert world["admin"].get("/api/v1/users", query_string={"per_page": 100}).get_json()["meta"]["total"] == 3


def test_user_names_are_stored_normalized_and_found_whatever_their_case_or_width(world):
    created = world["admin"].post("/api/v1/users", json={"data": {
        "user_name": "ＡＷＡ.Dossou", "password": PASSWORD, "role_unique_id": "role-case-worker"}})
    assert created.status_code == 201 and created.get_json()["data"]["user_name"] == "awa.dossou"
    assert world["admin"].get("/api/v1/users/AWA.DOSSOU").get_json()["data"]["user_name"] == "awa.dossou"
    edited = world["admin"].patch("/api/v1/users/Awa.Dossou", json={"data": {"full_name": "Awa Dossou"}})
    assert edited.status_code == 200 and edited.get_json()["data"]["full_name"] == "Awa Dossou"
    with world.app.app_context():  # the domain, not only the API schema
        with pytest.raises(Unprocessable):
            accounts.create_user(get_db(), published_configuration(get_db()), {
                "user_name": "cw9\u200b", "password": PASSWORD, "role_unique_id": "role-case-worker"},
                datetime.now(timezone.utc))
        user = accounts.create_user(get_db(), published_configuration(get_db()), {
            "user_name": "CW9", "password": PASSWORD, "role_unique_id": "role-case-worker"}, datetime.now(timezone.utc))
        assert user["_id"] == "cw9"


def test_agency_and_group_ids_are_checked_as_a_whole(world):
    for route in ("agencies", "user_groups"):
        for typed in ("agency-x\n", "Agency-X", "agency x", "x"):
            response = world["admin"].post(f"/api/v1/{route}", json={"data": {"unique_id": typed}})
            assert response.status_code == 422, (route, typed)
            assert response.get_json()["error"]["details"][0]["field"].endswith("unique_id")
            with world.app.app_context():
                with pytest.raises(Unprocessable):
                    accounts.create_entity(get_db(), route, {"unique_id": typed}, datetime.now(timezone.utc))


# 7. Disabling an agency ---------------------------------------------------------------------------

def test_disabling_an_agency_ends_its_users_sessions_and_refuses_their_logins(world):
    session = world.app.test_client()
    assert session.post("/api/v1/sessions", json={"user_name": "cw1", "password": PASSWORD}).status_code == 201
    assert session.get("/api/v1/users/current").status_code == 200
    response = world["admin"].patch("/api/v1/agencies/agency-a", json={"data": {"disabled": True}})
    assert response.status_code == 200 and response.get_json()["data"]["disabled"] is True
    for client in (world["cw1"], session):
        refused = client.get("/api/v1/users/current")
        assert refused.status_code == 401 and error(refused) == "TOKEN_INVALID"
    assert login(world, "cw1").status_code == 401
    with world.app.app_context():
        assert get_db().tokens.count_documents({"user_name": "cw1"}) == 0
    assert world["admin"].patch("/api/v1/agencies/agency-a", json={"data": {"disabled": False}}).status_code == 200
    assert login(world, "cw1").status_code == 201


def test_a_token_of_a_user_whose_agency_is_disabled_is_refused_even_if_not_revoked(world):
    with world.app.app_context():  # as another app worker would see it: the flag, not the revocation
        get_db().agencies.update_one({"_id": "agency-a"}, {"$set": {"disabled": True}})
    refused = world["cw1"].get("/api/v1/cases")
    assert refused.status_code == 401 and error(refused) == "TOKEN_INVALID"


def test_nobody_disables_their_own_agency_or_one_holding_users_above_them(world):
    own = world["nat"].patch("/api/v1/agencies/agency-hq", json={"data": {"disabled": True}})
    assert own.status_code == 403 and error(own) == "SELF_RIGHTS_CHANGE"
    world.user("admin2", SYSADMIN, "agency-tech")
    above = world["nat"].patch("/api/v1/agencies/agency-tech", json={"data": {"disabled": True}})
    assert above.status_code == 403 and error(above) == "USER_NOT_MANAGEABLE"
    assert world["admin2"].get("/api/v1/users/current").status_code == 200
    renamed = world["nat"].patch("/api/v1/agencies/agency-tech", json={"data": {"name_i18n": {"en": "Tech"}}})
    assert renamed.status_code == 200


# Every change is audited ----------------------------------------------------------------------------

def test_rights_changes_and_refusals_are_audited_with_who_what_and_whom(world):
    assert world["nat"].patch("/api/v1/users/cw1", json={"data": {"role_unique_id": "role-supervisor",
                                                                  "password": "a brand new passphrase"}}).status_code == 200
    assert world["nat"].patch("/api/v1/users/nat", json={"data": {"role_unique_id": SYSADMIN}}).status_code == 403
    assert world["admin"].patch("/api/v1/agencies/agency-a", json={"data": {"disabled": True}}).status_code == 200
    done = world.audit(action="user_updated", record_id="cw1")[0]
    assert (done["user_name"], done["resource"]) == ("nat", "user")
    assert done["detail"] == 'role_unique_id="role-supervisor"; password' and "passphrase" not in str(done)
    refused = world.audit(action="user_update_refused")[0]
    assert (refused["user_name"], refused["record_id"], refused["status"]) == ("nat", "nat", 403)
    assert refused["detail"] == f'SELF_RIGHTS_CHANGE: role_unique_id="{SYSADMIN}"'
    agency = world.audit(action="agencies_updated")[0]
    assert (agency["user_name"], agency["record_id"], agency["detail"]) == ("admin", "agency-a", "disabled=true")
    national = world.role(NATIONAL)
    assert world["nat"].put(f"/api/v1/roles/{NATIONAL}", json={"data": {**national, "group_permission": "self",
                                                                       "module_ids": []}}).status_code == 403
    assert world["nat"].put("/api/v1/roles/role-focal-point", json={"data": {
        **world.role("role-focal-point"), "group_permission": "agency"}}).status_code == 200
    widening = world.audit(action="role_changed_refused")[0]
    assert (widening["user_name"], widening["resource"], widening["record_id"], widening["detail"]) == \
        ("nat", "role", NATIONAL, "OWN_ROLE_WIDENING")
    changed = world.audit(action="role_changed")[0]
    assert (changed["user_name"], changed["record_id"]) == ("nat", "role-focal-point")


# The command line is the machine operator -----------------------------------------------------------

@pytest.fixture
def operator(monkeypatch, secantus_uri):
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", f"abri_rights_{uuid.uuid4().hex[:8]}")
    runner = CliRunner()
    assert runner.invoke(cli, ["metadata", "load", load_config()["METADATA_DIR"], "--publish"]).exit_code == 0
    return runner


def test_the_command_line_normalizes_names_audits_and_warns_about_the_last_administrator(operator):
    made = operator.invoke(cli, ["users", "create", "ROOT", "--role", SYSADMIN, "--password", PASSWORD])
    assert made.exit_code == 0 and "Created user root" in made.output
    again = operator.invoke(cli, ["users", "create", "ｒｏｏｔ", "--role", SYSADMIN, "--password", PASSWORD])
    assert again.exit_code == 1 and "ALREADY_EXISTS" in again.output
    disabled = operator.invoke(cli, ["users", "disable", "Root"])
    assert disabled.exit_code == 0 and "no active system administrator remains" in disabled.output
