"""Every request: an id (sent back in X-Request-Id, in error bodies and in its log lines), metrics, an access line.

The id is the caller's X-Request-Id when it is a short plain token (a proxy's or a field app's, so that their logs
and Abri's meet), else a new uuid4 in hex. The access line says who asked which route with which method and got
which status in how long; never the path, its query or the body, which may hold record ids or a child's name.
"""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, current_app, g, request

from server.api.authentication import current_principal
from server.monitoring.logs import ACCESS, REQUEST_ID_HEADER, request_id
from server.monitoring.metrics import METRICS, UNMATCHED

LOGIN_ENDPOINTS = frozenset({"auth.Tokens", "auth.Sessions"})
REFUSED = frozenset({401, 403, 429})
access_log = logging.getLogger("server.access")


def start_request() -> None:
    """Give the request its id and start its clock (g may outlive a request in tests: set both anew)."""
    g.request_id = None
    g.request_started = time.perf_counter()
    request_id()


def error_code(response: Response) -> str:
    """The error code of an error answer (every one is {"error": {"code": ...}}), else NONE."""
    body = response.get_json(silent=True) if response.is_json else None
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code")) if isinstance(error, dict) and error.get("code") else "NONE"


def finish_request(response: Response) -> Response:
    """Send the request id back; count the request, its refusal or login; write its access line."""
    seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
    response.headers[REQUEST_ID_HEADER] = request_id()
    route, status = request.url_rule.rule if request.url_rule else UNMATCHED, response.status_code
    metrics = current_app.extensions.get(METRICS)
    if metrics is not None:
        metrics.observe_request(route, request.method, status, seconds)
        if status in REFUSED:
            metrics.count_refusal(status, error_code(response))
        if request.endpoint in LOGIN_ENDPOINTS and request.method == "POST":
            metrics.count_login(status)
    principal = current_principal()
    fields = {"method": request.method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1),
              "user": principal.user_name if principal else None}
    access_log.info("%s %s %s %.1f ms%s", fields["method"], route, status, fields["duration_ms"],
                    f" {fields['user']}" if fields["user"] else "", extra={ACCESS: fields})
    return response


def init_requests(app: Flask) -> None:
    """Run start_request before every other hook, and finish_request after the others."""
    app.before_request(start_request)
    app.after_request(finish_request)
