"""Export workers: threads inside `abri serve`, or a separate `abri worker` process.

Each loop claims one job at a time from MongoDB, so any number of workers in any number of
processes share the queue; every few minutes a worker also deletes expired exports.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from datetime import timedelta

from flask import Flask

from server.export.jobs import ExportSettings, cleanup_expired, run_next_job

log = logging.getLogger(__name__)
CLEANUP_EVERY_SECONDS = 300


def export_settings(config) -> ExportSettings:
    """The export settings of an app's configuration."""
    return ExportSettings(max_per_page=config["MAX_PER_PAGE"], ttl=timedelta(days=config["EXPORT_TTL_DAYS"]),
                          lease=timedelta(seconds=config["EXPORT_LEASE_SECONDS"]),
                          max_attempts=config["EXPORT_MAX_ATTEMPTS"], languages=tuple(config["LANGUAGES"]),
                          default_language=config["DEFAULT_LANGUAGE"], password_key=config["EXPORT_PASSWORD_KEY"],
                          instance_path=config["INSTANCE_PATH"])


def run_once(app: Flask, worker: str) -> bool:
    """Run one job if there is one; tell whether there was."""
    from server.auth import principal_for_user
    from server.metadata.versions import published_configuration
    from server.storage import get_db

    with app.app_context():
        return run_next_job(get_db(), published_configuration, principal_for_user,
                            export_settings(app.config), worker) is not None


def work(app: Flask, stop: threading.Event, name: str) -> None:
    """Claim and run jobs until `stop` is set."""
    from server.storage import get_db

    worker = f"{socket.gethostname()}:{name}:{uuid.uuid4().hex[:6]}"
    last_cleanup = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - last_cleanup > CLEANUP_EVERY_SECONDS:
                with app.app_context():
                    cleanup_expired(get_db())
                last_cleanup = time.monotonic()
            if not run_once(app, worker):
                stop.wait(app.config["EXPORT_POLL_SECONDS"])
        except Exception:  # a database hiccup must not kill the worker
            log.exception("export worker %s", worker)
            stop.wait(app.config["EXPORT_POLL_SECONDS"])


def start_workers(app: Flask, count: int) -> threading.Event:
    """Start `count` daemon worker threads; set the returned event to stop them."""
    stop = threading.Event()
    for index in range(count):
        threading.Thread(target=work, args=(app, stop, f"thread{index}"), daemon=True,
                         name=f"abri-export-{index}").start()
    return stop
