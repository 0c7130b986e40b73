"""The HTTP edge of errors: the one table API code -> status, and the one JSON renderer.

Every error, 500 included, is answered as {"error": {"code", "message", "details": [...], "request_id"}} in the
request's language. werkzeug's errors become members of the catalogue; webargs' (a query or body that does not fit
its schema) become details by structure: each leaf is a Violation of the rules vocabulary (server/api/arguments.py),
never an English sentence matched by its text. ErrorSchema describes the answer for the OpenAPI document
(server/api/openapi.py).
"""
from __future__ import annotations

import logging
from typing import Any, Iterator

from flask import Flask, current_app, jsonify, request
from flask_babel import get_locale
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from server.errors import (AbriError, BadRequest, Detail, Error, MethodNotAllowed, NotFound, PayloadTooLarge,
                           Unprocessable)
from server.monitoring.logs import request_id
from server.rules import Rule, Violation

log = logging.getLogger(__name__)

STATUSES: dict[str, int] = {
    # 400: the request cannot be read
    "BAD_REQUEST": 400, "MALFORMED_JSON": 400, "CONTENT_TYPE": 400, "BAD_PARAMETER": 400, "LOCALE_UNKNOWN": 400,
    # 401: who is asking is not known
    "AUTHENTICATION_REQUIRED": 401, "INVALID_CREDENTIALS": 401, "TOKEN_INVALID": 401, "DEVICE_REVOKED": 401,
    # 403: they may not
    "PERMISSION_DENIED": 403, "CSRF_FAILED": 403, "USER_DISABLED": 403, "ROLE_NOT_ASSIGNABLE": 403,
    "ROLE_EXCEEDS_GRANTER": 403, "ROLE_EXCEEDS_EDITOR": 403, "USER_NOT_MANAGEABLE": 403, "SELF_RIGHTS_CHANGE": 403,
    "ROLE_NOT_MANAGEABLE": 403, "ROLE_MANAGE_REQUIRED": 403, "OWN_ROLE_WIDENING": 403, "TRANSLATIONS_ONLY": 403,
    "FIELDS_FORBIDDEN": 403, "EXPORT_NOT_ALLOWED": 403, "EXPORT_ACCESS_CHANGED": 403,
    # 404, 405
    "NOT_FOUND": 404, "ROUTE_NOT_FOUND": 404, "ATTACHMENT_FIELD_UNKNOWN": 404, "METHOD_NOT_ALLOWED": 405,
    # 409: the current state refuses it
    "CONFLICT": 409, "ALREADY_EXISTS": 409, "PUBLISH_CONFLICT": 409, "NOTHING_TO_PUBLISH": 409, "IN_USE": 409,
    "LOOKUP_VALUES_IN_USE": 409, "DRAFT_NOT_EMPTY": 409, "LOCATIONS_IN_USE": 409, "LAST_ADMINISTRATOR": 409,
    "SHORT_ID_EXHAUSTED": 409, "WRITE_CONTENTION": 409, "ID_UNAVAILABLE": 409, "RECORD_EXISTS": 409,
    "RECORD_DISABLED": 409, "RECORD_STATE_UNCHANGED": 409, "ALREADY_REVOKED": 409, "DEVICE_ID_REVOKED": 409,
    "CONFLICT_CLOSED": 409, "REFERRAL_EXISTS": 409, "TRANSFER_PENDING": 409, "TRANSITION_CLOSED": 409,
    "CASE_CLOSED": 409, "CASE_NOT_CLOSED": 409, "CLOSURE_NOT_APPROVED": 409, "APPROVAL_PENDING": 409,
    "APPROVAL_NOT_REQUESTED": 409, "FLAG_REMOVED": 409, "ATTACHMENTS_FULL": 409, "NOT_MERGED": 409,
    "MERGE_IN_PROGRESS": 409, "RETENTION_RUNNING": 409, "CONFIGURATION_BUSY": 409,
    "DATABASE_TOO_NEW": 409, "DATABASE_NOT_MIGRATED": 409, "RESTORE_NOT_EMPTY": 409, "RESTORE_UNFINISHED": 409,
    # 412, 413
    "STALE_REVISION": 412,
    "PAYLOAD_TOO_LARGE": 413, "CSV_TOO_LARGE": 413, "SPREADSHEET_TOO_LARGE": 413, "XLSFORM_TOO_LARGE": 413, "ATTACHMENT_TOO_LARGE": 413,
    # 415: a file of a kind the field does not take
    "ATTACHMENT_TYPE_REFUSED": 415,
    # 422: the content breaks a rule
    "BODY_INVALID": 422, "DOCUMENT_INVALID": 422, "CHECKS_FAILED": 422, "UNIQUE_ID_CHANGED": 422,
    "ORDER_INVALID": 422, "FOLDER_MISSING": 422, "FOLDER_INVALID": 422, "PROFILE_UNKNOWN": 422,
    "TRANSLATIONS_REFUSED": 422, "BAD_LANGUAGE": 422, "SPREADSHEET_INVALID": 422, "XLSFORM_INVALID": 422, "CSV_INVALID": 422,
    "RECORD_INVALID": 422, "MATCH_NOT_CONFIGURED": 422, "RECIPIENT_INVALID": 422, "CONSENT_MISSING": 422,
    "CLOSURE_INCOMPLETE": 422, "PASSWORD_TOO_SHORT": 422, "PASSWORD_TOO_WEAK": 422,
    "PASSWORD_INCORRECT": 422, "EXPORT_NOT_READY": 422, "EXPORT_KEY_CHANGED": 422, "EXPORT_CANCELLED": 422,
    "ATTACHMENT_DAMAGED": 422, "MERGE_INVALID": 422, "REPORT_INVALID": 422, "BOUNDARIES_INVALID": 422,
    "BACKUP_FOREIGN": 422, "BACKUP_KEY_WRONG": 422, "BACKUP_DAMAGED": 422, "BACKUP_TOO_NEW": 422,
    "BACKUP_PASSWORD_MISSING": 422, "BACKUP_PASSWORD_SHORT": 422,
    # 429
    "TOO_MANY_ATTEMPTS": 429,
    # 500: Abri's own fault, or a start it refuses; 503: the database
    "INTERNAL_ERROR": 500, "SETTING_INVALID": 500, "PROFILE_MISMATCH": 500,
    "STORAGE_UNAVAILABLE": 503, "ALERT_STREAMS_FULL": 503, "MIGRATION_BUSY": 503, "BACKUP_NO_SNAPSHOT": 503,
}


