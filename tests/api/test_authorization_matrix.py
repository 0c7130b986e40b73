"""The authorization matrix: every route x every shipped role x a record in and out of scope.

The table below is the one place that says what each route needs. `test_every_route_is_in_the_table`
fails when a route is added without an entry, so no route can be left unprotected by accident.
Expectations: a role without the permission gets 403 (before its body is even looked at); a
record outside the role's scope is 404 (never its content, never a different error). A route that
carries record data (every record route, lists, creates, exports) must SUCCEED when allowed (2xx:
a 422 is not "allowed") and its body must hold nothing of a form the role may not read: every
record of the world holds secret(form) in a field of each of its forms, and no response (nor
exported file) may contain the secret of an unreadable form, while a read shows those it may read.
Other allowed routes are neither 401 nor 403; they may find nothing for a made-up id or a draft
without changes, and only the routes marked `invalid` (bodies left invalid on purpose, so the
shared configuration never changes) may answer 422.
"""
from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone

import openpyxl
import pytest

from server.auth import accounts
from server.auth.permissions import principal_from_role, record_access_keys
from server.config import load_config
from server.services.workers import run_once
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.configuration import Configuration
from server.metadata.versions import LanguageSettings, publish_configuration, published_configuration
from server.records import service
from server.records.types import RECORD_TYPES
from server.storage import get_db
from tests.builders import make_user
from tests.conftest import BACKENDS, app_on, authenticated, backend_uri

PUBLIC, AUTHENTICATED = "public", "authenticated"
SOME_ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"  # a uuid nothing has
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
    records: bool = False             # carries record data: must succeed when allowed, content checked
    invalid: bool = False             # the body is invalid on purpose: 422 shows the permission passed


def record_routes(name: str, route: str) -> list[Route]:
    rule = f"/api/v1/{route}"
    item = rule + "/<record_id>"
    return [
        Route("GET", rule, needs=((name, "read"),), records=True),
        Route("POST", rule, needs=((name, "create"),), body={"data": {}}, records=True),
        Route("GET", item, needs=((name, "read"),), record=name, records=True),
        Route("PATCH", item, needs=((name, "write"),), record=name, body={"data": {}}, records=True),
        Route("DELETE", item, needs=((name, "disable"),), record=name, records=True),
        Route("POST", item + "/enable", needs=((name, "disable"),), record=name, records=True),
        Route("POST", item + "/assign", needs=((name, "assign"),), record=name, body={"data": {"owned_by": "admin"}},
              records=True),
        Route("GET", item + "/history", needs=((name, "view_history"),), record=name, records=True),
        Route("PUT", item + "/marked_for_mobile", needs=((name, "write"),), record=name,
              body={"data": {"marked_for_mobile": True}}, records=True),
        Route("POST", item + "/flags", needs=((name, "flag"),), record=name, body={"data": {"reason": "Visite"}},
              records=True),
        Route("POST", item + "/flags/<flag_id>/remove", needs=((name, "flag"),), record=name,
              body={"data": {"reason": "Fait"}}, extra={"flag_id": SOME_ID}),
        # Files (tests/api/test_attachments.py has the field rules): an allowed upload without a file is refused
        # (400), or finds no field of that name (404 ATTACHMENT_FIELD_UNKNOWN: incidents have none); a made-up file
        # id is not found.
        Route("GET", item + "/attachments", needs=((name, "read"),), record=name, records=True),
        Route("POST", item + "/attachments/<target>", needs=((name, "write"),), record=name,
              extra={"target": "photos"}, invalid=True),
        Route("GET", item + "/attachments/<target>", needs=((name, "read"),), record=name, extra={"target": SOME_ID}),
        Route("DELETE", item + "/attachments/<target>", needs=((name, "write"),), record=name,
              extra={"target": SOME_ID}),
    ]


CASE_ITEM = "/api/v1/cases/<record_id>"
REASON = {"data": {"reason": "Hors de notre ressort"}}


