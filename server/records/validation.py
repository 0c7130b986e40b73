"""Validate record data against the published forms.

A write passes, in order: no client value for calculated fields -> the JSON Schema compiled from
the published forms (types, options, dates, ranges, lengths, tallies, subform rows, unknown
fields) -> no disabled option newly chosen -> `required` for the fields that are shown (display
conditions evaluated here, as the field apps do) -> calculated fields computed. Every failing
field is reported at once, each with a JSON pointer (into subform rows too) and a stable code.
Data of fields no longer in the forms stay in the record untouched: they are not re-validated.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterator

from flask import has_app_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from jsonschema import FormatChecker

from server.errors import Detail, Unprocessable
from server.metadata.configuration import Configuration
from server.metadata.documents import CALCULATED, OPTION_TYPES, SEPARATOR, SUBFORM
from server.metadata.expressions import evaluate
from server.metadata.patterns import SafeValidator
from server.metadata.record_schema import option_ids, record_schema
from server.records.merge import ROW_ID, merge_data

MESSAGES = {
    "required": _l("This field is required."),
    "type": _l("Must be of type %(expected)s."),
    "enum": _l("%(value)s is not one of the options of this field."),
    "format": _l("Must be a %(expected)s (for example %(example)s)."),
    "minimum": _l("Must be at least %(limit)s."),
    "maximum": _l("Must be at most %(limit)s."),
    "max_length": _l("Must be at most %(limit)s characters long."),
    "max_items": _l("Must have at most %(limit)s items."),
    "unique_items": _l("Must not repeat a value."),
    "unknown": _l("There is no such field in the published forms."),
    "pattern": _l("Is not in the expected form."),
    "pattern_hint": _l("Is not in the expected form: %(hint)s."),
    "read_only": _l("This field is calculated by the server and cannot be written."),
    "disabled_option": _l("The option %(value)s is disabled and cannot be chosen any more."),
    "location": _l("%(value)s is not a known location code."),
    "location_level": _l("Choose a place of admin level %(level)s (%(value)s is at level %(actual)s)."),
}
_CODES = {"maxLength": "max_length", "maxItems": "max_items", "uniqueItems": "unique_items",
          "additionalProperties": "unknown"}
_EXAMPLES = {"date": "2024-05-31", "date-time": "2024-05-31T14:30:00+01:00"}

_format_checker = FormatChecker(formats=())


@_format_checker.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value)) and len(value) == 10


@_format_checker.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None and "T" in value


@dataclass
class FormFields:
    """The published fields of a record type, by name, with the nested forms' fields."""

    fields: dict[str, dict[str, Any]]
    nested: dict[str, dict[str, dict[str, Any]]]  # subform field name -> its rows' fields
    validator: SafeValidator

    @property
    def subforms(self) -> set[str]:
        return set(self.nested)


_FIELDS_CACHE: dict[tuple, FormFields] = {}


def form_fields(config: Configuration, record_type: str, module_id: str | None) -> FormFields:
    """Return the fields of a record type for a published version (cached per version)."""
    key = (config.fingerprint, record_type, module_id)
    cached = _FIELDS_CACHE.get(key) if config.fingerprint else None
    if cached:
        return cached
    fields = {f["name"]: f for _, form in config.forms_of(record_type, nested=False, module_id=module_id)
              for f in form["fields"] if f["type"] != SEPARATOR}
    nested = {name: {f["name"]: f for f in config.forms.get(field.get("subform_section_id", ""), {}).get("fields", [])
                     if f["type"] != SEPARATOR}
              for name, field in fields.items() if field["type"] == SUBFORM}
    schema = record_schema(config, record_type, module_id)
    # The administrator's patterns run on RE2, in time linear in the text (never Python's backtracking re).
    result = FormFields(fields, nested, SafeValidator(schema, format_checker=_format_checker))
    if config.fingerprint:
        if len(_FIELDS_CACHE) > 64:
            _FIELDS_CACHE.pop(next(iter(_FIELDS_CACHE)))
        _FIELDS_CACHE[key] = result
    return result


def _detail(pointer: str, code: str, **params: Any) -> Detail:
    return Detail(pointer, code, MESSAGES[code], params)


def _schema_details(error) -> Iterator[Detail]:
    pointer = "/" + "/".join(str(part) for part in error.absolute_path)
    rule = error.validator
    if rule == "additionalProperties":
        for name in sorted(set(error.instance) - set(error.schema.get("properties", {}))):
            yield _detail(f"{pointer.rstrip('/')}/{name}", "unknown")
        return
    code = _CODES.get(rule, rule)
    if code not in MESSAGES:
        code = "type"
    params = {"limit": error.validator_value, "value": error.instance,
              "expected": error.validator_value if rule in ("type", "format") else ""}
    if rule == "format":
        params["example"] = _EXAMPLES.get(error.validator_value, "")
    if rule == "type" and isinstance(error.validator_value, list):
        params["expected"] = " / ".join(error.validator_value)
    yield _detail(pointer, code, **params)


