"""Field sync through the API, on mongomock and on SecantusDB: the bundle, record pulls by token, batch pushes with
field-level merge and kept conflicts, and what a device receives when its user's view changes."""
import gzip
import json
import time
import uuid

import pytest

from tests.builders import make_user, role
from tests.api.sync_helpers import create, pull_all, push, update
from tests.conftest import authenticated

WORKER = {"case": ["read", "create", "write", "assign", "disable"], "incident": ["read", "create", "write"]}


@pytest.fixture
def people(backend_app, backend_client):
    """Two social workers of one office (scope: their own records) and their supervisor (scope: the group)."""
    for body in (role("role-worker", WORKER, "self"), role("role-supervisor", WORKER, "group"),
                 role("role-reader", {"incident": ["read"]}, "all")):
        assert backend_client.post("/api/v1/roles", json={"data": body}).status_code == 201
    assert backend_client.post("/api/v1/metadata/publish", json={}).status_code == 201
    return {name: authenticated(backend_app, make_user(backend_app, name, role_id, "gups-natitingou", ["natitingou"]))
            for name, role_id in (("awa", "role-worker"), ("kofi", "role-worker"), ("sika", "role-supervisor"))}


def test_a_push_creates_updates_and_refuses_each_item_on_its_own(backend_client, settled):
    case_id = str(uuid.uuid4())
    results = push(backend_client, create(case_id, name="Awa", sex="female"),
                   update(case_id, 1, age=7), create(name="x", sex="other"), {"op": "update", "id": "nope"})
    assert [result["status"] for result in results] == ["created", "updated", "refused", "refused"]
    assert results[1]["record"]["data"] == {"name": "Awa", "sex": "female", "age": 7}
    assert results[2]["error"]["code"] == "RECORD_INVALID"
    assert {d["field"] for d in results[2]["error"]["details"]} == {"/sex"}
    assert {d["field"] for d in results[3]["error"]["details"]} == {"/data/3/record_type", "/data/3/id"}
    assert backend_client.get("/api/v1/cases").get_json()["meta"]["total"] == 1


def test_a_resent_batch_changes_nothing_and_answers_as_the_first_time(backend_client, settled):
    case_id = str(uuid.uuid4())
    batch = [create(case_id, name="Awa"), update(case_id, 1, age=7), update(case_id, 2, sex="female")]
    first = push(backend_client, *batch)
    again = push(backend_client, *batch)
    assert [(r["status"], r["revision"]) for r in first] == [("created", 1), ("updated", 2), ("updated", 3)]
    assert [(r["status"], r["revision"]) for r in again] == [("created", 3), ("updated", 3), ("updated", 3)]
    history = backend_client.get(f"/api/v1/cases/{case_id}/history").get_json()
    assert history["meta"]["total"] == 3
    assert backend_client.get("/api/v1/cases").get_json()["meta"]["total"] == 1


def test_edits_of_different_fields_merge_and_of_the_same_field_are_kept_as_a_conflict(backend_client, settled):
    case_id = push(backend_client, create(name="Awa", age=7))[0]["id"]
    assert backend_client.patch(f"/api/v1/cases/{case_id}", json={"data": {"name": "Awa Koné"}}).status_code == 200
    merged, = push(backend_client, update(case_id, 1, sex="female"))
    assert merged["status"] == "merged" and merged["record"]["data"] == {"name": "Awa Koné", "age": 7,
                                                                        "sex": "female"}
    conflict_id = str(uuid.uuid4())
    clash, = push(backend_client, update(case_id, 1, conflict_id, name="Awa Kone", age=8))
    assert clash["status"] == "conflict"
    assert clash["record"]["data"] == {"name": "Awa Koné", "age": 8, "sex": "female"}  # age merged, name kept
    assert clash["conflict"]["fields"] == {"name": {"mine": "Awa Kone", "theirs": "Awa Koné"}}
    listed = backend_client.get("/api/v1/sync/conflicts").get_json()["data"]
    assert [(c["id"], c["record_id"], c["status"]) for c in listed] == [(conflict_id, case_id, "open")]
    again, = push(backend_client, update(case_id, 1, conflict_id, name="Awa Kone", age=8))
    assert again["status"] == "conflict" and again["revision"] == clash["revision"]
    # a person resolves it: the device's value wins, written on the current revision
    resolved = backend_client.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve",
                                   json={"data": {"revision": clash["revision"], "values": {"name": "Awa Kone"}}})
    assert resolved.status_code == 200 and resolved.get_json()["data"]["status"] == "resolved"
    assert backend_client.get(f"/api/v1/cases/{case_id}").get_json()["data"]["data"]["name"] == "Awa Kone"
    assert backend_client.get("/api/v1/sync/conflicts").get_json()["data"] == []
    closed = backend_client.post(f"/api/v1/sync/conflicts/{conflict_id}/resolve",
                                 json={"data": {"revision": clash["revision"] + 1, "values": {}}})
    assert closed.status_code == 409 and closed.get_json()["error"]["code"] == "CONFLICT_CLOSED"


