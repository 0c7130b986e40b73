"""Cases, incidents and tracing requests: /api/v1/cases, /incidents, /tracing_requests.

Each view parses the request, calls one use case of server.services.records (which checks the
permission, writes the audit entry, refusals included, and keeps the indexes) and dumps its answer.
"""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import PageArgs, envelope, page_size, request_context
from server.api.openapi import answers, record_list_parameters
from server.metadata.draft import positive_revision
from server.records.types import RECORD_TYPES, RecordType
from server.services import records as use_cases


class CreateBody(ArgumentSchema):
    id = fields.Raw(allow_none=True)  # checked by the service: a uuid
    module_id = fields.String(validate=validate.Length(max=100))
    data = fields.Dict(load_default=dict)


class UpdateBody(ArgumentSchema):
    data = fields.Dict(required=True)


class MatchData(ArgumentSchema):
    case_id = fields.String(required=True)


class MatchBody(ArgumentSchema):
    data = fields.Nested(MatchData, required=True)


class HistoryArgs(PageArgs):
    """A page of a record's history, within the bounds of every list."""


class AssignData(ArgumentSchema):
    owned_by = fields.String(required=True, validate=validate.Length(max=100))


class AssignBody(ArgumentSchema):
    data = fields.Nested(AssignData, required=True)


class MobileData(ArgumentSchema):
    marked_for_mobile = fields.Boolean(required=True)


class MobileBody(ArgumentSchema):
    data = fields.Nested(MobileData, required=True)


def _if_match() -> int | None:
    return positive_revision(request.headers.get("If-Match"))


def _list_args() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def _one(shown: use_cases.Shown) -> Response:
    """Answer one record with its revision as ETag: 201 when the call created it."""
    return envelope(shown.record, status=201 if shown.created else 200, headers={"ETag": f'"{shown.revision}"'})


def _page(page: use_cases.Page) -> Response:
    return envelope(page.items, total=page.total, page=page.page, per_page=page.per_page,
                    total_exact=page.total_exact, next_cursor=page.next_cursor)


def _history_page(page: use_cases.Page) -> Response:
    return envelope(page.items, total=page.total, page=page.page, per_page=page.per_page)


ETAG = docs.ETAG


# The OpenAPI answers of one record and of a list of records, per record type.
ANSWERS = {name: (docs.one(f"{schema.__name__}Answer", schema),
                  docs.list_of(f"{schema.__name__}List", schema, docs.RecordPageMeta))
           for name, schema in docs.RECORDS.items()}
HISTORY = docs.list_of("HistoryList", docs.HistoryEntry)


def created_links(record_type: RecordType) -> dict:
    """The OpenAPI links from a created record to the routes that take its id."""
    base = f"/api/v1/{record_type.route}/{{record_id}}".replace("/", "~1").replace("{", "%7B").replace("}", "%7D")
    targets = {"get": ("", "get"), "patch": ("", "patch"), "delete": ("", "delete"), "enable": ("~1enable", "post"),
               "assign": ("~1assign", "post"), "history": ("~1history", "get")}
    return {name: {"operationRef": f"#/paths/{base}{suffix}/{method}",
                   "parameters": {"record_id": "$response.body#/data/id"}} for name, (suffix, method) in targets.items()}


