"""Users, agencies, user groups, tokens, login counters and the audit log.

Two things here exist for the cost of a request: the token of a request is read with its user and
the user's agency in one round trip (find_token_holder), and the audit entries of concurrent
requests are written together (insert_audit): each caller still returns only once its own entry is
durable, but one journal flush serves every entry that was waiting for it.
"""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from server.storage.client import Database
from server.storage.errors import translated_errors
from server.storage.mongo_query import to_mongo
from server.storage.query import Condition

PEOPLE = ("users", "agencies", "user_groups")


def ensure_auth_indexes(db: Database) -> None:
    with translated_errors():
        db.tokens.create_index([("user_name", ASCENDING)])
        db.tokens.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        db.login_counters.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)
        db.login_counters.create_index([("account", ASCENDING)])
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


def page(db: Database, collection: str, where: Condition | Mapping[str, Any] | None, skip: int, limit: int,
         sort: str = "_id", direction: int = ASCENDING) -> tuple[list[dict], int]:
    """Return the documents meeting a condition, `limit` of them after `skip` (0: all), and how many there are."""
    query = to_mongo(where)
    with translated_errors():
        total = db[collection].count_documents(query)
        order = [(sort, direction)] + ([("_id", direction)] if sort != "_id" else [])  # a total order
        items = list(db[collection].find(query).sort(order).skip(skip).limit(limit))
    return items, total


def count(db: Database, collection: str, where: Condition | Mapping[str, Any] | None = None) -> int:
    query = to_mongo(where)
    with translated_errors():
        return db[collection].count_documents(query)


def insert_token(db: Database, token: dict[str, Any]) -> None:
    with translated_errors():
        db.tokens.insert_one(token)


def extend_token(db: Database, digest: str, expires_at: datetime) -> None:
    with translated_errors():
        db.tokens.update_one({"_id": digest}, {"$set": {"expires_at": expires_at}})


def find_token(db: Database, digest: str) -> dict[str, Any] | None:
    with translated_errors():
        return db.tokens.find_one({"_id": digest})


def find_token_holder(db: Database, digest: str) -> tuple[dict[str, Any], dict | None, dict | None] | None:
    """Return (token, its user, the user's agency) in one round trip; None when there is no such token.

    The user and the agency are None when they do not exist (an agency: or the user has none).
    """
    pipeline = [{"$match": {"_id": digest}}, {"$limit": 1},
                {"$lookup": {"from": "users", "localField": "user_name", "foreignField": "_id", "as": "_user"}},
                {"$unwind": {"path": "$_user", "preserveNullAndEmptyArrays": True}},
                {"$lookup": {"from": "agencies", "localField": "_user.agency", "foreignField": "_id", "as": "_agency"}}]
    with translated_errors():
        found = next(iter(db.tokens.aggregate(pipeline)), None)
    if found is None:
        return None
    user, agencies = found.pop("_user", None), found.pop("_agency", [])
    agency = agencies[0] if user and user.get("agency") and agencies else None
    return found, user, agency


def delete_tokens(db: Database, where: Condition | Mapping[str, Any]) -> int:
    query = to_mongo(where)
    with translated_errors():
        return db.tokens.delete_many(query).deleted_count


_login_name_keys: dict[tuple[int, str], bytes] = {}  # the secret never changes once made: read it once


def login_name_key(db: Database) -> bytes:
    """The deployment's secret for keying typed user names (made on first use, the same for every worker)."""
    cached = _login_name_keys.get((id(db.client), db.name))
    if cached is not None:
        return cached
    with translated_errors():
        document = db.auth_secrets.find_one({"_id": "login_names"})
        if document is None:
            try:
                db.auth_secrets.insert_one({"_id": "login_names", "key": secrets.token_hex(32)})
            except DuplicateKeyError:
                pass  # another worker made it first
            document = db.auth_secrets.find_one({"_id": "login_names"})
    key = _login_name_keys[(id(db.client), db.name)] = bytes.fromhex(document["key"])
    return key


def _ensure_counter(db: Database, counter_id: str, account: str | None, expires_at: datetime) -> None:
    try:
        db.login_counters.update_one({"_id": counter_id}, {"$setOnInsert": {
            "count": 0, "account": account, "expires_at": expires_at}}, upsert=True)
    except DuplicateKeyError:
        pass  # a concurrent attempt created it


