"""The served record schema accepts exactly what the server accepts (a differential property test).

For the shipped configuration and both country profiles, hypothesis builds record data from the
field definitions and from the served schema alone (tests/records/strategies.py), valid and
invalid. A standard validator (jsonschema's Draft202012Validator, nothing stripped, no format
checker) judges each with the served schema; the server judges it with validate_data, then, for a
slice, through the API on SecantusDB and mongomock as a role that reads and writes only some
forms. They must agree on accept or refuse. The clock is fixed, so the date rules are too.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from jsonschema import Draft202012Validator

from server.errors import Unprocessable
from server.metadata.configuration import Configuration
from server.metadata.files import read_configuration
from server.metadata.record_schema import compile_record_schema, day_bounds, record_fields
from server.records.validation import validate_data
from tests.conftest import authenticated, make_app
from tests.records.strategies import FieldValues, data, edge_values, from_schema, valid_example

METADATA = "metadata"
NOW = datetime(2025, 3, 14, 23, 30, tzinfo=timezone.utc)  # Saturday already in Kiribati, Friday in Samoa
DAYS = day_bounds(NOW)
PROFILES = [None, "bj", "cm"]
SETTINGS = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@lru_cache(maxsize=None)
def configuration(profile: str | None) -> Configuration:
    """The configuration as it is published on first start (a fingerprint, so caches work as in production)."""
    return Configuration.from_documents(read_configuration(METADATA, profile), version=1,
                                        fingerprint=f"differential-test-{profile}")


def server_accepts(config: Configuration, record_type: str, body: dict) -> tuple[bool, list]:
    try:
        validate_data(config, record_type, None, {}, body, now=NOW)
    except Unprocessable as error:
        return False, [(d.field, d.code) for d in error.details]
    return True, []


def records(config: Configuration, record_type: str, schema: dict) -> st.SearchStrategy[dict]:
    """Data from the field definitions (of the fields the schema lists: a role's) or from the schema alone."""
    record = record_fields(config, record_type)
    values = FieldValues(config, record, DAYS)
    listed = {name: field for name, field in record.fields.items() if name in schema["properties"]}
    others = sorted({f["name"] for form in config.forms.values() for f in form["fields"]} - set(listed))
    by_fields = data(listed, values, unknown=[*others[:20], "ghost", "_destroy", "Sex"])
    return st.integers(0, 1).flatmap(lambda k: by_fields if k else from_schema(schema))


def check_agreement(config: Configuration, record_type: str) -> dict[str, int]:
    schema = compile_record_schema(config, record_type, days=DAYS)
    assert "x-abri-inexact" not in schema
    validator = Draft202012Validator(schema)  # no format checker: formats are annotations
    outcomes = {"accepted": 0, "refused": 0}

    @SETTINGS
    @given(body=records(config, record_type, schema))
    def agree(body):
        accepted, details = server_accepts(config, record_type, body)
        schema_errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:120]}" for e in validator.iter_errors(body)]
        assert accepted == (not schema_errors), (json.dumps(body, ensure_ascii=False)[:2000], details, schema_errors[:5])
        outcomes["accepted" if accepted else "refused"] += 1

    agree()
    return outcomes


@pytest.mark.parametrize("profile", PROFILES, ids=["shipped", "bj", "cm"])
@pytest.mark.parametrize("record_type", ["case", "incident", "tracing_request"])
def test_the_served_schema_and_the_server_agree(profile, record_type):
    outcomes = check_agreement(configuration(profile), record_type)
    # Neither side may be trivial: the data reach both answers often.
    assert outcomes["accepted"] >= 10 and outcomes["refused"] >= 10, outcomes


def base_record(config: Configuration, record_type: str, values: FieldValues, conditional: bool) -> dict:
    """A valid record: its required fields (with `conditional`, those required only when shown too), one row each."""
    record = record_fields(config, record_type)
    body = {name: valid_example(field, values) for name, field in record.fields.items()
            if field.get("required") and (conditional or "display_conditions" not in field)}
    for name, field in record.fields.items():
        if field["type"] == "subform":
            rows = record.row_fields(field)
            body[name] = [{n: valid_example(f, values) for n, f in rows.items() if f.get("required")}]
    return {name: value for name, value in body.items() if value is not None}


@pytest.mark.parametrize("profile", PROFILES, ids=["shipped", "bj", "cm"])
def test_one_field_at_a_time_every_edge_value_gets_the_same_answer(profile):
    """A sweep without chance: each field (and each field of a row) takes each of its edge values in an
    otherwise valid record; the option fields, which conditions read, also in a record without the
    fields they may require."""
    config = configuration(profile)
    checked = 0
    for record_type in config.record_types():
        validator = Draft202012Validator(compile_record_schema(config, record_type, days=DAYS))
        values = FieldValues(config, record_fields(config, record_type), DAYS)
        full, bare = (base_record(config, record_type, values, conditional) for conditional in (True, False))
        assert server_accepts(config, record_type, full) == (True, []) and validator.is_valid(full)
        for pointer, base, field, place in _placements(values.record, full, bare):
            for value in edge_values(field, values):
                body = place(base, value)
                accepted, details = server_accepts(config, record_type, body)
                assert accepted == validator.is_valid(body), (record_type, pointer, value, details,
                                                             [e.message[:100] for e in validator.iter_errors(body)][:3])
                checked += 1
    assert checked > 500