def record_blueprint(record_type: RecordType) -> Blueprint:
    """Build the routes of one record type."""
    blp = Blueprint(record_type.route, __name__, description=f"{record_type.name} records.")
    one, many = ANSWERS[record_type.name]
    base = f"/{record_type.route}"

    @blp.route(base)
    class Collection(MethodView):
        @blp.doc(parameters=record_list_parameters())
        @blp.response(200, many)
        def get(self):
            """List records: filters on filterable fields (a,b lists; a..b ranges), query, sort, fields, page."""
            return _page(use_cases.list_records(request_context(), record_type, _list_args()))

        @answers(409)
        @blp.arguments(CreateBody)
        @blp.response(201, one, headers=ETAG)
        @blp.alt_response(200, schema=one, headers=ETAG, success=True,
                          description="The same client id and body again: the stored record.")
        @blp.doc(responses={201: {"links": created_links(record_type)}})
        def post(self, body):
            """Create a record (idempotent with a client-generated id)."""
            return _one(use_cases.create_record(request_context(), record_type, body))

    @blp.route(f"{base}/<record_id>")
    class Item(MethodView):
        @blp.response(200, one, headers=ETAG)
        def get(self, record_id):
            """Read a record."""
            return _one(use_cases.read_record(request_context(), record_type, record_id))

        @answers(409, if_match=True)
        @blp.arguments(UpdateBody)
        @blp.response(200, one, headers=ETAG)
        def patch(self, body, record_id):
            """Change some fields (subform rows merge by unique_id; _destroy removes a row)."""
            return _one(use_cases.update_record(request_context(), record_type, record_id, body["data"], _if_match()))

        @answers(409, if_match=True)
        @blp.response(200, one, headers=ETAG)
        def delete(self, record_id):
            """Disable a record: its data stay, and enabling brings it back."""
            return _one(use_cases.set_record_state(request_context(), record_type, record_id, False, _if_match()))

    @blp.route(f"{base}/<record_id>/enable")
    class Enable(MethodView):
        @answers(409, if_match=True)
        @blp.response(200, one, headers=ETAG)
        def post(self, record_id):
            """Enable a disabled record."""
            return _one(use_cases.set_record_state(request_context(), record_type, record_id, True, _if_match()))

    @blp.route(f"{base}/<record_id>/assign")
    class Assign(MethodView):
        @answers(409, if_match=True)
        @blp.arguments(AssignBody)
        @blp.response(200, one, headers=ETAG)
        def post(self, body, record_id):
            """Give the record a new owner (assign permission)."""
            return _one(use_cases.assign_record(request_context(), record_type, record_id, body["data"]["owned_by"],
                                                _if_match()))

    @blp.route(f"{base}/<record_id>/marked_for_mobile")
    class Mobile(MethodView):
        @answers(409, if_match=True)
        @blp.arguments(MobileBody)
        @blp.response(200, one, headers=ETAG)
        def put(self, body, record_id):
            """Mark the record for offline use on its users' devices, or unmark it (write permission)."""
            return _one(use_cases.mark_for_mobile(request_context(), record_type, record_id,
                                                  body["data"]["marked_for_mobile"], _if_match()))

    @blp.route(f"{base}/<record_id>/history")
    class History(MethodView):
        @blp.arguments(HistoryArgs, location="query")
        @blp.response(200, HISTORY)
        def get(self, args, record_id):
            """The record's changes, newest first: who, when, revision, field-level diff."""
            page, per_page = page_size(args)
            return _history_page(use_cases.record_history(request_context(), record_type, record_id, page, per_page))
    return blp


cases, incidents, tracing_requests = (record_blueprint(RECORD_TYPES[name])
                                      for name in ("case", "incident", "tracing_request"))


@cases.route("/cases/<record_id>/incidents")
class CaseIncidents(MethodView):
    @cases.doc(parameters=record_list_parameters())
    @cases.response(200, ANSWERS["incident"][1])
    def get(self, record_id):
        """The incidents linked to a case."""
        return _page(use_cases.list_case_incidents(request_context(), record_id, _list_args()))

    @answers(409)
    @cases.arguments(CreateBody)
    @cases.response(201, ANSWERS["incident"][0], headers=ETAG)
    @cases.alt_response(200, schema=ANSWERS["incident"][0], headers=ETAG, success=True,
                        description="The same client id and body again: the stored incident.")
    def post(self, body, record_id):
        """Create an incident from a case, pre-filled with the fields the module maps."""
        return _one(use_cases.create_incident(request_context(), record_id, body))


@tracing_requests.route("/tracing_requests/<record_id>/traces/<trace_id>/match")
class TraceMatch(MethodView):
    @answers(409, if_match=True)
    @tracing_requests.arguments(MatchBody)
    @tracing_requests.response(200, ANSWERS["tracing_request"][0], headers=ETAG)
    def post(self, body, record_id, trace_id):
        """Confirm that a trace is the child of a case (sets matched_case_id)."""
        return _one(use_cases.match_trace(request_context(), record_id, trace_id, body["data"]["case_id"], _if_match()))


def blueprints() -> tuple[Blueprint, ...]:
    return cases, incidents, tracing_requests
