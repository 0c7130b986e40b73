"""Forms, lookups and modules: read the published configuration, edit the draft.

Reads serve the published version (or the draft with ?draft=true, for administrators), all
languages or one (?locale=), with ETag/304 and `since=<version>` deltas with tombstones.
Writes change the draft; If-Match carries the document's draft revision. Roles are edited with
their own permission, `role: manage` (translators may still change their labels).
"""
from __future__ import annotations

from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import PageArgs, conditional, envelope, languages, page_size, request_context
from server.api.openapi import answers
from server.api.authentication import require_permission
from server.metadata import edits
from server.metadata.documents import FORM, LOOKUP, MODULE, RECORD_TYPES, REPORT, ROLE
from server.metadata.labels import localize_document
from server.services import documents, drafts as draft_use_cases
from server.services.drafts import write_permission

ETAG = docs.ETAG
PERMISSION = ("metadata", "manage")


class ListArgs(PageArgs):
    """Filters of the document lists."""

    record_type = fields.String(validate=validate.OneOf(RECORD_TYPES))
    module_id = fields.String(validate=validate.Length(max=100))
    locale = fields.String()
    since = fields.Integer(validate=validate.Range(min=0, max=2**63 - 1))
    draft = fields.Boolean(load_default=False)


class ReadArgs(ArgumentSchema):
    locale = fields.String()
    draft = fields.Boolean(load_default=False)


class DocumentBody(ArgumentSchema):
    """{"data": <document>}; the document's shape is checked by its JSON meta-schema."""

    data = fields.Dict(required=True)


class FieldBody(ArgumentSchema):
    data = fields.Dict(required=True)
    position = fields.Integer(validate=validate.Range(min=0))


class MoveData(ArgumentSchema):
    form = fields.String(required=True, validate=validate.Length(min=1, max=100),
                         metadata={"description": "The form the field moves to (same record type and nesting)."})
    position = fields.Integer(validate=validate.Range(min=0, max=10_000),
                              metadata={"description": "Its place in that form (the end by default)."})


class MoveBody(ArgumentSchema):
    data = fields.Nested(MoveData, required=True)


class OrderBody(ArgumentSchema):
    data = fields.List(fields.String(), required=True, validate=validate.Length(max=1000))


def _present(body: dict[str, Any], locale: str | None) -> dict[str, Any]:
    return localize_document(body, locale, languages().default) if locale else body


def _filters(args: dict[str, Any]) -> documents.Filters:
    return documents.Filters(args.get("record_type"), args.get("module_id"), args.get("since"))


def list_documents(kind: str, args: dict[str, Any]):
    """List published (or draft) documents of a kind, filtered, localized, paginated."""
    page, per_page = page_size(args, default=1000)
    locale, ctx = args.get("locale"), request_context()
    if args["draft"]:
        bodies = documents.list_draft(ctx, kind, _filters(args))
        return envelope([_present(b, locale) for b in bodies[(page - 1) * per_page:page * per_page]],
                        total=len(bodies), page=page, per_page=per_page, draft=True)
    visible = documents.visible_forms(ctx, kind)

    def build():
        listed = documents.list_published(ctx, kind, _filters(args), visible)
        data = [_present(b, locale) for b in listed.bodies[(page - 1) * per_page:page * per_page]]
        data += [{"unique_id": uid, "deleted": True} for uid in listed.deleted]
        return envelope(data, total=len(listed.bodies), page=page, per_page=per_page, version=listed.version,
                        since=args.get("since"))
    return conditional((ctx.config.fingerprint, ctx.principal.role_id, visible is None), build)


def read_document(kind: str, unique_id: str, args: dict[str, Any]):
    """Return one published (or draft) document."""
    locale, ctx = args.get("locale"), request_context()
    if args["draft"]:
        return _draft_response(draft_use_cases.read_document(ctx, kind, unique_id), locale)
    visible = documents.visible_forms(ctx, kind)
    body = documents.read_published(ctx, kind, unique_id, visible)
    return conditional((ctx.config.fingerprint, ctx.principal.role_id, visible is None),
                       lambda: envelope(_present(body, locale), version=ctx.config.version))


def _draft_response(entry: dict[str, Any], locale: str | None = None, status: int = 200):
    return envelope(_present(entry["body"], locale), status=status, headers={"ETag": f'"{entry["revision"]}"'},
                    revision=entry["revision"], draft=True, updated_at=entry.get("updated_at"),
                    updated_by=entry.get("updated_by"))


def _modify(kind: str, unique_id: str, edit: edits.Edit, translators_too: bool = False):
    """Apply an edit to a draft document (translators: labels, order and visibility only)."""
    return _draft_response(draft_use_cases.change_document(request_context(), kind, unique_id, edit,
                                                           request.headers.get("If-Match"), translators_too))


DOCUMENT_ANSWERS = {kind: docs.document_schemas(kind) for kind in (FORM, LOOKUP, MODULE, ROLE, REPORT)}
FORM_ANSWER, LOOKUP_ANSWER = DOCUMENT_ANSWERS[FORM][0], DOCUMENT_ANSWERS[LOOKUP][0]