def case_work_routes() -> list[Route]:
    """Referrals, transfers and their answers, closing, reopening, approvals (server/api/workflow.py)."""
    answers = [Route("POST", f"{CASE_ITEM}/{kind}/<transition_id>/{answer}", needs=(("case", action),), record="case",
                     body=body, extra={"transition_id": SOME_ID})
               for kind, answer, action, body in (
                   ("referrals", "accept", "receive_referral", {}), ("referrals", "reject", "receive_referral", REASON),
                   ("referrals", "done", "receive_referral", {}), ("referrals", "revoke", "refer", {}),
                   ("transfers", "accept", "receive_transfer", {}), ("transfers", "reject", "receive_transfer", REASON),
                   ("transfers", "revoke", "transfer", {}))]
    return [
        Route("POST", f"{CASE_ITEM}/referrals", needs=(("case", "refer"),), record="case",
              body={"data": {"to_user": "user-focal-point", "notes": "Suspicion"}}, records=True),
        Route("POST", f"{CASE_ITEM}/transfers", needs=(("case", "transfer"),), record="case",
              body={"data": {"to_user": "admin"}}, records=True),
        *answers,
        Route("POST", f"{CASE_ITEM}/close", needs=(("case", "close"),), record="case", body={},
              invalid=True),  # the closure form is empty: CLOSURE_INCOMPLETE once allowed
        Route("POST", f"{CASE_ITEM}/reopen", needs=(("case", "reopen"),), record="case", body=REASON),
        Route("POST", f"{CASE_ITEM}/approvals/<approval_type>", needs=(("case", "request_approval_closure"),),
              record="case", body={}, records=True),
        Route("POST", f"{CASE_ITEM}/approvals/<approval_type>/decision", needs=(("case", "approve_closure"),),
              record="case", body={"data": {"approved": True}}),
        Route("GET", "/api/v1/flags", needs=(("case", "read"),), records=True),
        Route("GET", "/api/v1/tasks", needs=(("case", "read"),), records=True),
        Route("GET", "/api/v1/services", needs=(("case", "read"),), records=True),
        Route("GET", "/api/v1/recipients", needs=(("case", "refer"),), extra={"query": "?action=refer"}),
        # Duplicates (tests/api/test_duplicates.py has the journeys): what the caller sees of a match is checked here
        Route("POST", "/api/v1/cases/potential_matches", needs=(("case", "create"), ("case", "read")),
              body={"data": {"name_first": "Awa", "sex": "female", "age": 9}}),
        Route("GET", "/api/v1/duplicates", needs=(("case", "read"),)),
        *(Route("POST", f"/api/v1/duplicates/<pair_id>/{decision}", needs=(("case", "review_duplicates"),),
                body={"data": {}}, extra={"pair_id": SOME_ID})
          for decision in ("not_duplicate", "duplicate", "reopen")),
        Route("POST", f"{CASE_ITEM}/merge", needs=(("case", "merge"), ("case", "write")), record="case",
              body={"data": {"from": SOME_ID}}),
        Route("POST", f"{CASE_ITEM}/unmerge", needs=(("case", "merge"), ("case", "write")), record="case",
              body={"data": {"from": SOME_ID}}),
    ]


