"""Devices: a tablet registered by a user for field sync, with a long-lived credential; revocable.

Registering needs the user's own login (a password was typed for the token that registers): a device credential
cannot register another device. The credential is a token of kind "device" naming the device; it lasts
DEVICE_TTL_DAYS and is renewed while the device keeps syncing, so a week offline never forces a login. Every request
made with it acts as its user as they are now (disabled, or their agency: refused; a new role: its rights), and a
new password ends it, as it ends every token of the user. A device is one user's: a tablet shared by two workers
holds two registrations.

Revoking a device deletes its credential at once and marks the device revoked; the device keeps the credential's hash,
so the revoked credential's next request is told DEVICE_REVOKED (erase the local data) rather than only that it is
not known. A revoked device id is never registered again: after erasing, the app starts as a new device.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from server.auth import tokens
from server.errors import Conflict, Error, Forbidden, NotFound, Unauthorized
from server.messages import _l
from server.storage import Database, auth as token_store, devices as store
from server.storage.query import Filter, all_of

DEVICE_KIND = _l("Device")
PUBLIC_FIELDS = ("device_id", "user_name", "name", "registered_at", "last_seen_at", "last_sync_at", "revoked_at",
                 "revoked_by")


def present(device: dict[str, Any]) -> dict[str, Any]:
    """What a device tells its user and the administrators (never its credential's hash)."""
    shown = {key: device.get(key) for key in PUBLIC_FIELDS}
    shown["id"] = shown.pop("device_id")
    shown["revoked"] = device.get("revoked_at") is not None
    return shown


def register(db: Database, user: dict[str, Any], device_id: str, name: str, now: datetime,
             ttl: timedelta) -> tuple[dict[str, Any], dict[str, Any]]:
    """Register (or register again) a device of `user`; return (device, its new credential, shown once).

    Registering again replaces the credential (the app was reinstalled, or logged in anew); a revoked device is
    refused.
    """
    old = store.find_device(db, user["_id"], device_id)
    if old is not None and old.get("revoked_at") is not None:
        raise Conflict(Error.DEVICE_ID_REVOKED, id=device_id)
    credential = tokens.issue_token(db, user, tokens.DEVICE, now, ttl, device_id=device_id)
    device = store.save_device(db, user["_id"], device_id,
                               {"name": name, "credential": tokens.digest(credential["token"]), "last_seen_at": now},
                               {"registered_at": now, "revoked_at": None})
    if device is None:  # revoked while this registration was being made
        token_store.delete_tokens(db, {"_id": tokens.digest(credential["token"])})
        raise Conflict(Error.DEVICE_ID_REVOKED, id=device_id)
    if old is not None and old.get("credential"):
        token_store.delete_tokens(db, {"_id": old["credential"]})
    return device, credential


def list_devices(db: Database, user_name: str) -> list[dict[str, Any]]:
    return store.list_devices(db, user_name)


def revoke(db: Database, user_name: str, device_id: str, by: str, now: datetime) -> dict[str, Any]:
    """Revoke a device: its credential stops at once; NotFound for no such device, Conflict if revoked already."""
    device = store.revoke_device(db, user_name, device_id, {"revoked_at": now, "revoked_by": by})
    if device is None:
        if store.find_device(db, user_name, device_id) is None:
            raise NotFound(kind=DEVICE_KIND, id=device_id)
        raise Conflict(Error.DEVICE_ALREADY_REVOKED, id=device_id)
    token_store.delete_tokens(db, all_of(Filter("user_name", "eq", user_name), Filter("kind", "eq", tokens.DEVICE),
                                         Filter("device_id", "eq", device_id)))
    return device


def revoked_device(db: Database, token: str) -> dict[str, Any] | None:
    """The revoked device whose credential `token` (which opens nothing) was, or None."""
    device = store.find_by_credential(db, tokens.digest(token))
    return device if device is not None and device.get("revoked_at") is not None else None


def told_to_wipe() -> Unauthorized:
    """The answer to a revoked device: DEVICE_REVOKED, erase what you keep."""
    return Unauthorized(Error.DEVICE_REVOKED, extra={"wipe": True})


def seen(db: Database, user_name: str, device_id: str, now: datetime, synced: bool = False) -> None:
    """Remember when a device last called (and last synced)."""
    changes = {"last_seen_at": now, **({"last_sync_at": now} if synced else {})}
    store.touch_device(db, user_name, device_id, changes)


def require_password_login(entry: dict[str, Any] | None) -> None:
    """Refuse to register a device with a device credential: a new device needs its user's password."""
    if entry is not None and entry.get("kind") == tokens.DEVICE:
        raise Forbidden(Error.DEVICE_NEEDS_LOGIN)