def document_blueprint(kind: str, name: str) -> Blueprint:
    """Build the blueprint of one document kind: list, read, create, replace, patch, delete."""
    blp = Blueprint(name, __name__, description=f"{kind.capitalize()} documents: published reads, draft writes.")
    write = write_permission(kind)
    one, many = DOCUMENT_ANSWERS[kind]

    @blp.route(f"/{name}")
    class Collection(MethodView):
        @answers(404, revalidates=True)
        @blp.arguments(ListArgs, location="query")
        @blp.response(200, many, headers={"ETag": "ETagOfPublished"})
        def get(self, args):
            """List published documents (or the draft's, with ?draft=true)."""
            return list_documents(kind, args)
        @answers(409)
        @require_permission(*write)
        @blp.arguments(DocumentBody)
        @blp.response(201, one, headers=ETAG)
        def post(self, body):
            """Add a document to the draft."""
            return _draft_response(draft_use_cases.create_document(request_context(), kind, body["data"]), status=201)

    @blp.route(f"/{name}/<unique_id>")
    class Item(MethodView):
        @answers(revalidates=True)
        @blp.arguments(ReadArgs, location="query")
        @blp.response(200, one, headers=ETAG)
        def get(self, args, unique_id):
            """Read one document."""
            return read_document(kind, unique_id, args)
        @answers(409, if_match=True)
        @require_permission(*write)
        @blp.arguments(DocumentBody)
        @blp.response(200, one, headers=ETAG)
        def put(self, body, unique_id):
            """Replace a draft document."""
            return _modify(kind, unique_id, edits.replace_document(body["data"]))

        @answers(409, if_match=True)
        @blp.arguments(DocumentBody)
        @blp.response(200, one, headers=ETAG)
        def patch(self, body, unique_id):
            """Change some attributes of a draft document (JSON merge patch)."""
            return _modify(kind, unique_id, edits.patch_document(body["data"]), translators_too=True)

        @answers(409, 422, if_match=True)
        @require_permission(*write)
        @blp.response(204)
        def delete(self, unique_id):
            """Remove a document from the draft."""
            draft_use_cases.delete_document(request_context(), kind, unique_id, request.headers.get("If-Match"))
            return "", 204
    return blp


forms_blp = document_blueprint(FORM, "forms")
lookups_blp = document_blueprint(LOOKUP, "lookups")
modules_blp = document_blueprint(MODULE, "modules")
roles_blp = document_blueprint(ROLE, "roles")
reports_blp = document_blueprint(REPORT, "reports")


@forms_blp.route("/forms/<unique_id>/fields")
class Fields(MethodView):
    @answers(409, if_match=True)
    @require_permission(*PERMISSION)
    @forms_blp.arguments(FieldBody)
    @forms_blp.response(200, FORM_ANSWER, headers=ETAG)
    def post(self, body, unique_id):
        """Add a field to a draft form (at `position`, or last)."""
        return _modify(FORM, unique_id, edits.add_field(body["data"], body.get("position")))


@forms_blp.route("/forms/<unique_id>/fields/order")
class FieldOrder(MethodView):
    @answers(if_match=True)
    @forms_blp.arguments(OrderBody)
    @forms_blp.response(200, FORM_ANSWER, headers=ETAG)
    def put(self, body, unique_id):
        """Reorder the fields of a draft form: `data` lists every field name once."""
        return _modify(FORM, unique_id, edits.reorder_fields(body["data"]), translators_too=True)


@forms_blp.route("/forms/<unique_id>/fields/<name>/move")
class FieldMove(MethodView):
    @answers(409, 422, if_match=True)
    @require_permission(*PERMISSION)
    @forms_blp.arguments(MoveBody)
    @forms_blp.response(200, FORM_ANSWER, headers=ETAG)
    def post(self, body, unique_id, name):
        """Move a field of this draft form (If-Match: its revision) to another form of the same record type; answer
        the form it moved to. Both forms are checked together; data stored under the field stay in the records."""
        move = body["data"]
        return _draft_response(draft_use_cases.move_field(request_context(), unique_id, name, move["form"],
                                                          move.get("position"), request.headers.get("If-Match")))


@forms_blp.route("/forms/<unique_id>/fields/<name>")
class Field(MethodView):
    @answers(409, if_match=True)
    @forms_blp.arguments(DocumentBody)
    @forms_blp.response(200, FORM_ANSWER, headers=ETAG)
    def patch(self, body, unique_id, name):
        """Change some attributes of a field (JSON merge patch)."""
        return _modify(FORM, unique_id, edits.patch_field(name, body["data"]), translators_too=True)

    @answers(422, if_match=True)
    @require_permission(*PERMISSION)
    @forms_blp.response(200, FORM_ANSWER, headers=ETAG)
    def delete(self, unique_id, name):
        """Remove a field from a draft form; data stored under it stay in the records. A field the workflow or the
        matching rules name stays until they no longer do (422 CHECKS_FAILED)."""
        return _modify(FORM, unique_id, edits.remove_field(name))


@lookups_blp.route("/lookups/<unique_id>/values")
class LookupValues(MethodView):
    @answers(409, if_match=True)
    @require_permission(*PERMISSION)
    @lookups_blp.arguments(FieldBody)
    @lookups_blp.response(200, LOOKUP_ANSWER, headers=ETAG)
    def post(self, body, unique_id):
        """Add a value to a draft lookup."""
        return _modify(LOOKUP, unique_id, edits.add_lookup_value(body["data"], body.get("position")))


@lookups_blp.route("/lookups/<unique_id>/values/<value_id>")
class LookupValue(MethodView):
    @answers(409, if_match=True)
    @lookups_blp.arguments(DocumentBody)
    @lookups_blp.response(200, LOOKUP_ANSWER, headers=ETAG)
    def patch(self, body, unique_id, value_id):
        """Edit a lookup value's texts or disable it ({"disabled": true})."""
        return _modify(LOOKUP, unique_id, edits.patch_lookup_value(value_id, body["data"]), translators_too=True)


def blueprints() -> tuple[Blueprint, ...]:
    return forms_blp, lookups_blp, modules_blp, roles_blp, reports_blp

