"""The published forms of a record type as an XLSForm workbook that pyxform converts.

Each top-level form is a group, each subform a repeat, each field a question (the mapping is the
table TYPES below); options become lists of the `choices` sheet (one per lookup, or per field for
inline options), display conditions `relevant`, validations `constraint`/`required`, calculations
`calculation`. Whatever XLSForm cannot say is named in the report, which is also the workbook's last
sheet (pyxform ignores it). No Flask here.
"""
from __future__ import annotations

import io
from typing import Any, Callable, Iterator

import xlsxwriter

from server.interop.xlsform import (ABRI_FORM, ABRI_TYPE, ADAPTED, CHOICES, MAPPED, NOT_MAPPED, REPORT_SHEET,
                                    SETTINGS, SURVEY, TICK_BOX_LIST, Report, column, language_name, why)
from server.interop.xpath import Untranslatable, calculation_to_xpath, condition_to_xpath, literal
from server.messages import _l, render
from server.metadata.configuration import Configuration
from server.metadata.versions import LanguageSettings

Row = dict[str, Any]
# Field attributes the workbook carries; any other is reported as not carried.
CARRIED = frozenset({"name", "type", "display_name_i18n", "help_text_i18n", "required", "display_conditions",
                     "calculation", "option_strings_source", "option_strings_text_i18n", "multi_select", "min_value",
                     "max_value", "max_length", "pattern", "pattern_hint_i18n", "date_include_time",
                     "date_validation", "subform_section_id", "tally_i18n", "selected_value", "disabled",
                     "location_admin_level"})
FORM_CARRIED = frozenset({"unique_id", "parent_form", "name_i18n", "fields", "is_nested", "module_ids", "order",
                          "order_form_group", "order_subform"})
RECORD_TYPE_TITLES = {"case": _l("Cases"), "incident": _l("Incidents"), "tracing_request": _l("Tracing requests")}
SCALAR_TYPES = {"text_field": "text", "textarea": "text", "numeric_field": "decimal", "separator": "note",
                "photo_upload_box": "image", "audio_upload_box": "audio", "document_upload_box": "file"}
DATE_RULES = {"not_future_date": ". <= today()", "not_past_date": ". >= today()"}


class _Export:
    """One export: the rows of the three sheets, built form by form."""

    def __init__(self, config: Configuration, record_type: str, languages: LanguageSettings) -> None:
        self.config, self.record_type, self.languages = config, record_type, languages
        self.report = Report()
        self.survey: list[Row] = []
        self.choices: dict[str, list[Row]] = {}
        self.fields = {f["name"]: f for _, form in config.forms_of(record_type) for f in form["fields"]}

    def texts(self, kind: str, texts: dict[str, str] | None) -> Row:
        """The columns of a translatable property, one per configured language."""
        texts = texts or {}
        return {column(kind, code): texts.get(code, "") for code in self.languages.languages}

    def run(self) -> None:
        for uid, form in self.config.forms_of(self.record_type, nested=False):
            self.survey.append({"type": "begin_group", "name": uid, ABRI_FORM: uid,
                                **self.texts("label", form["name_i18n"])})
            self._not_carried(uid, form, FORM_CARRIED)
            for field in form["fields"]:
                self.add_field(uid, field)
            self.survey.append({"type": "end_group", "name": uid})
            self.report.add(MAPPED, uid)

    def add_field(self, where: str, field: dict[str, Any]) -> None:
        name = f"{where}.{field['name']}"
        builder = TYPES.get(field["type"])
        if builder is None:
            self.report.add(NOT_MAPPED, name, _l("XLSForm has no question of type %(type)s"), type=field["type"])
            return
        rows = list(builder(self, field))
        first = rows[0]
        first.update({"name": field["name"], **self.texts("label", field["display_name_i18n"])})
        if field.get("help_text_i18n"):
            first.update(self.texts("hint", field["help_text_i18n"]))
        if field.get("required"):
            first["required"] = "yes"
        if field.get("disabled") and field["type"] != "calculated":
            first["read_only"] = "yes"
        if "selected_value" in field:
            value = field["selected_value"]
            first["default"] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        self._condition(name, field, first)
        self.survey.extend(rows)
        self._not_carried(name, field, CARRIED)
        self.report.add(MAPPED, name)

    def _condition(self, name: str, field: dict[str, Any], row: Row) -> None:
        if "display_conditions" not in field:
            return
        try:
            row["relevant"] = condition_to_xpath(field["display_conditions"], self.fields)
        except Untranslatable as error:
            self.report.add(NOT_MAPPED, name, _l("display condition not translated: %(reason)s"), reason=why(error))

    def _not_carried(self, name: str, body: dict[str, Any], carried: frozenset[str]) -> None:
        left = sorted(set(body) - carried)
        if left:
            self.report.add(NOT_MAPPED, name, _l("not carried (XLSForm has no such setting): %(attributes)s"),
                            attributes=", ".join(left))

    def add_list(self, list_name: str, options: list[dict[str, Any]], where: str) -> str:
        """Add a list of options to the choices sheet once; return its name."""
        if list_name in self.choices:
            return list_name
        enabled = [option for option in options if not option.get("disabled")]
        if len(enabled) < len(options):
            self.report.add(ADAPTED, where, _l("disabled options left out: %(count)s"),
                            count=len(options) - len(enabled))
        self.choices[list_name] = [{"list_name": list_name, "name": option["id"],
                                    **self.texts("label", option["display_text"])} for option in enabled]
        return list_name


