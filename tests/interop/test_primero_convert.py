"""A Primero v2 configuration becomes Abri documents; the report accounts for every element, by name.

Domain only (no database): server/interop/primero*.py. The use case, the API and the command line are in
test_primero_import.py; the publish rule a type change meets is in test_primero_publish.py.
"""
import json

import pytest

from server.interop.primero import HIERARCHY_ID, convert, read_file
from server.interop.primero_read import MAX_FILE_BYTES, PrimeroFileInvalid, PrimeroFileTooLarge
from server.metadata.checks import ERROR, run_checks
from server.metadata.configuration import Configuration
from server.metadata.problems import CheckContext
from tests.interop.primero_builders import (ADMIN_RESOURCES, PRIMERO_ACTIONS, RECORD_RESOURCES, element_count,
                                            large_configuration, load_fixture)


def converted(config: dict, default_language: str = "en", known_lookups=()):
    return convert(read_file(json.dumps(config).encode()), default_language, known_lookups)


@pytest.fixture(scope="module")
def small():
    conversion = converted(load_fixture("cp_small.json"))
    return conversion, conversion.report.as_json("en")


def item(report: dict, kind: str, name: str) -> dict:
    found = [i for i in report["items"] if i["kind"] == kind and i["name"] == name]
    assert len(found) == 1, (kind, name)
    return found[0]


def codes(report: dict, kind: str, name: str) -> list[str]:
    return [note["code"] for note in item(report, kind, name)["notes"]]


def fields_of(conversion, form: str) -> dict[str, dict]:
    return {f["name"]: f for f in conversion.documents["form"][form]["fields"]}


# --- the report ---------------------------------------------------------------------------------


def test_every_element_of_the_file_is_reported_once_and_the_counts_add_up(small):
    _, report = small
    assert {kind: count["total"] for kind, count in report["counts"].items()} == element_count(
        load_fixture("cp_small.json"))
    for count in report["counts"].values():
        assert count["mapped"] + count["adapted"] + count["not_mapped"] == count["total"]


def test_what_is_mapped_as_it_is_has_no_note(small):
    _, report = small
    for name in ("basic_identity/name_first", "basic_identity/sex", "basic_identity/pregnant",
                 "basic_identity/protection_concerns", "basic_identity/separation_details"):
        assert item(report, "field", name)["status"] == "mapped"
    assert item(report, "lookup", "lookup-gender")["status"] == "mapped"
    assert item(report, "permission", "role-cp-case-worker/case:read")["status"] == "mapped"


def test_what_is_adapted_says_how_by_name(small):
    _, report = small
    assert codes(report, "field", "basic_identity/Name-Last") == ["renamed"]
    assert codes(report, "field", "basic_identity/registration_period") == ["date_range"]
    assert codes(report, "field", "basic_identity/caseworker") == ["options_dynamic"]
    assert codes(report, "field", "basic_identity/agency_of_registration") == ["options_dynamic"]
    assert codes(report, "field", "basic_identity/location_current") == ["options_location"]
    assert codes(report, "field", "basic_identity/case_status_reopened") == ["condition_disabled", "attribute_dropped"]
    assert codes(report, "field", "basic_identity/registration_notes") == ["condition_field_unknown"]
    assert codes(report, "form", "basic_identity") == ["attribute_dropped"]  # is_first_tab
    assert codes(report, "form", "followup_subform_section") == ["attribute_dropped"]  # initial_subforms
    assert codes(report, "lookup", "lookup-followup-type") == ["renamed"]  # "phone call"
    message = item(report, "field", "basic_identity/case_status_reopened")["notes"][1]["message"]
    assert message == "Abri has no equivalent of locked: left out."


def test_what_is_not_mapped_says_why_by_name(small):
    _, report = small
    assert item(report, "form", "family_overview")["status"] == "not_mapped"
    assert codes(report, "field", "family_overview/family_number") == ["parent_form_unknown"]
    assert codes(report, "field", "basic_identity/signature_child") == ["type_unknown"]
    assert codes(report, "location", "BJ-XX-01") == ["location_parent_unknown"]
    left_out = {i["name"] for i in report["items"] if i["kind"] == "permission" and i["status"] == "not_mapped"}
    assert left_out == {"role-superuser/dashboard:case_risk", "role-cp-case-worker/case:export_pdf",
                        "role-cp-case-worker/case:view_photo", "role-cp-case-worker/kpi:kpi_case_load"}


def test_the_report_reads_in_french():
    report = converted(load_fixture("cp_small.json")).report.as_json("fr")
    message = item(report, "field", "basic_identity/signature_child")["notes"][0]["message"]
    assert message == "Abri n'a pas de type de champ signature."


