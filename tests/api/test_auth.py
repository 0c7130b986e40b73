"""Logging in and out: tokens, sessions with CSRF, throttling, revocation, passwords."""
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from server.storage import get_db
from tests.builders import PASSWORD, make_user, minimal_configuration, publish, role, seed
from tests.conftest import app_on, authenticated, refusal


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
    assert refusal(wrong) == refusal(unknown)  # each answer has its own request id, nothing else differs
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



# Choosing one's own language under attack (PATCH /api/v1/users/current), and signing in over an open session.

LOCALE_RULE = ("enum", "Cette langue n'est pas configurée.")
BODY_INVALID = "Le corps de la requête n'est pas valide."


def choose(client, body=None, raw=None, **kwargs):
    """PATCH the caller's own language; answers in French (?locale=fr), whatever the caller's own language."""
    if raw is not None:
        return client.patch("/api/v1/users/current?locale=fr", data=raw, content_type="application/json", **kwargs)
    return client.patch("/api/v1/users/current?locale=fr", json=body, **kwargs)


def stored_locale(app, user_name="admin"):
    with app.app_context():
        return get_db().users.find_one({"_id": user_name}).get("locale")


def locale_entries(app):
    with app.app_context():
        return list(get_db().audit_log.find({"action": "locale_chosen"}, {"_id": 0}))


def field_of(detail):
    """The field a detail names, as one spelling: schema errors say data.locale, the use case /data/locale."""
    return detail["field"].strip("/").replace("/", ".")


