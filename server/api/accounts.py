"""Users, agencies and user groups (user: manage, agency: manage)."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from server.api.common import PageArgs, actor, db, envelope, page_size, published
from server.auth import accounts, require_permission
from server.auth.audit import log_event

blp = Blueprint("accounts", __name__, description="Users, agencies, user groups.")
NAME = validate.Regexp(r"^[a-z0-9][a-z0-9._-]*$", error="Use lowercase letters, digits, . _ -")
RESERVED = validate.NoneOf(["current"], error="This name is reserved.")


class UserData(Schema):
    user_name = fields.String(required=True, validate=[validate.Length(min=2, max=100), NAME, RESERVED])
    full_name = fields.String(validate=validate.Length(max=200))
    email = fields.Email(allow_none=True)
    password = fields.String(required=True, validate=validate.Length(max=1000))
    locale = fields.String(allow_none=True, validate=validate.Length(max=10))
    role_unique_id = fields.String(required=True)
    agency_unique_id = fields.String(allow_none=True)
    user_group_unique_ids = fields.List(fields.String(), validate=validate.Length(max=100))
    disabled = fields.Boolean()


class UserPatch(Schema):
    full_name = fields.String(validate=validate.Length(max=200))
    email = fields.Email(allow_none=True)
    password = fields.String(validate=validate.Length(max=1000))
    locale = fields.String(allow_none=True, validate=validate.Length(max=10))
    role_unique_id = fields.String()
    agency_unique_id = fields.String(allow_none=True)
    user_group_unique_ids = fields.List(fields.String(), validate=validate.Length(max=100))
    disabled = fields.Boolean()


class UserBody(Schema):
    data = fields.Nested(UserData, required=True)


class UserPatchBody(Schema):
    data = fields.Nested(UserPatch, required=True)


class EntityData(Schema):
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


class EntityBody(Schema):
    data = fields.Nested(EntityData, required=True)


class EntityPatchBody(Schema):
    data = fields.Nested(EntityPatch, required=True)


class ListArgs(PageArgs):
    disabled = fields.Boolean()


def _audit(action: str, key: str) -> None:
    user, now = actor()
    log_event(db(), action=action, user_name=user, at=now, address=request.remote_addr, record_id=key)


@blp.route("/users")
class Users(MethodView):
    @require_permission("user", "manage")
    @blp.arguments(ListArgs, location="query")
    def get(self, args):
        """List users."""
        page, per_page = page_size(args)
        filters = {"disabled": args["disabled"]} if "disabled" in args else {}
        items, total = accounts.list_entities(db(), "users", filters, page, per_page)
        return envelope([accounts.present_user(u) for u in items], total=total, page=page, per_page=per_page)
    @require_permission("user", "manage")
    @blp.arguments(UserBody)
    def post(self, body):
        """Create a user."""
        _, now = actor()
        user = accounts.create_user(db(), published(), body["data"], now)
        _audit("user_created", user["_id"])
        return envelope(accounts.present_user(user), status=201)


@blp.route("/users/<user_name>")
class User(MethodView):
    @require_permission("user", "manage")
    def get(self, user_name):
        """Read a user."""
        return envelope(accounts.present_user(accounts.get(db(), "users", user_name)))
    @require_permission("user", "manage")
    @blp.arguments(UserPatchBody)
    def patch(self, body, user_name):
        """Edit, disable, or reset the password of a user (both end the user's sessions)."""
        _, now = actor()
        user = accounts.update_user(db(), published(), user_name, body["data"], now)
        _audit("user_updated", user_name)
        return envelope(accounts.present_user(user))


def entity_routes(kind: str, route: str, permission: tuple[str, str]) -> None:
    """Routes of agencies and user groups."""
    class Collection(MethodView):
        @require_permission(*permission)
        @blp.arguments(ListArgs, location="query")
        def get(self, args):
            page, per_page = page_size(args)
            filters = {"disabled": args["disabled"]} if "disabled" in args else {}
            items, total = accounts.list_entities(db(), kind, filters, page, per_page)
            return envelope([accounts.present(kind, i) for i in items], total=total, page=page, per_page=per_page)
        @require_permission(*permission)
        @blp.arguments(EntityBody)
        def post(self, body):
            _, now = actor()
            entity = accounts.create_entity(db(), kind, body["data"], now)
            _audit(f"{kind}_created", entity["_id"])
            return envelope(accounts.present(kind, entity), status=201)

    class Item(MethodView):
        @require_permission(*permission)
        def get(self, unique_id):
            return envelope(accounts.present(kind, accounts.get(db(), kind, unique_id)))
        @require_permission(*permission)
        @blp.arguments(EntityPatchBody)
        def patch(self, body, unique_id):
            entity = accounts.update_entity(db(), kind, unique_id, body["data"])
            _audit(f"{kind}_updated", unique_id)
            return envelope(accounts.present(kind, entity))

    Collection.__name__, Item.__name__ = f"{kind.title().replace('_', '')}", f"{kind.title().replace('_', '')}Item"
    blp.route(f"/{route}")(Collection)
    blp.route(f"/{route}/<unique_id>")(Item)


entity_routes("agencies", "agencies", ("agency", "manage"))
entity_routes("user_groups", "user_groups", ("user", "manage"))
