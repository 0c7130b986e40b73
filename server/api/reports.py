"""Reports: a report's result (GET /reports/<id>/result), its file (GET /reports/<id>/export), the preview of an
unsaved report (POST /reports/preview), the reports one may run (GET /reports/runnable), and one's dashboard
(GET /dashboards/current). The report documents themselves are metadata (server/api/documents.py: /reports).
"""
from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from server.api import responses as docs
from server.api.arguments import ArgumentSchema
from server.api.common import envelope, request_context
from server.api.openapi import answers
from server.export.report_files import XLSX
from server.services import reports

blp = Blueprint("report_results", __name__, description="Aggregate reports and dashboards: counts over the records of "
                                                        "one's scope, small counts hidden; never a record.")
FORMATS = {"xlsx": XLSX, "csv": "text/csv", "json": "application/json"}


class ResultArgs(ArgumentSchema):
    exact = fields.Boolean(load_default=False, metadata={
        "description": "Show the counts under the threshold (report: view_small_counts; audited)."})


class ExportArgs(ResultArgs):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(list(FORMATS)))


class PreviewBody(ArgumentSchema):
    data = fields.Dict(required=True, metadata={"description": "A report document (meta-report)."})


class ReportCell(Schema):
    value = fields.Integer(required=True, allow_none=True, metadata={"description": "The count; null when hidden."})
    suppressed = fields.Boolean(metadata={"description": "True: hidden (under the threshold, or its complement)."})
    reason = fields.String(metadata={"enum": ["small", "complement"], "description": "Why it is hidden: a count "
                                     "under the threshold, or a cell hidden so that such a count cannot be worked "
                                     "out from the totals (shown with complement_display)."})
    median = fields.Float(allow_none=True, metadata={"description": "Durations: the median, in days."})
    p90 = fields.Float(allow_none=True, metadata={"description": "Durations: the 90th percentile, in days."})


class ReportAxis(Schema):
    label = fields.String(required=True)


class ReportKey(Schema):
    key = fields.List(fields.Raw(allow_none=True), required=True)
    labels = fields.List(fields.String(), required=True)


class ReportTable(Schema):
    unique_id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    record_type = fields.String(required=True)
    chart = fields.String(required=True, metadata={"enum": ["bar", "stacked_bar", "line", "table", "map"]})
    unit = fields.String(required=True, metadata={"enum": ["records", "rows", "referrals", "events"]})
    measure = fields.String(required=True, metadata={"enum": ["count", "duration"]})
    rows = fields.List(fields.Nested(ReportAxis), required=True)
    columns = fields.List(fields.Nested(ReportAxis), required=True)
    row_keys = fields.List(fields.Nested(ReportKey), required=True)
    column_keys = fields.List(fields.Nested(ReportKey), required=True)
    cells = fields.List(fields.List(fields.Nested(ReportCell)), required=True)
    row_totals = fields.List(fields.Nested(ReportCell), required=True)
    column_totals = fields.List(fields.Nested(ReportCell), required=True)
    total = fields.Nested(ReportCell, required=True)
    threshold = fields.Integer(required=True)
    suppressed_display = fields.String(required=True, metadata={"description": "How a small count shows: \"< 5\"."})
    complement_display = fields.String(required=True, metadata={"description": "How a complementary cell shows."})
    exact = fields.Boolean(required=True)
    suppressed_cells = fields.Integer(required=True)
    notes = fields.List(fields.String(), required=True)
    computed_at = fields.DateTime(required=True)
    fresh_as_of = fields.DateTime(required=True, metadata={"description": "Records written up to this moment count."})
    boundaries = fields.Dict(allow_none=True, metadata={"description": "Maps: GeoJSON geometry by place code."})


class RunnableReport(Schema):
    unique_id = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    record_type = fields.String(required=True)
    chart = fields.String(required=True)
    on_dashboard = fields.Boolean(required=True)


class TeamColumn(Schema):
    key = fields.String(required=True)
    label = fields.String(required=True)


class DashboardWidget(Schema):
    kind = fields.String(required=True, metadata={"enum": ["report", "team"]})
    result = fields.Nested(ReportTable)
    title = fields.String()
    columns = fields.List(fields.Nested(TeamColumn))
    rows = fields.List(fields.Dict())
    totals = fields.Dict()


class UserDashboard(Schema):
    widgets = fields.List(fields.Nested(DashboardWidget), required=True)


@blp.route("/reports/runnable")
class RunnableReports(MethodView):
    @blp.response(200, docs.list_of("RunnableReports", RunnableReport, docs.EmptyMeta))
    def get(self):
        """The published reports the caller may run (report: read), by name."""
        return envelope(reports.list_reports(request_context()))


@blp.route("/reports/<unique_id>/result")
class ReportResult(MethodView):
    @answers(404, 422)
    @blp.arguments(ResultArgs, location="query")
    @blp.response(200, docs.one("ReportResult", ReportTable))
    def get(self, args, unique_id):
        """A report's counts over the caller's scope: cells, totals, small counts hidden."""
        return envelope(reports.run_report(request_context(), unique_id, args["exact"]))


@blp.route("/reports/<unique_id>/export")
class ReportExport(MethodView):
    @answers(404, 422)
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, docs.FILE, content_type=XLSX, description="The report as xlsx (with a chart), csv or "
                  "json: the aggregates and the suppression marks only.")
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": docs.FILE},
                                          "application/json": {"schema": {"description": "The report's result."}}}}})
    def get(self, args, unique_id):
        """A report as a file."""
        made = reports.export_report(request_context(), unique_id, args["format"], args["exact"])
        return Response(made.content, mimetype=made.media_type,
                        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'})


@blp.route("/reports/preview")
class ReportPreview(MethodView):
    @blp.arguments(PreviewBody)
    @blp.response(200, docs.one("ReportPreview", ReportTable))
    def post(self, body):
        """The result an unsaved report document would give (metadata: manage), for its editor."""
        return envelope(reports.preview_report(request_context(), body["data"]))


@blp.route("/dashboards/current")
class CurrentDashboard(MethodView):
    @blp.response(200, docs.one("UserDashboardAnswer", UserDashboard))
    def get(self):
        """The caller's dashboard: the reports of their role's dashboard, and a supervisor's team."""
        return envelope(reports.dashboard(request_context()))
