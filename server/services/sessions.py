"""Logging in and out (bearer tokens, admin UI sessions), the caller's own account and password.

Logging in needs no permission: the credentials are the check, throttled per account and per
source by server.auth.tokens. Every attempt is audited from the caller's address: `login` (the
kind of token as detail) or `login_failed` (under the user name only when an account has it).
Logging out is audited as `token_revoked` or `logout`, a change of one's own password as
`password_changed`; the latter ends every session and token of the user.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from server.auth import accounts, tokens
from server.errors import AbriError, Detail, Error, Unauthorized, Unprocessable
from server.rules import Rule
from server.services.accounts import password_min_length
from server.services.audit import audit
from server.services.context import Context

TTL_SETTINGS = {tokens.BEARER: "TOKEN_TTL_HOURS", tokens.SESSION: "SESSION_TTL_HOURS"}
UNKNOWN_ADDRESS = "unknown"  # the throttle's source when the caller's address is not known


def login_limits(settings: dict[str, Any]) -> dict[str, int]:
    """The login throttle's settings."""
    return {"per_account": settings["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
            "per_address": settings["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            "window_minutes": settings["LOGIN_WINDOW_MINUTES"]}


def log_in(ctx: Context, user_name: str, password: str, kind: str, replacing: str | None = None) -> dict[str, Any]:
    """Check the credentials and issue a token of `kind` (shown once): token, expires_at, csrf_token.

    `replacing`: the session a browser signs in over (its cookie); it ends once the new one is issued, so that on a
    shared tablet the previous user's session does not live on beside the new user's.
    """
    caller = replace(ctx, address=ctx.address or UNKNOWN_ADDRESS)
    try:
        user = tokens.authenticate(ctx.db, user_name, password, caller.address, ctx.now, login_limits(ctx.settings))
    except AbriError as error:
        name, detail = tokens.failed_login_entry(ctx.db, user_name)
        audit(replace(caller, user_name=name), "login_failed", status=error.status, detail=detail)
        raise
    audit(replace(caller, user_name=user["_id"]), "login", detail=kind)
    issued = tokens.issue_token(ctx.db, user, kind, ctx.now, timedelta(hours=ctx.settings[TTL_SETTINGS[kind]]))
    if replacing:
        replaced = tokens.resolve_token(ctx.db, replacing, ctx.now)
        if replaced is not None and replaced.get("kind") == tokens.SESSION:  # a session cookie, never a bearer token
            tokens.revoke_token(ctx.db, replacing)
            audit(replace(caller, user_name=replaced.get("user_name")), "logout", detail="replaced by a new sign-in")
    return issued


def _user_name(ctx: Context) -> str:
    """The caller's own user name: the operator has no account of their own."""
    if ctx.principal is None:
        raise Unauthorized()
    return ctx.principal.user_name


def revoke_token(ctx: Context, token: str) -> None:
    """Revoke the caller's bearer token."""
    _user_name(ctx)
    tokens.revoke_token(ctx.db, token)
    audit(ctx, "token_revoked")


def end_session(ctx: Context, token: str) -> None:
    """Log the caller out of the admin UI."""
    _user_name(ctx)
    tokens.revoke_token(ctx.db, token)
    audit(ctx, "logout")


def session_info(ctx: Context, token: str) -> dict[str, Any]:
    """The caller's name and the CSRF token of their session (for a page opened after logging in)."""
    entry = tokens.resolve_token(ctx.db, token, ctx.now) or {}
    return {"user_name": _user_name(ctx), "csrf_token": entry.get("csrf")}


def current_user(ctx: Context) -> dict[str, Any]:
    """Who the caller is and what their role grants."""
    principal = ctx.principal
    user = accounts.get(ctx.db, "users", _user_name(ctx))
    return {**accounts.present_user(user),
            "permissions": {resource: sorted(actions) for resource, actions in principal.permissions.items()},
            "group_permission": principal.scope, "form_section_read_write": principal.forms}


def choose_own_locale(ctx: Context, locale: str | None, known: tuple[str, ...]) -> dict[str, Any]:
    """Set the caller's own language (one of `known`, or None for the deployment's); who they are afterwards."""
    if locale is not None and locale not in known:
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/data/locale", Rule.LOCALE)])
    accounts.set_locale(ctx.db, _user_name(ctx), locale)
    audit(ctx, "locale_chosen", detail=f"locale {locale}")
    return current_user(ctx)


def change_own_password(ctx: Context, current_password: str, new_password: str) -> None:
    """Change the caller's own password (the current one is required); every session and token of theirs ends."""
    accounts.change_own_password(ctx.db, _user_name(ctx), current_password, new_password, ctx.now,
                                 password_min_length(ctx))
    audit(ctx, "password_changed")
