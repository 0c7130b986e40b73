"""Logging in and out: bearer tokens, admin UI sessions, passwords, the permission catalogue.

Each view parses, calls one use case of server.services.sessions and dumps; the session cookie is
this edge's own business.
"""
from __future__ import annotations

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api.common import envelope, request_context
from server.api.openapi import answers
from server.api import responses as docs
from server.api.authentication import SESSION_COOKIE
from server.auth import tokens
from server.auth.permissions import RESOURCES, SCOPES
from server.i18n import known_locales
from server.services import sessions as use_cases

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


class PreferenceData(ArgumentSchema):
    locale = fields.String(required=True, allow_none=True, validate=validate.Length(max=10), metadata={
        "description": "The language of your messages and labels (one of the deployment's languages); null: the "
                       "deployment's default."})


class PreferenceBody(ArgumentSchema):
    data = fields.Nested(PreferenceData, required=True)


def _login(credentials: dict, kind: str, replacing: str | None = None) -> dict:
    return use_cases.log_in(request_context(), credentials["user_name"], credentials["password"], kind, replacing)


@blp.route("/tokens")
class Tokens(MethodView):
    @answers(429)
    @blp.arguments(Credentials)
    @blp.response(201, docs.one("TokenAnswer", docs.Token))
    def post(self, credentials):
        """Log in for a bearer token (field apps, scripts)."""
        issued = _login(credentials, tokens.BEARER)
        return envelope({"token": issued["token"], "expires_at": issued["expires_at"]}, status=201)


@blp.route("/tokens/current")
class CurrentToken(MethodView):
    @blp.response(204)
    def delete(self):
        """Revoke the token this request uses."""
        use_cases.revoke_token(request_context(), g.token)
        return "", 204


@blp.route("/sessions")
class Sessions(MethodView):
    @answers(429)
    @blp.arguments(Credentials)
    @blp.response(201, docs.one("SessionAnswer", docs.Session), headers=SET_COOKIE)
    def post(self, credentials):
        """Log in to the admin UI: a session cookie (HttpOnly, SameSite=Strict) and its CSRF token."""
        issued = _login(credentials, tokens.SESSION, request.cookies.get(SESSION_COOKIE))
        response = envelope({"csrf_token": issued["csrf_token"], "expires_at": issued["expires_at"]}, status=201)
        ttl, mode = current_app.config["SESSION_TTL_HOURS"], current_app.config["SESSION_COOKIE_SECURE_MODE"]
        response.set_cookie(SESSION_COOKIE, issued["token"], max_age=ttl * 3600, httponly=True, samesite="Strict",
                            secure=mode == "always" or (mode == "auto" and request.is_secure), path="/")
        return response


@blp.route("/sessions/current")
class CurrentSession(MethodView):
    @answers(everyone=True)
    @blp.response(200, docs.one("SessionInfoAnswer", docs.SessionInfo))
    def get(self):
        """The CSRF token of the current session (for a page opened after logging in)."""
        return envelope(use_cases.session_info(request_context(), g.token))

    @blp.response(204, headers=SET_COOKIE)
    def delete(self):
        """Log out of the admin UI."""
        use_cases.end_session(request_context(), g.token)
        response = current_app.response_class(status=204)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response


CURRENT_USER = docs.one("CurrentUserAnswer", docs.CurrentUser)


@blp.route("/users/current")
class CurrentUser(MethodView):
    @answers(everyone=True)
    @blp.response(200, CURRENT_USER)
    def get(self):
        """Who am I: the user and what their role grants."""
        return envelope(use_cases.current_user(request_context()))

    @blp.arguments(PreferenceBody)
    @blp.response(200, CURRENT_USER)
    def patch(self, body):
        """Choose your own language (the case worker app's language picker): messages and labels follow it."""
        return envelope(use_cases.choose_own_locale(request_context(), body["data"]["locale"], known_locales()))


@blp.route("/users/current/password")
class CurrentPassword(MethodView):
    @blp.arguments(PasswordBody)
    @blp.response(204)
    def post(self, body):
        """Change one's own password; every token and session of the user ends."""
        use_cases.change_own_password(request_context(), body["data"]["current_password"], body["data"]["new_password"])
        return "", 204


@blp.route("/permissions")
class Permissions(MethodView):
    @answers(everyone=True)
    @blp.response(200, docs.one("PermissionsAnswer", docs.Permissions))
    def get(self):
        """The resources and actions a role can grant, and the record scopes."""
        return envelope({"resources": {r: list(a) for r, a in RESOURCES.items()}, "group_permission": list(SCOPES)})
