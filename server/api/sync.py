"""Field sync: /api/v1/sync/bundle, /sync/records (pull and push), /sync/conflicts.

Each view parses the request, calls one use case of server.services.sync and dumps its answer. Answers are gzipped
when the client accepts it, and a push may be sent gzipped (Content-Encoding: gzip; the limit on bodies applies to
the body as unpacked).
"""
from __future__ import annotations

import gzip
import zlib
from dataclasses import replace

from flask import Flask, Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from server.api.arguments import ArgumentSchema
from server.api.attachments import Attachment
from server.api import responses as docs
from server.api.common import conditional, envelope, request_context
from server.api.errors import flatten_messages
from server.api.openapi import answers
from server.errors import Detail, Error, PayloadTooLarge, Unprocessable
from server.records.types import RECORD_TYPES
from server.rules import Rule
from server.services import sync as use_cases

blp = Blueprint("sync", __name__, description="Field sync: one bundle per user, record pulls by token, batch pushes, "
                                              "conflicts.")
PREFIX = "/api/v1/sync/"
COMPRESS_FROM = 1024  # bytes: smaller answers are sent as they are


class BundleArgs(ArgumentSchema):
    locale = fields.String(validate=validate.Length(max=10), metadata={
        "description": "Labels in one language (all languages without it)."})
    since = fields.Integer(validate=validate.Range(min=0, max=2**63 - 1), metadata={
        "description": "A configuration version the device holds: only the documents changed after it, and the ids "
                       "of those deleted (`deleted`)."})


class PullArgs(ArgumentSchema):
    token = fields.String(validate=validate.Length(max=2000), metadata={
        "description": "The next_token of the previous page (none: from the beginning)."})
    per_page = fields.Integer(validate=validate.Range(min=1, max=1000), metadata={
        "description": "At most SYNC_PAGE_SIZE (200 by default)."})


class PushItem(ArgumentSchema):
    op = fields.String(required=True, validate=validate.OneOf(["create", "update"]))
    record_type = fields.String(required=True, validate=validate.OneOf(list(RECORD_TYPES)))
    id = fields.UUID(required=True, metadata={"description": "The record's id (made by the device for a create)."})
    change_id = fields.UUID(metadata={"description": "The device's id of this change (required for an update): the "
                                                     "same change sent again is recognised."})
    base_revision = fields.Integer(validate=validate.Range(min=1, max=2**62), metadata={
        "description": "The revision the update was made on (required for an update)."})
    module_id = fields.String(validate=validate.Length(max=100))
    data = fields.Dict(load_default=dict)


class PushBody(ArgumentSchema):
    data = fields.List(fields.Raw(), required=True, metadata={
        "description": "The changes (objects), applied in order; at most SYNC_MAX_BATCH."})


class ResolveData(ArgumentSchema):
    revision = fields.Integer(required=True, validate=validate.Range(min=1, max=2**62), metadata={
        "description": "The record's current revision (the values are written on it)."})
    values = fields.Dict(load_default=dict, metadata={
        "description": "The values chosen for the fields in conflict ({} keeps the server's)."})


class ResolveBody(ArgumentSchema):
    data = fields.Nested(ResolveData, required=True)


class SyncRecord(Schema):
    record_type = fields.String(required=True)
    id = fields.String(required=True)
    revision = fields.Integer(metadata={"description": "Absent on a tombstone."})
    record = fields.Dict(metadata={"description": "The record as the user's role reads it (absent on a tombstone)."})
    deleted = fields.Boolean(metadata={"description": "A tombstone: the record left the user's view; drop it."})
    reason = fields.String(metadata={"enum": ["out_of_scope", "disabled", "not_marked", "deleted"]})
    attachments = fields.List(fields.Nested(Attachment), metadata={
        "description": "The files of the record's upload fields the user sees (absent on a tombstone): fetch each "
                       "with GET /<record type>/<id>/attachments/<file id>; `sha256` tells whether a copy held is "
                       "the same."})


class PullMeta(Schema):
    next_token = fields.String(required=True, metadata={"description": "Send it with the next pull."})
    more = fields.Boolean(required=True, metadata={"description": "Pull again now: more changes are waiting."})
    reset = fields.Boolean(required=True, metadata={
        "description": "What the user sees changed (scope, role): keep only the records this pull sends until "
                       "`more` is false; drop the others."})
    count = fields.Integer(required=True)
    alerts = fields.Nested(docs.PulledAlerts, required=True, metadata={
        "description": "The user's unread alerts (mark them read with POST /alerts/read)."})


class Conflict(Schema):
    id = fields.String(required=True)
    record_type = fields.String(required=True)
    record_id = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "resolved"]})
    user_name = fields.String(required=True)
    device_id = docs.nullable_string()
    base_revision = fields.Integer(required=True)
    server_revision = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    fields_ = fields.Dict(required=True, data_key="fields", metadata={
        "description": "field -> {mine, theirs}; a subform: {rows: {row id: {mine, theirs}}}."})
    resolved_by = docs.nullable_string()
    resolved_at = docs.moment()


class PushResult(Schema):
    change_id = fields.String(allow_none=True)
    record_type = fields.String(allow_none=True)
    id = fields.String(allow_none=True)
    status = fields.String(required=True, metadata={"enum": ["created", "updated", "merged", "conflict",
                                                             "refused"]})
    revision = fields.Integer()
    record = fields.Dict(metadata={"description": "The record on the server now, as the user's role reads it."})
    conflict = fields.Nested(Conflict, metadata={"description": "The fields in conflict, kept to be resolved."})
    error = fields.Dict(metadata={"description": "Why it was refused: {code, message, details}."})


