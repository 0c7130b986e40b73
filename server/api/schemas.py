"""The JSON Schema of each record type's data, compiled from the published forms."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import conditional, envelope, request_context
from server.api.openapi import answers
from server.services import documents

blp = Blueprint("schemas", __name__, description="JSON Schema 2020-12 of record data.")


class SchemaArgs(ArgumentSchema):
    module_id = fields.String(validate=validate.Length(max=100))


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
        found = documents.record_data_schema(request_context(), record_type, args.get("module_id"))
        return conditional(found.tag, lambda: envelope(found.compile(), version=found.version))
