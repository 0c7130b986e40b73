"""Export workers: threads inside `abri serve`, or in a separate `abri worker` process (callers of the use
cases, as the API and the command line are; the threads live here so that both commands share them). Between
jobs they also send the alert e-mails that wait, when an SMTP server is configured.

Each loop claims one job at a time from MongoDB (server.services.exports.run_next_export), so any
number of workers in any number of processes share the queue; every few minutes a worker also
deletes expired exports. A clean stop gives a running job back to the queue and ends every thread
before it returns, so the app (and its database client) may be closed right after.

The threads a start made are kept in app.extensions (WORKERS, REPORT_WARM_UP), where the readiness check
(server.services.health) and the metrics see whether they still live.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
import uuid

from flask import Flask

from server.services import alerts, exports, match_upkeep, reports, workflow
from server.services.context import Context
from server.storage import get_db

log = logging.getLogger(__name__)
CLEANUP_EVERY_SECONDS = 300
REFRESH_EVERY_SECONDS = 30  # how soon a published change of a workflow reaches the stored cases' tasks and stages
REFRESH_BATCH = 500
MATCH_EVERY_SECONDS = 2  # how soon the potential duplicates of records synced from tablets are listed
WORKERS, REPORT_WARM_UP = "abri_workers", "abri_report_warm_up"  # app.extensions: what start_* started


def _context(app: Flask) -> Context:
    """The worker's own context (each job runs as its user: run_next_export looks them up)."""
    return Context(db=get_db(), settings=app.config, operator=True)


def warm_reports(app: Flask) -> None:
    """Count the published reports once, in the background of a start (at 100,000 cases, tens of seconds)."""
    try:
        with app.app_context():
            started = time.monotonic()
            counted = reports.warm_up(_context(app))
            log.info("reports ready: %s counted in %.1f s", counted, time.monotonic() - started)
    except Exception:  # a stop during the warm-up closes the database under it; the first report reads it again
        log.info("reports not warmed up", exc_info=True)


def start_report_warm_up(app: Flask) -> threading.Thread:
    """Start counting the published reports in a daemon thread, kept in app.extensions[REPORT_WARM_UP]."""
    thread = threading.Thread(target=warm_reports, args=(app,), daemon=True, name="reports-warm-up")
    app.extensions[REPORT_WARM_UP] = thread
    thread.start()
    return thread


def run_once(app: Flask, worker: str, stop: threading.Event | None = None) -> bool:
    """Run one job if there is one; tell whether there was."""
    with app.app_context():
        return exports.run_next_export(_context(app), worker, stop) is not None


def send_mail_once(app: Flask, worker: str) -> bool:
    """Send one waiting alert e-mail if there is one; tell whether there was."""
    with app.app_context():
        return alerts.send_next_mail(_context(app), worker)


def refresh_workflows(app: Flask) -> int:
    """Derive again the workflow envelope of a batch of cases an earlier workflow derived; return how many."""
    with app.app_context():
        return workflow.refresh_workflows(_context(app), REFRESH_BATCH)


def refresh_matching(app: Flask) -> int:
    """Compute the potential duplicates left due (a crash, a rescope, new matching rules); return how many."""
    with app.app_context():
        return match_upkeep.refresh_matching(_context(app), REFRESH_BATCH)


def remove_expired(app: Flask) -> int:
    """Delete the expired exports; return how many."""
    with app.app_context():
        return exports.remove_expired_exports(_context(app))


def work(app: Flask, stop: threading.Event, name: str) -> None:
    """Claim and run jobs until `stop` is set."""
    worker = f"{socket.gethostname()}:{name}:{uuid.uuid4().hex[:6]}"
    last_cleanup = last_refresh = last_match = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - last_cleanup > CLEANUP_EVERY_SECONDS:
                remove_expired(app)
                last_cleanup = time.monotonic()
            refreshed = 0
            if time.monotonic() - last_refresh > REFRESH_EVERY_SECONDS:
                refreshed = refresh_workflows(app)
                if refreshed < REFRESH_BATCH:  # none left: look again later
                    last_refresh = time.monotonic()
            if time.monotonic() - last_match > MATCH_EVERY_SECONDS:
                matched = refresh_matching(app)
                refreshed += matched
                if matched < REFRESH_BATCH:
                    last_match = time.monotonic()
            ran = run_once(app, worker, stop)
            mailed = bool(app.config.get("SMTP_HOST")) and send_mail_once(app, worker)
            if not ran and not mailed and not refreshed:
                stop.wait(app.config["EXPORT_POLL_SECONDS"])
        except Exception:  # a database hiccup must not kill the worker
            log.exception("export worker %s", worker)
            stop.wait(app.config["EXPORT_POLL_SECONDS"])


class Workers(threading.Event):
    """Running worker threads; `stop()` ends them (`set()` only asks them to stop)."""

    def __init__(self, app: Flask, count: int) -> None:
        super().__init__()
        self.threads = [threading.Thread(target=work, args=(app, self, f"thread{index}"), daemon=True,
                                         name=f"abri-export-{index}") for index in range(count)]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        """Stop the threads and return once they ended (a running job is given back to the queue first)."""
        self.set()
        for thread in self.threads:
            thread.join()

    def alive(self) -> int:
        """How many of the threads still run (none once asked to stop)."""
        return 0 if self.is_set() else sum(thread.is_alive() for thread in self.threads)


def start_workers(app: Flask, count: int) -> Workers:
    """Start `count` daemon worker threads, kept in app.extensions[WORKERS]; `stop()` them before closing the app."""
    workers = app.extensions[WORKERS] = Workers(app, count)
    return workers
