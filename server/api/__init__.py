"""The JSON API under /api/v1: one blueprint module per resource.

Views are parse -> call one service -> dump. Every body is JSON; the checks every body passes
(valid JSON, no operator-like keys, bounded nesting) run once here, before any view.
"""
from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext as _l
from flask_smorest import Api
from werkzeug.exceptions import RequestEntityTooLarge

from server.errors import BadRequest, Detail, Unprocessable

MAX_DEPTH = 32
UPLOAD_TYPES = frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv"})


def _walk_keys(value, path: str, depth: int):
    """Yield details for keys that could act as MongoDB operators or paths, and for deep nesting."""
    if depth > MAX_DEPTH:
        yield Detail(path or "/", "max_depth", _l("Nested more than %(limit)s levels deep."), {"limit": MAX_DEPTH})
        return
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{path}/{key}"
            if key.startswith("$") or "." in key:
                yield Detail(here, "key_forbidden", _l("Keys may not start with $ or contain a dot."))
            else:
                yield from _walk_keys(item, here, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_keys(item, f"{path}/{index}", depth + 1)


def check_json_body() -> None:
    """Refuse malformed JSON, operator-like keys and deep nesting before any view runs."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.content_length and not request.data:
        return
    if request.mimetype in UPLOAD_TYPES:  # files (translation spreadsheets) are checked by their reader
        return
    if not request.is_json:
        raise BadRequest(_l("Send the body as JSON (Content-Type: application/json)."), code="CONTENT_TYPE")
    try:
        body = request.get_json(silent=False)
    except RecursionError:
        raise Unprocessable(code="BODY_INVALID", details=[Detail("/", "max_depth", _l("Nested too deeply."))]) from None
    except RequestEntityTooLarge:
        raise
    except Exception:  # werkzeug raises BadRequest for undecodable JSON
        raise BadRequest(_l("The request body is not valid JSON."), code="MALFORMED_JSON") from None
    details = list(_walk_keys(body, "", 0))
    if details:
        raise Unprocessable(code="BODY_INVALID", details=details)


def init_api(app: Flask) -> None:
    """Register the API blueprints and the OpenAPI document."""
    from server.api import accounts, audit, auth, documents, exports, locations, metadata, records, schemas

    app.config.setdefault("API_TITLE", "Abri")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app)
    app.extensions["abri_api"] = api
    for blueprint in (auth.blp, accounts.blp, audit.blp, *documents.blueprints(), metadata.blp, schemas.blp,
                      *records.blueprints(), exports.blp, locations.blp):
        api.register_blueprint(blueprint, url_prefix="/api/v1")
    documents.register_meta_schemas(api)
    app.before_request(check_json_body)
