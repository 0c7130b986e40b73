"""Every configuration check, one small broken configuration each, with its stable code."""
import copy

import pytest

from server.metadata.checks import CheckContext, run_checks
from server.metadata.configuration import Configuration
from tests.builders import field, form, lookup, minimal_configuration, role


def context(published=None, fields=None, languages=("en", "fr")):
    return CheckContext(languages, "en", published or Configuration(version=0), fields or {})


def codes(config, ctx=None):
    return {(p.code, p.severity) for p in run_checks(config, ctx or context())}


def changed(edit):
    config = copy.deepcopy(minimal_configuration())
    edit(config)
    return config


def identity(config):
    return config.forms["basic_identity"]["fields"]


def test_the_minimal_configuration_passes():
    assert [p for p in run_checks(minimal_configuration(), context()) if p.severity == "error"] == []


@pytest.mark.parametrize("edit,code", [
    (lambda c: identity(c).append(field("age")), "FIELD_NAME_DUPLICATE"),
    (lambda c: c.forms.update(other_form=form("other_form", field("age", "text_field"))), "FIELD_INCONSISTENT"),
    (lambda c: identity(c).append(field("x", "select_box")), "OPTIONS_REQUIRED"),
    (lambda c: identity(c).append(field("x", "select_box", option_strings_source="lookup lookup-sex",
                                        option_strings_text_i18n=[{"id": "a", "display_text": {"en": "A"}}])),
     "OPTIONS_AMBIGUOUS"),
    (lambda c: identity(c).append(field("x", "select_box", option_strings_text_i18n=[
        {"id": "a", "display_text": {"en": "A", "fr": "A"}}, {"id": "a", "display_text": {"en": "B", "fr": "B"}}])),
     "OPTION_ID_DUPLICATE"),
    (lambda c: identity(c).append(field("x", "subform", subform_section_id="basic_identity")), "SUBFORM_NOT_NESTED"),
    (lambda c: c.forms["cp_incident_form"].update(is_nested=True) or identity(c).append(
        field("x", "subform", subform_section_id="cp_incident_form")), "SUBFORM_RECORD_TYPE"),
    (lambda c: identity(c)[6].update(collapsed_field_names=["nope"]), "SUBFORM_FIELD_UNKNOWN"),
    (lambda c: identity(c).append(field("x", "numeric_field", min_value=5, max_value=1)), "RANGE_INVALID"),
    (lambda c: identity(c).append(field("x", "text_field", pattern="([")), "PATTERN_INVALID"),
    (lambda c: identity(c).append(field("x", "calculated")), "CALCULATION_REQUIRED"),
    (lambda c: identity(c).append(field("x", "numeric_field", calculation={"sum": ["age"]})), "CALCULATION_MISPLACED"),
    (lambda c: identity(c).append(field("x", display_conditions={"eq": {"family_members_section": 1}})),
     "EXPRESSION_FIELD_UNKNOWN"),
    (lambda c: c.forms["basic_identity"].update(module_ids=["nope"]), "MODULE_MISSING"),
    (lambda c: c.modules["primeromodule-cp"].update(associated_record_types=["case", "tracing_request"]),
     "MODULE_RECORD_TYPE"),
    (lambda c: c.roles.update({"role-x": role("role-x", {"case": ["fly"]})}), "ROLE_PERMISSION_UNKNOWN"),
    (lambda c: c.roles.update({"role-x": role("role-x", {}, forms={"family_members_section": "r"})}), "ROLE_FORM_UNKNOWN"),
    (lambda c: c.forms["basic_identity"]["name_i18n"].pop("en"), "LABEL_MISSING_DEFAULT"),
])
def test_each_rule_refuses_its_mistake(edit, code):
    assert (code, "error") in codes(changed(edit))


def test_missing_translations_are_warnings_with_a_coverage_figure():
    config = changed(lambda c: c.forms["basic_identity"]["name_i18n"].pop("fr"))
    problem = next(p for p in run_checks(config, context()) if p.code == "TRANSLATION_INCOMPLETE")
    assert problem.severity == "warning" and problem.params["language"] == "fr"
    assert 0 < problem.params["coverage"] < 100
    third = run_checks(minimal_configuration(), context(languages=("en", "fr", "fon")))
    assert {p.params["language"] for p in third if p.code == "TRANSLATION_INCOMPLETE"} == {"fon"}


