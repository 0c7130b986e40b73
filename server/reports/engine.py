"""Counting a report over records: units, dimension keys, filters and measures, into a table of cells.

A record gives the report's units (itself; each row of the counted subform; each of its referrals; each of its
configured events that has a date); each unit that passes the filters falls into one cell per combination of its
dimension keys (a multi-select gives one key per option chosen: a case with two concerns counts once under each).
A count cell holds how many units fell into it; a duration cell the days between the measure's two dates of each unit
that has both (an end before the start is left out and counted in `reversed_durations`).

Records are read as stored (the facts cache, server/reports/facts.py, keeps only the parts reports read, in the same
shape): envelope keys at the top, form data under `data`.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from datetime import date, datetime
from itertools import product
from typing import Any, Callable, Iterable, Iterator

from server.metadata.report_definition import DURATION, EVENTS, REFERRALS, ROWS, Report

Unit = tuple  # (record, row or None, referral transition or None, (event id, day) or None)
Key = Any     # a dimension's key: an option id, a place code, a band index, a period tuple, a fact value; None: unset
KeysOf = Callable[[Unit], list[Key]]


def day_of(value: Any) -> date | None:
    """The day of a stored date or date-time ("2025-03-04", "2025-03-04T10:30:00+01:00", a datetime)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def period_of(day: date | None, period: str) -> tuple | None:
    if day is None:
        return None
    if period == "month":
        return (day.year, day.month)
    if period == "quarter":
        return (day.year, (day.month - 1) // 3 + 1)
    return (day.year,)


def band_of(value: Any, bands: list[int]) -> int | None:
    """The index of the band a number falls in (bands [0, 6, 12, 18]: 0-5 is 0, 18 and over is 3)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < bands[0]:
        return None
    found = None
    for index, low in enumerate(bands):
        if value >= low:
            found = index
    return found


@dataclass
class Lookups:
    """What a fact needs beyond the record: each agency's type, each place's ancestors."""

    agency_types: dict[str, str] = dc_field(default_factory=dict)
    services: dict[str, Any] = dc_field(default_factory=dict)   # the module workflow's services part
    parents: dict[str, str | None] = dc_field(default_factory=dict)
    levels: dict[str, int] = dc_field(default_factory=dict)

    def place_at(self, code: Any, level: int) -> str | None:
        """The place of `level` that holds `code` (itself if it is of that level); None if it lies above."""
        seen = 0
        while isinstance(code, str) and seen < 10:
            here = self.levels.get(code)
            if here is None or here < level:
                return None
            if here == level:
                return code
            code, seen = self.parents.get(code), seen + 1
        return None


def units_of(report: Report) -> Callable[[dict[str, Any]], Iterator[Unit]]:
    """The function that yields a record's units for this report."""
    if report.unit == ROWS:
        subform = report.subform

        def rows(record):
            for row in (record.get("data") or {}).get(subform) or ():
                if isinstance(row, dict):
                    yield (record, row, None, None)
        return rows
    if report.unit == REFERRALS:
        def referrals(record):
            for transition in record.get("transitions") or ():
                if isinstance(transition, dict) and transition.get("type") == "referral":
                    yield (record, None, transition, None)
        return referrals
    if report.unit == EVENTS:
        events = [(event["id"], event["field"]) for event in report.body["counts"]["events"]]

        def dated(record):
            data = record.get("data") or {}
            for event_id, name in events:
                day = day_of(data.get(name))
                if day is not None:
                    yield (record, None, None, (event_id, day))
        return dated
    return lambda record: iter(((record, None, None, None),))


def value_reader(report: Report, name: str) -> Callable[[Unit], Any]:
    """Read a field of a unit: the counted row's own field, else the record's."""
    _, in_row = report.definition(name)
    if in_row:
        return lambda unit: unit[1].get(name) if unit[1] is not None else None
    return lambda unit: (unit[0].get("data") or {}).get(name)


def first_service(services: dict[str, Any]) -> Callable[[dict[str, Any]], date | None]:
    """The day a case's first service was implemented: the earliest date recorded on an implemented service row
    (the workflow's `implemented_on` field), else the day the server first saw the row implemented."""
    subform, implemented = services.get("subform"), services.get("implemented")
    value, on = services.get("implemented_value", "implemented"), services.get("implemented_on")

    def earliest(record: dict[str, Any]) -> date | None:
        days = []
        for row in (record.get("data") or {}).get(subform) or () if subform else ():
            if isinstance(row, dict) and (row.get(implemented) == value if implemented else row.get(on)):
                days.append(day_of(row.get(on)) if on else None)
        days += [day_of(summary.get("implemented_at")) for summary in record.get("services") or ()
                 if isinstance(summary, dict) and summary.get("implemented")] if None in days or not days else []
        days = [day for day in days if day is not None]
        return min(days) if days else None
    return earliest


def fact_reader(fact: str, lookups: Lookups) -> Callable[[Unit], Any]:
    """Read a fact of a unit (a value or, for the *_on facts, a day)."""
    readers: dict[str, Callable[[Unit], Any]] = {
        "status": lambda unit: unit[0].get("status"),
        "stage": lambda unit: unit[0].get("stage"),
        "agency": lambda unit: unit[0].get("owned_by_agency"),
        "opened_on": lambda unit: day_of(unit[0].get("created_at")),
        "first_service_on": lambda unit, earliest=first_service(lookups.services): earliest(unit[0]),
        "agency_type": lambda unit: lookups.agency_types.get((unit[2] or {}).get("to_agency") or ""),
        "referral_status": lambda unit: (unit[2] or {}).get("status"),
        "referred_on": lambda unit: day_of((unit[2] or {}).get("created_at")),
        "accepted_on": lambda unit: day_of((unit[2] or {}).get("accepted_at")),
        "done_on": lambda unit: day_of((unit[2] or {}).get("done_at")),
        "event": lambda unit: unit[3][0] if unit[3] else None,
        "event_on": lambda unit: unit[3][1] if unit[3] else None,
    }
    return readers[fact]


def _listed(value: Any) -> list[Key]:
    if isinstance(value, list):
        keys = [item for item in dict.fromkeys(v for v in value if isinstance(v, (str, int, float, bool)))]
        return keys or [None]
    return [value if isinstance(value, (str, int, float, bool)) else None]


def dimension_keys(report: Report, dimension: dict[str, Any], lookups: Lookups) -> KeysOf:
    """The function that gives a unit's keys along one dimension."""
    if "fact" in dimension:
        read = fact_reader(dimension["fact"], lookups)
        if "period" in dimension:
            period = dimension["period"]
            return lambda unit: [period_of(read(unit), period)]
        return lambda unit: [read(unit)]
    read = value_reader(report, dimension["field"])
    definition, _ = report.definition(dimension["field"])
    kind = definition["type"]
    if "bands" in dimension:
        bands = list(dimension["bands"])
        return lambda unit: [band_of(read(unit), bands)]
    if "period" in dimension or kind == "date_field":
        period = dimension.get("period", "month")
        return lambda unit: [period_of(day_of(read(unit)), period)]
    if kind == "location":
        level = dimension.get("admin_level", 0)
        return lambda unit: [lookups.place_at(read(unit), level)]
    if kind == "tick_box":
        return lambda unit: [read(unit) is True]
    return lambda unit: _listed(read(unit))


def _comparable(value: Any) -> Any:
    day = day_of(value) if isinstance(value, str) else None
    return day if day is not None else value


def filter_of(report: Report, condition: dict[str, Any], lookups: Lookups) -> Callable[[Unit], bool]:
    """The predicate of one filter: `in` any of the values (any option of a multi-select), or an order."""
    if "fact" in condition:
        read = fact_reader(condition["fact"], lookups)
    else:
        read = value_reader(report, condition["field"])
        definition, _ = report.definition(condition["field"])
        if definition["type"] == "date_field":
            raw = read
            read = lambda unit: day_of(raw(unit))  # noqa: E731
    tests: list[Callable[[Any], bool]] = []
    if "in" in condition:
        allowed = set(condition["in"])
        tests.append(lambda value: any(v in allowed for v in (value if isinstance(value, list) else [value])))
    for op, compare in (("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b),
                        ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b)):
        if op in condition:
            bound = _comparable(condition[op])
            tests.append(lambda value, bound=bound, compare=compare: _ordered(value, bound, compare))
    return lambda unit: all(test(read(unit)) for test in tests)


def _ordered(value: Any, bound: Any, compare: Callable[[Any, Any], bool]) -> bool:
    if value is None or isinstance(value, bool) or type(value) is not type(bound) and not (
            isinstance(value, (int, float)) and isinstance(bound, (int, float))):
        return False
    return compare(value, bound)


def _end_reader(report: Report, reference: dict[str, Any], lookups: Lookups) -> Callable[[Unit], date | None]:
    if "fact" in reference:
        return fact_reader(reference["fact"], lookups)
    read = value_reader(report, reference["field"])
    return lambda unit: day_of(read(unit))


@dataclass
class Table:
    """The counted cells: {(row key, column key): count, or the durations in days as {days: how many}}."""

    row_dimensions: list[dict[str, Any]]
    column_dimensions: list[dict[str, Any]]
    cells: dict[tuple[tuple, tuple], Any]
    duration: bool
    units: int = 0
    reversed_durations: int = 0
    multiple_records: int = 0  # records a unit of which fell into several cells of one dimension (a multi-select)

    @property
    def multiple(self) -> bool:
        return self.multiple_records > 0


@dataclass(frozen=True)
class Contribution:
    """What one record adds to a report: one (cell, days) pair per cell a unit falls into (days: None for a count),
    the units whose duration ends before it starts, and whether a unit fell into several cells of one dimension."""

    pairs: tuple[tuple[tuple, int | None], ...] = ()
    reversed: int = 0
    multiple: bool = False


NOTHING = Contribution()


def contribution_of(report: Report, lookups: Lookups) -> Callable[[dict[str, Any]], Contribution]:
    """The function that gives a record's contribution to the report (NOTHING for a disabled record)."""
    units = units_of(report)
    rows = [dimension_keys(report, d, lookups) for d in report.body.get("rows", [])]
    columns = [dimension_keys(report, d, lookups) for d in report.body.get("columns", [])]
    filters = [filter_of(report, c, lookups) for c in report.body.get("filters", [])]
    measure = report.measure
    duration = measure.get("kind") == DURATION
    start = _end_reader(report, measure["from"], lookups) if duration else None
    end = _end_reader(report, measure["to"], lookups) if duration else None

    def contribute(record: dict[str, Any]) -> Contribution:
        if record.get("record_state") is False:
            return NOTHING
        pairs: list[tuple[tuple, int | None]] = []
        reversed_, multiple = 0, False
        for unit in units(record):
            if filters and not all(test(unit) for test in filters):
                continue
            days = None
            if duration:
                first, last = start(unit), end(unit)
                if first is None or last is None:
                    continue
                days = (last - first).days
                if days < 0:
                    reversed_ += 1
                    continue
            row_keys = [k(unit) for k in rows]
            column_keys = [k(unit) for k in columns]
            if any(len(keys) > 1 for keys in (*row_keys, *column_keys)):
                multiple = True
                pairs += [(cell, days) for cell in product(product(*row_keys), product(*column_keys))]
            else:
                pairs.append(((tuple(keys[0] for keys in row_keys), tuple(keys[0] for keys in column_keys)), days))
        if not pairs and not reversed_:
            return NOTHING
        return Contribution(tuple(pairs), reversed_, multiple)
    return contribute


def add(table: Table, contribution: Contribution, sign: int = 1) -> None:
    """Add a record's contribution to a table (sign -1: take it away again)."""
    cells = table.cells
    for cell, days in contribution.pairs:
        if table.duration:
            counted = cells.setdefault(cell, {})
            counted[days] = counted.get(days, 0) + sign
            if not counted[days]:
                del counted[days]
                if not counted:
                    del cells[cell]
        else:
            cells[cell] = cells.get(cell, 0) + sign
            if not cells[cell]:
                del cells[cell]
    table.units += sign * len(contribution.pairs)
    table.reversed_durations += sign * contribution.reversed
    table.multiple_records += sign * contribution.multiple


def empty_table(report: Report) -> Table:
    return Table(report.body.get("rows", []), report.body.get("columns", []), {},
                 report.measure.get("kind") == DURATION)


def count(report: Report, records: Iterable[dict[str, Any]], lookups: Lookups,
          keep: Callable[[dict[str, Any]], bool] = lambda record: True) -> Table:
    """Count the report over the records `keep` accepts."""
    contribute = contribution_of(report, lookups)
    table = empty_table(report)
    for record in records:
        if keep(record):
            add(table, contribute(record))
    return table