def test_a_change_cut_off_between_its_conflict_and_its_merge_is_finished_when_sent_again(backend_client, settled,
                                                                                         monkeypatch):
    from server.errors import ServiceUnavailable
    from server.records import sync

    case_id = push(backend_client, create(name="Awa", age=7))[0]["id"]
    backend_client.patch(f"/api/v1/cases/{case_id}", json={"data": {"name": "Awa Koné"}})
    change = update(case_id, 1, name="Awa Kone", age=8)
    real_update = sync.service.update_record

    def dies(*args, **kwargs):
        raise ServiceUnavailable()
    monkeypatch.setattr(sync.service, "update_record", dies)
    cut = backend_client.post("/api/v1/sync/records", json={"data": [change]})
    assert cut.status_code == 503  # the conflict was kept, the merge of age was not written
    monkeypatch.setattr(sync.service, "update_record", real_update)
    again, = push(backend_client, change)
    assert again["status"] == "conflict" and again["record"]["data"] == {"name": "Awa Koné", "age": 8}
    assert again["conflict"]["fields"] == {"name": {"mine": "Awa Kone", "theirs": "Awa Koné"}}
    third, = push(backend_client, change)
    assert third["revision"] == again["revision"]


def test_subform_rows_merge_row_by_row(backend_client, settled):
    row = str(uuid.uuid4())
    case_id = push(backend_client, create(family_members=[{"unique_id": row, "relation_name": "Ali",
                                                           "relation_age": 30}]))[0]["id"]
    url = f"/api/v1/cases/{case_id}"
    assert backend_client.patch(url, json={"data": {"family_members": [{"unique_id": row,
                                                                        "relation_age": 31}]}}).status_code == 200
    same_row_other_field, = push(backend_client, update(case_id, 1, family_members=[
        {"unique_id": row, "relation_name": "Ali Baba"}, {"relation_name": "Fati"}]))
    assert same_row_other_field["status"] == "merged"
    rows = same_row_other_field["record"]["data"]["family_members"]
    assert [(r["relation_name"], r.get("relation_age")) for r in rows] == [("Ali Baba", 31), ("Fati", None)]
    clash, = push(backend_client, update(case_id, 1, family_members=[{"unique_id": row, "relation_age": 40}]))
    assert clash["status"] == "conflict"
    assert clash["conflict"]["fields"]["family_members"]["rows"][row]["mine"]["relation_age"] == 40
    assert clash["record"]["data"]["family_members"][0]["relation_age"] == 31


def test_history_shows_the_device_of_each_change(backend_app, backend_client, settled):
    device_id = str(uuid.uuid4())
    registered = backend_client.post("/api/v1/devices", json={"data": {"id": device_id, "name": "Tablette 7"}})
    assert registered.status_code == 201
    tablet = authenticated(backend_app, registered.get_json()["data"]["credential"])
    case_id = push(tablet, create(name="Awa"))[0]["id"]
    push(tablet, update(case_id, 1, age=3))
    backend_client.patch(f"/api/v1/cases/{case_id}", json={"data": {"age": 4}})
    history = backend_client.get(f"/api/v1/cases/{case_id}/history").get_json()["data"]
    assert [(entry["revision"], entry.get("device_id")) for entry in history] == [
        (3, None), (2, device_id), (1, device_id)]
    devices = backend_client.get("/api/v1/devices").get_json()["data"]
    assert devices[0]["last_sync_at"] is not None


