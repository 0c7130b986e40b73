"""One definition per field name, conditions on real options, sums of numbers, no field depending on itself.

Each test states a small form, runs the checks and asserts the code, where it points, and the message
an administrator reads in English and in French.
"""
import copy

import pytest
from flask_babel import force_locale

from server.config import PROJECT_ROOT
from server.metadata.checks import CheckContext, run_checks
from server.metadata.configuration import Configuration
from server.metadata.files import read_configuration
from tests.builders import field, form, lookup, minimal_configuration
from tests.conftest import app_on


@pytest.fixture(scope="module")
def app():
    with app_on("mongomock://") as application:
        yield application


def problems(config, published=None, code=None):
    found = run_checks(config, CheckContext(("en", "fr"), "en", published or Configuration(version=0), {}))
    return [p for p in found if p.severity == "error" and (code is None or p.code == code)]


def where(found):
    return [(p.code, p.document, p.path) for p in found]


def messages(app, problem):
    """The problem's message in English and in French, as the API renders it."""
    texts = []
    for locale in ("en", "fr"):
        with app.test_request_context(), force_locale(locale):
            texts.append(problem.as_detail().as_json()["message"])
    return texts


def with_forms(*documents, lookups=()):
    config = copy.deepcopy(minimal_configuration())
    for document in documents:
        config.forms[document["unique_id"]] = document
    for body in lookups:
        config.lookups[body["unique_id"]] = body
    return config


# One definition per field name -------------------------------------------------------------

def test_a_name_shared_by_two_forms_with_the_same_definition_passes_even_with_other_labels():
    other = form("closure", field("age", "numeric_field", min_value=0, max_value=120,
                                  display_name_i18n={"en": "Age at closure", "fr": "Âge à la clôture"},
                                  help_text_i18n={"en": "Years", "fr": "Années"}, visible=False))
    assert problems(with_forms(other)) == []


def test_a_required_flag_or_a_range_that_differs_is_refused_where_it_differs(app):
    other = form("closure", field("age", "numeric_field", min_value=0, max_value=18, required=True), order=20)
    found = problems(with_forms(other), code="FIELD_INCONSISTENT")
    assert where(found) == [("FIELD_INCONSISTENT", "form:closure", "age/max_value"),
                            ("FIELD_INCONSISTENT", "form:closure", "age/required")]
    assert messages(app, found[0]) == [
        "The field age has max_value 18 here but 120 in form basic_identity: a field name used in several forms "
        "of a record type has one definition (only its labels, help texts and layout may differ).",
        "Le champ age a max_value 18 ici mais 120 dans le formulaire basic_identity : un nom de champ utilisé "
        "dans plusieurs formulaires d'un type de fiche a une seule définition (seuls ses libellés, ses textes "
        "d'aide et sa mise en page peuvent différer)."]


@pytest.mark.parametrize("attributes,path", [
    ({"option_strings_source": "lookup lookup-risk-level"}, "sex/option_strings_source"),
    ({"option_strings_source": "lookup lookup-sex", "multi_select": True}, "sex/multi_select"),
    ({"option_strings_source": "lookup lookup-sex", "filterable": False}, "sex/filterable"),
    ({"option_strings_text_i18n": [{"id": "female", "display_text": {"en": "F", "fr": "F"}},
                                   {"id": "male", "display_text": {"en": "M", "fr": "M"}}]},
     "sex/option_strings_text_i18n"),
])
def test_options_multi_select_and_search_marks_are_part_of_the_definition(attributes, path):
    other = form("closure", field("sex", "select_box", **attributes), order=20)
    assert ("FIELD_INCONSISTENT", "form:closure", path) in where(problems(with_forms(other)))


@pytest.mark.parametrize("attributes,path", [
    ({"pattern": "^[0-9]+$"}, "name/pattern"),
    ({"date_validation": "not_future_date"}, "name/date_validation"),
    ({"display_conditions": {"eq": {"name": "x"}}}, "name/display_conditions"),
])
def test_patterns_date_rules_and_display_conditions_are_part_of_the_definition(attributes, path):
    first = form("intake", field("name", **attributes), order=1)
    second = form("closure", field("name"), order=2)
    config = with_forms(first, second)
    config.forms["basic_identity"]["fields"] = [f for f in config.forms["basic_identity"]["fields"]
                                                if f["name"] != "name"]
    assert ("FIELD_INCONSISTENT", "form:closure", path) in where(problems(config))


