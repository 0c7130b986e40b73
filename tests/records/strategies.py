"""Hypothesis strategies of record data, valid and invalid, from two sources that do not share code.

- `from_fields`: from the field definitions of the published forms (what an administrator wrote):
  each field valid, blank, null, of the wrong type, out of range, a disabled option, a date of
  tomorrow, a place of the wrong level; required fields mostly answered, a few fields broken.
- `from_schema`: from the served JSON Schema alone (its properties, types, enums, patterns,
  bounds, $defs), as a client that knows only the schema would build data, with mutations.
"""
from __future__ import annotations

import re
import string
from datetime import date, timedelta
from typing import Any

from hypothesis import Phase, find, settings, strategies as st
from jsonschema import Draft202012Validator

from server.metadata.configuration import Configuration
from server.metadata.patterns import portable_pattern
from server.metadata.record_schema import DayBounds, RecordFields, option_ids

UUIDS = st.uuids().map(str)
WRONG_TYPES = st.sampled_from([0, 1, -3.5, True, False, "x", "", [], {}, ["x"], {"a": 1}])
BLANKS = st.sampled_from(["", " ", "   ", "\t\n", "\u00a0", "\u3000 ", "\ufeff", "\u2028"])
NEAR_BLANKS = st.sampled_from(["\u200b", "\x1c", "\x85", ".", " a "])  # not blank in ECMA-262 terms
TEXT = st.text(max_size=12)
BROKEN_COUNTS = st.sampled_from([1, 0, 2, 1, 3, 0])
BAD_DATE_TEXTS = ["2024-02-30", "2023-02-29", "2100-02-29", "0000-01-01", "2024-13-01", "2024-00-10",
                             "2024-5-31", "20240531", "2024-W22-5", "2024-05-31\n", "２０２４-05-31", "2024-05-31T10:00:00",
                             " 2024-05-31", "2024-05-3l", "", "yesterday"]
BAD_DATES = st.sampled_from(BAD_DATE_TEXTS)
BAD_DATE_TIME_TEXTS = ["2024-05-31", "2024-05-31T14:30:00", "2024-05-31t14:30:00Z", "2024-05-31T24:00:00Z",
                                  "2024-05-31T14:60:00Z", "2024-05-31T14:30:60Z", "2024-05-31 14:30:00Z",
                                  "2024-05-31T14:30:00.1234567890Z", "2024-05-31T14:30:00+24:00",
                                  "2024-05-31T14:30:00+0100", "2024-05-31T14:30:00z", "2024-05-31T14:30:00Z\n"]
BAD_DATE_TIMES = st.sampled_from(BAD_DATE_TIME_TEXTS)


def _dates(days: DayBounds) -> st.SearchStrategy[date]:
    """Dates anywhere, and around the day bounds where not_future_date and not_past_date turn."""
    edges = [days.latest + timedelta(d) for d in (-1, 0, 1, 2)] + [days.earliest + timedelta(d) for d in (-2, -1, 0, 1)]
    return st.one_of(st.sampled_from(edges), st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
                     st.dates(min_value=date(1999, 1, 1), max_value=date(2031, 1, 1)))


def _date_times(days: DayBounds, dates: st.SearchStrategy[date] | None = None) -> st.SearchStrategy[str]:
    def write(day: date, hour: int, minute: int, fraction: str, offset: str) -> str:
        return f"{day.isoformat()}T{hour:02d}:{minute:02d}:07{fraction}{offset}"
    return st.builds(write, dates if dates is not None else _dates(days), st.integers(0, 23), st.integers(0, 59),
                     st.sampled_from(["", ".5", ".123", ".123456789"]),
                     st.sampled_from(["Z", "+01:00", "-12:00", "+14:00", "+23:59", "-00:30"]))


