"""The OpenAPI 3.1 document of /api/v1: what flask-smorest generates, completed by the rules every view follows.

Each view documents its success answer (`@blp.response`, schemas in server/api/responses.py) and,
with `@answers`, what only it does: its own error statuses (409, 429), If-Match (412),
If-None-Match (304), or that every user may call it (no 403). OperationRules adds what follows from
the request pipeline that runs before every view (server/api/__init__.py, server/auth, server/i18n):

- 400 for every operation: a query parameter, path segment or `locale` that is not valid, a bad
  `Authorization` header; and for bodies, malformed JSON or a body that is not JSON;
- 401 for every operation (a public one too refuses a token or session that is not valid);
- 403 for every operation that needs a user, unless `everyone`, and for every unsafe method (the
  CSRF token of a session);
- 404 when the path has parameters; 413 and 422 for every POST, PUT and PATCH (any body is checked);
- 500 and 503 everywhere: the one error shape holds for unexpected errors and an unreachable database.

Every error status refers to one response component per status, all with the one `Error` schema
(server.api.errors.ErrorSchema). tests/openapi_check.py checks every answer of the API tests against this.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api

from server.api.errors import ErrorSchema
from server.api.responses import Tombstone
from server.api.authentication import CSRF_HEADER, PUBLIC_ENDPOINTS, SESSION_COOKIE
from server.i18n import known_locales
from server.metadata.documents import meta_schema
from server.records.search import ENVELOPE_FILTERS, MAX_PAGE, MAX_QUERY_LENGTH

JSON = "application/json"
BODY_METHODS = frozenset({"post", "put", "patch"})
UNSAFE_METHODS = BODY_METHODS | {"delete"}
BEARER, COOKIE, CSRF = "bearerToken", "sessionCookie", "csrfToken"
SECURITY_SCHEMES = {
    BEARER: {"type": "http", "scheme": "bearer",
             "description": "A token from POST /api/v1/tokens, sent as `Authorization: Bearer <token>`."},
    COOKIE: {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
             "description": "The admin UI's session from POST /api/v1/sessions (HttpOnly, SameSite=Strict)."},
    CSRF: {"type": "apiKey", "in": "header", "name": CSRF_HEADER,
           "description": "With the session cookie, POST, PUT, PATCH and DELETE also send the session's CSRF "
                          "token (from POST /api/v1/sessions or GET /api/v1/sessions/current)."},
}
SAFE_SECURITY = [{BEARER: []}, {COOKIE: []}]
UNSAFE_SECURITY = [{BEARER: []}, {COOKIE: [], CSRF: []}]
ERRORS = {
    400: ("BadRequest", "The request is not valid: malformed JSON or a body that is not JSON (MALFORMED_JSON, "
                        "CONTENT_TYPE), or a query parameter, path segment or header that is not valid "
                        "(BAD_PARAMETER, LOCALE_UNKNOWN); `details` names each one."),
    401: ("Unauthorized", "No valid token or session (AUTHENTICATION_REQUIRED, TOKEN_INVALID). A public route "
                          "refuses an expired or malformed one too. DEVICE_REVOKED (with `wipe`: true): the "
                          "credential of a revoked device; the device must erase its data."),
    403: ("Forbidden", "The user's role may not do this (PERMISSION_DENIED; FIELDS_FORBIDDEN names the fields), "
                       "or a session's request lacks its CSRF token (CSRF_FAILED)."),
    404: ("NotFound", "No such thing in what the user may see (NOT_FOUND)."),
    409: ("Conflict", "The request conflicts with the current state (ALREADY_EXISTS, IN_USE, NOTHING_TO_PUBLISH, "
                      "DRAFT_NOT_EMPTY, RECORD_DISABLED, ...)."),
    412: ("PreconditionFailed", "If-Match names a revision that is no longer the current one (STALE_REVISION): "
                               "reload and apply the change again."),
    413: ("PayloadTooLarge", "The body is larger than the server accepts (PAYLOAD_TOO_LARGE, or the upload's own "
                            "limits: ATTACHMENT_TOO_LARGE, ...)."),
    415: ("UnsupportedMediaType", "The file's content (read from its bytes, whatever its name) is not of a kind "
                                  "the field takes (ATTACHMENT_TYPE_REFUSED)."),
    422: ("Unprocessable", "The body is not valid (BODY_INVALID, RECORD_INVALID, CHECKS_FAILED, DOCUMENT_INVALID, "
                          "...); `details` has one entry per failing field, as a JSON pointer."),
    429: ("TooManyAttempts", "Too many unsuccessful logins (TOO_MANY_ATTEMPTS): wait `Retry-After` seconds."),
    500: ("InternalError", "An unexpected error (INTERNAL_ERROR); it was logged."),
    503: ("ServiceUnavailable", "The database cannot be reached or did not confirm the write in time "
                                "(STORAGE_UNAVAILABLE): try again."),
}
HEADERS = {  # required: sent with every answer that refers to them
    "ETag": {"description": "The representation's tag: send it back in If-None-Match (published metadata) or "
                            "If-Match (the revision of a record or a draft document).",
             "required": True, "schema": {"type": "string"}},
    "ETagOfPublished": {"description": "The tag of the published representation, for If-None-Match (lists of "
                                       "the draft have none).", "schema": {"type": "string"}},
    "Location": {"description": "Where the new resource is.", "required": True, "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait.", "required": True, "schema": {"type": "integer"}},
}
PARAMETERS = {
    "IfMatch": {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
                "description": "The revision the change is based on (the `revision`, or the ETag, \"3\"): a newer "
                               "one on the server answers 412 instead of overwriting it."},
    "IfNoneMatch": {"in": "header", "name": "If-None-Match", "required": False, "schema": {"type": "string"},
                    "description": "The ETag of the representation the client holds: 304 when it is current."},
}


def answers(*errors: int, if_match: bool = False, revalidates: bool = False, everyone: bool = False) -> Callable:
    """Declare what a view answers beyond the rules of OperationRules (see the module docstring)."""
    def decorate(view: Callable) -> Callable:
        view.abri_openapi = {"errors": errors, "if_match": if_match, "revalidates": revalidates,
                             "everyone": everyone}
        return view
    return decorate


class OperationRules(BasePlugin):
    """Complete every operation with its security, common parameters and error answers."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        rule = kwargs.get("rule")
        for method, operation in (operations or {}).items():
            view = self._view(rule.endpoint, method) if rule is not None else None
            declared = getattr(view, "abri_openapi", {})
            public = rule is not None and rule.endpoint in PUBLIC_ENDPOINTS
            complete_operation(operation, method, "{" in (path or ""), public, declared)

    def _view(self, endpoint: str, method: str) -> Callable | None:
        view = self.app.view_functions.get(endpoint)
        view_class = getattr(view, "view_class", None)
        return getattr(view_class, method, None) if view_class else view


