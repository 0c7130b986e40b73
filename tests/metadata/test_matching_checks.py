"""The matching rules are configuration: checked against the forms, shaped by the module meta-schema, completed by
the country profiles."""
from __future__ import annotations

import copy
import json

import pytest

from server.config import PROJECT_ROOT
from server.errors import Unprocessable
from server.metadata.checks import CheckContext, run_checks
from server.metadata.configuration import Configuration
from server.metadata.documents import validate_document
from server.metadata.files import read_configuration

SHIPPED = read_configuration(PROJECT_ROOT / "metadata", "bj")


def with_rules(change) -> Configuration:
    documents = []
    for kind, uid, body in SHIPPED:
        body = copy.deepcopy(body)
        if kind == "module":
            change(body["matching"])
        documents.append((kind, uid, body))
    return Configuration.from_documents(documents)


def errors(change) -> list[tuple[str, str]]:
    context = CheckContext(("en", "fr"), "en", Configuration.from_documents([]), {})
    return [(problem.code, problem.path) for problem in run_checks(with_rules(change), context)
            if problem.severity == "error"]


def test_the_shipped_rules_pass_with_each_profile():
    assert errors(lambda rules: None) == []
    for profile, number in ((None, None), ("bj", "npi_number"), ("cm", "birth_certificate_number")):
        module = next(body for kind, _, body in read_configuration(PROJECT_ROOT / "metadata", profile)
                      if kind == "module")
        assert module["matching"]["identifiers"] == ["national_id_no", *([number] if number else [])]


def _set(path, value):
    def change(rules):
        holder = rules
        for part in path[:-1]:
            holder = holder[part]
        holder[path[-1]] = value
    return change


@pytest.mark.parametrize("change, expected", [
    (_set(("compare", 0, "fields"), ["name_first", "no_such_name"]),
     ("MATCHING_FIELD_UNKNOWN", "matching/compare/0/fields/1")),
    (_set(("compare", 1, "fields"), ["date_of_birth"]), ("MATCHING_FIELD_TYPE", "matching/compare/1/fields/0")),
    (_set(("compare", 2, "fields"), ["age", "date_of_birth"]), ("MATCHING_FIELD_TYPE", "matching/compare/2/fields/0")),
    (_set(("compare", 2, "as_of"), "name_first"), ("MATCHING_FIELD_TYPE", "matching/compare/2/as_of")),
    (_set(("compare", 2, "fields"), ["date_of_birth", "age", "registration_date"]),
     ("MATCHING_BIRTH_FIELDS", "matching/compare/2/fields")),
    (_set(("compare", 4, "fields"), ["sex"]), ("MATCHING_FIELD_TYPE", "matching/compare/4/fields/0")),
    (_set(("compare", 0, "fields"), ["family_details_section/relation_name"]),
     ("MATCHING_NO_CHILD_NAME", "matching/compare")),
    (_set(("possible",), 0.9), ("MATCHING_THRESHOLDS", "matching/possible")),
    (_set(("identifiers",), ["sex"]), ("MATCHING_FIELD_TYPE", "matching/identifiers/0")),
    (_set(("traces", "subform"), "family_details_section"), ("MATCHING_FIELD_UNKNOWN", "matching/traces/subform")),
    (_set(("traces", "fields"), {"separation_cause": "name_first", "name": "nationality"}),
     ("MATCHING_FIELD_TYPE", "matching/traces/fields/separation_cause")),
    (_set(("traces", "fields"), {"name": "nationality"}),
     ("MATCHING_TRACE_NOT_COMPARED", "matching/traces/fields/name")),
])
def test_rules_naming_what_the_forms_do_not_have_are_refused(change, expected):
    assert expected in errors(change)


@pytest.mark.parametrize("change, pointer", [
    (_set(("compare", 0, "weight"), 0), "/matching/compare/0/weight"),
    (_set(("compare", 1, "against"), -1), "/matching/compare/1/against"),
    (_set(("compare", 1, "kind"), "soundex"), "/matching/compare/1/kind"),
    (_set(("likely",), float("inf")), "/matching/likely"),
    (_set(("name_variants",), [["fatou"]]), "/matching/name_variants/0"),
    (_set(("compare", 0, "fields"), ["$where"]), "/matching/compare/0/fields/0"),
])
def test_the_shape_of_the_rules_is_the_meta_schemas(change, pointer):
    module = copy.deepcopy(next(body for kind, _, body in SHIPPED if kind == "module"))
    change(module["matching"])
    with pytest.raises(Unprocessable) as refused:
        validate_document("module", json.loads(json.dumps(module, allow_nan=True)))
    assert pointer in [detail.field for detail in refused.value.details]
