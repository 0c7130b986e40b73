"""XLSForm out and back in: pyxform converts what Abri writes, and the forms come back equivalent."""
from __future__ import annotations

import io
import re
import zipfile
import xml.etree.ElementTree as ET

import pytest
from pyxform.xls2xform import convert

from server.errors import PayloadTooLarge, Unprocessable
from server.interop.xlsform_export import workbook_bytes, write_xlsform
from server.interop.xlsform_import import plan_import
from server.interop.xlsform_reader import read_sheets
from server.interop.xpath import (Untranslatable, calculation_to_xpath, condition_to_xpath, parse_xpath,
                                  tree_to_calculation, tree_to_condition)
from server.metadata.configuration import Configuration
from server.metadata.documents import validate_document
from server.metadata.files import read_configuration
from server.metadata.versions import LanguageSettings
from tests.builders import field, form, lookup, minimal_configuration, module

FR_EN = LanguageSettings(("fr", "en"), "fr")
NS = {"h": "http://www.w3.org/1999/xhtml", "x": "http://www.w3.org/2002/xforms"}
# What XLSForm cannot carry (reported on export): left out when forms are compared after a round trip.
NOT_CARRIED = {"filterable", "searchable", "show_on_minify_form", "collapsed_field_names", "max_files",
               "subform_sort_by", "tick_box_label_i18n", "matchable", "visible", "mobile_visible",
               "guiding_questions_i18n", "max_size_mb", "identifying"}


def benin() -> Configuration:
    return Configuration.from_documents(read_configuration("metadata", "bj"))


def xform(data: bytes) -> ET.Element:
    """pyxform's XForm of a workbook (an error fails the test)."""
    return ET.fromstring(convert(data, file_type=".xlsx").xform)


def itext(root: ET.Element, language: str) -> dict[str, str]:
    """{text id: value} of one language of the XForm."""
    translation = next(t for t in root.iter("{%s}translation" % NS["x"]) if t.get("lang") == language)
    return {text.get("id"): "".join(text.itertext()).strip() for text in translation}


def binds(root: ET.Element) -> dict[str, dict[str, str]]:
    return {bind.get("nodeset").rsplit("/", 1)[1]: bind.attrib for bind in root.iter("{%s}bind" % NS["x"])}


def test_the_benin_case_forms_convert_with_pyxform_keeping_fields_options_languages_and_conditions():
    data, report = write_xlsform(benin(), "case", FR_EN, "fr")
    root = xform(data)
    french, english = itext(root, "Français (fr)"), itext(root, "English (en)")
    assert french["/data/basic_identity/sex:label"] == "Sexe"
    assert english["/data/basic_identity/sex:label"] == "Sex"
    sex_values = {value for key, value in french.items() if key.startswith("lookup-gender-")}
    assert {"Féminin", "Masculin"} <= sex_values
    rules = binds(root)
    assert rules["risk_level_reason"]["relevant"].replace(" ", "") == "/data/protection_concern/risk_level='high'"
    assert "selected(" in rules["protection_concerns_other"]["relevant"]
    assert rules["household_size"]["calculate"].count("+") == 1
    assert rules["age"]["constraint"] == ". >= 0 and . <= 130" or "age" in rules
    assert any(b.get("required") == "true()" for b in rules.values())
    body = ET.tostring(root, encoding="unicode")
    assert 'nodeset="/data/family_details/family_details_section"' in body  # a subform is a repeat
    assert "identity_documents_bj" in body  # the Bénin overlay's form
    assert report.entries["not_mapped"], "what XLSForm cannot say is reported"


@pytest.mark.parametrize("record_type", ["incident", "tracing_request"])
def test_every_record_type_of_the_benin_configuration_converts(record_type):
    data, _ = write_xlsform(benin(), record_type, FR_EN, "en")
    assert xform(data).find(".//h:title", NS).text


