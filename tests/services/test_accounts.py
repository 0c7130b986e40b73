"""The account use cases (users, agencies, sessions, the audit log), called as the CLI and the workers call them.

The world: the minimal configuration's `admin` (system administrator) and roles published for the
tests: a clerk (no account rights), a helpdesk that may give the clerk role only, a deputy that
manages users and may assign every role but edits no role (so is no system administrator), an
auditor who reads the audit log and no record.
"""
from __future__ import annotations

import pytest

from server.auth import tokens
from server.errors import Conflict, Forbidden, Unauthorized, Unprocessable
from server.services import accounts, audit_log, sessions
from server.services.audit import audit
from server.storage import get_db
from tests.builders import PASSWORD, make_user, publish, role
from tests.services.contexts import ADDRESS, as_user, audited, operator, visitor

SYSADMIN = "role-system-administrator"


@pytest.fixture
def world(app, client):
    """The published roles, a user of each, and an app context to call use cases in."""
    for body in (role("role-clerk", {"case": ["read"]}, "self", {}),
                 role("role-helpdesk", {"user": ["manage"], "agency": ["manage"]}, "self", {},
                      assignable=["role-clerk"]),
                 role("role-deputy", {"user": ["manage"]}, "self", {}, assignable=["*"]),
                 role("role-auditor", {"audit_log": ["read"]}, "self", {})):
        assert client.post("/api/v1/roles", json={"data": body}).status_code == 201
    publish(client)
    for name in ("clerk", "helpdesk", "deputy", "auditor"):
        make_user(app, name, f"role-{name}")
    with app.app_context():
        yield app



def test_a_caller_without_the_permission_is_refused_before_anything_is_looked_up(world):
    clerk = as_user(world, "clerk")
    before = clerk.db.audit_log.count_documents({})
    refusals = []
    for call in (lambda name: accounts.read_account(clerk, accounts.USERS, name),
                 lambda name: accounts.update_user(clerk, name, {"full_name": "X"}),
                 lambda name: accounts.update_entity(clerk, accounts.AGENCIES, name, {"disabled": True})):
        for name in ("admin", "nobody-at-all"):
            with pytest.raises(Forbidden) as refused:
                call(name)
            refusals.append((refused.value.code, str(refused.value)))
    assert refusals[0::2] == refusals[1::2]  # the same refusal whether the user or agency exists or not
    assert {code for code, _ in refusals} == {"PERMISSION_DENIED"}
    with pytest.raises(Forbidden):
        audit_log.list_audit_log(clerk, {}, 1, 10)
    assert clerk.db.audit_log.count_documents({}) == before


def test_a_user_created_and_edited_is_audited_with_who_what_and_from_where_never_the_password(world):
    helpdesk = as_user(world, "helpdesk")
    created = accounts.create_user(helpdesk, {"user_name": "Kofi", "full_name": "Kofi Mensah", "password": PASSWORD,
                                              "role_unique_id": "role-clerk"})
    assert (created["user_name"], created["role_unique_id"]) == ("kofi", "role-clerk")
    assert "password_hash" not in created
    accounts.update_user(helpdesk, "KOFI", {"email": "kofi@example.org", "password": "quiet lagoon at dusk"})
    assert audited(helpdesk, 2) == [
        ("helpdesk", "user_created", "user", "kofi", None, 'role_unique_id="role-clerk"; full_name; password', ADDRESS),
        ("helpdesk", "user_updated", "user", "kofi", None, "email; password", ADDRESS)]
    assert "quiet lagoon" not in str(list(helpdesk.db.audit_log.find()))


def test_a_role_the_caller_may_not_give_is_refused_and_the_refusal_audited(world):
    helpdesk = as_user(world, "helpdesk")
    with pytest.raises(Forbidden) as refused:
        accounts.create_user(helpdesk, {"user_name": "kofi", "password": PASSWORD, "role_unique_id": SYSADMIN})
    assert refused.value.code == "ROLE_NOT_ASSIGNABLE"
    assert audited(helpdesk) == [("helpdesk", "user_create_refused", "user", "kofi", 403,
                                  f'ROLE_NOT_ASSIGNABLE: role_unique_id="{SYSADMIN}"; password', ADDRESS)]
    assert accounts.list_accounts(operator(world), accounts.USERS, 1, 50).total == 5  # admin and the four


def test_only_the_operator_may_disable_the_last_system_administrator_and_is_told(world):
    deputy = as_user(world, "deputy")
    with pytest.raises(Conflict) as refused:
        accounts.update_user(deputy, "admin", {"disabled": True})
    assert refused.value.code == "LAST_ADMINISTRATOR"
    assert audited(deputy)[0][1:5] == ("user_update_refused", "user", "admin", 409)
    disabled = accounts.disable_user(operator(world), "ADMIN")
    assert (disabled.user["user_name"], disabled.user["disabled"], disabled.administrators_left) == ("admin", True, 0)
    assert audited(operator(world)) == [("system", "user_updated", "user", "admin", None, "disabled=true", "cli")]


def test_agencies_and_groups_are_created_listed_and_edited_with_their_audit_entries(world):
    helpdesk = as_user(world, "helpdesk")
    agency = accounts.create_entity(helpdesk, accounts.AGENCIES, {"unique_id": "gups-zou", "agency_code": "ZOU"})
    assert (agency["unique_id"], agency["disabled"]) == ("gups-zou", False)
    accounts.update_entity(helpdesk, accounts.AGENCIES, "gups-zou", {"agency_code": "ZOU-1"})
    accounts.create_entity(operator(world), accounts.USER_GROUPS, {"unique_id": "group-north"})
    assert [item["unique_id"] for item in accounts.list_accounts(helpdesk, accounts.AGENCIES, 1, 10, False).items] \
        == ["gups-zou"]
    assert accounts.read_account(helpdesk, accounts.USER_GROUPS, "group-north")["unique_id"] == "group-north"
    assert audited(helpdesk, 3) == [
        ("helpdesk", "agencies_created", "agency", "gups-zou", None, "agency_code; unique_id", ADDRESS),
        ("helpdesk", "agencies_updated", "agency", "gups-zou", None, "agency_code", ADDRESS),
        ("system", "user_groups_created", "user_group", "group-north", None, "unique_id", "cli")]