def complete_operation(operation: dict, method: str, has_path_parameters: bool, public: bool,
                       declared: dict[str, Any]) -> None:
    """Set an operation's security, `locale` and header parameters, and its error answers."""
    if public:
        operation["security"] = []
    else:
        operation["security"] = UNSAFE_SECURITY if method in UNSAFE_METHODS else SAFE_SECURITY
    parameters = operation.get("parameters", [])
    if not any(isinstance(p, dict) and p["name"] == "locale" and p.get("required") for p in parameters):
        # every route takes ?locale= (server.i18n); where a view reads it too, it has the same values
        parameters = [p for p in parameters if not (isinstance(p, dict) and p["name"] == "locale")] + ["locale"]
    if declared.get("if_match"):
        parameters.append("IfMatch")
    if declared.get("revalidates"):
        parameters.append("IfNoneMatch")
    operation["parameters"] = parameters
    responses = {code: response for code, response in operation.get("responses", {}).items()
                 if str(code).isdigit() and int(code) < 400}
    statuses = {400, 401, 500, 503, *declared.get("errors", ())}
    if (not public and not declared.get("everyone")) or method in UNSAFE_METHODS:
        statuses.add(403)
    if has_path_parameters:
        statuses.add(404)
    if method in BODY_METHODS:
        statuses |= {413, 422}
    if declared.get("if_match"):
        statuses.add(412)
    if declared.get("revalidates"):
        responses[304] = "NotModified"
    responses.update({status: ERRORS[status][0] for status in sorted(statuses)})
    operation["responses"] = dict(sorted(responses.items(), key=lambda item: int(item[0])))


