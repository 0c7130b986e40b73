"""The OpenAPI document of /api/v1 is valid and says what the API does (issue #13, section 3).

Every answer the API tests receive is also checked against it (tests/openapi_check.py); these tests
check the document itself, the checker, and the shipped configuration's answers.
"""
from __future__ import annotations

import copy
import json

import pytest
from openapi_spec_validator import validate

from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings
from server.storage import get_db
from tests.builders import make_user
from tests.conftest import authenticated, make_app
from tests.openapi_check import Document, OpenAPICheckingClient

METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC = {("post", "/api/v1/tokens"), ("post", "/api/v1/sessions"), ("get", "/api/v1/openapi.json")}


def served(app) -> dict:
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


@pytest.fixture(scope="module")
def document():
    return served(make_app("mongomock://"))


@pytest.mark.parametrize("overrides", [{}, {"LANGUAGES": ["fr", "en", "fon", "yo"], "DEFAULT_LANGUAGE": "fr"}],
                         ids=["default", "four-languages"])
def test_the_served_document_passes_openapi_spec_validator(overrides):
    document = served(make_app("mongomock://", **overrides))
    validate(document)  # raises with the first error
    assert document["openapi"] == "3.1.0"
    locales = document["components"]["parameters"]["locale"]["schema"]["enum"]
    assert set(locales) == {"en", "fr", *overrides.get("LANGUAGES", ())}


def test_every_route_of_the_app_is_an_operation_of_the_document(app, document):
    routes = {(method.lower(), rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, path) for method, path, _ in operations(document)}
    as_flask = {(method, path.replace("{", "<").replace("}", ">")) for method, path in documented}
    normalized = {(method, _flask_path(rule)) for method, rule in routes}
    assert normalized == as_flask
    assert len(documented) >= 95


def _flask_path(rule: str) -> str:
    """/metadata/versions/<int:number> -> /metadata/versions/<number>."""
    import re
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", re.sub(r"<any\([^)]*\):", "<", rule))


def test_every_operation_documents_its_success_answer_with_a_schema(document):
    for method, path, operation in operations(document):
        successes = {code: answer for code, answer in operation["responses"].items() if code.startswith("2")}
        assert successes, (method, path)
        for code, answer in successes.items():
            if code == "204":
                assert "content" not in answer, (method, path)
                continue
            assert answer["content"], (method, path, code)
            for media, content in answer["content"].items():
                assert content.get("schema"), (method, path, code, media)


