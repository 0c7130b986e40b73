"""Validate record data against the published forms.

A write is a patch over the stored data (a create patches nothing). It is checked in one pass and
every failing field is reported at once, each with a JSON pointer (into subform rows too) and a
stable code, whatever stage finds it:

1. the patch: no field name the published forms lack (whatever the value), no value for a field
   the server or a workflow sets (calculated, `disabled`) unless it is the stored one, rows to
   remove written `{"unique_id", "_destroy": true}`, no two rows of a list with one unique_id, at
   most 1000 rows sent;
2. the merged data against the stored schema (server/metadata/record_schema.py): types, options,
   dates, ranges, lengths, patterns, tallies, subform rows;
3. the rules of new values (set or changed by this write): no disabled option, a known location
   code of the field's admin level, the field's date rule (`not_future_date`, `not_past_date`);
4. `required` for the fields that are shown (display conditions read the data with the calculated
   fields computed, as the field apps do): null, blank text and empty lists or objects are missing.

A field an earlier stage found broken is not reported again by a later one. Data of fields no
longer in the forms stay in the record untouched and unchecked. The schema served to clients
(record_schema.record_schema) states the same rules in standard keywords; a differential test
(tests/records/test_schema_differential.py) holds the two together.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from datetime import datetime, timezone
from functools import cached_property
from threading import Lock
from typing import Any, Iterator

from jsonschema import FormatChecker

from server.errors import Detail, Error, Unprocessable
from server.metadata.configuration import Configuration
from server.metadata.field_types import COMPUTED, DATE, FILES, OPTION, PLACE, ROWS, type_of
from server.metadata.expressions import evaluate
from server.metadata.patterns import SafeValidator, matches
from server.metadata.record_schema import (DATE_RULES, DESTROY, MAX_ROWS, ROW_ID, UUID_PATTERN, DayBounds,
                                           RecordFields, date_rule_broken, day_bounds, is_blank, is_date,
                                           is_date_time, is_read_only, option_ids, record_fields, requirement,
                                           stored_schema)
from server.messages import Localized
from server.records.merge import merge_data
from server.rules import Rule

# The rule of each code the record checks report (the rules vocabulary: server/rules.py).
RULES = {rule.code: rule for rule in (
    Rule.REQUIRED, Rule.TYPE, Rule.OPTION, Rule.FORMAT, Rule.MINIMUM, Rule.MAXIMUM, Rule.MAX_LENGTH, Rule.MAX_ITEMS,
    Rule.UNIQUE_ITEMS, Rule.UNKNOWN_FORM_FIELD, Rule.PATTERN, Rule.READ_ONLY, Rule.WORKFLOW_ONLY, Rule.ATTACHMENTS_ONLY,
    Rule.DISABLED_OPTION, Rule.LOCATION, Rule.LOCATION_LEVEL, Rule.FUTURE_DATE, Rule.PAST_DATE, Rule.DESTROY_ROW,
    Rule.DUPLICATE_ROW)}
_CODES = {"maxLength": "max_length", "maxItems": "max_items", "uniqueItems": "unique_items",
          "additionalProperties": "unknown", "minLength": "pattern"}
_EXAMPLES = {"date": "2024-05-31", "date-time": "2024-05-31T14:30:00+01:00"}

_format_checker = FormatChecker(formats=())
_format_checker.checks("date")(lambda value: not isinstance(value, str) or is_date(value))
_format_checker.checks("date-time")(lambda value: not isinstance(value, str) or is_date_time(value))


@dataclass(frozen=True)
class Scope:
    """The fields of one object (the data, or the rows of one nested form), sorted by the rules they carry."""

    fields: dict[str, dict[str, Any]]
    options: list[tuple[str, dict]] = dataclass_field(default_factory=list)
    locations: list[tuple[str, dict]] = dataclass_field(default_factory=list)
    dated: list[tuple[str, dict]] = dataclass_field(default_factory=list)
    required: list[tuple[str, dict]] = dataclass_field(default_factory=list)
    calculated: list[tuple[str, dict]] = dataclass_field(default_factory=list)
    subforms: list[tuple[str, str]] = dataclass_field(default_factory=list)  # (field name, nested form id)
    subform_ids: dict[str, str] = dataclass_field(default_factory=dict)

    @classmethod
    def of(cls, fields: dict[str, dict[str, Any]]) -> "Scope":
        scope = cls(fields)
        for name, field in fields.items():
            kind = type_of(field).value  # what the value is decides its rules (the field-type registry)
            if kind == OPTION:
                scope.options.append((name, field))
            elif kind == PLACE:
                scope.locations.append((name, field))
            elif kind == DATE and field.get("date_validation") in DATE_RULES:
                scope.dated.append((name, field))
            elif kind == COMPUTED:
                scope.calculated.append((name, field))
            elif kind == ROWS:
                scope.subforms.append((name, field.get("subform_section_id", "")))
                scope.subform_ids[name] = field.get("subform_section_id", "")
            if requirement(field):
                scope.required.append((name, field))
        return scope


@dataclass
class FormFields:
    """The published fields of a record type, by name, with the nested forms' fields, and their checks."""

    record: RecordFields
    validator: SafeValidator
    scopes: dict[str, Scope]  # "" for the data, else a nested form id

    @property
    def fields(self) -> dict[str, dict[str, Any]]:
        return self.record.fields

    @cached_property
    def nested(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Subform field name -> the fields of its rows."""
        return {name: self.scopes[form_id].fields for name, form_id in self.scopes[""].subforms
                if form_id in self.scopes}

    @cached_property
    def subforms(self) -> set[str]:
        return {name for name, _ in self.scopes[""].subforms}


_FIELDS_CACHE: dict[tuple, FormFields] = {}
_FIELDS_LOCK = Lock()


def form_fields(config: Configuration, record_type: str, module_id: str | None) -> FormFields:
    """Return the fields of a record type for a published version (cached per version)."""
    key = (config.fingerprint, record_type, module_id)
    cached = _FIELDS_CACHE.get(key) if config.fingerprint else None
    if cached:
        return cached
    record = record_fields(config, record_type, module_id)
    scopes = {"": Scope.of(record.fields), **{form_id: Scope.of(rows) for form_id, rows in record.rows.items()}}
    # The administrator's patterns run on RE2, in time linear in the text (never Python's backtracking re).
    validator = SafeValidator(stored_schema(config, record_type, module_id), format_checker=_format_checker)
    result = FormFields(record, validator, scopes)
    if config.fingerprint:
        with _FIELDS_LOCK:  # the app's threads share the cache
            while len(_FIELDS_CACHE) > 64:
                _FIELDS_CACHE.pop(next(iter(_FIELDS_CACHE)))
            _FIELDS_CACHE[key] = result
    return result


def _detail(pointer: str, code: str, **params: Any) -> Detail:
    return Detail.of(pointer, RULES[code], **params)


def schema_details(error) -> Iterator[Detail]:
    """The details of one JSON-schema error, as the rules a user reads."""
    pointer = "/" + "/".join(str(part) for part in error.absolute_path)
    rule = error.validator
    if rule == "additionalProperties":
        for name in sorted(set(error.instance) - set(error.schema.get("properties", {}))):
            yield _detail(f"{pointer.rstrip('/')}/{name}", "unknown")
        return
    code = _CODES.get(rule, rule)
    if code not in RULES:
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
    field = forms.fields.get(name) or next((s.fields[name] for s in forms.scopes.values() if name in s.fields), None)
    hint = (field or {}).get("pattern_hint_i18n")
    if not hint:
        return detail
    return Detail.of(detail.field, Rule.PATTERN_HINT, hint=Localized(hint))  # in the reader's language


class _Findings:
    """The details found so far, one per (pointer, code); a later stage skips a pointer already reported."""

    def __init__(self) -> None:
        self.details: dict[tuple[str, str], Detail] = {}
        self.pointers: set[str] = set()

    def add(self, detail: Detail, later: bool = False) -> None:
        if later and detail.field in self.pointers:
            return
        self.details.setdefault((detail.field, detail.code), detail)
        self.pointers.add(detail.field)


# --- 1. the patch --------------------------------------------------------------------------------


def _is_row_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 36 and matches(UUID_PATTERN, value)


def _read_only_refusal(field: dict[str, Any]) -> str:
    value = type_of(field).value
    return "read_only" if value == COMPUTED else "attachments_only" if value == FILES else "workflow_only"


def _checked_patch(patch: dict[str, Any], stored: dict[str, Any], forms: FormFields, found: _Findings,
                   server_set: frozenset[str]) -> dict[str, Any]:
    """Return the patch without what it may not hold, reporting each refusal."""
    accepted = {}
    for name, value in patch.items():
        field = forms.fields.get(name)
        if field is None:
            found.add(_detail(f"/{name}", "unknown"))
        elif is_read_only(field) and name not in server_set and not (name in stored and stored[name] == value):
            found.add(_detail(f"/{name}", _read_only_refusal(field)))
        elif type_of(field).value == ROWS and isinstance(value, list):
            accepted[name] = _checked_rows(value, stored.get(name), forms.record.row_fields(field), f"/{name}",
                                           found, merged_by_id=True, forms=forms)
        else:
            accepted[name] = value
    return accepted


def _checked_rows(rows: list[Any], stored_rows: Any, fields: dict[str, dict], pointer: str, found: _Findings,
                  merged_by_id: bool, forms: FormFields) -> list[Any]:
    """The rows of a subform in a patch, without the keys (or rows) they may not hold."""
    if len(rows) > MAX_ROWS:
        found.add(_detail(pointer, "max_items", limit=MAX_ROWS))
        return []
    before = {row.get(ROW_ID): row for row in stored_rows if isinstance(row, dict) and isinstance(row.get(ROW_ID), str)} \
        if isinstance(stored_rows, list) else {}
    kept, seen = [], set()
    for position, row in enumerate(rows):
        at = f"{pointer}/{position}"
        if not isinstance(row, dict):
            kept.append(row)  # the schema refuses it with its position
            continue
        row_id = row.get(ROW_ID)
        if merged_by_id and DESTROY in row:
            if row.get(DESTROY) is not True or set(row) != {ROW_ID, DESTROY} or not _is_row_id(row_id):
                found.add(_detail(at, "destroy_row"))
                continue
        if row_id is not None and not isinstance(row_id, str):
            found.add(_detail(f"{at}/{ROW_ID}", "type", expected="string"))
            continue
        if merged_by_id and row_id is not None:
            if row_id in seen:
                found.add(_detail(f"{at}/{ROW_ID}", "duplicate_row"))
                continue
            seen.add(row_id)
        kept.append(_checked_row(row, before.get(row_id, {}), fields, at, found, forms, merged_by_id))
    return kept


def _checked_row(row: dict[str, Any], stored: dict[str, Any], fields: dict[str, dict], at: str, found: _Findings,
                 forms: FormFields, merged_by_id: bool) -> dict[str, Any]:
    kept = {}
    for key, value in row.items():
        field = fields.get(key)
        if key == ROW_ID or (key == DESTROY and merged_by_id):
            kept[key] = value
        elif field is None:
            found.add(_detail(f"{at}/{key}", "unknown"))
        elif is_read_only(field) and not (key in stored and stored[key] == value):
            found.add(_detail(f"{at}/{key}", _read_only_refusal(field)))
        elif type_of(field).value == ROWS and isinstance(value, list):  # deeper rows are values: no merge by id
            kept[key] = _checked_rows(value, stored.get(key), forms.record.row_fields(field), f"{at}/{key}", found,
                                      merged_by_id=False, forms=forms)
        else:
            kept[key] = value
    return kept


# --- merged data: calculations, what is checked ------------------------------------------------


def _calculate(data: Any, scope: Scope, forms: FormFields) -> None:
    """Compute the calculated fields of an object and of its rows (in place)."""
    if not isinstance(data, dict):
        return
    for name, field in scope.calculated:
        value = evaluate(field["calculation"], data)
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    for name, form_id in scope.subforms:
        if form_id in forms.scopes and isinstance(data.get(name), list):
            for row in data[name]:
                _calculate(row, forms.scopes[form_id], forms)


def _known(data: dict[str, Any], scope: Scope, forms: FormFields, row: bool = False) -> dict[str, Any]:
    """The data of the fields the forms have: data of removed fields stay in the record, unchecked."""
    known = {}
    for name, value in data.items():
        if name not in scope.fields and not (row and name == ROW_ID):
            continue
        form_id = scope.subform_ids.get(name)
        if form_id in forms.scopes and isinstance(value, list):
            value = [_known(item, forms.scopes[form_id], forms, row=True) if isinstance(item, dict) else item
                     for item in value]
        known[name] = value
    return known


# --- 3 and 4. new values, and required fields ----------------------------------------------------


def _new(data: dict[str, Any], stored: dict[str, Any], name: str) -> bool:
    return name in data and (name not in stored or stored[name] != data[name])


def _option_problems(data: dict, stored: dict, scope: Scope, config: Configuration, at: str) -> Iterator[Detail]:
    for name, field in scope.options:
        if not _new(data, stored, name):
            continue
        allowed = set(option_ids(field, config, include_disabled=False))
        before = stored.get(name) if isinstance(stored.get(name), list) else [stored.get(name)]
        values = data[name] if isinstance(data[name], list) else [data[name]]
        for value in values:
            if isinstance(value, str) and value not in allowed and value not in before:
                yield _detail(f"{at}/{name}", "disabled_option", value=value)


def _location_problems(data: dict, stored: dict, scope: Scope, config: Configuration, at: str) -> Iterator[Detail]:
    """A location field holds a known code, at the admin level the form asks for."""
    for name, field in scope.locations:
        code = data.get(name)
        if not _new(data, stored, name) or not isinstance(code, str):
            continue
        place = config.locations.get(code)
        if place is None:
            yield _detail(f"{at}/{name}", "location", value=code or '""')
        elif "location_admin_level" in field and place["admin_level"] != field["location_admin_level"]:
            yield _detail(f"{at}/{name}", "location_level", value=code, level=field["location_admin_level"],
                          actual=place["admin_level"])


def _date_problems(data: dict, stored: dict, scope: Scope, days: DayBounds, at: str) -> Iterator[Detail]:
    for name, field in scope.dated:
        value = data.get(name)
        if not _new(data, stored, name) or not isinstance(value, str):
            continue
        valid = is_date_time(value) if field.get("date_include_time") else is_date(value)
        rule = field["date_validation"]
        if valid and date_rule_broken(rule, value, days):
            yield _detail(f"{at}/{name}", "future_date" if rule == "not_future_date" else "past_date")


def _required_problems(data: dict, scope: Scope, at: str) -> Iterator[Detail]:
    for name, field in scope.required:
        shown = "display_conditions" not in field or evaluate(field["display_conditions"], data)
        if shown and is_blank(data.get(name)):
            yield _detail(f"{at}/{name}", "required")


def _rule_problems(data: dict, stored: dict, scope: Scope, forms: FormFields, config: Configuration,
                   days: DayBounds, at: str = "") -> Iterator[Detail]:
    """The rules of new values and the required fields of an object, then of its rows."""
    yield from _option_problems(data, stored, scope, config, at)
    yield from _location_problems(data, stored, scope, config, at)
    yield from _date_problems(data, stored, scope, days, at)
    yield from _required_problems(data, scope, at)
    for name, form_id in scope.subforms:
        rows, nested = data.get(name), forms.scopes.get(form_id)
        if nested is None or not isinstance(rows, list):
            continue
        old = stored.get(name) if isinstance(stored.get(name), list) else []
        before = {row.get(ROW_ID): row for row in old if isinstance(row, dict) and isinstance(row.get(ROW_ID), str)}
        for position, row in enumerate(rows):
            if isinstance(row, dict):
                counterpart = before.get(row.get(ROW_ID), {}) if isinstance(row.get(ROW_ID), str) else {}
                yield from _rule_problems(row, counterpart, nested, forms, config, days, f"{at}/{name}/{position}")


def validate_data(config: Configuration, record_type: str, module_id: str | None,
                  stored: dict[str, Any], patch: dict[str, Any], now: datetime | None = None,
                  server_set: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Return the record's new data (stored + patch, calculated fields computed), or raise RECORD_INVALID.

    `now` decides the date rules (default: the clock); `server_set` names fields of the patch the
    server itself fills (a workflow), which may be read-only ones.
    """
    forms = form_fields(config, record_type, module_id)
    found = _Findings()
    accepted = _checked_patch(patch, stored, forms, found, server_set)
    merged = merge_data(stored, accepted, forms.subforms)
    _calculate(merged, forms.scopes[""], forms)
    checked = _known(merged, forms.scopes[""], forms)
    for error in sorted(forms.validator.iter_errors(checked), key=lambda e: list(map(str, e.absolute_path))):
        for detail in schema_details(error):
            found.add(detail)
    days = day_bounds(now or datetime.now(timezone.utc))
    for detail in _rule_problems(checked, stored, forms.scopes[""], forms, config, days):
        found.add(detail, later=True)
    if found.details:
        details = [_with_hint(d, forms) for d in found.details.values()]
        raise Unprocessable(Error.RECORD_INVALID, details=details, count=len(details))
    return merged