BUNDLE = docs.envelope_of("Bundle", fields.Dict(required=True, metadata={
    "description": "version, since, server_time, user, permissions, recipients, forms, lookups, modules, locations, "
                   "deleted (ids per kind), field_types (a full bundle only) and field_types_version, sync settings."}))
PULL = docs.list_of("SyncPull", SyncRecord, PullMeta)
PUSH = docs.list_of("SyncPushResults", PushResult, docs.CountMeta)
CONFLICTS = docs.list_of("ConflictList", Conflict, docs.CountMeta)


@blp.route("/sync/bundle")
class BundleView(MethodView):
    @answers(404, revalidates=True, everyone=True)  # 404: since= beyond the newest version
    @blp.arguments(BundleArgs, location="query")
    @blp.response(200, BUNDLE, headers={"ETag": "ETagOfPublished"})
    def get(self, args):
        """Everything the user's device needs offline, in one answer (304 when it holds the current one)."""
        found = use_cases.bundle(request_context(), args.get("locale"), args.get("since"))
        return conditional(found.tag, lambda: envelope(found.build()))


@blp.route("/sync/records")
class Records(MethodView):
    @answers(everyone=True)
    @blp.arguments(PullArgs, location="query")
    @blp.response(200, PULL)
    def get(self, args):
        """The changes in the user's view after a token, in the server's order: records and tombstones."""
        pulled = use_cases.pull_records(request_context(), args.get("token"), args.get("per_page"))
        return envelope(pulled.items, next_token=pulled.token, more=pulled.more, reset=pulled.reset,
                        count=len(pulled.items), alerts=pulled.alerts)

    @answers(413, everyone=True)
    @blp.arguments(PushBody)
    @blp.response(200, PUSH)
    def post(self, body):
        """Apply a batch of changes made offline, each on its own: created, updated, merged, conflict or refused."""
        limit = current_app.config["SYNC_MAX_BATCH"]
        if len(body["data"]) > limit:
            raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/data", Rule.MAX_ITEMS, limit=limit)])
        results = use_cases.push_records(request_context(), [_item(position, raw)
                                                             for position, raw in enumerate(body["data"])])
        return envelope(results, total=len(results))


def _item(position: int, raw):
    """A pushed change as the use case takes it, or why its shape is refused (the other items go on)."""
    if not isinstance(raw, dict):
        return Unprocessable(Error.BODY_INVALID, details=[Detail.of(f"/data/{position}", Rule.TYPE_OBJECT)])
    try:
        item = PushItem().load(raw)
    except ValidationError as error:
        details = [replace(detail, field=f"/data/{position}/{detail.field.replace('.', '/')}")
                   for detail in flatten_messages(error.messages)]
        return Unprocessable(Error.BODY_INVALID, details=details)
    item["id"] = str(item["id"])
    if "change_id" in item:
        item["change_id"] = str(item["change_id"])
    if item["op"] == "update":
        missing = [name for name in ("change_id", "base_revision") if name not in item]
        if missing:
            return Unprocessable(Error.BODY_INVALID,
                                 details=[Detail.of(f"/data/{position}/{name}", Rule.REQUIRED) for name in missing])
    return item


@blp.route("/sync/conflicts")
class Conflicts(MethodView):
    @answers(everyone=True)
    @blp.response(200, CONFLICTS)
    def get(self):
        """The open conflicts of records the user may write: each field with the device's and the server's value."""
        items = use_cases.list_conflicts(request_context())
        return envelope(items, total=len(items))


@blp.route("/sync/conflicts/<uuid:conflict_id>/resolve")
class Resolve(MethodView):
    @answers(409, 412, everyone=True)
    @blp.arguments(ResolveBody)
    @blp.response(200, docs.one("ConflictAnswer", Conflict))
    def post(self, body, conflict_id):
        """Resolve a conflict: write the values chosen on the record's current revision, and close it."""
        data = body["data"]
        return envelope(use_cases.resolve_conflict(request_context(), str(conflict_id), data["values"],
                                                   data["revision"]))


def compress(response: Response) -> Response:
    """Gzip a sync answer when the client accepts it."""
    if (not request.path.startswith(PREFIX) or response.direct_passthrough or response.status_code != 200
            or "gzip" not in request.accept_encodings or "Content-Encoding" in response.headers):
        return response
    body = response.get_data()
    if len(body) >= COMPRESS_FROM:
        response.set_data(gzip.compress(body, compresslevel=6))
        response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


def unpack_body() -> None:
    """Unpack a gzipped sync push before its JSON is read; larger than MAX_CONTENT_LENGTH unpacked: 413."""
    if request.headers.get("Content-Encoding", "").lower() != "gzip" or not request.path.startswith(PREFIX):
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = unpacker.decompress(request.get_data(cache=False), limit + 1)
    except zlib.error:
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/", Rule.GZIP)]) from None
    if len(data) > limit or unpacker.unconsumed_tail:
        raise PayloadTooLarge(Error.PAYLOAD_TOO_LARGE, limit=limit)
    if not unpacker.eof or unpacker.unused_data:  # cut short, or followed by something else
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/", Rule.GZIP)])
    request._cached_data = data  # what get_data() and get_json() read from now on


def init_sync(app: Flask) -> None:
    app.before_request(unpack_body)
    app.after_request(compress)
