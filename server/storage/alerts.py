"""Alerts to users (server/workflow/alerts.py says who gets which), and the outbox of their e-mails.

Each alert carries a number of the alerts' own sequence (`seq`, taken from the record sequences' counter), so a
live stream resumes after the last one it sent (Last-Event-ID) and never misses one written meanwhile. An alert of
a kind that coalesces (a change to a case) is bumped while unread instead of being repeated: a case edited twenty
times by a colleague is one alert "changed 20 times", not twenty.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument

from server.storage.client import Database
from server.storage.errors import translated_errors
from server.storage.records import next_sequence

ALERTS = "alerts"
SEQUENCE_NAME = "alerts"  # the alerts' counter among the record sequences
MAIL_PENDING, MAIL_SENDING, MAIL_SENT, MAIL_FAILED = "pending", "sending", "sent", "failed"


def ensure_alert_indexes(db: Database) -> None:
    with translated_errors():
        db[ALERTS].create_index([("user", ASCENDING), ("seq", DESCENDING)])
        db[ALERTS].create_index([("user", ASCENDING), ("read_at", ASCENDING), ("seq", DESCENDING)])
        db[ALERTS].create_index([("mail", ASCENDING), ("mail_after", ASCENDING)], sparse=True)


def add_alert(db: Database, alert: dict[str, Any], coalesce: bool) -> dict[str, Any]:
    """Store an alert (with its `seq`); with `coalesce`, bump the user's unread alert of the same kind and record
    instead, when there is one. Return the alert as stored."""
    seq = next_sequence(db, SEQUENCE_NAME)
    with translated_errors():
        if coalesce:
            bumped = db[ALERTS].find_one_and_update(
                {"user": alert["user"], "kind": alert["kind"], "record_id": alert["record_id"], "read_at": None},
                {"$set": {"seq": seq, "at": alert["at"], "by": alert["by"]}, "$inc": {"count": 1}},
                return_document=ReturnDocument.AFTER)
            if bumped is not None:
                return bumped
        document = {**alert, "seq": seq, "count": 1, "read_at": None}
        db[ALERTS].insert_one(document)
        return document


def list_alerts(db: Database, user: str, unread: bool, skip: int, limit: int) -> tuple[list[dict[str, Any]], int]:
    """A user's alerts, newest first, and how many there are."""
    query: dict[str, Any] = {"user": user}
    if unread:
        query["read_at"] = None
    with translated_errors():
        total = db[ALERTS].count_documents(query)
        found = db[ALERTS].find(query, {"mail_after": 0, "mail_tries": 0, "mail_worker": 0})
        return list(found.sort("seq", DESCENDING).skip(skip).limit(limit)), total


def alerts_after(db: Database, user: str, seq: int, limit: int, since: datetime | None = None) -> list[dict[str, Any]]:
    """A user's alerts numbered after `seq` (written or bumped since), and with `since` also those made since then
    whatever their number (an alert numbered earlier may be stored later), oldest first."""
    query: dict[str, Any] = {"user": user, "seq": {"$gt": seq}}
    if since is not None:
        query = {"user": user, "$or": [{"seq": {"$gt": seq}}, {"at": {"$gte": since}}]}
    with translated_errors():
        found = db[ALERTS].find(query, {"mail_after": 0, "mail_tries": 0, "mail_worker": 0})
        return list(found.sort("seq", ASCENDING).limit(limit))


def last_seq(db: Database, user: str) -> int:
    """The number of the user's latest alert (0: none)."""
    with translated_errors():
        latest = db[ALERTS].find_one({"user": user}, {"seq": 1}, sort=[("seq", DESCENDING)])
    return latest["seq"] if latest else 0


def count_unread(db: Database, user: str) -> int:
    with translated_errors():
        return db[ALERTS].count_documents({"user": user, "read_at": None})


def mark_read(db: Database, user: str, ids: list[str] | None, now: datetime) -> int:
    """Mark a user's alerts read (`ids`; None: all of them); return how many were unread."""
    query: dict[str, Any] = {"user": user, "read_at": None}
    if ids is not None:
        query["_id"] = {"$in": ids}
    with translated_errors():
        return db[ALERTS].update_many(query, {"$set": {"read_at": now}}).modified_count


def claim_mail(db: Database, worker: str, now: datetime, lease_until: datetime) -> dict[str, Any] | None:
    """Take one alert whose e-mail waits (or whose sender died: its lease ran out) for `worker`."""
    with translated_errors():
        return db[ALERTS].find_one_and_update(
            {"mail": {"$in": [MAIL_PENDING, MAIL_SENDING]}, "mail_after": {"$lte": now}},
            {"$set": {"mail": MAIL_SENDING, "mail_after": lease_until, "mail_worker": worker},
             "$inc": {"mail_tries": 1}},
            sort=[("mail_after", ASCENDING)], return_document=ReturnDocument.AFTER)


def mail_done(db: Database, alert_id: str, worker: str, state: str, retry_at: datetime | None = None) -> None:
    """Record what became of a claimed e-mail: sent, failed for good, or pending again from `retry_at`."""
    update: dict[str, Any] = {"mail": state}
    if retry_at is not None:
        update["mail_after"] = retry_at
    with translated_errors():
        db[ALERTS].update_one({"_id": alert_id, "mail_worker": worker}, {"$set": update})
