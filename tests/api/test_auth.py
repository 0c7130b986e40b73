"""Logging in and out: tokens, sessions with CSRF, throttling, revocation, passwords."""
from datetime import datetime, timedelta, timezone

import pytest

from server.storage import get_db
from tests.builders import PASSWORD, make_user
from tests.conftest import authenticated


def login(client, user_name="admin", password=PASSWORD, route="tokens", address="10.0.0.1"):
    return client.post(f"/api/v1/{route}", json={"user_name": user_name, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_token_opens_the_api_until_it_is_revoked(backend_app):
    anonymous = backend_app.test_client()
    response = login(anonymous)
    assert response.status_code == 201
    token = response.get_json()["data"]["token"]
    assert datetime.fromisoformat(response.get_json()["data"]["expires_at"].replace("Z", "+00:00")) > datetime.now(timezone.utc)
    client = authenticated(backend_app, token)
    assert client.get("/api/v1/users/current").get_json()["data"]["user_name"] == "admin"
    assert client.delete("/api/v1/tokens/current").status_code == 204
    refused = client.get("/api/v1/forms")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "TOKEN_INVALID"


def test_tokens_are_stored_hashed(app):
    token = login(app.test_client()).get_json()["data"]["token"]
    stored = list(app.extensions["abri_db"].tokens.find())
    assert token not in str(stored)


def test_wrong_password_and_unknown_user_get_the_same_answer(app):
    wrong = login(app.test_client(), password="nope")
    unknown = login(app.test_client(), user_name="ghost")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer not-a-token", "token"])
def test_malformed_and_unknown_tokens_are_refused(app, header):
    response = app.test_client().get("/api/v1/forms", headers={"Authorization": header})
    assert response.status_code == 401


def test_expired_tokens_are_refused(app, client):
    app.extensions["abri_db"].tokens.update_many({}, {"$set": {"expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    assert client.get("/api/v1/forms").status_code == 401


def test_disabling_a_user_ends_their_tokens(app, client):
    token = make_user(app, "awa", "role-system-administrator")
    worker = authenticated(app, token)
    assert worker.get("/api/v1/forms").status_code == 200
    assert client.patch("/api/v1/users/awa", json={"data": {"disabled": True}}).status_code == 200
    assert worker.get("/api/v1/forms").status_code == 401
    assert login(app.test_client(), "awa").status_code == 401


def test_failed_logins_are_throttled_per_account_and_source_not_per_person(app):
    anonymous = app.test_client()
    for attempt in range(5):
        assert login(anonymous, password=f"wrong{attempt}", address="10.0.1.1").status_code == 401
    throttled = login(anonymous, address="10.0.1.1")
    assert throttled.status_code == 429
    assert throttled.get_json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert throttled.headers["Retry-After"] == "32"
    assert login(anonymous, address="10.0.2.1").status_code == 201


def test_failed_logins_are_throttled_per_address(app):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    anonymous = app.test_client()
    for name in ("a1", "a2", "a3"):
        login(anonymous, user_name=name, address="10.9.9.9")
    assert login(anonymous, address="10.9.9.9").status_code == 429
    assert login(anonymous, address="10.9.9.8").status_code == 201


def test_password_change_needs_the_current_one_and_ends_every_session(app, client):
    short = client.post("/api/v1/users/current/password",
                        json={"data": {"current_password": PASSWORD, "new_password": "short"}})
    assert short.status_code == 422 and short.get_json()["error"]["code"] == "PASSWORD_TOO_SHORT"
    wrong = client.post("/api/v1/users/current/password",
                        json={"data": {"current_password": "nope", "new_password": "a much longer one"}})
    assert wrong.status_code == 422
    changed = client.post("/api/v1/users/current/password",
                          json={"data": {"current_password": PASSWORD, "new_password": "a much longer one"}})
    assert changed.status_code == 204
    assert client.get("/api/v1/forms").status_code == 401
    assert login(app.test_client(), password="a much longer one").status_code == 201


def test_session_cookie_is_httponly_strict_and_needs_csrf_for_writes(app):
    browser = app.test_client()
    response = login(browser, route="sessions")
    assert response.status_code == 201
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    csrf = response.get_json()["data"]["csrf_token"]
    assert browser.get("/api/v1/forms").status_code == 200
    forged = browser.post("/api/v1/metadata/publish", json={})
    assert forged.status_code == 403 and forged.get_json()["error"]["code"] == "CSRF_FAILED"
    with app.app_context():
        refused = get_db().audit_log.find_one({"action": "csrf_refused"})
    assert (refused["user_name"], refused["status"], refused["detail"]) == (
        "admin", 403, "CSRF_FAILED: POST metadata.Publish")
    allowed = browser.post("/api/v1/metadata/publish", json={}, headers={"X-CSRF-Token": csrf})
    assert allowed.status_code == 409  # nothing to publish: the request went through
    assert browser.delete("/api/v1/sessions/current", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert browser.get("/api/v1/forms").status_code == 401


def test_session_cookie_is_secure_over_https(app):
    response = app.test_client().post("/api/v1/sessions", json={"user_name": "admin", "password": PASSWORD},
                                      base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_a_bearer_token_is_not_a_session_cookie(app, client):
    token = login(app.test_client()).get_json()["data"]["token"]
    browser = app.test_client()
    browser.set_cookie("abri_session", token)
    assert browser.get("/api/v1/forms").status_code == 401


def test_permissions_catalogue(client):
    catalogue = client.get("/api/v1/permissions").get_json()["data"]
    assert catalogue["resources"]["case"][:3] == ["read", "create", "write"]
    assert catalogue["resources"]["metadata"] == ["manage", "manage_translations"]
    assert catalogue["group_permission"] == ["self", "group", "agency", "all"]


def test_logins_and_failures_are_audited_without_passwords(app, client):
    login(app.test_client(), password="wrong-password")
    login(app.test_client())
    entries = client.get("/api/v1/audit_logs?user_name=admin").get_json()["data"]
    assert [e["action"] for e in entries][:2] == ["login", "login_failed"]
    assert entries[0]["address"] == "10.0.0.1"
    assert "wrong-password" not in str(list(app.extensions["abri_db"].audit_log.find()))


def test_the_first_administrator_gets_a_random_password_once(app):
    from server.auth.accounts import ensure_admin
    from server.metadata.versions import published_configuration

    with app.app_context():
        get_db().users.delete_many({})
        created, password = ensure_admin(get_db(), published_configuration(get_db()), None, datetime.now(timezone.utc))
        assert created and len(password) >= 16
        assert ensure_admin(get_db(), published_configuration(get_db()), None, datetime.now(timezone.utc)) == (False, None)
    assert login(app.test_client(), password=password).status_code == 201


def test_a_user_chooses_their_own_language_and_messages_follow_it(backend_app):
    worker = authenticated(backend_app, make_user(backend_app, "awa", "role-system-administrator"))
    chosen = worker.patch("/api/v1/users/current", json={"data": {"locale": "fr"}})
    assert chosen.status_code == 200 and chosen.get_json()["data"]["locale"] == "fr"
    missing = worker.get("/api/v1/cases/00000000-0000-4000-8000-000000000000")
    assert "introuvable" in missing.get_json()["error"]["message"]  # no Accept-Language: the user's choice
    refused = worker.patch("/api/v1/users/current", json={"data": {"locale": "xx"}})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"] == [
        {"field": "/data/locale", "code": "enum", "message": "Cette langue n'est pas configurée."}]
    assert worker.get("/api/v1/users/current").get_json()["data"]["locale"] == "fr"  # nothing written
    reset = worker.patch("/api/v1/users/current", json={"data": {"locale": None}})
    assert reset.get_json()["data"]["locale"] is None
    assert "not found" in worker.get("/api/v1/cases/00000000-0000-4000-8000-000000000000").get_json()["error"]["message"]


def test_signing_in_again_over_an_open_session_gives_a_new_one(app):
    make_user(app, "awa", "role-system-administrator")
    browser = app.test_client()
    first = browser.post("/api/v1/sessions", json={"user_name": "awa", "password": PASSWORD})
    assert first.status_code == 201
    again = browser.post("/api/v1/sessions", json={"user_name": "awa", "password": PASSWORD})  # the cookie is sent
    assert again.status_code == 201
    assert again.get_json()["data"]["csrf_token"] != first.get_json()["data"]["csrf_token"]
    assert browser.get("/api/v1/users/current").get_json()["data"]["user_name"] == "awa"
    wrong = browser.post("/api/v1/sessions", json={"user_name": "awa", "password": "not the password"})
    assert wrong.status_code == 401  # a wrong password is still refused, whatever cookie is sent
