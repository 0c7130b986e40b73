"""The field-type registry: one row per field type says everything the server knows about it.

pyxform's question-type dictionary is the model: one table, one row per type. A row says

- what a value of the type is (`value`), its JSON Schema (`schema`, which record_schema.py calls
  for each field) and what a required field of the type must hold (`answered`);
- how a record list filters it (none, equality, range, location) and whether a text search reads it;
- which cell an export writes for it;
- how a form renderer shows it (a widget, whether it has options, whether it may hold several);
- which attributes a field of the type uses (the configuration check warns about the others).

The record engine sorts fields by `value` (options, places and dates have rules of new values,
computed fields are calculated, rows are merged by id). GET /api/v1/field_types serves the table,
so a form renderer needs no list of its own. A new type is a new row here (and its label's French
translation in the catalog): the meta-schema's `type` enum is filled from this table when it is loaded.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Protocol

from server.messages import _l, render

from server.metadata.patterns import END, portable_pattern

if TYPE_CHECKING:  # annotations only: documents.py may then build the meta-schema's `type` enum from this table
    from server.metadata.configuration import Configuration

# What a value is. The record engine's rules follow it: OPTION values are checked against enabled
# options, PLACE codes against the locations, DATE values against the date rules, COMPUTED ones are
# calculated by the server, ROWS are merged row by row.
TEXT, OPTION, BOOLEAN, NUMBER, DATE, TALLY, PLACE, FILES, COMPUTED, ROWS, NOTHING = (
    "text", "option", "boolean", "number", "date", "tally", "place", "files", "computed", "rows", "nothing")
# How a list filters a field marked `filterable`: not at all, by equal values (a,b), by ranges too
# (a..b), or by a place and every place below it.
NO_FILTER, EQUALITY, RANGE, LOCATION_FILTER = "none", "equality", "range", "location"
FILTERS = (NO_FILTER, EQUALITY, RANGE, LOCATION_FILTER)
# The cell an export writes: the value, yes/no, an option's label, a date, "name: count" pairs, a
# place's name, the names of the files attached; a subform's rows get a sheet of their own.
TEXT_CELL, NUMBER_CELL, YES_NO_CELL, OPTION_CELL, DATE_CELL, TALLY_CELL, PLACE_CELL, FILE_NAMES_CELL, ROWS_SHEET, \
    NO_CELL = ("text", "number", "yes_no", "option", "date", "tally", "place", "file_names", "rows", "none")

MAX_CHOICES, MAX_FILES, MAX_TALLY = 500, 100, 100_000
SHORT_TEXT, LONG_TEXT = 1000, 20000  # characters of a text field and of a textarea that says no max_length
ROW_ID, DESTROY = "unique_id", "_destroy"
# A lower-case UUID. Its length bounds it, so no end anchor is needed (Python's `$` also matches
# before a final newline; this pattern means the same in every regex engine).
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
UUID_LENGTH = 36

# Blank text: JavaScript's trim() removes exactly these (ECMA-262 WhiteSpace and LineTerminator).
_BLANK_CLASS = "\\t\\n\\u000b\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
BLANK_CHARACTERS = frozenset("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
                             + "".join(map(chr, range(0x2000, 0x200B))))
NOT_BLANK_PATTERN = f"[^{_BLANK_CLASS}]"

# ISO 8601 calendar dates of years 0001-9999 (leap days included), times, RFC 3339 date-times.
_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
_MONTH_DAY = ("(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
              "|02-(?:0[1-9]|1[0-9]|2[0-8]))")
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
DATE_REGEX = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
DATE_TIME_REGEX = (DATE_REGEX + "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?"
                   "(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])")
DATE_RULES = ("not_future_date", "not_past_date")


class SchemaBuild(Protocol):
    """What a type's schema builder may use: the record-schema compiler (server/metadata/record_schema.py)."""

    config: Configuration
    write: bool  # the served write schema (standard keywords only); else the stored schema
    days: Any  # DayBounds of the date rules, or None
    defs: dict[str, Any]  # shared definitions ($defs) of the schema being compiled
    inexact: list[str]  # pointers of fields the schema cannot state exactly

    def rows(self, field: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
        """The schema of a subform field's rows (an array)."""


SchemaBuilder = Callable[[dict[str, Any], SchemaBuild, tuple[str, ...]], dict[str, Any]]


# --- the schema of one value, by kind ---------------------------------------------------------


def text_schema(default_length: int) -> SchemaBuilder:
    """Text of at most `max_length` characters (default_length when not set), matching `pattern`."""
    def schema(field: dict[str, Any], build: SchemaBuild, path: tuple[str, ...]) -> dict[str, Any]:
        result: dict[str, Any] = {"type": "string", "maxLength": field.get("max_length", default_length)}
        if "pattern" in field:
            portable = portable_pattern(field["pattern"]) if build.write else field["pattern"]
            if portable is None:
                portable = field["pattern"]
                build.inexact.append("/" + "/".join((*path, field["name"])))
            result["pattern"] = portable
        return result
    return schema


def option_ids(field: dict[str, Any], config: Configuration, include_disabled: bool = True) -> list[str]:
    """Return the ids a select or radio field accepts (from its lookup or inline)."""
    source = field.get("option_strings_source")
    options = (config.lookups.get(source.split(" ", 1)[1], {}).get("lookup_values_i18n", [])
               if source else field.get("option_strings_text_i18n", []))
    return [o["id"] for o in options if include_disabled or not o.get("disabled")]


def choice_schema(field: dict[str, Any], build: SchemaBuild, path: tuple[str, ...]) -> dict[str, Any]:
    """An option id (a list of distinct ones when multi_select); new values only among enabled options."""
    choice = {"type": "string", "enum": option_ids(field, build.config, include_disabled=not build.write)}
    if field.get("multi_select"):
        return {"type": "array", "items": choice, "uniqueItems": True, "maxItems": MAX_CHOICES}
    return choice


def boolean_schema(field, build, path) -> dict[str, Any]:
    return {"type": "boolean"}


def number_schema(field, build, path) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "number"}
    if "min_value" in field:
        schema["minimum"] = field["min_value"]
    if "max_value" in field:
        schema["maximum"] = field["max_value"]
    return schema