# --- the draft ------------------------------------------------------------------------------------


def test_labels_keep_both_languages_from_flattened_keys_and_i18n_maps(small):
    conversion, _ = small
    form = conversion.documents["form"]["basic_identity"]
    assert form["name_i18n"] == {"en": "Basic Identity", "fr": "Identité de base"}
    fields = fields_of(conversion, "basic_identity")
    assert fields["name_first"]["display_name_i18n"] == {"en": "First Name", "fr": "Prénom"}
    assert fields["name_last"]["display_name_i18n"] == {"en": "Surname", "fr": "Nom"}
    assert fields["pregnant"]["tick_box_label_i18n"] == {"en": "Yes", "fr": "Oui"}
    assert fields["separation_details"]["guiding_questions_i18n"] == {"en": "When and where?", "fr": "Quand et où ?"}
    assert conversion.documents["form"]["followup"]["name_i18n"] == {"en": "Follow Up", "fr": "Suivi"}


def test_options_come_inline_with_their_translations_or_from_lookups(small):
    conversion, _ = small
    fields = fields_of(conversion, "basic_identity")
    assert fields["protection_concerns"]["option_strings_text_i18n"] == [
        {"id": "separated", "display_text": {"en": "Separated", "fr": "Séparé"}},
        {"id": "unaccompanied", "display_text": {"en": "Unaccompanied", "fr": "Non accompagné"}}]
    assert fields["protection_concerns"]["multi_select"] is True
    assert fields["sex"]["option_strings_source"] == "lookup lookup-gender"
    gender = conversion.documents["lookup"]["lookup-gender"]
    assert gender["locked"] is True
    assert gender["lookup_values_i18n"][0] == {"id": "female", "display_text": {"en": "Female", "fr": "Féminin"}}
    followup = conversion.documents["lookup"]["lookup-followup-type"]["lookup_values_i18n"]
    assert [v["id"] for v in followup] == ["home_visit", "phone_call"]


def test_conditions_are_translated_in_on_a_multi_select_included(small):
    conversion, _ = small
    fields = fields_of(conversion, "basic_identity")
    assert fields["pregnant"]["display_conditions"] == {"eq": {"sex": "female"}}
    assert fields["separation_details"]["display_conditions"] == {
        "in": {"protection_concerns": ["separated", "unaccompanied"]}}
    assert "display_conditions" not in fields["case_status_reopened"]  # switched off in Primero
    assert "display_conditions" not in fields["registration_notes"]  # reads a field of another form
    assert fields["age_next_year"] == {"name": "age_next_year", "type": "calculated",
                                       "display_name_i18n": {"en": "Age next year"}, "calculation": {"sum": ["age", 1]}}


def test_types_abri_lacks_become_their_nearest_equivalent(small):
    conversion, _ = small
    fields = fields_of(conversion, "basic_identity")
    assert fields["registration_period_from"]["type"] == fields["registration_period_to"]["type"] == "date_field"
    assert fields["caseworker"]["type"] == fields["agency_of_registration"]["type"] == "text_field"
    assert fields["location_current"]["type"] == "location"
    assert "signature_child" not in fields
    assert fields["date_of_birth"]["date_validation"] == "not_future_date"
    assert fields["name_first"]["required"] is True and fields["name_first"]["show_on_minify_form"] is True


def test_subforms_keep_their_display_hints_and_row_conditions(small):
    conversion, report = small
    subform = fields_of(conversion, "followup")["followup_subform_section"]
    assert subform["subform_section_id"] == "followup_subform_section"
    assert subform["subform_sort_by"] == "followup_date"
    assert subform["collapsed_field_names"] == ["followup_date", "followup_type"]
    assert codes(report, "field", "followup/followup_subform_section") == ["attribute_dropped"]  # subform_group_by
    rows = fields_of(conversion, "followup_subform_section")
    assert rows["followup_comments"]["display_conditions"] == {"eq": {"followup_type": "home_visit"}}
    assert codes(report, "field", "followup_subform_section/followup_comments") == ["condition_parent_record"]
    nested = conversion.documents["form"]["followup_subform_section"]
    assert nested["is_nested"] is True and nested["module_ids"] == ["primeromodule-cp"]