# --- one builder per field type: the rows of a field (its first row gets the name, labels, condition) ---


def _scalar(export: _Export, field: dict) -> Iterator[Row]:
    row: Row = {"type": SCALAR_TYPES[field["type"]]}
    if field["type"] == "textarea":
        row.update({"appearance": "multiline"})
    if field["type"] in ("separator", "photo_upload_box", "audio_upload_box", "document_upload_box"):
        row[ABRI_TYPE] = field["type"]
    if field["type"] in ("photo_upload_box", "audio_upload_box", "document_upload_box"):
        export.report.add(ADAPTED, field["name"], _l("one file per answer in XLSForm, several in Abri"))
    _constraint(export, field, row)
    yield row


def _constraint(export: _Export, field: dict, row: Row) -> None:
    """min/max, lengths, patterns and date rules as one `constraint` (with a message where it helps)."""
    parts, message = [], None
    if "min_value" in field:
        parts.append(f". >= {literal(field['min_value'])}")
    if "max_value" in field:
        parts.append(f". <= {literal(field['max_value'])}")
    if "max_length" in field:
        parts.append(f"string-length(.) <= {field['max_length']}")
        message = {code: render(_l("At most %(limit)s characters."), {"limit": field["max_length"]}, code)
                   for code in export.languages.languages}
    if "pattern" in field:
        try:
            parts.append(f"regex(., {literal(field['pattern'])})")
            message = field.get("pattern_hint_i18n") or message
        except Untranslatable as error:
            export.report.add(NOT_MAPPED, field["name"], error.reason, **error.params)
    if field.get("date_validation") in DATE_RULES:
        parts.append(DATE_RULES[field["date_validation"]])
    if parts:
        row["constraint"] = " and ".join(parts)
        if message:
            row.update(export.texts("constraint_message", message))


def _choice(export: _Export, field: dict) -> Iterator[Row]:
    source = field.get("option_strings_source")
    if source:
        uid = source.split(" ", 1)[1]
        options = export.config.lookups.get(uid, {}).get("lookup_values_i18n", [])
        list_name = export.add_list(uid, options, uid)
    else:
        list_name = export.add_list(field["name"], field.get("option_strings_text_i18n", []), field["name"])
    if field.get("multi_select"):
        yield {"type": f"select_multiple {list_name}"}
    elif field["type"] == "select_box":
        yield {"type": f"select_one {list_name}", "appearance": "minimal"}
    else:
        yield {"type": f"select_one {list_name}"}


def _tick_box(export: _Export, field: dict) -> Iterator[Row]:
    codes = export.languages.languages
    yes_no = [{"id": "true", "display_text": {code: render(_l("Yes"), None, code) for code in codes}},
              {"id": "false", "display_text": {code: render(_l("No"), None, code) for code in codes}}]
    export.add_list(TICK_BOX_LIST, yes_no, TICK_BOX_LIST)
    yield {"type": f"select_one {TICK_BOX_LIST}", ABRI_TYPE: "tick_box"}


def _date(export: _Export, field: dict) -> Iterator[Row]:
    row: Row = {"type": "dateTime" if field.get("date_include_time") else "date"}
    _constraint(export, field, row)
    yield row


def _calculated(export: _Export, field: dict) -> Iterator[Row]:
    try:
        calculation = calculation_to_xpath(field["calculation"])
    except Untranslatable as error:
        export.report.add(NOT_MAPPED, field["name"], _l("calculation not translated, shown as a note: %(reason)s"),
                          reason=why(error))
        yield {"type": "note", ABRI_TYPE: "calculated"}
        return
    export.report.add(ADAPTED, field["name"], _l("empty operands: Abri skips them, XLSForm's arithmetic gives no "
                                                 "value"))
    yield {"type": "decimal", "calculation": calculation, "read_only": "yes", ABRI_TYPE: "calculated"}


