"""The JSON Schema of each record type's data, compiled from the published forms."""
from __future__ import annotations

from datetime import datetime, timezone

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import conditional, envelope, published
from server.api.openapi import answers
from server.api.authentication import current_principal
from server.errors import NotFound
from server.metadata.draft import KIND_NAMES
from server.metadata.record_schema import day_bounds, record_schema

blp = Blueprint("schemas", __name__, description="JSON Schema 2020-12 of record data.")


class SchemaArgs(ArgumentSchema):
    module_id = fields.String(validate=validate.Length(max=100))


def _forms(ids: set[str] | None) -> frozenset[str] | None:
    return None if ids is None else frozenset(ids)


@blp.route("/schemas/<any(case, incident, tracing_request):record_type>")
class RecordSchema(MethodView):
    @answers(revalidates=True, everyone=True)
    @blp.arguments(SchemaArgs, location="query")
    @blp.response(200, docs.one("RecordSchemaAnswer", {
        "type": "object", "description": "A JSON Schema 2020-12 of the record type's `data`."}, docs.VersionMeta),
        headers={"ETag": "ETag"})
    def get(self, args, record_type):
        """The schema of a record type's `data` for the user's role (optionally of one module).

        What a create may hold: a standard 2020-12 validator accepts exactly what the server accepts.
        It depends on the day (date rules), so its ETag changes with the day.
        """
        config = published()
        module_id = args.get("module_id")
        if module_id is not None and record_type not in config.modules.get(module_id, {}).get(
                "associated_record_types", ()):  # the schema of no form would accept nothing but {}
            raise NotFound(kind=KIND_NAMES["module"], id=module_id)
        principal = current_principal()
        readable, writable = _forms(principal.readable_forms()), _forms(principal.writable_forms())
        days = day_bounds(datetime.now(timezone.utc))
        return conditional((config.fingerprint, principal.role_id, days), lambda: envelope(
            record_schema(config, record_type, module_id, readable, writable, days),
            version=config.version))
