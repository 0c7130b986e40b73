"""The base of every API input schema: its errors are rules of the rules vocabulary, not English sentences.

marshmallow words its errors in English ("Not a valid integer."). `ArgumentSchema` replaces, when a field is bound,
each error message of the field (and of its inner fields: list items, dict keys and values) by a `Violation` naming
the rule it breaks, chosen by the error's key and the field's class; its validators (Range, Length, OneOf, Regexp,
Email) report a Violation carrying their parameters (min, max, limit, allowed). The HTTP edge
(server/api/errors.py) then turns each Violation into a Detail by structure, in the request's language.
"""
from __future__ import annotations

import copy
from typing import Any

from marshmallow import Schema, fields, validate

from server.rules import Rule, Violation

DATE_TIME_EXAMPLE = "2024-05-31T14:30:00+01:00"

# The rule of a field's "invalid"/"type" error, by the field's class (the first that matches, most specific first).
_TYPE_RULES: tuple[tuple[type[fields.Field], Violation], ...] = (
    (fields.Email, Violation(Rule.EMAIL)),
    (fields.Boolean, Violation(Rule.TYPE_BOOLEAN)),
    (fields.Integer, Violation(Rule.TYPE_INTEGER)),
    (fields.Number, Violation(Rule.TYPE_NUMBER)),
    (fields.String, Violation(Rule.TYPE_TEXT)),
    (fields.DateTime, Violation(Rule.DATE_TIME, {"example": DATE_TIME_EXAMPLE})),
    (fields.Date, Violation(Rule.FORMAT, {"expected": "date", "example": "2024-05-31"})),
    (fields.Mapping, Violation(Rule.TYPE_OBJECT)),
    (fields.Nested, Violation(Rule.TYPE_OBJECT)),
    (fields.List, Violation(Rule.TYPE_LIST)),
    (fields.Tuple, Violation(Rule.TYPE_LIST)),
)
_KEY_RULES = {"required": Violation(Rule.REQUIRED), "null": Violation(Rule.NULL),
              "special": Violation(Rule.NOT_FINITE), "validator_failed": Violation(Rule.INVALID)}
_TYPE_KEYS = frozenset({"invalid", "type", "too_large", "invalid_utf8", "invalid_awareness", "invalid_uuid"})


def type_violation(field: fields.Field) -> Violation:
    """The rule a value of the wrong type for `field` breaks."""
    return next((violation for kind, violation in _TYPE_RULES if isinstance(field, kind)), Violation(Rule.INVALID))


def structure_errors(field: fields.Field) -> None:
    """Replace the error messages of `field` and of its inner fields by Violations, and its validators' too."""
    field.error_messages = {key: _KEY_RULES.get(key) or (type_violation(field) if key in _TYPE_KEYS
                                                           else Violation(Rule.INVALID))
                            for key in field.error_messages}
    field.validators = [_structured(validator) for validator in field.validators]
    for inner in (getattr(field, "inner", None), getattr(field, "key_field", None),
                  getattr(field, "value_field", None), *getattr(field, "tuple_fields", ())):
        if isinstance(inner, fields.Field):
            structure_errors(inner)


class ArgumentSchema(Schema):
    """Base of the API's query and body schemas: errors by rule (Violation), never by English text."""

    error_messages = {"unknown": Violation(Rule.UNKNOWN), "type": Violation(Rule.TYPE_OBJECT)}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        structure_errors(field_obj)


# Each validator's error is a list of one Violation (marshmallow's And extends its errors with a validator's).

class _Range(validate.Range):
    def _format_error(self, value: Any, message: str) -> Any:  # type: ignore[override]
        if self.min is not None and self.max is not None:
            return [Violation(Rule.RANGE, {"min": self.min, "max": self.max})]
        if self.min is not None:
            return [Violation(Rule.MINIMUM, {"limit": self.min})]
        return [Violation(Rule.MAXIMUM, {"limit": self.max})]


class _Length(validate.Length):
    def _format_error(self, value: Any, message: str) -> Any:  # type: ignore[override]
        low = self.equal if self.equal is not None else self.min
        high = self.equal if self.equal is not None else self.max
        text = isinstance(value, (str, bytes))
        if low is not None and len(value) < low:
            return [Violation(Rule.MIN_LENGTH if text else Rule.MIN_ITEMS, {"limit": low})]
        return [Violation(Rule.MAX_LENGTH if text else Rule.MAX_ITEMS, {"limit": high})]


class _OneOf(validate.OneOf):
    def _format_error(self, value: Any) -> Any:  # type: ignore[override]
        return [Violation(Rule.ENUM, {"allowed": ", ".join(map(str, self.choices))})]


class _Regexp(validate.Regexp):
    def _format_error(self, value: Any) -> Any:  # type: ignore[override]
        if self.error and self.error != self.default_message:  # the schema's own hint of the expected form
            return [Violation(Rule.PATTERN_HINT, {"hint": self.error})]
        return [Violation(Rule.PATTERN)]


class _Email(validate.Email):
    def _format_error(self, value: Any) -> Any:  # type: ignore[override]
        return [Violation(Rule.EMAIL)]


_STRUCTURED = {validate.Range: _Range, validate.Length: _Length, validate.OneOf: _OneOf,
               validate.Regexp: _Regexp, validate.Email: _Email}


def _structured(validator: Any) -> Any:
    """A copy of a marshmallow validator that reports a Violation (same class for the OpenAPI document)."""
    structured = _STRUCTURED.get(type(validator))
    if structured is None:
        return validator
    twin = copy.copy(validator)
    twin.__class__ = structured
    return twin