class AbriApi(Api):
    """flask-smorest's Api without its own error responses: Abri's are in ERRORS, with server.api.errors.ErrorSchema."""

    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ErrorSchema

    def _register_responses(self) -> None:
        """Register Abri's error answers (flask-smorest's default ones are not its shape)."""
        self.spec.components.schema("Error", schema=ErrorSchema)
        for status, (name, description) in ERRORS.items():
            response = {"description": description, "content": {JSON: {"schema": "Error"}}}
            if status == 429:
                response["headers"] = {"Retry-After": "Retry-After"}
            self.spec.components.response(name, response)
        self.spec.components.response("NotModified", {
            "description": "The client's copy is current (If-None-Match): no body.", "headers": {"ETag": "ETag"}})

    def _register_etag_headers(self) -> None:
        """Register the headers Abri uses (flask-smorest's ETag decorators are not used)."""
        for name, header in HEADERS.items():
            self.spec.components.header(name, header)
        for name, parameter in PARAMETERS.items():
            self.spec.components.parameter(name, parameter["in"], parameter)

    def _register_pagination_header(self) -> None:
        """Abri pages in `meta` (total, page, per_page), not in a header."""


def create_api(app: Flask) -> AbriApi:
    """Build the Api with the rules of every operation, the security schemes and the `locale` parameter."""
    api = AbriApi(app, spec_kwargs={"extra_plugins": [OperationRules(app)]})
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
    with app.app_context():
        locales = list(known_locales())
    api.spec.components.parameter("locale", "query", {
        "required": False, "schema": {"type": "string", "enum": locales},
        "description": "Language of the messages, and of labels where the route says so. Without it: the user's "
                       "preference, then Accept-Language, then the server's default."})
    api.spec.options["security"] = SAFE_SECURITY
    return api


def document_openapi_route(api: AbriApi, app: Flask) -> None:
    """Describe GET /api/v1/openapi.json itself (public)."""
    rule = next(app.url_map.iter_rules("api-docs.openapi_json"))
    operation = {"tags": ["openapi"], "summary": "This OpenAPI document.",
                 "responses": {200: {"description": "The OpenAPI 3.1 document of /api/v1.",
                                     "content": {JSON: {"schema": {"type": "object", "required": ["openapi"]}}}}}}
    api.spec.path(rule=rule, operations={"get": operation})


# The metadata meta-schemas (server/metadata/schemas/*.json) refer to each other by file name.
META_SCHEMAS = ("form", "field", "lookup", "module", "role", "location", "i18n", "expression", "report")
LOCALIZED = ("form", "field", "lookup", "module", "role", "report")  # the kinds a document route localizes


def register_document_schemas(api: AbriApi) -> None:
    """Add the meta-schemas as components (`meta-form`, ...) and their one-language forms (`localized-form`, ...)."""
    api.spec.components.schema("Tombstone", schema=Tombstone)
    for name in META_SCHEMAS:
        api.spec.components.schema(f"meta-{name}", component=_as_component(_inline_defs(meta_schema(name)), "meta"))
    for name in LOCALIZED:
        localized = _localized(_as_component(_inline_defs(meta_schema(name)), "localized"))
        localized["title"] = f"{localized.get('title', name)} in one language (?locale=)"
        api.spec.components.schema(f"localized-{name}", component=localized)


