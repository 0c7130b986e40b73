"""Record lists: filters, ranges, text search, sort and pagination, from query arguments.

Only allowlisted names reach a query (envelope fields and the fields the forms mark filterable),
and only as scalar values the server parsed itself, in the neutral conditions of server/storage/query.py:
a parameter written like an operator (`?age[...]=1`, a name starting with a dollar sign) is an
unknown parameter, refused with 400, never an operator. Numbers, dates, pages and text searches are
bounded to what the database can hold (64-bit integers, finite numbers, UTC dates within years 1-9999,
regular expressions of a bounded length): anything else is a 400 naming the parameter.
"""
from __future__ import annotations

import base64
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field as dc_field
from datetime import date, datetime, time, timezone
from typing import Any, Callable, Iterable

from server.messages import _l

from server.errors import BadRequest, Detail, Error
from server.metadata.field_types import LOCATION_FILTER, NO_FILTER, type_of
from server.rules import Rule
from server.storage.query import (ASC, DESC, INT64_MAX, INT64_MIN, NOTHING, AnyOf, Condition, Filter, Page, Sort,
                                  all_of, parse_page)
from server.storage.query import MAX_PAGE  # noqa: F401  (re-exported: the API documents it)

# Query parameters that are not filters.
CONTROL_PARAMS = frozenset({"page", "per_page", "cursor", "sort", "query", "fields", "updated_since", "locale"})
# Envelope fields a list can filter and sort on, with their value kinds.
ENVELOPE_FILTERS = {"status": "text", "record_state": "bool", "module_id": "text", "owned_by": "text",
                    "owned_by_agency": "text", "short_id": "text", "created_by": "text",
                    "last_updated_by": "text", "created_at": "datetime", "last_updated_at": "datetime",
                    "associated_user_names": "text", "stage": "text", "flagged": "bool"}
SEARCH_KEY = "_search"
MAX_QUERY_LENGTH = 200  # characters of a text search (?query=)
MAX_QUERY_WORDS = 10  # words of a text search: each becomes a condition of the query
_INTEGER = re.compile(r"[+-]?[0-9]+")
# Records that page numbers reach; a cursor reaches any (Elasticsearch's max_result_window). Each page reads the
# ones before it: at 100,000 cases on the embedded server, page 200 of 50 took 13.6 s p50 for 10 users, its
# cursor 36 ms.
RESULT_WINDOW = 1_000


