"""What the API views share: the envelope, conditional GETs, settings of the request."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any, Callable

from flask import Response, current_app, g, jsonify, request
from flask_babel import get_locale
from marshmallow import fields, validate

from server.api.arguments import ArgumentSchema
from server.api.authentication import current_device_id, current_principal, current_user_name
from server.metadata.configuration import Configuration
from server.metadata.versions import LanguageSettings, published_configuration
from server.services.context import Context
from server.storage import get_db
from server.storage.query import MAX_PAGE, MAX_PER_PAGE, parse_page


class PageArgs(ArgumentSchema):
    """Pagination query arguments (bounded, so that the records to skip fit the database's integers)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class UTCDateTime(fields.AwareDateTime):
    """A moment with its offset, given back in UTC as MongoDB stores it; refused when that leaves years 1-9999."""

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(timezone.utc)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None


def page_size(args: dict[str, Any], default: int = 50) -> tuple[int, int]:
    """Return (page, per_page) with per_page capped at MAX_PER_PAGE; BadRequest beyond the bounds of PageArgs."""
    page = parse_page(args.get("page"), args.get("per_page") or None, current_app.config["MAX_PER_PAGE"], default)
    return page.number, page.size


def envelope(data: Any, status: int = 200, headers: dict[str, str] | None = None, **meta: Any) -> Response:
    """Answer {"data": ..., "meta": {...}}."""
    response = jsonify({"data": data, "meta": meta})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def conditional(tag_parts: tuple, build: Callable[[], Response]) -> Response:
    """Answer 304 when the client holds the same representation, else build it with its ETag.

    The tag is derived from what determines the body (the published version's fingerprint,
    the route and its arguments, the language), so a revalidation never builds the body.
    """
    digest = hashlib.sha256(repr((request.path, sorted(request.args.items(multi=True)), *tag_parts)).encode())
    etag = digest.hexdigest()[:32]
    if request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
    else:
        response = build()
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.add("Accept-Language")
    return response


def published() -> Configuration:
    """The published configuration, read once per request (authentication already fetched it)."""
    if "abri_config" not in g:
        g.abri_config = published_configuration(get_db())
    return g.abri_config


def languages() -> LanguageSettings:
    """Return the deployment's label languages."""
    return LanguageSettings.of(current_app.config)


def request_context() -> Context:
    """The caller of a use case from this request: the principal, the client's address, the request's language."""
    locale = get_locale()
    return Context(db=get_db(), settings=current_app.config, principal=current_principal(),
                   user_name=current_user_name(), address=request.remote_addr, device_id=current_device_id(),
                   locale=str(locale) if locale else None, _config=g.get("abri_config"))
