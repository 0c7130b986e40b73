"""Users, agencies and user groups (user: manage, agency: manage): parse, call server.services.accounts, dump.

Who may give which role, and to whom, is decided by server.auth.rights; the use cases audit every
change and every refused change of rights (who, what, to whom), as they do for the command line.
The permission is also required here, before the body is parsed, so a refusal says nothing of it.
"""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import PageArgs, envelope, page_size, request_context
from server.api.openapi import answers
from server.api.authentication import require_permission
from server.services import accounts as use_cases
from server.services.accounts import AGENCIES, USER_GROUPS, USERS

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
    agency_type = fields.String(validate=validate.Length(max=100), metadata={
        "description": "Agencies: one of lookup-agency-type (police, justice, NGO, social services...)."})
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


USER, USERS_ANSWER = docs.one("UserAnswer", docs.User), docs.list_of("UserList", docs.User)
ENTITY, ENTITIES = docs.one("EntityAnswer", docs.Entity), docs.list_of("EntityList", docs.Entity)


def _list(kind: str, args: dict):
    page, per_page = page_size(args)
    listed = use_cases.list_accounts(request_context(), kind, page, per_page, args.get("disabled"))
    return envelope(listed.items, total=listed.total, page=listed.page, per_page=listed.per_page)


@blp.route("/users")
class Users(MethodView):
    @require_permission("user", "manage")
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, USERS_ANSWER)
    def get(self, args):
        """List users."""
        return _list(USERS, args)
    @answers(409)
    @require_permission("user", "manage")
    @blp.arguments(UserBody)
    @blp.response(201, USER)
    def post(self, body):
        """Create a user (with a role the creator's role may assign)."""
        return envelope(use_cases.create_user(request_context(), body["data"]), status=201)


@blp.route("/users/<user_name>")
class User(MethodView):
    @require_permission("user", "manage")
    @blp.response(200, USER)
    def get(self, user_name):
        """Read a user (the name is compared without regard to case or character width)."""
        return envelope(use_cases.read_account(request_context(), USERS, user_name))
    @answers(409)
    @require_permission("user", "manage")
    @blp.arguments(UserPatchBody)
    @blp.response(200, USER)
    def patch(self, body, user_name):
        """Edit, disable, or reset the password of a user (both end the user's sessions).

        Nobody changes their own role, agency, groups or disabled state, nor edits a user whose
        role theirs may not assign; the last system administrator cannot be disabled or demoted.
        """
        return envelope(use_cases.update_user(request_context(), user_name, body["data"]))


def entity_routes(kind: str, route: str, permission: tuple[str, str]) -> None:
    """Routes of agencies and user groups."""
    class Collection(MethodView):
        @require_permission(*permission)
        @blp.arguments(ListArgs, location="query")
        @blp.response(200, ENTITIES)
        def get(self, args):
            return _list(kind, args)
        @answers(409)
        @require_permission(*permission)
        @blp.arguments(EntityBody)
        @blp.response(201, ENTITY)
        def post(self, body):
            return envelope(use_cases.create_entity(request_context(), kind, body["data"]), status=201)

    class Item(MethodView):
        @require_permission(*permission)
        @blp.response(200, ENTITY)
        def get(self, unique_id):
            return envelope(use_cases.read_account(request_context(), kind, unique_id))
        @answers(409)
        @require_permission(*permission)
        @blp.arguments(EntityPatchBody)
        @blp.response(200, ENTITY)
        def patch(self, body, unique_id):
            """Edit; disabling an agency refuses its users' logins and ends their sessions and tokens."""
            return envelope(use_cases.update_entity(request_context(), kind, unique_id, body["data"]))

    Collection.__name__, Item.__name__ = f"{kind.title().replace('_', '')}", f"{kind.title().replace('_', '')}Item"
    blp.route(f"/{route}")(Collection)
    blp.route(f"/{route}/<unique_id>")(Item)


entity_routes(AGENCIES, "agencies", use_cases.PERMISSIONS[AGENCIES])
entity_routes(USER_GROUPS, "user_groups", use_cases.PERMISSIONS[USER_GROUPS])
