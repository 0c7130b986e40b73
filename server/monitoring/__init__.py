"""Health, metrics and logs: what the people who keep a server running read.

    logs.py        the log lines on stderr (JSON or text), the request id in each, exceptions without their text
    requests.py    every request: its id (X-Request-Id), its metrics, its access log line
    exposition.py  counters, gauges, histograms and Prometheus' text format
    metrics.py     Abri's metrics, one set per app (per process)
    probes.py      /healthz, /readyz, /metrics (outside /api/v1, without a user)

The readiness checks and the queue depths are use cases (server/services/health.py); the database's command
timer and counts live in server/storage/monitoring.py.
"""
from __future__ import annotations

from flask import Flask

from server.monitoring import probes
from server.monitoring.logs import configure_logging
from server.monitoring.metrics import METRICS, Metrics
from server.monitoring.requests import init_requests
from server.storage.monitoring import COMMAND_OBSERVER


def init_monitoring(app: Flask) -> None:
    """Configure the logs, give each request its id, register the probes; count metrics if METRICS_TOKEN is set.

    Metrics are off by default: nothing is counted and the database client gets no command listener (with one,
    the driver draws an operation id per command from Python's shared random generator).
    """
    configure_logging(app.config)
    init_requests(app)
    app.register_blueprint(probes.bp)
    if app.config["METRICS_TOKEN"]:
        metrics = app.extensions[METRICS] = Metrics()
        app.extensions[COMMAND_OBSERVER] = metrics.observe_command  # before init_storage builds the client
