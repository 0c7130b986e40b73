"""Files of records: /api/v1/<cases|incidents|tracing_requests>/<id>/attachments.

POST .../attachments/<field> takes a multipart/form-data body whose part `file` is the file (what a browser form and
a tablet's HTTP client send). The body is read only once the use case has checked the permission, the record and
the field, and only up to the field's limit: ATTACHMENT_MAX_MB replaces MAX_CONTENT_LENGTH for this route alone.
A download is sent as an attachment (never shown in the browser) under its cleaned name, with `nosniff`, a
sandboxing CSP and no caching.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from werkzeug.exceptions import RequestEntityTooLarge

from server.api import responses as docs
from server.api.common import envelope, request_context
from server.api.openapi import answers
from server.errors import Detail, Error, PayloadTooLarge, Unprocessable
from server.metadata.draft import positive_revision
from server.metadata.field_types import AUDIO_TYPES, IMAGE_TYPES
from server.records.attachments import FORM_SLACK
from server.records.types import RECORD_TYPES, RecordType
from server.rules import Rule
from server.services import attachments as use_cases

blp = Blueprint("attachments", __name__, description="Files of records: photos, documents and audio recordings of "
                                                     "the forms' upload fields.")
FILE_PART = "file"
MEDIA_TYPES = ("application/pdf", *IMAGE_TYPES, *AUDIO_TYPES)
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": [FILE_PART],
               "properties": {FILE_PART: {**docs.FILE, "description": "The file (its name is kept, cleaned)."}}},
    "encoding": {FILE_PART: {"contentType": ", ".join(MEDIA_TYPES)}}}}}
DOWNLOAD_HEADERS = {"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff",
                    "Content-Security-Policy": "sandbox; default-src 'none'", "Cache-Control": "private, no-store"}


class Attachment(Schema):
    """A file of a record: the id the field holds, and what it is."""

    id = fields.UUID(required=True)
    field = fields.String(required=True, metadata={"description": "The upload field that holds it."})
    file_name = fields.String(required=True, allow_none=True, metadata={
        "description": "Its name, cleaned: no folders, no control or direction characters, its real extension."})
    content_type = fields.String(required=True, allow_none=True, metadata={
        "description": "Its media type, read from its bytes.", "enum": [*MEDIA_TYPES, None]})
    size = fields.Integer(required=True, allow_none=True, metadata={"description": "Bytes, as stored (stripped)."})
    sha256 = fields.String(required=True, allow_none=True, metadata={"description": "Hex SHA-256 of the bytes."})
    uploaded_at = docs.moment()
    uploaded_by = docs.nullable_string()


class RevisionMeta(Schema):
    revision = fields.Integer(required=True, metadata={"description": "The record's revision after the change "
                                                                      "(also the ETag): If-Match of the next one."})


class ListMeta(RevisionMeta):
    total = fields.Integer(required=True)


ONE = docs.one("AttachmentAnswer", Attachment, RevisionMeta)
MANY = docs.list_of("AttachmentList", Attachment, ListMeta)
UPLOAD_ENDPOINTS: set[str] = set()  # views that read their body as a file (server/api/__init__.py lets them)


def _if_match() -> int | None:
    return positive_revision(request.headers.get("If-Match"))


def _incoming() -> use_cases.Incoming:
    """The request's file, received by the use case once it has checked everything else."""
    def receive(limit: int) -> tuple[str | None, bytes]:
        request.max_content_length = limit + FORM_SLACK  # instead of MAX_CONTENT_LENGTH, for this body only
        try:
            sent = request.files.get(FILE_PART)
        except RequestEntityTooLarge:
            raise PayloadTooLarge(Error.PAYLOAD_TOO_LARGE, limit=limit) from None
        if sent is None:
            raise Unprocessable(Error.ATTACHMENT_FILE_MISSING, details=[Detail.of(FILE_PART, Rule.REQUIRED)])
        return sent.filename, sent.stream.read(limit + 1)
    return use_cases.Incoming(request.content_length, receive)


