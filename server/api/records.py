"""Cases, incidents and tracing requests: /api/v1/cases, /incidents, /tracing_requests."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api import responses as docs
from server.api.common import actor as who_and_when, db, envelope, page_size, published
from server.api.openapi import answers, record_list_parameters
from server.auth import current_principal
from server.auth.audit import log_event
from server.metadata.draft import positive_revision
from server.records import service
from server.errors import NotFound
from server.records.types import RECORD_TYPES, RecordType, parse_record_id

# The audit action of each route (view, method), for refused accesses.
ACTIONS = {("Collection", "GET"): "list", ("Collection", "POST"): "create", ("Item", "GET"): "read",
           ("Item", "PATCH"): "update", ("Item", "DELETE"): "disable", ("Enable", "POST"): "enable",
           ("Assign", "POST"): "assign", ("History", "GET"): "view_history", ("CaseIncidents", "GET"): "list_incidents",
           ("CaseIncidents", "POST"): "create_incident", ("TraceMatch", "POST"): "match"}


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


class HistoryArgs(ArgumentSchema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1))


class AssignData(ArgumentSchema):
    owned_by = fields.String(required=True, validate=validate.Length(max=100))


class AssignBody(ArgumentSchema):
    data = fields.Nested(AssignData, required=True)


def _actor() -> service.Actor:
    user, now = who_and_when()
    return service.Actor(user, now, current_principal(), office_code=current_app.config["OFFICE_CODE"],
                         display_id_format=current_app.config["DISPLAY_ID_FORMAT"])


def _one(record: dict, record_type: RecordType, actor: service.Actor, action: str, status: int = 200):
    """Answer one record (readable fields only) and write the access to the audit log."""
    config = published()
    log_event(db(), action=action, user_name=actor.user_name, at=actor.now, address=request.remote_addr,
              resource=record_type.name, record_id=record["_id"], status=status)
    visible = service.visible_fields(db(), config, record_type, actor)
    return envelope(service.present(record, record_type, readable=visible), status=status,
                    headers={"ETag": f'"{record["revision"]}"'})


def _if_match() -> int | None:
    return positive_revision(request.headers.get("If-Match"))


def _list(record_type: RecordType, base_filter: dict | None = None):
    config, actor = published(), _actor()
    records, total, query = service.list_records(db(), config, record_type, request.args.to_dict(flat=False),
                                                 current_app.config["MAX_PER_PAGE"], actor, base_filter)
    log_event(db(), action="list", user_name=actor.user_name, at=actor.now, address=request.remote_addr,
              resource=record_type.name, detail=f"{total} records")
    visible = service.visible_fields(db(), config, record_type, actor)
    return envelope([service.present(r, record_type, query.fields, visible) for r in records],
                    total=total, page=query.page, per_page=query.per_page)


def _set_state(record_type: RecordType, record_id: str, enabled: bool):
    actor = _actor()
    record = service.set_record_state(db(), record_type, parse_record_id(record_id, record_type), enabled,
                                      _if_match(), actor)
    return _one(record, record_type, actor, "enable" if enabled else "disable")


def audit_refusal(response: Response, record_type: RecordType) -> Response:
    """Write a refused record access (403, 404) to the audit log: who, which record, what, the status; no values."""
    if response.status_code in (403, 404) and request.endpoint:
        raw = (request.view_args or {}).get("record_id")
        try:
            record_id = parse_record_id(raw, record_type) if raw is not None else None
        except NotFound:
            record_id = None  # not a record id: nothing of the path is kept
        code = ((response.get_json(silent=True) or {}).get("error") or {}).get("code")
        principal = current_principal()
        log_event(db(), action=ACTIONS.get((request.endpoint.rsplit(".", 1)[-1], request.method), "access"),
                  user_name=principal.user_name if principal else None, at=datetime.now(timezone.utc),
                  address=request.remote_addr, resource=record_type.name, record_id=record_id,
                  status=response.status_code, detail=code)
    return response


ETAG = docs.ETAG


# The OpenAPI answers of one record and of a list of records, per record type.
ANSWERS = {name: (docs.one(f"{schema.__name__}Answer", schema), docs.list_of(f"{schema.__name__}List", schema))
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
    blp.after_request(lambda response: audit_refusal(response, record_type))
    base = f"/{record_type.route}"

    @blp.route(base)
    class Collection(MethodView):
        @blp.doc(parameters=record_list_parameters())
        @blp.response(200, many)
        def get(self):
            """List records: filters on filterable fields (a,b lists; a..b ranges), query, sort, fields, page."""
            return _list(record_type)

        @answers(409)
        @blp.arguments(CreateBody)
        @blp.response(201, one, headers=ETAG)
        @blp.alt_response(200, schema=one, headers=ETAG, success=True,
                          description="The same client id and body again: the stored record.")
        @blp.doc(responses={201: {"links": created_links(record_type)}})
        def post(self, body):
            """Create a record (idempotent with a client-generated id)."""
            actor = _actor()
            record, created = service.create_record(db(), published(), record_type, body, actor)
            return _one(record, record_type, actor, "create" if created else "read", 201 if created else 200)

    @blp.route(f"{base}/<record_id>")
    class Item(MethodView):
        @blp.response(200, one, headers=ETAG)
        def get(self, record_id):
            """Read a record."""
            actor = _actor()
            record = service.get_record(db(), record_type, parse_record_id(record_id, record_type), actor)
            return _one(record, record_type, actor, "read")

        @answers(409, if_match=True)
        @blp.arguments(UpdateBody)
        @blp.response(200, one, headers=ETAG)
        def patch(self, body, record_id):
            """Change some fields (subform rows merge by unique_id; _destroy removes a row)."""
            actor = _actor()
            record = service.update_record(db(), published(), record_type,
                                           parse_record_id(record_id, record_type), body["data"], _if_match(), actor)
            return _one(record, record_type, actor, "update")

        @answers(409, if_match=True)
        @blp.response(200, one, headers=ETAG)
        def delete(self, record_id):
            """Disable a record: its data stay, and enabling brings it back."""
            return _set_state(record_type, record_id, enabled=False)

    @blp.route(f"{base}/<record_id>/enable")
    class Enable(MethodView):
        @answers(409, if_match=True)
        @blp.response(200, one, headers=ETAG)
        def post(self, record_id):
            """Enable a disabled record."""
            return _set_state(record_type, record_id, enabled=True)

    @blp.route(f"{base}/<record_id>/assign")
    class Assign(MethodView):
        @answers(409, if_match=True)
        @blp.arguments(AssignBody)
        @blp.response(200, one, headers=ETAG)
        def post(self, body, record_id):
            """Give the record a new owner (assign permission)."""
            actor = _actor()
            record = service.assign_record(db(), published(), record_type, parse_record_id(record_id, record_type),
                                           body["data"]["owned_by"], _if_match(), actor)
            return _one(record, record_type, actor, "assign")

    @blp.route(f"{base}/<record_id>/history")
    class History(MethodView):
        @blp.arguments(HistoryArgs, location="query")
        @blp.response(200, HISTORY)
        def get(self, args, record_id):
            """The record's changes, newest first: who, when, revision, field-level diff."""
            page, per_page = page_size(args)
            actor = _actor()
            entries, total = service.record_history(db(), published(), record_type,
                                                    parse_record_id(record_id, record_type), page, per_page, actor)
            log_event(db(), action="view_history", user_name=actor.user_name, at=actor.now,
                      address=request.remote_addr, resource=record_type.name, record_id=record_id)
            return envelope([{k: v for k, v in e.items() if k not in ("_id", "record_id")} for e in entries],
                            total=total, page=page, per_page=per_page)
    return blp


