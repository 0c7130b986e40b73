"""Patterns of the configuration run on RE2: linear time, JSON Schema's semantics, whole-string identifiers."""
import time

import pytest

from server.metadata import patterns
from server.metadata.documents import validate_document
from server.errors import Unprocessable
from tests.builders import field, form, i18n, lookup


def test_a_nested_repetition_is_matched_in_linear_time():
    started = time.perf_counter()
    assert not patterns.matches(r"^(a+)+$", "a" * 40 + "!")  # about 10 hours with Python's re
    assert not patterns.matches(r"^(a|a)*$", "a" * 100_000 + "!")
    assert time.perf_counter() - started < 1


def test_dollar_is_the_end_of_the_text_not_a_trailing_newline():
    assert patterns.matches(r"^[a-z][a-z0-9_]*$", "basic_identity")
    assert not patterns.matches(r"^[a-z][a-z0-9_]*$", "basic_identity\n")
    assert not patterns.matches(r"^\d{10}$", "0123456789\n")


def test_a_pattern_is_searched_anywhere_as_in_json_schema():
    assert patterns.matches(r"\d{3}", "tel 229 01")
    assert not patterns.matches(r"^\d{3}$", "tel 229 01")


def test_the_javascript_unicode_escape_is_understood():
    assert patterns.matches(r"^caf\u00e9$", "café")
    assert patterns.matches(r"^\\u00e9$", "\\u00e9")  # an escaped backslash stays a backslash


@pytest.mark.parametrize("pattern,reason,feature", [
    (r"^(a)\1$", "unsupported", "backreference"),
    (r"^(?P<x>a)(?P=x)$", "unsupported", "backreference"),
    (r"^(?<x>a)\k<x>$", "unsupported", "backreference"),
    (r"^(?=a)a$", "unsupported", "lookaround"),
    (r"^(?!a)b$", "unsupported", "lookaround"),
    (r"(?<=a)b", "unsupported", "lookaround"),
    (r"(?<!a)b", "unsupported", "lookaround"),
    (r"(?>a+)b", "unsupported", "atomic_group"),
    (r"a++b", "unsupported", "possessive"),
    (r"((a{100}){100}){100}", "too_complex", ""),
    (r"^[\p{L}\p{N}]{1,1000}$", "too_complex", ""),
    ("a" * 501, "too_long", ""),
    (r"([", "invalid", ""),
])
def test_what_re2_cannot_run_is_named(pattern, reason, feature):
    problem = patterns.pattern_problem(pattern)
    assert (problem.reason, problem.feature) == (reason, feature)


def test_the_shipped_patterns_are_usable():
    assert patterns.pattern_problem(r"^\+229 ?01( ?\d{2}){4}$") is None
    assert patterns.matches(r"^\+229 ?01( ?\d{2}){4}$", "+229 01 23 45 67 89")
    assert not patterns.matches(r"^\+229 ?01( ?\d{2}){4}$", "+229 01 23 45 67 89\n")


def test_hostile_text_never_matches_and_never_raises():
    assert not patterns.matches(r".*", "a" * (patterns.MAX_TEXT_LENGTH + 1))
    assert not patterns.matches(r"^a", "a\ud800")  # a lone surrogate
    assert patterns.matches(r"^a\x00$", "a\x00")


def document_details(kind, body):
    with pytest.raises(Unprocessable) as caught:
        validate_document(kind, body)
    return {(d.field, d.code) for d in caught.value.details}


@pytest.mark.parametrize("kind,body,pointer", [
    ("form", form("basic_identity\n", field("name")), "/unique_id"),
    ("form", form("basic_identity", field("name\n")), "/fields/0/name"),
    ("form", form("basic_identity", field("sex", "radio_button", option_strings_text_i18n=[
        {"id": "female\n", "display_text": i18n("Female")}])), "/fields/0/option_strings_text_i18n/0/id"),
    ("form", form("basic_identity", field("kids", "subform", subform_section_id="family\n")),
     "/fields/0/subform_section_id"),
    ("form", form("basic_identity", field("name"), module_ids=["primeromodule-cp\n"]), "/module_ids/0"),
    ("lookup", lookup("lookup-sex\n", "female"), "/unique_id"),
    ("lookup", lookup("lookup-sex", "female\n"), "/lookup_values_i18n/0/id"),
    ("module", {"unique_id": "primeromodule-cp\n", "name_i18n": i18n("CP"), "associated_record_types": ["case"]},
     "/unique_id"),
    ("module", {"unique_id": "cp", "name_i18n": i18n("CP"), "associated_record_types": ["case"],
                "field_map": {"incident": {"age": "age\n"}}}, "/field_map/incident/age"),
    ("location", {"unique_id": "locations-bj", "name_i18n": i18n("Bénin"),
                  "admin_levels": [{"admin_level": 0, "type": "country", "type_i18n": i18n("Country")}],
                  "locations": [{"code": "BJ\n", "admin_level": 0, "name_i18n": i18n("Bénin")}]},
     "/locations/0/code"),
])
def test_every_identifier_is_checked_as_a_whole_string(kind, body, pointer):
    assert (pointer, "pattern") in document_details(kind, body)


def test_a_language_key_is_checked_as_a_whole_string():
    details = document_details("lookup", lookup("lookup-sex", "female", name_i18n={"en\n": "Sex"}))
    assert ("/name_i18n", "pattern") in details