def increment_counter(db: Database, counter_id: str, account: str | None, expires_at: datetime,
                      step: int = 1) -> int:
    """Add `step` to a login counter and return its new value (concurrent callers each get their own value).

    A missing document is created apart and the increment tried again, never upserted by the increment
    itself: some servers answer concurrent upserting findAndModify calls with no document.
    """
    with translated_errors():
        for _ in range(3):
            document = db.login_counters.find_one_and_update({"_id": counter_id}, {"$inc": {"count": step}},
                                                             return_document=ReturnDocument.AFTER)
            if document is not None:
                return document["count"]
            _ensure_counter(db, counter_id, account, expires_at)  # the first attempt of its window
    raise RuntimeError(f"login counter {counter_id} keeps disappearing")


def claim_attempt(db: Database, pair_id: str, account: str, expires_at: datetime) -> dict[str, Any]:
    """Count an attempt of one source on one account; return the record as this attempt left it.

    `count` is this attempt's position and `inflight` how many of the source's attempts on the
    account (this one included) are being checked: both come from one atomic increment.
    """
    with translated_errors():
        for _ in range(3):
            document = db.login_counters.find_one_and_update(  # AFTER: some servers return a stale BEFORE
                {"_id": pair_id}, {"$inc": {"count": 1, "inflight": 1}}, return_document=ReturnDocument.AFTER)
            if document is not None:
                return document
            _ensure_counter(db, pair_id, account, expires_at)
    raise RuntimeError(f"login counter {pair_id} keeps disappearing")


def release_attempt(db: Database, pair_id: str) -> None:
    """The attempt's check is over (its failure, if any, is already recorded)."""
    with translated_errors():
        db.login_counters.update_one({"_id": pair_id, "inflight": {"$gt": 0}}, {"$inc": {"inflight": -1}})


def delay_source(db: Database, pair_id: str, open_at: datetime) -> None:
    """The source may try the account again no sooner than `open_at`."""
    with translated_errors():
        db.login_counters.update_one({"_id": pair_id}, {"$max": {"open_at": open_at}})


def count_failure(db: Database, pair_id: str) -> int:
    """Add a failure to a source's record on an account; return how many it now has."""
    with translated_errors():
        document = db.login_counters.find_one_and_update({"_id": pair_id}, {"$inc": {"failures": 1}},
                                                         return_document=ReturnDocument.AFTER)
    return (document or {}).get("failures", 1)


def delete_counters(db: Database, *, counter_id: str | None = None, account: str | None = None) -> None:
    """Forget one login counter, or every counter of an account (a lockout lifted)."""
    with translated_errors():
        if counter_id is not None:
            db.login_counters.delete_one({"_id": counter_id})
        if account is not None:
            db.login_counters.delete_many({"account": account})


@dataclass
class _Waiting:
    """An audit entry waiting for its write: done once it is durable, or with the error that refused it."""

    collection: Any
    key: tuple[int, str, str]
    entry: dict[str, Any]
    done: bool = False
    error: BaseException | None = None


@dataclass
class _GroupWriter:
    """Group commit: whoever finds no write under way writes every entry waiting, in one insert per collection.

    The database flushes its journal once per commit, and a server like SecantusDB writes one collection's
    inserts one after the other: one durable insert per request made ten concurrent requests queue behind each
    other's flush. A caller arriving during a write waits for the next one, which the first of them leads.
    """

    condition: threading.Condition = field(default_factory=threading.Condition)
    waiting: list[_Waiting] = field(default_factory=list)
    writing: bool = False

    def insert(self, collection: Any, entry: dict[str, Any]) -> None:
        """Insert `entry` into `collection` and return once it is written (with the collection's write concern)."""
        mine = _Waiting(collection, (id(collection.database.client), collection.database.name, collection.name),
                        entry)
        with self.condition:
            self.waiting.append(mine)
            while self.writing and not mine.done:
                self.condition.wait()
            batch = None
            if not mine.done:  # no write under way: this caller writes what waits, its own entry included
                batch, self.waiting, self.writing = self.waiting, [], True
        if batch is not None:
            self._write(batch)
        if mine.error is not None:
            raise mine.error

    def _write(self, batch: list[_Waiting]) -> None:
        try:
            for key in dict.fromkeys(item.key for item in batch):
                group = [item for item in batch if item.key == key]
                collection = group[0].collection
                try:
                    with translated_errors():
                        collection.insert_many([item.entry for item in group], ordered=True)
                except BaseException as error:  # every entry of the group is refused alike
                    for item in group:
                        item.error = error
        finally:
            with self.condition:
                for item in batch:
                    item.done = True
                self.writing = False
                self.condition.notify_all()


_audit_writer = _GroupWriter()


def insert_audit(db: Database, entry: dict[str, Any]) -> None:
    """Append an entry to the audit log; return once it is written (durably, as every write)."""
    _audit_writer.insert(db.audit_log, entry)