def test_a_pull_sends_the_scope_in_pages_and_resumes_from_its_token(people, settled):
    awa, kofi, sika = people["awa"], people["kofi"], people["sika"]
    mine = [push(awa, create(name=f"Awa {n}"))[0]["id"] for n in range(5)]
    theirs = push(kofi, create(name="Kofi's"))[0]["id"]
    items, token, reset = pull_all(awa, per_page=2)
    assert reset is True and [item["id"] for item in items] == mine
    assert all(item["record"]["owned_by"] == "awa" for item in items)
    # a connection broken after a page: the same token gives the same page again, nothing skipped
    first = awa.get("/api/v1/sync/records", query_string={"per_page": 2}).get_json()
    retried = awa.get("/api/v1/sync/records", query_string={"token": first["meta"]["next_token"], "per_page": 2})
    again = awa.get("/api/v1/sync/records", query_string={"token": first["meta"]["next_token"], "per_page": 2})
    assert retried.get_json() == again.get_json() and [i["id"] for i in retried.get_json()["data"]] == mine[2:4]
    # after the last token: only what changed since
    awa.patch(f"/api/v1/cases/{mine[1]}", json={"data": {"age": 9}})
    changed, token, reset = pull_all(awa, token)
    assert reset is False and [(item["id"], item["revision"]) for item in changed] == [(mine[1], 2)]
    supervised, _, _ = pull_all(sika)
    assert {item["id"] for item in supervised} == {*mine, theirs}


def test_a_record_that_leaves_the_view_comes_as_a_tombstone(backend_app, backend_client, people, settled):
    awa, sika = people["awa"], people["sika"]  # sika supervises awa's group
    zoe = authenticated(backend_app, make_user(backend_app, "zoe", "role-worker", "gups-parakou", ["parakou"]))
    kept, handed, disabled = (push(awa, create(name=name))[0]["id"] for name in ("kept", "handed", "disabled"))
    _, token, _ = pull_all(sika)
    assert awa.post(f"/api/v1/cases/{handed}/assign", json={"data": {"owned_by": "zoe"}}).status_code == 200
    assert awa.delete(f"/api/v1/cases/{disabled}").status_code == 200
    items, token, _ = pull_all(sika, token)
    assert {(item["id"], item.get("deleted"), item.get("reason")) for item in items} == {
        (handed, True, "out_of_scope"), (disabled, True, "disabled")}
    assert all("record" not in item for item in items)
    # awa stays associated with the case she handed over; zoe, its new owner, receives it
    assert [(item["id"], item.get("deleted")) for item in pull_all(awa)[0]] == [(kept, None), (handed, None)]
    assert [item["id"] for item in pull_all(zoe)[0]] == [handed]


def test_a_new_scope_starts_the_pull_again(backend_app, backend_client, people, settled):
    awa, kofi = people["awa"], people["kofi"]
    own = push(awa, create(name="own"))[0]["id"]
    other = push(kofi, create(name="other"))[0]["id"]
    items, token, _ = pull_all(awa)
    assert [item["id"] for item in items] == [own]
    assert backend_client.patch("/api/v1/users/awa", json={"data": {"role_unique_id": "role-supervisor"}}
                                ).status_code == 200
    awa = authenticated(backend_app, make_token(backend_app, "awa"))  # a role change ends the user's tokens
    items, _, reset = pull_all(awa, token)
    assert reset is True and {item["id"] for item in items} == {own, other}


def make_token(app, user_name):
    from datetime import datetime, timedelta, timezone

    from server.auth import tokens
    from server.storage import get_db
    with app.app_context():
        user = get_db().users.find_one({"_id": user_name})
        now = datetime.now(timezone.utc)
        return tokens.issue_token(get_db(), user, tokens.BEARER, now, timedelta(hours=1))["token"]


def test_marked_only_sync_sends_the_records_marked_for_mobile(backend_app, backend_client, settled):
    backend_app.config["SYNC_RECORDS"] = "marked"
    made_here = backend_client.post("/api/v1/cases", json={"data": {"name": "web"}}).get_json()["data"]
    on_tablet = push(backend_client, create(name="tablet"))[0]
    assert (made_here["marked_for_mobile"], on_tablet["record"]["marked_for_mobile"]) == (False, True)
    items, token, _ = pull_all(backend_client)
    assert [item["id"] for item in items] == [on_tablet["id"]]
    marked = backend_client.put(f"/api/v1/cases/{made_here['id']}/marked_for_mobile",
                                json={"data": {"marked_for_mobile": True}})
    assert marked.status_code == 200 and marked.get_json()["data"]["marked_for_mobile"] is True
    assert backend_client.put(f"/api/v1/cases/{on_tablet['id']}/marked_for_mobile",
                              json={"data": {"marked_for_mobile": False}}).status_code == 200
    items, _, _ = pull_all(backend_client, token)
    assert {(item["id"], item.get("reason")) for item in items} == {(made_here["id"], None),
                                                                   (on_tablet["id"], "not_marked")}


