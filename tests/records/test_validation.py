"""The record engine enforces every rule a field carries and names every failing field at once.

Each test states a small form with the builders, writes data with validate_data (as a create, or
over stored data), and reads the details a user would get: the field's JSON pointer and the rule's
code. The served schema (compile_record_schema) is asked the same question where it matters.
"""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator

from server.errors import Unprocessable
from server.metadata.configuration import Configuration
from server.metadata.patterns import portable_pattern
from server.metadata.record_schema import compile_record_schema, day_bounds, is_date
from server.records.validation import validate_data
from tests.builders import field, form, i18n, minimal_configuration

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=timezone.utc)
LATEST, EARLIEST = date(2025, 7, 1), date(2025, 6, 30)  # today at UTC+14 and UTC-12
PLACES = {"unique_id": "locations-xx", "name_i18n": i18n("Xland"), "admin_levels": [
    {"admin_level": 0, "type": "country", "type_i18n": i18n("Country")},
    {"admin_level": 1, "type": "region", "type_i18n": i18n("Region")}], "locations": [
    {"code": "XX", "admin_level": 0, "name_i18n": i18n("Xland")},
    {"code": "XX-NO", "admin_level": 1, "parent_code": "XX", "name_i18n": i18n("North")}]}
CHILD = {"name": "Awa"}


def configuration(*fields: dict, rows: tuple = (), documents: tuple = ()) -> Configuration:
    """The minimal configuration with more fields on basic_identity and in family member rows."""
    config = copy.deepcopy(minimal_configuration())
    config.forms["basic_identity"]["fields"] += list(fields)
    config.forms["family_members_section"]["fields"] += list(rows)
    for kind, unique_id, body in (("location", "locations-xx", PLACES), *documents):
        config.documents_by_kind[kind][unique_id] = body
    return config


def refusal(config: Configuration, patch: dict, stored: dict | None = None) -> list[tuple[str, str]]:
    """The (pointer, code) of every detail of the refusal; [] when the write passes."""
    try:
        validate_data(config, "case", None, stored or {}, patch, now=NOW)
    except Unprocessable as error:
        assert error.code == "RECORD_INVALID"
        return [(d.field, d.code) for d in error.details]
    return []


def schema_accepts(config: Configuration, data: dict) -> bool:
    return Draft202012Validator(compile_record_schema(config, "case", days=day_bounds(NOW))).is_valid(data)


def test_every_stage_reports_in_one_answer():
    config = configuration(
        field("seen_on", "date_field", date_validation="not_future_date"),
        field("place", "location", location_admin_level=1),
        field("summary", "textarea", required=True),
        field("risk_kind", "select_box", option_strings_text_i18n=[
            {"id": "open", "display_text": i18n("Open")}, {"id": "closed", "display_text": i18n("Closed"), "disabled": True}]))
    details = refusal(config, {"age": "nine", "seen_on": "2025-07-02", "place": "XX", "summary": "   ",
                               "risk_kind": "closed", "ghost": None})
    assert sorted(details) == [("/age", "type"), ("/ghost", "unknown"), ("/place", "location_level"),
                               ("/risk_kind", "disabled_option"), ("/seen_on", "future_date"), ("/summary", "required")]


@pytest.mark.parametrize("rule,value,refused", [
    ("not_future_date", LATEST.isoformat(), False), ("not_future_date", (LATEST + timedelta(1)).isoformat(), True),
    ("not_past_date", EARLIEST.isoformat(), False), ("not_past_date", (EARLIEST - timedelta(1)).isoformat(), True),
    ("default_date_validation", "9999-12-31", False), ("default_date_validation", "0001-01-01", False)])
def test_date_rules_compare_with_today_wherever_it_is_on_earth(rule, value, refused):
    config = configuration(field("seen_on", "date_field", date_validation=rule),
                           field("seen_at", "date_field", date_validation=rule, date_include_time=True))
    for name, written in (("seen_on", value), ("seen_at", value + "T23:59:59-12:00")):
        code = "future_date" if rule == "not_future_date" else "past_date"
        assert refusal(config, {name: written}) == ([(f"/{name}", code)] if refused else [])
        assert schema_accepts(config, {**CHILD, name: written}) is not refused


