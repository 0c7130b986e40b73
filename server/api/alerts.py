"""Alerts: /api/v1/alerts (list), /alerts/read (mark read), /alerts/stream (live, as server-sent events)."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.api import responses as docs
from server.api.arguments import ArgumentSchema
from server.api.common import PageArgs, envelope, page_size, request_context
from server.api.openapi import answers
from server.rules import Rule, Violation
from server.services import alerts as use_cases

blp = Blueprint("alerts", __name__, description="Alerts: what happened that concerns you (a referral or transfer "
                                                "for you, an approval decided, a flag, a change to your case).")
MAX_IDS = 500


class AlertArgs(PageArgs):
    unread = fields.Boolean(load_default=False, metadata={"description": "Only the alerts not read yet."})


class ReadData(ArgumentSchema):
    ids = fields.List(fields.UUID(), validate=validate.Length(min=1, max=MAX_IDS), metadata={
        "description": "The alerts to mark read (another user's ids are ignored)."})
    all = fields.Boolean(metadata={"description": "true: mark every alert of yours read."})

    @validates_schema
    def one_of(self, data, **kwargs) -> None:
        if ("ids" in data) == bool(data.get("all")):
            raise ValidationError([Violation(Rule.ONE_OF, {"names": "ids, all"})], field_name="ids")


class ReadBody(ArgumentSchema):
    data = fields.Nested(ReadData, required=True)


class ReadMeta(Schema):
    marked = fields.Integer(required=True, metadata={"description": "How many unread alerts were marked read."})


class StreamArgs(ArgumentSchema):
    last_event_id = fields.String(load_default=None, validate=validate.Length(max=30), metadata={
        "description": "Resume after this event id (as the Last-Event-ID header does; the header wins)."})


ALERTS = docs.list_of("AlertList", docs.AlertItem)
MARKED = docs.one("AlertsMarked", {"type": "object"}, ReadMeta)
STREAM = {"description": (
    "Server-sent events: `event: alert` with `id:` (the alert's seq) and `data:` (the alert as JSON, as the list "
    "gives it); comments keep the connection alive. The stream ends after ALERT_STREAM_SECONDS or when the "
    "account is disabled; reconnect with the last id (EventSource does)."),
    "content": {"text/event-stream": {"schema": {"type": "string"}}}}


@blp.route("/alerts")
class Alerts(MethodView):
    @answers(everyone=True)
    @blp.arguments(AlertArgs, location="query")
    @blp.response(200, ALERTS)
    def get(self, args):
        """Your alerts, newest first (unread=true: only those not read yet)."""
        page, per_page = page_size(args)
        found = use_cases.list_alerts(request_context(), args["unread"], page, per_page)
        return envelope(found.items, total=found.total, page=found.page, per_page=found.per_page)


@blp.route("/alerts/read")
class AlertsRead(MethodView):
    @answers(everyone=True)
    @blp.arguments(ReadBody)
    @blp.response(200, MARKED)
    def post(self, body):
        """Mark alerts read: some (ids) or all (all: true)."""
        data = body["data"]
        ids = [str(value) for value in data["ids"]] if "ids" in data else None
        return envelope({}, marked=use_cases.mark_read(request_context(), ids))


@blp.route("/alerts/stream")
class AlertStream(MethodView):
    @answers(everyone=True)
    @blp.arguments(StreamArgs, location="query")
    @blp.doc(responses={200: STREAM})
    def get(self, args):
        """Your alerts as they happen (server-sent events), after the Last-Event-ID you send (none: from now)."""
        last = request.headers.get("Last-Event-ID") or args["last_event_id"]
        events = use_cases.open_stream(request_context(), last)  # needs no request context: it is closed, not wrapped
        return Response(events, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
