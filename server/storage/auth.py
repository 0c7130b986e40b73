"""Users, agencies, user groups, tokens, login failures and the audit log."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from server.storage.client import Database
from server.storage.errors import translated_errors

PEOPLE = ("users", "agencies", "user_groups")


def ensure_auth_indexes(db: Database) -> None:
    with translated_errors():
        db.tokens.create_index([("user_name", ASCENDING)])
        db.tokens.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        db.login_failures.create_index([("at", ASCENDING)], expireAfterSeconds=3600)
        db.login_failures.create_index([("key", ASCENDING), ("at", DESCENDING)])
        db.audit_log.create_index([("at", DESCENDING)])
        db.audit_log.create_index([("user_name", ASCENDING), ("at", DESCENDING)])
        db.audit_log.create_index([("record_id", ASCENDING)])
        db.users.create_index([("agency", ASCENDING)])


def insert(db: Database, collection: str, document: dict[str, Any]) -> None:
    """Insert a user, agency or group; DuplicateKey when the id is taken."""
    with translated_errors():
        db[collection].insert_one(document)


def find(db: Database, collection: str, key: str) -> dict[str, Any] | None:
    with translated_errors():
        return db[collection].find_one({"_id": key})


def update(db: Database, collection: str, key: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    with translated_errors():
        return db[collection].find_one_and_update({"_id": key}, {"$set": changes}, return_document=ReturnDocument.AFTER)


def page(db: Database, collection: str, query: dict[str, Any], skip: int, limit: int,
         sort: str = "_id", direction: int = ASCENDING) -> tuple[list[dict], int]:
    with translated_errors():
        total = db[collection].count_documents(query)
        items = list(db[collection].find(query).sort(sort, direction).skip(skip).limit(limit))
    return items, total


def count(db: Database, collection: str, query: dict[str, Any] | None = None) -> int:
    with translated_errors():
        return db[collection].count_documents(query or {})


def insert_token(db: Database, token: dict[str, Any]) -> None:
    with translated_errors():
        db.tokens.insert_one(token)


def find_token(db: Database, digest: str) -> dict[str, Any] | None:
    with translated_errors():
        return db.tokens.find_one({"_id": digest})


def delete_tokens(db: Database, query: dict[str, Any]) -> int:
    with translated_errors():
        return db.tokens.delete_many(query).deleted_count


def record_login_failure(db: Database, keys: list[str], now: datetime) -> None:
    with translated_errors():
        db.login_failures.insert_many([{"key": key, "at": now} for key in keys])


def count_login_failures(db: Database, key: str, since: datetime) -> int:
    with translated_errors():
        return db.login_failures.count_documents({"key": key, "at": {"$gte": since}})


def clear_login_failures(db: Database, key: str) -> None:
    with translated_errors():
        db.login_failures.delete_many({"key": key})


def insert_audit(db: Database, entry: dict[str, Any]) -> None:
    with translated_errors():
        db.audit_log.insert_one(entry)