def status_of(error: AbriError) -> int:
    """The HTTP status of an error's code (a code the table lacks answers as its kind says, and is logged)."""
    status = STATUSES.get(error.code)
    if status is None:
        log.error("error code %s has no HTTP status in server/api/errors.py", error.code)
        return error.status
    return status


def request_locale() -> str | None:
    locale = get_locale()
    return str(locale) if locale else None


def from_http_exception(exc: HTTPException) -> AbriError:
    """Translate a werkzeug or webargs error into the catalogue."""
    data = getattr(exc, "data", None)
    messages = data.get("messages") if isinstance(data, dict) else None
    if messages and any(isinstance(value, list) for value in messages.values()):
        return BadRequest(Error.MALFORMED_JSON)  # webargs could not read the body at all ("Invalid JSON body.")
    if messages:  # webargs: query or body arguments that do not fit their schema
        details = list(flatten_messages(messages))
        if next(iter(messages), "json") == "query":
            return BadRequest(Error.QUERY_INVALID, details=details)
        return Unprocessable(Error.BODY_INVALID, details=details)
    if exc.code == 400:
        return BadRequest(Error.MALFORMED_JSON)
    if exc.code == 404:
        return NotFound(Error.ROUTE_NOT_FOUND)
    if exc.code == 405:
        return MethodNotAllowed(Error.METHOD_NOT_ALLOWED)
    if exc.code == 413:
        return PayloadTooLarge(Error.PAYLOAD_TOO_LARGE, limit=current_app.config.get("MAX_CONTENT_LENGTH"))
    return AbriError(Error.INTERNAL_ERROR)


_LOCATIONS = frozenset({"json", "query", "form", "headers", "view_args", "files", "cookies"})


