"""What expires ends at its time, on every backend, without waiting for a TTL index to delete it.

MongoDB deletes the documents of a TTL index in a background pass every 60 s, so up to a minute late,
later under load. SecantusDB 0.7 does the same: a sweeper thread walks every collection every 60 s
(`ttl_sweep_seconds`) and deletes what its TTL indexes say has expired. Deletion is housekeeping:
tokens and sessions are refused past `expires_at` by the lookup itself, login counters belong to a
window named in their id, and an expired export is left out of every lookup (tests/export/
test_export_backends.py). Each test runs on mongomock and on SecantusDB unless it says otherwise; only
SecantusDB shows that a refusal does not rely on deletion, since mongomock applies TTL indexes at every
read (an expiry test on mongomock alone passes whether or not the code checks the time).
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from server.api.authentication import SESSION_COOKIE
from server.auth import tokens
from server.storage import get_db
from tests.builders import PASSWORD, make_user, minimal_configuration, seed
from tests.conftest import app_on, authenticated

LIMITS = {"per_account": 5, "per_address": 3, "window_minutes": 15}
# Tomorrow just after midnight, in the first 15-minute window of the day (windows are fixed: 00:00, 00:15...).
T0 = datetime.now(timezone.utc).replace(hour=0, minute=1, second=0, microsecond=0) + timedelta(days=1)
NEXT_WINDOW = T0.replace(minute=15)


def deletes_at_once(app) -> bool:
    """mongomock deletes what a TTL index expires at every read; a real server only in its sweep."""
    return app.config["MONGO_URI"].startswith("mongomock://")


def expire(app, token: str) -> None:
    """Move a token's expiry to a second ago, as a clock would."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    with app.app_context():
        changed = get_db().tokens.update_one({"_id": digest}, {"$set": {
            "expires_at": datetime.now(timezone.utc) - timedelta(seconds=1)}})
    assert changed.modified_count == 1


def attempt(app, user_name: str, password: str, address: str, at: datetime):
    """One login at a chosen time: 'ok', 401, or 429."""
    with app.test_request_context():
        try:
            tokens.authenticate(get_db(), user_name, password, address, at, LIMITS)
            return "ok"
        except tokens.TooManyAttempts:
            return 429
        except tokens.Unauthorized:
            return 401


def test_an_expired_bearer_token_is_refused_while_its_document_remains(backend_app):
    token = make_user(backend_app, "awa", "role-system-administrator")
    worker = authenticated(backend_app, token)
    assert worker.get("/api/v1/users/current").get_json()["data"]["user_name"] == "awa"
    expire(backend_app, token)
    refused = worker.get("/api/v1/users/current")
    assert refused.status_code == 401 and "awa" not in refused.get_data(as_text=True)
    with backend_app.app_context():
        remaining = get_db().tokens.count_documents({"user_name": "awa"})
    assert remaining == (0 if deletes_at_once(backend_app) else 1)  # on a real server: still there, refused anyway


def test_an_expired_session_is_refused_while_its_document_remains(backend_app):
    browser = backend_app.test_client()
    opened = browser.post("/api/v1/sessions", json={"user_name": "admin", "password": PASSWORD})
    assert opened.status_code == 201
    assert browser.get("/api/v1/sessions/current").get_json()["data"]["user_name"] == "admin"
    expire(backend_app, browser.get_cookie(SESSION_COOKIE).value)
    assert browser.get("/api/v1/sessions/current").status_code == 401
    assert browser.get("/api/v1/users/current").status_code == 401


def test_a_source_refused_for_its_failures_is_admitted_when_the_window_ends(backend_app):
    for name in ("ghost-1", "ghost-2", "ghost-3"):  # one address guessing at several accounts
        assert attempt(backend_app, name, "guess", "10.1.1.1", T0) == 401
    assert attempt(backend_app, "admin", PASSWORD, "10.1.1.1", NEXT_WINDOW - timedelta(seconds=1)) == 429
    assert attempt(backend_app, "admin", PASSWORD, "10.1.1.2", T0) == "ok"  # another address is not refused
    assert attempt(backend_app, "admin", PASSWORD, "10.1.1.1", NEXT_WINDOW) == "ok"
    with backend_app.app_context():  # the counters of the window that ended are still there: their id ended them
        ended = get_db().login_counters.count_documents({"_id": {"$regex": "^source:10.1.1.1:"},
                                                         "expires_at": NEXT_WINDOW})
    assert ended == 1


def test_tokens_and_login_counters_are_deleted_by_a_ttl_index_on_their_expiry(backend_app):
    with backend_app.app_context():
        for collection in ("tokens", "login_counters"):
            indexes = get_db()[collection].index_information().values()
            assert [(index["key"], index.get("expireAfterSeconds")) for index in indexes
                    if index.get("expireAfterSeconds") is not None] == [([("expires_at", 1)], 0)], collection


def test_secantus_deletes_expired_documents_in_its_ttl_sweep(secantus_server):
    """What SecantusDB's sweeper (every 60 s) does, run at once: expired tokens go, current ones stay."""
    with app_on(secantus_server.uri) as app:
        seed(app, minimal_configuration())
        token = make_user(app, "awa", "role-system-administrator")
        expire(app, token)
        with app.app_context():
            assert get_db().tokens.count_documents({}) == 2
            secantus_server.storage.prune_ttl(app.config["MONGO_DB_NAME"], "tokens")
            assert [entry["user_name"] for entry in get_db().tokens.find()] == ["admin"]
