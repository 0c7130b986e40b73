"""Logging in: bearer tokens and session cookies, stored hashed, revocable, with throttling.

A failed login never says whether the user name exists. Failures are counted per account and
per client address over a window; past the limit, logins answer 429 until the window passes.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l

from server.auth.passwords import verify_password
from server.errors import AbriError, Unauthorized
from server.storage import Database, auth as store

BEARER, SESSION = "bearer", "session"


class TooManyAttempts(AbriError):
    status, code = 429, "TOO_MANY_ATTEMPTS"
    message = _l("Too many failed logins. Try again in %(minutes)s minutes.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _invalid() -> Unauthorized:
    return Unauthorized(_l("The user name or the password is not correct."), code="INVALID_CREDENTIALS")


def check_throttle(db: Database, user_name: str, address: str, now: datetime, limits: dict[str, int]) -> None:
    """Refuse a login attempt when the account or the address failed too often recently."""
    since = now - timedelta(minutes=limits["window_minutes"])
    if (store.count_login_failures(db, f"user:{user_name.lower()}", since) >= limits["per_account"]
            or store.count_login_failures(db, f"addr:{address}", since) >= limits["per_address"]):
        raise TooManyAttempts(minutes=limits["window_minutes"],
                              headers={"Retry-After": str(limits["window_minutes"] * 60)})


def authenticate(db: Database, user_name: str, password: str, address: str, now: datetime,
                 limits: dict[str, int]) -> dict[str, Any]:
    """Return the user whose credentials these are; throttled, and silent about which part was wrong."""
    check_throttle(db, user_name, address, now, limits)
    user = store.find(db, "users", user_name)
    if user is None or user.get("disabled") or not verify_password(password, user and user.get("password_hash")):
        store.record_login_failure(db, [f"user:{user_name.lower()}", f"addr:{address}"], now)
        raise _invalid()
    store.clear_login_failures(db, f"user:{user_name.lower()}")
    return user


def issue_token(db: Database, user: dict[str, Any], kind: str, now: datetime, ttl: timedelta) -> dict[str, Any]:
    """Create a token (shown once; only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    entry = {"_id": _digest(token), "user_name": user["_id"], "kind": kind, "created_at": now,
             "expires_at": now + ttl, "csrf": secrets.token_urlsafe(24) if kind == SESSION else None}
    store.insert_token(db, entry)
    return {"token": token, "expires_at": entry["expires_at"], "csrf_token": entry["csrf"]}


def resolve_token(db: Database, token: str, now: datetime) -> dict[str, Any] | None:
    """Return the token entry if it exists and has not expired (expired ones are refused before cleanup)."""
    entry = store.find_token(db, _digest(token))
    if entry is None:
        return None
    expires = entry["expires_at"]
    if expires.tzinfo is None:
        from datetime import timezone
        expires = expires.replace(tzinfo=timezone.utc)
    return entry if expires > now else None


def revoke_token(db: Database, token: str) -> None:
    store.delete_tokens(db, {"_id": _digest(token)})


def revoke_user_tokens(db: Database, user_name: str) -> int:
    """Revoke every token and session of a user (disabled, or password changed)."""
    return store.delete_tokens(db, {"user_name": user_name})
