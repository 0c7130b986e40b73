"""Case work: /api/v1/cases/<id>/referrals, /transfers, /close, /reopen, /approvals; flags on every record type;
/flags, /tasks, /services and /recipients.

Each view parses the request, calls one use case of server.services.workflow and dumps the record as the caller
sees it (its revision as ETag, and in `meta` the id of what the action made).
"""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from server.api import responses as docs
from server.api.arguments import ArgumentSchema
from server.api.common import PageArgs, envelope, page_size, request_context
from server.api.openapi import answers, record_list_parameters
from server.metadata.draft import positive_revision
from server.metadata.workflow import APPROVAL_TYPES
from server.records.types import RECORD_TYPES
from server.rules import Rule, Violation
from server.services import workflow as use_cases

blp = Blueprint("workflow", __name__, description="Case work: referrals, transfers, closing, approvals, flags and "
                                                  "the users a case may go to.")
TEXT, NOTE = 1_000, 4_000  # characters of a reason, of notes


def not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError([Violation(Rule.BLANK)])


def reason(required: bool = True, limit: int = TEXT, description: str = "") -> fields.String:
    checks = [validate.Length(max=limit), not_blank] if required else [validate.Length(max=limit)]
    return fields.String(required=required, allow_none=not required, validate=checks,
                         metadata={"description": description} if description else {})


class SendData(ArgumentSchema):
    to_user = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "The recipient (GET /recipients lists who may be chosen)."})
    notes = reason(False, NOTE)
    consent_override_reason = reason(False, description=(
        "Why the case goes without the consent it needs (consent_override permission); recorded on the case."))


class ReferData(SendData):
    service_id = fields.String(allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "The service row referred (its unique_id): none refers the whole case."})


class ReferBody(ArgumentSchema):
    data = fields.Nested(ReferData, required=True)


class TransferBody(ArgumentSchema):
    data = fields.Nested(SendData, required=True)


class ReasonData(ArgumentSchema):
    reason = reason()


class ReasonBody(ArgumentSchema):
    data = fields.Nested(ReasonData, required=True)


class OptionalReasonData(ArgumentSchema):
    reason = reason(False)


class OptionalReasonBody(ArgumentSchema):
    data = fields.Nested(OptionalReasonData, load_default=dict)


class NoteData(ArgumentSchema):
    note = reason(False, NOTE)


class NoteBody(ArgumentSchema):
    data = fields.Nested(NoteData, load_default=dict)


class EmptyBody(ArgumentSchema):
    data = fields.Dict(load_default=dict, validate=validate.Length(max=0))


class RequestData(ArgumentSchema):
    comments = reason(False, NOTE)


class RequestBody(ArgumentSchema):
    data = fields.Nested(RequestData, load_default=dict)


class DecisionData(ArgumentSchema):
    approved = fields.Boolean(required=True)
    comments = reason(False, NOTE, "Required when the approval is rejected.")

    @validates_schema
    def rejection_has_comments(self, data, **kwargs):
        if data.get("approved") is False and not (data.get("comments") or "").strip():
            raise ValidationError({"comments": [Violation(Rule.REQUIRED)]})


class DecisionBody(ArgumentSchema):
    data = fields.Nested(DecisionData, required=True)


class FlagData(ArgumentSchema):
    reason = reason()
    date = fields.Date(allow_none=True, metadata={"description": "The date the flag is about, if any."})


class FlagBody(ArgumentSchema):
    data = fields.Nested(FlagData, required=True)


class RecipientArgs(ArgumentSchema):
    action = fields.String(required=True, validate=validate.OneOf(["refer", "transfer", "assign"]))
    record_type = fields.String(load_default="case", validate=validate.OneOf(list(RECORD_TYPES)))


