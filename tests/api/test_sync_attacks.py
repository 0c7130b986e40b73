"""Field sync and devices under attack: what an intruder, a lost tablet or a careless field app may try.

The world: a case form every field role reads (basic_identity) and a health form only the nurse reads. Two social
workers of one office (scope: their own records), their supervisor (group), a worker of another agency, a nurse
(every record, both forms), a role without any record permission, and a user manager who may assign the worker's
role only. Each test is a guarantee; the problems this pass found were fixed before it landed.
Each test runs on mongomock and on SecantusDB (those with threads on SecantusDB only).
"""
from __future__ import annotations

import base64
import gzip
import json
import threading
import uuid

import pytest

from server.storage import records as store
from tests.builders import field, form, make_user, publish, role
from tests.api.sync_helpers import create, pull_all, push, push_raw, update
from tests.conftest import authenticated, refusal

SECRET = "SECRET-HEALTH"
CASE = ["read", "create", "write", "assign", "disable", "view_history"]
HEALTH = {"basic_identity": "rw", "health": "rw"}


_HASHES: dict[str, str] = {}


@pytest.fixture(autouse=True)
def hashed_once(monkeypatch):
    """Nine users per test: each password is hashed once per session (a real scrypt hash, its salt shared)."""
    from server.auth import accounts, passwords

    monkeypatch.setattr(accounts, "hash_password", lambda password: _HASHES.get(password) or _HASHES.setdefault(
        password, passwords.hash_password(password)))


@pytest.fixture
def world(backend_app, backend_client):
    """Publish the health form and the roles; make the users; return everyone's client (and the app)."""
    admin = backend_client
    for body in [
        form("health", field("hiv", "select_box", option_strings_text_i18n=[
            {"id": "positive", "display_text": {"en": "Positive", "fr": "Positif"}},
            {"id": "negative", "display_text": {"en": "Negative", "fr": "Négatif"}}]),
             field("health_notes", "textarea"), order=20),
        role("role-worker", {"case": CASE, "incident": ["read", "create", "write"]}, "self",
             {"basic_identity": "rw", "cp_incident_form": "rw"}),
        role("role-supervisor", {"case": CASE}, "group", {"basic_identity": "rw"}),
        role("role-nurse", {"case": CASE, "incident": ["read"]}, "all", HEALTH),
        role("role-case-reader", {"case": ["read"]}, "all", {"basic_identity": "r"}),
        role("role-nothing", {"audit_log": []}, "self", {}),
        role("role-user-manager", {"user": ["manage"]}, "self", {}, assignable=["role-worker"]),
    ]:
        route = "roles" if "permissions" in body else "forms"
        response = admin.post(f"/api/v1/{route}", json={"data": body})
        assert response.status_code == 201, response.get_json()
    publish(admin)
    people = {"admin": admin}
    for name, role_id, agency, groups in [
            ("awa", "role-worker", "gups-natitingou", ["natitingou"]),
            ("kofi", "role-worker", "gups-natitingou", ["natitingou"]),
            ("sika", "role-supervisor", "gups-natitingou", ["natitingou"]),
            ("zoe", "role-worker", "gups-parakou", ["parakou"]),
            ("nurse", "role-nurse", "gups-natitingou", ["natitingou"]),
            ("reader", "role-case-reader", "gups-natitingou", []),
            ("nobody", "role-nothing", "gups-natitingou", []),
            ("manager", "role-user-manager", "gups-natitingou", [])]:
        people[name] = authenticated(backend_app, make_user(backend_app, name, role_id, agency, groups))
    people["app"] = backend_app
    return people


def error_of(response):
    """The error of an answer, without its request id (each answer has its own)."""
    return refusal(response)["error"]


def fields_of(error):
    return [(detail["field"], detail["code"]) for detail in error.get("details", [])]


def register(client, name="Tablette"):
    device_id = str(uuid.uuid4())
    response = client.post("/api/v1/devices", json={"data": {"id": device_id, "name": name}})
    assert response.status_code == 201, response.get_json()
    return device_id, response.get_json()["data"]["credential"]


def a_case_with_secrets(world):
    """A case of awa's whose health form the nurse filled in (awa may not read it)."""
    case_id = push(world["awa"], create(name="Awa", age=7))[0]["id"]
    response = world["nurse"].patch(f"/api/v1/cases/{case_id}", json={"data": {"hiv": "positive",
                                                                              "health_notes": SECRET}})
    assert response.status_code == 200, response.get_json()
    return case_id


# Exploration