def document_routes(route: str, read: dict, write: tuple = MANAGE) -> list[Route]:
    rule = f"/api/v1/{route}"
    item = rule + "/<unique_id>"
    return [
        Route("GET", rule, **read), Route("GET", item, **read),
        Route("POST", rule, needs=(write,), body={"data": {}}, invalid=True),
        Route("PUT", item, needs=(write,), body={"data": {}}, invalid=True),
        Route("PATCH", item, any_of=tuple(dict.fromkeys((write, MANAGE, TRANSLATE))), body={"data": {"unknown_key": 1}},
              invalid=True),
        Route("DELETE", item, needs=(write,), extra={"unique_id": "does_not_exist"}),
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
    Route("PATCH", "/api/v1/users/current", access=AUTHENTICATED, body={"data": {"locale": "fr"}}),
    Route("POST", "/api/v1/users/current/password", access=AUTHENTICATED, body={"data": {}}),
    Route("GET", "/api/v1/users", needs=(("user", "manage"),)),
    Route("POST", "/api/v1/users", needs=(("user", "manage"),), body={"data": {}}, invalid=True),
    Route("GET", "/api/v1/users/<user_name>", needs=(("user", "manage"),), extra={"user_name": "admin"}),
    Route("PATCH", "/api/v1/users/<user_name>", needs=(("user", "manage"),), body={"data": {"full_name": "A"}},
          extra={"user_name": "stranger"}),
    Route("GET", "/api/v1/agencies", needs=(("agency", "manage"),)),
    Route("POST", "/api/v1/agencies", needs=(("agency", "manage"),), body={"data": {}}, invalid=True),
    Route("GET", "/api/v1/agencies/<unique_id>", needs=(("agency", "manage"),), extra={"unique_id": "agency-a"}),
    Route("PATCH", "/api/v1/agencies/<unique_id>", needs=(("agency", "manage"),), body={"data": {}},
          extra={"unique_id": "agency-a"}),
    Route("GET", "/api/v1/user_groups", needs=(("user", "manage"),)),
    Route("POST", "/api/v1/user_groups", needs=(("user", "manage"),), body={"data": {}}, invalid=True),
    Route("GET", "/api/v1/user_groups/<unique_id>", needs=(("user", "manage"),), extra={"unique_id": "group-a"}),
    Route("PATCH", "/api/v1/user_groups/<unique_id>", needs=(("user", "manage"),), body={"data": {}},
          extra={"unique_id": "group-a"}),
    Route("GET", "/api/v1/audit_logs", needs=(("audit_log", "read"),)),
    Route("GET", "/api/v1/audit_logs/export.csv", needs=(("audit_log", "read"),)),
    Route("GET", "/api/v1/data_protection/retention", needs=(("data_protection", "retention"),)),
    Route("POST", "/api/v1/data_protection/retention/runs", needs=(("data_protection", "retention"),),
          body={"data": {"dry_run": True}}),
    Route("GET", "/api/v1/data_protection/subject_access/<record_id>",
          needs=(("data_protection", "subject_access"),), extra={"record_id": SOME_ID}),
    Route("GET", "/api/v1/data_protection/consent_audit", needs=(("data_protection", "consent_audit"),)),
    Route("GET", "/api/v1/data_protection/consent_audit/export.csv", needs=(("data_protection", "consent_audit"),)),
    *document_routes("forms", {"access": AUTHENTICATED}),
    Route("POST", "/api/v1/forms/<unique_id>/fields", needs=(MANAGE,), body={"data": {}}, invalid=True),
    Route("PATCH", "/api/v1/forms/<unique_id>/fields/<name>", any_of=(MANAGE, TRANSLATE),
          body={"data": {"type": "textarea"}}, extra={"name": "does_not_exist"}),
    Route("DELETE", "/api/v1/forms/<unique_id>/fields/<name>", needs=(MANAGE,), extra={"name": "does_not_exist"}),
    Route("POST", "/api/v1/forms/<unique_id>/fields/<name>/move", needs=(MANAGE,), extra={"name": "does_not_exist"},
          body={"data": {"form": "no_such_form"}}),
    Route("PUT", "/api/v1/forms/<unique_id>/fields/order", any_of=(MANAGE, TRANSLATE), body={"data": ["x"]}, invalid=True),
    *document_routes("lookups", {"access": AUTHENTICATED}),
    Route("POST", "/api/v1/lookups/<unique_id>/values", needs=(MANAGE,), body={"data": {}}, invalid=True),
    Route("PATCH", "/api/v1/lookups/<unique_id>/values/<value_id>", any_of=(MANAGE, TRANSLATE),
          body={"data": {"id": "renamed"}}, extra={"value_id": "does_not_exist"}),
    *document_routes("modules", {"access": AUTHENTICATED}),
    *document_routes("reports", {"access": AUTHENTICATED}),
    Route("GET", "/api/v1/reports/runnable", needs=(("report", "read"),)),
    Route("GET", "/api/v1/reports/<unique_id>/result", needs=(("report", "read"),),
          extra={"unique_id": "report-none"}),
    Route("GET", "/api/v1/reports/<unique_id>/export", needs=(("report", "read"),),
          extra={"unique_id": "report-none"}),
    Route("POST", "/api/v1/reports/preview", needs=(MANAGE,), body={"data": {}}, invalid=True),
    Route("GET", "/api/v1/dashboards/current", needs=(("report", "read"),)),
    *document_routes("roles", {"any_of": (MANAGE, ("user", "manage"), ("role", "manage"))}, write=("role", "manage")),
    Route("GET", "/api/v1/schemas/<record_type>", access=AUTHENTICATED),
    Route("GET", "/api/v1/locations", access=AUTHENTICATED),
    Route("GET", "/api/v1/field_types", access=AUTHENTICATED),
    Route("POST", "/api/v1/metadata/locations/import", needs=(MANAGE,), body={"data": {}},
          extra={"query": "?unique_id=locations-bj"}),
    Route("POST", "/api/v1/metadata/import/primero", needs=(MANAGE, ("role", "manage")), body={"data": {}},
          invalid=True),
    Route("GET", "/api/v1/metadata/draft", any_of=(MANAGE, TRANSLATE)),
    Route("GET", "/api/v1/metadata/draft/impact", any_of=(MANAGE, TRANSLATE)),
    Route("GET", "/api/v1/metadata/versions/<a>/changes/<b>", any_of=(MANAGE, TRANSLATE)),
    Route("POST", "/api/v1/metadata/publish", needs=(MANAGE,), body={}),
    Route("GET", "/api/v1/metadata/versions", any_of=(MANAGE, TRANSLATE)),
    Route("GET", "/api/v1/metadata/versions/<number>", any_of=(MANAGE, TRANSLATE)),
    Route("GET", "/api/v1/metadata/versions/<a>/diff/<b>", any_of=(MANAGE, TRANSLATE)),
    Route("POST", "/api/v1/metadata/versions/<number>/restore", needs=(MANAGE,), body={}),
    Route("GET", "/api/v1/metadata/translations/coverage", any_of=(MANAGE, TRANSLATE)),
    Route("GET", "/api/v1/metadata/translations.xlsx", any_of=(MANAGE, TRANSLATE), extra={"query": "?locale=fr"}),
    Route("POST", "/api/v1/metadata/translations.xlsx", any_of=(MANAGE, TRANSLATE), body={"data": {}},
          extra={"query": "?locale=fr"}, invalid=True),
    Route("GET", "/api/v1/metadata/xlsform", needs=(MANAGE,), extra={"query": "?record_type=case"}),
    Route("POST", "/api/v1/metadata/xlsform", needs=(MANAGE,), body={"data": {}}, extra={"query": "?record_type=case"},
          invalid=True),  # a JSON body is no workbook: SPREADSHEET_INVALID once allowed
    *record_routes("case", "cases"),
    Route("GET", "/api/v1/cases/<record_id>/incidents", needs=(("case", "read"), ("incident", "read")), record="case",
          records=True),
    Route("POST", "/api/v1/cases/<record_id>/incidents", needs=(("case", "read"), ("incident", "create")),
          record="case", body={"data": {}}, records=True),
    *record_routes("incident", "incidents"),
    *record_routes("tracing_request", "tracing_requests"),
    Route("POST", "/api/v1/exports", needs=(("case", "export_xlsx"),),
          body={"data": {"record_type": "case", "include_removed": True}}, records=True),
    Route("POST", "/api/v1/exports", needs=(("case", "export_csv"),), skip="same route, format csv: test_exports",
          body={"data": {"record_type": "case", "format": "csv"}}),
    Route("GET", "/api/v1/exports", access=AUTHENTICATED),
    Route("GET", "/api/v1/exports/<job_id>", access=AUTHENTICATED, extra={"job_id": "not-mine"}),
    Route("DELETE", "/api/v1/exports/<job_id>", access=AUTHENTICATED, extra={"job_id": "not-mine"}),
    Route("GET", "/api/v1/exports/<job_id>/file", access=AUTHENTICATED, extra={"job_id": "not-mine"}),
    Route("GET", "/api/v1/devices", access=AUTHENTICATED),
    Route("POST", "/api/v1/devices", access=AUTHENTICATED,
          body={"data": {"id": "0f8fad5b-d9cb-469f-a165-70867728950e", "name": "Tablette"}}),
    Route("DELETE", "/api/v1/devices/<device_id>", access=AUTHENTICATED, extra={"device_id": SOME_ID}),
    Route("GET", "/api/v1/users/<user_name>/devices", needs=(("user", "manage"),), extra={"user_name": "stranger"}),
    Route("DELETE", "/api/v1/users/<user_name>/devices/<device_id>", needs=(("user", "manage"),),
          extra={"user_name": "stranger", "device_id": SOME_ID}),
    Route("GET", "/api/v1/sync/bundle", access=AUTHENTICATED),
    Route("GET", "/api/v1/sync/records", access=AUTHENTICATED, records=True),
    Route("POST", "/api/v1/sync/records", access=AUTHENTICATED,
          body={"data": [{"op": "create", "record_type": "case", "id": "0f8fad5b-d9cb-469f-a165-70867728950f"}]}),
    Route("GET", "/api/v1/sync/conflicts", access=AUTHENTICATED),
    Route("GET", "/api/v1/alerts", access=AUTHENTICATED),
    Route("POST", "/api/v1/alerts/read", access=AUTHENTICATED, body={"data": {"all": True}}),
    Route("GET", "/api/v1/alerts/stream", access=AUTHENTICATED),
    Route("POST", "/api/v1/sync/conflicts/<conflict_id>/resolve",
          any_of=(("case", "write"), ("incident", "write"), ("tracing_request", "write")),
          body={"data": {"revision": 1, "values": {}}}, extra={"conflict_id": SOME_ID}),
    Route("POST", "/api/v1/tracing_requests/<record_id>/traces/<trace_id>/match",
          needs=(("tracing_request", "write"), ("case", "read")), record="tracing_request", records=True),
    *case_work_routes(),
]