def test_roles_get_abri_permissions_forms_and_modules(small):
    conversion, report = small
    worker = conversion.documents["role"]["role-cp-case-worker"]
    assert worker["permissions"] == {"case": ["read", "write", "create", "flag", "refer", "export_xlsx", "assign"],
                                     "incident": ["read"]}
    assert worker["form_section_read_write"] == {"basic_identity": "rw", "followup": "r"}
    assert worker["module_ids"] == ["primeromodule-cp"]
    assert codes(report, "role", "role-cp-case-worker") == ["form_unknown"]  # family_overview is not imported
    superuser = conversion.documents["role"]["role-superuser"]
    assert superuser["assignable_role_ids"] == ["*"]
    assert set(superuser["form_section_read_write"]) == {"basic_identity", "followup"}  # Primero: every form
    assert codes(report, "permission", "role-superuser/case:manage") == ["permission_expanded"]
    assert codes(report, "permission", "role-cp-case-worker/case:assign_within_agency") == ["permission_widened"]


def test_modules_and_places(small):
    conversion, report = small
    module = conversion.documents["module"]["primeromodule-cp"]
    assert module["associated_record_types"] == ["case", "tracing_request", "incident"]
    assert module["module_options"] == {"use_workflow_case_plan": True, "allow_searchable_ids": True}
    assert codes(report, "module", "primeromodule-cp") == ["record_types_unknown", "attribute_dropped"]
    places = conversion.documents["location"][HIERARCHY_ID]["locations"]
    assert places == [{"code": "BJ", "admin_level": 0, "name_i18n": {"en": "Benin", "fr": "Bénin"}},
                      {"code": "BJ-AL", "admin_level": 1, "name_i18n": {"en": "Alibori"}, "parent_code": "BJ"}]


def test_a_lookup_the_file_lacks_is_taken_from_the_instance_or_the_field_becomes_text():
    config = {"forms": [{"unique_id": "f", "parent_form": "case", "name_en": "F", "fields_attributes": [
        {"name": "a", "type": "select_box", "display_name_en": "A", "option_strings_source": "lookup lookup-known"},
        {"name": "b", "type": "select_box", "display_name_en": "B", "option_strings_source": "lookup lookup-gone"}]}]}
    conversion = converted(config, known_lookups={"lookup-known"})
    fields = fields_of(conversion, "f")
    assert fields["a"]["option_strings_source"] == "lookup lookup-known"
    assert conversion.needed_lookups == {"lookup-known"}
    assert fields["b"]["type"] == "text_field"
    assert codes(conversion.report.as_json("en"), "field", "f/b") == ["lookup_missing"]


# --- a deployed configuration of many forms --------------------------------------------------------


@pytest.fixture(scope="module")
def large():
    config = large_configuration()
    return config, converted(config)


def test_a_large_configuration_imports_and_every_element_is_accounted_for(large):
    config, conversion = large
    counts = conversion.report.counts()
    expected = element_count(config)
    assert expected["form"] == 60 and expected["field"] > 1000 and expected["lookup"] == 100
    assert {kind: count["total"] for kind, count in counts.items()} == expected
    for kind, count in counts.items():
        assert count["mapped"] + count["adapted"] + count["not_mapped"] == count["total"], kind
    names = {(i.kind, i.name) for i in conversion.report.items}
    assert len(names) == len(conversion.report.items)  # each element once
    for resource in RECORD_RESOURCES:
        for action in PRIMERO_ACTIONS:
            assert ("permission", f"role-superuser/{resource}:{action}") in names
    for resource, actions in ADMIN_RESOURCES.items():
        for action in actions:
            assert ("permission", f"role-superuser/{resource}:{action}") in names


def test_the_large_configuration_passes_the_checks_and_keeps_an_administrator(large):
    _, conversion = large
    config = Configuration.from_documents(conversion.as_list())
    problems = run_checks(config, CheckContext(("en", "fr"), "en", Configuration(version=0), {}))
    assert [p for p in problems if p.severity == ERROR] == []
    superuser = config.roles["role-superuser"]
    assert superuser["permissions"]["user"] == ["manage"] and superuser["assignable_role_ids"] == ["*"]
    assert config.roles["role-cp-user-manager"]["assignable_role_ids"] == ["role-cp-case-worker"]
    assert config.roles["role-cp-user-manager"]["permissions"] == {"user": ["manage"]}  # role: assign edits none
    assert [n.code for n in conversion.report.find("permission", "role-cp-user-manager/role:assign").notes] == [
        "attribute_mapped"]
    kinds = {f["type"] for form in config.forms.values() for f in form["fields"]}
    assert kinds >= {"text_field", "textarea", "select_box", "radio_button", "tick_box", "numeric_field",
                     "date_field", "subform", "tally_field", "separator", "calculated", "location",
                     "photo_upload_box", "audio_upload_box", "document_upload_box"}
    unknown = {i.name.split("/")[1].split("_")[2] for i in conversion.report.items
               if i.kind == "field" and i.status == "not_mapped"}
    assert unknown == {"custom", "signature"}