class TaskArgs(PageArgs):
    owner = fields.String(load_default="me", validate=validate.OneOf(["me", "all"]), metadata={
        "description": "me: the cases you own (and the approvals waiting for you); all: every case you see."})
    overdue = fields.Boolean(load_default=False, metadata={"description": "Only what was due before today."})
    due_by = fields.Date(load_default=None, metadata={"description": "Only what is due on or before this day."})
    task = fields.String(load_default=None, validate=validate.Length(max=100), metadata={
        "description": "Only this task (its id; approval_<type> for an approval)."})


class ServiceArgs(PageArgs):
    state = fields.String(load_default="open", validate=validate.OneOf(["open", "overdue", "implemented", "all"]),
                          metadata={"description": "open: not implemented yet; overdue: open and due before today."})
    owner = fields.String(load_default="all", validate=validate.OneOf(["me", "all"]), metadata={
        "description": "me: only the cases you own; all: every case you see."})
    due_by = fields.Date(load_default=None, metadata={"description": "Only services due on or before this day."})
    type = fields.String(load_default=None, validate=validate.Length(max=200), metadata={
        "description": "Only this service type."})


class StepMeta(Schema):
    transition_id = fields.UUID(metadata={"description": "The referral or transfer the action made or answered."})
    approval_id = fields.UUID(metadata={"description": "The approval entry the action made or decided."})
    flag_id = fields.UUID(metadata={"description": "The flag the action raised or removed."})


class Recipient(Schema):
    user_name = fields.String(required=True)
    full_name = fields.String(allow_none=True)
    role_unique_id = fields.String(allow_none=True)
    role_name = fields.String(allow_none=True)
    agency_unique_id = fields.String(allow_none=True)
    agency_name = fields.String(allow_none=True)
    refer = fields.List(fields.String())
    transfer = fields.List(fields.String())
    assign = fields.List(fields.String())


class FlaggedRecord(Schema):
    id = fields.UUID(required=True)
    record_type = fields.String(required=True)
    short_id = fields.String()
    case_id_display = fields.String()
    incident_id_display = fields.String()
    tracing_request_id_display = fields.String()
    owned_by = fields.String()
    status = fields.String()
    flags = fields.List(fields.Nested(docs.Flag), required=True)


STEPS = {name: docs.one(f"{schema.__name__}Step", schema, StepMeta) for name, schema in docs.RECORDS.items()}
CASE_STEP = STEPS["case"]
RECIPIENTS = docs.list_of("RecipientList", Recipient)
FLAGGED = docs.list_of("FlaggedList", FlaggedRecord, docs.RecordPageMeta)
TASKS = docs.list_of("TaskList", docs.Task, docs.RecordPageMeta)
SERVICES = docs.list_of("ServiceList", docs.ServiceItem, docs.RecordPageMeta)
MADE_KEYS = {"transition": "transition_id", "approval": "approval_id", "flag": "flag_id"}


def _if_match() -> int | None:
    return positive_revision(request.headers.get("If-Match"))


def _step(step: use_cases.Step, made: str | None = None) -> Response:
    meta = {MADE_KEYS[made]: step.made["id"]} if made and step.made else {}
    return envelope(step.shown.record, headers={"ETag": f'"{step.shown.revision}"'}, **meta)


@blp.route("/cases/<record_id>/referrals")
class Referrals(MethodView):
    @answers(409, if_match=True)
    @blp.arguments(ReferBody)
    @blp.response(200, CASE_STEP, headers=docs.ETAG)
    def post(self, body, record_id):
        """Refer the case (or one service of it) to a user of any agency (refer; consent checked)."""
        return _step(use_cases.send_case(request_context(), record_id, "referral", body["data"], _if_match()),
                     "transition")


@blp.route("/cases/<record_id>/transfers")
class Transfers(MethodView):
    @answers(409, if_match=True)
    @blp.arguments(TransferBody)
    @blp.response(200, CASE_STEP, headers=docs.ETAG)
    def post(self, body, record_id):
        """Transfer the case to a user: they own it once they accept (transfer; consent checked)."""
        return _step(use_cases.send_case(request_context(), record_id, "transfer", body["data"], _if_match()),
                     "transition")