class FieldValues:
    """Valid and invalid values of each field of one record type."""

    def __init__(self, config: Configuration, record: RecordFields, days: DayBounds) -> None:
        self.config, self.record, self.days = config, record, days
        self.cache: dict[tuple, Any] = {}
        places = list(config.locations.places.values())
        self.codes_by_level: dict[int, list[str]] = {}
        for place in places:
            self.codes_by_level.setdefault(place["admin_level"], []).append(place["code"])

    def valid(self, field: dict[str, Any], depth: int = 0) -> st.SearchStrategy | None:
        """Values the field accepts (None: it has none)."""
        key = ("valid", id(field), depth)
        if key not in self.cache:
            self.cache[key] = self._valid(field, depth)
        return self.cache[key]

    def invalid(self, field: dict[str, Any], depth: int = 0) -> st.SearchStrategy:
        """Values the field may refuse: wrong types, blanks, out of range, disabled options, future dates, ..."""
        key = ("invalid", id(field), depth)
        if key not in self.cache:
            self.cache[key] = self._invalid(field, depth)
        return self.cache[key]

    def _valid(self, field: dict[str, Any], depth: int) -> st.SearchStrategy | None:
        kind = field["type"]
        if kind in ("text_field", "textarea"):
            if "pattern" in field:
                return st.from_regex(portable_pattern(field["pattern"]) or field["pattern"], fullmatch=True)
            return st.text(alphabet=string.ascii_letters + "éà -'", min_size=1, max_size=20)
        if kind in ("select_box", "radio_button"):
            enabled = option_ids(field, self.config, include_disabled=False) or ["no-option"]
            if field.get("multi_select"):
                return st.lists(st.sampled_from(enabled), min_size=1, max_size=3, unique=True)
            return st.sampled_from(enabled)
        if kind == "tick_box":
            return st.booleans()
        if kind == "numeric_field":
            low, high = field.get("min_value", -10 ** 6), field.get("max_value", 10 ** 6)
            return st.one_of(st.integers(int(low) + 1 if low != int(low) else int(low), int(high)),
                             st.floats(low, high, allow_nan=False))
        if kind == "date_field":
            rule = field.get("date_validation")
            days = _dates(self.days).filter(lambda d: not (rule == "not_future_date" and d > self.days.latest
                                                          or rule == "not_past_date" and d < self.days.earliest))
            if field.get("date_include_time"):
                return _date_times(self.days, days)
            return days.map(date.isoformat)
        if kind == "tally_field":
            ids = [t["id"] for t in field.get("tally_i18n", [])]
            return st.dictionaries(st.sampled_from(ids or ["none"]), st.integers(0, 100_000), max_size=len(ids))
        if kind == "location":
            level = field.get("location_admin_level")
            codes = [c for lvl, cs in self.codes_by_level.items() if level is None or lvl == level for c in cs]
            return st.sampled_from(codes) if codes else None  # no places: no valid value
        if kind.endswith("upload_box"):
            return st.lists(UUIDS, min_size=1, max_size=2)
        if kind == "subform":
            return st.lists(self.row(field, depth + 1), max_size=3)
        return st.none()  # calculated: the server computes it

    def _invalid(self, field: dict[str, Any], depth: int) -> st.SearchStrategy:
        kind = field["type"]
        common = [WRONG_TYPES, BLANKS, NEAR_BLANKS, st.none()]
        if kind in ("text_field", "textarea"):
            extra = [TEXT, st.just("x" * (field.get("max_length", 1000) + 1))]
            if "pattern" in field:
                extra.append(st.from_regex(field["pattern"]))  # Python's reading: Unicode digits, final newline
        elif kind in ("select_box", "radio_button"):
            everything = option_ids(field, self.config) + ["not-an-option", "OTHER"]
            extra = [st.sampled_from(everything), st.lists(st.sampled_from(everything), max_size=3)]
        elif kind == "numeric_field":
            edges = [field[k] + d for k in ("min_value", "max_value") if k in field for d in (-1, -0.001, 0, 0.001, 1)]
            extra = [st.sampled_from(edges or [0]), st.integers(-2 ** 70, 2 ** 70), st.just("5")]
        elif kind == "date_field":
            edges = st.sampled_from([self.days.latest + timedelta(1), self.days.earliest - timedelta(1),
                                     self.days.latest, self.days.earliest])
            if field.get("date_include_time"):
                return st.one_of(_date_times(self.days, edges), BAD_DATE_TIMES, *common, _dates(self.days).map(date.isoformat))
            return st.one_of(edges.map(date.isoformat), BAD_DATES, *common, _date_times(self.days))
        elif kind == "tally_field":
            ids = [t["id"] for t in field.get("tally_i18n", [])] + ["ghost"]
            extra = [st.dictionaries(st.sampled_from(ids), st.one_of(st.integers(-2, 100_001), WRONG_TYPES), max_size=3)]
        elif kind == "location":
            every = [c for cs in self.codes_by_level.values() for c in cs]
            extra = [st.sampled_from(every or ["XX"]), st.sampled_from(every or ["XX"]).map(str.lower),
                     st.just("BJ-XX-99")]
        elif kind.endswith("upload_box"):
            extra = [st.lists(st.one_of(UUIDS, UUIDS.map(str.upper), st.just("x")), max_size=3)]
        elif kind == "subform":
            extra = [st.lists(st.one_of(self.row(field, depth + 1, broken=True), WRONG_TYPES), max_size=3),
                     st.lists(self.removal(), min_size=1, max_size=2)]
        else:
            extra = [st.integers(0, 9), st.floats(allow_nan=False, allow_infinity=False)]
        return st.one_of(*common, *extra)

    def row(self, field: dict[str, Any], depth: int, broken: bool = False) -> st.SearchStrategy[dict]:
        """A subform row: a few fields, maybe a unique_id, maybe (when broken) an unknown or malformed key."""
        fields = self.record.row_fields(field)
        if depth > 2 or not fields:
            return st.just({})
        return st.builds(_row, data(fields, self, depth, broken_max=2 if broken else 0, optional_max=4),
                         st.sampled_from(["absent", "uuid", "null", "bad", "int"] if broken else ["absent", "uuid"]),
                         UUIDS)

    def removal(self) -> st.SearchStrategy[dict]:
        good = st.builds(lambda i: {"unique_id": i, "_destroy": True}, UUIDS)
        bad = st.sampled_from([{"_destroy": True}, {"unique_id": "x", "_destroy": True},
                               {"_destroy": False, "relation_name": "a"}, {"_destroy": "yes"}])
        return st.one_of(good, bad, st.builds(lambda i: {"unique_id": i, "_destroy": True, "x": 1}, UUIDS))


