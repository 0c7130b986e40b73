"""The authorization matrix: every route x every shipped role x a record in and out of scope.

The table below is the one place that says what each route needs. `test_every_route_is_in_the_table`
fails when a route is added without an entry, so no route can be left unprotected by accident.
Expectations: a role without the permission gets 403 (before its body is even looked at); a
record outside the role's scope is 404 (never its content, never a different error); a record in
scope is neither 401, 403 nor 404; an allowed route without a record is neither 401 nor 403 (it may
still be refused as invalid or conflicting, or find nothing for a made-up id, which is fine here).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest

from server.auth import accounts
from server.auth.permissions import principal_from_role
from server.config import load_config
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings, published_configuration
from server.records import service
from server.records.types import RECORD_TYPES
from server.storage import get_db
from tests.builders import make_user
from tests.conftest import authenticated, make_app

PUBLIC, AUTHENTICATED = "public", "authenticated"
MANAGE, TRANSLATE = ("metadata", "manage"), ("metadata", "manage_translations")
ROLES = ("role-system-administrator", "role-national-administrator", "role-case-worker", "role-supervisor",
         "role-agency-manager", "role-partner-data-manager", "role-focal-point")


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    needs: tuple = ()                 # every (resource, action) pair required
    any_of: tuple = ()                # or: at least one of these pairs
    access: str = ""                  # PUBLIC or AUTHENTICATED instead of permissions
    record: str | None = None         # the record type whose scope the route checks
    body: dict | None = None
    skip: str = ""                    # why this route is exercised elsewhere
    extra: dict = field(default_factory=dict)


def record_routes(name: str, route: str) -> list[Route]:
    rule = f"/api/v1/{route}"
    item = rule + "/<record_id>"
    return [
        Route("GET", rule, needs=((name, "read"),)),
        Route("POST", rule, needs=((name, "create"),), body={"data": {}}),
        Route("GET", item, needs=((name, "read"),), record=name),
        Route("PATCH", item, needs=((name, "write"),), record=name, body={"data": {}}),
        Route("DELETE", item, needs=((name, "disable"),), record=name),
        Route("POST", item + "/enable", needs=((name, "disable"),), record=name),
        Route("POST", item + "/assign", needs=((name, "assign"),), record=name, body={"data": {"owned_by": "admin"}}),
        Route("GET", item + "/history", needs=((name, "view_history"),), record=name),
    ]


def document_routes(route: str, read: dict) -> list[Route]:
    rule = f"/api/v1/{route}"
    item = rule + "/<unique_id>"
    return [
        Route("GET", rule, **read), Route("GET", item, **read),
        Route("POST", rule, needs=(MANAGE,), body={"data": {}}),
        Route("PUT", item, needs=(MANAGE,), body={"data": {}}),
        Route("PATCH", item, any_of=(MANAGE, TRANSLATE), body={"data": {"unknown_key": 1}}),
        Route("DELETE", item, needs=(MANAGE,), extra={"unique_id": "does_not_exist"}),
    ]


TABLE: list[Route] = [
    Route("POST", "/api/v1/tokens", access=PUBLIC, body={"user_name": "nobody", "password": "x"}),
    Route("DELETE", "/api/v1/tokens/current", access=AUTHENTICATED, skip="revokes the caller's token: test_auth"),
    Route("POST", "/api/v1/sessions", access=PUBLIC, body={"user_name": "nobody", "password": "x"}),
    Route("DELETE", "/api/v1/sessions/current", access=AUTHENTICATED, skip="ends the caller's session: test_auth"),
    Route("GET", "/api/v1/sessions/current", access=AUTHENTICATED),
    Route("GET", "/api/v1/openapi.json", access=PUBLIC),
    Route("GET", "/api/v1/permissions", access=AUTHENTICATED),
    Route("GET", "/api/v1/users/current", access=AUTHENTICATED),
    Route("POST", "/api/v1/users/current/password", access=AUTHENTICATED, body={"data": {}}),
    Route("GET", "/api/v1/users", needs=(("user", "manage"),)),
    Route("POST", "/api/v1/users", needs=(("user", "manage"),), body={"data": {}}),
    Route("GET", "/api/v1/users/<user_name>", needs=(("user", "manage"),), extra={"user_name": "admin"}),
    Route("PATCH", "/api/v1/users/<user_name>", needs=(("user", "manage"),), body={"data": {"full_name": "A"}},
          extra={"user_name": "stranger"}),
    Route("GET", "/api/v1/agencies", needs=(("agency", "manage"),)),
    Route("POST", "/api/v1/agencies", needs=(("agency", "manage"),), body={"data": {}}),
    Route("GET", "/api/v1/agencies/<unique_id>", needs=(("agency", "manage"),), extra={"unique_id": "agency-a"}),
    Route("PATCH", "/api/v1/agencies/<unique_id>", needs=(("agency", "manage"),), body={"data": {}},
          extra={"unique_id": "agency-a"}),
    Route("GET", "/api/v1/user_groups", needs=(("user", "manage"),)),
    Route("POST", "/api/v1/user_groups", needs=(("user", "manage"),), body={"data": {}}),
    Route("GET", "/api/v1/user_groups/<unique_id>", needs=(("user", "manage"),), extra={"unique_id": "group-a"}),
    Route("PATCH", "/api/v1/user_groups/<unique_id>", needs=(("user", "manage"),), body={"data": {}},
          extra={"unique_id": "group-a"}),
    Route("GET", "/api/v1/audit_logs", needs=(("audit_log", "read"),)),
    *document_routes("forms", {"access": AUTHENTICATED}),
    Route("POST", "/api/v1/forms/<unique_id>/fields", needs=(MANAGE,), body={"data": {}}),
    Route("PATCH", "/api/v1/forms/<unique_id>/fields/<name>", any_of=(MANAGE, TRANSLATE),
          body={"data": {"type": "textarea"}}, extra={"name": "does_not_exist"}),
    Route("DELETE", "/api/v1/forms/<unique_id>/fields/<name>", needs=(MANAGE,), extra={"name": "does_not_exist"}),
    Route("PUT", "/api/v1/forms/<unique_id>/fields/order", any_of=(MANAGE, TRANSLATE), body={"data": ["x"]}),
    *document_routes("lookups", {"access": AUTHENTICATED}),
    Route("POST", "/api/v1/lookups/<unique_id>/values", needs=(MANAGE,), body={"data": {}}),
    Route("PATCH", "/api/v1/lookups/<unique_id>/values/<value_id>", any_of=(MANAGE, TRANSLATE),
          body={"data": {"id": "renamed"}}, extra={"value_id": "does_not_exist"}),
    *document_routes("modules", {"access": AUTHENTICATED}),
    *document_routes("roles", {"any_of": (MANAGE, ("user", "manage"))}),
    Route("GET", "/api/v1/schemas/<record_type>", access=AUTHENTICATED),
    Route("GET", "/api/v1/locations", access=AUTHENTICATED),
    Route("POST", "/api/v1/metadata/locations/import", needs=(MANAGE,), body={"data": {}},
          extra={"query": "?unique_id=locations-bj"}),
    Route("GET", "/api/v1/metadata/draft", any_of=(MANAGE, TRANSLATE)),
    Route("POST", "/api/v1/metadata/publish", needs=(MANAGE,), body={}),
    Route("GET", "/api/v1/metadata/versions", any_of=(MANAGE, TRANSLATE)),
    Route("GET", "/api/v1/metadata/versions/<number>", any_of=(MANAGE, TRANSLATE)),
    Route("GET", "/api/v1/metadata/versions/<a>/diff/<b>", any_of=(MANAGE, TRANSLATE)),
    Route("POST", "/api/v1/metadata/versions/<number>/restore", needs=(MANAGE,), body={}),
    Route("GET", "/api/v1/metadata/translations/coverage", any_of=(MANAGE, TRANSLATE)),
    Route("GET", "/api/v1/metadata/translations.xlsx", any_of=(MANAGE, TRANSLATE), extra={"query": "?locale=fr"}),
    Route("POST", "/api/v1/metadata/translations.xlsx", any_of=(MANAGE, TRANSLATE), body={"data": {}},
          extra={"query": "?locale=fr"}),
    *record_routes("case", "cases"),
    Route("GET", "/api/v1/cases/<record_id>/incidents", needs=(("case", "read"), ("incident", "read")), record="case"),
    Route("POST", "/api/v1/cases/<record_id>/incidents", needs=(("case", "read"), ("incident", "create")),
          record="case", body={"data": {}}),
    *record_routes("incident", "incidents"),
    *record_routes("tracing_request", "tracing_requests"),
    Route("POST", "/api/v1/exports", needs=(("case", "export_xlsx"),), body={"data": {"record_type": "case"}}),
    Route("POST", "/api/v1/exports", needs=(("case", "export_csv"),), skip="same route, format csv: test_exports",
          body={"data": {"record_type": "case", "format": "csv"}}),
    Route("GET", "/api/v1/exports", access=AUTHENTICATED),
    Route("GET", "/api/v1/exports/<job_id>", access=AUTHENTICATED, extra={"job_id": "not-mine"}),
    Route("DELETE", "/api/v1/exports/<job_id>", access=AUTHENTICATED, extra={"job_id": "not-mine"}),
    Route("GET", "/api/v1/exports/<job_id>/file", access=AUTHENTICATED, extra={"job_id": "not-mine"}),
    Route("POST", "/api/v1/tracing_requests/<record_id>/traces/<trace_id>/match",
          needs=(("tracing_request", "write"), ("case", "read")), record="tracing_request"),
]


def _normalize(rule: str) -> str:
    return rule.replace("<int:", "<").replace("<any(case, incident, tracing_request):", "<")


def test_every_route_is_in_the_table(app):
    served = {(method, _normalize(rule.rule)) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"} if rule.rule.startswith("/api/")}
    listed = {(route.method, route.rule) for route in TABLE}
    assert served - listed == set(), "routes without an authorization entry"
    assert listed - served == set(), "entries for routes that do not exist"


@pytest.fixture(scope="module", params=["mongomock", "secantus"])
def world(request):
    """The shipped configuration, one user per shipped role, and a stranger in another agency and group."""
    uri = "mongomock://" if request.param == "mongomock" else request.getfixturevalue("secantus_uri")
    app = make_app(uri)
    with app.app_context():
        bootstrap_configuration(get_db(), load_config()["METADATA_DIR"], LanguageSettings(("en", "fr"), "en"))
    tokens = {role: make_user(app, f"user-{role[5:]}", role, "agency-a", ["group-a"]) for role in ROLES}
    make_user(app, "admin", "role-system-administrator")
    make_user(app, "stranger", "role-case-worker", "agency-b", ["group-b"])
    yield app, tokens
    if request.param == "secantus":
        get_client = app.extensions["abri_db"].client
        get_client.drop_database(app.extensions["abri_db"].name)
        get_client.close()


VALID = {"case": {"registration_date": "2024-01-01", "name_first": "Awa", "sex": "female", "risk_level": "low",
                  "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"},
         "incident": {"incident_date": "2024-01-01", "cp_incident_violence_type": "neglect"},
         "tracing_request": {"inquiry_date": "2024-01-01", "relation_name": "Koffi"}}


def _record_owned_by(app, record_type: str, owner: str) -> dict:
    """A record of `record_type` owned by `owner`, with one subform row (traces need one)."""
    now = datetime.now(timezone.utc)
    with app.app_context():
        db, config = get_db(), published_configuration(get_db())
        system = service.Actor("system", now)
        record, _ = service.create_record(db, config, RECORD_TYPES[record_type], {"data": VALID[record_type]}, system)
        user = accounts.get(db, "users", owner)
        record = service.assign_record(db, RECORD_TYPES[record_type], record["_id"], user, None, system)
        subforms = [f["name"] for _, form in config.forms_of(record_type, nested=False) for f in form["fields"]
                    if f["type"] == "subform"]
        db[record_type].update_one({"_id": record["_id"]}, {"$set": {f"data.{subforms[0]}": [{"unique_id": "trace-1"}]}})
        return record


def _in_scope(app, role: str, record: dict) -> bool:
    with app.app_context():
        db = get_db()
        user = accounts.get(db, "users", f"user-{role[5:]}")
        return principal_from_role(user, published_configuration(db).roles[role]).in_scope(record)


def _granted(app, role: str, route: Route) -> bool:
    with app.app_context():
        permissions = published_configuration(get_db()).roles[role]["permissions"]
    has = lambda pair: pair[1] in permissions.get(pair[0], [])  # noqa: E731
    return all(map(has, route.needs)) and (not route.any_of or any(map(has, route.any_of)))


def _url(route: Route, record_id: str | None, case_id: str | None) -> str:
    values = {"record_id": record_id, "unique_id": "basic_identity", "name": "does_not_exist", "number": "1",
              "a": "1", "b": "1", "record_type": "case", "value_id": "x", "trace_id": "trace-1",
              "user_name": "admin", **route.extra}
    if "/lookups/" in route.rule and "unique_id" not in route.extra:
        values["unique_id"] = "lookup-yes-no"
    if "/modules/" in route.rule and "unique_id" not in route.extra:
        values["unique_id"] = "primeromodule-cp"
    if "/roles/" in route.rule and "unique_id" not in route.extra:
        values["unique_id"] = "role-case-worker"
    url = route.rule
    for name, value in values.items():
        url = url.replace(f"<{name}>", str(value))
    return url + route.extra.get("query", "")


CASES = [(route, role, scope) for route in TABLE if not route.skip for role in ROLES
         for scope in (("in", "out") if route.record else ("-",))]


@pytest.mark.parametrize("route,role,scope", CASES,
                         ids=[f"{r.method} {r.rule} {role[5:]} {scope}" for r, role, scope in CASES])
def test_authorization(world, route, role, scope):
    app, tokens = world
    client = authenticated(app, tokens[role]) if route.access != PUBLIC else app.test_client()
    record = case = None
    if route.record:
        owner = f"user-{role[5:]}" if scope == "in" else "stranger"
        record = _record_owned_by(app, route.record, owner)
        case = _record_owned_by(app, "case", f"user-{role[5:]}")
    body = route.body
    if route.rule.endswith("/match"):
        body = {"data": {"case_id": case["_id"]}}
    response = client.open(_url(route, record and record["_id"], case and case["_id"]), method=route.method,
                           json=body if body is not None else None)
    status = response.status_code
    if route.access == PUBLIC:
        assert status not in (403, 404, 500), response.get_json()
    elif route.access == AUTHENTICATED:  # a job of someone else is simply not found
        assert status not in (401, 403, 500), response.get_json()
    elif not _granted(app, role, route):
        assert status == 403, response.get_json()
    elif record is not None and not _in_scope(app, role, record):
        assert status == 404, response.get_json()
        assert response.get_json()["error"]["code"] == "NOT_FOUND"
    elif record is not None:
        assert status not in (401, 403, 404, 500), response.get_json()
    else:  # allowed; the route may still find nothing (a made-up id), which is not a refusal
        assert status not in (401, 403, 500), response.get_json()

