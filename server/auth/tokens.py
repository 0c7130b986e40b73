"""Logging in: bearer tokens and session cookies, stored hashed, revocable; the login throttle.

A failed login never says whether the user name exists: an unknown name costs the same work
(a password hash is checked either way) and is counted and delayed the same way. User names
are matched in their normal form (server.auth.names: NFKC, case-folded).

The throttle slows guessing down per account and per source (the client address, as the
trusted proxies report it) without letting anyone lock a person out:

- Each source may make LOGIN_MAX_FAILURES_PER_ADDRESS unsuccessful attempts per window of
  LOGIN_WINDOW_MINUTES, over all accounts; past that, the source (not the account) is refused
  with 429 until the window ends.
- A source's first attempt on an account is never delayed, so the real user signs in from their
  own device while someone else guesses their password elsewhere.
- An account takes LOGIN_MAX_FAILURES_PER_ACCOUNT attempts per window without delay (over all
  sources), and each source its first LOGIN_MAX_FAILURES_PER_ACCOUNT attempts of the day.
  Past either, a source that has already tried the account must wait 2^k seconds after its k-th
  failure on it (2, 4, 8 ... seconds, at most the window) before its next attempt; an attempt
  during the wait is answered 429 with Retry-After and no password is checked, and so is one made
  while another attempt of the same source on the account is still being checked (Retry-After: 1).
- A success forgets the source's failures on that account; an administrator's password reset
  forgets every source's failures on it (lift_lockout).

Every decision is taken from the value an atomic increment returned (one document per key and
window), so concurrent attempts cannot slip past a limit. Counters are kept in fixed windows:
per account and per source for LOGIN_WINDOW_MINUTES, per source on an account for a day. They
hold a keyed hash of the typed name, never the name itself.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from server.auth.names import is_valid_user_name, normalize_user_name
from server.auth.passwords import verify_password
from server.auth.rights import is_active, is_active_with
from server.errors import AbriError, Error, Unauthorized
from server.storage import Database, auth as store
from server.storage.query import Filter

BEARER, SESSION, DEVICE = "bearer", "session", "device"
SOURCE_MEMORY = timedelta(days=1)  # how long a source's failures on an account make it wait
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class TooManyAttempts(AbriError):
    status, error = 429, Error.TOO_MANY_ATTEMPTS


def digest(token: str) -> str:
    """The stored form of a token: its hash (a token is shown once and never stored)."""
    return _digest(token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _invalid() -> Unauthorized:
    return Unauthorized(Error.INVALID_CREDENTIALS)


def _refuse(seconds: float) -> TooManyAttempts:
    wait = max(1, math.ceil(seconds))
    return TooManyAttempts(seconds=wait, headers={"Retry-After": str(wait)})


def name_key(db: Database, name: str) -> str:
    """A keyed hash of a normalized user name: counters and the audit log never hold typed text."""
    return hmac.new(store.login_name_key(db), name.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _window(now: datetime, length: timedelta) -> tuple[int, datetime]:
    """The fixed window `now` falls in: its number and its end."""
    number = int((now - _EPOCH) // length)
    return number, _EPOCH + (number + 1) * length


@dataclass
class _Attempt:
    """The counters one login attempt touches."""

    account: str
    source_id: str
    source_ends: datetime
    account_id: str
    account_ends: datetime
    pair_id: str
    pair_ends: datetime
    counted_on_account: bool = False

    @classmethod
    def of(cls, db: Database, name: str, address: str, now: datetime, window: timedelta) -> "_Attempt":
        account = name_key(db, name)
        number, ends = _window(now, window)
        day, day_ends = _window(now, SOURCE_MEMORY)
        return cls(account, f"source:{address}:{number}", ends, f"account:{account}:{number}", ends,
                   f"pair:{account}:{address}:{day}", day_ends)


def _admit(db: Database, attempt: _Attempt, now: datetime, limits: dict[str, int]) -> None:
    """Count the attempt on its source, account and pair, and refuse it (429) when it must wait."""
    if store.increment_counter(db, attempt.source_id, None, attempt.source_ends) > limits["per_address"]:
        raise _refuse((attempt.source_ends - now).total_seconds())
    pair = store.claim_attempt(db, attempt.pair_id, attempt.account, attempt.pair_ends)
    position = pair["count"]  # this is the source's position-th attempt on the account today
    free = position == 1
    if position <= limits["per_account"]:
        attempt.counted_on_account = True
        on_account = store.increment_counter(db, attempt.account_id, attempt.account, attempt.account_ends)
        free = free or on_account <= limits["per_account"]
    opens = pair.get("open_at")
    opens = opens.replace(tzinfo=timezone.utc) if opens is not None and opens.tzinfo is None else opens
    if not free and (pair["inflight"] > 1 or (opens is not None and opens > now)):
        store.release_attempt(db, attempt.pair_id)  # another attempt of this source is being checked, or it waits
        raise _refuse((opens - now).total_seconds() if opens is not None and opens > now else 1)


def _record_failure(db: Database, attempt: _Attempt, now: datetime, limits: dict[str, int]) -> None:
    failures = store.count_failure(db, attempt.pair_id)
    delay = min(2 ** min(failures, 32), limits["window_minutes"] * 60)
    store.delay_source(db, attempt.pair_id, now + timedelta(seconds=delay))


def _forget_attempt(db: Database, attempt: _Attempt) -> None:
    """A success: the attempt was no failure, and the source has proved it knows the password."""
    store.increment_counter(db, attempt.source_id, None, attempt.source_ends, step=-1)
    if attempt.counted_on_account:
        store.increment_counter(db, attempt.account_id, attempt.account, attempt.account_ends, step=-1)
    store.delete_counters(db, counter_id=attempt.pair_id)


def authenticate(db: Database, user_name: str, password: str, address: str, now: datetime,
                 limits: dict[str, int]) -> dict[str, Any]:
    """Return the user whose credentials these are; throttled, and silent about which part was wrong."""
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # as MongoDB stores it
    name = normalize_user_name(user_name)
    attempt = _Attempt.of(db, name, address, now, timedelta(minutes=limits["window_minutes"]))
    _admit(db, attempt, now, limits)
    try:
        user = store.find(db, "users", name) if is_valid_user_name(name) else None
        matches = verify_password(password, user.get("password_hash") if user else None)  # always the same work
        if user is None or not matches or not is_active(db, user):  # disabled, or their agency is
            _record_failure(db, attempt, now, limits)
            raise _invalid()
    finally:
        store.release_attempt(db, attempt.pair_id)
    _forget_attempt(db, attempt)
    return user


def lift_lockout(db: Database, user_name: str) -> None:
    """Forget every failed login on an account, from every source (an administrator reset its password)."""
    store.delete_counters(db, account=name_key(db, normalize_user_name(user_name)))


def failed_login_entry(db: Database, user_name: str) -> tuple[str | None, str | None]:
    """Who a failed login is audited under, and its detail.

    The user name only when an account has that name; otherwise no name, and the keyed hash of
    what was typed (a password typed in the name field never reaches the log).
    """
    name = normalize_user_name(user_name)
    if is_valid_user_name(name) and store.find(db, "users", name) is not None:
        return name, None
    return None, f"unknown user name {name_key(db, name)[:16]}"


def issue_token(db: Database, user: dict[str, Any], kind: str, now: datetime, ttl: timedelta,
                device_id: str | None = None) -> dict[str, Any]:
    """Create a token (shown once; only its hash is stored); a device credential names its device."""
    token = secrets.token_urlsafe(32)
    entry = {"_id": _digest(token), "user_name": user["_id"], "kind": kind, "created_at": now,
             "expires_at": now + ttl, "csrf": secrets.token_urlsafe(24) if kind == SESSION else None}
    if device_id is not None:
        entry["device_id"] = device_id
    store.insert_token(db, entry)
    return {"token": token, "expires_at": entry["expires_at"], "csrf_token": entry["csrf"]}


def renew_token(db: Database, entry: dict[str, Any], now: datetime, ttl: timedelta) -> None:
    """Push a device credential's expiry back to `ttl` from now once half of it is spent: a device in use never
    expires, one left in a drawer does (one write per half lifetime, not per request)."""
    expires = entry["expires_at"] if entry["expires_at"].tzinfo else entry["expires_at"].replace(tzinfo=timezone.utc)
    if expires - now < ttl / 2:
        store.extend_token(db, entry["_id"], now + ttl)


def resolve_token(db: Database, token: str, now: datetime) -> dict[str, Any] | None:
    """Return the token entry if it exists and has not expired (expired ones are refused before cleanup)."""
    entry = store.find_token(db, _digest(token))
    return entry if entry is not None and _unexpired(entry, now) else None


def resolve_holder(db: Database, token: str, now: datetime) -> tuple[dict[str, Any], dict[str, Any] | None] | None:
    """Return the token entry and its user, read together; None as resolve_token.

    The user is None when it no longer exists or may not act (disabled, or their agency is): the token
    then opens nothing.
    """
    found = store.find_token_holder(db, _digest(token))
    if found is None or not _unexpired(found[0], now):
        return None
    entry, user, agency = found
    return entry, user if user is not None and is_active_with(user, agency) else None


def _unexpired(entry: dict[str, Any], now: datetime) -> bool:
    expires = entry["expires_at"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    return expires > now


def revoke_token(db: Database, token: str) -> None:
    store.delete_tokens(db, {"_id": _digest(token)})


def revoke_user_tokens(db: Database, *user_names: str) -> int:
    """Revoke every token and session of these users (disabled, their agency disabled, or password changed)."""
    return store.delete_tokens(db, Filter("user_name", "in", user_names))