def _row(values: dict, id_kind: str, row_id: str) -> dict:
    row = dict(values)
    if id_kind != "absent":
        row["unique_id"] = {"uuid": row_id, "null": None, "bad": row_id.upper(), "int": 7}[id_kind]
    return row


@st.composite
def data(draw, fields: dict[str, dict], values: FieldValues, depth: int = 0, broken_max: int = 3,
         optional_max: int = 8, unknown: list[str] | None = None) -> dict:
    """An object of these fields: required ones answered (but now and then one), a few optional ones, and
    up to `broken_max` broken ones."""
    names = sorted(fields)
    required = [n for n in names if fields[n].get("required")]
    optional = [n for n in names if not fields[n].get("required")
                and fields[n]["type"] != "calculated" and not fields[n].get("disabled")]
    count = draw(BROKEN_COUNTS) if names and broken_max else 0
    broken = draw(_subset(_with_rules_first(fields), min(count, broken_max))) if count else set()
    chosen = (set(required) - (draw(_subset(required, 1)) if required and one_in(draw, 10) else set()))
    chosen |= draw(_subset(optional, optional_max)) if optional else set()
    result = {}
    for name in names:
        if name in broken:
            result[name] = draw(values.invalid(fields[name], depth))
        elif name in chosen:
            valid = values.valid(fields[name], depth)
            if valid is not None:
                result[name] = draw(valid)
    if unknown and one_in(draw, 10):
        result[draw(st.sampled_from(unknown))] = draw(st.one_of(st.none(), TEXT))
    return result


