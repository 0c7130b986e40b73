"""Pages of records, planned so that each query touches few records on any MongoDB server.

A list is always limited to a scope: an equality (or a few) on the record's access keys (ACCESS). Three plans:

- Most recent first (the default order, by last write): the compound index (ACCESS, SEQUENCE) is read in
  windows of sequence numbers, newest first, one query per access key and window:
  `{"_access": key, "_seq": {"$gte": low, "$lt": high}}`. Such a query is an equality and a range on one
  compound index, so a server reads only the records of that window (at most its width), on MongoDB and on the
  embedded server alike; the other conditions are checked here on each window's records, and windows widen
  until the page is full. An equality filter on a field indexed with the sequence may lead the windows instead
  of the scope (`{"status": "closed", "_seq": ...}`) when its value is the rarer. A page's `after` is the
  sequence number the next page starts below.
- Narrow first: when a condition names a field that holds few records (an id, a case's incidents, the words of
  a text search the window scan found rare, the records written since a moment), its index gives the
  candidates, which are checked and sorted here.
- Any other order: the scope's records are read and sorted here; `after` is an offset.

Counts are exact when the plan read every candidate (or, for every record of a collection, from the
sequence's count); otherwise the count is what the windows found before the page was full, a lower bound
(Listing.exact is False): counting further would read records nobody looks at.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Sequence

from server.errors import BadRequest, Detail, Error
from server.rules import Rule
from server.storage.client import Database
from server.storage.errors import translated_errors
from server.storage.mongo_query import prefix_range, to_mongo
from server.storage.query import DESC, AllOf, AnyOf, Condition, Filter, Sort, fields_of, matches, values_at
from server.storage.records import ACCESS, EVERY_RECORD_KEY, SEQUENCE, lead_fields, sequence_state

RECENT_FIELDS = ("last_updated_at", SEQUENCE)  # ordering by either is ordering by the sequence
SELECTIVE_FIELDS = ("_id", "short_id", "links.case_id")  # fields whose value holds a handful of records
SEARCH_FIELD = "_search"
FIRST_WINDOW = 256  # sequence numbers read by the first window of a page
SORT_LIMIT = 10_000  # records a sort on another field than the last write reads (and sorts) at most
WINDOW_GROWTH = 8  # at most this much wider each time
WINDOW_BUDGET = 1_000  # records a window scan reads before a text search uses its own index


@dataclass(frozen=True)
class Listing:
    """A page of records, how many match (exact, or a lower bound), and where the next page starts (None: last)."""

    items: list[dict[str, Any]]
    total: int
    exact: bool
    after: dict[str, int] | None


@dataclass
class _Plan:
    keys: tuple[str, ...]  # the scope's access keys
    residual: Condition  # every condition but the scope, checked here
    conditions: list[Condition]  # the top-level conditions, the scope's included
    scope: Condition | None = None  # the scope's condition (None: every record)


@dataclass(frozen=True)
class _Lead:
    """What windows read by equality: the scope's access keys, or the values of an equality filter on a field
    indexed with the sequence. `condition` is the condition it stands for (None: every record)."""

    field: str
    values: tuple
    condition: Condition | None

    def residual(self, plan: _Plan) -> Condition:
        """What the records a window of this lead reads must still meet."""
        if self.field == ACCESS:
            return plan.residual
        return AllOf(*(c for c in plan.conditions if c is not self.condition))


def page_records(db: Database, collection: str, where: Condition, sort: Sequence[Sort], skip: int, size: int,
                 after: dict[str, int] | None = None) -> Listing:
    """Return `size` records meeting `where` in `sort` order, after `after` (a cursor) or `skip` of them."""
    plan = _plan(where)
    recent = _recent_direction(sort)
    narrow = _narrow_queries(plan)
    if narrow is not None:
        return _gathered(db, collection, narrow, plan, sort, recent, skip, size, after)
    if recent is None:
        if plan.keys == (EVERY_RECORD_KEY,) and sequence_state(db, collection).get("records", 0) > SORT_LIMIT:
            field = next(item.field for item in sort if item.field != "_id").removeprefix("data.")
            raise BadRequest(Error.QUERY_PARAMETER_INVALID, name="sort",
                             details=[Detail.of("sort", Rule.SORT_TOO_BROAD, field=field, limit=SORT_LIMIT)])
        return _gathered(db, collection, [{ACCESS: key} for key in plan.keys], plan, sort, recent, skip, size, after)
    words = _search_words(plan)
    listing = _windows(db, collection, plan, recent, skip, size, after, words)
    if isinstance(listing, AnyOf):  # the words are rare: this one's index holds fewer records than windows would read
        listing = _gathered(db, collection, [{SEARCH_FIELD: prefix_range(p.value)} for p in listing.conditions],
                            plan, sort, recent, skip, size, after)
    return listing


def _plan(where: Condition) -> _Plan:
    conditions = list(where.conditions) if isinstance(where, AllOf) else [where]
    scope = [c for c in conditions if isinstance(c, Filter) and c.field == ACCESS and c.op in ("eq", "in")]
    if not scope:
        return _Plan((EVERY_RECORD_KEY,), AllOf(*conditions), conditions)
    keys = (scope[0].value,) if scope[0].op == "eq" else tuple(dict.fromkeys(scope[0].value))
    rest = [c for c in conditions if c is not scope[0]]
    return _Plan(keys, AllOf(*rest), conditions, scope[0])


def _leads(db: Database, collection: str, plan: _Plan) -> list[_Lead]:
    """The scope's lead, then one per equality filter on a field indexed with the sequence."""
    leads = [_Lead(ACCESS, plan.keys, None if plan.keys == (EVERY_RECORD_KEY,) else plan.scope)]
    indexed = lead_fields(db, collection)
    for condition in plan.conditions:
        if not (isinstance(condition, Filter) and condition.op in ("eq", "in") and condition.field in indexed):
            continue
        values = (condition.value,) if condition.op == "eq" else tuple(condition.value)
        if values and all(isinstance(v, (str, int, float, date)) for v in values) and condition is not plan.scope:
            leads.append(_Lead(condition.field, tuple(dict.fromkeys(values)), condition))
    return leads


