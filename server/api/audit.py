"""The audit log (audit_log: read)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api import responses as docs
from server.api.common import PageArgs, UTCDateTime, envelope, page_size, request_context
from server.api.authentication import require_permission
from server.services.audit_log import list_audit_log

blp = Blueprint("audit", __name__, description="Who did what, when.")


class AuditArgs(PageArgs):
    user_name = fields.String(validate=validate.Length(max=100))
    action = fields.String(validate=validate.Length(max=50))
    record_id = fields.String(validate=validate.Length(max=100))
    from_ = UTCDateTime(data_key="from", attribute="from")
    to = UTCDateTime()


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