RULES = ("required", "display_conditions", "date_validation", "pattern", "min_value", "max_value",
         "location_admin_level", "option_strings_source", "option_strings_text_i18n", "subform_section_id")


def _with_rules_first(fields: dict[str, dict]) -> list[str]:
    """The names, those of fields with rules three times: broken fields are mostly ones with something to check."""
    return sorted(fields) + 2 * sorted(n for n, f in fields.items() if any(rule in f for rule in RULES)
                                       or f["type"] in ("location", "date_field", "subform"))


def _subset(names: list[str], most: int) -> st.SearchStrategy[set]:
    return _cached(("subset", tuple(names), most), lambda: st.sets(st.sampled_from(names), max_size=most))


# --- from the served schema alone ----------------------------------------------------------------


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[dict]:
    """Data built by reading only the served schema: mostly what its keywords describe, with mutations."""
    return _instance_of(schema, schema, depth=0)


def _instance_of(node: Any, root: dict[str, Any], depth: int) -> st.SearchStrategy:
    return _cached(("instance", id(node), depth), lambda: _instance(node, root, depth))


_STRATEGIES: dict[tuple, st.SearchStrategy] = {}


def _cached(key: tuple, build) -> st.SearchStrategy:
    """Strategies are costly to build: one per schema node (the schemas live as long as the test session)."""
    if key not in _STRATEGIES:
        _STRATEGIES[key] = build()
    return _STRATEGIES[key]


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        target = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


@st.composite
def _instance(draw, node: Any, root: dict[str, Any], depth: int) -> Any:
    if node is True or node == {}:
        return draw(st.one_of(TEXT, st.integers(), st.none()))
    if node is False or (isinstance(node, dict) and node.get("not") == {}):
        return draw(st.one_of(st.none(), TEXT, st.integers(0, 9)))
    node = _resolve(node, root)
    if "anyOf" in node and "type" not in node:
        return draw(_instance_of(node["anyOf"][draw(_cached(("pick", len(node["anyOf"])), lambda: st.integers(0, len(node["anyOf"]) - 1)))], root, depth))
    if "const" in node:
        return node["const"]
    if "enum" in node:
        chosen = [value for value in node["enum"] if value is not None] or [None]
        return draw(_mostly(st.sampled_from(chosen), st.sampled_from(node["enum"] or [None])))
    if "else" in node:  # a first-level row, or its removal
        branch = node["then"] if one_in(draw, 10) else node["else"]
        return draw(_instance_of(branch, root, depth))
    kinds = node.get("type", "string")
    if isinstance(kinds, list):  # null (which clears) now and then, mostly the field's own type
        kinds = ["null"] if one_in(draw, 16) else [kind for kind in kinds if kind != "null"]
        kind = draw(st.sampled_from(kinds))
    else:
        kind = kinds
    if kind == "null":
        return None
    if kind == "object":
        return draw(_object(node, root, depth))
    if kind == "array":
        items = node.get("items", True)
        size = min(node.get("maxItems", 3), 3 if depth < 2 else 0)
        return draw(_cached(("list", id(node), depth), lambda: st.lists(_instance_of(items, root, depth + 1), max_size=size)))
    if kind == "boolean":
        return draw(st.booleans())
    if kind in ("number", "integer"):
        return draw(_cached(("number", id(node), kind), lambda: _number(node, kind)))
    if "anyOf" in node:  # a location: null or a code of its level
        return draw(_instance_of(node["anyOf"][draw(_cached(("pick", len(node["anyOf"])), lambda: st.integers(0, len(node["anyOf"]) - 1)))], root, depth))
    return draw(_cached(("text", id(node)), lambda: _text(node)))