cases, incidents, tracing_requests = (record_blueprint(RECORD_TYPES[name])
                                      for name in ("case", "incident", "tracing_request"))


@cases.route("/cases/<record_id>/incidents")
class CaseIncidents(MethodView):
    @cases.doc(parameters=record_list_parameters())
    @cases.response(200, ANSWERS["incident"][1])
    def get(self, record_id):
        """The incidents linked to a case."""
        case_id = parse_record_id(record_id, RECORD_TYPES["case"])
        actor = _actor()
        actor.require(RECORD_TYPES["incident"], "read")  # every permission before any scope check
        service.get_record(db(), RECORD_TYPES["case"], case_id, actor)
        return _list(RECORD_TYPES["incident"], {"links.case_id": case_id})

    @answers(409)
    @cases.arguments(CreateBody)
    @cases.response(201, ANSWERS["incident"][0], headers=ETAG)
    @cases.alt_response(200, schema=ANSWERS["incident"][0], headers=ETAG, success=True,
                        description="The same client id and body again: the stored incident.")
    def post(self, body, record_id):
        """Create an incident from a case, pre-filled with the fields the module maps."""
        actor = _actor()
        record, created = service.create_incident_from_case(
            db(), published(), RECORD_TYPES["case"], RECORD_TYPES["incident"],
            parse_record_id(record_id, RECORD_TYPES["case"]), body, actor)
        return _one(record, RECORD_TYPES["incident"], actor, "create" if created else "read", 201 if created else 200)


@tracing_requests.route("/tracing_requests/<record_id>/traces/<trace_id>/match")
class TraceMatch(MethodView):
    @answers(409, if_match=True)
    @tracing_requests.arguments(MatchBody)
    @tracing_requests.response(200, ANSWERS["tracing_request"][0], headers=ETAG)
    def post(self, body, record_id, trace_id):
        """Confirm that a trace is the child of a case (sets matched_case_id)."""
        tracing = RECORD_TYPES["tracing_request"]
        actor = _actor()
        record = service.match_trace(db(), published(), tracing, RECORD_TYPES["case"],
                                     parse_record_id(record_id, tracing), trace_id,
                                     parse_record_id(body["data"]["case_id"], RECORD_TYPES["case"]),
                                     _if_match(), actor)
        return _one(record, tracing, actor, "match")


def blueprints() -> tuple[Blueprint, ...]:
    return cases, incidents, tracing_requests
