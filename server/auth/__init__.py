"""Authentication and permissions.

Users and roles come in a later issue. Until then the metadata write endpoints are guarded by
`require_permission`, which only lets requests through when DEV_OPEN_ADMIN or TESTING is set;
the real evaluator will replace its body without touching the views.
"""
from __future__ import annotations

from functools import wraps
from typing import Callable

from flask import Flask, current_app, g

from server.errors import Unauthorized

SYSTEM_USER = "system"


def current_user_name() -> str:
    """Return the user name recorded on writes."""
    return g.get("user_name", "admin" if current_app.config.get("DEV_OPEN_ADMIN") else SYSTEM_USER)


def check_permission(resource: str, action: str) -> None:
    """Raise unless the request may do `action` on `resource`."""
    if not (current_app.config.get("DEV_OPEN_ADMIN") or current_app.config.get("TESTING")):
        raise Unauthorized()


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


def init_auth(app: Flask) -> None:
    """Nothing to set up until users exist."""