def run_together(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(position, call):
        barrier.wait()
        try:
            results[position] = call()
        except BaseException as error:  # noqa: BLE001
            results[position] = error
    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results



def audited(world, action):
    response = world["admin"].get("/api/v1/audit_logs", query_string={"action": action, "per_page": 100})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def token_of(client):
    return client.environ_base["HTTP_AUTHORIZATION"].removeprefix("Bearer ")


# Devices


def test_a_device_credential_registers_no_other_device_and_the_refusal_is_audited(world):
    app = world["app"]
    _, credential = register(world["awa"])
    tablet = authenticated(app, credential)
    response = tablet.post("/api/v1/devices?locale=fr", json={"data": {"id": str(uuid.uuid4()), "name": "clone"}})
    assert response.status_code == 403 and error_of(response)["code"] == "PERMISSION_DENIED"
    assert "appareil" in error_of(response)["message"]  # in the language asked for
    assert [device["name"] for device in world["awa"].get("/api/v1/devices").get_json()["data"]] == ["Tablette"]
    assert [entry["user_name"] for entry in audited(world, "device_register_refused")] == ["awa"]


def test_a_device_credential_may_not_revoke_its_users_other_devices(world):
    app = world["app"]
    _, stolen = register(world["awa"], "lost tablet")
    other_id, other = register(world["awa"], "office tablet")
    response = authenticated(app, stolen).delete(f"/api/v1/devices/{other_id}")
    assert response.status_code == 403
    assert authenticated(app, other).get("/api/v1/sync/conflicts").status_code == 200


def test_devices_of_others_need_user_manage_over_their_role_and_never_say_what_exists(world):
    awa, kofi, manager, nobody = world["awa"], world["kofi"], world["manager"], world["nobody"]
    kofi_device, _ = register(kofi)
    nurse_device, nurse_credential = register(world["nurse"])
    # one's own routes only reach one's own devices
    assert awa.delete(f"/api/v1/devices/{kofi_device}").status_code == 404
    # without user: manage, the same 403 for a user who exists and one who does not
    for client in (awa, nobody):
        for name in ("kofi", "ghost"):
            assert error_of(client.get(f"/api/v1/users/{name}/devices"))["code"] == "PERMISSION_DENIED"
            assert client.delete(f"/api/v1/users/{name}/devices/{kofi_device}").status_code == 403
    # a user manager reaches the users whose role theirs may assign, and no others
    assert [d["id"] for d in manager.get("/api/v1/users/kofi/devices").get_json()["data"]] == [kofi_device]
    for response in (manager.get("/api/v1/users/nurse/devices"),
                     manager.delete(f"/api/v1/users/nurse/devices/{nurse_device}")):
        assert response.status_code == 403 and error_of(response)["code"] == "USER_NOT_MANAGEABLE"
    assert authenticated(world["app"], nurse_credential).get("/api/v1/sync/conflicts").status_code == 200
    # a device id of another user, under this user's name: not found
    assert manager.delete(f"/api/v1/users/awa/devices/{kofi_device}").status_code == 404
    assert manager.get("/api/v1/users/kofi/devices").get_json()["data"][0]["revoked"] is False
    for path in ("/api/v1/users/%00/devices", "/api/v1/users/a%ED%A0%80/devices"):
        response = manager.get(path)
        assert 400 <= response.status_code < 500 and "error" in response.get_json()


def test_a_device_credential_ends_with_its_users_password_state_or_agency(world):
    app, admin = world["app"], world["admin"]
    _, kofi_credential = register(world["kofi"])
    _, awa_credential = register(world["awa"])
    _, zoe_credential = register(world["zoe"])
    assert admin.patch("/api/v1/users/kofi", json={"data": {"disabled": True}}).status_code == 200
    assert admin.patch("/api/v1/users/kofi", json={"data": {"disabled": False}}).status_code == 200
    changed = world["awa"].post("/api/v1/users/current/password", json={"data": {
        "current_password": "correct horse battery", "new_password": "une phrase de passe toute neuve 42"}})
    assert changed.status_code == 204, changed.get_json()
    assert admin.patch("/api/v1/agencies/gups-parakou", json={"data": {"disabled": True}}).status_code == 200
    for credential in (kofi_credential, awa_credential, zoe_credential):
        response = authenticated(app, credential).get("/api/v1/sync/records")
        assert response.status_code == 401 and error_of(response)["code"] == "TOKEN_INVALID"


def test_a_revoked_device_is_told_to_erase_its_data_on_every_route_and_each_call_is_audited(world):
    app = world["app"]
    device_id, credential = register(world["awa"])
    assert world["admin"].delete(f"/api/v1/users/awa/devices/{device_id}").status_code == 200
    tablet = authenticated(app, credential)
    calls = [tablet.get("/api/v1/sync/bundle?locale=fr"), tablet.get("/api/v1/sync/records?token=%00"),
             tablet.post("/api/v1/sync/records?locale=fr", data=b"{broken", content_type="application/json"),
             tablet.post(f"/api/v1/sync/conflicts/{uuid.uuid4()}/resolve", json={"data": {}}),
             tablet.post("/api/v1/devices", json={"data": {"id": device_id, "name": "again"}}),
             tablet.delete(f"/api/v1/devices/{device_id}")]
    for response in calls:
        assert response.status_code == 401, response.get_json()
        assert error_of(response)["code"] == "DEVICE_REVOKED" and error_of(response)["wipe"] is True
    assert "Effacez" in error_of(calls[0])["message"]
    assert len(audited(world, "device_told_to_wipe")) == len(calls)


def test_a_credential_revoked_while_its_request_runs_is_not_brought_back_by_its_renewal(world, monkeypatch):
    from server.api import authentication

    app = world["app"]
    device_id, credential = register(world["awa"])
    app.config["DEVICE_TTL_DAYS"] = 100_000  # the credential is past half its life: this request renews it
    real_renew = authentication.renew_token

    def revoked_meanwhile(db, entry, now, ttl):
        from server.auth import devices
        devices.revoke(db, "awa", device_id, "admin", now)
        real_renew(db, entry, now, ttl)
    monkeypatch.setattr(authentication, "renew_token", revoked_meanwhile)
    authenticated(app, credential).get("/api/v1/sync/conflicts")
    monkeypatch.setattr(authentication, "renew_token", real_renew)
    response = authenticated(app, credential).get("/api/v1/sync/conflicts")
    assert response.status_code == 401 and error_of(response)["code"] == "DEVICE_REVOKED"
    with app.app_context():
        from server.storage import get_db
        assert get_db().tokens.count_documents({"device_id": device_id}) == 0


def test_a_registration_racing_a_revocation_is_refused_as_revoked_and_leaves_no_credential(world, monkeypatch):
    from server.storage import devices as device_store

    device_id, _ = register(world["awa"])
    assert world["admin"].delete(f"/api/v1/users/awa/devices/{device_id}").status_code == 200
    monkeypatch.setattr(device_store, "find_device", lambda db, user_name, key: None)  # it was not revoked yet
    response = world["awa"].post("/api/v1/devices", json={"data": {"id": device_id, "name": "again"}})
    with world["app"].app_context():
        from server.storage import get_db
        left = get_db().tokens.count_documents({"device_id": device_id})
    assert (response.status_code, error_of(response)["code"], left) == (409, "DEVICE_ID_REVOKED", 0)


def test_hostile_device_bodies_are_refused_naming_the_field(world):
    awa = world["awa"]
    for data, pointer in [({"id": "not-a-uuid", "name": "x"}, "id"), ({"id": str(uuid.uuid4()), "name": ""}, "name"),
                          ({"id": str(uuid.uuid4()), "name": "x" * 201}, "name"),
                          ({"id": str(uuid.uuid4())}, "name"), ({"id": 7, "name": "x"}, "id")]:
        response = awa.post("/api/v1/devices?locale=fr", json={"data": data})
        assert response.status_code == 422, response.get_json()
        assert any(pointer in detail["field"] for detail in error_of(response)["details"]), error_of(response)
    raw = '{"data": {"id": "%s", "name": "Tab\\u0000lette \\ud800"}}' % uuid.uuid4()
    response = awa.post("/api/v1/devices", data=raw, content_type="application/json")
    assert response.status_code == 422 and {code for _, code in fields_of(error_of(response))} == {"nul"}
    assert awa.get("/api/v1/devices").get_json()["data"] == []


# The bundle


def test_the_bundle_holds_only_what_the_role_may_read(world):
    bundle = world["awa"].get("/api/v1/sync/bundle").get_json()["data"]
    assert {form["unique_id"] for form in bundle["forms"]} == {"basic_identity", "family_members_section",
                                                             "cp_incident_form"}
    case = bundle["permissions"]["records"]["case"]
    assert "hiv" not in case["readable_fields"] and "health_notes" not in json.dumps(bundle)
    assert "tracing_request" not in bundle["permissions"]["records"]
    assert bundle["user"]["user_name"] == "awa" and "password_hash" not in json.dumps(bundle)
    nothing = world["nobody"].get("/api/v1/sync/bundle").get_json()["data"]
    assert (nothing["forms"], nothing["permissions"]["records"], nothing["recipients"]) == (
        [], {}, {"users": [], "agencies": []})
    # whom a worker may hand a case to: enabled users whose role reads cases, never one that does not
    names = {user["user_name"] for user in bundle["recipients"]["users"]}
    assert "nobody" not in names and "manager" not in names and "awa" not in names


def test_bundle_parameters_are_refused_naming_the_parameter(world):
    awa = world["awa"]
    for query, name in [("since=-1", "since"), (f"since={2**64}", "since"), ("since=x", "since"),
                        ("since=1.5", "since"), ("locale=" + "f" * 11, "locale"), ("since=%00", "since")]:
        response = awa.get(f"/api/v1/sync/bundle?{query}&locale=fr" if "locale" not in query else
                           f"/api/v1/sync/bundle?{query}")
        assert 400 <= response.status_code < 500, (query, response.status_code)
        assert any(name in detail["field"] for detail in error_of(response)["details"]), (query, error_of(response))
    beyond = awa.get(f"/api/v1/sync/bundle?since={2**63 - 1}&locale=fr")
    assert beyond.status_code == 404 and error_of(beyond)["code"] == "NOT_FOUND"


def test_a_delta_names_no_form_the_role_never_read(world):
    admin = world["admin"]
    assert admin.post("/api/v1/forms", json={"data": form("police_report_secret", field("suspect"),
                                                          order=30)}).status_code == 201
    publish(admin)
    assert admin.delete("/api/v1/forms/police_report_secret").status_code == 204
    publish(admin)
    delta = world["awa"].get("/api/v1/sync/bundle?since=3").get_json()["data"]
    assert "police_report_secret" not in json.dumps(delta)


def test_the_bundles_etag_changes_with_the_sync_settings_it_carries(world):
    awa, app = world["awa"], world["app"]
    etag = awa.get("/api/v1/sync/bundle").headers["ETag"]
    app.config["SYNC_MAX_BATCH"] = 20
    assert awa.get("/api/v1/sync/bundle", headers={"If-None-Match": etag}).status_code == 200


# Pulls


def test_a_pull_sends_only_the_scope_and_never_a_field_of_an_unreadable_form(world, settled):
    awa_case = a_case_with_secrets(world)
    kofi_case = push(world["kofi"], create(name="Kofi's"))[0]["id"]
    zoe_case = push(world["zoe"], create(name="Zoe's"))[0]["id"]
    seen = {}
    for name in ("awa", "kofi", "sika", "zoe", "reader", "nobody", "manager"):
        response = world[name].get("/api/v1/sync/records", headers={"Accept-Encoding": "gzip"})
        body = gzip.decompress(response.data) if response.headers.get("Content-Encoding") == "gzip" else response.data
        assert SECRET not in body.decode() and "hiv" not in body.decode(), name
        seen[name] = {item["id"] for item in json.loads(body)["data"]}
    assert seen == {"awa": {awa_case}, "kofi": {kofi_case}, "sika": {awa_case, kofi_case}, "zoe": {zoe_case},
                    "reader": {awa_case, kofi_case, zoe_case}, "nobody": set(), "manager": set()}
    nurse_items, _, _ = pull_all(world["nurse"])
    assert SECRET in json.dumps(nurse_items)  # the one role that reads the health form gets it


def forged(payload) -> str:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_forged_or_tampered_token_is_a_clear_400_naming_the_token(world, settled):
    awa = world["awa"]
    push(awa, create(name="mine"))
    _, good, _ = pull_all(awa)
    view = json.loads(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))["v"]
    for token in [forged({"v": view, "p": {"case": -1}}), forged({"v": view, "p": {"case": 2**63}}),
                  forged({"v": view, "p": {"case": 2**80}}), forged({"v": view, "p": {"case": 1.0}}),
                  forged({"v": view, "p": {"case": True}}), forged({"v": view, "p": {"case": "1"}}),
                  forged({"v": view, "p": {"user": 1}}), forged({"v": view, "p": {"$gt": 1}}),
                  forged({"v": view, "p": []}), forged({"v": 7, "p": {}}), forged({"p": {}}), forged([view, {}]),
                  forged("string"), forged(b'{"v": "x", "p": {"case": NaN}}'),
                  forged(b'{"v": "x", "p": {"case": 1e999}}'),
                  forged(b"[" * 1400), forged(b"\xff\xfe"), "!!!not base64!!!", "é" * 10, "A", "x" * 2001]:
        response = awa.get("/api/v1/sync/records", query_string={"token": token, "locale": "fr"})
        assert response.status_code in (400, 422), (token[:40], response.status_code, response.get_json())
        assert any(detail["field"] == "token" for detail in error_of(response)["details"]), error_of(response)
    for raw in ("%ED%A0%80", "%00"):  # broken UTF-8 (read as U+FFFD), NUL
        response = awa.get(f"/api/v1/sync/records?token={raw}")
        assert response.status_code == 400 and [f for f, _ in fields_of(error_of(response))] == ["token"]


