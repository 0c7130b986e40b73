"""Places of the location hierarchies: GET /api/v1/locations (published; ETag, since), and their CSV import."""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import conditional, envelope, languages, request_context
from server.api.openapi import answers
from server.api.authentication import require_permission
from server.metadata.labels import resolve_text
from server.records.search import INT64_MAX
from server.services.locations import import_places, published_places

blp = Blueprint("locations", __name__, description="Location hierarchies (countries, departments, communes...).")


class LocationArgs(ArgumentSchema):
    admin_level = fields.Integer(validate=validate.Range(min=0, max=6))
    parent_code = fields.String(validate=validate.Length(max=50))
    locale = fields.String()
    since = fields.Integer(validate=validate.Range(min=0, max=INT64_MAX))


class PlaceOrTombstone(Schema):
    """A place; with `since=`, a hierarchy deleted since then is {"unique_id", "deleted": true} instead."""

    code = fields.String()
    admin_level = fields.Integer()
    type = fields.String(allow_none=True, metadata={"description": "The admin level's type (department, ...)."})
    parent_code = fields.String(allow_none=True)
    name = fields.String(metadata={"description": "With ?locale=: the name in that language (or the default one)."})
    name_i18n = fields.Dict(keys=fields.String(), values=fields.String(),
                            metadata={"description": "Without ?locale=: the name in every language."})
    unique_id = fields.String()
    deleted = fields.Boolean(metadata={"enum": [True]})


class PlacesMeta(docs.CountMeta):
    version = fields.Integer(required=True, metadata={"description": "The published version answered."})


class ImportArgs(ArgumentSchema):
    unique_id = fields.String(required=True, validate=validate.Regexp(r"^locations-[a-z0-9][a-z0-9_-]*$"))
    confirm = fields.Boolean(load_default=False, metadata={
        "description": "Remove the places that records use (listed by a first call answered 409 LOCATIONS_IN_USE); "
                       "the records keep their codes."})


class PlaceInUse(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "In the default language."})
    records = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                          metadata={"description": "record type -> records holding the code."})


class ImportMeta(docs.RevisionMeta):
    removed = fields.List(fields.String(), required=True, metadata={"description": "Codes the import removed."})
    removed_in_use = fields.List(fields.Nested(PlaceInUse), required=True,
                                 metadata={"description": "Removed places that records hold (with confirm)."})


def _place(place: dict, locale: str | None, default: str) -> dict:
    shown = {"code": place["code"], "admin_level": place["admin_level"], "type": place["type"],
             "parent_code": place.get("parent_code")}
    if locale:
        shown["name"] = resolve_text(place["name_i18n"], locale, default)
    else:
        shown["name_i18n"] = place["name_i18n"]
    return shown


@blp.route("/locations")
class Locations(MethodView):
    @answers(404, revalidates=True, everyone=True)  # 404: since= beyond the newest version
    @blp.arguments(LocationArgs, location="query")
    @blp.response(200, docs.list_of("PlaceList", PlaceOrTombstone, PlacesMeta))
    def get(self, args):
        """Places, filtered by admin level and parent; with ?locale= names in one language."""
        ctx = request_context()

        def build():
            found = published_places(ctx, args.get("admin_level"), args.get("parent_code"), args.get("since"))
            places = [_place(place, args.get("locale"), languages().default) for place in found.places]
            return envelope(places + [{"unique_id": uid, "deleted": True} for uid in found.deleted],
                            total=len(places), version=found.version)
        return conditional((ctx.config.fingerprint,), build)


@blp.route("/metadata/locations/import")
class LocationImport(MethodView):
    @answers(404, 409)
    @require_permission("metadata", "manage")
    @blp.arguments(ImportArgs, location="query")
    @blp.doc(requestBody={"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}})
    @blp.response(200, docs.one("LocationImportAnswer", {"type": "object", "description": "The hierarchy in the "
                                                          "draft (a location document)."}, ImportMeta))
    def post(self, args):
        """Replace the places of a location hierarchy in the draft with a CSV (HXL hashtags) sent as the body."""
        result = import_places(request_context(), args["unique_id"], request.get_data(), confirm=args["confirm"])
        body = result["entry"]["body"]
        return envelope(body, total=len(body["locations"]), revision=result["entry"]["revision"],
                        removed=result["removed"], removed_in_use=result["removed_in_use"])
