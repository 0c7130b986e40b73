"""Abri's metrics: one set per app whose METRICS_TOKEN is set, so per process (Prometheus scrapes each process).

Counted as they happen: requests (by route, method, status), their durations, database commands, logins and
refusals. Read at each scrape: the export queue, open sync conflicts, records waiting for their potential
duplicates, the published configuration version, whether the database answered, the export worker threads. Labels
take bounded values only: a route is the URL rule (`/api/v1/cases/<record_id>`, never an id), a request no route
matched is "unmatched", an unusual method is "OTHER", a refusal's code is one of the error catalogue's.
"""
from __future__ import annotations

import re
from typing import Iterator

from server.monitoring.exposition import Counter, Family, Gauge, Histogram, render
from server.services.health import QueueDepths

METRICS = "abri_metrics"  # app.extensions
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
COMMAND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
UNMATCHED, OTHER = "unmatched", "OTHER"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LOGIN_OUTCOMES = ("success", "failed", "throttled")
_COMMAND = re.compile(r"[A-Za-z]{1,40}")


class Metrics:
    """The counters and histograms of one app; `scrape` writes them with the gauges read at that moment."""

    def __init__(self) -> None:
        self.requests = Counter("abri_http_requests_total", "HTTP requests answered, by route (the URL rule), "
                                "method and status.", ("route", "method", "status"))
        self.request_seconds = Histogram("abri_http_request_duration_seconds", "Time from a request to its answer's "
                                         "headers, by route and method.", ("route", "method"), REQUEST_BUCKETS)
        self.command_seconds = Histogram("abri_db_command_duration_seconds", "Duration of database commands, by "
                                         "command.", ("command",), COMMAND_BUCKETS)
        self.command_failures = Counter("abri_db_command_failures_total", "Database commands that failed, by "
                                        "command.", ("command",))
        self.logins = Counter("abri_logins_total", "Logins for a token or an admin UI session, by outcome: success, "
                              "failed (wrong user name or password, disabled user), throttled (429).", ("outcome",))
        self.refusals = Counter("abri_refusals_total", "Requests refused with 401, 403 or 429, by status and error "
                                "code.", ("status", "code"))
        for outcome in LOGIN_OUTCOMES:
            self.logins.inc(0, outcome=outcome)

    def observe_request(self, route: str | None, method: str, status: int, seconds: float) -> None:
        """Count an answered request and its duration."""
        route, method = route or UNMATCHED, method if method in METHODS else OTHER
        self.requests.inc(route=route, method=method, status=status)
        self.request_seconds.observe(seconds, route=route, method=method)

    def observe_command(self, command: str, seconds: float, failed: bool) -> None:
        """Time a database command (server.storage.monitoring.CommandTimer calls it from the driver's threads)."""
        command = command if _COMMAND.fullmatch(command) else OTHER
        self.command_seconds.observe(seconds, command=command)
        if failed:
            self.command_failures.inc(command=command)

    def count_login(self, status: int) -> None:
        """Count a login by the status of its answer (a body that is not a login, 400 or 422, is none)."""
        outcome = "success" if status < 300 else "throttled" if status == 429 else \
            "failed" if status in (401, 403) else None
        if outcome:
            self.logins.inc(outcome=outcome)

    def count_refusal(self, status: int, code: str) -> None:
        self.refusals.inc(status=status, code=code)

    def scrape(self, depths: QueueDepths | None, workers: tuple[int, int]) -> str:
        """The text of a scrape: the counters, then the queues (`depths`, None when the database did not answer)
        and the export worker threads (started, alive)."""
        own = [self.requests, self.request_seconds, self.command_seconds, self.command_failures, self.logins,
               self.refusals]
        return render([*own, *_gauges(depths, workers)])


def _gauge(name: str, help_text: str, values: dict[tuple, float], labels: tuple[str, ...] = ()) -> Gauge:
    gauge = Gauge(name, help_text, labels)
    for key, value in values.items():
        gauge.set(value, **dict(zip(labels, key)))
    return gauge


def _gauges(depths: QueueDepths | None, workers: tuple[int, int]) -> Iterator[Family]:
    started, alive = workers
    yield _gauge("abri_export_worker_threads", "Export worker threads of this process, started and alive.",
                 {("started",): started, ("alive",): alive}, ("state",))
    yield _gauge("abri_database_up", "1 when the database answered this scrape's reads in time, else 0.",
                 {(): 0 if depths is None else 1})
    if depths is None:
        return
    yield _gauge("abri_export_jobs", "Unexpired export jobs waiting (queued) and running.",
                 {(status,): count for status, count in depths.export_jobs.items()}, ("status",))
    yield _gauge("abri_sync_conflicts_open", "Conflicts of field sync waiting for a person to resolve them.",
                 {(): depths.open_conflicts})
    yield _gauge("abri_matching_due_records", "Records waiting for the workers to list their potential duplicates.",
                 {(kind,): count for kind, count in depths.matching_due.items()}, ("record_type",))
    yield _gauge("abri_configuration_version", "The newest published configuration version (0: none).",
                 {(): depths.configuration_version})
