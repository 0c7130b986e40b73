"""Forms as XLSForm: GET /metadata/xlsform (the workbook of a record type's published forms), POST (into the draft).

The upload is a multipart/form-data body whose part `file` is the workbook (or the xlsx file as the body);
it is read only once the permission is checked, and the use case refuses hostile files with a clear error.
"""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import RequestEntityTooLarge

from server.api import responses as docs
from server.api.arguments import ArgumentSchema
from server.api.attachments import UPLOAD_ENDPOINTS
from server.api.authentication import require_permission
from server.api.common import envelope, request_context
from server.api.openapi import answers
from server.errors import Detail, Error, PayloadTooLarge, Unprocessable
from server.interop.xlsform import XLSX
from server.metadata.documents import RECORD_TYPES
from server.rules import Rule
from server.services import xlsform

blp = Blueprint("xlsform", __name__, description="Forms out as an XLSForm workbook (Kobo, ODK), and back into the "
                                                 "draft.")
PERMISSION = ("metadata", "manage")
FILE_PART = "file"
UPLOAD_BODY = {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": [FILE_PART],
                                       "properties": {FILE_PART: {**docs.FILE, "description": "The workbook."}}}},
    XLSX: {"schema": docs.FILE}}}


class ExportArgs(ArgumentSchema):
    record_type = fields.String(load_default="case", validate=validate.OneOf(RECORD_TYPES))


class ImportArgs(ArgumentSchema):
    record_type = fields.String(required=True, validate=validate.OneOf(RECORD_TYPES))
    dry_run = fields.Boolean(load_default=False)


class ReportItem(Schema):
    name = fields.String(required=True, metadata={"description": "The form, field, list or option."})
    message = fields.String(required=True, metadata={"description": "What was done or why not, in the request's "
                                                                     "language."})


class ReportPart(Schema):
    count = fields.Integer(required=True)
    items = fields.List(fields.Nested(ReportItem), required=True)


class ImportReport(Schema):
    mapped = fields.Nested(ReportPart, required=True)
    adapted = fields.Nested(ReportPart, required=True)
    not_mapped = fields.Nested(ReportPart, required=True)
    renamed = fields.Nested(ReportPart, required=True)


class ImportedDocument(Schema):
    kind = fields.String(required=True, metadata={"enum": ["form", "lookup"]})
    unique_id = fields.String(required=True)


class ImportResult(Schema):
    record_type = fields.String(required=True, metadata={"enum": list(RECORD_TYPES)})
    dry_run = fields.Boolean(required=True)
    documents = fields.List(fields.Nested(ImportedDocument), required=True, metadata={
        "description": "The documents added to the draft (or that would be, on a dry run)."})
    report = fields.Nested(ImportReport, required=True)


def _uploaded() -> bytes:
    """The workbook: the part `file` of a multipart body, or the body itself."""
    try:
        if request.mimetype == "multipart/form-data":
            sent = request.files.get(FILE_PART)
            if sent is None:
                raise Unprocessable(Error.ATTACHMENT_FILE_MISSING, details=[Detail.of(FILE_PART, Rule.REQUIRED)])
            return sent.stream.read()
        return request.get_data()
    except RequestEntityTooLarge:
        raise PayloadTooLarge(Error.PAYLOAD_TOO_LARGE, limit=request.max_content_length) from None


@blp.route("/metadata/xlsform")
class XLSFormWorkbook(MethodView):
    @require_permission(*PERMISSION)
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, docs.FILE, content_type=XLSX, description="The XLSForm workbook (xlsx): sheets survey, "
                  "choices, settings, and abri_report (what XLSForm cannot say).")
    def get(self, args):
        """The published forms of a record type as an XLSForm workbook, labels in every configured language."""
        data, _ = xlsform.export_workbook(request_context(), args["record_type"])
        name = f"abri-{args['record_type']}-xlsform.xlsx"
        return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @answers(409)
    @require_permission(*PERMISSION)
    @blp.arguments(ImportArgs, location="query")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(200, docs.one("XLSFormImport", ImportResult))
    def post(self, args):
        """Add the forms of an XLSForm workbook to the draft (new forms and lookups), with what was mapped,
        adapted, renamed and not mapped; `dry_run` only reports."""
        result = xlsform.import_workbook(request_context(), _uploaded(), args["record_type"], args["dry_run"])
        return envelope(result)


UPLOAD_ENDPOINTS.add(f"{blp.name}.{XLSFormWorkbook.__name__}")
