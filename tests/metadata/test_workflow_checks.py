"""A module's workflow is configuration: checked at publish, its labels translated, its stage rule exact."""
from __future__ import annotations

import copy

import pytest

from server.metadata.checks import CheckContext, run_checks
from server.metadata.configuration import Configuration
from server.metadata.labels import iter_labels
from server.metadata.translations import apply_rows, translation_rows
from server.metadata.workflow import parse_workflow, stage_of
from tests.builders import i18n, minimal_configuration

WORKFLOW = {
    "stages": [{"id": "new", "name_i18n": i18n("New", "Nouveau")},
               {"id": "older", "name_i18n": i18n("Older", "Plus âgé"), "when": {"gt": {"age": 12}}},
               {"id": "closed", "name_i18n": i18n("Closed", "Clôturé"), "when": {"eq": {"@status": "closed"}}}],
    "services": {"subform": "family_members", "type": "relation_name"},
    "consent": {"services": {"field": "risk_level", "values": ["low"]}},
    "closure": {"required_fields": ["name"], "approval_required": True},
    "approvals": [{"id": "closure", "name_i18n": i18n("Closure approval", "Approbation de la clôture")}],
    "tasks": [{"id": "visit", "name_i18n": i18n("Visit", "Visite"), "subform": "family_members",
               "due_field": "relation_name", "done_when": {"gt": {"relation_age": 0}}}],
}


def configured(workflow: dict) -> Configuration:
    documents = []
    for kind, uid, body in minimal_configuration().documents():
        body = copy.deepcopy(body)
        if kind == "module":
            body["workflow"] = workflow
        documents.append((kind, uid, body))
    return Configuration.from_documents(documents)


def problems(workflow: dict) -> list[tuple[str, str]]:
    context = CheckContext(("en", "fr"), "en", Configuration.from_documents([]), {})
    return [(problem.code, problem.path) for problem in run_checks(configured(workflow), context)
            if problem.severity == "error"]


def test_a_workflow_naming_the_forms_fields_passes():
    assert problems(WORKFLOW) == []


@pytest.mark.parametrize("change,expected", [
    (lambda w: w["consent"]["services"].update(field="nope"),
     ("WORKFLOW_FIELD_UNKNOWN", "workflow/consent/services/field")),
    (lambda w: w["services"].update(type="age"), ("WORKFLOW_FIELD_UNKNOWN", "workflow/services/type")),
    (lambda w: w["services"].update(subform="name"), ("WORKFLOW_FIELD_UNKNOWN", "workflow/services/subform")),
    (lambda w: w["closure"].update(required_fields=["gone"]), ("WORKFLOW_FIELD_UNKNOWN",
                                                               "workflow/closure/required_fields")),
    (lambda w: w["tasks"][0].update(due_field="age"), ("WORKFLOW_FIELD_UNKNOWN", "workflow/tasks/0/due_field")),
    (lambda w: w["tasks"][0].pop("due_field"), ("WORKFLOW_TASK_NO_DUE_DATE", "workflow/tasks/0")),
    (lambda w: w["stages"].append(dict(w["stages"][0])), ("WORKFLOW_ID_DUPLICATE", "workflow/stages")),
    (lambda w: w["stages"][1].update(when={"gt": {"@nothing": 1}}), ("EXPRESSION_FIELD_UNKNOWN",
                                                                    "workflow/stages/1/when")),
    (lambda w: w["stages"][1].update(when={"sum": ["age"]}), ("EXPRESSION_INVALID", "workflow/stages/1/when")),
    (lambda w: w.update(approvals=[]),
     ("WORKFLOW_CLOSURE_APPROVAL_MISSING", "workflow/closure/approval_required")),
])
def test_a_workflow_naming_what_the_forms_do_not_have_is_refused(change, expected):
    workflow = copy.deepcopy(WORKFLOW)
    change(workflow)
    assert expected in problems(workflow)


def test_the_stage_is_the_last_whose_condition_holds_over_data_and_facts():
    workflow = parse_workflow("primeromodule-cp", WORKFLOW)
    assert stage_of(workflow, {"data": {"age": 9}}) == "new"
    assert stage_of(workflow, {"data": {"age": 13}}) == "older"
    assert stage_of(workflow, {"status": "closed", "data": {"age": 9}}) == "closed"


def test_the_workflows_names_are_labels_to_translate():
    module = configured(WORKFLOW).modules["primeromodule-cp"]
    labels = {label.option: label.texts["fr"] for label in iter_labels("module", module)}
    assert labels["stages/older"] == "Plus âgé" and labels["tasks/visit"] == "Visite"
    assert labels["approvals/closure"] == "Approbation de la clôture"
    rows = [row for _, group in translation_rows(configured(WORKFLOW), "fr", "en") for row in group]
    assert any(row.option == "stages/older" and row.property == "name_i18n" for row in rows)


def test_a_translated_stage_name_is_written_back_into_the_module():
    config = configured(WORKFLOW)
    rows = [row for _, group in translation_rows(config, "fr", "en") for row in group]
    row = next(row for row in rows if row.option == "stages/older")
    values = {"kind": row.kind, "document": row.document, "field": row.field, "option": row.option,
              "property": row.property, "default_text": row.default_text, "text": "Plus grand"}
    bodies, _ = apply_rows(config, [(2, values)], "fr", "en")
    stages = bodies[("module", "primeromodule-cp")]["workflow"]["stages"]
    assert stages[1]["name_i18n"] == {"en": "Older", "fr": "Plus grand"}