def test_date_rules_apply_to_new_values_only():
    """A follow-up date that was in the future when written does not block the record once it has passed."""
    config = configuration(field("next_visit", "date_field", date_validation="not_past_date"))
    stored = {"next_visit": "2024-01-15"}
    assert refusal(config, {"name": "Awa"}, stored) == []
    assert refusal(config, {"next_visit": "2024-01-16"}, stored) == [("/next_visit", "past_date")]


@pytest.mark.parametrize("text", ["2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"])
def test_calendar_dates_are_valid(text):
    assert is_date(text)


@pytest.mark.parametrize("text", ["2023-02-29", "1900-02-29", "0000-01-01", "2024-W22-5", "20240531", "2024-05-31\n",
                                  "٢٠٢٤-05-31", "2024-04-31", " 2024-05-31"])
def test_what_is_not_a_calendar_date_is_refused_by_both(text):
    config = configuration()
    assert not is_date(text)
    assert refusal(config, {"date_of_birth": text}) == [("/date_of_birth", "format")]
    assert not schema_accepts(config, {"date_of_birth": text})


def test_the_date_pattern_agrees_with_the_calendar_on_every_day_of_four_centuries():
    day, end = date(1896, 1, 1), date(2304, 12, 31)
    while day <= end:
        assert is_date(day.isoformat()), day
        day += timedelta(1)
    for year in (1900, 2000, 2100, 2024, 2023, 4, 400):
        assert is_date(f"{year:04d}-02-29") == (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))


@pytest.mark.parametrize("value", ["", " ", "\t\n", "\u00a0", "\u3000\u2003", "\ufeff", None])
def test_blank_text_is_missing_for_a_required_field(value):
    config = configuration(field("summary", "textarea", required=True))
    assert refusal(config, {"summary": value}) == [("/summary", "required")]
    assert not schema_accepts(config, {**CHILD, "summary": value})


@pytest.mark.parametrize("value", ["\u200b", ".", "a"])
def test_text_with_anything_but_blanks_answers_a_required_field(value):
    config = configuration(field("summary", "textarea", required=True))
    assert refusal(config, {"summary": value}) == []
    assert schema_accepts(config, {**CHILD, "summary": value})


def test_empty_lists_and_objects_are_missing_for_required_fields():
    tally = [{"id": "boys", "display_text": i18n("Boys")}]
    config = configuration(
        field("concerns", "select_box", multi_select=True, required=True, option_strings_source="lookup lookup-risk-level"),
        field("household", "tally_field", tally_i18n=tally, required=True),
        field("relatives", "subform", subform_section_id="family_members_section", required=True))
    answers = {"concerns": ["low"], "household": {"boys": 0}, "relatives": [{"relation_name": "Koffi"}]}
    assert refusal(config, answers) == []
    assert schema_accepts(config, answers)
    removal = [{"unique_id": "8f0e7a52-3c1d-4b6e-9a27-5d4c3b2a1f00", "_destroy": True}]
    for name, empty in (("concerns", []), ("household", {}), ("relatives", []), ("relatives", removal)):
        assert refusal(config, {**answers, name: empty}) == [(f"/{name}", "required")], name
        assert not schema_accepts(config, {**answers, name: empty}), name


def test_required_when_shown_follows_the_condition_in_rows_too():
    config = configuration(rows=(field("relation", "select_box", option_strings_source="lookup lookup-risk-level"),
                                 field("why", "text_field", required=True, display_conditions={"eq": {"relation": "high"}})))
    assert refusal(config, {"family_members": [{"relation": "low"}]}) == []
    assert refusal(config, {"family_members": [{"relation": "high", "why": " "}]}) == [("/family_members/0/why", "required")]
    assert not schema_accepts(config, {"family_members": [{"relation": "high"}]})
    assert schema_accepts(config, {"family_members": [{"relation": "low"}]})