def _placements(record, full: dict, bare: dict):
    """(pointer, base record, field, a function putting a value there) for every field and row field."""
    def top(name):
        return lambda base, value: {**base, name: value}

    def in_row(subform, name):
        return lambda base, value: {**base, subform: [{**(base.get(subform) or [{}])[0], name: value}]}
    for name, field in record.fields.items():
        yield f"/{name}", full, field, top(name)
        if field["type"] in ("select_box", "radio_button", "tick_box"):
            yield f"/{name} (bare)", bare, field, top(name)
        if field["type"] == "subform":
            for row_name, row_field in record.row_fields(field).items():
                yield f"/{name}/0/{row_name}", full, row_field, in_row(name, row_name)


def test_the_schema_is_standard_and_names_no_private_keyword_it_relies_on():
    for profile in PROFILES:
        for record_type in ("case", "incident", "tracing_request"):
            schema = compile_record_schema(configuration(profile), record_type, days=DAYS)
            Draft202012Validator.check_schema(schema)
            without_hints = json.loads(json.dumps(schema), object_hook=lambda node: {
                key: value for key, value in node.items() if not key.startswith("x-")})
            assert without_hints != schema  # hints exist ...
            assert Draft202012Validator(without_hints).is_valid({}) is Draft202012Validator(schema).is_valid({})


# --- the same through the API, storage and the wire included --------------------------------------

LIMITED_ROLE = {"unique_id": "role-differential", "name_i18n": {"en": "Differential", "fr": "Différentiel"},
                "permissions": {"case": ["read", "create", "write"]}, "group_permission": "self",
                "form_section_read_write": {"basic_identity": "rw", "protection_concern": "rw", "consent": "rw",
                                            "family_details": "r", "closure_form": "r"}}


@pytest.fixture(params=["mongomock", "secantus"])
def shipped_api(request):
    """An app with the shipped configuration and the Bénin profile, and two users: administrator, limited role."""
    from server.auth import accounts, tokens
    from server.metadata import draft as drafts
    from server.metadata.versions import LanguageSettings, published_configuration
    from server.storage import get_db

    uri = "mongomock://" if request.param == "mongomock" else request.getfixturevalue("secantus_uri")
    app = make_app(uri)
    now = datetime.now(timezone.utc)
    with app.app_context():
        db = get_db()
        documents = read_configuration(METADATA, "bj") + [("role", LIMITED_ROLE["unique_id"], LIMITED_ROLE)]
        drafts.replace_draft(db, documents, "tester", now, force=True)
        drafts.publish_draft(db, LanguageSettings(("fr", "en"), "fr"), "tester", now, "differential")
        config = published_configuration(db)
        clients = {}
        for user, role in (("admin", "role-system-administrator"), ("limited", LIMITED_ROLE["unique_id"])):
            account = accounts.create_user(db, config, {"user_name": user, "password": "correct horse battery",
                                                        "role_unique_id": role}, now)
            clients[user] = authenticated(app, tokens.issue_token(db, account, tokens.BEARER, now,
                                                                  timedelta(hours=1))["token"])
    yield app, clients
    if request.param == "secantus":
        database = app.extensions["abri_db"]
        database.client.drop_database(database.name)
        database.client.close()


def _wire_safe(value) -> bool:
    """What every JSON body refuses before record validation: NUL, whole numbers beyond 64 bits."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return True
    if isinstance(value, int):
        return -2 ** 63 <= value < 2 ** 63
    if isinstance(value, list):
        return all(map(_wire_safe, value))
    return all(_wire_safe(k) and _wire_safe(v) for k, v in value.items())


@pytest.mark.parametrize("user", ["admin", "limited"])
def test_the_api_accepts_exactly_what_its_served_schema_accepts(shipped_api, user):
    app, clients = shipped_api
    client = clients[user]
    served = client.get("/api/v1/schemas/case")
    assert served.status_code == 200
    schema = served.get_json()["data"]
    validator = Draft202012Validator(schema)
    with app.app_context():
        from server.metadata.versions import published_configuration
        from server.storage import get_db
        config = published_configuration(get_db())
    outcomes = {"accepted": 0, "refused": 0}

    @settings(SETTINGS, max_examples=40)
    @given(body=records(config, "case", schema).filter(_wire_safe))
    def agree(body):
        response = client.post("/api/v1/cases", json={"data": body})
        assert response.status_code in (201, 403, 422), response.get_json()
        accepted = response.status_code == 201
        schema_errors = [e.message[:120] for e in validator.iter_errors(body)]
        assert accepted == (not schema_errors), (body, response.get_json(), schema_errors[:5])
        outcomes["accepted" if accepted else "refused"] += 1

    agree()
    assert outcomes["accepted"] >= 3 and outcomes["refused"] >= 3, outcomes