def test_every_primero_permission_is_mapped_adapted_or_named_as_missing(large):
    _, conversion = large
    statuses = {i.name.split("/", 1)[1]: i.status for i in conversion.report.items
                if i.kind == "permission" and i.name.startswith("role-superuser/case:")}
    assert statuses["case:read"] == statuses["case:approve_closure"] == "mapped"
    assert statuses["case:export_xls"] == statuses["case:referral"] == "adapted"
    assert statuses["case:export_pdf"] == statuses["case:approve_gbv_closure"] == "not_mapped"


# --- hostile files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("data, reason", [
    (b"not json", "it is not valid JSON (line 1, column 1)."),
    (b"\xff\xfe{}", "it is not UTF-8 text."),
    (b"[1, 2]", "the top level must be an object with the lists forms, lookups, roles, modules and locations."),
    (b'{"forms": {"a": 1}}', "forms must be a list of objects."),
    (b'{"other": []}', "it holds none of the lists forms, lookups, roles, modules and locations."),
    (b'{"forms": [{"$where": "1"}]}', "the key $where at /forms/0 starts with $ or holds a dot."),
    (b'{"forms": [{"a.b": "1"}]}', "the key a.b at /forms/0 starts with $ or holds a dot."),
    (b'{"forms": [{"name_en": "a\\u0000b"}]}', "the text at /forms/0/name_en holds a NUL character."),
    (b'{"forms": [{"name_en": "\\ud800"}]}',
     "the text at /forms/0/name_en holds broken Unicode (an unpaired surrogate)."),
    (b'{"forms": [{"order": NaN}]}', "it holds a number JSON cannot carry (NaN)."),
    (b'{"forms": [{"order": 99999999999999999999999}]}',
     "it holds a number JSON cannot carry (99999999999999999999999)."),
    (b'{"forms": [' + b"[" * 40 + b"]" * 40 + b"]}", "it is nested deeper than 32 levels."),
])
def test_a_file_that_is_not_a_configuration_is_refused_whole_with_the_reason(data, reason):
    with pytest.raises(PrimeroFileInvalid) as raised:
        read_file(data)
    assert raised.value.code == "DOCUMENT_INVALID"
    assert raised.value.rendered("en") == "The file is not a Primero configuration: " + reason


def test_the_reason_reads_in_french():
    with pytest.raises(PrimeroFileInvalid) as raised:
        read_file(b'{"forms": [{"$where": "1"}]}')
    assert raised.value.rendered("fr") == ("Le fichier n'est pas une configuration Primero : la clé $where en "
                                           "/forms/0 commence par $ ou contient un point.")


def test_a_huge_file_is_refused_before_it_is_parsed():
    with pytest.raises(PrimeroFileTooLarge) as raised:
        read_file(b" " * (MAX_FILE_BYTES + 1))
    assert raised.value.code == "PAYLOAD_TOO_LARGE"


def test_odd_shapes_inside_the_lists_are_reported_not_crashed_on():
    config = {"forms": [1, {"unique_id": "ok", "parent_form": "case", "name_en": "Ok", "fields_attributes": [
        "text", {"name": 3, "type": "text_field"}, {"name": "9 Lives!", "type": "text_field"},
        {"name": "x", "type": "select_box", "option_strings_text_en": "a,b"},
        {"name": "x", "type": "text_field"}]}],
        "lookups": [{"unique_id": "lookup-bad!", "lookup_values_en": [{"id": "é t", "display_text": 4}]}],
        "roles": [{"unique_id": "role-x", "permissions": "all", "group_permission": "everyone"}],
        "modules": [{"unique_id": "m"}], "locations": [{"location_code": "A", "admin_level": 9}]}
    conversion = converted(config)
    report = conversion.report.as_json("en")
    assert item(report, "form", "#0")["status"] == "not_mapped"
    assert codes(report, "field", "ok/#0") == codes(report, "field", "ok/#1") == ["shape_invalid"]
    assert codes(report, "field", "ok/9 Lives!") == ["renamed", "label_missing"]
    assert fields_of(conversion, "ok")["field_9_lives"]["display_name_i18n"] == {"en": "9 Lives!"}
    assert codes(report, "field", "ok/x")[0] == "options_dynamic"  # no options it can read: a short text
    assert codes(report, "field", "ok/x #4") == ["duplicate"]
    assert conversion.documents["lookup"]["lookup-bad"]["lookup_values_i18n"][0]["id"] == "t"
    assert codes(report, "role", "role-x") == ["label_missing", "scope_unknown", "all_forms"]
    assert codes(report, "module", "m") == ["no_record_types"]
    assert codes(report, "location", "A") == ["location_invalid"]
    for count in report["counts"].values():
        assert count["mapped"] + count["adapted"] + count["not_mapped"] == count["total"]
