"""Compile the JSON Schema (2020-12) of a record type's data from the published forms.

`record_fields` says which definition each field name has (the first in display order; the
configuration check FIELD_INCONSISTENT refuses two different ones): the record engine validates
with it and this module compiles from it, so the server and the schema never disagree on a field.

One compiler, two schemas:

- the *write* schema, served at GET /api/v1/schemas/<record_type>: standard 2020-12 with which a
  client that has only a standard validator (no `x-` keys, formats as annotations) accepts exactly
  the `data` the server accepts in a create: required fields (a blank text, an empty list or null
  is missing), `if`/`then` for fields required only when shown, server-set fields refused
  (`readOnly` plus `not: {}`), dates and times by pattern, date rules of the day, location codes of
  the right level, only the options that may still be chosen and, for a role, only the forms it
  reads, with those it may not write refused. It depends on the day (`not_future_date`), so it is
  cached per version and day.
- the *stored* schema the record engine checks merged data with (server/records/validation.py):
  types, lengths, patterns, formats and options including disabled ones. The rules that apply
  only to new values (disabled options, date rules, location codes), `required` and display
  conditions are checked there, in Python, with the definitions and patterns of this module.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from datetime import date, datetime, timedelta, timezone
from threading import Lock
from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.expressions import INEXACT, condition_schema, referenced_fields
from server.metadata.field_types import (BLANK_CHARACTERS, COMPUTED, DATE_REGEX, DATE_RULES, DATE_TIME_REGEX,
                                         DESTROY, FILES, ROW_ID, ROWS, UUID_PATTERN, option_ids, type_of,
                                         uuid_schema)

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
MAX_ROWS = 1000
_DATE_RE, _DATE_TIME_RE = re.compile(DATE_REGEX), re.compile(DATE_TIME_REGEX)
# DATE_RULES, DESTROY, ROW_ID, UUID_PATTERN and option_ids stay importable from here: the record engine
# reads them with the compiler's other names (their home is the field-type registry).


def is_blank(value: Any) -> bool:
    """Tell whether a value answers nothing: null, text of blanks only, an empty list or object."""
    if isinstance(value, str):
        return all(character in BLANK_CHARACTERS for character in value)
    return value is None or value == [] or value == {}


def is_date(value: str) -> bool:
    """A calendar date written YYYY-MM-DD (years 0001 to 9999)."""
    return _DATE_RE.fullmatch(value) is not None


def is_date_time(value: str) -> bool:
    """An RFC 3339 date and time with its offset (2024-05-31T14:30:00+01:00, ...Z)."""
    return _DATE_TIME_RE.fullmatch(value) is not None


@dataclass(frozen=True)
class DayBounds:
    """Today at its latest and earliest on Earth (UTC+14, UTC-12): the date rules never refuse a real today."""

    latest: date
    earliest: date


def day_bounds(now: datetime) -> DayBounds:
    """Return the days `not_future_date` and `not_past_date` compare with at this instant."""
    utc = now.astimezone(timezone.utc) if now.tzinfo else now
    return DayBounds((utc + timedelta(hours=14)).date(), (utc - timedelta(hours=12)).date())


def date_rule_broken(rule: str | None, value: str, days: DayBounds) -> bool:
    """Tell whether a valid date (or the day of a date-time) breaks its field's date_validation."""
    day = value[:10]
    if rule == "not_future_date":
        return day > days.latest.isoformat()
    if rule == "not_past_date":
        return day < days.earliest.isoformat()
    return False


def is_read_only(field: dict[str, Any]) -> bool:
    """Calculated fields and fields marked `disabled` are set by the server or a workflow, never by a write; the
    ids of an upload field change only as files are attached and deleted (server/records/attachments.py)."""
    return type_of(field).value in (COMPUTED, FILES) or bool(field.get("disabled"))


def requirement(field: dict[str, Any]) -> bool:
    """Tell whether the field must be answered when it is shown (read-only fields never must)."""
    return bool(field.get("required")) and not is_read_only(field)