def test_a_token_of_another_user_or_another_view_starts_over_in_ones_own_view(world, settled):
    awa, kofi = world["awa"], world["kofi"]
    awa_case = push(awa, create(name="awa's"))[0]["id"]
    kofi_case = push(kofi, create(name="kofi's"))[0]["id"]
    _, awa_token, _ = pull_all(awa)
    # a position moved back, or another user's token: never anything outside the caller's scope
    view = json.loads(base64.urlsafe_b64decode(awa_token + "=" * (-len(awa_token) % 4)))["v"]
    for token in (awa_token, forged({"v": view, "p": {"case": 0, "incident": 0}})):
        response = kofi.get("/api/v1/sync/records", query_string={"token": token}).get_json()
        assert response["meta"]["reset"] is True and [item["id"] for item in response["data"]] == [kofi_case]
    rewound = awa.get("/api/v1/sync/records", query_string={"token": forged({"v": view, "p": {}})}).get_json()
    assert rewound["meta"]["reset"] is False and [item["id"] for item in rewound["data"]] == [awa_case]


def test_per_page_out_of_bounds_is_refused_naming_it(world):
    for value in ("0", "-1", "1001", str(2**64), "x", "1.5", ""):
        response = world["awa"].get(f"/api/v1/sync/records?per_page={value}&locale=fr")
        assert response.status_code in (400, 422), (value, response.status_code)
        assert [detail["field"] for detail in error_of(response)["details"]] == ["per_page"], value


