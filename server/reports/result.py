"""A counted table made readable and safe to hand out: keys in order with their labels, totals, suppression.

Keys come in the order a reader expects: an option field's options, the bands, the places of the level (by name),
every period from the first to the last one counted (a line over time has no holes), the known states of a fact;
values no option holds come after them, and "Not recorded" last. Counts under the threshold are hidden with their
complementary cells (server/reports/suppression.py) unless the caller may and asks to see them exactly; nothing but
the aggregates, their labels and the suppression marks is in what this module returns.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field as dc_field
from datetime import date
from itertools import product
from typing import Any

from babel.dates import format_date

from server.messages import _l, render
from server.metadata.configuration import Configuration
from server.metadata.labels import resolve_text
from server.metadata.report_definition import DURATION, Report
from server.reports.engine import Table
from server.reports.suppression import suppress, with_margins

NOT_RECORDED = _l("Not recorded")
YES, NO = _l("Yes"), _l("No")
QUARTER = _l("Q%(quarter)s %(year)s")
BAND, BAND_OPEN = _l("%(low)s–%(high)s"), _l("%(low)s and over")
MULTIPLE_NOTE = _l("A unit with several values of one dimension (a case with several concerns) is counted once under "
                   "each: the totals add these counts up.")
REVERSED_NOTE = _l("%(count)s units whose end date is before their start date were left out.")
SUPPRESSED_NOTE = _l("Counts from 1 to %(below)s are hidden (\"< %(threshold)s\"). Cells marked \"%(mark)s\" are hidden "
                     "too, so that a small count cannot be worked out from the totals.")
COMPLEMENT_MARK = "•"
EXACT_NOTE = _l("Exact counts: small counts are shown. This view is recorded in the audit log.")
REFERRAL_STATES = {"in_progress": _l("In progress"), "accepted": _l("Accepted"), "rejected": _l("Rejected"),
                   "done": _l("Done"), "revoked": _l("Revoked")}
FACT_NAMES = {"status": _l("Status"), "stage": _l("Stage"), "agency": _l("Agency"),
              "agency_type": _l("Receiving agency type"), "referral_status": _l("Referral status"),
              "event": _l("Event"), "event_on": _l("Date"), "referred_on": _l("Referral date"),
              "accepted_on": _l("Acceptance date"), "done_on": _l("Completion date"), "opened_on": _l("Opening date")}
PERIOD_NAMES = {"month": _l("%(name)s (month)"), "quarter": _l("%(name)s (quarter)"), "year": _l("%(name)s (year)")}


@dataclass
class Labelling:
    """What names the keys: the configuration, the agencies ({id: document}), the language."""

    config: Configuration
    locale: str
    default_language: str
    agencies: dict[str, dict[str, Any]] = dc_field(default_factory=dict)

    def text(self, texts: dict[str, str] | None) -> str:
        return resolve_text(texts, self.locale, self.default_language)

    def say(self, template: Any, **params: Any) -> str:
        return render(template, params, self.locale)


def _options(field: dict[str, Any], config: Configuration) -> list[dict[str, Any]]:
    source = field.get("option_strings_source")
    if source:
        return config.lookups.get(source.split(" ", 1)[1], {}).get("lookup_values_i18n", [])
    return field.get("option_strings_text_i18n", [])


def _lookup_labels(config: Configuration, lookup_id: str, labelling: Labelling) -> dict[Any, str]:
    values = config.lookups.get(lookup_id, {}).get("lookup_values_i18n", [])
    return {value["id"]: labelling.text(value["display_text"]) for value in values}


def _stages(config: Configuration, labelling: Labelling) -> dict[Any, str]:
    labels: dict[Any, str] = {}
    for module in config.modules.values():
        for stage in (module.get("workflow") or {}).get("stages", []):
            labels.setdefault(stage["id"], labelling.text(stage["name_i18n"]))
    return labels


def _level_name(config: Configuration, level: int, labelling: Labelling) -> str:
    """The name of an admin level ("Département"), from the first location hierarchy that has it."""
    for hierarchy in config.documents_by_kind["location"].values():
        for item in hierarchy.get("admin_levels", []):
            if item.get("admin_level") == level:
                return labelling.text(item.get("type_i18n"))
    return ""


def _period_label(key: tuple, period: str, labelling: Labelling) -> str:
    if period == "month":
        return format_date(date(key[0], key[1], 1), "MMM y", locale=labelling.locale)
    if period == "quarter":
        return labelling.say(QUARTER, quarter=str(key[1]), year=str(key[0]))
    return str(key[0])


def _periods(seen: set, period: str) -> list[tuple]:
    """Every period from the first seen to the last (at most 600: a date typed as 1900 does not make 1,500 rows)."""
    keys = sorted(key for key in seen if key is not None)
    if not keys:
        return []
    steps = {"month": 12, "quarter": 4, "year": 1}[period]
    first, last = keys[0], keys[-1]
    if period == "year":
        index, end = first[0], last[0]
    else:
        index, end = first[0] * steps + first[1] - 1, last[0] * steps + last[1] - 1
    if end - index > 600:
        return keys
    out = []
    for position in range(index, end + 1):
        out.append((position,) if period == "year" else (position // steps, position % steps + 1))
    return out


@dataclass
class Axis:
    """One dimension's keys in order and their labels, and the dimension's own name."""

    name: str
    keys: list[Any]
    labels: dict[Any, str]
    period: str | None = None

    def json_key(self, key: Any) -> Any:
        """A key as JSON: a period as "2025", "2025-Q1" or "2025-03"; any other key as it is."""
        if not isinstance(key, tuple):
            return key
        if len(key) == 1:
            return str(key[0])
        return f"{key[0]}-Q{key[1]}" if self.period == "quarter" else f"{key[0]}-{key[1]:02d}"


def axis_of(report: Report, dimension: dict[str, Any], seen: set, labelling: Labelling) -> Axis:
    """Order and name the keys of one dimension (every defined key, and those seen that none defines)."""
    config = labelling.config
    defined: list[Any] = []
    labels: dict[Any, str] = {}
    if "fact" in dimension:
        fact = dimension["fact"]
        name = labelling.say(FACT_NAMES[fact])
        if "period" in dimension:
            defined = _periods(seen, dimension["period"])
            labels = {key: _period_label(key, dimension["period"], labelling) for key in defined}
        elif fact == "status":
            labels = _lookup_labels(config, "lookup-case-status", labelling) or {"open": "open", "closed": "closed"}
        elif fact == "stage":
            labels = _stages(config, labelling)
        elif fact == "agency":
            labels = {key: labelling.text(agency.get("name_i18n")) or key for key, agency in labelling.agencies.items()
                      if key in seen}
        elif fact == "agency_type":
            labels = _lookup_labels(config, "lookup-agency-type", labelling)
        elif fact == "referral_status":
            labels = {key: labelling.say(text) for key, text in REFERRAL_STATES.items()}
        elif fact == "event":
            labels = {event["id"]: labelling.text(event["name_i18n"])
                      for event in report.body["counts"].get("events", [])}
        defined = defined or list(labels)
    else:
        definition, _ = report.definition(dimension["field"])
        name = labelling.text(definition.get("display_name_i18n")) or dimension["field"]
        kind = definition["type"]
        if "bands" in dimension:
            bands = dimension["bands"]
            defined = list(range(len(bands)))
            labels = {i: (labelling.say(BAND, low=low, high=bands[i + 1] - 1) if i + 1 < len(bands)
                          else labelling.say(BAND_OPEN, low=low)) for i, low in enumerate(bands)}
        elif kind == "date_field":
            period = dimension.get("period", "month")
            name = labelling.say(PERIOD_NAMES[period], name=name)
            defined = _periods(seen, period)
            labels = {key: _period_label(key, period, labelling) for key in defined}
        elif kind == "location":
            level = dimension.get("admin_level", 0)
            name = _level_name(config, level, labelling) or name
            places = [place for place in config.locations.places.values() if place.get("admin_level") == level]
            labels = {place["code"]: labelling.text(place["name_i18n"]) or place["code"] for place in places}
            defined = sorted(labels, key=lambda code: (labels[code].casefold(), code))
        elif kind == "tick_box":
            defined, labels = [True, False], {True: labelling.say(YES), False: labelling.say(NO)}
        else:
            labels = {option["id"]: labelling.text(option["display_text"]) or option["id"]
                      for option in _options(definition, config)}
        defined = defined or list(labels)
    extra = sorted((key for key in seen if key is not None and key not in labels), key=str)
    keys = [*defined, *extra, *([None] if None in seen else [])]
    labels = {**labels, **{key: str(key) for key in extra}, None: labelling.say(NOT_RECORDED)}
    period = dimension.get("period") or ("month" if "fact" not in dimension and not dimension.get("bands")
                                         and report.definition(dimension["field"])[0]["type"] == "date_field" else None)
    return Axis(name, keys, labels, period)


def _rank(counted: dict[int, int], rank: int) -> int:
    """The value at a 1-based rank of the sorted values that `counted` ({value: how many}) holds."""
    seen = 0
    for value in sorted(counted):
        seen += counted[value]
        if seen >= rank:
            return value
    raise ValueError(rank)


def _median(counted: dict[int, int], n: int) -> float:
    middle = (n + 1) // 2
    return float(_rank(counted, middle)) if n % 2 else (_rank(counted, middle) + _rank(counted, middle + 1)) / 2


def _p90(counted: dict[int, int], n: int) -> float:
    """The 90th percentile by nearest rank: the smallest value at or above which 10 % of the values lie."""
    return float(_rank(counted, max(1, math.ceil(0.9 * n))))


def _cell(value: Any, duration: bool) -> dict[str, Any]:
    if not duration:
        return {"value": value}
    n = sum(value.values())
    return {"value": n, "median": _median(value, n) if n else None, "p90": _p90(value, n) if n else None}


SMALL, COMPLEMENT = "small", "complement"   # why a cell is hidden: under the threshold, or so that one cannot be
# worked out from the totals (a complement is not small: it is shown with its own mark, never as "< 5")


def _hidden(duration: bool, reason: str) -> dict[str, Any]:
    return {"value": None, "suppressed": True, "reason": reason, **({"median": None, "p90": None} if duration else {})}


@dataclass
class Shaped:
    """The table as it is handed out."""

    body: dict[str, Any]
    suppressed: int


def shape(report: Report, table: Table, labelling: Labelling, threshold: int, exact: bool) -> Shaped:
    """Order, label, total and (unless `exact`) suppress a counted table."""
    duration = table.duration
    row_axes = [axis_of(report, d, {key[0][i] for key in table.cells}, labelling)
                for i, d in enumerate(table.row_dimensions)]
    column_axes = [axis_of(report, d, {key[1][i] for key in table.cells}, labelling)
                   for i, d in enumerate(table.column_dimensions)]
    row_keys = list(product(*(axis.keys for axis in row_axes)))
    if len(row_axes) > 1:   # two row dimensions: only the pairs that hold something
        held = {key[0] for key in table.cells}
        row_keys = [key for key in row_keys if key in held]
    column_keys = list(product(*(axis.keys for axis in column_axes)))
    empty: Any = {} if duration else 0
    raw = [[table.cells.get((r, c), empty) for c in column_keys] for r in row_keys]
    counts = [[sum(v.values()) if duration else v for v in row] for row in raw]
    full = with_margins(counts) if row_keys else [[0]]
    hidden = set() if exact or not row_keys else suppress(full, threshold)

    def merged(values: list[Any]) -> Any:
        if not duration:
            return sum(values)
        together: dict[int, int] = {}
        for counted in values:
            for days, n in counted.items():
                together[days] = together.get(days, 0) + n
        return together

    def cell(i: int, j: int, values: Any) -> dict[str, Any]:
        if (i, j) in hidden:
            return _hidden(duration, SMALL if 0 < full[i][j] < threshold else COMPLEMENT)
        return _cell(values, duration)

    width, height = len(column_keys), len(row_keys)
    body = {
        "rows": [{"label": axis.name} for axis in row_axes],
        "columns": [{"label": axis.name} for axis in column_axes],
        "row_keys": [{"key": [axis.json_key(k) for axis, k in zip(row_axes, key)],
                      "labels": [axis.labels[k] for axis, k in zip(row_axes, key)]}
                     for key in row_keys],
        "column_keys": [{"key": [axis.json_key(k) for axis, k in zip(column_axes, key)],
                         "labels": [axis.labels[k] for axis, k in zip(column_axes, key)]} for key in column_keys],
        "cells": [[cell(i, j, raw[i][j]) for j in range(width)] for i in range(height)],
        "row_totals": [cell(i, width, merged(raw[i])) for i in range(height)],
        "column_totals": [cell(height, j, merged([raw[i][j] for i in range(height)])) for j in range(width)],
        "total": cell(height, width, merged([v for row in raw for v in row])),
    }
    return Shaped(body, len(hidden))


def notes(table: Table, labelling: Labelling, threshold: int, suppressed: int, exact: bool) -> list[str]:
    """What a reader must know to read the numbers right."""
    said = []
    if table.multiple:
        said.append(labelling.say(MULTIPLE_NOTE))
    if table.reversed_durations:
        said.append(labelling.say(REVERSED_NOTE, count=table.reversed_durations))
    if exact:
        said.append(labelling.say(EXACT_NOTE))
    elif suppressed:
        said.append(labelling.say(SUPPRESSED_NOTE, below=threshold - 1, threshold=threshold, mark=COMPLEMENT_MARK))
    return said


__all__ = ["Labelling", "Shaped", "axis_of", "notes", "shape", "DURATION"]