def test_published_type_and_multi_select_never_change():
    published = {"case": {"age": {"type": "text_field", "multi_select": False},
                          "sex": {"type": "select_box", "multi_select": True}}}
    problems = {(p.code, p.path) for p in run_checks(minimal_configuration(), context(fields=published))}
    assert ("PUBLISHED_FIELD_CHANGED", "age/type") in problems
    assert ("PUBLISHED_FIELD_CHANGED", "sex/multi_select") in problems


def test_locked_lookups_keep_their_values_but_can_be_translated():
    published = minimal_configuration()
    translated = changed(lambda c: c.lookups["lookup-sex"]["lookup_values_i18n"][0]["display_text"].update(fr="Fille"))
    assert ("LOCKED_LOOKUP_CHANGED", "error") not in codes(translated, context(published))
    extended = changed(lambda c: c.lookups.update({"lookup-sex": lookup("lookup-sex", "female", "male", "x", locked=True)}))
    assert ("LOCKED_LOOKUP_CHANGED", "error") in codes(extended, context(published))
    unlocked = changed(lambda c: c.lookups["lookup-sex"].pop("locked"))
    assert codes(unlocked, context(published)) == set()  # an administrator may unlock it (values unchanged)


def test_location_hierarchies_are_consistent():
    places = {"unique_id": "locations-xx", "name_i18n": {"en": "X", "fr": "X"},
              "admin_levels": [{"admin_level": 0, "type": "country", "type_i18n": {"en": "C", "fr": "P"}},
                               {"admin_level": 1, "type": "region", "type_i18n": {"en": "R", "fr": "R"}}],
              "locations": [{"code": "XX", "admin_level": 0, "name_i18n": {"en": "X", "fr": "X"}},
                            {"code": "XX-A", "admin_level": 1, "name_i18n": {"en": "A", "fr": "A"}, "parent_code": "XX-Z"},
                            {"code": "XX-B", "admin_level": 2, "name_i18n": {"en": "B", "fr": "B"}, "parent_code": "XX"},
                            {"code": "XX", "admin_level": 0, "name_i18n": {"en": "X", "fr": "X"}}]}
    config = changed(lambda c: c.documents_by_kind["location"].update({"locations-xx": places}))
    found = codes(config)
    assert {("LOCATION_PARENT_UNKNOWN", "error"), ("LOCATION_LEVEL_INVALID", "error"),
            ("LOCATION_LEVEL_UNDECLARED", "error"), ("LOCATION_CODE_DUPLICATE", "error")} <= found


@pytest.mark.parametrize("pattern,code", [
    (r"^(\w+) \1$", "PATTERN_UNSUPPORTED"),
    (r"^(?=.*\d).{8,}$", "PATTERN_UNSUPPORTED"),
    (r"a++", "PATTERN_UNSUPPORTED"),
    (r"^[\p{L}\p{N}]{1,1000}$", "PATTERN_TOO_COMPLEX"),
    ("a" * 501, "PATTERN_TOO_LONG"),
])
def test_a_pattern_the_linear_engine_cannot_run_is_refused(pattern, code):
    config = changed(lambda c: identity(c).append(field("code_word", pattern=pattern)))
    assert [(p.code, p.path) for p in run_checks(config, context()) if p.severity == "error"] == [
        (code, "code_word/pattern")]


def test_identifiers_saved_before_the_whole_string_rule_cannot_be_published():
    def edit(config):
        identity(config).append(field("name\n"))
        config.lookups["lookup-sex"]["lookup_values_i18n"].append({"id": "x\n", "display_text": {"en": "X", "fr": "X"}})
        config.forms["odd_form\n"] = form("odd_form\n", field("note"))
    problems = {(p.code, p.document, p.path) for p in run_checks(changed(edit), context())}
    position = len(identity(minimal_configuration()))
    assert {("IDENTIFIER_INVALID", "form:basic_identity", f"fields/{position}/name"),
            ("IDENTIFIER_INVALID", "lookup:lookup-sex", "lookup_values_i18n/2/id"),
            ("IDENTIFIER_INVALID", "form:odd_form\n", "unique_id")} <= problems
