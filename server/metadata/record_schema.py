"""Compile the JSON Schema (2020-12) of a record type's data from the published forms.

The schema describes what a client may write under a record's `data`: one property per field of
the record type's top-level forms (optionally of one module), subforms as arrays of row objects.
Display conditions, `required` and calculations depend on other values and are evaluated by the
record engine; the schema marks calculated fields readOnly and lists the required ones in
`x-abri-required` for clients.
"""
from __future__ import annotations

from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.documents import CALCULATED, OPTION_TYPES, SEPARATOR, SUBFORM, TALLY, UPLOAD_TYPES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ROW_ID = "unique_id"
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
DEFAULT_TEXT_LENGTH = {"text_field": 1000, "textarea": 20000}


def option_ids(field: dict[str, Any], config: Configuration, include_disabled: bool = True) -> list[str]:
    """Return the ids a select or radio field accepts (from its lookup or inline)."""
    source = field.get("option_strings_source")
    options = (config.lookups.get(source.split(" ", 1)[1], {}).get("lookup_values_i18n", [])
               if source else field.get("option_strings_text_i18n", []))
    return [o["id"] for o in options if include_disabled or not o.get("disabled")]


def field_schema(field: dict[str, Any], config: Configuration) -> dict[str, Any] | None:
    """Return the schema of one field's value (None for fields that hold no data)."""
    kind = field["type"]
    title = field["display_name_i18n"]
    if kind == SEPARATOR:
        return None
    if kind in ("text_field", "textarea"):
        schema: dict[str, Any] = {"type": "string", "maxLength": field.get("max_length", DEFAULT_TEXT_LENGTH[kind])}
        if "pattern" in field:
            schema["pattern"] = field["pattern"]
    elif kind in OPTION_TYPES:
        choice = {"type": "string", "enum": option_ids(field, config)}
        schema = ({"type": "array", "items": choice, "uniqueItems": True, "maxItems": 500}
                  if field.get("multi_select") else choice)
    elif kind == "tick_box":
        schema = {"type": "boolean"}
    elif kind == "numeric_field":
        schema = {"type": "number"}
        if "min_value" in field:
            schema["minimum"] = field["min_value"]
        if "max_value" in field:
            schema["maximum"] = field["max_value"]
    elif kind == "date_field":
        schema = {"type": "string", "format": "date-time" if field.get("date_include_time") else "date"}
    elif kind == TALLY:
        schema = {"type": "object", "additionalProperties": False,
                  "properties": {t["id"]: {"type": "integer", "minimum": 0, "maximum": 100000}
                                 for t in field.get("tally_i18n", [])}}
    elif kind == CALCULATED:
        schema = {"type": ["number", "null"], "readOnly": True}
    elif kind == "location":
        schema = {"type": "string", "maxLength": 100}
        if "location_admin_level" in field:
            schema["x-abri-admin-level"] = field["location_admin_level"]
    elif kind in UPLOAD_TYPES:
        schema = {"type": "array", "maxItems": 100, "items": {"type": "string", "pattern": UUID_PATTERN}}
    elif kind == SUBFORM:
        nested = config.forms.get(field.get("subform_section_id", ""))
        schema = {"type": "array", "maxItems": 1000, "items": _object_schema(nested["fields"] if nested else [], config, row=True)}
    else:  # pragma: no cover - the meta-schema admits no other type
        raise ValueError(kind)
    return {"title": title.get("en") or next(iter(title.values()), ""), **schema}


def _object_schema(fields: list[dict[str, Any]], config: Configuration, row: bool = False) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for field in fields:
        schema = field_schema(field, config)
        if schema is None:
            continue
        properties[field["name"]] = schema
        if field.get("required"):
            required.append(field["name"])
    if row:
        properties[ROW_ID] = {"type": "string", "pattern": UUID_PATTERN}
    schema = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["x-abri-required"] = required
    return schema


def compile_record_schema(config: Configuration, record_type: str, module_id: str | None = None,
                          form_ids: frozenset[str] | None = None) -> dict[str, Any]:
    """Return the JSON Schema of a record type's data (optionally of some forms only)."""
    fields = [field for uid, form in config.forms_of(record_type, nested=False, module_id=module_id)
              if form_ids is None or uid in form_ids for field in form["fields"]]
    schema = _object_schema(fields, config)
    return {"$schema": SCHEMA_DIALECT,
            "$id": f"abri:record/{record_type}" + (f"/{module_id}" if module_id else "") + f"/v{config.version}",
            "title": record_type, **schema, "x-abri-config-version": config.version}


def record_schema(config: Configuration, record_type: str, module_id: str | None = None,
                  form_ids: frozenset[str] | None = None) -> dict[str, Any]:
    """Return the compiled schema, cached per published version (a version never changes)."""
    if not config.fingerprint:  # the draft: compile afresh
        return compile_record_schema(config, record_type, module_id, form_ids)
    key = (config.fingerprint, record_type, module_id, form_ids)
    schema = _SCHEMA_CACHE.get(key)
    if schema is None:
        if len(_SCHEMA_CACHE) >= _SCHEMA_CACHE_SIZE:
            _SCHEMA_CACHE.pop(next(iter(_SCHEMA_CACHE)))
        schema = _SCHEMA_CACHE[key] = compile_record_schema(config, record_type, module_id, form_ids)
    return schema


_SCHEMA_CACHE_SIZE = 64
_SCHEMA_CACHE: dict[tuple, dict[str, Any]] = {}
