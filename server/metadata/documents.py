"""Metadata document kinds, their JSON meta-schemas, and content hashes."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from referencing import Registry
from referencing.jsonschema import DRAFT202012

from server.errors import Detail, Error, Unprocessable
from server.metadata.field_types import FIELD_TYPES
from server.metadata.patterns import SafeValidator
from server.rules import Rule

FORM, LOOKUP, MODULE, ROLE, LOCATION, REPORT = "form", "lookup", "module", "role", "location", "report"
KINDS = (MODULE, LOOKUP, LOCATION, FORM, ROLE, REPORT)
# Folder of each kind in a configuration directory (metadata/forms/<unique_id>.json, ...).
KIND_FOLDERS = {FORM: "forms", LOOKUP: "lookups", MODULE: "modules", ROLE: "roles", LOCATION: "locations",
                REPORT: "reports"}
RECORD_TYPES = ("case", "incident", "tracing_request")

# Field types, by what they hold.
SUBFORM, SEPARATOR, CALCULATED, TALLY = "subform", "separator", "calculated", "tally_field"
OPTION_TYPES = frozenset({"select_box", "radio_button"})
UPLOAD_TYPES = frozenset({"photo_upload_box", "document_upload_box", "audio_upload_box"})

SCHEMA_DIR = Path(__file__).with_name("schemas")
_META_SCHEMA_FILES = ("i18n", "expression", "field", "form", "lookup", "module", "role", "location", "report")


@lru_cache(maxsize=1)
def _schemas() -> dict[str, dict[str, Any]]:
    schemas = {name: json.loads((SCHEMA_DIR / f"{name}.json").read_text("utf-8")) for name in _META_SCHEMA_FILES}
    schemas["field"]["properties"]["type"]["enum"] = list(FIELD_TYPES)  # the registry is the one list of types
    return schemas


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


# The rule of each JSON Schema keyword a document can break (the rules vocabulary: server/rules.py).
_RULES = {"required": Rule.REQUIRED, "additionalProperties": Rule.UNKNOWN, "type": Rule.TYPE,
          "pattern": Rule.PATTERN_OF, "enum": Rule.ENUM, "maxLength": Rule.MAX_LENGTH, "minLength": Rule.MIN_LENGTH,
          "maxItems": Rule.MAX_ITEMS, "minItems": Rule.MIN_ITEMS, "uniqueItems": Rule.UNIQUE_ITEMS,
          "minProperties": Rule.MIN_PROPERTIES, "maxProperties": Rule.MAX_PROPERTIES,
          "propertyNames": Rule.PROPERTY_NAMES, "minimum": Rule.MINIMUM, "maximum": Rule.MAXIMUM}


def _details(error) -> Iterator[Detail]:
    """Turn one jsonschema error into details naming the field and the rule."""
    path = "/" + "/".join(str(part) for part in error.absolute_path)
    rule = error.validator
    if rule == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        for name in extra:
            yield Detail.of(f"{path.rstrip('/')}/{name}", Rule.UNKNOWN)
        return
    if rule == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        for name in missing:
            yield Detail.of(f"{path.rstrip('/')}/{name}", Rule.REQUIRED)
        return
    params = {"expected": error.validator_value, "pattern": error.validator_value,
              "allowed": ", ".join(map(str, error.validator_value)) if rule == "enum" else "",
              "limit": error.validator_value, "value": error.instance}
    known = _RULES.get(rule)
    if known is None:  # a keyword without a rule of its own (const, oneOf, ...): named by the keyword
        yield Detail(path, rule, Rule.INVALID.template, params)
    else:
        yield Detail.of(path, known, **params)


def validate_document(kind: str, body: Any) -> None:
    """Check a document against its kind's meta-schema; Unprocessable lists every problem."""
    errors = sorted(_validators()[kind].iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
    unique = {(d.field, d.code): d for error in errors for d in _details(error)}  # `required` repeats per name
    details = list(unique.values())
    if details:
        raise Unprocessable(Error.DOCUMENT_INVALID, details=details, kind=kind)


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
