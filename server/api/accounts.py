"""Users, agencies and user groups (user: manage, agency: manage).

Who may give which role, and to whom, is decided by server.auth.rights; every change and every
refused change of rights is in the audit log (who, what, to whom).
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Any, Iterator

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import PageArgs, actor, db, envelope, page_size, published
from server.api.openapi import answers
from server.auth import accounts, current_principal, require_permission
from server.auth.audit import log_event
from server.auth.names import normalize_user_name
from server.errors import AbriError

blp = Blueprint("accounts", __name__, description="Users, agencies, user groups.")
# Whole string (\Z, not $, which also matches before a final newline).
NAME = validate.Regexp(r"[a-z0-9][a-z0-9._-]*\Z", error="Use lowercase letters, digits, . _ -")


class UserData(ArgumentSchema):
    # Normalized (case, width) and checked as a whole by the domain: accounts.create_user.
    user_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    full_name = fields.String(validate=validate.Length(max=200))
    email = fields.Email(allow_none=True)
    password = fields.String(required=True, validate=validate.Length(max=1000))
    locale = fields.String(allow_none=True, validate=validate.Length(max=10))
    role_unique_id = fields.String(required=True)
    agency_unique_id = fields.String(allow_none=True)
    user_group_unique_ids = fields.List(fields.String(), validate=validate.Length(max=100))
    disabled = fields.Boolean()


class UserPatch(ArgumentSchema):
    full_name = fields.String(validate=validate.Length(max=200))
    email = fields.Email(allow_none=True)
    password = fields.String(validate=validate.Length(max=1000))
    locale = fields.String(allow_none=True, validate=validate.Length(max=10))
    role_unique_id = fields.String()
    agency_unique_id = fields.String(allow_none=True)
    user_group_unique_ids = fields.List(fields.String(), validate=validate.Length(max=100))
    disabled = fields.Boolean()


class UserBody(ArgumentSchema):
    data = fields.Nested(UserData, required=True)


class UserPatchBody(ArgumentSchema):
    data = fields.Nested(UserPatch, required=True)


class EntityData(ArgumentSchema):
    unique_id = fields.String(required=True, validate=[validate.Length(min=2, max=100), NAME])
    agency_code = fields.String(validate=validate.Length(max=20))
    name_i18n = fields.Dict(keys=fields.String(validate=validate.Length(max=10)),
                            values=fields.String(validate=validate.Length(max=500)))
    description_i18n = fields.Dict(keys=fields.String(validate=validate.Length(max=10)),
                                   values=fields.String(validate=validate.Length(max=2000)))
    services = fields.List(fields.String(validate=validate.Length(max=100)), validate=validate.Length(max=100))
    disabled = fields.Boolean()


class EntityPatch(EntityData):
    unique_id = fields.String(validate=validate.Length(max=100))


class EntityBody(ArgumentSchema):
    data = fields.Nested(EntityData, required=True)


class EntityPatchBody(ArgumentSchema):
    data = fields.Nested(EntityPatch, required=True)


class ListArgs(PageArgs):
    disabled = fields.Boolean()


RESOURCES = {"users": "user", "agencies": "agency", "user_groups": "user_group"}
USER, USERS = docs.one("UserAnswer", docs.User), docs.list_of("UserList", docs.User)
ENTITY, ENTITIES = docs.one("EntityAnswer", docs.Entity), docs.list_of("EntityList", docs.Entity)
_RIGHTS = ("role_unique_id", "agency_unique_id", "user_group_unique_ids", "disabled")


def _audit(action: str, kind: str, key: str, detail: str | None = None, status: int | None = None) -> None:
    user, now = actor()
    log_event(db(), action=action, user_name=user, at=now, address=request.remote_addr, resource=RESOURCES[kind],
              record_id=key, detail=detail, status=status)


def _summary(data: dict[str, Any]) -> str:
    """What a change asks for: the rights with their values, other fields by name only (never a password)."""
    rights = [f"{key}={json.dumps(data[key])}" for key in _RIGHTS if key in data]
    return "; ".join(rights + sorted(key for key in data if key not in _RIGHTS and key != "user_name"))


@contextmanager
def _audited(action: str, kind: str, key: str, data: dict[str, Any]) -> Iterator[None]:
    """Audit a refused change of rights (403, 409) with who, what and to whom, then let the refusal through."""
    try:
        yield
    except AbriError as error:
        if error.status in (403, 409):
            _audit(f"{action}_refused", kind, key, f"{error.code}: {_summary(data)}", error.status)
        raise


@blp.route("/users")
class Users(MethodView):
    @require_permission("user", "manage")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, USERS)
    def get(self, args):
        """List users."""
        page, per_page = page_size(args)
        filters = {"disabled": args["disabled"]} if "disabled" in args else {}
        items, total = accounts.list_entities(db(), "users", filters, page, per_page)
        return envelope([accounts.present_user(u) for u in items], total=total, page=page, per_page=per_page)
    @answers(409)
    @require_permission("user", "manage")
    @blp.arguments(UserBody)
    @blp.response(201, USER)
    def post(self, body):
        """Create a user (with a role the creator's role may assign)."""
        _, now = actor()
        data = body["data"]
        with _audited("user_create", "users", normalize_user_name(data["user_name"]), data):
            user = accounts.create_user(db(), published(), data, now, current_principal())
        _audit("user_created", "users", user["_id"], _summary(data))
        return envelope(accounts.present_user(user), status=201)


@blp.route("/users/<user_name>")
class User(MethodView):
    @require_permission("user", "manage")
    @blp.response(200, USER)
    def get(self, user_name):
        """Read a user (the name is compared without regard to case or character width)."""
        return envelope(accounts.present_user(accounts.get(db(), "users", normalize_user_name(user_name))))
    @answers(409)
    @require_permission("user", "manage")
    @blp.arguments(UserPatchBody)
    @blp.response(200, USER)
    def patch(self, body, user_name):
        """Edit, disable, or reset the password of a user (both end the user's sessions).

        Nobody changes their own role, agency, groups or disabled state, nor edits a user whose
        role theirs may not assign; the last system administrator cannot be disabled or demoted.
        """
        _, now = actor()
        key, data = normalize_user_name(user_name), body["data"]
        with _audited("user_update", "users", key, data):
            user = accounts.update_user(db(), published(), key, data, now, current_principal())
        _audit("user_updated", "users", key, _summary(data))
        return envelope(accounts.present_user(user))


def entity_routes(kind: str, route: str, permission: tuple[str, str]) -> None:
    """Routes of agencies and user groups."""
    class Collection(MethodView):
        @require_permission(*permission)
        @blp.arguments(ListArgs, location="query")
        @blp.response(200, ENTITIES)
        def get(self, args):
            page, per_page = page_size(args)
            filters = {"disabled": args["disabled"]} if "disabled" in args else {}
            items, total = accounts.list_entities(db(), kind, filters, page, per_page)
            return envelope([accounts.present(kind, i) for i in items], total=total, page=page, per_page=per_page)
        @answers(409)
        @require_permission(*permission)
        @blp.arguments(EntityBody)
        @blp.response(201, ENTITY)
        def post(self, body):
            _, now = actor()
            entity = accounts.create_entity(db(), kind, body["data"], now)
            _audit(f"{kind}_created", kind, entity["_id"], _summary(body["data"]))
            return envelope(accounts.present(kind, entity), status=201)

    class Item(MethodView):
        @require_permission(*permission)
        @blp.response(200, ENTITY)
        def get(self, unique_id):
            return envelope(accounts.present(kind, accounts.get(db(), kind, unique_id)))
        @answers(409)
        @require_permission(*permission)
        @blp.arguments(EntityPatchBody)
        @blp.response(200, ENTITY)
        def patch(self, body, unique_id):
            """Edit; disabling an agency refuses its users' logins and ends their sessions and tokens."""
            with _audited(f"{kind}_update", kind, unique_id, body["data"]):
                entity = accounts.update_entity(db(), kind, unique_id, body["data"], published(), current_principal())
            _audit(f"{kind}_updated", kind, unique_id, _summary(body["data"]))
            return envelope(accounts.present(kind, entity))

    Collection.__name__, Item.__name__ = f"{kind.title().replace('_', '')}", f"{kind.title().replace('_', '')}Item"
    blp.route(f"/{route}")(Collection)
    blp.route(f"/{route}/<unique_id>")(Item)


entity_routes("agencies", "agencies", ("agency", "manage"))
entity_routes("user_groups", "user_groups", ("user", "manage"))