def test_a_pull_waits_for_writes_that_may_still_be_committing(backend_client):
    """Numbers are taken before a write commits: a pull sends nothing numbered in the last SYNC_SETTLE_SECONDS."""
    push(backend_client, create(name="just now"))
    body = backend_client.get("/api/v1/sync/records").get_json()
    assert body["data"] == [] and body["meta"]["more"] is False


def test_a_write_that_commits_late_is_numbered_again_and_never_skipped(backend_client, monkeypatch, settled):
    """Out-of-order commits: a write takes number n, another takes n+1 and commits, a pull passes n+1; the first
    commits after its lease and takes a new number, so the next pull sends it."""
    from server.storage import records as records_store

    slow_id = push(backend_client, create(name="slow"))[0]["id"]
    _, token, _ = pull_all(backend_client)
    real_sequence, seen = records_store.next_sequence, {}

    def meanwhile(db, collection, count=1, inserted=0):
        number = real_sequence(db, collection, count, inserted)
        if seen.get("armed"):  # the slow write holds its number; another write commits and a pull passes it
            seen["armed"] = False
            seen["fast"] = push(backend_client, create(name="fast"))[0]["id"]
            seen["pulled"], seen["token"], _ = pull_all(backend_client, token)
            monkeypatch.setattr(records_store, "write_clock", lambda real=time.monotonic: real() + 60)
        return number
    monkeypatch.setattr(records_store, "next_sequence", meanwhile)
    seen["armed"] = True
    assert push(backend_client, update(slow_id, 1, age=5))[0]["status"] == "updated"
    monkeypatch.setattr(records_store, "write_clock", time.monotonic)
    assert [item["id"] for item in seen["pulled"]] == [seen["fast"]]
    items, _, _ = pull_all(backend_client, seen["token"])
    assert [(item["id"], item["revision"]) for item in items] == [(slow_id, 2)]