def _location(export: _Export, field: dict) -> Iterator[Row]:
    level = field.get("location_admin_level")
    places = [place for place in sorted(export.config.locations.places.values(), key=lambda p: p["code"])
              if level is None or place["admin_level"] == level]
    list_name = "abri_places" if level is None else f"abri_places_{level}"
    export.add_list(list_name, [{"id": p["code"], "display_text": p.get("name_i18n", {})} for p in places], list_name)
    export.report.add(ADAPTED, field["name"], _l("a place is chosen in one list of %(count)s places"),
                      count=len(places))
    yield {"type": f"select_one {list_name}", "appearance": "minimal", ABRI_TYPE: "location"}


def _subform(export: _Export, field: dict) -> Iterator[Row]:
    uid = field.get("subform_section_id", "")
    nested = export.config.forms.get(uid)
    yield {"type": "begin_repeat", ABRI_FORM: uid}
    if nested is None:
        export.report.add(NOT_MAPPED, field["name"], _l("the subform %(id)s does not exist"), id=uid)
    else:
        if nested.get("name_i18n") != field["display_name_i18n"]:
            export.report.add(ADAPTED, uid, _l("the subform's title is the field's label"))
        export._not_carried(uid, nested, FORM_CARRIED)
        start = len(export.survey)
        for child in nested["fields"]:
            export.add_field(uid, child)
        rows = export.survey[start:]
        del export.survey[start:]
        yield from rows
    yield {"type": "end_repeat", "name": field["name"]}


def _tally(export: _Export, field: dict) -> Iterator[Row]:
    yield {"type": "begin_group", ABRI_TYPE: "tally_field"}
    for item in field.get("tally_i18n", []):
        yield {"type": "integer", "name": f"{field['name']}_{item['id']}", "constraint": ". >= 0",
               **export.texts("label", item["display_text"])}
    yield {"type": "end_group", "name": field["name"]}


TYPES: dict[str, Callable[[_Export, dict], Iterator[Row]]] = {
    "text_field": _scalar, "textarea": _scalar, "numeric_field": _scalar, "separator": _scalar,
    "photo_upload_box": _scalar, "audio_upload_box": _scalar, "document_upload_box": _scalar,
    "select_box": _choice, "radio_button": _choice, "tick_box": _tick_box, "date_field": _date,
    "calculated": _calculated, "location": _location, "subform": _subform, "tally_field": _tally,
}


# --- the workbook --------------------------------------------------------------------------------------


def export_forms(config: Configuration, record_type: str, languages: LanguageSettings) -> tuple[dict, Report]:
    """The sheets ({sheet: rows}) of a record type's published forms, and the report."""
    export = _Export(config, record_type, languages)
    export.run()
    title = render(RECORD_TYPE_TITLES.get(record_type, record_type), None, languages.default)
    settings = {"form_title": title, "form_id": f"abri_{record_type}", "version": str(config.version or 0),
                "default_language": language_name(languages.default)}
    choices = [row for rows in export.choices.values() for row in rows]
    return {SURVEY: export.survey, CHOICES: choices, SETTINGS: [settings]}, export.report


def write_xlsform(config: Configuration, record_type: str, languages: LanguageSettings,
                  locale: str | None = None) -> tuple[bytes, Report]:
    """The XLSForm workbook (xlsx bytes) of a record type's published forms, and what the export reported."""
    sheets, report = export_forms(config, record_type, languages)
    lines = [{"status": status, "name": item["name"], "message": item["message"]}
             for status, part in report.as_json(locale).items() if status != MAPPED for item in part["items"]]
    return workbook_bytes({**sheets, REPORT_SHEET: lines}), report


def _header(rows: list[Row]) -> list[str]:
    names: list[str] = []
    for row in rows:
        names.extend(key for key in row if key not in names)
    return names


def workbook_bytes(sheets: dict[str, list[Row]]) -> bytes:
    """Write sheets of rows as xlsx; every cell is written as text (never a formula or a URL)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        header = _header(rows) or ["status", "name", "message"]
        sheet.write_row(0, 0, header, bold)
        sheet.freeze_panes(1, 0)
        for number, row in enumerate(rows, start=1):
            for position, key in enumerate(header):
                value = row.get(key)
                if value not in (None, ""):
                    sheet.write_string(number, position, str(value))
    book.close()
    return buffer.getvalue()
