"""The error tree and the one JSON renderer.

    AbriError                      every error Abri answers on purpose; `code` is stable
    ├── BadRequest            400  MALFORMED_JSON, BAD_PARAMETER, LOCALE_UNKNOWN, ...
    ├── Unauthorized          401  AUTHENTICATION_REQUIRED
    ├── Forbidden             403  PERMISSION_DENIED
    ├── NotFound              404  NOT_FOUND, ROUTE_NOT_FOUND
    ├── MethodNotAllowed      405  METHOD_NOT_ALLOWED
    ├── Conflict              409  ALREADY_EXISTS, PUBLISH_CONFLICT, DRAFT_NOT_EMPTY, IN_USE, ...
    ├── PreconditionFailed    412  STALE_REVISION
    ├── PayloadTooLarge       413  PAYLOAD_TOO_LARGE
    ├── Unprocessable         422  DOCUMENT_INVALID, CHECKS_FAILED, BODY_INVALID, ...
    └── ServiceUnavailable    503  STORAGE_UNAVAILABLE

Anything else that escapes a view is answered as INTERNAL_ERROR (500) in the same shape, which
ErrorSchema describes for the OpenAPI document (server/api/openapi.py).
Messages are lazy gettext templates with %(name)s placeholders, localized when rendered.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, has_app_context, jsonify
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


@dataclass
class Detail:
    """One failing field: a JSON pointer or dotted name, a stable rule code, a message."""

    field: str
    code: str
    message: Any
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": render_message(self.message, self.params)}


def render_message(template: Any, params: dict[str, Any] | None = None) -> str:
    """Localize a lazy message template and fill its placeholders (numbers formatted for the language)."""
    text = str(template)
    if params:
        try:
            return text % {name: _localized(value) for name, value in params.items()}
        except (KeyError, TypeError, ValueError):
            log.warning("message %r does not fit its parameters %r", text, params)
    return text


def _localized(value: Any) -> Any:
    """Numbers as the message's language writes them (12 500 in French, 12,500 in English)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and has_app_context():
        try:
            return format_decimal(value)
        except ArithmeticError:  # beyond Babel's 28 digits (a huge number a client sent): written as is
            return value
    return value