@dataclass(frozen=True)
class RecordFields:
    """The published fields of a record type: one definition per name, and which forms hold each name.

    `rows` has the fields of every nested form a subform field of the record type reaches, by form id.
    """

    fields: dict[str, dict[str, Any]]
    forms: dict[str, frozenset[str]]
    rows: dict[str, dict[str, dict[str, Any]]] = dataclass_field(default_factory=dict)

    def row_fields(self, field: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """The fields of a subform field's rows ({} when its nested form is missing)."""
        return self.rows.get(field.get("subform_section_id", ""), {})


def _data_fields(form: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    fields: dict[str, dict[str, Any]] = {}
    for field in (form or {}).get("fields", []):
        if type_of(field).holds_data:
            fields.setdefault(field["name"], field)
    return fields


def record_fields(config: Configuration, record_type: str, module_id: str | None = None) -> RecordFields:
    """Return the one definition of each field name of a record type (cached per published version)."""
    key = ("fields", config.fingerprint, record_type, module_id)
    cached = _CACHE.get(key) if config.fingerprint else None
    if cached is not None:
        return cached
    fields: dict[str, dict[str, Any]] = {}
    forms: dict[str, set[str]] = {}
    for uid, form in config.forms_of(record_type, nested=False, module_id=module_id):
        for name, field in _data_fields(form).items():
            fields.setdefault(name, field)
            forms.setdefault(name, set()).add(uid)
    rows: dict[str, dict[str, dict[str, Any]]] = {}
    pending = [f.get("subform_section_id", "") for f in fields.values() if type_of(f).value == ROWS]
    while pending:
        form_id = pending.pop()
        if form_id in rows or form_id not in config.forms:
            continue
        rows[form_id] = _data_fields(config.forms[form_id])
        pending += [f.get("subform_section_id", "") for f in rows[form_id].values() if type_of(f).value == ROWS]
    result = RecordFields(fields, {name: frozenset(ids) for name, ids in forms.items()}, rows)
    _remember(config, key, result)
    return result


# --- the schema of one value -------------------------------------------------------------------


@dataclass
class _Compiler:
    """What compiling one schema needs: the configuration, the fields, which schema, the day."""

    config: Configuration
    record: RecordFields
    write: bool
    days: DayBounds | None
    defs: dict[str, Any] = dataclass_field(default_factory=dict)
    inexact: list[str] = dataclass_field(default_factory=list)
    trail: list[str] = dataclass_field(default_factory=list)  # the nested forms being compiled, outermost first

    def value_schema(self, field: dict[str, Any], nullable: bool, path: tuple[str, ...]) -> dict[str, Any]:
        """The schema of one field's value; in the write schema, null (which clears it) is allowed when `nullable`."""
        title = field["display_name_i18n"]
        head = {"title": title.get("en") or next(iter(title.values()), "")}
        if self.write and is_read_only(field):
            return {**head, "readOnly": True, "not": {}}
        schema = type_of(field).schema(field, self, path)
        if self.write and nullable:
            _allow_null(schema)
        return {**head, **schema}

    def rows(self, field: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        """The rows of a subform field: objects of its nested form's fields."""
        target = field.get("subform_section_id", "")
        if target in self.trail or target not in self.record.rows:  # a form nested in itself holds nothing
            return {"type": "array", "maxItems": 0}
        self.trail.append(target)
        try:
            rows = self.row_schema(self.record.rows[target], (*path, field["name"]))
        finally:
            self.trail.pop()
        return {"type": "array", "maxItems": MAX_ROWS, "items": rows}

    # --- objects: the record's data and subform rows -----------------------------------------

    def object_schema(self, fields: dict[str, dict[str, Any]], path: tuple[str, ...], nullable: bool,
                      row: bool = False, writable: frozenset[str] | None = None,
                      scope: dict[str, dict[str, Any]] | None = None, absent: frozenset[str] = frozenset()
                      ) -> dict[str, Any]:
        """The schema of an object of fields (the data, or a row), with its required fields and conditions.

        `writable`: the names a role may write (None: all); the others are refused. `scope`: every field
        the conditions may read (default: `fields`); `absent`: the names a valid write never holds.
        """
        properties = {}
        for name, field in fields.items():
            properties[name] = self.value_schema(field, nullable, path)
            if self.write and writable is not None and name not in writable:
                properties[name] = {"title": properties[name]["title"], "readOnly": True, "not": {}}
        if row:
            properties[ROW_ID] = uuid_schema(nullable and self.write)
        schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
        if self.write:
            self._requirements(schema, fields, scope or fields, path, absent)
        return schema

    def _requirements(self, schema: dict[str, Any], fields: dict[str, dict[str, Any]],
                      scope: dict[str, dict[str, Any]], path: tuple[str, ...], absent: frozenset[str]) -> None:
        """Add `required` and `if`/`then` for the fields required when shown."""
        required, rules = [], []
        for name, field in fields.items():
            if not requirement(field):
                continue
            condition = self.condition(field, scope, absent)
            if condition is INEXACT:
                self.inexact.append("/" + "/".join((*path, name)))
                continue
            if condition is False:
                continue
            answered = {"properties": {name: type_of(field).answered(field)}}
            if condition is True:
                required.append(name)
                rules.append(answered)
            else:
                rules.append({"if": condition, "then": {"required": [name], **answered}})
        if required:
            schema["required"] = required
        if rules:
            schema["allOf"] = rules

    def condition(self, field: dict[str, Any], scope: dict[str, dict[str, Any]],
                  absent: frozenset[str]) -> Any:
        """The field's display condition as a schema (True: always shown), or INEXACT.

        A condition on a calculated field is INEXACT: the server computes that value first, and no
        standard keyword computes a sum. The schema then leaves the field optional (never refusing
        what the server accepts) and lists it in `x-abri-inexact`.
        """
        if "display_conditions" not in field:
            return True
        computed = frozenset(name for name in referenced_fields(field["display_conditions"])
                             if name in scope and type_of(scope[name]).value == COMPUTED)
        return condition_schema(field["display_conditions"], absent=absent - computed, computed=computed)

    def row_schema(self, fields: dict[str, dict[str, Any]], path: tuple[str, ...]) -> dict[str, Any]:
        """A subform row; a row of the record's own subforms may also be `{"unique_id", "_destroy": true}`.

        Those rows are merged by unique_id and null clears a value; rows nested deeper are plain values.
        """
        first_level = len(self.trail) == 1
        schema = self.object_schema(fields, path, nullable=first_level, row=True)
        if not (self.write and first_level):
            return schema
        removal = {"required": [ROW_ID, DESTROY], "additionalProperties": False,
                   "properties": {ROW_ID: uuid_schema(), DESTROY: {"const": True}}}
        return {"type": "object", "if": {"required": [DESTROY]}, "then": removal, "else": schema}


def _allow_null(schema: dict[str, Any]) -> None:
    """Let a value schema accept null: keywords of other types ignore null, so only `type` changes."""
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    schema["type"] = [*kinds, "null"] if "null" not in kinds else kinds
    if "enum" in schema:
        schema["enum"] = [*schema["enum"], None]
    if "$ref" in schema:  # a location code, or null
        schema["anyOf"] = [{"type": "null"}, {"$ref": schema.pop("$ref")}]


# --- whole schemas -----------------------------------------------------------------------------


def compile_record_schema(config: Configuration, record_type: str, module_id: str | None = None,
                          form_ids: frozenset[str] | None = None, writable_form_ids: frozenset[str] | None = None,
                          days: DayBounds | None = None, write: bool = True) -> dict[str, Any]:
    """Return the JSON Schema of a record type's data.

    `form_ids`: the forms a role reads (None: all), whose fields the schema lists; `writable_form_ids`:
    those it writes (None: all), the others' fields are refused. A field the role may not read is
    never named: a requirement of one is told as "nothing can be written when ..." (a constant or a
    condition on fields the role may read). `write=False` gives the stored schema.
    """
    record = record_fields(config, record_type, module_id)
    compiler = _Compiler(config, record, write, days)
    readable = {name for name, forms in record.forms.items() if form_ids is None or forms & form_ids}
    writable = None if writable_form_ids is None else frozenset(
        name for name, forms in record.forms.items() if forms & writable_form_ids)
    # What a valid create never holds: the fields the role may not write, and the workflow's (not calculated ones).
    absent = frozenset(name for name, field in record.fields.items()
                       if type_of(field).value != COMPUTED and (is_read_only(field)
                                                            or writable is not None and name not in writable))
    shown = {name: field for name, field in record.fields.items() if name in readable}
    schema = compiler.object_schema(shown, (), nullable=True, writable=writable, scope=record.fields, absent=absent)
    if write:
        schema.setdefault("allOf", []).extend(_unseen_requirements(compiler, record, readable, absent))
        if not schema["allOf"]:
            del schema["allOf"]
    identifier = f"abri:record/{record_type}" + (f"/{module_id}" if module_id else "") + f"/v{config.version}"
    head = {"$schema": SCHEMA_DIALECT, "$id": identifier, "title": record_type}
    if write:
        head["description"] = WRITE_SCHEMA_DESCRIPTION
    tail: dict[str, Any] = {"x-abri-config-version": config.version}
    if compiler.defs:
        tail["$defs"] = compiler.defs
    if write and days is not None:
        tail["x-abri-days"] = {"latest": days.latest.isoformat(), "earliest": days.earliest.isoformat()}
    if compiler.inexact:
        tail["x-abri-inexact"] = sorted(set(compiler.inexact))
    return {**head, **schema, **tail}


WRITE_SCHEMA_DESCRIPTION = (
    "The `data` of a create, or a record's whole data after a change without the fields the server sets: "
    "a standard JSON Schema 2020-12 validator accepts exactly what the server accepts, with format "
    "assertion on or off (dates and times also have patterns). Depends on the day (date rules): "
    "revalidate with If-None-Match. Not said here: rows of one list never share a unique_id; every JSON "
    "body also refuses NUL characters, lone surrogates, NaN, whole numbers beyond 64 bits and nesting "
    "deeper than 32. Stored values the server keeps even though this schema refuses them for new "
    "values: options disabled since, codes of places removed since, dates that the date rules "
    "now refuse.")


def _unseen_requirements(compiler: _Compiler, record: RecordFields, readable: set[str],
                         absent: frozenset[str]) -> list[Any]:
    """A required field the role cannot read is missing from its every create: refuse when it is shown."""
    rules: list[Any] = []
    for name, field in record.fields.items():
        if name in readable or not requirement(field):
            continue
        condition = compiler.condition(field, record.fields, absent)
        if condition is INEXACT:
            compiler.inexact.append("/")
        elif condition is True:
            rules.append({"not": {}})
        elif condition is not False:
            rules.append({"if": condition, "then": False})
    return rules


def record_schema(config: Configuration, record_type: str, module_id: str | None = None,
                  form_ids: frozenset[str] | None = None, writable_form_ids: frozenset[str] | None = None,
                  days: DayBounds | None = None) -> dict[str, Any]:
    """Return the served (write) schema, cached per published version, forms and day."""
    days = days or day_bounds(datetime.now(timezone.utc))
    key = ("write", config.fingerprint, record_type, module_id, form_ids, writable_form_ids, days)
    cached = _CACHE.get(key) if config.fingerprint else None
    if cached is None:
        cached = compile_record_schema(config, record_type, module_id, form_ids, writable_form_ids, days)
        _remember(config, key, cached)
    return cached


def stored_schema(config: Configuration, record_type: str, module_id: str | None = None) -> dict[str, Any]:
    """Return the schema the record engine checks merged data with (compiled per call; the engine caches it)."""
    return compile_record_schema(config, record_type, module_id, write=False)


_CACHE_SIZE = 256
_CACHE: dict[tuple, Any] = {}
_CACHE_LOCK = Lock()  # the app's threads share it: evicting while another thread inserts must not fail


def _remember(config: Configuration, key: tuple, value: Any) -> None:
    """Keep a compiled result of a published version (a version never changes; the draft is never cached)."""
    if not config.fingerprint:
        return
    with _CACHE_LOCK:
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = value
