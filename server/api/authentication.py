"""Authentication and authorization of every request: the HTTP edge of server.auth.

Every route needs an authenticated user unless it is in PUBLIC_ENDPOINTS (default deny: a new
route is protected before anyone thinks about it). A request authenticates with a bearer token
(`Authorization: Bearer ...`, field apps and scripts) or the session cookie of the admin UI,
whose unsafe requests must also carry the session's CSRF token in `X-CSRF-Token`. Views then
check the action they perform with `check_permission` / `require_permission`, before their body
is parsed; the use cases check it again for the callers that are not requests.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Callable

from flask import Flask, current_app, g, request

from server.auth import SYSTEM_USER, Principal, require_right
from server.auth.audit import log_event
from server.auth.permissions import principal_from_role
from server.auth.devices import revoked_device, told_to_wipe
from server.auth.tokens import DEVICE, SESSION, renew_token, resolve_holder
from server.errors import Error, Forbidden, Unauthorized
from server.metadata.versions import published_configuration
from server.storage import get_db

SESSION_COOKIE = "abri_session"
CSRF_HEADER = "X-CSRF-Token"
# Endpoints anyone may call: logging in, and the API description.
PUBLIC_ENDPOINTS = frozenset({"auth.Tokens", "auth.Sessions", "api-docs.openapi_json"})
# The web pages and their static files (admin UI, case worker app): shells without data, whose scripts call the API;
# and the operators' probes (server/monitoring/probes.py), which check their own token and read no user.
PUBLIC_PREFIXES = ("admin.", "app_ui.", "monitoring.")


def current_principal() -> Principal | None:
    return g.get("principal")


def current_device_id() -> str | None:
    """The registered device the request comes from (its credential authenticated it), or None."""
    return g.get("device_id")


def current_user_name() -> str:
    """Return the user name recorded on writes."""
    principal = current_principal()
    return principal.user_name if principal else SYSTEM_USER


def check_permission(resource: str, action: str) -> Principal:
    """Return the principal if it may do `action` on `resource`; 401 or 403 otherwise."""
    principal = current_principal()
    if principal is None:
        raise Unauthorized()
    require_right(principal, resource, action)
    return principal


def check_any_permission(*pairs: tuple[str, str]) -> Principal:
    """Return the principal if it may do any of the (resource, action) pairs."""
    principal = current_principal()
    if principal is None:
        raise Unauthorized()
    if not any(principal.can(resource, action) for resource, action in pairs):
        resource, action = pairs[0]
        raise Forbidden(Error.ACTION_DENIED, action=action, resource=resource)
    return principal


def require_permission(resource: str, action: str) -> Callable:
    """Refuse the view unless the request may do `action` on `resource`."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            check_permission(resource, action)
            return view(*args, **kwargs)
        guarded.abri_permission = (resource, action)
        return guarded
    return decorate


def require_any_permission(*pairs: tuple[str, str]) -> Callable:
    """Refuse the view unless the request may do one of the (resource, action) pairs."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            check_any_permission(*pairs)
            return view(*args, **kwargs)
        return guarded
    return decorate


def _token_from_request() -> tuple[str | None, bool]:
    """Return (token, from_cookie)."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(Error.TOKEN_MALFORMED)
        return token.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return (cookie, True) if cookie else (None, False)


def load_principal() -> None:
    """Authenticate the request (before every view) and refuse anonymous access to protected routes."""
    g.principal = None
    g.device_id = None
    if (request.endpoint or "").startswith(PUBLIC_PREFIXES):
        return  # the UI's shells: no data, no need to look at the session
    token, from_cookie = _token_from_request()
    if from_cookie and request.endpoint == "auth.Sessions" and request.method == "POST":
        # Signing in again over a session still open (a page reloaded, another user on a shared tablet) answers with
        # a new session: the old cookie is not the caller's credential here, so it is not checked (nor its CSRF).
        token, from_cookie = None, False
    if token:
        now = datetime.now(timezone.utc)
        entry, user = resolve_holder(get_db(), token, now) or (None, None)  # one round trip for the three
        device = revoked_device(get_db(), token) if entry is None and not from_cookie else None
        if device is not None:  # a revoked device is told to erase its data, and the log says it was
            log_event(get_db(), action="device_told_to_wipe", user_name=device["user_name"], at=now,
                      address=request.remote_addr, resource="device", status=401,
                      detail=f"device {device['device_id']}")
            raise told_to_wipe()
        if entry is None or (from_cookie and entry["kind"] != SESSION):
            raise Unauthorized(Error.SESSION_ENDED)
        if from_cookie and request.method not in ("GET", "HEAD", "OPTIONS") \
                and request.headers.get(CSRF_HEADER) != entry["csrf"]:
            # A forged cross-site request, or a page without its token: refused before any view, audited for all.
            log_event(get_db(), action="csrf_refused", user_name=entry["user_name"], at=now, address=request.remote_addr,
                      status=403, detail=f"CSRF_FAILED: {request.method} {request.endpoint}")
            raise Forbidden(Error.CSRF_FAILED)
        if user is None:  # gone, disabled, or their agency is
            raise Unauthorized(Error.SESSION_ENDED)
        g.abri_config = published_configuration(get_db())  # the views of this request reuse it
        role = g.abri_config.roles.get(user.get("role") or "")
        g.principal = principal_from_role(user, role)
        g.token = token
        g.token_entry = entry
        if entry["kind"] == DEVICE:
            g.device_id = entry.get("device_id")
            renew_token(get_db(), entry, now, timedelta(days=current_app.config["DEVICE_TTL_DAYS"]))
    endpoint = request.endpoint
    if g.principal is None and endpoint is not None and endpoint not in PUBLIC_ENDPOINTS \
            and not endpoint.startswith(PUBLIC_PREFIXES):
        raise Unauthorized()


def init_auth(app: Flask) -> None:
    """Authenticate every request before its view runs."""
    app.before_request(load_principal)
