"""The JSON Schema of each record type's data, compiled from the published forms."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from server.api.common import conditional, envelope, published
from server.auth import current_principal
from server.metadata.record_schema import record_schema

blp = Blueprint("schemas", __name__, description="JSON Schema 2020-12 of record data.")


class SchemaArgs(Schema):
    module_id = fields.String(validate=validate.Length(max=100))


@blp.route("/schemas/<any(case, incident, tracing_request):record_type>")
class RecordSchema(MethodView):
    @blp.arguments(SchemaArgs, location="query")
    def get(self, args, record_type):
        """The schema of a record type's `data` (optionally of one module)."""
        config = published()
        principal = current_principal()
        readable = principal.readable_forms()
        form_ids = None if readable is None else frozenset(readable)
        return conditional((config.fingerprint, principal.role_id), lambda: envelope(
            record_schema(config, record_type, args.get("module_id"), form_ids), version=config.version))