def test_server_set_fields_are_refused_on_write_unless_unchanged():
    config = configuration(field("household_size", "calculated", calculation={"sum": ["age", 1]}),
                           field("case_reference", disabled=True))
    assert refusal(config, {"household_size": 3, "case_reference": "X-1"}) == [
        ("/household_size", "read_only"), ("/case_reference", "workflow_only")]
    stored = {"age": 4, "household_size": 5, "case_reference": "X-1"}
    assert refusal(config, {"case_reference": "X-1", "household_size": 5, "age": 6}, stored) == []
    assert validate_data(config, "case", None, stored, {"age": 6}, now=NOW)["household_size"] == 7
    schema = compile_record_schema(config, "case", days=day_bounds(NOW))
    assert schema["properties"]["household_size"] == {"title": "Household size", "readOnly": True, "not": {}}
    assert not schema_accepts(config, {"case_reference": None})


def test_locations_need_a_known_code_of_the_right_level():
    config = configuration(field("place", "location", location_admin_level=1), field("anywhere", "location"))
    assert refusal(config, {"place": "XX-NO", "anywhere": "XX"}) == []
    assert refusal(config, {"place": "XX", "anywhere": "", "ghost_place": "XX"}) == [
        ("/ghost_place", "unknown"), ("/place", "location_level"), ("/anywhere", "location")]
    schema = compile_record_schema(config, "case", days=day_bounds(NOW))
    assert schema["$defs"]["locations_level_1"] == {"enum": ["XX-NO"]}
    assert not schema_accepts(config, {"place": "XX"}) and schema_accepts(config, {"place": "XX-NO"})


def test_rows_to_remove_and_row_ids_are_checked_before_merging():
    config = configuration()
    row_id = "8f0e7a52-3c1d-4b6e-9a27-5d4c3b2a1f00"
    stored = {"family_members": [{"unique_id": row_id, "relation_name": "Awa"}]}
    assert refusal(config, {"family_members": [{"unique_id": row_id, "_destroy": True}]}, stored) == []
    assert refusal(config, {"family_members": [{"unique_id": row_id, "_destroy": True, "relation_name": "x"},
                                               {"unique_id": [], "relation_name": "y"},
                                               {"unique_id": row_id.upper(), "relation_name": "z"},
                                               {"unique_id": row_id}, {"unique_id": row_id}]}, stored) == [
        ("/family_members/0", "destroy_row"), ("/family_members/1/unique_id", "type"),
        ("/family_members/4/unique_id", "duplicate_row"), ("/family_members/1/unique_id", "pattern")]


def test_a_name_no_form_has_is_unknown_whatever_its_value():
    config = configuration()
    assert refusal(config, {"ghost": None, "family_members": [{"ghost": None}]}) == [
        ("/ghost", "unknown"), ("/family_members/0/ghost", "unknown")]
    legacy = {"old_field": "kept"}  # data of a field removed from the forms stays, unchecked
    assert validate_data(config, "case", None, legacy, {"name": "Awa"}, now=NOW) == {"old_field": "kept", "name": "Awa"}
    assert refusal(config, {"old_field": "kept"}, legacy) == [("/old_field", "unknown")]


def test_patterns_mean_in_the_schema_what_they_mean_on_the_server():
    config = configuration(field("npi", pattern="^\\d{10}$"), field("code", pattern="^[A-Z]\\w+.$"))
    for text, accepted in (("0123456789", True), ("0123456789\n", False), ("٠١٢٣٤٥٦٧٨٩", False),
                           ("01234567890", False)):
        assert (refusal(config, {"npi": text}) == []) is accepted
        assert schema_accepts(config, {**CHILD, "npi": text}) is accepted
    for text, accepted in (("Ab!", True), ("Aé!", False), ("Ab\n", False), ("Ab\r", True)):
        assert (refusal(config, {"code": text}) == []) is accepted, text
        assert schema_accepts(config, {**CHILD, "code": text}) is accepted, text


