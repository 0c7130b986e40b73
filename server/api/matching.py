"""Duplicates: /api/v1/cases/potential_matches (before a save), /duplicates (after), and a review's decisions.

Each view parses the request, calls one use case of server.services.matching and answers what the caller may see.
"""
from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from server.api import responses as docs
from server.api.arguments import ArgumentSchema
from server.api.common import PageArgs, envelope, page_size, request_context
from server.api.openapi import answers
from server.api.workflow import reason
from server.metadata.draft import positive_revision
from server.records.types import RECORD_TYPES
from server.workflow import merging
from server.services import matching as use_cases
from server.storage.matching import DUPLICATE, NOT_DUPLICATE, OPEN

blp = Blueprint("matching", __name__, description="Duplicates: the cases some data may be, the potential "
                                                  "duplicates kept for review, and the review's decisions.")
MATCHED = ("case", "tracing_request")


class PotentialMatchBody(ArgumentSchema):
    data = fields.Dict(required=True, metadata={
        "description": "The case's data as entered so far (fields of the published case forms); only the fields "
                       "the matching rules compare are read."})
    module_id = fields.String(load_default=None, validate=validate.Length(max=100))


class DuplicateArgs(PageArgs):
    record_type = fields.String(load_default="case", validate=validate.OneOf(MATCHED), metadata={
        "description": "case: pairs of cases; tracing_request: a trace of a tracing request and a case."})
    record_id = fields.UUID(load_default=None, metadata={"description": "Only the pairs of this record."})
    status = fields.String(load_default=OPEN, validate=validate.OneOf([OPEN, NOT_DUPLICATE, DUPLICATE, "all"]),
                           metadata={"description": "open: to review (the default); all: whatever the decision."})
    level = fields.String(load_default=None, validate=validate.OneOf(use_cases.LEVELS))


class PairDecisionData(ArgumentSchema):
    reason = reason(required=False, description="Why (kept with the decision).")


class PairDecisionBody(ArgumentSchema):
    data = fields.Nested(PairDecisionData, load_default=dict)


class MatchedCase(Schema):
    id = fields.UUID(required=True)
    short_id = fields.String()
    case_id_display = fields.String()
    owned_by = fields.String()
    owned_by_agency = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.DateTime()
    score = fields.Float(required=True, metadata={"description": "From 0 to 1."})
    level = fields.String(required=True, validate=validate.OneOf(use_cases.LEVELS))
    agree = fields.List(fields.String(), required=True, metadata={
        "description": "The fields that agree (those your role reads)."})
    data = fields.Dict(required=True, metadata={"description": "The fields compared that your role reads."})


class PotentialMatchLists(Schema):
    likely = fields.List(fields.Nested(MatchedCase), required=True)
    possible = fields.List(fields.Nested(MatchedCase), required=True)


class OutsideScope(Schema):
    likely = fields.Integer(required=True)
    possible = fields.Integer(required=True)


class MatchesMeta(Schema):
    outside_scope = fields.Nested(OutsideScope, required=True, metadata={
        "description": "How many matches are cases you may not see (ask a supervisor): nothing else of them."})


class PairSide(Schema):
    record_type = fields.String(required=True)
    id = fields.UUID(required=True)
    short_id = fields.String(allow_none=True)
    display_id = fields.String(allow_none=True)
    owned_by = fields.String(allow_none=True)
    owned_by_agency = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    data = fields.Dict(required=True)


class Pair(Schema):
    id = fields.UUID(required=True)
    record_type = fields.String(required=True, validate=validate.OneOf(MATCHED))
    score = fields.Float(required=True)
    level = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf([OPEN, NOT_DUPLICATE, DUPLICATE]))
    agree = fields.List(fields.String(), required=True)
    records = fields.List(fields.Nested(PairSide), required=True, metadata={
        "description": "The two records: two cases, or a tracing request (its trace) and a case."})
    trace_id = fields.String(allow_none=True)
    found_at = fields.DateTime(allow_none=True)
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)


class PairPageMeta(docs.PageMeta):
    outside_scope = fields.Integer(required=True, metadata={
        "description": "With record_id: how many pairs of it hold a record you may not see (nothing else of them)."})


MATCHES = docs.one("PotentialMatches", PotentialMatchLists, MatchesMeta)
PAIRS = docs.list_of("DuplicateList", Pair, PairPageMeta)
PAIR = docs.one("DuplicateOne", Pair)


@blp.route("/cases/potential_matches")
class PotentialMatches(MethodView):
    @answers(422)
    @blp.arguments(PotentialMatchBody)
    @blp.response(200, MATCHES)
    def post(self, body):
        """The cases the data being entered may be a duplicate of, before they are saved: likely then possible,
        best first, those you may see with the fields your role reads, and how many others (create and read on
        cases)."""
        found = use_cases.potential_matches(request_context(), body["data"], body["module_id"])
        return envelope(found["data"], outside_scope=found["outside_scope"])