def content_disposition(file_name: str) -> str:
    """`attachment` with the name as RFC 6266 says: an ASCII fallback, and the UTF-8 name percent-encoded."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in file_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def _target(description: str) -> dict:
    return {"in": "path", "name": "target", "required": True, "schema": {"type": "string"},
            "description": description}


FIELD_TARGET = _target("The upload field to attach the file to (its name).")
FILE_TARGET = _target("The attachment's id (as the upload field holds it).")


def _attachment_routes(record_type: RecordType) -> None:
    base = f"/{record_type.route}/<record_id>/attachments"
    title = record_type.route.title().replace("_", "")
    noun = record_type.name.replace("_", " ")

    @blp.response(200, MANY, headers={"ETag": "ETag"})
    def get_list(self, record_id):
        files = use_cases.list_files(request_context(), record_type, record_id)
        return envelope(files.items, total=len(files.items), revision=files.revision,
                        headers={"ETag": f'"{files.revision}"'})
    get_list.__doc__ = f"The files of the {noun} in the fields your role may see (read), oldest first."
    blp.route(base)(type(f"{title}Attachments", (MethodView,), {"get": get_list}))

    # One path for a field (POST) and a file (GET, DELETE): /attachments/<field> and /attachments/<id> would be two
    # paths OpenAPI cannot tell apart.
    @answers(409, 415, if_match=True)
    @blp.response(201, ONE, headers={"ETag": "ETag", "Location": "Location"})
    @blp.doc(requestBody=UPLOAD_BODY, parameters=[FIELD_TARGET])
    def post(self, record_id, target):
        attached = use_cases.upload(request_context(), record_type, record_id, target, _incoming(), _if_match())
        location = f"/api/v1/{record_type.route}/{record_id}/attachments/{attached.descriptor['id']}"
        return envelope(attached.descriptor, status=201, revision=attached.revision,
                        headers={"ETag": f'"{attached.revision}"', "Location": location})
    post.__doc__ = (f"Attach a file to an upload field of the {noun} (write, the field writable): multipart/form-data "
                    f"with the part `file`. Its type is read from its bytes, its metadata (GPS position...) removed.")

    @blp.response(200, description="The file's bytes, as an attachment.", content_type=MEDIA_TYPES[0],
                  schema=docs.FILE)
    @blp.doc(responses={200: {"content": {media: {"schema": docs.FILE} for media in MEDIA_TYPES}}},
             parameters=[FILE_TARGET])
    def get(self, record_id, target):
        found = use_cases.download(request_context(), record_type, record_id, target)
        descriptor = found.descriptor
        headers = {**DOWNLOAD_HEADERS, "Content-Disposition": content_disposition(descriptor["file_name"] or "file"),
                   "Content-Length": str(descriptor["size"])}
        return Response(found.blocks, mimetype=descriptor["content_type"] or "application/octet-stream",
                        headers=headers, direct_passthrough=True)
    get.__doc__ = (f"Download a file of the {noun} (read, the field readable): a file held by no field your role may "
                   f"see is not found.")

    @answers(if_match=True)
    @blp.response(204, headers={"ETag": "ETag"})
    @blp.doc(parameters=[FILE_TARGET])
    def delete(self, record_id, target):
        done = use_cases.delete(request_context(), record_type, record_id, target, _if_match())
        return Response(status=204, headers={"ETag": f'"{done.revision}"'})
    delete.__doc__ = f"Delete a file of the {noun} (write, the field writable): its id leaves the field, its bytes go."
    view = type(f"{title}Attachment", (MethodView,), {"post": post, "get": get, "delete": delete})
    blp.route(f"{base}/<target>")(view)
    UPLOAD_ENDPOINTS.add(f"{blp.name}.{view.__name__}")


for _record_type in RECORD_TYPES.values():
    _attachment_routes(_record_type)
