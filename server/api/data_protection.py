"""Data protection: retention (preview, dry run, run), subject access (one child's archive), consent audit.

Each view checks its permission (data_protection: retention, subject_access, consent_audit) before it reads its
arguments, then calls one use case (server/services/retention.py, subject_access.py, consent_audit.py), which
checks it again, looks things up and audits.
"""
from __future__ import annotations

import tempfile

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api import responses as docs
from server.api.arguments import ArgumentSchema
from server.api.authentication import require_permission
from server.api.common import PageArgs, UTCDateTime, envelope, page_size, request_context
from server.api.openapi import answers
from server.services import consent_audit, retention, subject_access

blp = Blueprint("data_protection", __name__, description="Retention, subject access and consent audit.")
CSV, ZIP = "text/csv", "application/zip"
SPOOL = 8 * 1024 * 1024   # an archive larger than this is written to a temporary file, not kept in memory
READ = 256 * 1024


class RunData(ArgumentSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "Say what would change; write nothing."})
    limit = fields.Integer(load_default=retention.DEFAULT_LIMIT,
                           validate=validate.Range(min=1, max=retention.MAX_LIMIT), metadata={"description": "The most records this run changes (run again for the rest)."})


class RunBody(ArgumentSchema):
    data = fields.Nested(RunData, load_default=lambda: RunData().load({}))


class ConsentFilters(ArgumentSchema):
    from_ = UTCDateTime(data_key="from", attribute="from")
    to = UTCDateTime()
    agency = fields.String(validate=validate.Length(min=1, max=100), metadata={
        "description": "Rows where this agency sent or received (an export: the exporting user's agency)."})
    kind = fields.String(validate=validate.OneOf(consent_audit.KINDS))
    locale = fields.String(metadata={"description": "The language of the CSV's headers and words."})


class ConsentArgs(PageArgs, ConsentFilters):
    pass


@blp.route("/data_protection/retention")
class RetentionPreview(MethodView):
    @require_permission(*retention.PERMISSION)
    @blp.response(200, docs.one("RetentionPreviewAnswer", docs.RetentionPreview))
    def get(self):
        """How many records each retention rule reaches now, with a few of their ids."""
        return envelope(retention.preview_retention(request_context()))


@blp.route("/data_protection/retention/runs")
class RetentionRuns(MethodView):
    @answers(409)
    @require_permission(*retention.PERMISSION)
    @blp.arguments(RunBody)
    @blp.response(200, docs.one("RetentionRunAnswer", docs.RetentionRun))
    def post(self, body):
        """Apply the retention rules to at most `limit` records, or with dry_run, say what that would change.

        A run that finds another under way is refused (409 RETENTION_RUNNING); `remaining` says how many records
        the rules still reach: run again until it is 0.
        """
        data = body["data"]
        return envelope(retention.run_retention(request_context(), data["dry_run"], data["limit"]))


@blp.route("/data_protection/subject_access/<record_id>")
class SubjectAccess(MethodView):
    @require_permission(*subject_access.PERMISSION)
    @blp.response(200, docs.FILE, content_type=ZIP, description=(
        "A zip: README.txt in the request's language, manifest.json, fields.json, records/ (each record and its "
        "history), attachments/ (the files, byte for byte, and attachments.json), audit-log.json."))
    def get(self, record_id):
        """Everything Abri holds about the child of a case (its id, short id or display id), as one zip (audited)."""
        archive = tempfile.SpooledTemporaryFile(max_size=SPOOL)
        try:
            made = subject_access.subject_access(request_context(), record_id, archive)
            size = archive.tell()
            archive.seek(0)
        except BaseException:
            archive.close()
            raise

        def chunks():
            with archive:
                while block := archive.read(READ):
                    yield block
        return Response(chunks(), mimetype=ZIP, headers={
            "Content-Disposition": f'attachment; filename="{made["file_name"]}"', "Content-Length": str(size),
            "Cache-Control": "no-store"})


@blp.route("/data_protection/consent_audit")
class ConsentAudit(MethodView):
    @require_permission(*consent_audit.PERMISSION)
    @blp.arguments(ConsentArgs, location="query")
    @blp.response(200, docs.list_of("ConsentAuditList", docs.ConsentAuditRow))
    def get(self, args):
        """Referrals, transfers and exports: who shared which record with which agency, under which consent or
        override; newest first. Filters: from, to, agency, kind."""
        page, per_page = page_size(args)
        listed = consent_audit.consent_audit(request_context(), args, page, per_page)
        return envelope(listed.items, total=listed.total, page=listed.page, per_page=listed.per_page)


@blp.route("/data_protection/consent_audit/export.csv")
class ConsentAuditExport(MethodView):
    @require_permission(*consent_audit.PERMISSION)
    @blp.arguments(ConsentFilters, location="query")
    @blp.response(200, docs.FILE, content_type=CSV, description=(
        "The rows as CSV (UTF-8 with a byte order mark): headers and words in the reader's language; a cell "
        "starting with = + - or @ starts with a quote, so no spreadsheet runs it as a formula."))
    def get(self, args):
        """The rows the filters select, as a CSV file in the reader's language (audited)."""
        text = consent_audit.export_consent_audit(request_context(), args)
        return Response("\ufeff" + text, mimetype=CSV, headers={
            "Content-Disposition": 'attachment; filename="consent-audit.csv"', "Cache-Control": "no-store"})
