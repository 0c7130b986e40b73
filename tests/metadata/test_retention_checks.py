"""The personal-data configuration: the shipped fields that identify a person are marked, the default retention rule
passes its checks, and each retention check refuses its mistake with its stable code."""
import copy

import pytest

from server.config import PROJECT_ROOT
from server.metadata.checks import run_checks
from server.metadata.configuration import Configuration
from server.metadata.files import read_configuration
from server.metadata.retention import identifying_fields, retention_rules
from tests.builders import field, minimal_configuration
from tests.metadata.test_checks import context

OURS = ("RETENTION_ID_DUPLICATE", "RETENTION_RECORD_TYPE", "RETENTION_FROM_UNKNOWN", "RETENTION_NOTHING_IDENTIFYING",
        "IDENTIFYING_UNMARKED")
RULE = {"id": "closed-cases", "record_type": "case", "status": "closed", "after_days": 1826, "from": "date_of_birth",
        "action": "pseudonymise"}


@pytest.mark.parametrize("profile", [None, "bj", "cm"])
def test_the_shipped_configuration_marks_what_identifies_a_child_and_its_rule_passes(profile):
    config = Configuration.from_documents(read_configuration(PROJECT_ROOT / "metadata", profile))
    assert [p.code for p in run_checks(config, context(languages=("en", "fr"))) if p.code in OURS] == []
    case = identifying_fields(config, "case")
    assert {"name_first", "name_last", "name_nickname", "name_other", "date_of_birth", "national_id_no",
            "telephone_current", "address_current", "photos", "other_documents"} <= case.top
    assert case.rows["family_details_section"] == {"relation_name", "relation_telephone"}
    assert case.rows["care_arrangements_section"] == {"name_caregiver", "care_arrangements_address"}
    assert {"photos", "recorded_audio", "other_documents"} <= case.files
    assert {"sex", "age", "location_current", "protection_concerns", "date_closure"}.isdisjoint(case.top)
    national = {"bj": {"npi_number", "caregiver_telephone"}, "cm": {"birth_certificate_number", "caregiver_telephone"}}
    assert national.get(profile, set()) <= case.top
    request = identifying_fields(config, "tracing_request")
    assert {"relation_name", "relation_telephone"} <= request.top
    assert request.rows["tracing_request_subform_section"] == {"name", "name_nickname", "date_of_birth", "address_last"}
    assert identifying_fields(config, "incident").rows["perpetrator_subform_section"] == {"cp_incident_abuser_name"}
    [rule] = retention_rules(config)
    assert (rule.record_type, rule.status, rule.after_days, rule.source, rule.action) == (
        "case", "closed", 1826, "date_closure", "pseudonymise")


def with_rules(*rules, marked: bool = True) -> Configuration:
    config = copy.deepcopy(minimal_configuration())
    config.modules["primeromodule-cp"]["retention"] = [dict(rule) for rule in rules]
    if marked:
        config.forms["basic_identity"]["fields"][0]["identifying"] = True  # name
    return config


def problems(config) -> set[tuple[str, str, str]]:
    return {(p.code, p.severity, p.path) for p in run_checks(config, context()) if p.code in OURS}


def test_a_well_made_rule_passes():
    assert problems(with_rules(RULE, {**RULE, "id": "old", "from": "closed_at", "action": "delete"})) == set()


@pytest.mark.parametrize("rules,expected", [
    ([RULE, {**RULE, "action": "delete"}], ("RETENTION_ID_DUPLICATE", "error", "retention")),
    # The minimal module holds tracing requests, but they have no date of birth.
    ([{**RULE, "record_type": "tracing_request"}], ("RETENTION_FROM_UNKNOWN", "error", "retention/0/from")),
    ([{**RULE, "from": "risk_level"}], ("RETENTION_FROM_UNKNOWN", "error", "retention/0/from")),
    ([{**RULE, "from": "no_such_date"}], ("RETENTION_FROM_UNKNOWN", "error", "retention/0/from")),
])
def test_each_retention_rule_mistake_has_its_code(rules, expected):
    assert expected in problems(with_rules(*rules))


def test_a_rule_about_records_the_module_does_not_hold_is_refused():
    config = with_rules({**RULE, "record_type": "incident"})
    config.modules["primeromodule-cp"]["associated_record_types"] = ["case"]
    config.forms.pop("cp_incident_form")
    assert ("RETENTION_RECORD_TYPE", "error", "retention/0/record_type") in problems(config)


def test_pseudonymising_records_with_nothing_marked_is_a_warning():
    assert problems(with_rules(RULE, marked=False)) == {
        ("RETENTION_NOTHING_IDENTIFYING", "warning", "retention/0")}


def test_a_field_the_duplicate_search_compares_should_be_marked():
    config = with_rules()
    config.forms["basic_identity"]["fields"].append(field("nickname", matchable=True))
    assert ("IDENTIFYING_UNMARKED", "warning", "nickname") in problems(config)
    config.forms["basic_identity"]["fields"][-1]["identifying"] = True
    assert problems(config) == set()


def test_identifying_has_one_meaning_across_the_forms_of_a_record_type():
    config = with_rules()
    config.forms["other"] = copy.deepcopy(config.forms["basic_identity"])
    config.forms["other"]["unique_id"] = "other"
    config.forms["other"]["fields"] = [dict(config.forms["basic_identity"]["fields"][0], identifying=False)]
    assert "FIELD_INCONSISTENT" in {p.code for p in run_checks(config, context())}