@blp.route("/duplicates")
class Duplicates(MethodView):
    @answers(404)
    @blp.arguments(DuplicateArgs, location="query")
    @blp.response(200, PAIRS)
    def get(self, args):
        """The potential duplicates among the records you see, best first, with their score and the fields that
        agree: pairs of cases, or traces of tracing requests and cases; of one record with record_id."""
        page, per_page = page_size(args)
        record_id = str(args["record_id"]) if args["record_id"] else None
        listed = use_cases.list_duplicates(request_context(), page, per_page, RECORD_TYPES[args["record_type"]],
                                           record_id, None if args["status"] == "all" else args["status"],
                                           args["level"])
        return envelope(listed.items, total=listed.total, page=listed.page, per_page=listed.per_page,
                        **listed.meta)


def _if_match() -> int | None:
    return positive_revision(request.headers.get("If-Match"))


def _decided(pair_id: str, decision: str, body: dict):
    return envelope(use_cases.decide(request_context(), pair_id, decision, body["data"].get("reason")))


@blp.route("/duplicates/<pair_id>/not_duplicate")
class NotDuplicate(MethodView):
    @blp.arguments(PairDecisionBody)
    @blp.response(200, PAIR)
    def post(self, body, pair_id):
        """Mark a pair as two different children: remembered, it is not raised again (review_duplicates)."""
        return _decided(pair_id, NOT_DUPLICATE, body)


@blp.route("/duplicates/<pair_id>/duplicate")
class Duplicate(MethodView):
    @blp.arguments(PairDecisionBody)
    @blp.response(200, PAIR)
    def post(self, body, pair_id):
        """Mark a pair as one child, to be merged (review_duplicates)."""
        return _decided(pair_id, DUPLICATE, body)


@blp.route("/duplicates/<pair_id>/reopen")
class ReopenPair(MethodView):
    @blp.arguments(PairDecisionBody)
    @blp.response(200, PAIR)
    def post(self, body, pair_id):
        """Take back a decision on a pair: it is to review again (review_duplicates)."""
        return _decided(pair_id, OPEN, body)


class MergeData(ArgumentSchema):
    from_ = fields.UUID(required=True, data_key="from", metadata={"description": "The case merged into this one."})
    fields = fields.Dict(keys=fields.String(validate=validate.Length(max=100)),
                         values=fields.String(validate=validate.OneOf([merging.OTHER, merging.BOTH])),
                         load_default=dict, validate=validate.Length(max=500), metadata={
                             "description": "The fields this case takes from the other: {field: \"other\"} for its "
                                            "value, {subform: \"both\"} to add its rows; every other field keeps "
                                            "this case's value."})


class MergeBody(ArgumentSchema):
    data = fields.Nested(MergeData, required=True)


class UnmergeData(ArgumentSchema):
    from_ = fields.UUID(required=True, data_key="from", metadata={"description": "The case merged into this one."})


class UnmergeBody(ArgumentSchema):
    data = fields.Nested(UnmergeData, required=True)


class UnmergeMeta(Schema):
    kept = fields.List(fields.String(), required=True, metadata={
        "description": "Fields changed since the merge, left as they are now."})


MERGED = docs.one("MergedCase", docs.RECORDS["case"])
UNMERGED = docs.one("UnmergedCase", docs.RECORDS["case"], UnmergeMeta)


@blp.route("/cases/<record_id>/merge")
class Merge(MethodView):
    @answers(409, 422, if_match=True)
    @blp.arguments(MergeBody)
    @blp.response(200, MERGED, headers=docs.ETAG)
    def post(self, body, record_id):
        """Merge another case of the same child into this one (merge and write on cases): this case takes the
        chosen fields, the referrals and the links of the other, which is disabled and names this one in
        merged_into. Both histories stay; unmerge undoes it."""
        shown = use_cases.merge(request_context(), record_id, str(body["data"]["from_"]), body["data"]["fields"],
                                _if_match())
        return envelope(shown.record, headers={"ETag": f'"{shown.revision}"'})


@blp.route("/cases/<record_id>/unmerge")
class Unmerge(MethodView):
    @answers(409)
    @blp.arguments(UnmergeBody)
    @blp.response(200, UNMERGED, headers=docs.ETAG)
    def post(self, body, record_id):
        """Undo the merge of a case into this one: what nobody changed since goes back, the referrals and links
        follow the other case again, which is enabled (merge and write on cases)."""
        shown, kept = use_cases.unmerge(request_context(), record_id, str(body["data"]["from_"]))
        return envelope(shown.record, headers={"ETag": f'"{shown.revision}"'}, kept=kept)