@pytest.mark.parametrize("body,field,code", [
    ({"data": {"locale": "xx"}}, "data.locale", "enum"),
    ({"data": {"locale": "FR"}}, "data.locale", "enum"),
    ({"data": {"locale": "fr-FR"}}, "data.locale", "enum"),
    ({"data": {"locale": "pt"}}, "data.locale", "enum"),  # another deployment's language
    ({"data": {"locale": " fr"}}, "data.locale", "enum"),
    ({"data": {"locale": "ｆｒ"}}, "data.locale", "enum"),
    ({"data": {"locale": ""}}, "data.locale", "enum"),
    ({"data": {"locale": "x" * 11}}, "data.locale", "max_length"),
    ({"data": {"locale": "f\x00r"}}, "data.locale", "nul"),
    ({"data": {"locale": ["fr"]}}, "data.locale", "type"),
    ({"data": {"locale": {"$ne": None}}}, "data.locale.$ne", "key_forbidden"),
    ({"data": {"locale": {"en": "fr"}}}, "data.locale", "type"),
    ({"data": {"locale": 1}}, "data.locale", "type"),
    ({"data": {"locale": True}}, "data.locale", "type"),
    ({"data": {"locale": 2 ** 70}}, "data.locale", "int64_range"),
    ({"$set": {"locale": "fr"}}, "$set", "key_forbidden"),
    ({"data": {"$set": {"locale": "fr"}}}, "data.$set", "key_forbidden"),
    ({"data": {"locale.x": "fr"}}, "data.locale.x", "key_forbidden"),
    ({"data": {"locale": "fr", "role_unique_id": "role-system-administrator"}}, "data.role_unique_id", "unknown"),
    ({"data": {"locale": "fr"}, "user_name": "someone"}, "user_name", "unknown"),
    ({"data": {}}, "data.locale", "required"),
    ({}, "data", "required"),
    ({"data": None}, "data", "type"),
    ({"data": "fr"}, "data._schema", "type"),
    ([{"data": {"locale": "fr"}}], "_schema", "type"),
])
def test_choosing_a_language_refuses_a_hostile_body_naming_the_field_and_writes_nothing(backend_app, backend_client,
                                                                                       body, field, code):
    response = choose(backend_client, body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert (error["code"], error["message"]) == ("BODY_INVALID", BODY_INVALID)
    assert [(field_of(detail), detail["code"]) for detail in error["details"]] == [(field, code)]
    assert all(detail["message"] and "Must" not in detail["message"] for detail in error["details"])  # French
    assert stored_locale(backend_app) is None and locale_entries(backend_app) == []


@pytest.mark.parametrize("raw,status,code", [
    ('{"data": {"locale": NaN}}', 422, "not_finite"),
    ('{"data": {"locale": Infinity}}', 422, "not_finite"),
    ('{"data": {"locale": -1e400}}', 422, "not_finite"),
    ('{"data": {"locale": "\\udfff"}}', 422, "surrogate"),
    ('{"data": {"lo\\ud800cale": "fr"}}', 422, "surrogate"),
    ('{"data": {"locale": "fr"', 400, None),
    ('{"data": {"locale": "fr"}} {"data": {"locale": "en"}}', 400, None),
    ("[" * 50000 + "]" * 50000, 422, "max_depth"),
])
def test_choosing_a_language_refuses_what_is_not_json_or_not_storable(app, client, raw, status, code):
    response = choose(client, raw=raw)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == ("MALFORMED_JSON" if status == 400 else "BODY_INVALID")
    assert [detail["code"] for detail in error["details"]] == ([code] if code else [])
    assert stored_locale(app) is None and locale_entries(app) == []


def test_choosing_a_language_with_a_ten_megabyte_body_is_refused_before_it_is_read(app, client):
    response = choose(client, raw='{"data": {"locale": "fr", "padding": "' + "x" * 10 * 1024 * 1024 + '"}}')
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert stored_locale(app) is None and locale_entries(app) == []


@pytest.mark.parametrize("encode", [
    lambda text: b"\xef\xbb\xbf" + text.encode(),  # UTF-8 with a byte order mark (Windows Notepad writes one)
    lambda text: text.encode("utf-16"),
], ids=["utf-8-bom", "utf-16"])
def test_a_json_body_with_a_byte_order_mark_is_answered_not_a_server_error(app, client, encode):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, where the error handler's own fault is a 500
    chosen = choose(client, raw=encode('{"data": {"locale": "fr"}}'))
    signed_in = app.test_client().post("/api/v1/sessions", content_type="application/json",
                                       data=encode('{"user_name": "admin", "password": "%s"}' % PASSWORD))
    for response in (chosen, signed_in):
        assert response.status_code < 500, (response.status_code, response.get_json())
    assert chosen.status_code == 200 or stored_locale(app) is None


def test_an_anonymous_caller_cannot_choose_a_language_whatever_the_body(app):
    anonymous = app.test_client()
    for body in ({"data": {"locale": "fr"}}, {"data": {"locale": "xx"}}, {"$set": {"locale": "fr"}}):
        response = choose(anonymous, body)
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    assert locale_entries(app) == []


def test_a_disabled_user_cannot_choose_a_language(app, client):
    worker = authenticated(app, make_user(app, "awa", "role-system-administrator"))
    assert client.patch("/api/v1/users/awa", json={"data": {"disabled": True}}).status_code == 200
    response = choose(worker, {"data": {"locale": "fr"}})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "TOKEN_INVALID"
    assert stored_locale(app, "awa") is None and locale_entries(app) == []


def test_a_user_whose_role_grants_nothing_still_chooses_their_own_language_only(app, client):
    assert client.post("/api/v1/roles", json={"data": role("role-nothing", {}, "self", {})}).status_code == 201
    publish(client)
    nobody = authenticated(app, make_user(app, "nobody", "role-nothing"))
    response = choose(nobody, {"data": {"locale": "fr"}})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert (data["user_name"], data["locale"], data["permissions"]) == ("nobody", "fr", {})
    assert stored_locale(app, "nobody") == "fr" and stored_locale(app, "admin") is None
    assert nobody.get("/api/v1/cases").status_code == 403  # choosing a language opened nothing else


def test_a_device_credential_chooses_its_users_language_and_the_log_names_the_device(app):
    worker = authenticated(app, make_user(app, "awa", "role-system-administrator"))
    device_id = str(uuid.uuid4())
    registered = worker.post("/api/v1/devices", json={"data": {"id": device_id, "name": "Tablette"}})
    tablet = authenticated(app, registered.get_json()["data"]["credential"])
    assert choose(tablet, {"data": {"locale": "fr"}}).status_code == 200
    assert stored_locale(app, "awa") == "fr"
    [entry] = locale_entries(app)
    assert (entry["user_name"], entry["detail"], entry["device_id"]) == ("awa", "locale fr", device_id)


def test_a_session_cookie_chooses_a_language_only_with_its_csrf_token(backend_app):
    make_user(backend_app, "awa", "role-system-administrator")
    browser = backend_app.test_client()
    csrf = login(browser, "awa", route="sessions").get_json()["data"]["csrf_token"]
    for headers in ({}, {"X-CSRF-Token": "forged"}, {"X-CSRF-Token": ""}):
        refused = choose(browser, {"data": {"locale": "fr"}}, headers=headers)
        assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "CSRF_FAILED"
    assert stored_locale(backend_app, "awa") is None and locale_entries(backend_app) == []
    with backend_app.app_context():
        assert get_db().audit_log.count_documents({"action": "csrf_refused", "user_name": "awa"}) == 3
    chosen = choose(browser, {"data": {"locale": "fr"}}, headers={"X-CSRF-Token": csrf})
    assert chosen.status_code == 200 and stored_locale(backend_app, "awa") == "fr"


def test_each_change_of_language_is_audited_and_a_refusal_is_not(app, client):
    for body in ({"data": {"locale": "fr"}}, {"data": {"locale": "xx"}}, {"data": {"locale": "en"}},
                 {"data": {"locale": None}}, {"data": {"$set": 1}}):
        choose(client, body)
    entries = client.get("/api/v1/audit_logs", query_string={"action": "locale_chosen"}).get_json()["data"]
    assert [(entry["user_name"], entry["detail"]) for entry in entries] == [
        ("admin", "locale None"), ("admin", "locale en"), ("admin", "locale fr")]  # newest first


def test_a_language_of_another_deployment_is_chosen_only_where_it_is_configured(app, client):
    assert choose(client, {"data": {"locale": "pt"}}).status_code == 422
    with app_on("mongomock://", LANGUAGES=("fr", "en", "pt")) as portuguese:
        admin = authenticated(portuguese, seed(portuguese, minimal_configuration()))
        assert choose(admin, {"data": {"locale": "pt"}}).get_json()["data"]["locale"] == "pt"
        assert choose(admin, {"data": {"locale": "de"}}).status_code == 422


def test_the_users_language_outranks_the_browsers_but_not_the_locale_argument(app, client):
    assert choose(client, {"data": {"locale": "fr"}}).status_code == 200
    missing = "/api/v1/cases/00000000-0000-4000-8000-000000000000"
    assert "introuvable" in client.get(missing, headers={"Accept-Language": "en"}).get_json()["error"]["message"]
    assert "not found" in client.get(missing + "?locale=en").get_json()["error"]["message"]
    assert choose(client, {"data": {"locale": "en"}}).status_code == 200
    assert "not found" in client.get(missing, headers={"Accept-Language": "fr"}).get_json()["error"]["message"]


@pytest.mark.parametrize("backend_app", ["secantus"], indirect=True)  # threads: mongomock has no lock
def test_many_threads_switching_a_users_language_leave_one_of_their_choices_and_one_entry_each(backend_app):
    token = make_user(backend_app, "awa", "role-system-administrator")
    choices = ["fr", "en", None, "fr", "en", None, "fr", "en"] * 2
    barrier = threading.Barrier(len(choices))
    answers = [None] * len(choices)

    def switch(position, locale):
        client = authenticated(backend_app, token)
        barrier.wait()
        answers[position] = client.patch("/api/v1/users/current", json={"data": {"locale": locale}}).status_code

    threads = [threading.Thread(target=switch, args=item) for item in enumerate(choices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * len(choices)
    assert stored_locale(backend_app, "awa") in ("fr", "en", None)
    assert sorted(entry["detail"] for entry in locale_entries(backend_app)) == sorted(
        f"locale {locale}" for locale in choices)


def session_of(browser):
    return browser.get_cookie("abri_session").value


@pytest.mark.parametrize("content_type,body", [
    ("text/plain", '{"user_name": "kofi", "password": "%s"}' % PASSWORD),
    ("application/x-www-form-urlencoded", f"user_name=kofi&password={PASSWORD}"),
    ("multipart/form-data; boundary=b", f'--b\r\nContent-Disposition: form-data; name="user_name"\r\n\r\nkofi\r\n'
                                        f'--b\r\nContent-Disposition: form-data; name="password"\r\n\r\n{PASSWORD}\r\n'
                                        '--b--\r\n'),
])
def test_a_forged_cross_site_sign_in_over_an_open_session_changes_nothing(backend_app, content_type, body):
    """What a page of another site can send without asking the server first (a form, or fetch in no-cors mode)."""
    make_user(backend_app, "awa", "role-system-administrator")
    make_user(backend_app, "kofi", "role-system-administrator")
    browser = backend_app.test_client()
    login(browser, "awa", route="sessions")
    session = session_of(browser)
    forged = browser.post("/api/v1/sessions", data=body, content_type=content_type,
                          headers={"Origin": "https://evil.example"})
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "CONTENT_TYPE"
    assert "Set-Cookie" not in forged.headers and session_of(browser) == session
    assert browser.get("/api/v1/users/current").get_json()["data"]["user_name"] == "awa"
    with backend_app.app_context():
        assert get_db().audit_log.count_documents({"action": "login", "user_name": "kofi"}) == 0
    # a JSON body needs the browser to ask first, and the server grants no other site
    preflight = browser.options("/api/v1/sessions", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert not [name for name in preflight.headers.keys() if name.lower().startswith("access-control-allow")]


@pytest.mark.parametrize("method,path,body", [
    ("post", "/api/v1/tokens", {"user_name": "awa", "password": PASSWORD}),
    ("delete", "/api/v1/sessions/current", None),
    ("delete", "/api/v1/tokens/current", None),
    ("patch", "/api/v1/users/current", {"data": {"locale": "fr"}}),
    ("post", "/api/v1/users/current/password", {"data": {"current_password": PASSWORD,
                                                          "new_password": "another long passphrase"}}),
    ("post", "/api/v1/metadata/publish", {}),
    ("post", "/api/v1/cases", {"data": {"name": "Awa"}}),
])
def test_a_session_cookie_still_needs_its_csrf_token_on_every_other_write(backend_app, method, path, body):
    make_user(backend_app, "awa", "role-system-administrator")
    browser = backend_app.test_client()
    csrf = login(browser, "awa", route="sessions").get_json()["data"]["csrf_token"]
    forged = getattr(browser, method)(path, json=body)
    assert forged.status_code == 403 and forged.get_json()["error"]["code"] == "CSRF_FAILED"
    assert "Set-Cookie" not in forged.headers
    assert browser.get("/api/v1/sessions/current").get_json()["data"]["csrf_token"] == csrf  # still open
    assert stored_locale(backend_app, "awa") is None
    assert login(backend_app.test_client(), "awa").status_code == 201  # the password did not change
    with backend_app.app_context():
        assert get_db().tokens.count_documents({"user_name": "awa", "kind": "bearer"}) == 2  # make_user's + this one


def test_wrong_passwords_over_an_open_session_are_refused_throttled_and_leave_it_open(app):
    make_user(app, "awa", "role-system-administrator")
    browser = app.test_client()
    csrf = login(browser, "awa", route="sessions").get_json()["data"]["csrf_token"]
    session = session_of(browser)
    for attempt in range(5):
        wrong = login(browser, "awa", password=f"wrong{attempt}", route="sessions", address="10.0.3.1")
        assert wrong.status_code == 401 and wrong.get_json()["error"]["code"] == "INVALID_CREDENTIALS"
        assert "Set-Cookie" not in wrong.headers
    throttled = login(browser, "awa", route="sessions", address="10.0.3.1")
    assert throttled.status_code == 429 and "Set-Cookie" not in throttled.headers
    assert session_of(browser) == session
    assert browser.get("/api/v1/sessions/current").get_json()["data"]["csrf_token"] == csrf


def test_signing_in_over_an_open_session_ends_the_old_one(app):
    """On a shared tablet, the previous user's session does not live on beside the new user's: signing in over it
    ends it (audited as that user's logout). A bearer token sent as the cookie is not ended."""
    make_user(app, "awa", "role-system-administrator")
    make_user(app, "kofi", "role-system-administrator")
    browser = app.test_client()
    old_csrf = login(browser, "awa", route="sessions").get_json()["data"]["csrf_token"]
    old_session = session_of(browser)
    login(browser, "kofi", route="sessions")  # a shared tablet
    assert session_of(browser) != old_session
    assert browser.get("/api/v1/users/current").get_json()["data"]["user_name"] == "kofi"
    old = app.test_client()
    old.set_cookie("abri_session", old_session)
    assert old.get("/api/v1/users/current").status_code == 401
    assert choose(old, {"data": {"locale": "fr"}}, headers={"X-CSRF-Token": old_csrf}).status_code == 401
    assert stored_locale(app, "awa") is None
    with app.app_context():
        logouts = list(app.extensions["abri_db"].audit_log.find({"action": "logout", "user_name": "awa"}))
    assert [entry["detail"] for entry in logouts] == ["replaced by a new sign-in"]


@pytest.mark.parametrize("cookie", ["not-a-session", "expired", "bearer"])
def test_signing_in_works_over_an_ended_or_foreign_session_cookie(app, cookie):
    make_user(app, "awa", "role-system-administrator")
    browser = app.test_client()
    if cookie == "expired":
        login(browser, "awa", route="sessions")
        app.extensions["abri_db"].tokens.update_many({}, {"$set": {
            "expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    else:
        browser.set_cookie("abri_session", login(app.test_client(), "awa").get_json()["data"]["token"]
                           if cookie == "bearer" else cookie)
    assert browser.get("/api/v1/users/current").status_code == 401
    signed_in = login(browser, "awa", route="sessions")
    assert signed_in.status_code == 201
    assert browser.get("/api/v1/users/current").get_json()["data"]["user_name"] == "awa"


def test_the_tokens_endpoint_still_checks_a_session_cookie_sent_with_it(app):
    make_user(app, "awa", "role-system-administrator")
    browser = app.test_client()
    csrf = login(browser, "awa", route="sessions").get_json()["data"]["csrf_token"]
    assert login(browser, "awa").status_code == 403  # the cookie counts here: its CSRF token is needed
    with_csrf = browser.post("/api/v1/tokens", json={"user_name": "awa", "password": PASSWORD},
                             headers={"X-CSRF-Token": csrf})
    assert with_csrf.status_code == 201 and "Set-Cookie" not in with_csrf.headers
    stale = app.test_client()
    stale.set_cookie("abri_session", "not-a-session")
    assert login(stale, "awa").status_code == 401
    assert login(app.test_client(), "awa").status_code == 201