def test_a_location_level_that_differs_shows_the_missing_value_as_not_set(app):
    first = form("intake", field("place", "location", location_admin_level=2), order=1)
    second = form("closure", field("place", "location"), order=2)
    found = problems(with_forms(first, second), code="FIELD_INCONSISTENT")
    assert where(found) == [("FIELD_INCONSISTENT", "form:closure", "place/location_admin_level")]
    assert "(not set) here but 2" in messages(app, found[0])[0]
    assert "(non défini) ici mais 2" in messages(app, found[0])[1]


def test_inline_options_may_differ_in_their_texts_and_order_only():
    def options(*pairs):
        return [{"id": i, "display_text": {"en": t, "fr": t}} for i, t in pairs]
    first = form("intake", field("outcome", "radio_button",
                                 option_strings_text_i18n=options(("yes", "Yes"), ("no", "No"))), order=1)
    second = form("closure", field("outcome", "radio_button",
                                   option_strings_text_i18n=options(("no", "Not at all"), ("yes", "Yes"))), order=2)
    assert problems(with_forms(first, second)) == []
    second["fields"][0]["option_strings_text_i18n"][0]["disabled"] = True
    assert where(problems(with_forms(first, second))) == [
        ("FIELD_INCONSISTENT", "form:closure", "outcome/option_strings_text_i18n")]


def test_forms_of_other_record_types_may_reuse_a_name_for_something_else():
    incident = form("incident_people", field("age", "text_field"), parent_form="incident")
    assert problems(with_forms(incident)) == []


# Conditions compare with real options -------------------------------------------------------

def test_a_condition_on_an_option_the_field_does_not_have_is_refused(app):
    config = with_forms()
    config.forms["basic_identity"]["fields"].append(
        field("risk_details", display_conditions={"or": [{"eq": {"risk_level": "urgent"}},
                                                         {"in": {"risk_level": ["high", "critical"]}}]}))
    found = problems(config)
    assert where(found) == [("CONDITION_OPTION_UNKNOWN", "form:basic_identity", "risk_details/display_conditions")] * 2
    assert messages(app, found[0]) == [
        'The condition compares risk_level with "urgent", which is not one of its options (high, low, medium).',
        'La condition compare risk_level à "urgent", qui n\'est pas l\'une de ses options (high, low, medium).']
    assert '"critical"' in messages(app, found[1])[0]


def test_conditions_on_inline_options_multi_selects_and_unanswered_fields_pass():
    config = with_forms(form("assessment", field("needs", "select_box", multi_select=True,
                                                 option_strings_text_i18n=[{"id": "food", "display_text": {"en": "F"}},
                                                                           {"id": "school", "display_text": {"en": "S"}}]),
                             field("needs_detail", display_conditions={"and": [{"eq": {"needs": "food"}},
                                                                              {"not": {"eq": {"needs": None}}}]})),
                        lookups=())
    assert [p.code for p in problems(config)] == []
    config.forms["assessment"]["fields"][1]["display_conditions"] = {"in": {"needs": ["food", "shelter"]}}
    assert where(problems(config)) == [("CONDITION_OPTION_UNKNOWN", "form:assessment", "needs_detail/display_conditions")]


def test_a_number_compared_with_an_option_field_is_refused():
    config = with_forms()
    config.forms["basic_identity"]["fields"][5]["display_conditions"] = {"eq": {"risk_level": 3}}
    assert [p.code for p in problems(config)] == ["CONDITION_OPTION_UNKNOWN"]


def test_a_condition_on_a_subform_row_checks_the_row_fields_options():
    rows = form("family_members_section", field("relation", "select_box",
                                                option_strings_source="lookup lookup-risk-level"),
                field("relation_other", display_conditions={"eq": {"relation": "uncle"}}), is_nested=True)
    assert where(problems(with_forms(rows))) == [
        ("CONDITION_OPTION_UNKNOWN", "form:family_members_section", "relation_other/display_conditions")]


