"""Devices: the tablets and phones a user registered for field sync, one document per user and device.

A device keeps the hash of its current credential (the credential itself is a token of kind "device" in the
tokens collection), so that a revoked device's credential is still recognised: its next request is told to erase
what it holds, instead of being told only that it is unknown.
"""
from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from server.storage.client import Database
from server.storage.errors import translated_errors

DEVICES = "devices"


def ensure_device_indexes(db: Database) -> None:
    with translated_errors():
        db[DEVICES].create_index([("user_name", ASCENDING), ("device_id", ASCENDING)], unique=True)
        db[DEVICES].create_index([("credential", ASCENDING)])


def device_key(user_name: str, device_id: str) -> str:
    return f"{user_name}\n{device_id}"


def find_device(db: Database, user_name: str, device_id: str) -> dict[str, Any] | None:
    with translated_errors():
        return db[DEVICES].find_one({"_id": device_key(user_name, device_id)})


def find_by_credential(db: Database, digest: str) -> dict[str, Any] | None:
    with translated_errors():
        return db[DEVICES].find_one({"credential": digest})


def save_device(db: Database, user_name: str, device_id: str, changes: dict[str, Any],
                created: dict[str, Any]) -> dict[str, Any] | None:
    """Set `changes` on a device that is not revoked (made with `created` if new); None when it is revoked."""
    wanted = {"_id": device_key(user_name, device_id), "revoked_at": None}
    with translated_errors():
        try:
            saved = db[DEVICES].find_one_and_update(
                wanted, {"$set": changes, "$setOnInsert": {"user_name": user_name, "device_id": device_id, **created}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # it exists: revoked, or made a moment ago by a registration running at once
            saved = None
        if saved is None:  # the device exists now: set the changes unless it is revoked
            saved = db[DEVICES].find_one_and_update(wanted, {"$set": changes}, return_document=ReturnDocument.AFTER)
    return saved


def revoke_device(db: Database, user_name: str, device_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Mark a device revoked (once); None when there is no such device or it was revoked already."""
    with translated_errors():
        return db[DEVICES].find_one_and_update(
            {"_id": device_key(user_name, device_id), "revoked_at": None}, {"$set": changes},
            return_document=ReturnDocument.AFTER)


def list_devices(db: Database, user_name: str) -> list[dict[str, Any]]:
    with translated_errors():
        return list(db[DEVICES].find({"user_name": user_name}).sort("registered_at", ASCENDING))


def touch_device(db: Database, user_name: str, device_id: str, changes: dict[str, Any]) -> None:
    with translated_errors():
        db[DEVICES].update_one({"_id": device_key(user_name, device_id)}, {"$set": changes})
