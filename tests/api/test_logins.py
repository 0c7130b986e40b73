"""Logins: throttled per account and per source without locking anyone out, the same work for every name,
case-insensitive names, nothing typed in the log, a password policy, the client's real address, safe headers."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest

from server.auth import tokens
from server.storage import get_db
from tests.builders import PASSWORD, make_user, minimal_configuration, seed
from tests.conftest import app_on, authenticated

LIMITS = {"per_account": 5, "per_address": 30, "window_minutes": 15}
# Tomorrow just after midnight: counters expire by the real clock, and no window boundary falls inside a test.
T0 = datetime.now(timezone.utc).replace(hour=0, minute=1, second=0, microsecond=0) + timedelta(days=1)


def login(client, user_name="admin", password=PASSWORD, address="10.0.0.1", route="tokens", **kwargs):
    return client.post(f"/api/v1/{route}", json={"user_name": user_name, "password": password},
                       environ_base={"REMOTE_ADDR": address}, **kwargs)


def attempt(app, password, address, at, user_name="admin"):
    """One login through the use case at a chosen time: 'ok', 401 or the Retry-After of a 429."""
    with app.test_request_context():
        try:
            tokens.authenticate(get_db(), user_name, password, address, at, LIMITS)
            return "ok"
        except tokens.TooManyAttempts as error:
            return int(error.headers["Retry-After"])
        except tokens.Unauthorized:
            return 401


@pytest.fixture
def wire_app(secantus_uri):
    """An app on the real wire server only (threads need the server's atomicity, not mongomock's)."""
    with app_on(secantus_uri) as application:
        application.config["ADMIN_TOKEN"] = seed(application, minimal_configuration())
        yield application


# 1. The same work for every name


def test_known_unknown_and_disabled_names_cost_the_same_password_check(app, client, monkeypatch):
    import server.auth.passwords as passwords

    make_user(app, "awa", "role-system-administrator")
    client.patch("/api/v1/users/awa", json={"data": {"disabled": True}})
    login(app.test_client(), "nobody", "warm up the dummy hash")
    calls = []
    real_scrypt = passwords.hashlib.scrypt
    monkeypatch.setattr(passwords.hashlib, "scrypt", lambda *a, **k: calls.append(k["n"]) or real_scrypt(*a, **k))
    for name, address in (("admin", "10.0.0.2"), ("ghost", "10.0.0.3"), ("awa", "10.0.0.4")):
        calls.clear()
        assert login(app.test_client(), name, "not the password", address).status_code == 401
        assert calls == [2 ** 14], name


# 2. The per-account limit holds under concurrent attempts


def test_concurrent_guesses_from_one_address_get_only_the_allowed_password_checks(wire_app):
    barrier, statuses = threading.Barrier(20), []

    def guess(number):
        client = wire_app.test_client()
        barrier.wait()
        statuses.append(login(client, password=f"guess number {number}", address="10.6.6.6").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 15
    assert login(wire_app.test_client(), address="10.7.7.7").status_code == 201  # the user, on their own tablet


# 3. An administrator lifts a lockout; names match whatever their case


def test_an_administrators_password_reset_lifts_the_lockout(backend_app, backend_client):
    make_user(backend_app, "awa", "role-system-administrator")
    for attempt_number in range(6):
        login(backend_app.test_client(), "awa", f"forgotten {attempt_number}", address="10.2.2.2")
    assert login(backend_app.test_client(), "awa", address="10.2.2.2").status_code == 429
    reset = backend_client.patch("/api/v1/users/awa", json={"data": {"password": "new spring passphrase"}})
    assert reset.status_code == 200
    assert login(backend_app.test_client(), "awa", "new spring passphrase", address="10.2.2.2").status_code == 201


@pytest.mark.parametrize("typed", ["ADMIN", "Admin", " admin ", "ａｄｍｉｎ"])
def test_user_names_match_whatever_their_case_or_width(backend_app, typed):
    response = login(backend_app.test_client(), typed)
    assert response.status_code == 201, response.get_json()


# 4. Nobody who knows a user name can keep that user out


def test_guessing_from_other_addresses_never_locks_the_user_out(backend_app):
    for number in range(40):
        assert login(backend_app.test_client(), password=f"guess {number}", address=f"10.3.{number}.1").status_code == 401
    assert login(backend_app.test_client(), address="10.9.0.1").status_code == 201


def test_an_address_that_keeps_failing_waits_twice_as_long_after_each_failure(backend_app):
    at = T0
    assert [attempt(backend_app, f"guess {n}", "10.4.4.4", at) for n in range(5)] == [401] * 5
    assert attempt(backend_app, "guess 5", "10.4.4.4", at) == 32  # waits 2^5 s after its 5th failure
    assert attempt(backend_app, PASSWORD, "10.4.4.4", at + timedelta(seconds=31)) == 1
    assert attempt(backend_app, "guess 6", "10.4.4.4", at + timedelta(seconds=32)) == 401
    assert attempt(backend_app, "guess 7", "10.4.4.4", at + timedelta(seconds=33)) == 63
    assert attempt(backend_app, PASSWORD, "10.4.4.5", at + timedelta(seconds=33)) == "ok"  # another device
    assert attempt(backend_app, PASSWORD, "10.4.4.4", at + timedelta(seconds=96)) == "ok"  # the wait is over


def test_once_an_account_is_under_attack_a_device_that_failed_once_waits_two_seconds(backend_app):
    for number in range(5):
        attempt(backend_app, f"guess {number}", f"10.5.{number}.1", T0)
    assert attempt(backend_app, "my typo", "10.5.9.9", T0) == 401  # the real user's first try
    assert attempt(backend_app, PASSWORD, "10.5.9.9", T0 + timedelta(seconds=1)) == 1
    assert attempt(backend_app, PASSWORD, "10.5.9.9", T0 + timedelta(seconds=2)) == "ok"


def test_waits_never_exceed_the_window(backend_app):
    at = T0
    for _ in range(14):
        assert attempt(backend_app, "still guessing", "10.8.8.8", at) == 401
        at += timedelta(seconds=1000)  # longer than any wait
    assert attempt(backend_app, "still guessing", "10.8.8.8", at) == 401
    assert attempt(backend_app, "still guessing", "10.8.8.8", at) == 15 * 60


def test_a_refusal_says_how_long_to_wait_in_the_users_language(app):
    for number in range(5):
        login(app.test_client(), password=f"guess {number}", address="10.4.0.1")
    refused = login(app.test_client(), address="10.4.0.1", headers={"Accept-Language": "fr"})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "32"
    assert refused.get_json()["error"]["message"] == \
        "Trop de connexions échouées depuis cet appareil. Réessayez dans 32 secondes."


# 7. A failed login never stores what was typed unless it is an existing user name


def test_a_password_typed_as_the_user_name_never_reaches_the_database(backend_app, backend_client):
    login(backend_app.test_client(), "Tr0ub4dor&3-horse", "whatever")
    login(backend_app.test_client(), "TR0UB4DOR&3-HORSE", "whatever")
    login(backend_app.test_client(), "ADMIN", "wrong password")
    entries = backend_client.get("/api/v1/audit_logs?action=login_failed").get_json()["data"]
    assert [e["user_name"] for e in entries] == ["admin", None, None]
    assert entries[1]["detail"].startswith("unknown user name ")
    assert entries[1]["detail"] == entries[2]["detail"]  # the same typed name, the same marker
    database = backend_app.extensions["abri_db"]
    for collection in database.list_collection_names():
        assert "tr0ub4dor" not in str(list(database[collection].find())).lower(), collection


# 5. Behind a reverse proxy


@pytest.mark.parametrize("proxies, forwarded_for, client_address, secure", [
    (0, "10.0.0.99", "127.0.0.1", False),  # no proxy trusted: a client cannot choose its address or scheme
    (1, "197.234.1.7", "197.234.1.7", True),
    (1, "10.0.0.99, 197.234.1.7", "197.234.1.7", True),  # what the client put before the proxy's entry is ignored
    (2, "10.0.0.99, 197.234.1.7, 172.16.0.2", "197.234.1.7", True),
])
def test_the_client_address_and_scheme_come_from_the_trusted_proxies_only(proxies, forwarded_for, client_address,
                                                                           secure):
    with app_on("mongomock://", TRUSTED_PROXIES=proxies) as application:
        token = seed(application, minimal_configuration())
        headers = {"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": ", ".join(["https"] * proxies) or "https"}
        response = login(application.test_client(), route="sessions", address="127.0.0.1", headers=headers)
        assert response.status_code == 201 and ("Secure" in response.headers["Set-Cookie"]) == secure
        entries = authenticated(application, token).get("/api/v1/audit_logs?action=login").get_json()["data"]
        assert entries[0]["address"] == client_address
        with application.app_context():
            assert get_db().login_counters.count_documents({"_id": {"$regex": f"^source:{client_address}:"}}) == 1


# 6. Password policy


@pytest.mark.parametrize("password, rule", [
    ("motdepasse2024", "common"),
    ("Password123!", "common"),
    ("azertyuiop", "common"),
    ("aaaaaaaaaaaaaaaa", "repetitive"),
    ("abcdefghijklmnop", "repetitive"),
    ("1234567890123", "common"),
    ("asdfghjkl;lkjhgfdsa", "repetitive"),
    ("9876543210fedcba", "repetitive"),
    ("awa.kpogbe-in-2024", "contains_name"),
    ("ebgopkmy-wild-rivers", "contains_name"),  # the family name reversed
    ("KPOGBE river orchard", "contains_name"),
    ("my name is ADJA-AWA", "contains_name"),
])
def test_weak_passwords_are_refused_on_creation_with_the_rule(client, password, rule):
    response = client.post("/api/v1/users", json={"data": {
        "user_name": "adja-awa", "full_name": "Awa Kpogbé", "password": password,
        "role_unique_id": "role-system-administrator"}})
    assert response.status_code == 422, password
    error = response.get_json()["error"]
    assert error["code"] == ("PASSWORD_TOO_SHORT" if rule == "min_length" else "PASSWORD_TOO_WEAK")
    assert [(d["field"], d["code"]) for d in error["details"]] == [("/password", rule)]
    assert client.get("/api/v1/users/adja-awa").status_code == 404


def test_the_policy_applies_to_resets_and_own_changes_in_the_users_language(app, client):
    make_user(app, "kofi", "role-system-administrator")
    reset = client.patch("/api/v1/users/kofi?locale=fr", json={"data": {"password": "kofi1234567"}})
    assert reset.status_code == 422
    assert reset.get_json()["error"]["details"] == [{"field": "/password", "code": "contains_name",
                                                     "message": "Ne doit contenir ni le nom d'utilisateur ni le nom de la personne."}]
    own = client.post("/api/v1/users/current/password?locale=fr",
                      json={"data": {"current_password": PASSWORD, "new_password": "qwertyuiop123"}})
    assert own.status_code == 422
    assert own.get_json()["error"]["message"] == "Le mot de passe est trop facile à deviner."
    assert [d["field"] for d in own.get_json()["error"]["details"]] == ["/new_password"]
    assert client.patch("/api/v1/users/kofi", json={"data": {"password": "mango tree by the lagoon"}}).status_code == 200


def test_the_minimum_length_is_a_setting(app, client):
    app.config["PASSWORD_MIN_LENGTH"] = 16
    response = client.post("/api/v1/users", json={"data": {
        "user_name": "kofi", "password": "mango by lagoon", "role_unique_id": "role-system-administrator"}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["message"] == "Must be at least 16 characters."


def test_the_first_administrators_generated_password_passes_the_policy():
    from server.auth.passwords import find_weakness, random_password

    for _ in range(20):
        assert find_weakness(random_password(), ("admin", "Administrator")) is None


# 8. Headers


def test_api_answers_are_never_stored_nor_sniffed(app, client):
    for response in (client.get("/api/v1/users/current"), client.get("/api/v1/users"),
                     client.get("/api/v1/audit_logs"), login(app.test_client(), password="wrong"),
                     client.get("/api/v1/no-such-route"), app.test_client().get("/api/v1/users")):
        assert response.headers["X-Content-Type-Options"] == "nosniff", response.request.path
        assert response.headers["Cache-Control"] == "no-store", response.request.path


def test_published_metadata_keeps_its_revalidation(client):
    forms = client.get("/api/v1/forms")
    assert forms.headers["Cache-Control"] == "no-cache" and forms.headers["ETag"]
    assert forms.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get("/api/v1/forms", headers={"If-None-Match": forms.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == "no-cache"


def test_admin_pages_keep_their_policy_and_gain_nosniff(app):
    page = app.test_client().get("/admin/login")
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_https_answers_ask_browsers_to_stay_on_https(app):
    response = app.test_client().get("/admin/login", base_url="https://abri.example.org")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in app.test_client().get("/admin/login").headers
