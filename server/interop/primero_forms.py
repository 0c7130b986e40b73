"""Primero lookups and form sections as Abri lookups and forms, each element reported once.

Forms are converted in three passes because fields point at each other: first every form's id (a
subform field names its nested form), then every form's field names (a condition, a subform's sort
field and its collapsed fields name fields, maybe renamed), then the fields themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.interop.primero_read import (dashed_id, label, option_id, option_lists, snake_name, strings, texts,
                                         unique)
from server.interop.primero_report import Note, Report
from server.metadata import expressions
from server.metadata.documents import RECORD_TYPES
from server.metadata.field_types import FIELD_TYPES

SAME_TYPES = frozenset(FIELD_TYPES) - {"location"}  # Primero's places are a select_box with Location options
DATE_VALIDATIONS = ("default_date_validation", "not_future_date", "not_past_date")
# Primero attributes that become Abri's of the same meaning: {primero: (abri, kind of value)}
BOOLEANS = ("required", "visible", "mobile_visible", "disabled", "multi_select", "date_include_time",
            "show_on_minify_form", "matchable")
TEXTS = {"display_name": "display_name_i18n", "help_text": "help_text_i18n",
         "guiding_questions": "guiding_questions_i18n", "tick_box_label": "tick_box_label_i18n"}
# Read by the conversion itself (structure, ids, options, texts): nothing of them is left out.
CONSUMED = frozenset({"id", "name", "type", "order", "form_section_id", "form_section_unique_id", "subform_section_id",
                      "subform_section_unique_id", "subform", "option_strings_source", "option_strings_text",
                      "tally", "calculation", "display_conditions_record", "display_conditions_subform",
                      "subform_section_configuration", "collapsed_field_names", "subform_sort_by", "date_validation",
                      "selected_value", *BOOLEANS})
# Values that say nothing beyond Primero's default: leaving the attribute out loses nothing.
EMPTY_VALUES = (None, False, "", [], {})
DEFAULTS = {("editable", True), ("hide_on_view_page", False), ("subform_sort_by_direction", "asc")}


def consumed(key: str, families: tuple[str, ...]) -> bool:
    return key in CONSUMED or any(key == family or key.startswith(family + "_") for family in families)


def dropped_attributes(item: dict[str, Any], families: tuple[str, ...], keep=frozenset()) -> list[Note]:
    """Notes for the attributes Abri has no place for and whose value says something."""
    return [Note("attribute_dropped", {"attribute": key}) for key, value in item.items()
            if not consumed(key, families) and key not in keep and value not in EMPTY_VALUES
            and (key, value) not in DEFAULTS]


FIELD_TEXTS = (*TEXTS, "option_strings_text", "tally")


# --- lookups ------------------------------------------------------------------------------------


def convert_lookups(items: list[Any], default_language: str, report: Report) -> tuple[dict[str, dict], dict[str, str]]:
    """Abri lookups by id, and {Primero lookup id: Abri lookup id}."""
    lookups: dict[str, dict] = {}
    ids: dict[str, str] = {}
    for _, item, raw in report.identified("lookup", items):
        notes: list[Note] = []
        uid = unique(dashed_id(raw, "lookup-"), set(lookups))
        if uid != raw:
            notes.append(Note("renamed", {"old": raw, "new": uid}))
        name, missing = label(texts(item, "name"), default_language, raw)
        values = []
        taken: set[str] = set()
        for value_id, shown, disabled in option_lists(item, "lookup_values"):
            new_id = unique(option_id(value_id), taken)
            if new_id != value_id:
                notes.append(Note("renamed", {"old": value_id, "new": new_id}))
            values.append({"id": new_id, "display_text": label(shown, default_language, value_id)[0],
                           **({"disabled": True} if disabled else {})})
        body = {"unique_id": uid, "name_i18n": name, "lookup_values_i18n": values}
        if isinstance(item.get("locked"), bool):
            body["locked"] = item["locked"]
        notes += dropped_attributes(item, ("name", "lookup_values", "description"), keep={"unique_id", "locked"})
        if missing:
            notes.append(Note("label_missing", {"name": raw}))
        lookups[uid], ids[raw] = body, uid
        report.add("lookup", raw, notes, abri_ids=[uid])
    return lookups, ids


# --- forms --------------------------------------------------------------------------------------


@dataclass
class FormSource:
    """One Primero form section on its way: its Abri id and the Abri names of its fields."""

    raw_id: str
    uid: str
    item: dict[str, Any]
    names: dict[str, list[str]] = field(default_factory=dict)  # Primero field name -> Abri names (date ranges: two)
    raw_fields: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FormConversion:
    """What converting the forms needs from the rest of the import, and what it finds."""

    default_language: str
    report: Report
    lookup_ids: dict[str, str]  # Primero lookup id -> imported Abri lookup id
    known_lookups: frozenset[str]  # lookups the instance has already (kept when a field needs them)
    sources: dict[str, FormSource] = field(default_factory=dict)  # by Primero id
    needed_lookups: set[str] = field(default_factory=set)  # instance lookups fields use


def _fields_of(item: dict[str, Any]) -> list[Any]:
    for key in ("fields_attributes", "fields"):
        if isinstance(item.get(key), list):
            return item[key]
    return []


def collect_forms(items: list[Any], conversion: FormConversion) -> None:
    """Pass 1 and 2: the Abri id of every usable form, then the Abri names of its fields."""
    taken: set[str] = set()
    def fields_left_out(item: Any, name: str, note: Note) -> None:
        _leave_fields_out(item, name, conversion.report, note)
    for _, item, raw in conversion.report.identified("form", items, fields_left_out):
        if item.get("parent_form") not in RECORD_TYPES:
            note = Note("parent_form_unknown", {"parent": str(item.get("parent_form"))[:100]})
            conversion.report.add("form", raw, [note], left_out=True)
            _leave_fields_out(item, raw, conversion.report, note)
            continue
        conversion.sources[raw] = FormSource(raw, unique(snake_name(raw, "form"), taken), item)
    for source in conversion.sources.values():
        _collect_names(source, conversion.report)


def _leave_fields_out(item: dict[str, Any], form: str, report: Report, note: Note) -> None:
    for position, raw in enumerate(_fields_of(item)):
        name = raw.get("name") if isinstance(raw, dict) else None
        report.add("field", f"{form}/{name if isinstance(name, str) and name else f'#{position}'}", [note],
                   left_out=True)


def _collect_names(source: FormSource, report: Report) -> None:
    taken: set[str] = set()
    for position, raw in enumerate(_fields_of(source.item)):
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or not name or not isinstance(raw.get("type"), str):
            label_ = name if isinstance(name, str) and name else f"#{position}"
            report.add("field", f"{source.raw_id}/{label_}", [Note("shape_invalid")], left_out=True)
            continue
        if name in source.names:
            report.add("field", f"{source.raw_id}/{name} #{position}", [Note("duplicate", {"name": name})],
                       left_out=True)
            continue
        base = snake_name(name)
        if raw["type"] == "date_range":
            source.names[name] = [unique(base + "_from", taken), unique(base + "_to", taken)]
        else:
            source.names[name] = [unique(base, taken)]
        source.raw_fields.append(raw)


def convert_forms(conversion: FormConversion) -> dict[str, dict]:
    """Pass 3: every usable form with its fields, nested forms included."""
    nesting = _nesting(conversion)
    forms = {}
    for source in conversion.sources.values():
        notes = []
        if source.uid != source.raw_id:
            notes.append(Note("renamed", {"old": source.raw_id, "new": source.uid}))
        body, form_notes = _form_body(source, conversion.default_language)
        body["fields"] = [f for raw in source.raw_fields for f in _convert_field(raw, source, conversion, nesting)]
        forms[source.uid] = body
        conversion.report.add("form", source.raw_id, notes + form_notes, abri_ids=[source.uid])
    return forms


def _nesting(conversion: FormConversion) -> dict[str, str]:
    """{nested form's Primero id: Primero id of the one form whose subform field shows it}."""
    found: dict[str, str] = {}
    for source in conversion.sources.values():
        for raw in source.raw_fields:
            target = _subform_target(raw)
            if raw.get("type") == "subform" and target is not None:
                found.setdefault(target, source.raw_id)
    return found


def _subform_target(raw: dict[str, Any]) -> str | None:
    for key in ("subform_section_unique_id", "subform_section_id", "subform"):
        value = raw.get(key)
        if isinstance(value, dict):
            value = value.get("unique_id")
        if isinstance(value, str) and value:
            return value
    return None


FORM_FAMILIES = ("name", "description", "help_text", "form_group_name")
FORM_KEYS = {"unique_id", "parent_form", "form_group_id", "order_form_group", "order", "order_subform", "is_nested",
             "visible", "mobile_form", "editable", "core_form", "fields", "fields_attributes", "module_ids",
             "primero_modules", "collapsed_field_names", "id"}


def _form_body(source: FormSource, default_language: str) -> tuple[dict[str, Any], list[Note]]:
    item, notes = source.item, []
    name, missing = label(texts(item, "name"), default_language, source.raw_id)
    body: dict[str, Any] = {"unique_id": source.uid, "parent_form": item["parent_form"], "name_i18n": name}
    if missing:
        notes.append(Note("label_missing", {"name": source.raw_id}))
    for key in ("description", "help_text", "form_group_name"):
        found = texts(item, key)
        if found:
            body[f"{key}_i18n"] = label(found, default_language, source.raw_id)[0]
    if isinstance(item.get("form_group_id"), str) and item["form_group_id"]:
        body["form_group_id"] = snake_name(item["form_group_id"], "group")
    for key in ("order_form_group", "order", "order_subform"):
        if isinstance(item.get(key), int) and not isinstance(item[key], bool):
            body[key] = item[key]
    for key in ("is_nested", "visible", "mobile_form", "editable", "core_form"):
        if isinstance(item.get(key), bool):
            body[key] = item[key]
    notes += [note for note in dropped_attributes(item, FORM_FAMILIES, keep=FORM_KEYS)]
    return body, notes


def _convert_field(raw: dict[str, Any], source: FormSource, conversion: FormConversion,
                   nesting: dict[str, str]) -> list[dict[str, Any]]:
    """The Abri fields of one Primero field (none when left out, two for a date range), reported."""
    report_name = f"{source.raw_id}/{raw['name']}"
    names = source.names[raw["name"]]
    notes = [Note("renamed", {"old": raw["name"], "new": name}) for name in names
             if name != raw["name"] and raw["type"] != "date_range"]
    kind = raw["type"]
    if kind not in SAME_TYPES and kind != "date_range":
        conversion.report.add("field", report_name, [Note("type_unknown", {"type": kind[:100]})], left_out=True)
        return []
    base: dict[str, Any] = {"name": names[0], "type": "date_field" if kind == "date_range" else kind}
    nested = bool(source.item.get("is_nested"))
    left_out = _options(raw, base, conversion, notes) or _subform(raw, base, source, conversion, nesting, notes)
    if left_out:
        conversion.report.add("field", report_name, notes + [left_out], left_out=True)
        return []
    _labels(raw, base, conversion.default_language, notes)
    _flags(raw, base, notes)
    _calculation(raw, base, source, notes)
    _conditions(raw, base, source, nested, notes)
    notes += dropped_attributes(raw, FIELD_TEXTS)
    fields = [base]
    if kind == "date_range":
        notes.append(Note("date_range", {"start": names[0], "end": names[1]}))
        fields = [base, {**base, "name": names[1]}]
    for built in fields:
        _drop_unaccepted(built, notes)
    conversion.report.add("field", report_name, notes, abri_ids=[f"{source.uid}/{f['name']}" for f in fields])
    return fields


def _labels(raw: dict[str, Any], base: dict[str, Any], default_language: str, notes: list[Note]) -> None:
    for key, target in TEXTS.items():
        found = texts(raw, key)
        if found or key == "display_name":
            shown, missing = label(found, default_language, raw["name"])
            base[target] = shown
            if missing and key == "display_name":
                notes.append(Note("label_missing", {"name": raw["name"]}))
    tally = [{"id": snake_name(tally_id, "count"), "display_text": label(shown, default_language, tally_id)[0]}
             for tally_id, shown, _ in option_lists(raw, "tally")]
    if tally:
        base["tally_i18n"] = tally


def _flags(raw: dict[str, Any], base: dict[str, Any], notes: list[Note]) -> None:
    for key in BOOLEANS:
        if isinstance(raw.get(key), bool):
            base[key] = raw[key]
    if raw.get("date_validation") in DATE_VALIDATIONS:
        base["date_validation"] = raw["date_validation"]
    elif raw.get("date_validation") not in EMPTY_VALUES:
        notes.append(Note("attribute_dropped", {"attribute": f"date_validation={str(raw['date_validation'])[:50]}"}))
    value = raw.get("selected_value")
    if isinstance(value, (str, int, float, bool)) and value != "":
        base["selected_value"] = value


def _options(raw: dict[str, Any], base: dict[str, Any], conversion: FormConversion,
             notes: list[Note]) -> Note | None:
    """Set a choice field's options (a lookup, inline ones, or another type for Primero's dynamic sources)."""
    source = raw.get("option_strings_source")
    inline = option_lists(raw, "option_strings_text")
    if base["type"] not in ("select_box", "radio_button"):
        return None
    if isinstance(source, str) and source.startswith("lookup "):
        return _lookup_options(source.split(" ", 1)[1], base, conversion, notes)
    if source in ("Location", "ReportingLocation"):
        base["type"] = "location"
        notes.append(Note("options_location"))
        return None
    if isinstance(source, str) and source:
        base["type"] = "text_field"
        notes.append(Note("options_dynamic", {"source": source[:100]}))
        return None
    if not inline:
        base["type"] = "text_field"
        notes.append(Note("options_dynamic", {"source": "-"}))
        return None
    taken: set[str] = set()
    options = []
    for raw_id, shown, disabled in inline:
        new_id = unique(option_id(raw_id), taken)
        if new_id != raw_id:
            notes.append(Note("renamed", {"old": raw_id, "new": new_id}))
        options.append({"id": new_id, "display_text": label(shown, conversion.default_language, raw_id)[0],
                        **({"disabled": True} if disabled else {})})
    base["option_strings_text_i18n"] = options
    return None


def _lookup_options(raw_id: str, base: dict[str, Any], conversion: FormConversion, notes: list[Note]) -> None:
    if raw_id in conversion.lookup_ids:
        base["option_strings_source"] = "lookup " + conversion.lookup_ids[raw_id]
    elif raw_id in conversion.known_lookups:
        base["option_strings_source"] = "lookup " + raw_id
        conversion.needed_lookups.add(raw_id)
    else:
        base["type"] = "text_field"
        notes.append(Note("lookup_missing", {"lookup": raw_id[:100]}))
    return None


def _subform(raw: dict[str, Any], base: dict[str, Any], source: FormSource, conversion: FormConversion,
             nesting: dict[str, str], notes: list[Note]) -> Note | None:
    """Point a subform field at its nested form, with its sort field and collapsed fields renamed."""
    if base["type"] != "subform":
        return None
    target = _subform_target(raw)
    nested = conversion.sources.get(target or "")
    if nested is None or not nested.item.get("is_nested"):
        return Note("nested_form_missing", {"target": str(target)[:100]})
    if nesting.get(target) != source.raw_id or nested.item["parent_form"] != source.item["parent_form"]:
        return Note("subform_nested_elsewhere", {"target": target})
    base["subform_section_id"] = nested.uid
    settings = raw.get("subform_section_configuration")
    settings = settings if isinstance(settings, dict) else {}
    sort_by = raw.get("subform_sort_by") or settings.get("subform_sort_by")
    if isinstance(sort_by, str) and sort_by:
        renamed = nested.names.get(sort_by)
        if renamed:
            base["subform_sort_by"] = renamed[0]
        else:
            notes.append(Note("attribute_dropped", {"attribute": f"subform_sort_by={sort_by[:100]}"}))
    for key, value in settings.items():
        if key != "subform_sort_by" and value not in EMPTY_VALUES and (key, value) not in DEFAULTS:
            notes.append(Note("attribute_dropped", {"attribute": f"subform_section_configuration.{key}"}))
    collapsed = [*strings(raw.get("collapsed_field_names")), *strings(nested.item.get("collapsed_field_names"))]
    names = []
    for name in dict.fromkeys(collapsed):
        if name in nested.names:
            names.append(nested.names[name][0])
        else:
            notes.append(Note("attribute_dropped", {"attribute": f"collapsed_field_names={name[:100]}"}))
    if names:
        base["collapsed_field_names"] = names
    return None


def rename_expression(expression: Any, names: dict[str, list[str]]) -> Any:
    """The expression with Primero's field names as Abri's; KeyError naming a field the form does not hold."""
    if not isinstance(expression, dict):
        return expression
    renamed = {}
    for operator, operand in expression.items():
        if operator in expressions.COMPARISONS and isinstance(operand, dict):
            renamed[operator] = {names[name][0]: value for name, value in operand.items()}
        elif operator in expressions.AGGREGATES and isinstance(operand, list):
            renamed[operator] = [names[part][0] if isinstance(part, str) else rename_expression(part, names)
                                 for part in operand]
        elif operator in ("and", "or") and isinstance(operand, list):
            renamed[operator] = [rename_expression(part, names) for part in operand]
        else:
            renamed[operator] = rename_expression(operand, names)
    return renamed


def _calculation(raw: dict[str, Any], base: dict[str, Any], source: FormSource, notes: list[Note]) -> None:
    if base["type"] != "calculated":
        return
    calculation = raw.get("calculation")
    if isinstance(calculation, dict) and "expression" in calculation:
        calculation = calculation["expression"]
    try:
        expression = rename_expression(calculation, source.names)
        list(expressions.referenced_fields(expression))
        if not expressions.is_calculation(expression):
            raise expressions.ExpressionError("aggregate_operand")
        base["calculation"] = expression
    except (KeyError, expressions.ExpressionError, TypeError):
        base["type"] = "numeric_field"
        notes.append(Note("calculation_invalid"))


def _conditions(raw: dict[str, Any], base: dict[str, Any], source: FormSource, nested: bool,
                notes: list[Note]) -> None:
    """display_conditions_record (of a top-level field) or _subform (of a row's field) as display_conditions."""
    own, other = ("display_conditions_subform", "display_conditions_record") if nested else \
        ("display_conditions_record", "display_conditions_subform")
    if raw.get(other) not in EMPTY_VALUES:
        notes.append(Note("condition_parent_record") if nested else Note("attribute_dropped", {"attribute": other}))
    condition = raw.get(own)
    if condition in EMPTY_VALUES:
        return
    if isinstance(condition, dict) and "disabled" in condition:
        condition = {key: value for key, value in condition.items() if key != "disabled"}
        if raw[own].get("disabled") is True:
            notes.append(Note("condition_disabled"))
            return
    try:
        expression = rename_expression(condition, source.names)
    except KeyError as error:
        notes.append(Note("condition_field_unknown", {"name": str(error.args[0])[:100]}))
        return
    except (TypeError, AttributeError):
        expression = None
    try:
        list(expressions.referenced_fields(expression))
        if expressions.is_calculation(expression):
            raise expressions.ExpressionError("unknown_operator")
    except expressions.ExpressionError:
        notes.append(Note("condition_invalid", {"attribute": own}))
        return
    base["display_conditions"] = expression


def _drop_unaccepted(built: dict[str, Any], notes: list[Note]) -> None:
    """Leave out the attributes the field's (maybe new) type does not use, saying so."""
    accepted = FIELD_TYPES[built["type"]].accepted_attributes
    for key in sorted(set(built) - accepted):
        if built[key] not in EMPTY_VALUES:
            notes.append(Note("attribute_dropped", {"attribute": key}))
        del built[key]