def _day_order_pattern(bound, at_most: bool) -> str:
    """A pattern for valid dates (or date-times) whose day is at most (or at least) `bound`."""
    text, branches = bound.isoformat(), []
    for position, digit in enumerate(text):
        if digit == "-":
            continue
        if at_most and digit > "0":
            branches.append(text[:position] + f"[0-{chr(ord(digit) - 1)}]")
        elif not at_most and digit < "9":
            branches.append(text[:position] + f"[{chr(ord(digit) + 1)}-9]")
    return "^(?:" + "|".join([*branches, text]) + ")"


def date_schema(field, build, path) -> dict[str, Any]:
    """A date (or an RFC 3339 date-time); the write schema also states the format and the date rule by pattern."""
    timed = bool(field.get("date_include_time"))
    schema: dict[str, Any] = {"type": "string", "format": "date-time" if timed else "date"}
    if not build.write:
        return schema  # the stored schema's format checker runs the same regular expressions
    schema["pattern"] = "^" + (DATE_TIME_REGEX + END if timed else DATE_REGEX)
    if not timed:
        schema["maxLength"] = 10
    rule = field.get("date_validation")
    if rule in DATE_RULES and build.days is not None:
        bound = build.days.latest if rule == "not_future_date" else build.days.earliest
        schema["allOf"] = [{"pattern": _day_order_pattern(bound, at_most=rule == "not_future_date")}]
    return schema


def tally_schema(field, build, path) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "properties": {t["id"]: {"type": "integer", "minimum": 0, "maximum": MAX_TALLY}
                           for t in field.get("tally_i18n", [])}}


def place_schema(field, build, path) -> dict[str, Any]:
    """A location code; the write schema lists the codes (of the field's admin level) once, in $defs."""
    level = field.get("location_admin_level")
    if not build.write:
        return {"type": "string", "maxLength": 100}  # the code and its level are checked for new values
    name = "locations" if level is None else f"locations_level_{level}"
    if name not in build.defs:
        places = build.config.locations.places.values()
        build.defs[name] = {"enum": sorted(p["code"] for p in places if level is None or p["admin_level"] == level)}
    schema: dict[str, Any] = {"type": "string", "$ref": f"#/$defs/{name}"}
    if level is not None:
        schema["x-abri-admin-level"] = level
    return schema


def uuid_schema(nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "pattern": UUID_PATTERN,
            "minLength": UUID_LENGTH, "maxLength": UUID_LENGTH}


def files_schema(field, build, path) -> dict[str, Any]:
    return {"type": "array", "maxItems": MAX_FILES, "items": uuid_schema()}