def _number(node: dict[str, Any], kind: str) -> st.SearchStrategy:
    low, high = node.get("minimum"), node.get("maximum")
    edges = [x + d for x in (low, high) if x is not None for d in (-1, 0, 1)]
    inside = st.integers(int(low) if low is not None else -10 ** 9, int(high) if high is not None else 10 ** 9)
    choices = [inside, st.sampled_from(edges or [0])]
    if kind == "number":
        choices.append(st.floats(low, high, allow_nan=False, allow_infinity=False))
    return st.one_of(*choices)


def _text(node: dict[str, Any]) -> st.SearchStrategy[str]:
    patterns = [node["pattern"]] if "pattern" in node else []
    patterns += [part["pattern"] for part in node.get("allOf", []) if "pattern" in part]
    if not patterns:
        return _mostly(st.text(min_size=1, max_size=min(node.get("maxLength", 12), 12)), BLANKS)
    usual = st.from_regex(re.compile(patterns[0]), fullmatch=True)
    if len(patterns) > 1:  # a date rule too: mostly dates it accepts
        usual = usual.filter(re.compile(patterns[-1]).search)
    return _mostly(usual, st.one_of(st.from_regex(re.compile(patterns[-1])), st.from_regex(re.compile(patterns[0])),
                                    TEXT))


def _mostly(usual: st.SearchStrategy, rare: st.SearchStrategy) -> st.SearchStrategy:
    """`usual` nine times in ten."""
    return st.integers(0, 9).flatmap(lambda k: rare if k == 5 else usual)


def one_in(draw, n: int) -> bool:
    """True about once in n draws (a middle value: hypothesis favours the ends of a range)."""
    return draw(_cached(("one_in", n), lambda: st.integers(0, n - 1))) == n // 2


@st.composite
def _object(draw, node: dict[str, Any], root: dict[str, Any], depth: int) -> dict:
    properties = node.get("properties", {})
    required = [name for name in node.get("required", []) if name in properties]
    optional = sorted(name for name in properties if name not in required)
    chosen = set(required) - (draw(_subset(required, 1)) if required and one_in(draw, 20) else set())
    chosen |= draw(_subset(optional, 8)) if optional else set()
    result = {}
    for name in sorted(chosen):
        if properties[name].get("not") == {} and not one_in(draw, 6):
            continue  # a field no write may hold: tried now and then
        result[name] = draw(_instance_of(properties[name], root, depth + 1))
    for rule in node.get("allOf", []):  # a field required when shown: mostly answer it when it is
        then = rule.get("then") or {}
        if then and _validator(rule["if"]).is_valid(result) and not one_in(draw, 5):
            for name in then.get("required", []):
                result[name] = draw(_instance_of(properties[name], root, depth + 1))
    if one_in(draw, 16):
        result[draw(st.sampled_from(["ghost", "_destroy", "unique_id", "Name"]))] = draw(st.one_of(st.none(), TEXT))
    return result


_VALIDATORS: dict[int, Draft202012Validator] = {}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    if id(schema) not in _VALIDATORS:
        _VALIDATORS[id(schema)] = Draft202012Validator(schema)
    return _VALIDATORS[id(schema)]


# --- a sweep: one field at a time, every edge value, on an otherwise valid record ----------------

COMMON_EDGES = [None, "", " ", "\u00a0\u3000", "\u200b", 0, 1.5, True, [], {}, ["x"], {"a": 1}]


def valid_example(field: dict[str, Any], values: FieldValues) -> Any:
    """One value the field accepts, always the same (None: it accepts none)."""
    key = ("example", id(field))
    if key not in values.cache:
        values.cache[key] = _example(field, values)
    return values.cache[key]