# sum and avg read numbers -----------------------------------------------------------------

def test_a_sum_over_a_text_field_is_refused(app):
    config = with_forms()
    config.forms["basic_identity"]["fields"].append(field("total", "calculated", calculation={"sum": ["age", "name"]}))
    found = problems(config)
    assert where(found) == [("CALCULATION_OPERAND_NOT_NUMBER", "form:basic_identity", "total/calculation")]
    assert messages(app, found[0]) == [
        "sum and avg add numbers, but name is a text_field field; use number or calculated fields.",
        "sum et avg additionnent des nombres, mais name est un champ de type text_field ; utilisez des champs "
        "numériques ou calculés."]


def test_an_avg_nested_in_a_sum_is_checked_too_and_calculated_fields_count_as_numbers():
    config = with_forms()
    fields = config.forms["basic_identity"]["fields"]
    fields.append(field("half", "calculated", calculation={"avg": ["age", 2]}))
    fields.append(field("total", "calculated", calculation={"sum": ["half", {"avg": ["age", "sex"]}]}))
    assert where(problems(config)) == [("CALCULATION_OPERAND_NOT_NUMBER", "form:basic_identity", "total/calculation")]
    fields[-1]["calculation"] = {"sum": ["half", {"avg": ["age", 1]}]}
    assert problems(config) == []


# No field depends on itself --------------------------------------------------------------

def test_a_field_shown_on_its_own_value_is_refused(app):
    config = with_forms()
    config.forms["basic_identity"]["fields"][4]["display_conditions"] = {"eq": {"risk_level": "high"}}
    found = problems(config)
    assert where(found) == [("EXPRESSION_CYCLE", "form:basic_identity", "risk_level/display_conditions")]
    assert messages(app, found[0]) == [
        "The field risk_level depends on itself through display conditions or calculations: "
        "risk_level → risk_level.",
        "Le champ risk_level dépend de lui-même par des conditions d'affichage ou des calculs : "
        "risk_level → risk_level."]


def test_a_cycle_through_other_fields_names_each_field_on_it():
    config = with_forms()
    fields = config.forms["basic_identity"]["fields"]
    fields[4]["display_conditions"] = {"not": {"eq": {"sex": None}}}        # risk_level shown when sex is given
    fields[1]["display_conditions"] = {"in": {"risk_reason": ["x"]}}         # sex shown on risk_reason...
    found = problems(config, code="EXPRESSION_CYCLE")                           # ...shown on risk_level
    assert sorted((p.path, p.params["cycle"]) for p in found) == [
        ("risk_level/display_conditions", "risk_level → sex → risk_reason → risk_level"),
        ("risk_reason/display_conditions", "risk_reason → risk_level → sex → risk_reason"),
        ("sex/display_conditions", "sex → risk_reason → risk_level → sex")]


def test_calculations_that_read_each_other_are_a_cycle_and_a_chain_is_not():
    config = with_forms()
    fields = config.forms["basic_identity"]["fields"]
    fields.append(field("first_total", "calculated", calculation={"sum": ["age", "second_total"]}))
    fields.append(field("second_total", "calculated", calculation={"sum": ["first_total", 1]}))
    assert {p.path for p in problems(config)} == {"first_total/calculation", "second_total/calculation"}
    fields[-1]["calculation"] = {"sum": ["age", 1]}
    assert problems(config) == []


def test_a_cycle_across_two_forms_of_the_record_is_found_in_each():
    intake = form("intake", field("a", "tick_box", display_conditions={"eq": {"b": True}}),
                  field("b", "tick_box"), order=1)
    closure = form("closure", field("b", "tick_box"), field("c", "tick_box", display_conditions={"eq": {"b": True}}),
                   order=2)
    assert problems(with_forms(intake, closure)) == []
    intake["fields"][1]["display_conditions"] = {"eq": {"a": True}}
    closure["fields"][0]["display_conditions"] = {"eq": {"a": True}}
    closure["fields"].insert(0, field("a", "tick_box", display_conditions={"eq": {"b": True}}))
    assert {(p.document, p.path) for p in problems(with_forms(intake, closure), code="EXPRESSION_CYCLE")} == {
        ("form:intake", "a/display_conditions"), ("form:intake", "b/display_conditions"),
        ("form:closure", "a/display_conditions"), ("form:closure", "b/display_conditions")}


