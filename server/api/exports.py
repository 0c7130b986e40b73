"""Export jobs: POST to start one (202), GET to watch it, /file to download, DELETE to remove.

Each view parses the request, calls one use case of server.services.exports (permission first, audit) and dumps
its answer.
"""
from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import PageArgs, envelope, page_size, request_context
from server.api.openapi import answers
from server.export import encryption, jobs, pseudonyms
from server.metadata.documents import RECORD_TYPES
from server.services import exports as use_cases

blp = Blueprint("exports", __name__, description="Export jobs (xlsx, csv, json).")
JOB = docs.one("ExportJobAnswer", docs.ExportJob)


@blp.record_once
def check_password_key(state) -> None:
    """Stop the app at start when EXPORT_PASSWORD_KEY is set but unusable (never silently "no key")."""
    if state.app.config.get("EXPORT_PASSWORD_KEY"):
        encryption.parse_key(state.app.config["EXPORT_PASSWORD_KEY"], "ABRI_EXPORT_PASSWORD_KEY")


class ExportData(ArgumentSchema):
    record_type = fields.String(required=True, validate=validate.OneOf(RECORD_TYPES))
    format = fields.String(load_default="xlsx", validate=validate.OneOf(tuple(jobs.FORMATS)))
    filters = fields.Dict(keys=fields.String(validate=validate.Length(max=100)),
                          values=fields.Raw(), load_default=dict, validate=validate.Length(max=50))
    form_ids = fields.List(fields.String(), validate=validate.Length(min=1, max=200), allow_none=True)
    field_names = fields.List(fields.String(), validate=validate.Length(min=1, max=2000), allow_none=True)
    locale = fields.String(validate=validate.Length(max=10))
    codes = fields.Boolean(load_default=False)
    include_removed = fields.Boolean(load_default=False)
    include_disabled = fields.Boolean(load_default=False)
    password = fields.String(validate=validate.Length(max=200), allow_none=True)
    identifying = fields.String(validate=validate.OneOf(pseudonyms.MODES), allow_none=True, metadata={
        "description": "The fields that identify a person: include (needs export_identifying), hash (pseudonyms for "
                       "the partner agency; the default without export_identifying) or drop."})
    partner_agency = fields.String(validate=validate.Length(min=1, max=100), allow_none=True, metadata={
        "description": "With hash: the agency whose pseudonyms the file holds (default: the user's own)."})


class ExportBody(ArgumentSchema):
    data = fields.Nested(ExportData, required=True)


@blp.route("/exports")
class Exports(MethodView):
    @answers(everyone=True)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, docs.list_of("ExportJobList", docs.ExportJob))
    def get(self, args):
        """The user's own exports, newest first."""
        page, per_page = page_size(args)
        items, total = use_cases.list_exports(request_context(), page, per_page)
        return envelope(items, total=total, page=page, per_page=per_page)

    @blp.arguments(ExportBody)
    @blp.response(202, JOB, headers={"Location": "Location"})
    def post(self, body):
        """Start an export (runs in the background: watch GET /exports/<id>)."""
        job = use_cases.create_export(request_context(), body["data"])
        return envelope(job, status=202, headers={"Location": f"/api/v1/exports/{job['id']}"})


@blp.route("/exports/<job_id>")
class Export(MethodView):
    @answers(everyone=True)
    @blp.response(200, JOB)
    def get(self, job_id):
        """Status, rows done and total, percent, errors."""
        return envelope(use_cases.read_export(request_context(), job_id))

    @blp.response(204)
    def delete(self, job_id):
        """Remove the export and its file."""
        use_cases.delete_export(request_context(), job_id)
        return "", 204


@blp.route("/exports/<job_id>/file")
class ExportFile(MethodView):
    @answers(422)
    @blp.response(200, description="The file: xlsx, csv files in a zip, json; a zip when encrypted.",
                  content_type=jobs.MIME["xlsx"], schema=docs.FILE)
    @blp.doc(responses={200: {"content": {jobs.MIME["zip"]: {"schema": docs.FILE},
                                          jobs.MIME["json"]: {"schema": {"description": "The records."}}}}})
    def get(self, job_id):
        """Download the file of a complete export (if the user's current rights still cover what it holds)."""
        job, chunks = use_cases.download_export(request_context(), job_id)
        name = job["file_name"]
        mime = jobs.MIME.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        return Response(stream_with_context(chunks), mimetype=mime, headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Content-Length": str(job["size"]),
            "Cache-Control": "no-store"})
