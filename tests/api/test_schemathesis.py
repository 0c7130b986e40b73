"""Schemathesis against the served OpenAPI document: no request, however odd, makes a server error.

Every phase runs, as `schemathesis run` runs them: examples (the ids of real records given as the
examples of the path parameters), coverage, fuzzing (real ids and valid creations mixed into the
generated ones) and stateful; then a state machine of the record routes alone follows the document's
links from a created record to the routes that take its id. It runs logged in as the system
administrator, through the WSGI app (no network), on SecantusDB over the wire (nothing relies on
mongomock's leniency: MongoDB refuses what mongomock stores), and it is deterministic: a fixed seed,
derandomized Hypothesis, a bounded number of examples. Besides not_a_server_error, every answer must
be one the document describes: a documented status, media type, required headers and body schema.
"""
from __future__ import annotations

import os
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import schemathesis
from hypothesis import settings, strategies as st
from schemathesis import engine
from schemathesis.checks import not_a_server_error, response_schema_conformance, status_code_conformance
from schemathesis.engine import events

from tests.builders import minimal_configuration, seed
from tests.conftest import authenticated, make_app

# Examples per operation and phase; ABRI_SCHEMATHESIS_EXAMPLES=200 (and another ABRI_SCHEMATHESIS_SEED)
# explore further, in minutes rather than CI's one.
SEED = int(os.environ.get("ABRI_SCHEMATHESIS_SEED", "20240612"))
MAX_EXAMPLES = int(os.environ.get("ABRI_SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_headers_conformance", "response_schema_conformance")
CONFIG = {
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    "phases": {"stateful": {"max-steps": 10}},
    "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
    "continue-on-failure": True,
    "suppress-health-check": ["all"],
}
RECORD_ROUTES = ("cases", "incidents", "tracing_requests")
# The uploads (a location CSV, a translators' spreadsheet) are sent as generated: text, and bytes.
schemathesis.serializer.alias("text/csv", "text/plain")
schemathesis.serializer.alias("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              "application/octet-stream")
VALID_CREATES = {"/api/v1/cases": [{"data": {"name": "Awa", "sex": "female", "age": 9}}, {"data": {}}],
                 "/api/v1/incidents": [{"data": {"incident_date": "2024-06-30"}}],
                 "/api/v1/tracing_requests": [{"data": {}}]}
CREATE_ROUTES = frozenset(VALID_CREATES)


@pytest.fixture(scope="module")
def served(secantus_uri):
    """The app on SecantusDB with the minimal configuration, an administrator and a few records of each type."""
    app = make_app(secantus_uri)
    token = seed(app, minimal_configuration())
    client = authenticated(app, token)
    ids = {route: [] for route in RECORD_ROUTES}
    for number in range(3):
        for route, data in (("cases", {"name": f"Enfant {number}", "sex": "female", "age": 7 + number}),
                            ("incidents", {"incident_date": "2024-06-0%d" % (number + 1)}),
                            ("tracing_requests", {})):
            response = client.post(f"/api/v1/{route}", json={"data": data})
            assert response.status_code == 201, response.get_json()
            ids[route].append(response.get_json()["data"]["id"])
    database = app.extensions["abri_db"]
    app.config["TEST_SNAPSHOT"] = {name: list(database[name].find()) for name in database.list_collection_names()}
    yield app, ids
    database.client.drop_database(database.name)
    database.client.close()


def _with_examples(raw: dict, ids: dict[str, list[str]]) -> dict:
    """Give the record_id path parameters the ids of real records as examples (the document's own links
    lead from a created record to the routes that take its id)."""
    for route in RECORD_ROUTES:
        for path, item in raw["paths"].items():
            for parameter in item.get("parameters", []):
                if path.startswith(f"/api/v1/{route}/") and parameter["name"] == "record_id":
                    parameter["examples"] = {f"record{n}": {"value": value} for n, value in enumerate(ids[route])}
    return raw


@pytest.fixture(scope="module")
def api_schema(served):
    """The document the app serves at /api/v1/openapi.json, tested through the WSGI app (no network)."""
    app, ids = served
    raw = app.test_client().get("/api/v1/openapi.json").get_json()
    schema = schemathesis.openapi.from_dict(_with_examples(raw, ids),
                                            config=schemathesis.Config.from_dict(CONFIG))
    schema.app = app  # the WSGI app answers every call
    real_ids = [value for values in ids.values() for value in values]

    @schema.auth()
    class AdministratorToken:
        """A token of the administrator, issued again after a test revoked it (DELETE /tokens/current)."""

        def get(self, case, context):
            from server.auth import accounts, tokens
            from server.storage import get_db
            with app.app_context():
                user = accounts.get(get_db(), "users", "admin")
                return tokens.issue_token(get_db(), user, tokens.BEARER, datetime.now(timezone.utc),
                                          timedelta(hours=1))["token"]

        def set(self, case, data, context):
            # Unpacked answers: the WSGI transport does not unpack gzip (tests/openapi_check.py checks gzipped ones).
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}", "Accept-Encoding": "identity"}

    @schema.hook
    def flatmap_path_parameters(context, parameters):
        """Half of the generated record ids are those of real records, so requests get past the 404."""
        if not parameters or "record_id" not in parameters:
            return st.just(parameters)
        return st.one_of(st.just(parameters), st.sampled_from(real_ids).map(lambda value: {**parameters,
                                                                                            "record_id": value}))

    @schema.hook
    def flatmap_body(context, body):
        """Half of the generated record creations are valid, so the links from a new record are followed."""
        if context.operation.method.upper() != "POST" or context.operation.path not in CREATE_ROUTES:
            return st.just(body)
        return st.one_of(st.just(body), st.sampled_from(VALID_CREATES[context.operation.path]))

    return schema


def test_no_request_makes_a_server_error_or_an_undocumented_answer(api_schema):
    """Run every phase as `schemathesis run` does; name each request that failed a check."""
    failures, errors, answered = [], [], Counter()
    for event in engine.from_schema(api_schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for case_id, interaction in recorder.interactions.items():
                if interaction.response is not None:
                    answered[(recorder.cases[case_id].value.operation.label, interaction.response.status_code)] += 1
            for case_id, checks in recorder.checks.items():
                failures += [f"{event.phase.value} {check.name}: {recorder.cases[case_id].value.as_curl_command()}"
                             for check in checks if check.status == engine.Status.FAILURE]
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            errors.append(str(getattr(event, "info", None) or event.exception))
    assert not errors, "\n".join(errors)
    assert not failures, "\n".join(failures)
    for route in RECORD_ROUTES:  # the real records were read, changed and disabled, not only missed
        for method, status in (("GET", 200), ("PATCH", 200), ("DELETE", 200)):
            assert answered[(f"{method} /api/v1/{route}/{{record_id}}", status)], (route, method, answered)


def test_no_sequence_of_record_requests_makes_a_server_error(api_schema):
    """The state machine of the record routes: create, then read, change, disable, enable, assign, history."""
    # The routes of that workflow (marking for mobile, case work, files and duplicates are fuzzed with every other
    # route above: each rule more makes hypothesis's replay of the machine likelier to draw differently).
    record_routes = api_schema.include(
        path_regex=r"^/api/v1/(cases|incidents|tracing_requests)(/|$)"
                   r"(?!.*/(marked_for_mobile|flags|referrals|transfers|close|reopen|approvals|attachments|merge"
                   r"|unmerge|potential_matches)(/|$))")
    calls = Counter()

    app = api_schema.app

    class RecordWorkflow(record_routes.as_state_machine()):
        def setup(self):
            """Every scenario starts from the database as seeded: Hypothesis replays a scenario's draws to explore
            and shrink, and a replay in another state (a record disabled by an earlier scenario) draws differently,
            which it reports as FlakyStrategyDefinition."""
            database = app.extensions["abri_db"]  # (the tokens stay: the administrator's is cached by the auth)
            for name in set(database.list_collection_names()) - {"tokens", "login_counters"}:
                database[name].delete_many({})
            for name, documents in app.config["TEST_SNAPSHOT"].items():
                if documents and name not in ("tokens", "login_counters"):
                    database[name].insert_many(documents)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            calls[(case.operation.label, response.status_code)] += 1
            case.validate_response(response, checks=[not_a_server_error, response_schema_conformance,
                                                     status_code_conformance])

    # derandomize: the same draws on every run.
    RecordWorkflow.run(settings=settings(record_routes.config.get_hypothesis_settings(phase="stateful"),
                                         max_examples=3 * MAX_EXAMPLES,  # lists now also refuse cursors and deep pages
                                         derandomize=True, database=None))
    for route in RECORD_ROUTES:  # records made by the machine were then read (or their history) through their links
        item = f"/api/v1/{route}/{{record_id}}"
        read = calls[(f"GET {item}", 200)] + calls[(f"GET {item}/history", 200)]
        assert calls[(f"POST /api/v1/{route}", 201)] and read, sorted(calls.items())
