"""`abri users` and `abri agencies` are audited as the API's calls are: the same entries, by "system" from "cli"."""
from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner

from server.cli import cli
from tests.builders import PASSWORD, minimal_configuration, seed
from tests.conftest import app_on

SYSADMIN = "role-system-administrator"
ACCOUNT_ACTIONS = ("user_created", "user_create_refused", "user_updated", "agencies_created")


def entries(database) -> list[tuple]:
    """The account entries of the audit log, oldest first: what, which, status, detail; who and from where."""
    return [(e["action"], e["resource"], e["record_id"], e["status"], e["detail"], e["user_name"], e["address"])
            for e in database.audit_log.find({"action": {"$in": list(ACCOUNT_ACTIONS)}}).sort("at", 1)]


@pytest.fixture
def operator(monkeypatch, secantus_uri):
    """A CliRunner on a database where the minimal configuration is published, and that database."""
    name = f"abri_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", name)
    with app_on(secantus_uri, MONGO_DB_NAME=name) as application:
        seed(application, minimal_configuration())
        yield CliRunner(), application.extensions["abri_db"]


def run(runner: CliRunner, *args: str, status: int = 0) -> str:
    done = runner.invoke(cli, list(args))
    assert done.exit_code == status, done.output
    return done.output


def test_users_and_agencies_made_at_the_command_line_are_audited_as_the_apis(operator, app, client):
    runner, database = operator
    run(runner, "users", "create-admin", "--user-name", "root", "--password", PASSWORD)
    run(runner, "agencies", "create", "gups-cotonou", "--code", "COT", "--name-en", "GUPS Cotonou",
        "--name-fr", "GUPS Cotonou")
    run(runner, "users", "create", "Awa", "--role", SYSADMIN, "--agency", "gups-cotonou", "--full-name", "Awa Kpogbé",
        "--password", PASSWORD)
    assert "ALREADY_EXISTS" in run(runner, "users", "create", "awa", "--role", SYSADMIN, "--password", PASSWORD,
                                   status=1)
    assert "revoked" in run(runner, "users", "disable", "awa")

    for route, body, status in [
            ("users", {"user_name": "root", "password": PASSWORD, "role_unique_id": SYSADMIN}, 201),
            ("agencies", {"unique_id": "gups-cotonou", "agency_code": "COT",
                          "name_i18n": {"en": "GUPS Cotonou", "fr": "GUPS Cotonou"}}, 201),
            ("users", {"user_name": "Awa", "password": PASSWORD, "role_unique_id": SYSADMIN,
                       "agency_unique_id": "gups-cotonou", "full_name": "Awa Kpogbé"}, 201),
            ("users", {"user_name": "awa", "password": PASSWORD, "role_unique_id": SYSADMIN}, 409)]:
        assert client.post(f"/api/v1/{route}", json={"data": body}).status_code == status
    assert client.patch("/api/v1/users/awa", json={"data": {"disabled": True}}).status_code == 200

    from_cli, from_api = entries(database), entries(app.extensions["abri_db"])
    assert [entry[:5] for entry in from_cli] == [entry[:5] for entry in from_api] == [
        ("user_created", "user", "root", None, f'role_unique_id="{SYSADMIN}"; password'),
        ("agencies_created", "agency", "gups-cotonou", None, "agency_code; name_i18n; unique_id"),
        ("user_created", "user", "awa", None,
         f'role_unique_id="{SYSADMIN}"; agency_unique_id="gups-cotonou"; full_name; password'),
        ("user_create_refused", "user", "awa", 409, f'ALREADY_EXISTS: role_unique_id="{SYSADMIN}"; password'),
        ("user_updated", "user", "awa", None, "disabled=true"),
    ]
    assert {entry[5:] for entry in from_cli} == {("system", "cli")}
    assert {entry[5] for entry in from_api} == {"admin"}


def test_disabling_the_last_administrator_from_the_command_line_is_allowed_with_a_warning(operator):
    runner, database = operator
    done = runner.invoke(cli, ["users", "disable", "admin"])
    assert done.exit_code == 0, done.output
    assert "no active system administrator remains" in done.output
    assert database.users.find_one({"_id": "admin"})["disabled"] is True
    assert entries(database)[-1] == ("user_updated", "user", "admin", None, "disabled=true", "system", "cli")


def test_the_operator_lifts_a_lockout_from_the_command_line(operator):
    runner, database = operator
    assert "may log in at once" in run(runner, "users", "unlock", "ADMIN")
    entry = database.audit_log.find_one({"action": "lockout_lifted"})
    assert (entry["resource"], entry["record_id"], entry["user_name"], entry["address"]) == \
        ("user", "admin", "system", "cli")
    assert "NOT_FOUND" in run(runner, "users", "unlock", "nobody", status=1)