class AbriError(Exception):
    """Base of every error Abri answers on purpose."""

    status = 500
    code = "INTERNAL_ERROR"
    message: Any = _l("An unexpected error occurred. It has been logged.")

    def __init__(self, message: Any = None, *, code: str | None = None,
                 details: list[Detail] | None = None, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        self.params = params
        self.details = details or []
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(f"{self.code}: {render_message(self.message, params)}")

    def as_json(self) -> dict[str, Any]:
        body = {"code": self.code, "message": render_message(self.message, self.params),
                "details": [detail.as_json() for detail in self.details]}
        body.update(self.extra)
        return {"error": body}


class ErrorDetailSchema(Schema):
    """One failing field, as Detail.as_json writes it."""

    field = fields.String(required=True, metadata={
        "description": "Where: a JSON pointer into the body (/data/age), a query parameter or a header (If-Match)."})
    code = fields.String(required=True, metadata={"description": "The rule that failed, stable (required, type, "
                                                                 "range, unknown, forbidden, ...)."})
    message = fields.String(required=True, metadata={"description": "The rule in the request's language."})


class ProblemSchema(ErrorDetailSchema):
    """A configuration check result that does not block (server.metadata.checks.Problem.as_json)."""

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


class ErrorSchema(Schema):
    """Every error answer, 500 included: {"error": {"code", "message", "details": [{"field", "code", "message"}]}}."""

    error = fields.Nested(ErrorBodySchema, required=True)


class BadRequest(AbriError):
    status, code, message = 400, "BAD_REQUEST", _l("The request is not valid.")


class Unauthorized(AbriError):
    status, code, message = 401, "AUTHENTICATION_REQUIRED", _l("Authentication is required.")


class Forbidden(AbriError):
    status, code, message = 403, "PERMISSION_DENIED", _l("You are not allowed to do this.")


class NotFound(AbriError):
    status, code, message = 404, "NOT_FOUND", _l("%(kind)s %(id)s was not found.")


class MethodNotAllowed(AbriError):
    status, code, message = 405, "METHOD_NOT_ALLOWED", _l("This method is not allowed on this resource.")


class Conflict(AbriError):
    status, code, message = 409, "CONFLICT", _l("The request conflicts with the current state.")


class PreconditionFailed(AbriError):
    status, code = 412, "STALE_REVISION"
    message = _l("%(kind)s %(id)s was changed by someone else (revision %(current)s, you sent %(sent)s). "
                 "Reload it and apply your change again.")


class PayloadTooLarge(AbriError):
    status, code, message = 413, "PAYLOAD_TOO_LARGE", _l("The request body is larger than %(limit)s bytes.")


class Unprocessable(AbriError):
    status, code, message = 422, "BODY_INVALID", _l("The request body is not valid.")


class ServiceUnavailable(AbriError):
    status, code, message = 503, "STORAGE_UNAVAILABLE", _l("The database cannot be reached. Try again shortly.")


_HTTP_ERRORS = {
    400: (BadRequest, "MALFORMED_JSON", _l("The request body is not valid JSON.")),
    404: (NotFound, "ROUTE_NOT_FOUND", _l("There is no such route.")),
    405: (MethodNotAllowed, None, None),
    413: (PayloadTooLarge, None, None),
}


def _from_http_exception(exc: HTTPException) -> AbriError:
    """Translate a werkzeug/webargs error into the Abri tree."""
    messages = getattr(exc, "data", {}).get("messages") if isinstance(getattr(exc, "data", None), dict) else None
    if messages:  # webargs: query/body arguments that do not fit their schema
        details = list(_flatten_webargs(messages))
        location = next(iter(messages), "body")
        if location == "query":
            return BadRequest(code="BAD_PARAMETER", message=_l("A query parameter is not valid."), details=details)
        return Unprocessable(details=details)
    cls, code, message = _HTTP_ERRORS.get(exc.code or 500, (AbriError, None, None))
    if cls is PayloadTooLarge:
        from flask import current_app
        return PayloadTooLarge(limit=current_app.config.get("MAX_CONTENT_LENGTH"))
    return cls(message, code=code)


def _flatten_webargs(messages: dict, prefix: str = ""):
    for key, value in messages.items():
        if key in ("json", "query", "form", "headers", "view_args") and not prefix:
            yield from _flatten_webargs(value, "")
            continue
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            yield from _flatten_webargs(value, path)
        else:
            for text in value if isinstance(value, list) else [value]:
                yield Detail(field=path, code=_webargs_code(str(text)), message=_webargs_message(str(text)))


_WEBARGS_CODES = {
    "Unknown field.": ("unknown", _l("This field is not allowed here.")),
    "Missing data for required field.": ("required", _l("This field is required.")),
    "Not a valid integer.": ("type", _l("Must be an integer.")),
    "Not a valid string.": ("type", _l("Must be a text.")),
    "Not a valid boolean.": ("type", _l("Must be true or false.")),
    "Not a valid mapping type.": ("type", _l("Must be an object.")),
    "Not a valid list.": ("type", _l("Must be a list.")),
    "Field may not be null.": ("type", _l("Must not be null.")),
}


def _webargs_code(text: str) -> str:
    return _WEBARGS_CODES.get(text, ("invalid", None))[0]


def _webargs_message(text: str) -> Any:
    known = _WEBARGS_CODES.get(text)
    return known[1] if known else _l("Not a valid value: %(reason)s") % {"reason": text}


def render_error(exc: Exception):
    """Answer any exception as {"error": {code, message, details}}."""
    if isinstance(exc, HTTPException):
        exc = _from_http_exception(exc)
    if not isinstance(exc, AbriError):
        log.exception("unhandled error", exc_info=exc)
        exc = AbriError()
    response = jsonify(exc.as_json())
    response.status_code = exc.status
    response.headers.update(exc.headers)
    return response


def init_errors(app: Flask) -> None:
    """Answer every error, 500 included, in the one JSON shape (after the API, to replace its handler)."""
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, render_error)
