"""Nothing in Abri assumes a single process: two `abri serve` processes on one database, as the production recipe
runs them (deploy/systemd/abri@.service behind nginx), each with its own instance folder, as if on two machines.

Both start at once on an empty database (what `systemctl enable --now abri@5001 abri@5002` does on a new machine),
then show that sessions and tokens, the login throttle, the published configuration, export jobs, sync pulls and
alerts behave as they would with one process: whatever is done through one is seen through the other at once.
"""
from __future__ import annotations

import http.client
import json
import re
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import quote

import pymongo
import pytest

from tests.deploy.processes import (ADMIN_PASSWORD, PASSWORD, Served, User, call, settings_for, start_serving, stop,
                                    wait_until_serving)

SETTLE_SECONDS = 10   # ABRI_SYNC_SETTLE_SECONDS: its minimum (a pull sends writes made at least this long ago)
IDENTITY = {"registration_date": "2026-01-15", "name_first": "Afi", "name_last": "Houngbédji", "sex": "female",
            "age": 11, "risk_level": "high", "risk_level_reason": "Violences répétées",
            "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}
WAITING = ("queued", "running")
SCHOOL = {"name": "school_attended", "type": "text_field", "max_length": 100,
          "display_name_i18n": {"en": "School attended", "fr": "École fréquentée"}}


@dataclass
class World:
    a: Served
    b: Served
    admin: User
    database: pymongo.database.Database


@pytest.fixture(scope="module")
def world(secantus_uri, tmp_path_factory):
    """Two processes started at the same moment on one new database, and the people of an office."""
    folder = tmp_path_factory.mktemp("two-processes")
    name = f"abri_two_{uuid.uuid4().hex[:10]}"
    fast = {"ABRI_EXPORT_WORKER_THREADS": "1", "ABRI_EXPORT_POLL_SECONDS": "1", "ABRI_ALERT_POLL_SECONDS": "0.2",
            "ABRI_ALERT_STREAM_SECONDS": "30", "ABRI_SYNC_SETTLE_SECONDS": str(SETTLE_SECONDS)}
    a = start_serving("A", settings_for(secantus_uri, name, folder / "instance-a", **fast), folder)
    b = start_serving("B", settings_for(secantus_uri, name, folder / "instance-b", **fast), folder)
    client = pymongo.MongoClient(secantus_uri)
    try:
        wait_until_serving(a, b)
        admin = a.login("admin", ADMIN_PASSWORD)
        for agency in ("gups-natitingou", "brigade-mineurs"):
            admin.ok("POST", "/api/v1/agencies", {"data": {"unique_id": agency}}, on=b, status=201)
        for user, role, agency in (("awa", "role-case-worker", "gups-natitingou"),
                                   ("lea", "role-case-worker", "gups-natitingou"),
                                   ("kofi", "role-case-worker", "gups-natitingou"),
                                   ("police", "role-focal-point", "brigade-mineurs")):
            admin.ok("POST", "/api/v1/users", {"data": {"user_name": user, "password": PASSWORD, "role_unique_id": role,
                                                        "agency_unique_id": agency}}, on=b, status=201)
        yield World(a, b, admin, client[name])
    finally:
        outputs = {served.name: stop(served) for served in (a, b)}
        client.drop_database(name)
        client.close()
    for served in (a, b):
        assert served.process.returncode == 0, outputs[served.name]
        assert "Abri stopped." in outputs[served.name]


def new_case(user: User, on: Served, **data) -> dict:
    return user.ok("POST", "/api/v1/cases", {"data": {**IDENTITY, **data}}, on=on, status=201)["data"]


def edit_case(user: User, on: Served, case: dict, **data) -> dict:
    return user.ok("PATCH", f"/api/v1/cases/{case['id']}", {"data": data}, on=on,
                   headers={"If-Match": f'"{case["revision"]}"'})["data"]


class AlertStream:
    """GET /api/v1/alerts/stream held open (server-sent events), read line by line."""

    def __init__(self, served: Served, user: User) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=20)
        self.connection.request("GET", "/api/v1/alerts/stream", headers={"Authorization": f"Bearer {user.token}",
                                                                         "Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        assert self.response.status == 200 and self.response.headers["Content-Type"].startswith("text/event-stream")

    def __enter__(self) -> "AlertStream":
        return self

    def __exit__(self, *exc) -> None:
        self.connection.close()

    def next_event(self, timeout: float) -> dict:
        deadline, kind = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            line = self.response.readline().decode("utf-8").rstrip("\n")
            if line.startswith("event:"):
                kind = line.partition(":")[2].strip()
            elif line.startswith("data:") and kind == "alert":
                return json.loads(line.partition(":")[2])
        raise AssertionError("no alert came within the time")


# --- the first start ------------------------------------------------------------------------------------------------

def test_two_processes_started_together_on_an_empty_database_publish_the_shipped_configuration_once(world):
    said = world.a.output() + world.b.output()
    assert said.count("Published the shipped configuration as version 1") == 1, said
    versions = world.admin.ok("GET", "/api/v1/metadata/versions", on=world.b)
    assert [version["version"] for version in versions["data"]] == [1]
    assert world.database.users.count_documents({"_id": "admin"}) == 1


# --- sessions, tokens, the login throttle ---------------------------------------------------------------------------

def test_a_token_made_on_one_process_works_on_the_other_and_a_logout_on_either_ends_it(world):
    awa = world.a.login("awa")
    assert awa.ok("GET", "/api/v1/users/current", on=world.b)["data"]["user_name"] == "awa"
    assert awa.call("DELETE", "/api/v1/tokens/current", on=world.b).status == 204
    assert awa.call("GET", "/api/v1/users/current", on=world.a).status == 401
    assert awa.call("GET", "/api/v1/users/current", on=world.b).status == 401


def test_an_admin_ui_session_made_on_one_process_works_on_the_other_until_logout_there(world):
    login = world.a.call("POST", "/api/v1/sessions", {"user_name": "admin", "password": ADMIN_PASSWORD})
    assert login.status == 201
    cookie = login.headers["Set-Cookie"].split(";")[0]
    csrf = login.data["csrf_token"]
    assert world.b.call("GET", "/api/v1/users/current", headers={"Cookie": cookie}).data["user_name"] == "admin"
    assert world.b.call("GET", "/api/v1/sessions/current", headers={"Cookie": cookie}).data["csrf_token"] == csrf
    refused = world.b.call("DELETE", "/api/v1/sessions/current", headers={"Cookie": cookie})
    assert refused.status == 403 and refused.json["error"]["code"] == "CSRF_FAILED"  # B checks A's CSRF token
    logout = world.b.call("DELETE", "/api/v1/sessions/current", headers={"Cookie": cookie, "X-CSRF-Token": csrf})
    assert logout.status == 204
    assert world.a.call("GET", "/api/v1/users/current", headers={"Cookie": cookie}).status == 401


def test_a_user_disabled_through_one_process_is_refused_by_both_at_once(world):
    lea_a, lea_b = world.a.login("lea"), world.b.login("lea")
    world.admin.ok("PATCH", "/api/v1/users/lea", {"data": {"disabled": True}}, on=world.b)
    for lea in (lea_a, lea_b):
        for served in (world.a, world.b):
            assert lea.call("GET", "/api/v1/cases", on=served).status == 401
    for served in (world.a, world.b):
        assert served.call("POST", "/api/v1/tokens", {"user_name": "lea", "password": PASSWORD}).status == 401


def test_the_login_throttle_counts_the_failures_made_on_both_processes(world):
    wrong = {"user_name": "kofi", "password": "not kofi's password at all"}
    for served in (world.a, world.a, world.a, world.b, world.b):  # five failures, the account's free attempts
        assert served.call("POST", "/api/v1/tokens", wrong).status == 401
    for served in (world.a, world.b):  # A saw only three: alone, it would let the sixth try in
        refused = served.call("POST", "/api/v1/tokens", {"user_name": "kofi", "password": PASSWORD})
        assert refused.status == 429, refused.body
        assert int(refused.headers["Retry-After"]) > 0


# --- the published configuration ------------------------------------------------------------------------------------

def test_a_configuration_published_through_one_process_is_served_and_enforced_by_the_other_at_once(world):
    admin, a, b = world.admin, world.a, world.b
    before = admin.call("GET", "/api/v1/forms?record_type=case&locale=fr", on=b)
    assert before.json["meta"]["version"] == 1
    refused = admin.call("POST", "/api/v1/cases", {"data": {**IDENTITY, "school_attended": "CEG Natitingou"}}, on=b)
    assert refused.status == 422  # B has read version 1 (and cached it): no such field yet
    assert [(d["field"], d["code"]) for d in refused.json["error"]["details"]] == [("/school_attended", "unknown")]

    admin.ok("POST", "/api/v1/forms/basic_identity/fields", {"data": SCHOOL}, on=a)
    published = admin.ok("POST", "/api/v1/metadata/publish", {"data": {"comment": "École"}}, on=a, status=201)
    assert published["data"]["version"] == 2

    again = admin.call("GET", "/api/v1/forms?record_type=case&locale=fr", on=b,
                       headers={"If-None-Match": before.headers["ETag"]})
    assert again.status == 200 and again.json["meta"]["version"] == 2
    identity = next(form for form in again.data if form["unique_id"] == "basic_identity")
    assert {field["name"]: field.get("display_name") for field in identity["fields"]}["school_attended"] \
        == "École fréquentée"
    case = new_case(admin, b, school_attended="CEG Natitingou")
    assert (case["config_version"], case["data"]["school_attended"]) == (2, "CEG Natitingou")
    too_long = admin.call("POST", "/api/v1/cases", {"data": {**IDENTITY, "school_attended": "x" * 101}}, on=b)
    assert too_long.status == 422


# --- export jobs ----------------------------------------------------------------------------------------------------

def test_export_jobs_asked_through_both_processes_each_run_once_and_download_from_either(world):
    admin, a, b = world.admin, world.a, world.b
    new_case(admin, a, name_first="Export")
    jobs = [admin.ok("POST", "/api/v1/exports", {"data": {"record_type": "case", "format": "json", "locale": "fr"}},
                     on=served, status=202)["data"] for served in (a, b, a, b, a, b)]
    deadline = time.monotonic() + 60
    for job in jobs:
        while (status := admin.ok("GET", f"/api/v1/exports/{job['id']}", on=b)["data"]["status"]) in WAITING:
            assert time.monotonic() < deadline, f"export {job['id']} still {status}"
            time.sleep(0.3)
        assert status == "complete"
    for job in jobs:
        files = [admin.call("GET", f"/api/v1/exports/{job['id']}/file", on=served) for served in (a, b)]
        assert [file.status for file in files] == [200, 200]
        assert files[0].body == files[1].body
        assert files[0].json["meta"]["records"] >= 1
    stored = {job["_id"]: job for job in world.database.export_jobs.find({"_id": {"$in": [j["id"] for j in jobs]}})}
    assert {job_id: job["attempts"] for job_id, job in stored.items()} == {j["id"]: 1 for j in jobs}  # claimed once
    assert len({job["worker"] for job in stored.values()}) in (1, 2)  # the two processes' worker threads


# --- sync pulls -----------------------------------------------------------------------------------------------------

def test_a_sync_pull_through_either_process_sends_every_record_written_concurrently_through_both(world):
    a, b = world.a, world.b
    awa = a.login("awa")
    written: dict[str, int] = {}
    lock = threading.Lock()

    def write(mine: Served, other: Served, count: int) -> None:
        for number in range(count):
            case = new_case(awa, mine, name_first=f"Enfant {mine.name}{number}")
            case = edit_case(awa, other, case, age=12)          # the next write on the other process
            case = edit_case(awa, mine, case, name_last=f"Revision {number}")
            with lock:
                written[case["id"]] = case["revision"]

    received: dict[str, int] = {}
    token, pulls = None, 0

    def pull(served: Served, until_settled: bool) -> None:
        nonlocal token, pulls
        while True:
            query = "?per_page=7" + (f"&token={quote(token)}" if token else "")
            page = awa.ok("GET", f"/api/v1/sync/records{query}", on=served)
            pulls += 1
            for item in page["data"]:
                assert not item.get("deleted"), item
                received[item["id"]] = item["record"]["revision"]
            token = page["meta"]["next_token"]
            if not page["meta"]["more"] or not until_settled:
                return

    with ThreadPoolExecutor(4) as pool:
        writers = [pool.submit(write, mine, other, 5) for mine, other in ((a, b), (b, a), (a, b), (b, a))]
        while not all(writer.done() for writer in writers):  # a tablet pulls while the office writes
            pull(a if pulls % 2 else b, until_settled=False)
            time.sleep(0.2)
        for writer in writers:
            writer.result()
    assert pulls >= 2
    time.sleep(SETTLE_SECONDS + 1)
    pull(b, until_settled=True)
    pull(a, until_settled=True)
    assert len(written) == 20
    assert {record_id: received.get(record_id) for record_id in written} == written  # none skipped, each at its last


# --- alerts ---------------------------------------------------------------------------------------------------------

def test_a_referral_made_through_one_process_alerts_its_recipient_on_the_other_live_and_in_the_list(world):
    a, b = world.a, world.b
    awa, police = a.login("awa"), b.login("police")
    with AlertStream(b, police) as stream:
        case = new_case(awa, a, name_first="Référée")
        awa.ok("POST", f"/api/v1/cases/{case['id']}/referrals", {"data": {"to_user": "police", "notes": "Plainte"}},
               on=a)
        event = stream.next_event(timeout=15)
    assert event["kind"] == "referral_received" and event["record_id"] == case["id"] and event["by"] == "awa"
    listed = police.ok("GET", "/api/v1/alerts?unread=true", on=b)["data"]
    assert [(alert["kind"], alert["record_id"]) for alert in listed] == [("referral_received", case["id"])]
    assert police.ok("POST", "/api/v1/alerts/read", {"data": {"all": True}}, on=a)["meta"]["marked"] == 1
    assert police.ok("GET", "/api/v1/alerts?unread=true", on=b)["data"] == []


def test_the_admin_pages_and_their_files_are_the_same_on_both_so_no_sticky_sessions_are_needed(world):
    pages = [served.call("GET", "/admin/login") for served in (world.a, world.b)]
    assert [page.status for page in pages] == [200, 200] and pages[0].body == pages[1].body
    scripts = [re.findall(r'src="([^"]+)"', page.text) for page in pages]
    assert scripts[0] and scripts[0] == scripts[1]
    for src in scripts[0]:
        files = [call(served.base, "GET", src) for served in (world.a, world.b)]
        assert [file.status for file in files] == [200, 200] and files[0].body == files[1].body