def _recent_direction(sort: Sequence[Sort]) -> int | None:
    """DESC or ASC when the order is by last write (then by id), else None."""
    fields = [item.field for item in sort if item.field != "_id"]
    if len(fields) == 1 and fields[0] in RECENT_FIELDS:
        return next(item.direction for item in sort if item.field == fields[0])
    return None


def _narrow_queries(plan: _Plan) -> list[dict[str, Any]] | None:
    """The queries of a selective condition (an id, a case's incidents, writes since a moment), if there is one."""
    for condition in plan.conditions:
        if isinstance(condition, Filter) and condition.field in SELECTIVE_FIELDS and condition.op in ("eq", "in"):
            return [to_mongo(condition)]
    for condition in plan.conditions:
        if isinstance(condition, Filter) and condition.field == "last_updated_at" and condition.op in ("gt", "gte"):
            return [{ACCESS: key, **to_mongo(condition)} for key in plan.keys]
    return None


def _search_words(plan: _Plan) -> list[AnyOf]:
    """The words of a text search: each an AnyOf of prefixes of _search (one per searchable field)."""
    return [c for c in plan.conditions if isinstance(c, AnyOf) and c.conditions
            and all(isinstance(p, Filter) and p.field == SEARCH_FIELD and p.op == "prefix" for p in c.conditions)]


def _find(db: Database, collection: str, query: dict[str, Any], fields: set[str] | None = None) -> list[dict]:
    """The records a query finds: whole, or only `fields` (and _id, SEQUENCE)."""
    projection = None if fields is None else {name: 1 for name in {*fields, SEQUENCE}}
    with translated_errors():
        return list(db[collection].find(query, projection))