def computed_schema(field, build, path) -> dict[str, Any]:
    return {"type": ["number", "null"], "readOnly": True}


def rows_schema(field, build, path) -> dict[str, Any]:
    return build.rows(field, path)


# --- what a required field must hold ------------------------------------------------------------


def not_null(field: dict[str, Any]) -> dict[str, Any]:
    return {"not": {"type": "null"}}


def not_blank(field: dict[str, Any]) -> dict[str, Any]:
    return {"type": "string", "pattern": NOT_BLANK_PATTERN}


def some_items(field: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "minItems": 1}


def some_choice(field: dict[str, Any]) -> dict[str, Any]:
    return some_items(field) if field.get("multi_select") else not_null(field)


def some_count(field: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "minProperties": 1}


def some_row(field: dict[str, Any]) -> dict[str, Any]:
    """At least one row that is not a removal."""
    return {"type": "array", "contains": {"not": {"required": [DESTROY]}}}


# --- the attributes a type uses ---------------------------------------------------------------

SHOWN = frozenset({"name", "type", "display_name_i18n", "help_text_i18n", "guiding_questions_i18n", "visible",
                   "mobile_visible", "show_on_minify_form", "display_conditions"})
ANSWERED = SHOWN | {"required", "disabled", "matchable", "identifying"}
TEXT_ATTRIBUTES = ANSWERED | {"max_length", "pattern", "pattern_hint_i18n", "selected_value"}
CHOICE_ATTRIBUTES = ANSWERED | {"option_strings_source", "option_strings_text_i18n", "multi_select", "selected_value"}


@dataclass(frozen=True, eq=False)  # rows compare by identity: one row per type
class FieldType:
    """One row of the registry: a field type and everything the server and the clients know about it."""

    name: str
    label: Any  # a message (_l), rendered in the reader's language
    value: str  # TEXT, OPTION, ... (see above)
    json_type: tuple[str, ...]  # the JSON types a value may have (none: the type holds no data)
    schema: SchemaBuilder | None  # the JSON Schema of one value
    answered: Callable[[dict[str, Any]], dict[str, Any]]  # what a required field must hold
    attributes: frozenset[str]  # those a field of the type uses (filterable/searchable added below)
    widget: str  # how a form renderer shows it
    filter: str = NO_FILTER
    searchable: bool = False
    cell: str = TEXT_CELL
    options: bool = False  # its values are chosen among options (a lookup or inline ones)
    multiple: bool = False  # may hold several choices (`multi_select`)
    accept: str | None = None  # the media types an upload widget offers
    media_types: tuple[str, ...] = ()  # the media types of the files the server accepts (by their bytes)
    max_size_mb: float | None = None  # the largest file, unless the field says (`max_size_mb`)
    max_length: int | None = None  # the longest text, unless the field says (`max_length`)

    @property
    def holds_data(self) -> bool:
        return self.schema is not None

    @property
    def numeric(self) -> bool:
        """Its values are numbers that sum and avg may read."""
        return self.value in (NUMBER, COMPUTED)

    @property
    def filter_value(self) -> str:
        """How a filter's query parameter is read: number, date, bool or text."""
        return {NUMBER: "number", COMPUTED: "number", DATE: "date", BOOLEAN: "bool"}.get(self.value, "text")

    @property
    def accepted_attributes(self) -> frozenset[str]:
        marks = {"filterable"} if self.filter != NO_FILTER else set()
        return self.attributes | marks | ({"searchable"} if self.searchable else set())

    def describe(self, locale: str | None) -> dict[str, Any]:
        """The row as GET /api/v1/field_types serves it, its label in `locale`."""
        return {"type": self.name, "label": render(self.label, None, locale), "value": self.value,
                "json_type": list(self.json_type),
                "holds_data": self.holds_data, "read_only": self.value == COMPUTED, "filter": self.filter,
                "searchable": self.searchable, "export": self.cell,
                "render": {"widget": self.widget, "options": self.options, "multiple": self.multiple,
                           "accept": self.accept},
                "max_length": self.max_length, "max_size_mb": self.max_size_mb,
                "attributes": sorted(self.accepted_attributes)}


# Files are attached through the record's attachments routes, never set by a record write, so a file field is
# never required (a record is created before its files); its size and count limits are its own.
FILE_ATTRIBUTES = (ANSWERED - {"required"}) | {"max_size_mb", "max_files"}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
AUDIO_TYPES = ("audio/mpeg", "audio/mp4", "audio/3gpp", "audio/ogg", "audio/wav", "audio/amr", "audio/webm")


