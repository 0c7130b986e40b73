"""What the operators' probes read of the database: a timed ping, queue depths, and every command's duration.

The readiness check and a metrics scrape must answer in a second or two even when the database does not: their
reads run under `time_limit` (the driver's own client-side timeout, server selection included), and any failure of
the driver becomes StorageUnavailable. `CommandTimer` gives the client's command durations to an observer (only
the command's name and time: never its documents). Counts read by an equality on an indexed field.
"""
from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Callable, Iterator

import pymongo
from pymongo import monitoring

from server.storage.client import Database
from server.storage.errors import StorageUnavailable, translated_errors
from server.storage.exports import JOBS
from server.storage.matching import MATCH_DUE
from server.storage.sync import CONFLICTS

COMMAND_OBSERVER = "abri_command_observer"  # app.extensions: observe(command name, seconds, failed) of each command
EXPORT_STATES = ("queued", "running")


class CommandTimer(monitoring.CommandListener):
    """Tell `observe` the name and duration of every command the client ran, and whether it failed."""

    def __init__(self, observe: Callable[[str, float, bool], None]) -> None:
        self.observe = observe

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.observe(event.command_name, event.duration_micros / 1e6, False)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.observe(event.command_name, event.duration_micros / 1e6, True)


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Bound every database call of the block to `seconds` in all; StorageUnavailable when the database fails."""
    try:
        with pymongo.timeout(seconds), translated_errors():
            yield
    except pymongo.errors.PyMongoError as error:  # a timeout, a client already closed
        raise StorageUnavailable() from error


def ping(db: Database) -> None:
    """Ask the server whether it answers (StorageUnavailable when it does not)."""
    with translated_errors():
        db.command("ping")


def count_export_jobs(db: Database, now: datetime) -> dict[str, int]:
    """How many unexpired export jobs wait in the queue and how many run, by status."""
    return {status: db[JOBS].count_documents({"status": status, "expires_at": {"$gt": now}})
            for status in EXPORT_STATES}


def count_open_conflicts(db: Database) -> int:
    """How many conflicts of field sync wait for a person to resolve them."""
    return db[CONFLICTS].count_documents({"status": "open"})


def count_matching_due(db: Database, collection: str) -> int:
    """How many records of `collection` wait for the workers to list their potential duplicates."""
    return db[collection].count_documents({MATCH_DUE: True})