ANSWER_BODIES = {"accept": EmptyBody, "reject": ReasonBody, "done": NoteBody, "revoke": OptionalReasonBody}
ANSWER_DOCS = {
    ("referral", "accept"): "Accept a referral made to you (receive_referral).",
    ("referral", "reject"): "Reject a referral made to you, with the reason: you no longer see the case.",
    ("referral", "done"): "Mark a referral you accepted as done: you no longer see the case.",
    ("referral", "revoke"): "Revoke a referral (refer): its recipient no longer sees the case.",
    ("transfer", "accept"): "Accept a transfer made to you: you own the case.",
    ("transfer", "reject"): "Reject a transfer made to you, with the reason.",
    ("transfer", "revoke"): "Revoke a transfer waiting for an answer (transfer).",
}


def _answer_route(kind: str, answer: str) -> None:
    collection = "referrals" if kind == "referral" else "transfers"

    @answers(409, if_match=True)
    @blp.arguments(ANSWER_BODIES[answer])
    @blp.response(200, CASE_STEP, headers=docs.ETAG)
    def post(self, body, record_id, transition_id):
        return _step(use_cases.answer_case(request_context(), record_id, kind, transition_id, answer,
                                           body.get("data") or {}, _if_match()), "transition")
    post.__doc__ = ANSWER_DOCS[(kind, answer)]
    view = type(f"{kind.capitalize()}{answer.capitalize()}", (MethodView,), {"post": post})
    blp.route(f"/cases/<record_id>/{collection}/<transition_id>/{answer}")(view)


for _kind, _answer in ANSWER_DOCS:
    _answer_route(_kind, _answer)


@blp.route("/cases/<record_id>/close")
class Close(MethodView):
    @answers(409, if_match=True)
    @blp.arguments(EmptyBody)
    @blp.response(200, CASE_STEP, headers=docs.ETAG)
    def post(self, body, record_id):
        """Close the case (close): its closure fields filled in, and its closure approved where that is required."""
        return _step(use_cases.close_case(request_context(), record_id, _if_match()))


@blp.route("/cases/<record_id>/reopen")
class Reopen(MethodView):
    @answers(409, if_match=True)
    @blp.arguments(ReasonBody)
    @blp.response(200, CASE_STEP, headers=docs.ETAG)
    def post(self, body, record_id):
        """Reopen a closed case, with the reason (reopen)."""
        return _step(use_cases.reopen_case(request_context(), record_id, body["data"]["reason"], _if_match()))


@blp.route("/cases/<record_id>/approvals/<approval_type>")
class ApprovalRequest(MethodView):
    @answers(409, if_match=True)
    @blp.arguments(RequestBody)
    @blp.response(200, CASE_STEP, headers=docs.ETAG)
    @blp.doc(parameters=[{"in": "path", "name": "approval_type", "required": True,
                          "schema": {"type": "string", "enum": list(APPROVAL_TYPES)}}])
    def post(self, body, record_id, approval_type):
        """Ask for an approval (request_approval_<type>): assessment, case_plan or closure."""
        return _step(use_cases.request_approval(request_context(), record_id, approval_type,
                                                body["data"].get("comments"), _if_match()), "approval")


@blp.route("/cases/<record_id>/approvals/<approval_type>/decision")
class ApprovalDecision(MethodView):
    @answers(409, if_match=True)
    @blp.arguments(DecisionBody)
    @blp.response(200, CASE_STEP, headers=docs.ETAG)
    @blp.doc(parameters=[{"in": "path", "name": "approval_type", "required": True,
                          "schema": {"type": "string", "enum": list(APPROVAL_TYPES)}}])
    def post(self, body, record_id, approval_type):
        """Approve or reject the approval waiting on the case (approve_<type>; not one you requested, unless
        self_approve); a rejection needs comments."""
        data = body["data"]
        return _step(use_cases.decide_approval(request_context(), record_id, approval_type, data["approved"],
                                               data.get("comments"), _if_match()), "approval")


