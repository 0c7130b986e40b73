"""Logging in and out: bearer tokens, admin UI sessions, passwords, the permission catalogue."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api.common import actor, db, envelope
from server.api.openapi import answers
from server.api import responses as docs
from server.auth import SESSION_COOKIE, current_principal
from server.auth import accounts, tokens
from server.auth.audit import log_event
from server.auth.permissions import RESOURCES, SCOPES

blp = Blueprint("auth", __name__, description="Tokens, sessions, passwords, permissions.")
SET_COOKIE = {"Set-Cookie": {"description": "The session cookie (abri_session; HttpOnly, SameSite=Strict).",
                             "schema": {"type": "string"}, "required": True}}


class Credentials(ArgumentSchema):
    user_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class PasswordData(ArgumentSchema):
    current_password = fields.String(required=True, validate=validate.Length(max=1000))
    new_password = fields.String(required=True, validate=validate.Length(max=1000))


class PasswordBody(ArgumentSchema):
    data = fields.Nested(PasswordData, required=True)


def _limits() -> dict[str, int]:
    config = current_app.config
    return {"per_account": config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], "per_address": config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            "window_minutes": config["LOGIN_WINDOW_MINUTES"]}


def _login(credentials: dict, kind: str, ttl_hours: int) -> dict:
    _, now = actor()
    return tokens.log_in(db(), credentials["user_name"], credentials["password"], request.remote_addr or "unknown",
                         now, _limits(), kind, timedelta(hours=ttl_hours))


def _logout(action: str) -> None:
    principal = current_principal()
    tokens.revoke_token(db(), g.token)
    _, now = actor()
    log_event(db(), action=action, user_name=principal.user_name, at=now, address=request.remote_addr)


@blp.route("/tokens")
class Tokens(MethodView):
    @answers(429)
    @blp.arguments(Credentials)
    @blp.response(201, docs.one("TokenAnswer", docs.Token))
    def post(self, credentials):
        """Log in for a bearer token (field apps, scripts)."""
        issued = _login(credentials, tokens.BEARER, current_app.config["TOKEN_TTL_HOURS"])
        return envelope({"token": issued["token"], "expires_at": issued["expires_at"]}, status=201)


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @blp.response(204)
    def delete(self):
        """Revoke the token this request uses."""
        _logout("token_revoked")
        return "", 204


@blp.route("/sessions")
class Sessions(MethodView):
    @answers(429)
    @blp.arguments(Credentials)
    @blp.response(201, docs.one("SessionAnswer", docs.Session), headers=SET_COOKIE)
    def post(self, credentials):
        """Log in to the admin UI: a session cookie (HttpOnly, SameSite=Strict) and its CSRF token."""
        ttl = current_app.config["SESSION_TTL_HOURS"]
        issued = _login(credentials, tokens.SESSION, ttl)
        response = envelope({"csrf_token": issued["csrf_token"], "expires_at": issued["expires_at"]}, status=201)
        mode = current_app.config["SESSION_COOKIE_SECURE_MODE"]
        response.set_cookie(SESSION_COOKIE, issued["token"], max_age=ttl * 3600, httponly=True, samesite="Strict",
                            secure=mode == "always" or (mode == "auto" and request.is_secure), path="/")
        return response


@blp.route("/sessions/current")
class CurrentSession(MethodView):
    @answers(everyone=True)
    @blp.response(200, docs.one("SessionInfoAnswer", docs.SessionInfo))
    def get(self):
        """The CSRF token of the current session (for a page opened after logging in)."""
        entry = tokens.resolve_token(db(), g.token, actor()[1])
        return envelope({"user_name": current_principal().user_name, "csrf_token": entry.get("csrf")})

    @blp.response(204, headers=SET_COOKIE)
    def delete(self):
        """Log out of the admin UI."""
        _logout("logout")
        response = current_app.response_class(status=204)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


@blp.route("/users/current")
class CurrentUser(MethodView):
    @answers(everyone=True)
    @blp.response(200, docs.one("CurrentUserAnswer", docs.CurrentUser))
    def get(self):
        """Who am I: the user and what their role grants."""
        principal = current_principal()
        user = accounts.get(db(), "users", principal.user_name)
        return envelope({**accounts.present_user(user), "permissions": {r: sorted(a) for r, a in principal.permissions.items()},
                         "group_permission": principal.scope, "form_section_read_write": principal.forms})


@blp.route("/users/current/password")
class CurrentPassword(MethodView):
    @blp.arguments(PasswordBody)
    @blp.response(204)
    def post(self, body):
        """Change one's own password; every token and session of the user ends."""
        principal = current_principal()
        _, now = actor()
        accounts.change_own_password(db(), principal.user_name, body["data"]["current_password"],
                                     body["data"]["new_password"], now)
        log_event(db(), action="password_changed", user_name=principal.user_name, at=now, address=request.remote_addr)
        return "", 204


@blp.route("/permissions")
class Permissions(MethodView):
    @answers(everyone=True)
    @blp.response(200, docs.one("PermissionsAnswer", docs.Permissions))
    def get(self):
        """The resources and actions a role can grant, and the record scopes."""
        return envelope({"resources": {r: list(a) for r, a in RESOURCES.items()}, "group_permission": list(SCOPES)})