@dataclass
class ListQuery:
    """A parsed list request: the condition, sort, page, and the fields to return (neutral: storage runs it)."""

    filter: Condition
    sort: list[Sort]
    page: int
    per_page: int
    fields: list[str] | None = dc_field(default=None)
    after: dict[str, int] | None = None  # where a cursor's page starts (page is then 1)

    @property
    def window(self) -> Page:
        return Page(self.page, self.per_page)

    def cursor(self, after: dict[str, int] | None) -> str | None:
        """The opaque cursor of the page that starts at `after`, for this order (None: there is no such page)."""
        if after is None:
            return None
        text = json.dumps({**after, "sort": _sort_text(self.sort)}, separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def normalize_text(text: str) -> str:
    """Lowercase and strip accents: "Benoît" -> "benoit", "NGO BASSA" -> "ngo bassa"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words_of(text: str) -> list[str]:
    """Return the normalized words of a text."""
    return re.findall(r"\w+", normalize_text(text))


def search_tokens(values: Iterable[tuple[str, Any]]) -> list[str]:
    """Return the distinct "field:word" tokens of a record's searchable values.

    Keeping the field in the token lets a search look only at the fields the user may read.
    """
    tokens: dict[str, None] = {}
    for name, value in values:
        if isinstance(value, str):
            for word in words_of(value):
                tokens[f"{name}:{word}"] = None
    return list(tokens)


def _bad(name: str, rule: Rule, **params: Any) -> BadRequest:
    return BadRequest(Error.QUERY_PARAMETER_INVALID, details=[Detail.of(name, rule, **params)], name=name)


def _parse_number(name: str, text: str) -> int | float:
    """A finite number; whole numbers as 64-bit integers (MongoDB stores no larger ones)."""
    if _INTEGER.fullmatch(text.strip()):
        number: int | float = int(text)
    else:
        number = float(text)
        if not math.isfinite(number):  # nan, inf, 1e400
            raise ValueError(text)
        if number.is_integer() and INT64_MIN <= number <= INT64_MAX:
            number = int(number)
    if isinstance(number, int) and not INT64_MIN <= number <= INT64_MAX:
        raise _bad(name, Rule.RANGE, min=INT64_MIN, max=INT64_MAX)
    return number


def _parse_datetime(text: str) -> datetime:
    """A moment in UTC (MongoDB's dates): a time without offset is UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError(text) from None


def _parse_scalar(name: str, kind: str, text: str) -> Any:
    try:
        if kind == "number":
            return _parse_number(name, text)
        if kind == "bool":
            if text not in ("true", "false"):
                raise ValueError(text)
            return text == "true"
        if kind == "date":
            return date.fromisoformat(text).isoformat()
        if kind == "datetime":
            return _parse_datetime(text)
    except ValueError:
        examples = {"number": "12", "bool": "true", "date": "2024-06-30", "datetime": "2024-06-30T12:00:00Z"}
        raise _bad(name, Rule.PARAMETER_FORMAT, kind=kind, example=examples[kind]) from None
    if len(text) > 200:
        raise _bad(name, Rule.MAX_LENGTH, limit=200)
    return text


def _condition(name: str, path: str, kind: str, raw: str, multiple: bool = False) -> Condition:
    """Build the condition of one filter on `path`: equality, a list (a,b), or a range (a..b, a.., ..b).

    `multiple`: the field holds a list of choices, and equality means "holds this one".
    """
    if ".." in raw and kind in ("number", "date", "datetime"):
        low, high = raw.split("..", 1)
        bounds: list[Condition] = []
        if low:
            bounds.append(Filter(path, "gte", _parse_scalar(name, kind, low)))
        if high:
            upper = _parse_scalar(name, kind, high)
            if kind == "datetime" and _is_day(high):  # a day as upper bound includes the whole day
                upper = datetime.combine(date.fromisoformat(high), time.max, timezone.utc)
            bounds.append(Filter(path, "lte", upper))
        if not bounds:
            raise _bad(name, Rule.RANGE_BOUND)
        return all_of(*bounds)
    values = [_parse_scalar(name, kind, part) for part in raw.split(",")] if "," in raw else None
    if values:
        return Filter(path, "in", values)
    return Filter(path, "in" if multiple else "eq", [_parse_scalar(name, kind, raw)] if multiple
                  else _parse_scalar(name, kind, raw))


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
        return True
    except ValueError:
        return False


def filterable_fields(fields: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Return {data field name: value kind} of the fields marked filterable whose type filters (field-type registry)."""
    return {name: type_of(field).filter_value for name, field in fields.items()
            if field.get("filterable") and type_of(field).filter != NO_FILTER}


def build_list_query(args: dict[str, list[str]], fields: dict[str, dict[str, Any]], max_per_page: int,
                     base_filter: Condition | None = None, searchable: Iterable[str] = (),
                     below: Callable[[str], list[str]] | None = None) -> ListQuery:
    """Turn query arguments into a ListQuery; BadRequest names any parameter that is not allowed.

    The result holds every condition of `base_filter` (the caller's: scope, a case's incidents) and, per
    filtered field, one condition (the last given; updated_since replaces a last_updated_at filter).
    """
    data_filters = filterable_fields(fields)
    chosen: dict[str, Condition] = {}
    for name, values in args.items():
        if name in CONTROL_PARAMS:
            continue
        raw = values[-1]
        if name in ENVELOPE_FILTERS:
            chosen[name] = _condition(name, name, ENVELOPE_FILTERS[name], raw)
        elif name in data_filters and type_of(fields[name]).filter == LOCATION_FILTER and below is not None:
            # a place finds the records of every place below it: a department finds its communes
            codes = [code for part in raw.split(",") for code in below(_parse_scalar(name, "text", part))]
            chosen[f"data.{name}"] = Filter(f"data.{name}", "in", codes)
        elif name in data_filters:
            multiple = type_of(fields[name]).multiple and bool(fields[name].get("multi_select"))
            chosen[f"data.{name}"] = _condition(name, f"data.{name}", data_filters[name], raw, multiple)
        else:
            raise _bad(name, Rule.FILTER_UNKNOWN, allowed=", ".join(sorted([*ENVELOPE_FILTERS, *data_filters])))
    if "updated_since" in args:
        chosen["last_updated_at"] = Filter("last_updated_at", "gt",
                                           _parse_scalar("updated_since", "datetime", args["updated_since"][-1]))
    text: list[Condition] = []
    if args.get("query", [""])[-1].strip():
        words = _query_words(args["query"][-1])
        searchable = list(searchable)
        # Each word must begin a word of one of the (readable) searchable fields; punctuation matches nothing.
        text = [AnyOf(*(Filter(SEARCH_KEY, "prefix", f"{name}:{word}") for name in searchable))
                for word in words if searchable] or [NOTHING]
    condition = all_of(base_filter, *chosen.values(), *text)
    sort = _sort(args, data_filters)
    page, per_page = _page(args, max_per_page)
    after = _cursor(args["cursor"][-1], sort) if args.get("cursor", [""])[-1] else None
    if after is not None and "page" in args:
        raise _bad("cursor", Rule.CURSOR)  # one or the other: a cursor already says where its page starts
    return ListQuery(condition, sort, page, per_page, _fields(args, fields), after)


def _sort_text(sort: list[Sort]) -> str:
    return ",".join(("-" if item.direction == DESC else "") + item.field for item in sort)


def _cursor(text: str, sort: list[Sort]) -> dict[str, int]:
    """Where the page of a cursor starts; BadRequest unless this list gave it, for this order."""
    try:
        if len(text) > 200 or not text.isascii():
            raise ValueError(text)
        decoded = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if not isinstance(decoded, dict) or decoded.pop("sort", None) != _sort_text(sort) or len(decoded) != 1:
            raise ValueError(text)
        (name, value), = decoded.items()
        if name not in ("seq", "offset") or type(value) is not int or not 0 <= value <= INT64_MAX:
            raise ValueError(text)
    except (ValueError, TypeError, UnicodeDecodeError):
        raise _bad("cursor", Rule.CURSOR) from None
    return {name: value}


def _query_words(text: str) -> list[str]:
    """The distinct words of a text search, refused when too long for the database to run."""
    if len(text) > MAX_QUERY_LENGTH:
        raise _bad("query", Rule.MAX_LENGTH, limit=MAX_QUERY_LENGTH)
    words = list(dict.fromkeys(words_of(text)))
    if len(words) > MAX_QUERY_WORDS:
        raise _bad("query", Rule.MAX_WORDS, limit=MAX_QUERY_WORDS)
    return words


def _sort(args: dict[str, list[str]], data_filters: dict[str, str]) -> list[Sort]:
    sort = []
    for part in (args.get("sort", [""])[-1] or "-last_updated_at").split(","):
        direction = DESC if part.startswith("-") else ASC
        name = part.lstrip("-+")
        if name in ENVELOPE_FILTERS:
            sort.append(Sort(name, direction))
        elif name in data_filters:
            sort.append(Sort(f"data.{name}", direction))
        else:
            raise _bad("sort", Rule.SORT_UNKNOWN, field=name,
                       allowed=", ".join(sorted([*ENVELOPE_FILTERS, *data_filters])))
    return sort + [Sort("_id", ASC)]  # a total order: pages never repeat or skip a record


def _page(args: dict[str, list[str]], max_per_page: int) -> tuple[int, int]:
    page = parse_page(args.get("page", [None])[-1], args.get("per_page", [None])[-1], max_per_page)
    if page.number * page.size > RESULT_WINDOW and page.number > 1:  # each page reads the ones before it
        raise _bad("page", Rule.PAGE_WINDOW, limit=RESULT_WINDOW)
    return page.number, page.size


def _fields(args: dict[str, list[str]], fields: dict[str, dict]) -> list[str] | None:
    if "fields" not in args:
        return None
    names = [name for name in args["fields"][-1].split(",") if name]
    unknown = [name for name in names if name not in fields]
    if unknown:
        raise _bad("fields", Rule.FIELDS_UNKNOWN, names=", ".join(unknown))
    return names