def _inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local definitions (`#/$defs/x`) written in place: a component has no root of its own."""
    definitions = schema.get("$defs", {})

    def inline(part: Any) -> Any:
        if isinstance(part, list):
            return [inline(item) for item in part]
        if not isinstance(part, dict):
            return part
        ref = part.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return inline(copy.deepcopy(definitions[ref.removeprefix("#/$defs/")]))
        return {key: inline(value) for key, value in part.items() if key != "$defs"}
    return inline(schema)


def _as_component(schema: Any, prefix: str) -> Any:
    """Copy a meta-schema for #/components/schemas: file references become component references."""
    if isinstance(schema, list):
        return [_as_component(item, prefix) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key in ("$id", "$schema"):
            continue
        if key == "$ref" and isinstance(value, str) and value.endswith(".json"):
            target = value[:-5]
            result[key] = f"#/components/schemas/{prefix if target in LOCALIZED else 'meta'}-{target}"
        else:
            result[key] = _as_component(copy.deepcopy(value), prefix)
    return result


def _localized(schema: Any) -> Any:
    """The schema of server.metadata.labels.localize_document's output: `x_i18n` maps become the text `x`."""
    if isinstance(schema, list):
        return [_localized(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            result[key] = {_plain(name): _localized_property(name, sub) for name, sub in value.items()}
        elif key == "required" and isinstance(value, list):
            result[key] = list(dict.fromkeys(_plain(name) for name in value))
        else:
            result[key] = _localized(value)
    return result


def _localized_property(name: str, schema: Any) -> Any:
    if (name.endswith("_i18n") or name == "display_text") and isinstance(schema, dict) \
            and schema.get("$ref") == "#/components/schemas/meta-i18n":
        return {"type": "string", "description": "The text in the language asked for (or the default language)."}
    return _localized(schema)


def _plain(name: str) -> str:
    return name[:-5] if name.endswith("_i18n") else name


def record_list_parameters() -> list[dict[str, Any]]:
    """The query parameters of a record list: fixed ones, envelope filters, and the forms' filterable fields."""
    def query(name: str, schema: dict, description: str) -> dict[str, Any]:
        return {"in": "query", "name": name, "required": False, "schema": schema, "description": description}

    kinds = {"text": "A value, or several: a,b.", "bool": "true or false.",
             "datetime": "A moment or a day (ISO 8601), several (a,b), or a range a..b (a.. and ..b too; a day as "
                         "the upper bound includes that day)."}
    return [
        query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
              "The page, from 1 (each page reads the ones before it: past the first pages, follow next_cursor)."),
        query("cursor", {"type": "string", "maxLength": 200},
              "The next_cursor of the previous page (same filters and sort); not with page."),
        query("per_page", {"type": "integer", "minimum": 1, "default": 50},
              "Records per page; more than the server's MAX_PER_PAGE (1000 by default) is capped."),
        query("sort", {"type": "string", "default": "-last_updated_at"},
              "Comma-separated envelope or filterable field names; a leading - sorts descending."),
        query("query", {"type": "string", "maxLength": MAX_QUERY_LENGTH},
              "Words that must each begin a word of a searchable field (ignoring case and accents)."),
        query("fields", {"type": "string"}, "Comma-separated names of the `data` fields to return."),
        query("updated_since", {"type": "string", "format": "date-time"},
              "Only records changed after this moment (sync pulls)."),
        *(query(name, {"type": "string"}, f"Envelope filter ({kind}): {kinds[kind]}")
          for name, kind in ENVELOPE_FILTERS.items()),
        {"in": "query", "name": "filters", "required": False, "style": "form", "explode": True,
         "schema": {"type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                    "additionalProperties": {"type": "string"}},
         "description": "Filters on the `data` fields the published forms mark `filterable`, one query parameter "
                        "per field: ?sex=female&age=10..15&registration_date=2024-01-01..2024-06-30. A value, a list "
                        "a,b, or for numbers and dates a range a..b; a location also finds the places below it. Any "
                        "other name is refused with 400 naming the filterable fields (GET /schemas/{record_type} "
                        "and GET /forms tell which fields are filterable)."},
    ]