def test_a_pull_reads_a_bounded_number_of_windows_whatever_the_page_size(world, settled, monkeypatch):
    from server.storage import get_db, sync as sync_store

    awa, app = world["awa"], world["app"]
    push(awa, create(name="one case"))
    with app.app_context():  # 20,000 incidents of other offices written since
        store.next_sequence(get_db(), "incident", count=20_000)
    push(awa, create(record_type="incident"))
    windows, real_window = [], sync_store._window

    def counted(*args):
        windows.append(args)
        return real_window(*args) if len(windows) < 100 else []
    monkeypatch.setattr(sync_store, "_window", counted)
    awa.get("/api/v1/sync/records?per_page=2")  # a case, then one incident at most
    assert len(windows) < 100


# Pushes: hostile and careless input


def cases_of(world):
    return world["admin"].get("/api/v1/cases").get_json()["meta"]["total"]


def test_hostile_item_data_is_refused_whole_naming_the_path_before_anything_is_written(world, settled):
    awa = world["awa"]
    good = create(name="would be written")
    deep = {}
    cursor = deep
    for _ in range(40):
        cursor["x"] = {}
        cursor = cursor["x"]
    for data, pointer, code in [({"$where": "1"}, "/data/1/data/$where", "key_forbidden"),
                                ({"name.first": "x"}, "/data/1/data/name.first", "key_forbidden"),
                                ({"family_members": [{"$set": {"x": 1}}]}, "/data/1/data/family_members/0/$set",
                                 "key_forbidden"),
                                ({"age": 2**64}, "/data/1/data/age", "int64_range"),
                                ({"name": deep}, None, "max_depth")]:
        response = push_raw(awa, [good, create(**data)], query_string={"locale": "fr"})
        assert response.status_code == 422, (data, response.status_code)
        details = fields_of(error_of(response))
        assert code in {c for _, c in details} and (pointer is None or (pointer, code) in details), details
    for raw, code in [("NaN", "not_finite"), ("Infinity", "not_finite"), ("-Infinity", "not_finite"),
                      ("1e400", "not_finite"), ('"\\ud800"', "surrogate"), ('"a\\u0000b"', "nul")]:
        body = '{"data": [{"op": "create", "record_type": "case", "id": "%s", "data": {"name": %s}}]}' % (
            uuid.uuid4(), raw)
        response = awa.post("/api/v1/sync/records", data=body, content_type="application/json")
        assert response.status_code == 422, (raw, response.status_code)
        assert fields_of(error_of(response)) == [("/data/0/data/name", code)], raw
    lone_key = '{"data": [{"op": "create", "record_type": "case", "id": "%s", "data": {"\\udfff": 1}}]}' % uuid.uuid4()
    response = awa.post("/api/v1/sync/records", data=lone_key, content_type="application/json")
    assert response.status_code == 422 and [c for _, c in fields_of(error_of(response))] == ["surrogate"]
    assert cases_of(world) == 0


def test_each_malformed_item_is_refused_on_its_own_naming_its_position_and_field(world, settled):
    awa = world["awa"]
    case_id = push(awa, create(name="Awa"))[0]["id"]
    items = [
        (update(case_id, 0, age=1), "/data/0/base_revision"),
        (update(case_id, 2**62 + 1, age=1), "/data/1/base_revision"),
        (update(case_id, "1", age=1) | {"base_revision": "one"}, "/data/2/base_revision"),
        ({**update(case_id, 1, age=1), "op": "delete"}, "/data/3/op"),
        ({**create(), "record_type": "user"}, "/data/4/record_type"),
        ({**create(), "id": "../../etc"}, "/data/5/id"),
        ({**create(), "data": ["name"]}, "/data/6/data"),
        ({key: value for key, value in update(case_id, 1, age=1).items() if key != "change_id"}, "/data/7/change_id"),
        ({key: value for key, value in update(case_id, 1, age=1).items() if key != "base_revision"},
         "/data/8/base_revision"),
        ({**create(), "owned_by": "awa"}, "/data/9/owned_by"),
        ({**create(), "module_id": "x" * 101}, "/data/10/module_id"),
        ({**update(case_id, 1, age=1), "change_id": "not-a-uuid"}, "/data/11/change_id"),
        (create(name="fine"), None),
    ]
    results = push(awa, *[item for item, _ in items], query_string={"locale": "fr"})
    assert [r["status"] for r in results] == ["refused"] * 12 + ["created"]
    for result, (_, pointer) in zip(results, items):
        if pointer:
            assert pointer in [d["field"] for d in result["error"]["details"]], (pointer, result["error"])
            assert result["error"]["message"] == "Le corps de la requête n'est pas valide.", result["error"]["message"]
    record = world["admin"].get(f"/api/v1/cases/{case_id}").get_json()["data"]
    assert (record["revision"], record["data"]) == (1, {"name": "Awa"})
    results = push(awa, create(), "not an item", 7)
    assert [r["status"] for r in results] == ["created", "refused", "refused"]
    assert [[(d["field"], d["code"]) for d in r["error"]["details"]] for r in results[1:]] == [
        [("/data/1", "type")], [("/data/2", "type")]]
    assert cases_of(world) == 3