def _normalize(rule: str) -> str:
    return (rule.replace("<int:", "<").replace("<uuid:", "<")
            .replace("<any(case, incident, tracing_request):", "<"))


def test_every_route_is_in_the_table(app):
    served = {(method, _normalize(rule.rule)) for rule in app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"} if rule.rule.startswith("/api/")}
    listed = {(route.method, route.rule) for route in TABLE}
    assert served - listed == set(), "routes without an authorization entry"
    assert listed - served == set(), "entries for routes that do not exist"


@pytest.fixture(scope="module", params=BACKENDS)
def world(request):
    """The shipped configuration, one user per shipped role, and a stranger in another agency and group."""
    with app_on(backend_uri(request)) as app:
        with app.app_context():
            bootstrap_configuration(get_db(), load_config()["METADATA_DIR"], LanguageSettings(("en", "fr"), "en"))
            _publish_then_remove_a_field(get_db())
        tokens = {role: make_user(app, f"user-{role[5:]}", role, "agency-a", ["group-a"]) for role in ROLES}
        make_user(app, "admin", "role-system-administrator")
        make_user(app, "stranger", "role-case-worker", "agency-b", ["group-b"])
        yield app, tokens


# A field published in a form, then removed: records keep its data (set below), which only roles
# that may read the form that held it may see, in reads, histories and exports with include_removed.
REMOVED_FIELD, REMOVED_FROM = "retired_notes", "assessment"


def _publish_then_remove_a_field(db) -> None:
    languages, now = LanguageSettings(("en", "fr"), "en"), datetime.now(timezone.utc)
    config = published_configuration(db)
    documents = [(kind, uid, copy.deepcopy(body)) for kind, uid, body in config.documents()]
    form = next(body for kind, uid, body in documents if (kind, uid) == ("form", REMOVED_FROM))
    form["fields"].append({"name": REMOVED_FIELD, "type": "textarea",
                           "display_name_i18n": {"en": "Old", "fr": "Ancien"}})
    publish_configuration(db, Configuration.from_documents(documents), languages, "tester", now, "add")
    form["fields"].pop()
    publish_configuration(db, Configuration.from_documents(documents), languages, "tester", now, "remove")


VALID = {"case": {"registration_date": "2024-01-01", "name_first": "Awa", "sex": "female", "risk_level": "low",
                  "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"},
         "incident": {"incident_date": "2024-01-01", "cp_incident_violence_type": "neglect"},
         "tracing_request": {"inquiry_date": "2024-01-01", "relation_name": "Koffi"}}
TEXT_TYPES = ("text_field", "textarea")
TRACE_ID = "5f0c6a2e-8d1b-4c3a-9e7f-2b4d6a8c0e13"


def secret(form_id: str) -> str:
    """The value a record holds in a field of this form: no response may carry it to a role that cannot read it."""
    return f"SECRET-{form_id}-END"


def _free_text_field(fields: list[dict]) -> dict | None:
    """A text field that is optional and without a pattern (any text is valid there)."""
    return next((f for f in fields if f["type"] in TEXT_TYPES and not f.get("required")
                 and not any("pattern" in key for key in f)), None)


def _filled(field: dict, config) -> object:
    """A valid value for a required field."""
    if field["type"] in ("select_box", "radio_button"):
        source = field.get("option_strings_source")
        options = (config.lookups[source.split(" ", 1)[1]]["lookup_values_i18n"] if source
                   else field["option_strings_text_i18n"])
        return options[0]["id"]
    return {"numeric_field": 1, "date_field": "2024-01-01", "tick_box": True}.get(field["type"], "x")


def _record_data(config, record_type: str) -> dict:
    """Valid data that puts secret(form) in a field of every top-level form (in a subform row when it has no text)."""
    data = dict(VALID[record_type])
    for uid, form in config.forms_of(record_type, nested=False):
        free = _free_text_field(form["fields"])
        if free is not None:
            data[free["name"]] = secret(uid)
        for subform in (f for f in form["fields"] if f["type"] == "subform"):
            rows = config.forms[subform["subform_section_id"]]["fields"]
            row = {f["name"]: _filled(f, config) for f in rows if f.get("required")}
            text = _free_text_field(rows) or next(f for f in rows if f["type"] in TEXT_TYPES)
            row[text["name"]] = secret(uid)
            if any(f["name"] == "matched_case_id" for f in rows):
                row["unique_id"] = TRACE_ID
            data[subform["name"]] = [row]
    return data


def _record_owned_by(app, record_type: str, owner: str, enabled: bool = True) -> dict:
    """A record of `record_type` owned by `owner`, with a secret in every form (and one trace, for traces)."""
    now = datetime.now(timezone.utc)
    with app.app_context():
        db, config = get_db(), published_configuration(get_db())
        record, _ = service.create_record(db, config, RECORD_TYPES[record_type],
                                          {"data": _record_data(config, record_type)}, service.Actor("system", now))
        user = accounts.get(db, "users", owner)
        envelope = {"owned_by": owner, "owned_by_agency": user.get("agency"),
                    "owned_by_groups": user.get("user_groups", []), "associated_user_names": [owner]}
        db[record_type].update_one({"_id": record["_id"]}, {"$set": {
            **envelope, "_access": record_access_keys(envelope), "record_state": enabled,
            "_seq_at": 0,  # numbered long ago: a sync pull sends it at once
            **({f"data.{REMOVED_FIELD}": secret(REMOVED_FROM)} if record_type == "case" else {})}})
        return {**record, "owned_by": owner, "owned_by_agency": user.get("agency"),
                "owned_by_groups": user.get("user_groups", []), "associated_user_names": [owner]}


def _in_scope(app, role: str, record: dict) -> bool:
    with app.app_context():
        db = get_db()
        user = accounts.get(db, "users", f"user-{role[5:]}")
        return principal_from_role(user, published_configuration(db).roles[role]).in_scope(record)


def _granted(app, role: str, route: Route) -> bool:
    with app.app_context():
        permissions = published_configuration(get_db()).roles[role]["permissions"]
    has = lambda pair: pair[1] in permissions.get(pair[0], [])  # noqa: E731
    if route.method == "POST" and route.rule.endswith("/attachments/<target>"):  # adding a file writes its field
        with app.app_context():
            config = published_configuration(get_db())
        has_field = any(f["name"] == route.extra["target"] for _, form in config.forms_of(route.record)
                        for f in form["fields"])
        writable = _role_access(app, role)[2]
        if has_field and writable is not None and route.extra["target"] not in writable:
            return False
    return all(map(has, route.needs)) and (not route.any_of or any(map(has, route.any_of)))


def _url(route: Route, record_id: str | None, case_id: str | None) -> str:
    values = {"record_id": record_id, "unique_id": "basic_identity", "name": "does_not_exist", "number": "1",
              "a": "1", "b": "1", "record_type": "case", "value_id": "x", "trace_id": TRACE_ID,
              "user_name": "admin", "approval_type": "closure", **route.extra}
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


SUCCESS = (200, 201, 202, 204)
EXPORT = ("POST", "/api/v1/exports")  # with include_removed: the removed field's data too, where allowed
ENVELOPE_CHANGES = {"owned_by", "record_state"}


_ACCESS: dict[tuple[str, str], tuple] = {}


def _role_access(app, role: str) -> tuple[set[str], set[str], set[str] | None]:
    """(top-level forms the role may read, fields it may read, fields it may write; None: all)."""
    key = (app.config["MONGO_DB_NAME"], role)
    if key not in _ACCESS:
        _ACCESS[key] = _read_role_access(app, role)
    return _ACCESS[key]


def _read_role_access(app, role: str) -> tuple[set[str], set[str], set[str] | None]:
    with app.app_context():
        config = published_configuration(get_db())
    granted = config.roles[role].get("form_section_read_write")
    top = {uid for uid, form in config.forms.items() if not form.get("is_nested")}
    readable = top if granted is None else top & set(granted)
    fields = {f["name"] for uid in readable for f in config.forms[uid]["fields"]}
    if REMOVED_FROM in readable:
        fields.add(REMOVED_FIELD)
    writable = None if granted is None else {f["name"] for uid, access in granted.items() if access == "rw"
                                              for f in config.forms.get(uid, {"fields": []})["fields"]}
    return readable, fields, writable


def _body_for(app, role: str, route: Route, case: dict | None):
    """A body the role may send: valid data restricted to the fields it may write."""
    _, _, writable = _role_access(app, role)
    if route.rule.endswith("/match"):
        return {"data": {"case_id": case["_id"]}}
    if (route.method, route.rule) == EXPORT:  # the role's own case, so the file stays small
        return {"data": {**route.body["data"], "filters": {"short_id": case["short_id"]}}}
    if route.method == "POST" and route.rule.endswith(("/cases", "/incidents", "/tracing_requests")):
        record_type = "incident" if route.rule.endswith("incidents") else route.rule.rsplit("/", 1)[1].rstrip("s")
        data = VALID[record_type]
        return {"data": {k: v for k, v in data.items() if writable is None or k in writable}}
    return route.body


def _assert_nothing_unreadable(app, role: str, text: str, payload) -> None:
    """No secret of a form the role may not read, no field name outside its readable forms."""
    readable_forms, readable_fields, _ = _role_access(app, role)
    with app.app_context():
        forms = published_configuration(get_db()).forms
    leaked = [uid for uid in forms if uid not in readable_forms and secret(uid) in text]
    assert leaked == [], f"{role} received data of forms it may not read: {leaked}"

    def walk(value):
        if isinstance(value, dict):
            if isinstance(value.get("revision"), int) and isinstance(value.get("data"), dict):  # a record
                assert set(value["data"]) <= readable_fields, set(value["data"]) - readable_fields
            if isinstance(value.get("action"), str) and isinstance(value.get("changes"), dict):  # history
                names = set(value["changes"]) - ENVELOPE_CHANGES
                assert names <= readable_fields, names - readable_fields
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(payload)


def _assert_shows_what_it_may_read(app, role: str, record_type: str, text: str, pseudonymised: bool = False) -> None:
    """Every readable form's secret is shown; in a pseudonymised export, only where it is in a field that does not
    identify a person (an identifying one holds its pseudonym instead)."""
    readable_forms, _, _ = _role_access(app, role)
    with app.app_context():
        config = published_configuration(get_db())
    expected = [uid for uid, form in config.forms_of(record_type, nested=False) if uid in readable_forms
                and (_free_text_field(form["fields"]) or any(f["type"] == "subform" for f in form["fields"]))]
    hidden = [uid for uid in expected if pseudonymised and not _secret_in_plain_field(config, config.forms[uid])]
    assert expected and all(secret(uid) in text for uid in expected if uid not in hidden), (role, expected)
    assert not any(secret(uid) in text for uid in hidden), (role, hidden)
    if record_type == "case" and REMOVED_FROM in readable_forms:
        assert REMOVED_FIELD in text, role


def _secret_in_plain_field(config, form: dict) -> bool:
    """Whether a record's secret of this form sits in a field not marked identifying (see _record_data)."""
    free = _free_text_field(form["fields"])
    if free is not None and not free.get("identifying"):
        return True
    for subform in (f for f in form["fields"] if f["type"] == "subform"):
        rows = config.forms[subform["subform_section_id"]]["fields"]
        text = _free_text_field(rows) or next(f for f in rows if f["type"] in TEXT_TYPES)
        if not text.get("identifying"):
            return True
    return False


def _exported_text(app, client, response) -> str:
    """Run the export job and return every cell of its file as text."""
    job_id = response.get_json()["data"]["id"]
    while run_once(app, "matrix-worker"):
        pass
    job = client.get(f"/api/v1/exports/{job_id}").get_json()["data"]
    assert job["status"] == "complete", job
    download = client.get(f"/api/v1/exports/{job_id}/file")
    assert download.status_code == 200, download.get_json()
    book = openpyxl.load_workbook(io.BytesIO(download.data), read_only=True)
    return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)


