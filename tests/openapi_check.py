"""Every /api/v1 answer a test receives is checked against the OpenAPI document the app serves.

OpenAPICheckingClient is the test client of every Abri app of the suite (tests/conftest.py). For each
request under /api/v1 it finds the operation (path template and method) and fails the test that made
the request unless the status is documented for it and the body fits the documented content: its media
type, and for JSON the schema (openapi-schema-validator's OAS31Validator, the OpenAPI 3.1 dialect of
JSON Schema 2020-12, with format checks), and the headers the document says are always sent. A path
the document does not have, or a method it does not list, must be a 404 or 405 in the one error shape.

Only bodies that are not JSON (xlsx, csv or zip downloads) are not validated, by their documented
media type. Validators are built once per test session for each distinct document and operation.
"""
from __future__ import annotations

import hashlib
import gzip
import json
import re
from functools import lru_cache
from typing import Any

from flask.testing import FlaskClient
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS31Validator, oas31_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

API_PREFIX = "/api/v1/"
DOCUMENT_URI = "urn:abri:openapi"
ERROR_SCHEMA = "/components/schemas/Error"
NO_BODY = (204, 304)


class OpenAPICheckingClient(FlaskClient):
    """A Flask test client that checks every /api/v1 answer against the app's OpenAPI document."""

    def open(self, *args: Any, **kwargs: Any):
        response = super().open(*args, **kwargs)
        request = response.request
        if request.path.startswith(API_PREFIX) and request.method != "OPTIONS":
            problem = document_of(self.application).problem(request.method, request.path, response)
            if problem:
                raise AssertionError(f"{request.method} {request.path} answered {response.status_code}, "
                                     f"which the OpenAPI document does not allow: {problem}\n"
                                     "Document it (server/api, server/api/openapi.py) or fix the answer.")
        return response


def check_api_answers() -> None:
    """Make OpenAPICheckingClient the test client of every Abri app (tests/conftest.py calls this)."""
    from server.app import AbriFlask

    AbriFlask.test_client_class = OpenAPICheckingClient


def document_of(app) -> "Document":
    """The checker of the app's document, built once per distinct document in the session."""
    key = app.extensions.get("abri_openapi_key")
    if key is None:
        text = json.dumps(app.extensions["abri_api"].spec.to_dict(), sort_keys=True, default=str)
        key = app.extensions["abri_openapi_key"] = hashlib.sha256(text.encode()).hexdigest()
        _DOCUMENTS.setdefault(key, text)
    return _document(key)


_DOCUMENTS: dict[str, str] = {}


@lru_cache(maxsize=None)
def _document(key: str) -> "Document":
    return Document(json.loads(_DOCUMENTS[key]))


def pointer(*parts: str) -> str:
    """A JSON pointer to `parts` (RFC 6901)."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


class Document:
    """One OpenAPI document: its operations by path template, and validators built on first use."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry = Registry().with_resource(DOCUMENT_URI, Resource(document, DRAFT202012))
        self.validators: dict[str, Any] = {}
        templates = []
        for template in document["paths"]:
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            # literal segments win over parameters (/forms/{id}/fields/order before /forms/{id}/fields/{name})
            templates.append((template.count("{"), template, re.compile(pattern + r"\Z")))
        self.templates = sorted(templates)

    def find(self, path: str) -> str | None:
        return next((template for _, template, regex in self.templates if regex.match(path)), None)

    def problem(self, method: str, path: str, response) -> str | None:
        """Return why the answer does not fit the document, or None."""
        template = self.find(path)
        operation = self.document["paths"][template].get("get" if method == "HEAD" else method.lower()) \
            if template else None
        if operation is None:
            if response.status_code not in (404, 405):
                return f"no operation {method} {template or path} in the document"
            return self._body_problem(response, ERROR_SCHEMA, method)
        where = pointer("paths", template, "get" if method == "HEAD" else method.lower(), "responses",
                        str(response.status_code))
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            return f"status {response.status_code} is not documented (documented: {', '.join(operation['responses'])})"
        if "$ref" in documented:
            where = documented["$ref"][1:]
            documented = self.resolve(where)
        for name, header in documented.get("headers", {}).items():
            header = self.resolve(header["$ref"][1:]) if "$ref" in header else header
            if header.get("required") and name not in response.headers:
                return f"the header {name} is missing"
        content = documented.get("content")
        if not content:
            if response.status_code in NO_BODY or method == "HEAD":
                return None
            return "a body where the document says there is none" if response.get_data() else None
        media = response.mimetype
        if media not in content:
            return f"media type {media!r}, documented: {', '.join(content)}"
        if media != "application/json" or method == "HEAD":
            return None  # downloads (xlsx, csv, zip) are checked by their media type only
        return self._body_problem(response, where + pointer("content", media, "schema"), method)

    def resolve(self, where: str) -> Any:
        node = self.document
        for part in where.lstrip("/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _body_problem(self, response, where: str, method: str) -> str | None:
        if method == "HEAD":
            return None
        data = response.get_data()
        if response.headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        try:
            body = json.loads(data)
        except ValueError:
            return f"a body that is not JSON ({response.mimetype}): {response.get_data()[:200]!r}"
        error = best_match(self.validator(where).iter_errors(body))
        if error is None:
            return None
        while error.context:  # anyOf, oneOf: the closest alternative's own error
            error = best_match(error.context)
        at = "".join(f"/{part}" for part in error.absolute_path) or "/"
        return f"the body at {at} does not fit {where}: {error.message[:500]}"

    def validator(self, where: str):
        if where not in self.validators:
            self.validators[where] = OAS31Validator({"$ref": f"{DOCUMENT_URI}#{where}"}, registry=self.registry,
                                                    format_checker=oas31_format_checker)
        return self.validators[where]