def test_the_password_policy_takes_the_minimum_length_from_the_callers_settings(world):
    strict = as_user(world, "helpdesk", PASSWORD_MIN_LENGTH=30)
    with pytest.raises(Unprocessable) as refused:
        accounts.create_user(strict, {"user_name": "kofi", "password": "quiet lagoon at dusk",
                                      "role_unique_id": "role-clerk"})
    assert refused.value.code == "PASSWORD_TOO_SHORT"
    assert [(d.field, d.code, d.params) for d in refused.value.details] == [("/password", "min_length", {"limit": 30})]
    with pytest.raises(Unprocessable):
        sessions.change_own_password(strict, PASSWORD, "quiet lagoon at dusk")
    accounts.create_user(as_user(world, "helpdesk"), {"user_name": "kofi", "password": "quiet lagoon at dusk",
                                                      "role_unique_id": "role-clerk"})


def test_logins_are_audited_from_the_callers_address_under_a_known_name_only(world):
    issued = sessions.log_in(visitor(world, "192.0.2.9"), "ADMIN", PASSWORD, tokens.BEARER)
    assert tokens.resolve_token(get_db(), issued["token"], visitor(world).now)["user_name"] == "admin"
    with pytest.raises(Unauthorized):
        sessions.log_in(visitor(world, "192.0.2.9"), "admin", "not the password", tokens.SESSION)
    with pytest.raises(Unauthorized):
        sessions.log_in(visitor(world, "192.0.2.9"), "Tr0ub4dor&3", "whatever", tokens.BEARER)
    entries = audited(visitor(world), 3)
    assert entries[:2] == [("admin", "login", None, None, None, "bearer", "192.0.2.9"),
                           ("admin", "login_failed", None, None, 401, None, "192.0.2.9")]
    assert entries[2][:5] == (None, "login_failed", None, None, 401) and entries[2][5].startswith("unknown user name ")
    assert "tr0ub4dor" not in str(list(get_db().audit_log.find())).lower()


def test_changing_ones_own_password_ends_every_session_and_is_audited(world):
    session = sessions.log_in(visitor(world), "clerk", PASSWORD, tokens.SESSION)
    clerk = as_user(world, "clerk")
    assert sessions.session_info(clerk, session["token"]) == {"user_name": "clerk", "csrf_token": session["csrf_token"]}
    assert sessions.current_user(clerk)["permissions"] == {"case": ["read"]}
    sessions.change_own_password(clerk, PASSWORD, "quiet lagoon at dusk")
    assert tokens.resolve_token(clerk.db, session["token"], clerk.now) is None
    assert audited(clerk) == [("clerk", "password_changed", None, None, None, None, ADDRESS)]
    with pytest.raises(Unauthorized):
        sessions.change_own_password(operator(world), "quiet lagoon at dusk", "another quiet lagoon")


def test_logging_out_revokes_the_token_and_is_audited(world):
    issued = sessions.log_in(visitor(world), "auditor", PASSWORD, tokens.BEARER)
    auditor = as_user(world, "auditor")
    sessions.revoke_token(auditor, issued["token"])
    assert tokens.resolve_token(auditor.db, issued["token"], auditor.now) is None
    assert audited(auditor) == [("auditor", "token_revoked", None, None, None, None, ADDRESS)]


def test_the_audit_log_hides_which_record_from_a_reader_without_every_record_but_not_from_the_operator(world):
    case_id = "0f8fad5b-d9cb-469f-a165-70867728950e"
    audit(operator(world), "read", "case", case_id, 200)
    shown = audit_log.list_audit_log(as_user(world, "auditor"), {"action": "read"}, 1, 10)
    assert (shown.total, shown.items[0]["record_id"], shown.items[0]["redacted"]) == (1, None, True)
    whole = audit_log.list_audit_log(operator(world), {"action": "read"}, 1, 10)
    assert whole.items[0]["record_id"] == case_id and "redacted" not in whole.items[0]


def test_lifting_a_lockout_lets_the_user_in_at_once_and_is_audited_from_where_it_was_asked(world):
    for attempt in range(6):
        with pytest.raises((Unauthorized, tokens.TooManyAttempts)):
            sessions.log_in(visitor(world, "10.2.2.2"), "clerk", f"forgotten {attempt}", tokens.BEARER)
    with pytest.raises(tokens.TooManyAttempts):
        sessions.log_in(visitor(world, "10.2.2.2"), "clerk", PASSWORD, tokens.BEARER)
    with pytest.raises(Forbidden) as refused:
        accounts.lift_lockout(as_user(world, "helpdesk"), "admin")  # a role the helpdesk may not give
    assert refused.value.code == "USER_NOT_MANAGEABLE"
    helpdesk = as_user(world, "helpdesk")
    assert accounts.lift_lockout(helpdesk, "Clerk")["user_name"] == "clerk"
    assert audited(helpdesk) == [("helpdesk", "lockout_lifted", "user", "clerk", None, None, ADDRESS)]
    assert sessions.log_in(visitor(world, "10.2.2.2"), "clerk", PASSWORD, tokens.BEARER)["token"]