def small_configuration() -> Configuration:
    concerns = field("concerns", "select_box", multi_select=True, option_strings_text_i18n=[
        {"id": "trafficking", "display_text": {"en": "Trafficking", "fr": "Traite"}},
        {"id": "neglect", "display_text": {"en": "Neglect", "fr": "Négligence"}}])
    documents = [
        ("module", "primeromodule-cp", module()),
        ("lookup", "lookup-sex", lookup("lookup-sex", "female", "male")),
        ("form", "intake", form(
            "intake",
            field("sex", "radio_button", option_strings_source="lookup lookup-sex", required=True),
            concerns,
            field("girl_note", "textarea", display_conditions={"and": [{"eq": {"sex": "female"}},
                                                                        {"not": {"eq": {"concerns": "neglect"}}}]},
                  help_text_i18n={"en": "Say why", "fr": "Dites pourquoi"}),
            field("age", "numeric_field", min_value=0, max_value=18, selected_value=5),
            field("older", "tick_box", display_conditions={"gt": {"age": 14}}, selected_value=True),
            field("code", "text_field", max_length=12, pattern="^[A-Z]{2}[0-9]+$",
                  pattern_hint_i18n={"en": "Two letters, then digits", "fr": "Deux lettres, puis des chiffres"}),
            field("seen_on", "date_field", date_validation="not_future_date"),
            field("adults", "numeric_field"), field("children", "numeric_field"),
            field("household", "calculated", calculation={"sum": ["adults", "children"]}),
            field("mean", "calculated", calculation={"avg": ["adults", "children", 2]}),
            field("section", "separator"),
            field("members", "subform", subform_section_id="members_section", display_conditions={
                "in": {"concerns": ["trafficking", "neglect"]}}),
            field("counts", "tally_field",
                  tally_i18n=[{"id": "boys", "display_text": {"en": "Boys", "fr": "Garçons"}}]),
            field("photos", "photo_upload_box"),
            order=10)),
        ("form", "members_section", form("members_section", field("member_name"), field("member_age", "numeric_field"),
                                         is_nested=True, visible=False,
                                         name_i18n={"en": "Members", "fr": "Members (fr)"})),
    ]
    return Configuration.from_documents(documents)


def test_a_small_form_keeps_its_conditions_choices_and_french_labels_in_the_xform():
    data, _ = write_xlsform(small_configuration(), "case", FR_EN, "en")
    root = xform(data)
    rules = binds(root)
    relevant = rules["girl_note"]["relevant"].replace(" ", "")
    assert relevant == "/data/intake/sex='female'andnot(selected(/data/intake/concerns,'neglect'))"
    assert rules["older"]["relevant"].replace(" ", "") == "/data/intake/age>14"
    assert "regex(., '^[A-Z]{2}[0-9]+$')" in rules["code"]["constraint"]
    assert rules["seen_on"]["constraint"].endswith("<= today()")
    french = itext(root, "Français (fr)")
    assert "Traite" in french.values() and french["/data/intake/girl_note:hint"] == "Dites pourquoi"
    assert french["/data/intake/code:jr:constraintMsg"] == "Deux lettres, puis des chiffres"


def comparable(body: dict) -> dict:
    """A form as XLSForm carries it: attributes it cannot say left out, `in` of one value as `eq`."""
    def expression(value):
        if isinstance(value, dict) and "in" in value:
            (name, values), = value["in"].items()
            return {"eq": {name: values[0]}} if len(values) == 1 else value
        if isinstance(value, dict):
            return {key: expression(part) for key, part in value.items()}
        if isinstance(value, list):
            return [expression(part) for part in value]
        return value
    fields = [{key: expression(value) for key, value in f.items() if key not in NOT_CARRIED} for f in body["fields"]]
    return {"unique_id": body["unique_id"], "name_i18n": body["name_i18n"] if not body.get("is_nested") else None,
            "is_nested": bool(body.get("is_nested")), "fields": fields}


@pytest.mark.parametrize("config", [small_configuration, benin], ids=["small", "benin"])
def test_an_export_then_an_import_gives_back_equivalent_forms(config):
    original = config()
    empty = Configuration.from_documents([("module", "primeromodule-cp", module())])
    for record_type in original.record_types():
        data, _ = write_xlsform(original, record_type, FR_EN, "en")
        plan = plan_import(read_sheets(data), record_type, empty, FR_EN)
        imported = {uid: body for kind, uid, body in plan.documents if kind == "form"}
        for kind, _, body in plan.documents:
            validate_document(kind, body)
        expected = {uid: comparable(body) for uid, body in original.forms_of(record_type)}
        assert {uid: comparable(body) for uid, body in imported.items()} == expected
        assert plan.report.entries["renamed"] == [] and plan.report.entries["not_mapped"] == []


def test_imported_names_that_the_draft_already_has_are_renamed_and_reported():
    data, _ = write_xlsform(small_configuration(), "case", FR_EN, "en")
    plan = plan_import(read_sheets(data), "case", small_configuration(), FR_EN)
    forms = {uid: body for kind, uid, body in plan.documents if kind == "form"}
    assert set(forms) == {"intake_2", "members_section_2"}
    names = [f["name"] for f in forms["intake_2"]["fields"]]
    assert names[0] == "sex_2" and forms["intake_2"]["fields"][2]["display_conditions"]["and"][0] == {
        "eq": {"sex_2": "female"}}
    renamed = {entry.params["old"]: entry.params["new"] for entry in plan.report.entries["renamed"]}
    assert renamed["intake"] == "intake_2" and renamed["concerns"] == "concerns_2"


