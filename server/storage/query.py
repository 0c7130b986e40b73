"""The query model: neutral filters, sorts and pages that domain code builds and storage runs.

Domain code says what it wants (`Filter("owned_by", "eq", "awa")`, `AnyOf(...)`, `Sort("created_at", DESC)`,
`Page(2, 50)`); only server/storage/mongo_query.py turns it into a MongoDB query. A condition is also a
predicate on a document already in memory (`matches`), with MongoDB's meaning, so one rule (a record
scope) gives both the query and the check of a record already read.

    Condition = Filter | AllOf | AnyOf
      Filter(field, op, value)   a dotted field path, one of OPS, a scalar (a list for in/nin)
      AllOf(conditions)          every one holds (AllOf() holds for every document: EVERYTHING)
      AnyOf(conditions)          at least one holds (AnyOf() holds for none: NOTHING)

Paths go through lists as MongoDB's do: `Filter("tags", "eq", "x")` holds when `tags` is "x" or a
list holding "x"; negations (ne, nin) hold when no value at the path matches, a missing field too.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Mapping, Union

from server.errors import BadRequest, Detail, Error
from server.rules import Rule

OPS = frozenset({"eq", "ne", "in", "nin", "gt", "gte", "lt", "lte", "prefix", "exists"})
ASC, DESC = 1, -1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what MongoDB stores as an integer
MAX_PAGE = 2**31 - 1  # (page - 1) * per_page records are skipped: this keeps it a 64-bit integer
MAX_PER_PAGE = INT64_MAX  # what a client may ask for; the deployment's cap (MAX_PER_PAGE setting) applies after
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class Filter:
    """One condition on one field: `field op value`."""

    field: str
    op: str
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown filter operator {self.op!r}")
        if self.field.startswith("$") or not self.field:
            raise ValueError(f"not a field name: {self.field!r}")
        if self.op in ("in", "nin"):
            object.__setattr__(self, "value", tuple(self.value))
        elif self.op in ("gt", "gte", "lt", "lte", "prefix") and self.value is None:
            raise ValueError(f"{self.field} {self.op} needs a value")  # null bounds mean different things to servers


@dataclass(frozen=True)
class AllOf:
    """Every condition holds."""

    conditions: tuple[Condition, ...] = ()

    def __init__(self, *conditions: Condition) -> None:
        object.__setattr__(self, "conditions", tuple(conditions))


@dataclass(frozen=True)
class AnyOf:
    """At least one condition holds."""

    conditions: tuple[Condition, ...] = ()

    def __init__(self, *conditions: Condition) -> None:
        object.__setattr__(self, "conditions", tuple(conditions))


Condition = Union[Filter, AllOf, AnyOf]
EVERYTHING = AllOf()
NOTHING = AnyOf()


@dataclass(frozen=True)
class Sort:
    """Order by a field, ascending (ASC) or descending (DESC)."""

    field: str
    direction: int = ASC


@dataclass(frozen=True)
class Page:
    """Which slice of a list: page `number` (from 1) of `size` items; size 0 means every item."""

    number: int = 1
    size: int = DEFAULT_PER_PAGE

    @property
    def skip(self) -> int:
        return (self.number - 1) * self.size


EVERY_ITEM = Page(1, 0)


def all_of(*conditions: Condition | None) -> Condition:
    """The conjunction of the conditions given (None and EVERYTHING left out)."""
    kept = [condition for condition in conditions if condition is not None and condition != EVERYTHING]
    return kept[0] if len(kept) == 1 else AllOf(*kept)


def fields_of(condition: Condition) -> set[str]:
    """The field paths a condition looks at."""
    if isinstance(condition, Filter):
        return {condition.field}
    return set().union(*(fields_of(part) for part in condition.conditions))


def equal_to(values: Mapping[str, Any]) -> Condition:
    """Each field equals its value: {"agency": "a1", "disabled": True}."""
    return all_of(*(Filter(name, "eq", value) for name, value in values.items()))


def as_condition(where: Condition | Mapping[str, Any] | None) -> Condition:
    """A condition from a condition, a mapping of equalities, or None (everything)."""
    if where is None:
        return EVERYTHING
    if isinstance(where, (Filter, AllOf, AnyOf)):
        return where
    return equal_to(where)


# Pagination: one parser for every list (query arguments arrive as texts, or as integers marshmallow read).

def _page_number(name: str, value: int | str | None, default: int, limit: int) -> int:
    if value is None:
        return default
    if isinstance(value, str):  # as the query string has it: digits only ("²" is a digit to Python, not a number)
        value = int(value) if value.isascii() and value.isdigit() and len(value) <= 19 else 0
    if not 1 <= value <= limit:
        raise BadRequest(Error.QUERY_PARAMETER_INVALID, name=name,
                         details=[Detail.of(name, Rule.RANGE, min=1, max=limit)])
    return value


def parse_page(page: int | str | None, per_page: int | str | None, cap: int,
               default: int = DEFAULT_PER_PAGE) -> Page:
    """The page asked for, with per_page capped at `cap`; BadRequest (BAD_PARAMETER) names a value out of bounds."""
    number = _page_number("page", page, 1, MAX_PAGE)
    size = _page_number("per_page", per_page, default, MAX_PER_PAGE)
    return Page(number, min(size, cap))


# The in-memory predicate: what MongoDB's query of the same condition would match.

_ORDER = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}

def values_at(document: Any, parts: list[str]) -> Iterator[Any]:
    """The values at a dotted path, through lists, the lists themselves included (as MongoDB compares them)."""
    if not parts:
        yield document
        if isinstance(document, list):
            yield from document
        return
    if isinstance(document, dict):
        if parts[0] in document:
            yield from values_at(document[parts[0]], parts[1:])
    elif isinstance(document, list):
        for item in document:
            if isinstance(item, dict):
                yield from values_at(item, parts)


def _comparable(left: Any, right: Any) -> bool:
    """MongoDB compares by type first: numbers with numbers, texts with texts, dates with dates."""
    numbers = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return True
    if isinstance(left, datetime) and isinstance(right, datetime):
        return (left.tzinfo is None) == (right.tzinfo is None)
    return type(left) is type(right)


def _equal(left: Any, right: Any) -> bool:
    return _comparable(left, right) and left == right if right is not None else left is None


def _holds(op: str, found: Any, value: Any) -> bool:
    if op == "eq":
        return _equal(found, value)
    if op == "in":
        return any(_equal(found, item) for item in value)
    if op == "prefix":
        return isinstance(found, str) and found.startswith(value)
    return _comparable(found, value) and _ORDER[op](found, value)


def _filter_matches(condition: Filter, document: Mapping[str, Any]) -> bool:
    found = list(values_at(document, condition.field.split(".")))
    if condition.op == "exists":
        return bool(found) == bool(condition.value)
    if condition.op in ("ne", "nin"):
        positive = "eq" if condition.op == "ne" else "in"
        return not _filter_matches(Filter(condition.field, positive, condition.value), document)
    if not found and condition.op in ("eq", "in"):  # a missing field equals null
        found = [None]
    return any(_holds(condition.op, value, condition.value) for value in found)


def matches(condition: Condition, document: Mapping[str, Any]) -> bool:
    """Tell whether a document in memory meets a condition (as MongoDB's query of it would)."""
    if isinstance(condition, Filter):
        return _filter_matches(condition, document)
    if isinstance(condition, AllOf):
        return all(matches(part, document) for part in condition.conditions)
    parts = condition.conditions
    if parts and all(isinstance(p, Filter) and p.op == "prefix" and isinstance(p.value, str)
                     and p.field == parts[0].field for p in parts):  # a text search's word: one pass over the words
        prefixes = tuple(p.value for p in parts)
        found = values_at(document, parts[0].field.split("."))
        return any(isinstance(value, str) and value.startswith(prefixes) for value in found)
    return any(matches(part, document) for part in parts)