@pytest.mark.parametrize("pattern,portable", [
    ("^\\d{10}$", "^[0-9]{10}(?![\\s\\S])"), ("^\\+229 ?01", "^\\u002b229\\u0020?01"),
    ("[\\w-]+", "[0-9A-Za-z_\\u002d]+"), ("a.b", "a[^\\n]b"), ("x{,3}", "x\\u007b\\u002c3\\u007d"),
    ("\\bword", None), ("(?i)abc", None), ("\\p{L}", None), ("[[:alpha:]]", None), ("[^\\D]", None)])
def test_a_pattern_is_rewritten_for_every_engine_or_flagged(pattern, portable):
    assert portable_pattern(pattern) == portable


def test_a_pattern_no_engine_reads_alike_is_named_as_inexact_in_the_schema():
    config = configuration(field("word", pattern="\\bAwa\\b"))
    schema = compile_record_schema(config, "case", days=day_bounds(NOW))
    assert schema["x-abri-inexact"] == ["/word"] and schema["properties"]["word"]["pattern"] == "\\bAwa\\b"


def test_a_condition_on_a_calculated_field_reads_the_computed_value():
    config = configuration(field("household_size", "calculated", calculation={"sum": ["age", 1]}),
                           field("why", required=True, display_conditions={"gt": {"household_size": 10}}))
    assert refusal(config, {"age": 12}) == [("/why", "required")]
    assert refusal(config, {"age": 3}) == []
    schema = compile_record_schema(config, "case", days=day_bounds(NOW))
    assert schema["x-abri-inexact"] == ["/why"]  # no standard keyword adds numbers: the schema leaves it optional


def test_hostile_values_are_refused_without_a_crash():
    config = configuration()
    deep: dict = {"relation_name": "x"}
    for _ in range(30):
        deep = {"relation_name": [deep]}
    assert refusal(config, {"family_members": [deep]}) == [("/family_members/0/relation_name", "type")]
    assert refusal(config, {"family_members": [{"relation_name": "x"}] * 1001}) == [("/family_members", "max_items")]
    assert refusal(config, {"age": 10 ** 400}) == [("/age", "maximum")]
    assert refusal(config, {"age": -(2 ** 80)}) == [("/age", "minimum")]
    assert refusal(config, {"name": "\udcff"}) == []  # the API refuses lone surrogates before (422 surrogate)


def test_a_nested_form_that_holds_itself_holds_nothing():
    loop = form("loop_section", field("label"), field("again", "subform", subform_section_id="loop_section"),
                is_nested=True, visible=False)
    config = configuration(field("loops", "subform", subform_section_id="loop_section"),
                           documents=(("form", "loop_section", loop),))
    assert refusal(config, {"loops": [{"label": "a"}]}) == []
    assert refusal(config, {"loops": [{"label": "a", "again": [{"label": "b"}]}]}) == [("/loops/0/again", "max_items")]
    Draft202012Validator.check_schema(compile_record_schema(config, "case", days=day_bounds(NOW)))


def test_the_served_schema_of_a_role_names_no_field_it_may_not_read():
    config = configuration()
    config.forms["secret"] = form("secret", field("diagnosis", required=True,
                                                  display_conditions={"eq": {"hidden_flag": True}}),
                                  field("hidden_flag", "tick_box"), order=30)
    config.forms["basic_identity"]["fields"].append(field("consent", required=True))
    schema = compile_record_schema(config, "case", form_ids=frozenset({"basic_identity"}),
                                   writable_form_ids=frozenset(), days=day_bounds(NOW))
    text = str(schema)
    assert "diagnosis" not in text and "hidden_flag" not in text
    assert schema["properties"]["consent"] == {"title": "Consent", "readOnly": True, "not": {}}
    assert not Draft202012Validator(schema).is_valid({})  # consent is required and the role may not write it
    config.forms["secret"]["fields"].append(field("secret_code", required=True))
    config.forms["basic_identity"]["fields"].pop()
    schema = compile_record_schema(config, "case", form_ids=frozenset({"basic_identity"}), days=day_bounds(NOW))
    assert "secret_code" not in str(schema) and {"not": {}} in schema["allOf"]  # no create can be valid, unnamed