def test_a_cycle_inside_subform_rows_is_refused():
    rows = form("family_members_section", field("relation_name", display_conditions={"eq": {"relation_age": 3}}),
                field("relation_age", "numeric_field", display_conditions={"eq": {"relation_name": "x"}}),
                is_nested=True)
    assert {p.path for p in problems(with_forms(rows), code="EXPRESSION_CYCLE")} == {
        "relation_name/display_conditions", "relation_age/display_conditions"}


def test_a_broken_expression_is_reported_once_and_does_not_break_the_other_checks():
    config = with_forms()
    config.forms["basic_identity"]["fields"][5]["display_conditions"] = {"eq": {"risk_level": "high", "sex": "x"}}
    assert [p.code for p in problems(config)] == ["EXPRESSION_INVALID"]


# Locked lookups ---------------------------------------------------------------------------

def test_unlocking_a_lookup_is_published_on_its_own_before_its_values_change(app):
    published = minimal_configuration()
    unlocked = copy.deepcopy(published)
    unlocked.lookups["lookup-sex"]["locked"] = False
    assert problems(unlocked, published) == []
    unlocked.lookups["lookup-sex"] = lookup("lookup-sex", "female", "male", "other", locked=False)
    found = problems(unlocked, published)
    assert where(found) == [("LOCKED_LOOKUP_UNLOCK_WITH_CHANGES", "lookup:lookup-sex", "lookup_values_i18n")]
    assert messages(app, found[0]) == [
        "The lookup is unlocked in this draft but published locked: publish the unlock on its own first, "
        "then change its values (+other).",
        "La liste de valeurs est déverrouillée dans ce brouillon mais publiée verrouillée : publiez d'abord le "
        "déverrouillage seul, puis modifiez ses valeurs (+other)."]
    published_unlocked = copy.deepcopy(published)
    published_unlocked.lookups["lookup-sex"]["locked"] = False
    assert problems(unlocked, published_unlocked) == []


def test_a_locked_lookup_cannot_be_deleted_before_it_is_unlocked():
    published = minimal_configuration()
    gone = copy.deepcopy(published)
    del gone.lookups["lookup-sex"]
    assert ("LOCKED_LOOKUP_CHANGED", "lookup:lookup-sex", "lookup_values_i18n") in where(problems(gone, published))


# The shipped configuration ------------------------------------------------------------------

@pytest.mark.parametrize("profile", [None, "bj", "cm"])
def test_the_shipped_configuration_and_both_country_profiles_pass_every_check(profile):
    config = Configuration.from_documents(read_configuration(PROJECT_ROOT / "metadata", profile))
    assert [(p.code, p.document, p.path) for p in problems(config)] == []


def test_a_long_cycle_is_named_by_its_first_fields():
    ring = form("ring", *[field(f"step_{n:02}", "tick_box", display_conditions={"eq": {f"step_{(n + 1) % 20:02}": True}})
                          for n in range(20)])
    found = problems(with_forms(ring), code="EXPRESSION_CYCLE")
    assert len(found) == 20
    first = next(p for p in found if p.path == "step_00/display_conditions")
    assert first.params["cycle"] == " → ".join([f"step_{n:02}" for n in range(12)] + ["…", "step_00"])


@pytest.mark.parametrize("profile", [None, "bj", "cm"])
def test_the_shipped_configuration_and_both_country_profiles_publish(profile):
    from datetime import datetime, timezone

    from server.metadata import draft as drafts
    from server.metadata.versions import LanguageSettings
    from server.storage import get_db

    now = datetime.now(timezone.utc)
    with app_on("mongomock://") as application, application.app_context():
        drafts.replace_draft(get_db(), read_configuration(PROJECT_ROOT / "metadata", profile), "tester", now)
        result = drafts.publish_draft(get_db(), LanguageSettings(("en", "fr"), "en"), "tester", now, "shipped")
        assert result["version"]["version"] == 1 and result["warnings"] == []
