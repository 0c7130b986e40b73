"""POST /api/v1/metadata/import/primero: a Primero v2 configuration becomes the draft, answered with its report.

The file is the body (application/json) or the part `file` of a multipart/form-data body (what the admin
UI's file input sends). The view is one of the upload views (attachments.UPLOAD_ENDPOINTS): the request
pipeline leaves the body to the use case, whose reader refuses what no configuration may hold
($-keys, NUL, broken Unicode, NaN, deep nesting) with the file's own error, after the permission check.
"""
from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from server.api import attachments
from server.records.attachments import FORM_SLACK
from server.api import responses as docs
from server.api.arguments import ArgumentSchema
from server.api.authentication import require_permission
from server.api.common import envelope, request_context
from server.api.openapi import answers
from server.interop.primero_read import MAX_FILE_BYTES, PrimeroFileTooLarge
from server.interop.primero_report import KINDS, STATUSES
from server.services.primero_import import import_primero

blp = Blueprint("primero", __name__, description="Configuration in: a Primero v2 configuration as the draft.")
FILE_PART = "file"
UPLOAD_BODY = {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "description": "The configuration: {forms, lookups, roles, "
                                                                     "modules, locations}, each a list."}},
    "multipart/form-data": {"schema": {"type": "object", "required": [FILE_PART],
                                       "properties": {FILE_PART: {**docs.FILE, "description": "The JSON file."}}}}}}


class PrimeroImportArgs(ArgumentSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Answer the report only; the draft "
                                                                          "is left as it is."})
    replace_draft = fields.Boolean(load_default=False, metadata={
        "description": "Replace a draft with unpublished changes (else 409 DRAFT_NOT_EMPTY)."})


class PrimeroCount(Schema):
    total = fields.Integer(required=True)
    mapped = fields.Integer(required=True)
    adapted = fields.Integer(required=True)
    not_mapped = fields.Integer(required=True)


class PrimeroReportNote(Schema):
    code = fields.String(required=True, metadata={"description": "Stable: renamed, attribute_dropped, "
                                                                 "type_unknown, permission_unknown, ..."})
    message = fields.String(required=True, metadata={"description": "In the request's language."})


class PrimeroReportItem(Schema):
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    name = fields.String(required=True, metadata={"description": "As the file names it (a field: form/field; "
                                                                 "a permission: role/resource:action)."})
    status = fields.String(required=True, metadata={"enum": [*STATUSES, "kept"]})
    abri_ids = fields.List(fields.String(), required=True, metadata={"description": "What it became in Abri."})
    notes = fields.List(fields.Nested(PrimeroReportNote), required=True)


class PrimeroDraftProblem(Schema):
    severity = fields.String(required=True, metadata={"enum": ["error", "warning"]})
    field = fields.String(required=True)
    code = fields.String(required=True)
    message = fields.String(required=True)


class PrimeroDraftSummary(Schema):
    written = fields.Boolean(required=True, metadata={"description": "False for a dry run."})
    documents = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                            metadata={"description": "kind -> documents in the draft the import makes."})
    errors = fields.Integer(required=True, metadata={"description": "Check errors that block publishing it."})
    warnings = fields.Integer(required=True)
    can_publish = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(PrimeroDraftProblem), required=True,
                           metadata={"description": "The first 200."})


class PrimeroReport(Schema):
    """What became of each element of the file: for each kind, mapped + adapted + not_mapped = total."""

    counts = fields.Dict(keys=fields.String(metadata={"enum": list(KINDS)}), values=fields.Nested(PrimeroCount),
                         required=True)
    items = fields.List(fields.Nested(PrimeroReportItem), required=True)
    kept = fields.List(fields.Nested(PrimeroReportItem), required=True, metadata={
        "description": "What the instance keeps beyond the file: its administrator roles, lookups imported fields "
                       "use, fields whose records hold values."})
    draft = fields.Nested(PrimeroDraftSummary, required=True)


@blp.route("/metadata/import/primero")
class PrimeroImport(MethodView):
    @answers(409)
    @require_permission("metadata", "manage")
    @blp.arguments(PrimeroImportArgs, location="query")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(200, docs.one("PrimeroImportAnswer", PrimeroReport))
    def post(self, args):
        """Make a Primero v2 configuration the draft (metadata: manage and role: manage); answer the report."""
        request.max_content_length = MAX_FILE_BYTES + FORM_SLACK  # a country's configuration, not 2 MB
        try:
            sent = request.files.get(FILE_PART) if request.mimetype == "multipart/form-data" else None
            data = sent.read() if sent is not None else request.get_data()
        except RequestEntityTooLarge:
            raise PrimeroFileTooLarge(limit=MAX_FILE_BYTES) from None
        report = import_primero(request_context(), data, dry_run=args["dry_run"], replace_draft=args["replace_draft"])
        return envelope(report)


attachments.UPLOAD_ENDPOINTS.add(f"{blp.name}.{PrimeroImport.__name__}")