@pytest.mark.parametrize("route,role,scope", CASES,
                         ids=[f"{r.method} {r.rule} {role[5:]} {scope}" for r, role, scope in CASES])
def test_authorization(world, route, role, scope):
    app, tokens = world
    client = authenticated(app, tokens[role]) if route.access != PUBLIC else app.test_client()
    record = case = None
    if route.record:
        owner = f"user-{role[5:]}" if scope == "in" else "stranger"
        record = _record_owned_by(app, route.record, owner, enabled=not route.rule.endswith("/enable"))
    if route.rule.endswith("/match") or (route.method, route.rule) == EXPORT:
        case = _record_owned_by(app, "case", f"user-{role[5:]}")
    body = _body_for(app, role, route, case)
    response = client.open(_url(route, record and record["_id"], case and case["_id"]), method=route.method,
                           json=body if body is not None else None)
    status, text = response.status_code, response.get_data().decode("utf-8", "replace")
    _assert_nothing_unreadable(app, role, text, response.get_json(silent=True))
    if route.access == PUBLIC:
        assert status not in (403, 404, 500), response.get_json()
    elif route.access == AUTHENTICATED:  # a job of someone else is simply not found
        assert status not in (401, 403, 500), response.get_json()
    elif not _granted(app, role, route):
        assert status == 403, response.get_json()
    elif record is not None and not _in_scope(app, role, record):
        assert status == 404, response.get_json()
        assert response.get_json()["error"]["code"] == "NOT_FOUND"
    elif route.records:
        assert status in SUCCESS, response.get_json()
        if route.method == "GET" and route.record and "<record_id>" == route.rule.rsplit("/", 1)[1]:
            _assert_shows_what_it_may_read(app, role, route.record, text)
        if (route.method, route.rule) == EXPORT:
            exported = _exported_text(app, client, response)
            _assert_nothing_unreadable(app, role, exported, None)
            _assert_shows_what_it_may_read(app, role, "case", exported,
                                           pseudonymised=not _granted(app, role, Route("POST", "/", needs=(
                                               ("case", "export_identifying"),))))
    else:  # allowed; the route may still find nothing (a made-up id), which is not a refusal
        assert status not in (401, 403, 500), response.get_json()
        assert status != 422 or route.invalid, response.get_json()
