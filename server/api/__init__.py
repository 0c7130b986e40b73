"""The JSON API under /api/v1: one blueprint module per resource.

Views are parse -> call one service -> dump. Every body is JSON; the checks every body passes
(valid JSON, no operator-like keys, bounded nesting, only texts and numbers MongoDB can store) run once
here, before any view, and so do those of query parameters and path segments.
"""
from __future__ import annotations

import math
import re

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from server.api import data_protection
from server.api import (accounts, alerts, attachments, audit, auth, devices, documents, exports, field_types,
                        locations, matching, metadata, openapi, primero, records, reports, schemas, sync,
                        workflow, xlsform)
from server.errors import BadRequest, Detail, Error, Unprocessable
from server.records.search import INT64_MAX, INT64_MIN
from server.rules import Rule

MAX_DEPTH = 32
UPLOAD_TYPES = frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"})
_SURROGATES = re.compile("[\ud800-\udfff]")  # only unpaired ones survive decoding: not valid Unicode


def printable(text: str) -> str:
    """Return text safe to echo in an error: lone surrogates and NUL written as escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def text_problem(text: str, where: str) -> Detail | None:
    """Return why a text cannot be stored (NUL, unpaired surrogates), or None."""
    if "\x00" in text:
        return Detail.of(printable(where), Rule.NUL)
    if _SURROGATES.search(text):
        return Detail.of(printable(where), Rule.SURROGATE)
    return None


def number_problem(value: int | float, where: str) -> Detail | None:
    """Return why a JSON number cannot be stored (NaN, Infinity, beyond 64 bits), or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return Detail.of(where, Rule.NOT_FINITE)
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return Detail.of(where, Rule.INT64_RANGE, min=INT64_MIN, max=INT64_MAX)
    return None


def _walk(value, path: str, depth: int):
    """Yield details for what no body may hold: operator-like or unstorable keys and texts, numbers MongoDB
    cannot store, deep nesting."""
    if depth > MAX_DEPTH:
        yield Detail.of(path or "/", Rule.MAX_DEPTH, limit=MAX_DEPTH)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}/{key}"
            problem = text_problem(key, here)
            if problem:
                yield problem
            elif key.startswith("$") or "." in key:
                yield Detail.of(here, Rule.KEY_FORBIDDEN)
            else:
                yield from _walk(item, here, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}/{index}", depth + 1)
    elif isinstance(value, str):
        problem = text_problem(value, path or "/")
        if problem:
            yield problem
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        problem = number_problem(value, path or "/")
        if problem:
            yield problem


def check_json_body() -> None:
    """Refuse malformed JSON, operator-like keys, unstorable texts and numbers, deep nesting before any view runs."""
    if request.endpoint in attachments.UPLOAD_ENDPOINTS:  # a file, read by its use case once the rights are checked
        return
    if request.method not in ("POST", "PUT", "PATCH") or not request.content_length and not request.data:
        return
    if request.mimetype in UPLOAD_TYPES:  # files (translation spreadsheets, CSV) are checked by their reader
        return
    if not request.is_json:
        raise BadRequest(Error.CONTENT_TYPE)
    try:
        body = request.get_json(silent=False)
    except RecursionError:
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/", Rule.TOO_DEEP)]) from None
    except RequestEntityTooLarge:
        raise
    except Exception:  # werkzeug raises BadRequest for undecodable JSON
        raise BadRequest(Error.MALFORMED_JSON) from None
    details = list(_walk(body, "", 0))
    if details:
        raise Unprocessable(Error.BODY_INVALID, details=details)


def check_url_text() -> None:
    """Refuse query parameters and path segments that no database could hold (NUL, unpaired surrogates,
    whole numbers beyond 64 bits), naming the parameter, before any view runs."""
    details = []
    for name, value in request.args.items(multi=True):
        details.append(text_problem(name, name) or text_problem(value, name))
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            details.append(text_problem(value, name))
        elif isinstance(value, int):
            details.append(number_problem(value, name))
    details = [detail for detail in details if detail]
    if details:
        raise BadRequest(Error.URL_INVALID, details=details)


def init_api(app: Flask) -> None:
    """Register the API blueprints and the OpenAPI document."""
    app.config.setdefault("API_TITLE", "Abri")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = openapi.create_api(app)
    app.extensions["abri_api"] = api
    for blueprint in (auth.blp, accounts.blp, audit.blp, *documents.blueprints(), metadata.blp, schemas.blp,
                      *records.blueprints(), exports.blp, locations.blp, field_types.blp, devices.blp,
                      sync.blp, workflow.blp, alerts.blp, attachments.blp, matching.blp, xlsform.blp, primero.blp,
                      reports.blp, data_protection.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    openapi.register_document_schemas(api)
    openapi.document_openapi_route(api, app)
    app.before_request(check_url_text)
    sync.init_sync(app)  # a gzipped push is unpacked before its JSON is checked
    app.before_request(check_json_body)
