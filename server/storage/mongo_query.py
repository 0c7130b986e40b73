"""The query model in MongoDB's words: the one place that writes query operators.

Conditions become MongoDB filters in the shape its planner uses best: a conjunction is one flat document
(`{"status": "open", "age": {"$gte": 5, "$lte": 9}, "$or": [...]}`, what cannot share it under `$and`), so
equalities and ranges on indexed fields stay index bounds; a text prefix is a range of texts
(`"awa" <= word < "awb"`), which every server serves from an index as bounds, where a regular expression is
read as a scan on some.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from server.storage.query import AnyOf, Condition, Filter, Sort, as_condition

_OPERATORS = {"ne": "$ne", "in": "$in", "nin": "$nin", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte",
              "exists": "$exists"}
_MATCHES_NOTHING = {"_id": {"$in": []}}  # MongoDB refuses an empty $or


def _scalar(value: Any) -> Any:
    """A value as a query may hold it: never a document (that could carry operators)."""
    if isinstance(value, Mapping):
        raise TypeError("a filter value may not be a document")
    return value


def _filter(condition: Filter) -> dict[str, Any]:
    if condition.op == "eq":
        return {condition.field: _scalar(condition.value)}
    if condition.op == "prefix":
        return {condition.field: prefix_range(_scalar(condition.value))}
    if condition.op in ("in", "nin"):
        return {condition.field: {_OPERATORS[condition.op]: [_scalar(item) for item in condition.value]}}
    if condition.op == "exists":
        return {condition.field: {"$exists": bool(condition.value)}}
    return {condition.field: {_OPERATORS[condition.op]: _scalar(condition.value)}}


def prefix_range(prefix: str) -> dict[str, Any]:
    """The texts that begin with `prefix`, as a range (an anchored expression when no text ends the range)."""
    for end in range(len(prefix), 0, -1):
        last = ord(prefix[end - 1])
        following = last + 1 if last + 1 != 0xD800 else 0xE000  # surrogates are no text
        if following <= 0x10FFFF:
            return {"$gte": prefix, "$lt": prefix[:end - 1] + chr(following)}
    return {"$regex": "^" + re.escape(prefix)}  # "" or only the last code point: every text from there on


def _is_operators(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and all(key.startswith("$") for key in value)


def _conjunction(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """One flat document for the conditions of a conjunction; those on a field already taken go under $and.

    A range's two bounds join in one field ({"$gte": 1, "$lte": 5}); a second $or (a scope and a text search)
    is kept apart, as MongoDB allows one key once.
    """
    merged: dict[str, Any] = {}
    apart: list[dict[str, Any]] = []
    for part in parts:
        for key, value in part.items():
            if key == "$and":
                apart.extend(value)
            elif key not in merged:
                merged[key] = value
            elif _is_operators(merged[key]) and _is_operators(value) and not set(merged[key]) & set(value):
                merged[key] = {**merged[key], **value}
            else:
                apart.append({key: value})
    if apart:
        merged["$and"] = apart
    return merged


def to_mongo(where: Condition | Mapping[str, Any] | None) -> dict[str, Any]:
    """The MongoDB filter of a condition (a mapping is read as equalities; None is everything)."""
    condition = as_condition(where)
    if isinstance(condition, Filter):
        return _filter(condition)
    parts = [to_mongo(part) for part in condition.conditions]
    if isinstance(condition, AnyOf):
        if not parts:
            return dict(_MATCHES_NOTHING)
        return parts[0] if len(parts) == 1 else {"$or": parts}
    return _conjunction(parts)


def to_mongo_sort(sort: Iterable[Sort]) -> list[tuple[str, int]]:
    """The sort specification of a list of sorts."""
    return [(item.field, item.direction) for item in sort]


def to_projection(fields: Iterable[str] | None) -> dict[str, int] | None:
    """Only these fields (and _id) of each document; None: every field."""
    return None if fields is None else {name: 1 for name in fields}