def _whole(db: Database, collection: str, page: list[dict]) -> list[dict]:
    """The whole records of a page read with a projection, in the page's order."""
    if not page:
        return []
    found = {record["_id"]: record for record in _find(db, collection, {"_id": {"$in": [r["_id"] for r in page]}})}
    return [found[record["_id"]] for record in page if record["_id"] in found]


def _windows(db: Database, collection: str, plan: _Plan, direction: int, skip: int, size: int,
             after: dict[str, int] | None, words: list[AnyOf]) -> Listing | AnyOf:
    """Read the records in windows of sequence numbers, each window by one lead's equality.

    The first lead is the scope, or, when the scope is every record, an equality filter on an indexed field.
    Each time the windows have read WINDOW_BUDGET more records without filling the page, what is left to read
    is weighed three ways, from the records read: go on; lead by another equality (a filter, or the scope),
    which reads its value's records (as many per sequence number as the records read say it holds); or, with
    the `words` of a text search, read every record holding the rarest word through the search index (that
    word is then returned). Leading by another equality from the same position is always right: a window of
    either holds every record of the window that meets both.

    Numbers run from 1 to the counter's value. Newest first, `position` is the number windows stay below;
    oldest first, the number they stay above. Only the fields the conditions look at are read, then the
    page's records whole. The scan stops when the page is full: the count is what it found (a lower bound)
    unless it read every window.
    """
    state = sequence_state(db, collection)
    last, records = state.get("value", 0), state.get("records", 0)
    density = records / last if last else 1.0  # records per number, over the collection
    descending = direction == DESC
    position = after["seq"] if after else (last + 1 if descending else 0)
    need = skip + size + 1  # one more tells whether a next page exists
    fields = fields_of(AllOf(*plan.conditions))
    leads = _leads(db, collection, plan)
    lead = leads[1] if plan.keys == (EVERY_RECORD_KEY,) and len(leads) > 1 else leads[0]
    residual = lead.residual(plan)
    found: list[dict] = []
    read, spanned, budget = 0, 0, WINDOW_BUDGET  # records and numbers the current lead read
    hits = [0] * len(words)  # records read that hold each word
    held = [0] * len(leads)  # records read that meet each lead's condition
    width = FIRST_WINDOW
    if lead.condition is None and records and last:  # every record: the sequence says how dense it is
        width = max(int(need / density * 1.2), 16)
    while position > 1 if descending else position < last:
        low, high = (max(position - width, 1), position) if descending else (position + 1, min(position + width, last) + 1)
        batch = _window(db, collection, lead, low, high, descending, fields)
        matched = [record for record in batch if matches(residual, record)]
        found += matched
        read, spanned = read + len(batch), spanned + high - low
        position = low if descending else high - 1
        if len(found) >= need:
            break
        for number, word in enumerate(words):
            hits[number] += sum(1 for record in batch if matches(word, record))
        for number, other in enumerate(leads):
            if other is not lead and other.condition is not None:
                held[number] += sum(1 for record in batch if matches(other.condition, record))
        if read >= max(budget, 1):
            # What each way would still read, as far as the records read tell.
            by_windows = (need - len(found)) * read / max(len(found), 1)
            rate = read / max(spanned, 1)  # records the current lead reads per number
            rates = {number: held[number] / read * density for number, other in enumerate(leads)
                     if other is not lead and other.condition is not None}
            best = min(rates, key=rates.__getitem__, default=None)
            by_lead = by_windows * rates[best] / rate if best is not None else by_windows
            if words:
                rarest = min(range(len(words)),
                             key=lambda n: (hits[n], -min(len(p.value) for p in words[n].conditions)))
                # every record holding the word, in the whole collection: the scope's share is not known
                if records * hits[rarest] / read < min(by_windows, by_lead):
                    return words[rarest]
            if best is not None and by_lead * 2 < by_windows:  # the other lead reads less than half as much
                lead, residual = leads[best], leads[best].residual(plan)
                read, spanned, hits, held = 0, 0, [0] * len(words), [0] * len(leads)
                budget = WINDOW_BUDGET
            else:
                budget = read * 2  # this way is cheaper: look again when it has read twice as much
        rate = len(matched) / (high - low)
        wanted = (need - len(found)) / rate * 1.25 if rate else width * WINDOW_GROWTH
        width = int(min(max(wanted, FIRST_WINDOW), width * WINDOW_GROWTH))
        if words or len(leads) > 1:  # weigh the ways as soon as the budget is read, not a wide window later
            width = min(width, max(int((budget - read) * spanned / max(read, 1)), FIRST_WINDOW))
    exhausted = position <= 1 if descending else position >= last
    page = _whole(db, collection, found[skip:skip + size])
    following = {"seq": page[-1][SEQUENCE]} if len(found) > skip + size and page else None
    total, exact = len(found), exhausted and after is None
    if plan.keys == (EVERY_RECORD_KEY,) and plan.residual == AllOf() and after is None:
        total, exact = records, True
    return Listing(page, total, exact, following)