def _flag_routes(record_type) -> None:
    base = f"/{record_type.route}/<record_id>/flags"
    step = STEPS[record_type.name]

    @answers(409, if_match=True)
    @blp.arguments(FlagBody)
    @blp.response(200, step, headers=docs.ETAG)
    def raise_one(self, body, record_id):
        data = body["data"]
        date = data.get("date")
        return _step(use_cases.raise_flag(request_context(), record_type, record_id, data["reason"],
                                          date.isoformat() if date else None, _if_match()), "flag")
    raise_one.__doc__ = f"Flag the {record_type.name.replace('_', ' ')} (flag), with the reason."
    blp.route(base)(type(f"{record_type.route.title()}Flags", (MethodView,), {"post": raise_one}))

    @answers(409, if_match=True)
    @blp.arguments(ReasonBody)
    @blp.response(200, step, headers=docs.ETAG)
    def remove_one(self, body, record_id, flag_id):
        return _step(use_cases.remove_flag(request_context(), record_type, record_id, flag_id,
                                           body["data"]["reason"], _if_match()), "flag")
    remove_one.__doc__ = "Remove a flag (flag), with the reason; the flag stays in the record's log."
    blp.route(f"{base}/<flag_id>/remove")(type(f"{record_type.route.title()}Unflag", (MethodView,),
                                                {"post": remove_one}))


for _record_type in RECORD_TYPES.values():
    _flag_routes(_record_type)


@blp.route("/flags")
class Flagged(MethodView):
    @blp.doc(parameters=[{"in": "query", "name": "record_type", "schema": {"type": "string",
                                                                           "enum": list(RECORD_TYPES)}},
                         *record_list_parameters()])
    @blp.response(200, FLAGGED)
    def get(self):
        """The flagged records you see (case by default; record_type=...), each with its raised flags; the filters
        of record lists apply."""
        args = request.args.to_dict(flat=False)
        name = (args.pop("record_type", None) or ["case"])[-1]
        page = use_cases.list_flagged(request_context(), use_cases.record_type_named(name), args)
        return envelope(page.items, total=page.total, page=page.page, per_page=page.per_page,
                        total_exact=page.total_exact, next_cursor=page.next_cursor)


@blp.route("/recipients")
class Recipients(MethodView):
    @blp.arguments(RecipientArgs, location="query")
    @blp.response(200, RECIPIENTS)
    def get(self, args):
        """Who you may refer, transfer or assign records to: enabled users whose role receives them, with their role
        and agency."""
        record_type = RECORD_TYPES[args["record_type"]]
        users = use_cases.recipients(request_context(), args["action"], record_type)
        return envelope(users, total=len(users), page=1, per_page=len(users))


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _listed(page) -> Response:
    return envelope(page.items, total=page.total, page=page.page, per_page=page.per_page,
                    total_exact=page.total_exact, next_cursor=None)


@blp.route("/tasks")
class Tasks(MethodView):
    @blp.arguments(TaskArgs, location="query")
    @blp.response(200, TASKS)
    def get(self, args):
        """What you have to do, earliest due first: the tasks of your cases (assessment, case plan, follow-ups,
        services, as the workflow configures them) and the approvals waiting for your decision."""
        page, per_page = page_size(args)
        return _listed(use_cases.list_tasks(request_context(), page, per_page, owner=args["owner"],
                                            overdue=args["overdue"], due_by=_day(args["due_by"]),
                                            wanted=args["task"]))


@blp.route("/services")
class Services(MethodView):
    @blp.arguments(ServiceArgs, location="query")
    @blp.response(200, SERVICES)
    def get(self, args):
        """The services of the cases you see, each from its request to its implementation, with its referrals:
        open ones earliest due first, implemented ones latest first."""
        page, per_page = page_size(args)
        return _listed(use_cases.list_services(request_context(), page, per_page, state=args["state"],
                                               owner=args["owner"], due_by=_day(args["due_by"]),
                                               wanted=args["type"]))