def flatten_messages(messages: dict, prefix: str = "") -> Iterator[Detail]:
    """Yield one Detail per failing leaf of marshmallow's nested messages, named by its dotted path."""
    for key, value in messages.items():
        if key in _LOCATIONS and not prefix:
            yield from flatten_messages(value, "")
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            yield from flatten_messages(value, path)
        else:
            for leaf in value if isinstance(value, list) else [value]:
                yield _detail(path, leaf)


def _detail(path: str, leaf: Any) -> Detail:
    if isinstance(leaf, Violation):
        return Detail.of(path, leaf.rule, **leaf.params)
    if isinstance(leaf, Detail):
        return leaf
    # A validator of a schema that does not derive from ArgumentSchema, or one that words its own reason.
    return Detail.of(path, Rule.INVALID_REASON, reason=str(leaf))


def render_error(exc: Exception):
    """Answer any exception as {"error": {code, message, details, request_id}} in the request's language.

    An unexpected error is logged with the request's id (the answer's), its route and its stack, never its text; so
    is a 503 that a failing database call caused.
    """
    if isinstance(exc, HTTPException):
        exc = from_http_exception(exc)
    if not isinstance(exc, AbriError):
        log.error("unhandled error on %s %s", request.method, request.url_rule.rule if request.url_rule else "?",
                  exc_info=exc)
        exc = AbriError(Error.INTERNAL_ERROR)
    elif status_of(exc) == 503 and exc.__cause__ is not None:
        # The database failed under this request (unreachable, a write not confirmed in time): the operator needs
        # to know which call and why, the caller only that it may try again.
        log.warning("database unavailable on %s %s", request.method,
                    request.url_rule.rule if request.url_rule else "?", exc_info=exc)
    body = exc.as_json(request_locale())
    body["error"]["request_id"] = request_id()
    response = jsonify(body)
    response.status_code = status_of(exc)
    response.headers.update(exc.headers)
    return response


class ErrorDetailSchema(Schema):
    """One failing field, as Detail.as_json writes it."""

    field = fields.String(required=True, metadata={
        "description": "Where: a JSON pointer into the body (/data/age), a query parameter or a header (If-Match)."})
    code = fields.String(required=True, metadata={"description": "The rule that failed, stable (required, type, "
                                                                 "range, unknown, forbidden, ...)."})
    message = fields.String(required=True, metadata={"description": "The rule in the request's language."})


class ProblemSchema(ErrorDetailSchema):
    """A configuration check result that does not block (server.metadata.problems.Problem.as_json)."""

    severity = fields.String(required=True, metadata={"description": "error or warning."})


class ErrorBodySchema(Schema):
    """The `error` object of AbriError.as_json: `extra` keys are declared here as they are added."""

    code = fields.String(required=True, metadata={"description": "Stable error code (RECORD_INVALID, NOT_FOUND, "
                                                                 "STALE_REVISION, ...)."})
    message = fields.String(required=True, metadata={"description": "What went wrong, in the request's language."})
    details = fields.List(fields.Nested(ErrorDetailSchema), required=True,
                          metadata={"description": "Every failing field (empty when the error is not about one)."})
    revision = fields.Integer(metadata={"description": "The stored record's revision (ALREADY_EXISTS of a record)."})
    warnings = fields.List(fields.Nested(ProblemSchema), metadata={
        "description": "Check warnings that travel with CHECKS_FAILED."})
    wipe = fields.Boolean(metadata={"description": "True with DEVICE_REVOKED: the device must erase the data it "
                                                   "keeps (records, bundle, credential)."})
    request_id = fields.String(required=True, metadata={
        "description": "The request's id, as in the X-Request-Id header and the server's log lines: quote it when "
                       "reporting a problem."})


class ErrorSchema(Schema):
    """Every error answer, 500 included: {"error": {"code", "message", "details": [{"field", "code", "message"}],
    "request_id"}}."""

    error = fields.Nested(ErrorBodySchema, required=True)


def init_errors(app: Flask) -> None:
    """Answer every error, 500 included, in the one JSON shape (after the API, to replace its handler)."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, render_error)