@pytest.mark.parametrize("expression,text", [
    ({"eq": {"sex": "female"}}, "${sex} = 'female'"),
    ({"eq": {"concerns": "trafficking"}}, "selected(${concerns}, 'trafficking')"),
    ({"in": {"sex": ["female", "male"]}}, "(${sex} = 'female' or ${sex} = 'male')"),
    ({"not": {"ge": {"age": 14.5}}}, "not(${age} >= 14.5)"),
    ({"or": [{"lt": {"age": 5}}, {"and": [{"eq": {"older": True}}, {"le": {"age": 3}}]}]},
     "${age} < 5 or (${older} = 'true' and ${age} <= 3)"),
])
def test_conditions_translate_both_ways(expression, text):
    fields = {f["name"]: f for f in small_configuration().forms["intake"]["fields"]}
    assert condition_to_xpath(expression, fields) == text
    value_of = lambda name, value: (value == "true") if name == "older" else value  # noqa: E731
    assert tree_to_condition(parse_xpath(text), value_of) == expression


def test_calculations_translate_both_ways():
    for expression in ({"sum": ["a", "b", 2]}, {"avg": ["a", "b"]}, {"sum": ["a", {"avg": ["b", "c"]}]}):
        assert tree_to_calculation(parse_xpath(calculation_to_xpath(expression))) == expression


@pytest.mark.parametrize("text", ["count-selected(${a}) > 2", "${a} > ${b}", "if(${a} = 'x', 1, 0) = 1",
                                  "${a} = 'x' and today() > '2020'", "${a} ="])
def test_xpath_abri_cannot_say_is_untranslatable(text):
    with pytest.raises(Untranslatable):
        tree_to_condition(parse_xpath(text), lambda name, value: value)


def test_a_text_order_cannot_be_exported_and_is_reported():
    config = small_configuration()
    config.forms["intake"]["fields"][2]["display_conditions"] = {"gt": {"code": "AB"}}
    data, report = write_xlsform(config, "case", FR_EN, "en")
    xform(data)
    assert any(entry.name == "intake.girl_note" for entry in report.entries["not_mapped"])


# --- a partner's form ----------------------------------------------------------------------------------------


def partner_workbook(**extra_sheets) -> bytes:
    survey = [
        {"type": "begin_group", "name": "Identité", "label::French (fr)": "Identité",
         "label::English (en)": "Identity"},
        {"type": "text", "name": "Nom-Enfant", "label::French (fr)": "Nom", "label::English (en)": "Name",
         "required": "yes", "constraint": "string-length(.) < 50"},
        {"type": "select_one genre", "name": "sexe", "label::French (fr)": "Sexe", "label::English (en)": "Sex",
         "appearance": "minimal"},
        {"type": "integer", "name": "age", "label::French (fr)": "Âge", "constraint": ". >= 0 and . <= 17"},
        {"type": "select_multiple risques", "name": "risques", "label::French (fr)": "Risques"},
        {"type": "text", "name": "details", "label::French (fr)": "Détails",
         "relevant": "selected(${risques}, 'traite') and ${sexe} != 'm'"},
        {"type": "geopoint", "name": "gps", "label::French (fr)": "Position"},
        {"type": "barcode", "name": "code", "label::French (fr)": "Code"},
        {"type": "rank risques", "name": "classement", "label::French (fr)": "Classement"},
        {"type": "text", "name": "autre", "label::French (fr)": "Autre", "relevant": "count-selected(${risques}) > 1"},
        {"type": "begin_repeat", "name": "freres", "label::French (fr)": "Frères et sœurs"},
        {"type": "text", "name": "prenom", "label::French (fr)": "Prénom"},
        {"type": "end_repeat"},
        {"type": "end_group"},
    ]
    choices = [{"list_name": "genre", "name": "f", "label::French (fr)": "Fille", "label::English (en)": "Girl"},
               {"list_name": "genre", "name": "m", "label::French (fr)": "Garçon", "label::English (en)": "Boy"},
               {"list_name": "risques", "name": "traite", "label::French (fr)": "Traite"},
               {"list_name": "risques", "name": "travail enfant", "label::French (fr)": "Travail des enfants"}]
    return workbook_bytes({"survey": survey, "choices": choices,
                           "settings": [{"form_title": "Partenaire", "form_id": "partenaire"}], **extra_sheets})