def _example(field: dict[str, Any], values: FieldValues) -> Any:
    kind = field["type"]
    if kind in ("text_field", "textarea"):
        if "pattern" not in field:
            return "Awa"
        pattern = portable_pattern(field["pattern"]) or field["pattern"]
        return find(st.from_regex(pattern, fullmatch=True), lambda text: True,
                    settings=settings(database=None, derandomize=True, phases=[Phase.generate]))
    if kind in ("select_box", "radio_button"):
        enabled = option_ids(field, values.config, include_disabled=False)
        return (enabled[:1] if field.get("multi_select") else enabled[0]) if enabled else None
    if kind == "numeric_field":
        return field.get("min_value", field.get("max_value", 0))
    if kind == "date_field":
        day = values.days.latest if field.get("date_validation") == "not_past_date" else date(2020, 2, 29)
        return day.isoformat() + ("T12:00:00Z" if field.get("date_include_time") else "")
    if kind == "location":
        level = field.get("location_admin_level")
        codes = [c for lvl, cs in sorted(values.codes_by_level.items()) if level in (None, lvl) for c in cs]
        return codes[0] if codes else None
    return {"tick_box": True, "tally_field": {}, "subform": [], "photo_upload_box": [UUID],
            "document_upload_box": [UUID], "audio_upload_box": [UUID]}.get(kind)


def edge_values(field: dict[str, Any], values: FieldValues) -> list[Any]:
    """The values worth trying in a field, valid and invalid, always the same."""
    kind, days = field["type"], values.days
    edges = list(COMMON_EDGES)
    if kind in ("text_field", "textarea"):
        edges += ["Awa", "x" * field.get("max_length", 1000), "x" * (field.get("max_length", 1000) + 1)]
        if "pattern" in field:
            good = valid_example(field, values)
            arabic = good.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
            edges += [good, good + "\n", "\n" + good, arabic, good + "x", good.replace(" ", "\u00a0")]
    elif kind in ("select_box", "radio_button"):
        ids = option_ids(field, values.config)
        edges += ids + ["not-an-option", "OTHER"]
        if field.get("multi_select"):
            edges += [[i] for i in ids] + [ids[:2], ids[:1] * 2] if ids else []
    elif kind == "numeric_field":
        edges += [field[k] + d for k in ("min_value", "max_value") if k in field for d in (-1, -0.5, 0, 0.5, 1)]
        edges += [2 ** 70, -1e300, "5", False]
    elif kind == "date_field":
        stamps = [days.latest + timedelta(1), days.latest, days.earliest, days.earliest - timedelta(1)]
        if field.get("date_include_time"):
            edges += [f"{d.isoformat()}T23:59:59{o}" for d in stamps for o in ("Z", "+14:00", "-12:00")]
            edges += ["2024-05-31T14:30:00.5+01:00", "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z"]
            edges += BAD_DATE_TIME_TEXTS
        else:
            edges += [d.isoformat() for d in stamps] + ["2024-02-29", "2000-02-29", "1900-02-28", "0001-01-01"]
            edges += BAD_DATE_TEXTS
    elif kind == "tally_field":
        ids = [t["id"] for t in field.get("tally_i18n", [])]
        edges += [{i: v} for i in ids[:2] for v in (0, -1, 100_000, 100_001, 1.0, "1", None)] + [{"ghost": 1}]
    elif kind == "location":
        for codes in values.codes_by_level.values():
            edges += [codes[0], codes[0].lower(), codes[0] + " "]
        edges += ["BJ-XX-99"]
    elif kind.endswith("upload_box"):
        edges += [[str(UUID)], [str(UUID).upper()], [str(UUID) + "\n"], ["x"]]
    elif kind == "subform":
        row = {name: valid_example(f, values) for name, f in values.record.row_fields(field).items()
               if f.get("required")}
        edges += [[row], [{**row, "unique_id": str(UUID)}], [{**row, "unique_id": None}], [{**row, "unique_id": 7}],
                  [{**row, "unique_id": str(UUID).upper()}], [{**row, "ghost": 1}], [{"unique_id": str(UUID), "_destroy": True}],
                  [{"unique_id": "x", "_destroy": True}], [{"_destroy": False, **row}], [row, "x"], [row] * 2]
    return edges


UUID = "8f0e7a52-3c1d-4b6e-9a27-5d4c3b2a1f00"