def _with_hint(detail: Detail, forms: FormFields) -> Detail:
    """A text that does not match its field's pattern gets the form's own hint (e.g. +229 01 23 45 67 89)."""
    if detail.code != "pattern":
        return detail
    name = detail.field.rsplit("/", 1)[-1]
    field = forms.fields.get(name) or next((rows[name] for rows in forms.nested.values() if name in rows), None)
    hint = (field or {}).get("pattern_hint_i18n")
    if not hint:
        return detail
    locale = str(get_locale() or "") if has_app_context() else ""
    return Detail(detail.field, "pattern", MESSAGES["pattern_hint"], {"hint": hint.get(locale) or next(iter(hint.values()))})


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _without_legacy(merged: dict, stored: dict, known: dict[str, dict], nested: dict[str, dict]) -> dict:
    """Leave out data of fields no longer in the forms that this write does not touch.

    They stay in the record (nothing is lost by a form change) but are not re-validated;
    a write that sets such a field is refused as unknown.
    """
    checked = {}
    for name, value in merged.items():
        if name not in known and stored.get(name) == value:
            continue
        if name in nested and isinstance(value, list):
            old_rows = {row.get(ROW_ID): row for row in stored.get(name) or [] if isinstance(row, dict)}
            allowed = set(nested[name]) | {ROW_ID}
            value = [{k: v for k, v in row.items()
                      if k in allowed or old_rows.get(row.get(ROW_ID), {}).get(k, _MISSING) != v}
                     if isinstance(row, dict) else row for row in value]
        checked[name] = value
    return checked


_MISSING = object()


def _read_only_writes(patch: dict, forms: FormFields) -> Iterator[Detail]:
    for name, value in patch.items():
        field = forms.fields.get(name)
        if field and field["type"] == CALCULATED:
            yield _detail(f"/{name}", "read_only")
        if name in forms.nested and isinstance(value, list):
            for position, row in enumerate(value):
                for key in row if isinstance(row, dict) else ():
                    if forms.nested[name].get(key, {}).get("type") == CALCULATED:
                        yield _detail(f"/{name}/{position}/{key}", "read_only")


def _disabled_choices(data: dict, stored: dict, fields: dict[str, dict], config: Configuration,
                      prefix: str = "") -> Iterator[Detail]:
    for name, field in fields.items():
        if field["type"] not in OPTION_TYPES or _empty(data.get(name)):
            continue
        allowed = set(option_ids(field, config, include_disabled=False))
        before = stored.get(name)
        before = set(before if isinstance(before, list) else [before])
        values = data[name] if isinstance(data[name], list) else [data[name]]
        for value in values:
            if value not in allowed and value not in before:
                yield _detail(f"{prefix}/{name}", "disabled_option", value=value)


def _locations(data: dict, fields: dict[str, dict], config: Configuration, prefix: str = "") -> Iterator[Detail]:
    """Location fields hold a known code, at the admin level the form asks for."""
    for name, field in fields.items():
        code = data.get(name)
        if field["type"] != "location" or _empty(code):
            continue
        place = config.locations.get(code)
        if place is None:
            yield _detail(f"{prefix}/{name}", "location", value=code)
        elif "location_admin_level" in field and place["admin_level"] != field["location_admin_level"]:
            yield _detail(f"{prefix}/{name}", "location_level", value=code, level=field["location_admin_level"],
                          actual=place["admin_level"])


def _required(data: dict, fields: dict[str, dict], prefix: str = "") -> Iterator[Detail]:
    for name, field in fields.items():
        if not field.get("required") or field["type"] == CALCULATED:
            continue
        shown = "display_conditions" not in field or evaluate(field["display_conditions"], data)
        if shown and _empty(data.get(name)):
            yield _detail(f"{prefix}/{name}", "required")


def _calculate(data: dict, fields: dict[str, dict]) -> None:
    for name, field in fields.items():
        if field["type"] == CALCULATED:
            value = evaluate(field["calculation"], data)
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value


def validate_data(config: Configuration, record_type: str, module_id: str | None,
                  stored: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Return the record's new data (stored + patch, calculated fields computed), or raise RECORD_INVALID."""
    forms = form_fields(config, record_type, module_id)
    details = list(_read_only_writes(patch, forms))
    merged = merge_data(stored, patch, forms.subforms)
    checked = _without_legacy(merged, stored, forms.fields, forms.nested)
    schema_errors = sorted(forms.validator.iter_errors(checked), key=lambda e: list(map(str, e.absolute_path)))
    details += [d for error in schema_errors for d in _schema_details(error)]
    if not details:
        details += _disabled_choices(checked, stored, forms.fields, config)
        details += _locations({k: v for k, v in checked.items() if stored.get(k) != v}, forms.fields, config)
        details += _required(checked, forms.fields)
        for name, nested in forms.nested.items():
            stored_rows = {r.get(ROW_ID): r for r in stored.get(name) or [] if isinstance(r, dict)}
            for position, row in enumerate(checked.get(name) or []):
                details += _disabled_choices(row, stored_rows.get(row.get(ROW_ID), {}), nested, config,
                                             f"/{name}/{position}")
                details += _locations(row, nested, config, f"/{name}/{position}")
                details += _required(row, nested, f"/{name}/{position}")
    details = [_with_hint(d, forms) for d in details]
    if details:
        unique = {(d.field, d.code): d for d in details}
        raise Unprocessable(_l("Invalid fields: %(count)s. Nothing was saved."), code="RECORD_INVALID",
                            details=list(unique.values()), count=len(unique))
    _calculate(merged, forms.fields)
    for name, nested in forms.nested.items():
        for row in merged.get(name) or []:
            _calculate(row, nested)
    return merged