def test_the_bundle_holds_what_a_device_needs_with_an_etag_deltas_and_gzip(backend_app, backend_client, people):
    awa = people["awa"]
    response = awa.get("/api/v1/sync/bundle?locale=fr", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    bundle = json.loads(gzip.decompress(response.data))["data"]
    assert bundle["user"]["user_name"] == "awa" and bundle["version"] == 2
    assert bundle["permissions"]["group_permission"] == "self"
    assert bundle["permissions"]["records"]["case"]["actions"] == ["assign", "create", "disable", "read", "write"]
    assert "tracing_request" not in bundle["permissions"]["records"]
    assert {form["unique_id"] for form in bundle["forms"]} >= {"basic_identity", "family_members_section"}
    forms = {form["unique_id"]: form for form in bundle["forms"]}
    assert forms["basic_identity"]["name"] == "Basic identity (fr)" and "name_i18n" not in forms["basic_identity"]
    assert {lookup["unique_id"] for lookup in bundle["lookups"]} == {"lookup-sex", "lookup-risk-level"}
    assert {row["type"] for row in bundle["field_types"]} >= {"text_field", "subform"}
    assert [(u["user_name"], u["assign"]) for u in bundle["recipients"]["users"]] == [
        ("admin", ["case"]), ("kofi", ["case"]), ("sika", ["case"])]
    assert bundle["recipients"]["agencies"][0]["unique_id"] == "gups-natitingou"
    etag = response.headers["ETag"]
    assert awa.get("/api/v1/sync/bundle?locale=fr", headers={"If-None-Match": etag}).status_code == 304
    # one label changes: the delta holds that form only
    label = {"name_i18n": {"en": "Identity", "fr": "Identité"}}
    assert backend_client.patch("/api/v1/forms/basic_identity", json={"data": label}).status_code == 200
    assert backend_client.post("/api/v1/metadata/publish", json={}).status_code == 201
    assert awa.get("/api/v1/sync/bundle?locale=fr", headers={"If-None-Match": etag}).status_code == 200
    delta = awa.get("/api/v1/sync/bundle?since=2").get_json()["data"]
    assert [form["unique_id"] for form in delta["forms"]] == ["basic_identity"]
    assert delta["forms"][0]["name_i18n"]["fr"] == "Identité"
    assert delta["lookups"] == [] and "field_types" not in delta and delta["version"] == 3


def test_a_users_recipients_change_the_bundles_etag(backend_app, backend_client, people):
    awa = people["awa"]
    etag = awa.get("/api/v1/sync/bundle").headers["ETag"]
    assert backend_client.patch("/api/v1/users/kofi", json={"data": {"disabled": True}}).status_code == 200
    response = awa.get("/api/v1/sync/bundle", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert [u["user_name"] for u in response.get_json()["data"]["recipients"]["users"]] == ["admin", "sika"]


def test_a_revoked_device_is_refused_at_once_and_told_to_erase_its_data(backend_app, backend_client, people,
                                                                         settled):
    awa = people["awa"]
    device_id = str(uuid.uuid4())
    credential = awa.post("/api/v1/devices", json={"data": {"id": device_id, "name": "Tablette Natitingou 2"}}
                          ).get_json()["data"]["credential"]
    tablet = authenticated(backend_app, credential)
    assert push(tablet, create(name="offline"))[0]["status"] == "created"
    assert tablet.post("/api/v1/devices", json={"data": {"id": str(uuid.uuid4()), "name": "x"}}).status_code == 403
    listed = backend_client.get("/api/v1/users/awa/devices").get_json()["data"]
    assert [(d["id"], d["name"], d["revoked"]) for d in listed] == [(device_id, "Tablette Natitingou 2", False)]
    assert people["kofi"].get("/api/v1/users/awa/devices").status_code == 403
    revoked = backend_client.delete(f"/api/v1/users/awa/devices/{device_id}")
    assert revoked.status_code == 200 and revoked.get_json()["data"]["revoked_by"] == "admin"
    refused = tablet.get("/api/v1/sync/records")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["code"] == "DEVICE_REVOKED" and refused.get_json()["error"]["wipe"] is True
    assert awa.post("/api/v1/devices", json={"data": {"id": device_id, "name": "again"}}).status_code == 409
    assert backend_client.delete(f"/api/v1/users/awa/devices/{device_id}").status_code == 409
    actions = [entry["action"] for entry in backend_client.get("/api/v1/audit_logs").get_json()["data"]]
    assert {"device_registered", "device_revoked", "device_told_to_wipe", "sync_created"} <= set(actions)


def test_a_gzipped_push_is_read_and_a_gzip_bomb_refused(backend_app, backend_client, settled):
    body = gzip.compress(json.dumps({"data": [create(name="packed")]}).encode())
    response = backend_client.post("/api/v1/sync/records", data=body, headers={
        "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 200 and response.get_json()["data"][0]["status"] == "created"
    bomb = gzip.compress(b'{"data": [' + b" " * (backend_app.config["MAX_CONTENT_LENGTH"] + 10) + b"]}")
    response = backend_client.post("/api/v1/sync/records", data=bomb, headers={
        "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert response.status_code == 413
    broken = backend_client.post("/api/v1/sync/records", data=b"not gzip", headers={
        "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert broken.status_code == 422


def test_pushes_and_pulls_refuse_what_the_role_may_not_do(backend_app, backend_client, people, settled):
    reader = authenticated(backend_app, make_user(backend_app, "lecteur", "role-reader"))
    other = push(people["kofi"], create(name="Kofi's"))[0]["id"]
    results = push(people["awa"], update(other, 1, name="taken"), create(name="mine"))
    assert [r["status"] for r in results] == ["refused", "created"]
    assert results[0]["error"]["code"] == "NOT_FOUND"  # out of scope: as if absent
    nothing = push(reader, create(name="x"))
    assert nothing[0]["status"] == "refused" and nothing[0]["error"]["code"] == "PERMISSION_DENIED"
    assert reader.get("/api/v1/sync/records").get_json()["data"] == []
    assert people["kofi"].get(f"/api/v1/cases/{other}").get_json()["data"]["data"]["name"] == "Kofi's"
