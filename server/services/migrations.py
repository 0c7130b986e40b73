"""Upgrades that migrate: the steps that move a database written by an earlier release to this code's shape.

The database carries its schema version (server/storage/schema.py): how many of STEPS its documents have been
through. Every process checks it when its app is built (check_schema): a database newer than the code is refused
(the code would misread what a later release wrote), an older one is migrated (MIGRATE_ON_START, the default) or
refused until `abri migrate` has run. One process migrates at a time, under a lease; another that starts meanwhile
waits for it. Each step selects only the documents still in the earlier shape and writes each at most once, so
running a step again (after a crash, or by the process that took over the lease) changes only what is left: the
version advances after each step, never before it is done.

What is derived from records and kept up by the workers in the background (a case's workflow envelope, matching
keys and pairs: server/services/workers.py) is not a step: the workers bring records of any earlier release up to
date without holding a start for the hours a country's records may take.

Why the version is the database's, not each document's: every step moves every document of its kind before the
version advances, and no process serves an older database, so one number says the shape of all of them (as
Django's or Alembic's migrations do); a per-document version would be written on every write and read on every read
for a question the start answers once.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Mapping

from server.auth.permissions import record_access_keys
from server.errors import Conflict, Error, ServiceUnavailable
from server.metadata.files import read_profile
from server.records.types import RECORD_TYPES
from server.services.context import Context, command_line_context, now_ms
from server.storage import Database
from server.storage import auth as people
from server.storage import deployment as deployment_store
from server.storage import leases
from server.storage import records as records_store
from server.storage import schema as store

RESTORE_MARK = "restore"   # left by a restore while it runs (server/services/backups.py)
LEASE_SECONDS = 120     # a migrating process silent this long is taken to be dead; another takes over
WAIT_SECONDS = 600      # how long a starting process waits for another's migration before giving up


@dataclass(frozen=True)
class Step:
    """One migration: its number is its place in STEPS (1-based); `run` returns how many documents it changed."""

    name: str
    summary: str
    run: Callable[[Context, Callable[[], None]], int]


def _records_layout(ctx: Context, alive: Callable[[], None]) -> int:
    """Records get their access keys and their number in the sync sequence (releases before lists by scope key)."""
    changed = 0
    for record_type in RECORD_TYPES.values():
        changed += records_store.upgrade_layout(ctx.db, record_type.name, record_access_keys, alive)
        alive()
    return changed


def _agency_types(ctx: Context, alive: Callable[[], None]) -> int:
    """Agencies of the country profile get the type the profile now gives them (others keep none: an administrator
    chooses it, as a guess would be counted by the reports)."""
    deployment = deployment_store.find_deployment(ctx.db) or {}
    if not deployment.get("profile"):
        return 0
    typed = {agency["unique_id"]: agency["agency_type"]
             for agency in read_profile(ctx.settings["METADATA_DIR"], deployment["profile"]).get("agencies", [])
             if agency.get("agency_type")}
    changed = 0
    for agency in people.page(ctx.db, "agencies", {"agency_type": None}, 0, 0)[0]:
        if agency["_id"] in typed:
            people.update(ctx.db, "agencies", agency["_id"], {"agency_type": typed[agency["_id"]]})
            changed += 1
    alive()
    return changed


STEPS: tuple[Step, ...] = (
    Step("records_layout", "records carry their access keys and sync sequence numbers", _records_layout),
    Step("agency_types", "the profile's agencies carry their type", _agency_types),
)
SCHEMA_VERSION = len(STEPS)


@dataclass
class Migration:
    """What a check or a migration found and did: the version before (None: a new database) and after."""

    before: int | None
    after: int
    done: list[dict[str, Any]] = field(default_factory=list)


def schema_version(db: Database) -> int | None:
    """The database's schema version: None when it is empty, 0 when an earlier release wrote it without one."""
    found = store.find_schema(db)
    if found is not None:
        return found["version"]
    return 0 if store.holds_user_data(db) else None


def check_schema(db: Database, settings: Mapping[str, Any]) -> Migration:
    """At every start: stamp a new database, refuse a newer one, migrate an older one (or refuse it when
    MIGRATE_ON_START is off: `abri migrate` then moves it)."""
    unfinished = store.find_mark(db, RESTORE_MARK)
    if unfinished is not None:
        raise Conflict(Error.RESTORE_UNFINISHED, file=unfinished.get("file", "?"))
    version = schema_version(db)
    if version is None:
        store.stamp_schema(db, SCHEMA_VERSION, now_ms())
        return Migration(None, SCHEMA_VERSION)
    _refuse_newer(version)
    if version == SCHEMA_VERSION:
        return Migration(version, version)
    if not settings.get("MIGRATE_ON_START", True):
        raise Conflict(Error.DATABASE_NOT_MIGRATED, version=version, current=SCHEMA_VERSION)
    return migrate(db, settings)


def migrate(db: Database, settings: Mapping[str, Any], report: Callable[[dict[str, Any]], None] | None = None,
            wait_seconds: float = WAIT_SECONDS) -> Migration:
    """Run the steps the database has not been through, one process at a time; `report` hears of each step done."""
    before = schema_version(db)
    if before is None:
        store.stamp_schema(db, SCHEMA_VERSION, now_ms())
        return Migration(None, SCHEMA_VERSION)
    _refuse_newer(before)
    owner = leases.holder_name()
    deadline = time.monotonic() + wait_seconds
    while True:
        found = store.find_schema(db)
        if found is not None and found["version"] >= SCHEMA_VERSION and not found.get("migrating"):
            return Migration(before, found["version"])  # another process finished it
        now = now_ms()
        held = store.claim_lease(db, owner, now, now + timedelta(seconds=LEASE_SECONDS))
        if held is not None:
            break
        if time.monotonic() > deadline:
            raise ServiceUnavailable(Error.MIGRATION_BUSY, seconds=int(wait_seconds))
        time.sleep(1)
    try:
        return Migration(before, *_run_steps(db, settings, owner, held["version"], report))
    finally:
        store.release_lease(db, owner)


def _run_steps(db: Database, settings: Mapping[str, Any], owner: str, version: int,
               report: Callable[[dict[str, Any]], None] | None) -> tuple[int, list[dict[str, Any]]]:
    """Run the steps after `version` under the lease; return the version reached and what each step did."""
    _refuse_newer(version)
    done = []

    def alive() -> None:
        if not store.extend_lease(db, owner, now_ms() + timedelta(seconds=LEASE_SECONDS)):
            raise ServiceUnavailable(Error.MIGRATION_BUSY, seconds=LEASE_SECONDS)

    for number, step in enumerate(STEPS[version:], start=version + 1):
        ctx = command_line_context(db, settings)
        changed = step.run(ctx, alive)
        if not store.record_step(db, owner, number, step.name, changed, now_ms()):
            raise ServiceUnavailable(Error.MIGRATION_BUSY, seconds=LEASE_SECONDS)
        entry = {"version": number, "name": step.name, "summary": step.summary, "changed": changed}
        done.append(entry)
        if report is not None:
            report(entry)
    return SCHEMA_VERSION, done


def _refuse_newer(version: int) -> None:
    if version > SCHEMA_VERSION:
        raise Conflict(Error.DATABASE_TOO_NEW, version=version, current=SCHEMA_VERSION)