def test_every_error_status_refers_to_the_one_error_shape(document):
    components = document["components"]
    error = components["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = components["schemas"][error["properties"]["error"]["$ref"].rsplit("/", 1)[1]]
    assert set(body["required"]) == {"code", "message", "details", "request_id"}
    detail = components["schemas"][body["properties"]["details"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(detail["required"]) == {"field", "code", "message"}
    for method, path, operation in operations(document):
        errors = {code: answer for code, answer in operation["responses"].items() if int(code) >= 400}
        assert {"400", "401", "500", "503"} <= set(errors), (method, path)
        assert "default" not in operation["responses"]  # a catch-all would make every status "documented"
        for code, answer in errors.items():
            response = components["responses"][answer["$ref"].rsplit("/", 1)[1]]
            assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
        if method in ("post", "put", "patch"):
            assert {"413", "422"} <= set(errors), (method, path)


def test_the_statuses_each_operation_can_answer_are_documented(document):
    paths = document["paths"]
    statuses = lambda path, method: set(paths[path][method]["responses"])  # noqa: E731
    assert {"201", "200", "409"} <= statuses("/api/v1/cases", "post")  # created, or the same create again
    assert {"412", "409", "404"} <= statuses("/api/v1/cases/{record_id}", "patch")
    assert {"304", "404"} <= statuses("/api/v1/forms", "get")  # If-None-Match; since= beyond the newest version
    assert "429" in statuses("/api/v1/tokens", "post")
    assert "202" in statuses("/api/v1/exports", "post")
    assert "403" not in statuses("/api/v1/users/current", "get")  # every user may ask who they are
    assert "404" not in statuses("/api/v1/users", "get")


def test_security_schemes_and_public_operations(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {"type": "http", "scheme": "bearer", "description": schemes["bearerToken"]["description"]}
    assert (schemes["sessionCookie"]["type"], schemes["sessionCookie"]["in"], schemes["sessionCookie"]["name"]) \
        == ("apiKey", "cookie", "abri_session")
    assert (schemes["csrfToken"]["in"], schemes["csrfToken"]["name"]) == ("header", "X-CSRF-Token")
    for method, path, operation in operations(document):
        if (method, path) in PUBLIC:
            assert operation["security"] == [], (method, path)
        elif method == "get":
            assert operation["security"] == [{"bearerToken": []}, {"sessionCookie": []}], (method, path)
        else:  # a session's unsafe request carries its CSRF token
            assert operation["security"] == [{"bearerToken": []}, {"sessionCookie": [], "csrfToken": []}], (method, path)
    assert {(m, p) for m, p, _ in operations(document)} >= PUBLIC


def test_record_lists_document_their_filters(document):
    for path in ("/api/v1/cases", "/api/v1/incidents", "/api/v1/tracing_requests", "/api/v1/cases/{record_id}/incidents"):
        parameters = {p["name"]: p for p in document["paths"][path]["get"]["parameters"] if "name" in p}
        assert {"page", "per_page", "sort", "query", "fields", "updated_since", "status", "record_state",
                "owned_by", "created_at", "last_updated_at", "filters"} <= set(parameters), path
        filters = parameters["filters"]
        # the form fields marked filterable, one query parameter each (?sex=female&age=10..15)
        assert (filters["in"], filters["style"], filters["explode"]) == ("query", "form", True)
        assert filters["schema"]["type"] == "object" and filters["schema"]["additionalProperties"] == {"type": "string"}
        assert parameters["page"]["schema"]["minimum"] == 1
        refs = [p["$ref"] for p in document["paths"][path]["get"]["parameters"] if "$ref" in p]
        assert refs == ["#/components/parameters/locale"]


def test_headers_of_revalidation_revisions_and_new_resources(document):
    paths = document["paths"]
    forms = paths["/api/v1/forms/{unique_id}"]["get"]
    assert {"$ref": "#/components/parameters/IfNoneMatch"} in forms["parameters"]
    assert forms["responses"]["200"]["headers"]["ETag"] == {"$ref": "#/components/headers/ETag"}
    patch = paths["/api/v1/cases/{record_id}"]["patch"]
    assert {"$ref": "#/components/parameters/IfMatch"} in patch["parameters"]
    assert patch["responses"]["412"] == {"$ref": "#/components/responses/PreconditionFailed"}
    assert paths["/api/v1/exports"]["post"]["responses"]["202"]["headers"]["Location"] == \
        {"$ref": "#/components/headers/Location"}
    links = paths["/api/v1/cases"]["post"]["responses"]["201"]["links"]
    assert links["get"] == {"operationRef": "#/paths/~1api~1v1~1cases~1%7Brecord_id%7D/get",
                            "parameters": {"record_id": "$response.body#/data/id"}}


def test_the_checker_fails_an_undocumented_status_or_a_body_that_does_not_fit(app, client, document):
    response = client.get("/api/v1/users/current")
    assert response.status_code == 200  # checked: it fits
    changed = copy.deepcopy(document)
    del changed["paths"]["/api/v1/users/current"]["get"]["responses"]["200"]
    assert "status 200 is not documented" in Document(changed).problem("GET", "/api/v1/users/current", response)
    body = response.get_json()
    body["data"]["password_hash"] = "x"
    response.set_data(json.dumps(body))
    assert "'password_hash' was unexpected" in Document(document).problem("GET", "/api/v1/users/current", response)


def test_the_checking_client_fails_the_test_that_got_an_undocumented_answer(app):
    changed = copy.deepcopy(served(app))
    changed["paths"]["/api/v1/permissions"]["get"]["responses"].pop("401")
    checker = Document(changed)
    app.extensions["abri_openapi_key"] = "changed-for-this-test"
    from tests import openapi_check
    openapi_check._document.cache_clear()
    openapi_check._DOCUMENTS["changed-for-this-test"] = json.dumps(changed)
    try:
        assert isinstance(app.test_client(), OpenAPICheckingClient)
        with pytest.raises(AssertionError, match="GET /api/v1/permissions answered 401.*not documented"):
            app.test_client().get("/api/v1/permissions")
        assert checker.problem("GET", "/api/v1/nowhere", app.test_client().get("/api/v1/nowhere")) is None
    finally:
        openapi_check._DOCUMENTS.pop("changed-for-this-test")
        openapi_check._document.cache_clear()


@pytest.fixture(scope="module")
def shipped():
    """The shipped configuration (every form, lookup, module and role) with a case worker."""
    app = make_app("mongomock://")
    with app.app_context():
        bootstrap_configuration(get_db(), app.config["METADATA_DIR"], LanguageSettings(("en", "fr"), "en"))
    admin = make_user(app, "admin", "role-system-administrator")
    worker = make_user(app, "worker", "role-case-worker")
    return app, authenticated(app, admin), authenticated(app, worker)


WORKER_READS = ["/api/v1/forms", "/api/v1/forms?locale=fr", "/api/v1/lookups?locale=en", "/api/v1/modules",
                "/api/v1/forms/basic_identity", "/api/v1/forms/basic_identity?locale=fr", "/api/v1/schemas/case",
                "/api/v1/permissions", "/api/v1/users/current", "/api/v1/locations?admin_level=0"]
ADMIN_READS = ["/api/v1/roles", "/api/v1/roles?locale=fr", "/api/v1/metadata/versions/1", "/api/v1/metadata/draft",
               "/api/v1/forms?draft=true&locale=en", "/api/v1/users", "/api/v1/metadata/translations/coverage"]


@pytest.mark.parametrize("url", WORKER_READS + ADMIN_READS)
def test_the_shipped_configuration_is_answered_as_documented(shipped, url):
    """Every document of the shipped configuration fits its meta-schema, and in one language its localized form."""
    _, admin, worker = shipped
    for client in (admin, worker) if url in WORKER_READS else (admin,):
        response = client.get(url)  # the checking client fails here if the answer does not fit
        assert response.status_code == 200, response.get_json()
        assert isinstance(client, OpenAPICheckingClient)
    if "/forms?" in url:  # one language: the labels are texts, not maps
        assert all("name" in form and "name_i18n" not in form for form in response.get_json()["data"])
