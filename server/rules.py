"""The rules vocabulary: what a failing field broke, one wording per rule, in every language.

Record data (server/records/validation.py), metadata documents (server/metadata/documents.py, files.py) and
request parameters and bodies (server/api) report a failing field as a Detail naming a member of `Rule`: its
`code` is the stable rule code clients read ("required", "type", "range", ...), its template the one wording of
that rule. Members share a code where one rule is worded after what it is about (a field of the published forms is
`unknown` as a key of a request is, but says where to look).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from server.messages import _l


class Rule(Enum):
    """Rule code and message template of each way a value can fail."""

    def __init__(self, code: str, template: Any) -> None:
        self.code = code
        self.template = template

    # Presence and shape
    REQUIRED = ("required", _l("This field is required."))
    UNKNOWN = ("unknown", _l("This field is not allowed here."))
    UNKNOWN_FORM_FIELD = ("unknown", _l("There is no such field in the published forms."))
    NULL = ("type", _l("Must not be null."))
    TYPE = ("type", _l("Must be of type %(expected)s."))
    TYPE_INTEGER = ("type", _l("Must be an integer."))
    TYPE_NUMBER = ("type", _l("Must be a number."))
    TYPE_TEXT = ("type", _l("Must be a text."))
    TYPE_BOOLEAN = ("type", _l("Must be true or false."))
    TYPE_OBJECT = ("type", _l("Must be an object."))
    TYPE_LIST = ("type", _l("Must be a list."))
    INVALID = ("invalid", _l("Is not valid."))
    # Values
    ENUM = ("enum", _l("Must be one of: %(allowed)s."))
    OPTION = ("enum", _l("%(value)s is not one of the options of this field."))
    DISABLED_OPTION = ("disabled_option", _l("The option %(value)s is disabled and cannot be chosen any more."))
    FORMAT = ("format", _l("Must be a %(expected)s (for example %(example)s)."))
    DATE_TIME = ("format", _l("Must be a date and time with its offset (for example %(example)s)."))
    EMAIL = ("format", _l("Must be an email address."))
    PATTERN = ("pattern", _l("Is not in the expected form."))
    PATTERN_HINT = ("pattern", _l("Is not in the expected form: %(hint)s."))
    PATTERN_OF = ("pattern", _l("Does not match the pattern %(pattern)s."))
    MINIMUM = ("minimum", _l("Must be at least %(limit)s."))
    MAXIMUM = ("maximum", _l("Must be at most %(limit)s."))
    RANGE = ("range", _l("Must be between %(min)s and %(max)s."))
    INT64_RANGE = ("int64_range", _l("Must be a whole number between %(min)s and %(max)s."))
    NOT_FINITE = ("not_finite", _l("Must be a finite number (NaN and Infinity are not JSON numbers)."))
    MIN_LENGTH = ("min_length", _l("Must be at least %(limit)s characters."))
    MAX_LENGTH = ("max_length", _l("Must be at most %(limit)s characters long."))
    MIN_ITEMS = ("min_items", _l("Has fewer than %(limit)s items."))
    MAX_ITEMS = ("max_items", _l("Must have at most %(limit)s items."))
    UNIQUE_ITEMS = ("unique_items", _l("Must not repeat a value."))
    MIN_PROPERTIES = ("min_properties", _l("Must not be empty."))
    MAX_PROPERTIES = ("max_properties", _l("Must have at most %(limit)s properties."))
    PROPERTY_NAMES = ("property_names", _l("Has a key that is not allowed: %(value)s."))
    FUTURE_DATE = ("future_date", _l("Must not be in the future."))
    PAST_DATE = ("past_date", _l("Must not be in the past."))
    # Texts and keys no database may hold
    NUL = ("nul", _l("Text may not contain the NUL character."))
    SURROGATE = ("surrogate", _l("Text may not contain unpaired surrogates (not valid Unicode)."))
    KEY_FORBIDDEN = ("key_forbidden", _l("Keys may not start with $ or contain a dot."))
    MAX_DEPTH = ("max_depth", _l("Nested more than %(limit)s levels deep."))
    TOO_DEEP = ("max_depth", _l("Nested too deeply."))
    # Record data
    READ_ONLY = ("read_only", _l("This field is calculated by the server and cannot be written."))
    WORKFLOW_ONLY = ("workflow_only", _l("This field is set by the server or a workflow and cannot be written."))
    LOCATION = ("location", _l("%(value)s is not a known location code."))
    LOCATION_LEVEL = ("location_level", _l("Choose a place of admin level %(level)s (%(value)s is at level "
                                           "%(actual)s)."))
    DESTROY_ROW = ("destroy_row", _l("A row to remove holds only its unique_id and \"_destroy\": true."))
    DUPLICATE_ROW = ("duplicate_row", _l("Another row of this list has the same unique_id."))
    # Languages and files
    LOCALE = ("enum", _l("Not a configured language."))
    JSON = ("json", _l("Not valid JSON: %(reason)s"))
    FILE_NAME = ("file_name", _l("The file must be named %(expected)s."))
    FORM_UNKNOWN = ("form_unknown", _l("There is no form %(form)s."))
    GRANT_INVALID = ("grant_invalid", _l("Name a role of the configuration and give it r or rw."))


CODES = frozenset(rule.code for rule in Rule)


@dataclass
class Violation:
    """A rule broken by a value, before anyone knows where the value sits (a marshmallow field's error)."""

    rule: Rule
    params: dict[str, Any] = field(default_factory=dict)
