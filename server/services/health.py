"""Health: whether this process may take requests, and the queues an operator watches.

Readiness needs three things: the database answers a ping within PROBE_SECONDS, a configuration version is
published, and the export worker threads this process started (none when it started none) still run. Queue depths
are read at each metrics scrape under one time limit: a database that does not answer makes them unknown, never
a scrape that hangs. Both are for the operators' probes, which Abri's users never call: no permission, no audit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from server.metadata.versions import current_version
from server.services.match_upkeep import MATCHED_TYPES
from server.storage import Database, StorageUnavailable
from server.storage import monitoring as store

PROBE_SECONDS = 1.0   # the readiness check's database calls, in all (a Kubernetes probe waits 1 s by default)
SCRAPE_SECONDS = 2.0  # a metrics scrape's database reads, in all
OK, FAILED, NOT_CHECKED = "ok", "failed", "not_checked"


class Threads(Protocol):
    threads: list

    def alive(self) -> int: ...


@dataclass
class Readiness:
    """Each check's outcome (ok, failed, not_checked) and whether all passed."""

    checks: dict[str, str]

    @property
    def ready(self) -> bool:
        return all(outcome == OK for outcome in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        failed = [name for name, outcome in self.checks.items() if outcome != OK]
        return {"status": "ready" if self.ready else "not_ready", "checks": self.checks, "failed": failed}


@dataclass
class QueueDepths:
    """What the database holds for the workers and for people to do, read at one scrape."""

    export_jobs: dict[str, int] = field(default_factory=dict)
    open_conflicts: int = 0
    matching_due: dict[str, int] = field(default_factory=dict)
    configuration_version: int = 0


def check_readiness(db: Database | None, workers: Threads | None) -> Readiness:
    """Check the database, the published configuration and the worker threads (the database first, bounded)."""
    checks = {"database": FAILED, "configuration": NOT_CHECKED, "workers": OK}
    if db is not None:
        try:
            with store.time_limit(PROBE_SECONDS):
                store.ping(db)
                checks["database"] = OK
                checks["configuration"] = OK if current_version(db) > 0 else FAILED
        except StorageUnavailable:
            pass
    if workers is not None and workers.alive() < len(workers.threads):
        checks["workers"] = FAILED
    return Readiness(checks)


def read_queue_depths(db: Database | None, now: datetime) -> QueueDepths | None:
    """The export queue, open sync conflicts, records awaiting their duplicates, the published version; None when
    the database does not answer in SCRAPE_SECONDS."""
    if db is None:
        return None
    try:
        with store.time_limit(SCRAPE_SECONDS):
            return QueueDepths(export_jobs=store.count_export_jobs(db, now),
                               open_conflicts=store.count_open_conflicts(db),
                               matching_due={kind.name: store.count_matching_due(db, kind.name)
                                             for kind in MATCHED_TYPES},
                               configuration_version=current_version(db))
    except StorageUnavailable:
        return None