def test_an_enormous_batch_is_refused_whole(world, settled):
    response = push_raw(world["awa"], [create(name=f"n{n}") for n in range(world["app"].config["SYNC_MAX_BATCH"] + 1)])
    assert response.status_code == 422 and fields_of(error_of(response)) == [("/data", "max_items")]
    assert cases_of(world) == 0
    body = gzip.compress(json.dumps({"data": [create(name="x" * 100)] * 50_000}).encode())
    response = world["awa"].post("/api/v1/sync/records", data=body, headers={
        "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 413 and error_of(response)["code"] == "PAYLOAD_TOO_LARGE"


def test_a_batch_far_beyond_the_limit_is_refused_at_once_with_one_detail(world):
    body = '{"data": [' + ",".join(["[]"] * 10_000) + "]}"
    response = world["awa"].post("/api/v1/sync/records", data=body, content_type="application/json")
    assert response.status_code == 422 and len(response.data) < 10_000, len(response.data)
    assert fields_of(error_of(response)) == [("/data", "max_items")]


def test_odd_batches_twice_created_records_updates_before_creates_and_unknown_revisions(world, settled):
    awa = world["awa"]
    twice, later = str(uuid.uuid4()), str(uuid.uuid4())
    results = push(awa, create(twice, name="first"), create(twice, name="second"), update(later, 1, age=3),
                   create(later, name="later"), update(later, 5, age=4), update(later, 1, age=5))
    assert [(r["status"], (r.get("error") or {}).get("code")) for r in results] == [
        ("created", None), ("refused", "RECORD_EXISTS"), ("refused", "NOT_FOUND"), ("created", None),
        ("refused", "BODY_INVALID"), ("updated", None)]
    assert results[4]["error"]["details"] == [{"field": "/base_revision", "code": "range",
                                               "message": "At most the record's current revision, 1."}]
    assert "second" not in json.dumps(results[1])
    admin = world["admin"]
    assert admin.get(f"/api/v1/cases/{twice}").get_json()["data"]["data"] == {"name": "first"}
    assert admin.get(f"/api/v1/cases/{later}").get_json()["data"]["data"] == {"name": "later", "age": 5}


def test_one_change_id_on_two_records_changes_each_record_with_its_own_data(world, settled):
    awa = world["awa"]
    first, second = (push(awa, create(name=name))[0]["id"] for name in ("first", "second"))
    change_id = str(uuid.uuid4())
    results = push(awa, update(first, 1, change_id, age=1), update(second, 1, change_id, age=2))
    assert [r["status"] for r in results] == ["updated", "updated"]
    ages = [world["admin"].get(f"/api/v1/cases/{key}").get_json()["data"]["data"]["age"] for key in (first, second)]
    assert ages == [1, 2]


def test_a_change_id_used_again_with_other_data_is_refused_not_silently_dropped(world, settled):
    awa = world["awa"]
    case_id = push(awa, create(name="Awa"))[0]["id"]
    change_id = str(uuid.uuid4())
    assert push(awa, update(case_id, 1, change_id, age=8))[0]["status"] == "updated"
    result = push(awa, update(case_id, 1, change_id, name="Awa Koné"))[0]
    stored = world["admin"].get(f"/api/v1/cases/{case_id}").get_json()["data"]["data"]
    assert result["status"] == "refused" or stored["name"] == "Awa Koné"


# Pushes: scope, permissions and what comes back


def test_pushes_out_of_scope_or_without_permission_reveal_nothing_and_write_nothing(world, settled):
    awa, kofi, nobody, reader = world["awa"], world["kofi"], world["nobody"], world["reader"]
    awa_case = push(awa, create(name="Awa"))[0]["id"]
    ghost = str(uuid.uuid4())
    # another worker: out of scope is as if absent; a create with its id says only that the id is unavailable
    results = push(kofi, update(awa_case, 1, name="taken"), update(ghost, 1, name="taken"),
                   create(awa_case, name="Awa"), create(awa_case, name="other body"))
    assert [(r["status"], r["error"]["code"]) for r in results] == [
        ("refused", "NOT_FOUND"), ("refused", "NOT_FOUND"), ("refused", "ID_UNAVAILABLE"),
        ("refused", "ID_UNAVAILABLE")]
    assert results[0]["error"]["message"].replace(awa_case, "?") == results[1]["error"]["message"].replace(ghost, "?")
    assert "Awa" not in json.dumps(results)
    # no permission: the same refusal whether the record exists or not, before any lookup
    for client in (nobody, reader):
        results = push(client, update(awa_case, 1, name="x"), update(ghost, 1, name="x"), create(awa_case),
                       create(ghost))
        assert {(r["status"], r["error"]["code"]) for r in results} == {("refused", "PERMISSION_DENIED")}
    tracing = push(awa, update(ghost, 1, record_type="tracing_request"), create(record_type="tracing_request"))
    assert {(r["status"], r["error"]["code"]) for r in tracing} == {("refused", "PERMISSION_DENIED")}
    record = world["admin"].get(f"/api/v1/cases/{awa_case}").get_json()["data"]
    assert (record["revision"], record["data"], cases_of(world)) == (1, {"name": "Awa"}, 1)
    refusals = audited(world, "sync_push")
    assert {(entry["user_name"], entry["status"]) for entry in refusals} >= {("kofi", 404), ("nobody", 403)}


def test_a_push_result_holds_no_field_of_an_unreadable_form(world, settled):
    awa, nurse = world["awa"], world["nurse"]
    case_id = a_case_with_secrets(world)
    assert nurse.patch(f"/api/v1/cases/{case_id}", json={"data": {"name": "Awa K", "health_notes": SECRET + "2"}}
                       ).status_code == 200
    results = push(awa, update(case_id, 1, age=8), update(case_id, 1, name="Awa Z"), create(name="new"))
    assert [r["status"] for r in results] == ["merged", "conflict", "created"]
    assert SECRET not in json.dumps(results) and "hiv" not in json.dumps(results)
    assert results[1]["conflict"]["fields"] == {"name": {"mine": "Awa Z", "theirs": "Awa K"}}


def test_a_field_the_role_may_not_read_cannot_be_guessed_through_a_push(world, settled):
    awa = world["awa"]
    case_id = a_case_with_secrets(world)  # hiv: positive, written by the nurse at revision 2
    wrong, right = push(awa, update(case_id, 1, hiv="negative"), update(case_id, 1, hiv="positive"))
    assert (wrong["status"], right["status"]) == ("refused", "refused")
    assert wrong["error"] == right["error"]
    assert world["nurse"].get("/api/v1/sync/conflicts").get_json()["data"] == []


def test_a_refused_item_keeps_no_conflict(world, settled):
    awa, admin = world["awa"], world["admin"]
    case_id = push(awa, create(name="Awa", age=7))[0]["id"]
    assert admin.patch(f"/api/v1/cases/{case_id}", json={"data": {"name": "Awa K"}}).status_code == 200
    result, = push(awa, update(case_id, 1, name="Awa Z", age="seven"))
    assert result["status"] == "refused" and result["error"]["code"] == "RECORD_INVALID"
    assert admin.get("/api/v1/sync/conflicts").get_json()["data"] == []


def test_a_conflicting_value_that_breaks_a_rule_is_refused(world, settled):
    awa, admin = world["awa"], world["admin"]
    case_id = push(awa, create(name="Awa", age=7))[0]["id"]
    assert admin.patch(f"/api/v1/cases/{case_id}", json={"data": {"age": 8}}).status_code == 200
    result, = push(awa, update(case_id, 1, age={"not": "a number"}))
    assert result["status"] == "refused" and result["error"]["code"] == "RECORD_INVALID"


def test_a_subform_row_id_that_is_not_text_is_refused_not_a_500(world, settled):
    awa, admin = world["awa"], world["admin"]
    row = str(uuid.uuid4())
    case_id = push(awa, create(family_members=[{"unique_id": row, "relation_name": "Ali"}]))[0]["id"]
    assert admin.patch(f"/api/v1/cases/{case_id}", json={"data": {"family_members": [
        {"unique_id": row, "relation_name": "Ali B"}]}}).status_code == 200
    response = push_raw(awa, [create(name="before"), update(case_id, 1, family_members=[
        {"unique_id": ["x"], "relation_name": "C"}])])
    assert response.status_code == 200, error_of(response)
    assert [r["status"] for r in response.get_json()["data"]] == ["created", "refused"]


# Conflicts


def a_conflict(world, owner="awa", record_type="case", **kept):
    """A record of `owner`'s that someone changed since the device's base: returns (record id, conflict id)."""
    client = world[owner]
    if record_type == "case":
        record_id = push(client, create(name="Awa", age=7))[0]["id"]
        changed, mine = {"name": "Awa K"}, kept or {"name": "Awa Z"}
    else:
        record_id = push(client, create(record_type="incident", incident_date="2024-01-01"))[0]["id"]
        changed, mine = {"incident_date": "2024-01-02"}, {"incident_date": "2024-01-03"}
    route = {"case": "cases", "incident": "incidents"}[record_type]
    assert world["admin"].patch(f"/api/v1/{route}/{record_id}", json={"data": changed}).status_code == 200
    result, = push(client, update(record_id, 1, record_type=record_type, **mine))
    assert result["status"] == "conflict", result
    return record_id, result["conflict"]["id"]


def resolve(client, conflict_id, revision=2, values=None, **kwargs):
    return client.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve",
                       json={"data": {"revision": revision, "values": values or {}}}, **kwargs)


def test_conflicts_of_other_scopes_are_neither_listed_nor_resolvable(world, settled):
    _, conflict_id = a_conflict(world)
    ghost = str(uuid.uuid4())
    assert [c["id"] for c in world["sika"].get("/api/v1/sync/conflicts").get_json()["data"]] == [conflict_id]
    for name in ("kofi", "zoe"):
        assert world[name].get("/api/v1/sync/conflicts").get_json()["data"] == []
        found, absent = resolve(world[name], conflict_id), resolve(world[name], ghost)
        assert (found.status_code, absent.status_code) == (404, 404)
        assert "Awa" not in found.get_data(as_text=True)
    for name in ("nobody", "reader", "manager"):  # no write permission: refused before the conflict is looked up
        assert world[name].get("/api/v1/sync/conflicts").get_json()["data"] == []
        found, absent = resolve(world[name], conflict_id), resolve(world[name], ghost)
        assert (found.status_code, absent.status_code) == (403, 403)
        assert error_of(found) == error_of(absent)
    assert world["admin"].get("/api/v1/sync/conflicts").get_json()["data"][0]["status"] == "open"
    assert resolve(world["kofi"], "not-a-uuid").status_code == 404


def test_an_out_of_scope_conflict_is_answered_exactly_as_an_unknown_one(world, settled):
    record_id, conflict_id = a_conflict(world)
    ghost = str(uuid.uuid4())
    found, absent = resolve(world["kofi"], conflict_id), resolve(world["kofi"], ghost)
    assert record_id not in found.get_data(as_text=True)
    assert error_of(found)["message"].replace(conflict_id, "?") == error_of(absent)["message"].replace(ghost, "?")


def test_resolving_says_nothing_of_a_conflict_on_a_record_type_the_role_may_not_write(world, settled):
    _, conflict_id = a_conflict(world, record_type="incident")
    found, absent = resolve(world["sika"], conflict_id), resolve(world["sika"], str(uuid.uuid4()))
    assert found.status_code == absent.status_code


def test_a_conflict_on_fields_the_resolver_may_not_read_is_not_theirs_to_close(world, settled):
    awa, nurse = world["awa"], world["nurse"]
    case_id = a_case_with_secrets(world)
    result, = push(nurse, update(case_id, 1, health_notes="from the clinic tablet"))
    assert result["status"] == "conflict"
    assert awa.get("/api/v1/sync/conflicts").get_json()["data"] == []
    assert resolve(awa, result["conflict"]["id"], revision=2).status_code in (403, 404)


def test_the_conflict_list_is_not_cut_short_by_conflicts_of_other_offices(world, settled, monkeypatch):
    from server.services import sync as sync_use_cases

    monkeypatch.setattr(sync_use_cases, "CONFLICTS_LISTED", 1)  # stands for 500 conflicts open in other offices
    a_conflict(world, owner="zoe")
    _, mine = a_conflict(world, owner="awa")
    assert [c["id"] for c in world["awa"].get("/api/v1/sync/conflicts").get_json()["data"]] == [mine]


def test_a_conflict_on_fields_a_user_may_not_write_is_neither_listed_nor_shown_to_them(world, settled):
    awa, sika, nurse = world["awa"], world["sika"], world["nurse"]
    case_id = a_case_with_secrets(world)
    assert awa.patch(f"/api/v1/cases/{case_id}", json={"data": {"name": "Awa K"}}).status_code == 200
    result, = push(nurse, update(case_id, 1, name="Awa N", health_notes="clinic", hiv="negative"))
    assert result["status"] == "conflict" and set(result["conflict"]["fields"]) == {"name", "health_notes", "hiv"}
    for client in (awa, sika):  # the conflict holds health fields they may not read: not theirs to resolve
        listed = client.get("/api/v1/sync/conflicts")
        text = listed.get_data(as_text=True)
        assert SECRET not in text and "clinic" not in text and "hiv" not in text and "negative" not in text
        assert listed.get_json()["data"] == []
        refused = resolve(client, result["conflict"]["id"], revision=3, values={"name": "Awa N"})
        assert refused.status_code == 404 and SECRET not in refused.get_data(as_text=True)
    listed = nurse.get("/api/v1/sync/conflicts").get_json()["data"]
    assert listed[0]["fields"]["health_notes"] == {"mine": "clinic", "theirs": SECRET}
    answered = resolve(nurse, result["conflict"]["id"], revision=3, values={"name": "Awa N"})
    assert answered.status_code == 200
    stored = nurse.get(f"/api/v1/cases/{case_id}").get_json()["data"]["data"]
    assert (stored["name"], stored["health_notes"]) == ("Awa N", SECRET)


def test_hostile_resolve_bodies_are_refused_naming_the_field_and_change_nothing(world, settled):
    awa = world["awa"]
    case_id, conflict_id = a_conflict(world)  # the record is at revision 2
    for body, pointer in [({}, "data"), ({"data": {}}, "data.revision"), ({"data": {"revision": 0}}, "data.revision"),
                          ({"data": {"revision": 2**62 + 1}}, "data.revision"),
                          ({"data": {"revision": "two"}}, "data.revision"),
                          ({"data": {"revision": 2, "values": ["name"]}}, "data.values"),
                          ({"data": {"revision": 2, "status": "resolved"}}, "data.status")]:
        response = awa.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve?locale=fr", json=body)
        assert response.status_code == 422, (body, response.status_code)
        assert pointer in [field for field, _ in fields_of(error_of(response))], (body, error_of(response))
    for values in ({"hiv": "positive"}, {"owned_by": "awa"}, {"age": "seven"}, {"name": {"$ne": 1}}):
        response = resolve(awa, conflict_id, revision=2, values=values)
        assert 400 <= response.status_code < 500 and error_of(response)["code"] in ("RECORD_INVALID", "BODY_INVALID")
    conflict = awa.get("/api/v1/sync/conflicts").get_json()["data"][0]
    record = awa.get(f"/api/v1/cases/{case_id}").get_json()["data"]
    assert conflict["status"] == "open" and (record["revision"], record["data"]["name"]) == (2, "Awa K")
    packed = gzip.compress(json.dumps({"data": {"revision": 2, "values": {"name": "Awa Z"}}}).encode())
    response = awa.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve", data=packed, headers={
        "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "resolved"
    assert awa.get(f"/api/v1/cases/{case_id}").get_json()["data"]["data"]["name"] == "Awa Z"


def test_resolving_on_a_stale_revision_is_a_documented_412(world, settled):
    _, conflict_id = a_conflict(world)
    response = resolve(world["awa"], conflict_id, revision=1, values={"name": "Awa Z"})
    assert response.status_code == 412 and error_of(response)["code"] == "STALE_REVISION"


def test_keeping_the_servers_values_is_checked_against_the_current_revision(world, settled):
    _, conflict_id = a_conflict(world)
    response = resolve(world["awa"], conflict_id, revision=999)
    assert 400 <= response.status_code < 500


# Concurrency: on the wire server only. mongomock has no lock, so two threads may both match `revision: n` in
# one update_one and both increment it; the guarantee under test is the database's atomic conditional update.

ON_THE_WIRE = pytest.mark.parametrize("backend_app", ["secantus"], indirect=True)


@ON_THE_WIRE
def test_the_same_batch_pushed_from_two_threads_at_once_is_applied_once(world, settled):
    app, token = world["app"], token_of(world["awa"])
    for _ in range(3):
        case_id = str(uuid.uuid4())
        batch = [create(case_id, name="Awa"), update(case_id, 1, age=7), update(case_id, 2, sex="female")]
        answers = run_together(*[lambda: push_raw(authenticated(app, token), batch) for _ in range(3)])
        assert [answer.status_code for answer in answers] == [200] * 3, answers
        for answer in answers:
            assert [r["status"] for r in answer.get_json()["data"]] == ["created", "updated", "updated"]
        history = world["admin"].get(f"/api/v1/cases/{case_id}/history").get_json()
        record = world["admin"].get(f"/api/v1/cases/{case_id}").get_json()["data"]
        assert (history["meta"]["total"], record["revision"], record["data"]) == (
            3, 3, {"name": "Awa", "age": 7, "sex": "female"})
    assert cases_of(world) == 3


@ON_THE_WIRE
def test_requests_that_start_a_record_types_numbering_at_once_each_get_their_own_numbers(world):
    from server.storage import get_db

    app = world["app"]
    with app.app_context():
        db = get_db()
        for _ in range(10):  # a record type none has numbered yet, as on a new server's first morning
            collection = f"probe-{uuid.uuid4().hex}"
            taken = run_together(*[lambda: store.next_sequence(db, collection, inserted=1) for _ in range(6)])
            assert sorted(taken) == [1, 2, 3, 4, 5, 6], taken
            state = store.sequence_state(db, collection)
            assert (state["value"], state["records"]) == (6, 6)


@ON_THE_WIRE
def test_a_tablet_registering_twice_at_once_is_registered_never_told_it_was_revoked(world):
    app, token = world["app"], token_of(world["awa"])
    for _ in range(5):
        device_id = str(uuid.uuid4())
        answers = run_together(*[lambda: authenticated(app, token).post(
            "/api/v1/devices?locale=fr", json={"data": {"id": device_id, "name": "Tablette"}}) for _ in range(3)])
        assert [answer.status_code for answer in answers] == [201] * 3, [answer.get_json() for answer in answers]
        devices = [device for device in world["awa"].get("/api/v1/devices").get_json()["data"]
                   if device["id"] == device_id]
        assert [(device["name"], device["revoked"]) for device in devices] == [("Tablette", False)]
        credentials = [answer.get_json()["data"]["credential"] for answer in answers]
        assert 200 in [authenticated(app, credential).get("/api/v1/sync/bundle").status_code
                       for credential in credentials]


@ON_THE_WIRE
def test_conflicting_edits_pushed_at_once_lose_no_value(world, settled):
    app, token = world["app"], token_of(world["awa"])
    case_id = push(world["awa"], create(name="Awa"))[0]["id"]
    answers = run_together(*[lambda n=n: push_raw(authenticated(app, token), [update(case_id, 1, name=f"v{n}", age=n)])
                             for n in range(4)])
    assert [answer.status_code for answer in answers] == [200] * 4
    results = [answer.get_json()["data"][0] for answer in answers]
    assert sorted(r["status"] for r in results) == ["conflict", "conflict", "conflict", "updated"]
    record = world["admin"].get(f"/api/v1/cases/{case_id}").get_json()["data"]
    assert record["revision"] == 2
    for n, result in enumerate(results):  # every device's value is in the record or in its conflict
        if result["status"] == "conflict":
            assert result["conflict"]["fields"] == {"name": {"mine": f"v{n}", "theirs": record["data"]["name"]},
                                                    "age": {"mine": n, "theirs": record["data"]["age"]}}
        else:
            assert record["data"] == {"name": f"v{n}", "age": n}
    assert len(world["admin"].get("/api/v1/sync/conflicts").get_json()["data"]) == 3


def test_a_write_landing_during_a_merge_loses_no_edit_of_the_device(world, settled, monkeypatch):
    from dataclasses import replace

    from server.records import service

    awa, admin = world["awa"], world["admin"]
    case_id = push(awa, create(name="Awa", age=7))[0]["id"]
    assert admin.patch(f"/api/v1/cases/{case_id}", json={"data": {"name": "Awa K"}}).status_code == 200
    real_update, armed = service.update_record, [True]

    def someone_else_first(db, config, record_type, record_id, patch, expected, actor):
        if armed.pop() if armed else False:  # another user's write of age lands between the merge and its write
            real_update(db, config, record_type, record_id, {"age": 9}, None,
                        replace(actor, user_name="admin", principal=None, device_id=None, change_id=None))
        return real_update(db, config, record_type, record_id, patch, expected, actor)
    monkeypatch.setattr(service, "update_record", someone_else_first)
    result, = push(awa, update(case_id, 1, name="Awa Z", age=5))
    stored = admin.get(f"/api/v1/cases/{case_id}").get_json()["data"]["data"]
    assert stored["age"] == 5 or result["conflict"]["fields"].get("age") == {"mine": 5, "theirs": 9}


def test_a_change_sent_twice_at_once_answers_the_record_as_it_is_after_the_change(world, settled, monkeypatch):
    from server.records import service

    awa = world["awa"]
    case_id = push(awa, create(name="Awa"))[0]["id"]
    change = update(case_id, 1, age=7)
    real_update, armed = service.update_record, [True]

    def first_sending_lands(*args):
        if armed.pop() if armed else False:  # the first sending commits after the second read the record
            assert push(awa, change)[0]["revision"] == 2
        return real_update(*args)
    monkeypatch.setattr(service, "update_record", first_sending_lands)
    second, = push(awa, change)
    assert (second["status"], second["revision"], second["record"]["data"].get("age")) == ("updated", 2, 7)
    assert world["admin"].get(f"/api/v1/cases/{case_id}/history").get_json()["meta"]["total"] == 2


# Gzip


def gzipped(client, body: bytes, path="/api/v1/sync/records"):
    return client.post(path + "?locale=fr", data=body, headers={"Content-Encoding": "gzip",
                                                                "Content-Type": "application/json"})


def test_broken_and_oversized_gzip_bodies_are_clear_4xx_and_write_nothing(world, settled):
    awa, limit = world["awa"], world["app"].config["MAX_CONTENT_LENGTH"]
    packed = gzip.compress(json.dumps({"data": [create(name="packed")]}).encode())
    crc_flipped = packed[:-8] + bytes(4) + packed[-4:]
    for body in (b"not gzip at all", crc_flipped, packed[:10], b"\x1f\x8b" + b"\x00" * 30):
        response = gzipped(awa, body)
        assert 400 <= response.status_code < 500 and "error" in response.get_json(), body[:12]
    assert fields_of(error_of(gzipped(awa, crc_flipped))) == [("/", "format")]
    assert "gzip" in error_of(gzipped(awa, crc_flipped))["details"][0]["message"]
    for bomb in (gzip.compress(b"[" * (limit + 1)), gzip.compress(b'{"data": "' + b"a" * limit + b'"}')):
        response = gzipped(awa, bomb)
        assert response.status_code == 413 and error_of(response)["code"] == "PAYLOAD_TOO_LARGE"
    nested = gzip.compress(b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert gzipped(awa, nested).status_code == 422
    assert cases_of(world) == 0


def test_a_gzip_body_cut_before_its_checksum_or_followed_by_more_is_refused(world, settled):
    awa = world["awa"]
    packed = gzip.compress(json.dumps({"data": [create(name="cut")]}).encode() + b" " * 64)
    refused = [gzipped(awa, packed[:-8]), gzipped(awa, packed + gzip.compress(b'{"data": []}'))]
    assert [response.status_code for response in refused] == [422, 422]
    assert cases_of(world) == 0


# Marked for mobile


def test_marking_for_mobile_checks_the_permission_first_then_the_scope_then_the_input(world, settled):
    awa, kofi, reader, nobody = world["awa"], world["kofi"], world["reader"], world["nobody"]
    case_id = push(awa, create(name="Awa"))[0]["id"]
    ghost = str(uuid.uuid4())
    body = {"data": {"marked_for_mobile": False}}
    for client in (reader, nobody):
        found = client.put(f"/api/v1/cases/{case_id}/marked_for_mobile", json=body)
        absent = client.put(f"/api/v1/cases/{ghost}/marked_for_mobile", json=body)
        assert (found.status_code, absent.status_code) == (403, 403) and error_of(found) == error_of(absent)
    found = kofi.put(f"/api/v1/cases/{case_id}/marked_for_mobile", json=body)
    absent = kofi.put(f"/api/v1/cases/{ghost}/marked_for_mobile", json=body)
    assert (found.status_code, absent.status_code) == (404, 404) and "Awa" not in found.get_data(as_text=True)
    for bad in ({"data": {"marked_for_mobile": "maybe"}}, {"data": {}}, {"data": {"marked_for_mobile": None}},
                {"data": {"marked_for_mobile": True, "owned_by": "kofi"}}):
        response = awa.put(f"/api/v1/cases/{case_id}/marked_for_mobile?locale=fr", json=bad)
        assert response.status_code == 422 and error_of(response)["details"][0]["field"].startswith("data."), bad
    stale = awa.put(f"/api/v1/cases/{case_id}/marked_for_mobile", json=body, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert awa.delete(f"/api/v1/cases/{case_id}").status_code == 200
    disabled = awa.put(f"/api/v1/cases/{case_id}/marked_for_mobile", json=body)
    assert disabled.status_code == 409 and error_of(disabled)["code"] == "RECORD_DISABLED"
    record = world["admin"].get(f"/api/v1/cases/{case_id}").get_json()["data"]
    assert (record["marked_for_mobile"], record["owned_by"]) == (True, "awa")


# Revocation during a sync


def test_a_device_revoked_while_it_pushes_is_refused_from_its_next_request_and_nothing_fails(world, settled,
                                                                                             monkeypatch):
    from server.records import sync as record_sync

    app, admin = world["app"], world["admin"]
    device_id, credential = register(world["awa"])
    tablet = authenticated(app, credential)
    real_create, armed = record_sync.push_create, [True]

    def revoked_meanwhile(*args):
        if armed.pop() if armed else False:
            assert admin.delete(f"/api/v1/users/awa/devices/{device_id}").status_code == 200
        return real_create(*args)
    monkeypatch.setattr(record_sync, "push_create", revoked_meanwhile)
    answer = push_raw(tablet, [create(name="one"), create(name="two")])
    assert answer.status_code == 200  # a request already admitted finishes (not guaranteed otherwise)
    for response in (tablet.get("/api/v1/sync/records"), push_raw(tablet, [create(name="three")])):
        assert response.status_code == 401 and error_of(response)["code"] == "DEVICE_REVOKED"
    assert cases_of(world) == 2
    device, = admin.get("/api/v1/users/awa/devices").get_json()["data"]
    assert device["revoked"] is True and device["revoked_by"] == "admin"