def _window(db: Database, collection: str, lead: _Lead, low: int, high: int, descending: bool,
            fields: set[str]) -> list[dict]:
    """The records of one window [low, high) of the sequence holding any of the lead's values, in order, each once."""
    seen: dict[str, dict] = {}
    for value in lead.values:
        query = {**to_mongo(Filter(lead.field, "eq", value)), SEQUENCE: {"$gte": low, "$lt": high}}
        for record in _find(db, collection, query, fields):
            seen[record["_id"]] = record
    return sorted(seen.values(), key=lambda record: record[SEQUENCE], reverse=descending)


def _gathered(db: Database, collection: str, queries: list[dict[str, Any]], plan: _Plan, sort: Sequence[Sort],
              recent: int | None, skip: int, size: int, after: dict[str, int] | None) -> Listing:
    """Read every candidate of `queries` (only the fields the conditions and the sort look at), check every
    condition here, sort here, then read the page's records whole: the count is exact."""
    every = AllOf(*plan.conditions)
    fields = fields_of(every) | {item.field for item in sort}
    seen: dict[str, dict] = {}
    for query in queries:
        for record in _find(db, collection, query, fields):
            seen[record["_id"]] = record
    found = [record for record in seen.values() if matches(every, record)]
    total = len(found)
    if recent is not None:
        found.sort(key=lambda record: record.get(SEQUENCE, 0), reverse=recent == DESC)
        if after and "seq" in after:
            cut = after["seq"]
            found = [r for r in found if (r.get(SEQUENCE, 0) < cut if recent == DESC else r.get(SEQUENCE, 0) > cut)]
    else:
        found = sort_records(found, sort)
        skip += after.get("offset", 0) if after else 0
    page = _whole(db, collection, found[skip:skip + size])
    following = None
    if len(found) > skip + size and page:
        following = {"seq": page[-1][SEQUENCE]} if recent is not None else {"offset": skip + size}
    return Listing(page, total, True, following)


# Sorting in memory, in MongoDB's order: by type first (missing and null, numbers, texts, documents, lists,
# booleans, dates), a list by its least element ascending and its greatest descending.

def _rank(value: Any) -> tuple:
    if value is None:
        return (1,)
    if isinstance(value, bool):
        return (8, value)
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    if isinstance(value, dict):
        return (4, str(sorted(value.items())))
    if isinstance(value, datetime):
        return (9, (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp())
    return (6, str(value))


def _sort_value(record: dict[str, Any], field: str, direction: int) -> tuple:
    values = [value for value in values_at(record, field.split(".")) if not isinstance(value, list)]
    ranked = [_rank(value) for value in values] or [_rank(None)]
    return max(ranked) if direction == DESC else min(ranked)


def sort_records(records: list[dict[str, Any]], sort: Sequence[Sort]) -> list[dict[str, Any]]:
    """Sort records in memory as MongoDB sorts them (stable: a later sort field breaks ties of an earlier one)."""
    ordered = list(records)
    for item in reversed(sort):
        ordered.sort(key=lambda record: _sort_value(record, item.field, item.direction), reverse=item.direction == DESC)
    return ordered