def test_a_partner_form_is_mapped_adapted_and_its_unsupported_parts_reported_by_name():
    draft = minimal_configuration()
    plan = plan_import(read_sheets(partner_workbook()), "case", draft, FR_EN)
    forms = {uid: body for kind, uid, body in plan.documents if kind == "form"}
    assert set(forms) == {"identite", "freres_section"}
    fields = {f["name"]: f for f in forms["identite"]["fields"]}
    assert fields["nom_enfant"]["max_length"] == 49 and fields["nom_enfant"]["required"] is True
    assert fields["sexe"]["type"] == "select_box" and fields["sexe"]["option_strings_text_i18n"][0] == {
        "id": "f", "display_text": {"fr": "Fille", "en": "Girl"}}
    assert fields["age_2"]["min_value"] == 0 and fields["age_2"]["max_value"] == 17  # the draft has an age
    assert fields["details"]["display_conditions"] == {"and": [{"eq": {"risques": "traite"}},
                                                               {"not": {"eq": {"sexe": "m"}}}]}
    assert "display_conditions" not in fields["autre"]
    assert fields["freres"]["subform_section_id"] == "freres_section"
    report = plan.report.as_json("en")
    not_mapped = {item["name"] for item in report["not_mapped"]["items"]}
    assert {"gps", "code", "classement", "autre"} <= not_mapped
    renamed = {item["name"] for item in report["renamed"]["items"]}
    assert {"Identité", "Nom-Enfant", "risques.travail enfant"} <= renamed
    assert "risques.travail_enfant" not in renamed
    for kind, _, body in plan.documents:
        validate_document(kind, body)


def test_the_report_is_in_french_when_asked():
    plan = plan_import(read_sheets(partner_workbook()), "case", minimal_configuration(), FR_EN)
    messages = [item["message"] for item in plan.report.as_json("fr")["not_mapped"]["items"]]
    assert any("Abri n'a pas de question de type geopoint" in message for message in messages), messages


# --- hostile files -------------------------------------------------------------------------------------------


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _with_formula() -> bytes:
    import xlsxwriter
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("survey")
    sheet.write_row(0, 0, ["type", "name", "label"])
    sheet.write_row(1, 0, ["text", "a"])
    sheet.write_formula(1, 2, '=HYPERLINK("http://evil", "x")')
    book.close()
    return buffer.getvalue()


@pytest.mark.parametrize("data,kind,code", [
    (b"not a workbook at all", Unprocessable, "XLSFORM_INVALID"),
    (b"PK\x03\x04broken zip", Unprocessable, "XLSFORM_INVALID"),
    (_zip({"xl/worksheets/sheet1.xml": b"<a>" + b"<b/>" * 10 + b"</a>", "big": b"0" * (17 * 1024 * 1024)}),
     PayloadTooLarge, "XLSFORM_TOO_LARGE"),
    (workbook_bytes({"questions": [{"type": "text", "name": "a"}]}), Unprocessable, "XLSFORM_INVALID"),
    (_with_formula(), Unprocessable, "XLSFORM_INVALID"),
    (workbook_bytes({"survey": [{"type": "text", "name": f"q{i}", "label": "x"} for i in range(5_001)]}),
     PayloadTooLarge, "XLSFORM_TOO_LARGE"),
], ids=["not-xlsx", "broken-zip", "zip-bomb", "no-survey", "formula", "huge"])
def test_hostile_files_are_refused_with_a_clear_error(data, kind, code):
    with pytest.raises(kind) as raised:
        read_sheets(data)
    assert raised.value.code == code
    assert raised.value.rendered("fr")


def test_broken_unicode_is_refused_and_named():
    data = workbook_bytes({"survey": [{"type": "text", "name": "a", "label": "ok"}]})
    broken = _rewrite(data, "xl/sharedStrings.xml", lambda xml: xml.replace(b">ok<", b">o\xed\xa0\x80k<"))
    with pytest.raises(Unprocessable) as raised:
        read_sheets(broken)
    assert raised.value.code == "XLSFORM_INVALID"


def _rewrite(data: bytes, name: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    return _zip({info.filename: change(source.read(info)) if info.filename == name else source.read(info)
                 for info in source.infolist()})


def test_an_unclosed_group_is_refused():
    data = workbook_bytes({"survey": [{"type": "begin_group", "name": "g", "label": "G"},
                                      {"type": "text", "name": "a", "label": "A"}]})
    with pytest.raises(Unprocessable):
        plan_import(read_sheets(data), "case", minimal_configuration(), FR_EN)


def test_language_columns_are_named_as_xlsform_names_them():
    data, _ = write_xlsform(small_configuration(), "case", FR_EN, "en")
    header = next(iter(read_sheets(data)["survey"]))[1]
    assert "label::Français (fr)" in header and "label::English (en)" in header
    assert any(re.match(r"hint::English \(en\)", key) for row in read_sheets(data)["survey"] for key in row[1])


def test_long_and_deeply_nested_xpath_is_reported_not_a_crash():
    many = " + ".join(f"${{f{i}}}" for i in range(300))
    assert len(tree_to_calculation(parse_xpath(many))["sum"]) == 300
    with pytest.raises(Untranslatable):
        parse_xpath("(" * 3000 + "${a} = 1" + ")" * 3000)
    with pytest.raises(Untranslatable):
        parse_xpath("(" * 60 + "${a} = 1" + ")" * 60)
