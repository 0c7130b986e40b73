"""The audit log (audit_log: read): a page of entries, or all of them (filtered) as a CSV file."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api import responses as docs
from server.api.arguments import ArgumentSchema
from server.api.common import PageArgs, UTCDateTime, envelope, page_size, request_context
from server.api.authentication import require_permission
from server.services.audit_log import export_audit_log, list_audit_log

blp = Blueprint("audit", __name__, description="Who did what, when.")
CSV = "text/csv"
CSV_ANSWER = ("The entries as CSV (UTF-8 with a byte order mark, so that spreadsheets read the accents): headers and "
              "actions in the reader's language, at most 100,000 entries, redacted as the list is; a cell starting "
              "with = + - or @ starts with a quote, so no spreadsheet runs it as a formula.")


class AuditFilters(ArgumentSchema):
    user_name = fields.String(validate=validate.Length(max=100))
    action = fields.String(validate=validate.Length(max=50))
    record_id = fields.String(validate=validate.Length(max=100))
    from_ = UTCDateTime(data_key="from", attribute="from")
    to = UTCDateTime()
    locale = fields.String(metadata={"description": "The language of the CSV's headers and actions."})


class AuditArgs(PageArgs, AuditFilters):
    pass


@blp.route("/audit_logs")
class AuditLogs(MethodView):
    @require_permission("audit_log", "read")
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, docs.list_of("AuditEntryList", docs.AuditEntry))
    def get(self, args):
        """Audit entries, newest first; filters: user_name, action, record_id, from, to.

        Entries about records of a type the reader may not read (with the scope "all") show who,
        what and when, but not which record (`redacted: true`).
        """
        page, per_page = page_size(args)
        listed = list_audit_log(request_context(), args, page, per_page)
        return envelope(listed.items, total=listed.total, page=listed.page, per_page=listed.per_page)


@blp.route("/audit_logs/export.csv")
class AuditLogExport(MethodView):
    @require_permission("audit_log", "read")
    @blp.arguments(AuditFilters, location="query")
    @blp.response(200, docs.FILE, content_type=CSV, description=CSV_ANSWER)
    def get(self, args):
        """The audit entries the filters select, newest first, as a CSV file in the reader's language (audited)."""
        text = export_audit_log(request_context(), args)
        return Response("\ufeff" + text, mimetype=CSV, headers={
            "Content-Disposition": 'attachment; filename="audit-log.csv"', "Cache-Control": "no-store"})
