"""The field-type registry: one row per type, and everything else reads it."""
import copy

import pytest

from server.errors import Unprocessable
from server.export.cells import cell_kind
from server.export.layout import build_layout
from server.export.rows import RowBuilder
from server.metadata.checks import CheckContext, run_checks
from server.metadata.configuration import Configuration
from server.metadata.documents import meta_schema
from server.metadata.field_types import (ANSWERED, EQUALITY, FIELD_TYPES, FILTERS, NO_FILTER, TEXT, TEXT_CELL,
                                         FieldType, field_type, not_blank, text_schema)
from server.metadata.record_schema import compile_record_schema, record_fields
from server.records.search import build_list_query, filterable_fields, search_tokens
from server.records.validation import validate_data
from tests.builders import field, form, minimal_configuration

IDENTITY_TITLES = {name: name for name in ("display_id", "short_id", "status", "owned_by", "created_at",
                                           "last_updated_at", "unique_id", "record_state", "removed_fields")}


def context():
    return CheckContext(("en", "fr"), "en", Configuration(version=0), {})


def problems(config):
    return [(p.code, p.severity, p.path) for p in run_checks(config, context())]


def with_fields(*fields):
    config = copy.deepcopy(minimal_configuration())
    config.forms["basic_identity"]["fields"].extend(fields)
    return config


def test_the_registry_and_the_meta_schema_name_the_same_types():
    assert list(FIELD_TYPES) == meta_schema("field")["properties"]["type"]["enum"]


def test_every_row_is_complete_and_names_only_attributes_the_meta_schema_knows():
    known = set(meta_schema("field")["properties"])
    for name, row in FIELD_TYPES.items():
        assert row.name == name and str(row.label)
        assert row.filter in FILTERS
        assert row.accepted_attributes <= known, name
        assert {"name", "type", "display_name_i18n"} <= row.accepted_attributes
        assert row.holds_data == bool(row.json_type) == (row.schema is not None)


def test_an_attribute_a_type_does_not_use_is_a_warning_naming_it():
    config = with_fields(field("weight", "numeric_field", pattern="^[0-9]+$"),
                         field("visits", "tally_field", filterable=True, tally_i18n=[]))
    found = problems(config)
    assert ("FIELD_ATTRIBUTE_UNUSED", "warning", "weight/pattern") in found
    assert ("FIELD_ATTRIBUTE_UNUSED", "warning", "visits/filterable") in found
    assert not [p for p in found if p[1] == "error"]


def test_lists_filter_each_type_as_the_registry_says():
    config = with_fields(field("seen_on", "date_field", filterable=True), field("weight", "numeric_field", filterable=True),
                         field("agree", "tick_box", filterable=True), field("visits", "tally_field", filterable=True),
                         field("notes", "textarea", filterable=True))
    kinds = filterable_fields(record_fields(config, "case").fields)
    assert kinds == {"sex": "text", "seen_on": "date", "weight": "number", "agree": "bool", "notes": "text"}
    assert field_type("tally_field").filter == NO_FILTER  # a count per category: no value to compare with


def test_an_export_writes_each_type_as_the_registry_says():
    assert cell_kind(field("seen_on", "date_field")) == "date"
    assert cell_kind(field("seen_at", "date_field", date_include_time=True)) == "datetime"
    assert cell_kind(field("sex", "select_box")) == "option"
    assert cell_kind(field("photos", "photo_upload_box")) == "file_names"


# --- a new type is one row ----------------------------------------------------------------------

PHONE = FieldType("phone_field", "Phone number", TEXT, ("string",), text_schema(30), not_blank,
                  ANSWERED | {"pattern", "pattern_hint_i18n", "max_length"}, "tel", filter=EQUALITY,
                  searchable=True, cell=TEXT_CELL)


@pytest.fixture
def phone_type(monkeypatch):
    """The registry with one more row, as a new type would add it (and nothing else)."""
    monkeypatch.setitem(FIELD_TYPES, "phone_field", PHONE)
    return PHONE


def test_a_new_type_added_to_the_registry_alone_works_everywhere(phone_type):
    phone = field("phone", "phone_field", required=True, filterable=True, searchable=True,
                  pattern="^\\+[0-9 ]+$")
    config = with_fields(phone)
    # the checks accept the form
    assert [p for p in problems(config) if "phone" in p[2]] == []
    # the served schema and the record engine know its values
    schema = compile_record_schema(config, "case", write=True)["properties"]["phone"]
    assert schema["type"] == ["string", "null"] and schema["maxLength"] == 30 and schema["pattern"]
    data = validate_data(config, "case", None, {}, {"risk_level": "low", "phone": "+229 01 23 45 67"})
    assert data["phone"] == "+229 01 23 45 67"
    for wrong in ("call me", "+229" + "0" * 40, 22901):
        with pytest.raises(Unprocessable) as refused:
            validate_data(config, "case", None, {}, {"phone": wrong})
        assert [d.field for d in refused.value.details] == ["/phone"]
    with pytest.raises(Unprocessable) as missing:
        validate_data(config, "case", None, {}, {"name": "Awa"})
    assert [(d.field, d.code) for d in missing.value.details] == [("/phone", "required")]
    # lists filter it by equality and a text search reads its words
    fields = record_fields(config, "case").fields
    assert filterable_fields(fields)["phone"] == "text"
    build_list_query({"phone": ["+229 01 23 45 67"]}, fields, 50)
    assert "phone:229" in search_tokens([("phone", "+229 01 23 45 67")])
    # an export writes it as text
    sheets = build_layout(config, "case", None, None, None, "en", "en", IDENTITY_TITLES)
    sheet = next(s for s in sheets if "phone" in s.fields)
    rows = RowBuilder(sheets, config, "en", "en", False, ("Yes", "No"), "short_id").rows(
        {"_id": "1", "short_id": "abc", "data": {"phone": "+229 01 23 45 67"}})
    row = next(values for index, values in rows if sheets[index] is sheet)
    assert "+229 01 23 45 67" in row and cell_kind(phone) == "text"


def test_a_new_type_is_served_to_clients(phone_type, client):
    served = client.get("/api/v1/field_types").get_json()["data"]
    phone = next(row for row in served if row["type"] == "phone_field")
    assert phone["render"]["widget"] == "tel" and phone["filter"] == "equality" and phone["searchable"] is True
    assert "pattern" in phone["attributes"] and "filterable" in phone["attributes"]


def test_only_a_choice_list_may_hold_several_answers_radio_buttons_hold_one():
    served = {name: row.describe("en")["render"]["multiple"] for name, row in FIELD_TYPES.items()}
    assert [name for name, multiple in served.items() if multiple] == ["select_box"]