def _files(name: str, label: Any, media_types: tuple[str, ...], max_size_mb: float) -> FieldType:
    return FieldType(name, label, FILES, ("array",), files_schema, some_items, FILE_ATTRIBUTES, "files",
                     cell=FILE_NAMES_CELL, accept=",".join(media_types), media_types=media_types,
                     max_size_mb=max_size_mb)


# The table, in the order of the meta-schema's `type` enum (a form editor offers them in this order).
FIELD_TYPES: dict[str, FieldType] = {row.name: row for row in (
    FieldType("text_field", _l("Short text"), TEXT, ("string",), text_schema(SHORT_TEXT), not_blank, TEXT_ATTRIBUTES,
              "text", filter=EQUALITY, searchable=True, max_length=SHORT_TEXT),
    FieldType("textarea", _l("Long text"), TEXT, ("string",), text_schema(LONG_TEXT), not_blank, TEXT_ATTRIBUTES,
              "textarea", filter=EQUALITY, searchable=True, max_length=LONG_TEXT),
    FieldType("select_box", _l("Choice list"), OPTION, ("string", "array"), choice_schema, some_choice,
              CHOICE_ATTRIBUTES, "select", filter=EQUALITY, cell=OPTION_CELL, options=True, multiple=True),
    FieldType("radio_button", _l("Radio buttons"), OPTION, ("string", "array"), choice_schema, some_choice,
              CHOICE_ATTRIBUTES, "radio", filter=EQUALITY, cell=OPTION_CELL, options=True),
    FieldType("tick_box", _l("Tick box"), BOOLEAN, ("boolean",), boolean_schema, not_null,
              ANSWERED | {"tick_box_label_i18n", "selected_value"}, "checkbox", filter=EQUALITY, cell=YES_NO_CELL),
    FieldType("numeric_field", _l("Number"), NUMBER, ("number",), number_schema, not_null,
              ANSWERED | {"min_value", "max_value", "selected_value"}, "number", filter=RANGE, cell=NUMBER_CELL),
    FieldType("date_field", _l("Date"), DATE, ("string",), date_schema, not_null,
              ANSWERED | {"date_include_time", "date_validation", "selected_value"}, "date", filter=RANGE,
              cell=DATE_CELL),
    FieldType("subform", _l("Subform (rows)"), ROWS, ("array",), rows_schema, some_row,
              ANSWERED | {"subform_section_id", "subform_sort_by", "collapsed_field_names"}, "subform",
              cell=ROWS_SHEET),
    FieldType("tally_field", _l("Tally"), TALLY, ("object",), tally_schema, some_count, ANSWERED | {"tally_i18n"},
              "tally", cell=TALLY_CELL),
    FieldType("separator", _l("Separator"), NOTHING, (), None, not_null, SHOWN, "separator", cell=NO_CELL),
    FieldType("calculated", _l("Calculated"), COMPUTED, ("number", "null"), computed_schema, not_null,
              SHOWN | {"calculation", "disabled"}, "calculated", filter=RANGE, cell=NUMBER_CELL),
    FieldType("location", _l("Location"), PLACE, ("string",), place_schema, not_null,
              ANSWERED | {"location_admin_level"}, "location", filter=LOCATION_FILTER, cell=PLACE_CELL),
    _files("photo_upload_box", _l("Photos"), IMAGE_TYPES, 10),
    _files("document_upload_box", _l("Documents"), ("application/pdf", *IMAGE_TYPES), 20),
    _files("audio_upload_box", _l("Audio recordings"), AUDIO_TYPES, 20),
)}


def field_type(name: str) -> FieldType:
    """The registry row of a type (KeyError for a name the registry lacks: the meta-schema refuses it)."""
    return FIELD_TYPES[name]


def type_of(field: dict[str, Any]) -> FieldType:
    return FIELD_TYPES[field["type"]]


def describe_types(locale: str | None) -> list[dict[str, Any]]:
    """Every row as served, in the registry's order, labels in `locale`."""
    return [row.describe(locale) for row in FIELD_TYPES.values()]


def registry_fingerprint(rows: list[dict[str, Any]]) -> str:
    """A hash of the served rows: their ETag changes with any of them."""
    text = json.dumps(rows, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
