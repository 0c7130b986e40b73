"""The operators' endpoints, outside /api/v1 and without a user: /healthz, /readyz, /metrics.

/healthz says the process answers (no database call). /readyz says whether it may take requests (the database
answers, a configuration is published, its export workers live), naming the check that failed. /metrics answers
only when METRICS_TOKEN is set (404 otherwise, as an unknown route), to a request bearing that token (401 otherwise,
the tokens compared in constant time). None of them tells anything about users or records.
"""
from __future__ import annotations

import hmac
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, jsonify, request

from server.errors import Error, NotFound, Unauthorized
from server.monitoring.exposition import CONTENT_TYPE
from server.monitoring.metrics import METRICS
from server.services import health
from server.services.workers import WORKERS

bp = Blueprint("monitoring", __name__)


def _uncached(response: Response, status: int = 200) -> Response:
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process lives."""
    return _uncached(jsonify({"status": "ok"}))


@bp.get("/readyz")
def readyz() -> Response:
    """200 when every readiness check passes, else 503 naming those that failed."""
    readiness = health.check_readiness(current_app.extensions.get("abri_db"), current_app.extensions.get(WORKERS))
    return _uncached(jsonify(readiness.as_json()), 200 if readiness.ready else 503)


@bp.get("/metrics")
def metrics() -> Response:
    """The metrics of this process in Prometheus' text format, for the holder of METRICS_TOKEN."""
    expected, metrics = current_app.config["METRICS_TOKEN"], current_app.extensions.get(METRICS)
    if not expected or metrics is None:
        raise NotFound(Error.ROUTE_NOT_FOUND)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected.encode()):
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})
    workers = current_app.extensions.get(WORKERS)
    threads = (len(workers.threads), workers.alive()) if workers is not None else (0, 0)
    depths = health.read_queue_depths(current_app.extensions.get("abri_db"), datetime.now(timezone.utc))
    text = metrics.scrape(depths, threads)
    return _uncached(current_app.response_class(text, mimetype=None, content_type=CONTENT_TYPE))
