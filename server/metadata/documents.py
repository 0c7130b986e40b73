"""Metadata document kinds, their JSON meta-schemas, and content hashes."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from flask_babel import lazy_gettext as _l
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from server.errors import Detail, Unprocessable
from server.metadata.patterns import SafeValidator

FORM, LOOKUP, MODULE, ROLE, LOCATION = "form", "lookup", "module", "role", "location"
KINDS = (MODULE, LOOKUP, LOCATION, FORM, ROLE)
# Folder of each kind in a configuration directory (metadata/forms/<unique_id>.json, ...).
KIND_FOLDERS = {FORM: "forms", LOOKUP: "lookups", MODULE: "modules", ROLE: "roles", LOCATION: "locations"}
RECORD_TYPES = ("case", "incident", "tracing_request")

# Field types, by what they hold.
SUBFORM, SEPARATOR, CALCULATED, TALLY = "subform", "separator", "calculated", "tally_field"
OPTION_TYPES = frozenset({"select_box", "radio_button"})
UPLOAD_TYPES = frozenset({"photo_upload_box", "document_upload_box", "audio_upload_box"})

SCHEMA_DIR = Path(__file__).with_name("schemas")
_META_SCHEMA_FILES = ("i18n", "expression", "field", "form", "lookup", "module", "role", "location")


@lru_cache(maxsize=1)
def _schemas() -> dict[str, dict[str, Any]]:
    return {name: json.loads((SCHEMA_DIR / f"{name}.json").read_text("utf-8")) for name in _META_SCHEMA_FILES}


@lru_cache(maxsize=1)
def _validators() -> dict[str, SafeValidator]:
    schemas = _schemas()
    # RE2 matches the identifier rules: `^[a-z][a-z0-9_]*$` holds for the whole name, never "name\n".
    # The parts are registered without `$schema`: jsonschema checks a part that names its dialect with
    # that dialect's stock validator, whose `pattern` is Python's re.
    registry = Registry().with_resources(
        (schema["$id"], DRAFT202012.create_resource({k: v for k, v in schema.items() if k != "$schema"}))
        for schema in schemas.values())
    return {kind: SafeValidator(schemas[kind], registry=registry) for kind in KINDS}


def meta_schema(name: str) -> dict[str, Any]:
    """Return a JSON meta-schema by name: a kind (form, lookup, module) or a part (field, i18n, expression)."""
    return _schemas()[name]


_RULE_MESSAGES = {
    "required": _l("This property is required."),
    "additionalProperties": _l("This property is not allowed here."),
    "type": _l("Must be of type %(expected)s."),
    "pattern": _l("Does not match the pattern %(pattern)s."),
    "enum": _l("Must be one of: %(allowed)s."),
    "maxLength": _l("Is longer than %(limit)s characters."),
    "minLength": _l("Is shorter than %(limit)s characters."),
    "maxItems": _l("Has more than %(limit)s items."),
    "minItems": _l("Has fewer than %(limit)s items."),
    "uniqueItems": _l("Has duplicate items."),
    "minProperties": _l("Must not be empty."),
    "maxProperties": _l("Must have at most %(limit)s properties."),
    "propertyNames": _l("Has a key that is not allowed: %(value)s."),
    "minimum": _l("Must be at least %(limit)s."),
    "maximum": _l("Must be at most %(limit)s."),
}
_RULE_CODES = {"additionalProperties": "unknown", "maxLength": "max_length", "minLength": "min_length",
               "maxItems": "max_items", "minItems": "min_items", "uniqueItems": "unique_items",
               "minProperties": "min_properties", "maxProperties": "max_properties",
               "propertyNames": "property_names"}


def _details(error) -> Iterator[Detail]:
    """Turn one jsonschema error into details naming the field and the rule."""
    path = "/" + "/".join(str(part) for part in error.absolute_path)
    rule = error.validator
    if rule == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        for name in extra:
            yield Detail(f"{path.rstrip('/')}/{name}", "unknown", _RULE_MESSAGES[rule])
        return
    if rule == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        for name in missing:
            yield Detail(f"{path.rstrip('/')}/{name}", "required", _RULE_MESSAGES[rule])
        return
    params = {"expected": error.validator_value, "pattern": error.validator_value,
              "allowed": ", ".join(map(str, error.validator_value)) if rule == "enum" else "",
              "limit": error.validator_value, "value": error.instance}
    message = _RULE_MESSAGES.get(rule, _l("Is not valid."))
    yield Detail(path, _RULE_CODES.get(rule, rule), message, params)


def validate_document(kind: str, body: Any) -> None:
    """Check a document against its kind's meta-schema; Unprocessable lists every problem."""
    errors = sorted(_validators()[kind].iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    unique = {(d.field, d.code): d for error in errors for d in _details(error)}  # `required` repeats per name
    details = list(unique.values())
    if details:
        raise Unprocessable(_l("The %(kind)s document is not valid."), code="DOCUMENT_INVALID",
                            details=details, kind=kind)


def canonical_json(body: Any) -> str:
    """Serialize with sorted keys and no spaces: equal documents give equal text."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(body: Any) -> str:
    """Return the sha256 of a document's canonical JSON."""
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def split_key(key: str) -> tuple[str, str]:
    """Split "form:basic_identity" into ("form", "basic_identity")."""
    kind, _, unique_id = key.partition(":")
    return kind, unique_id
