"""A report document read against a configuration: which fields it names, of which types, and what is wrong with it.

`read_report` resolves every field a report names (a dimension, a filter, a duration's ends) among the fields of its
record type, or of the counted subform's rows first, and yields one Problem per rule it breaks, with a stable code
(the configuration's checks, server/metadata/report_checks.py, and a preview report them the same way). The engine
(server/reports/engine.py) runs only a report that read without errors.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from datetime import date
from typing import Any, Iterator

from server.metadata.configuration import Configuration
from server.metadata.documents import OPTION_TYPES, SUBFORM

RECORDS, ROWS, REFERRALS, EVENTS = "records", "rows", "referrals", "events"
COUNT, DURATION = "count", "duration"
DIMENSION_TYPES = frozenset({*OPTION_TYPES, "tick_box", "location", "numeric_field", "date_field", "calculated"})
NUMBER_TYPES = frozenset({"numeric_field", "calculated"})
DATE_FACTS = frozenset({"event_on", "referred_on", "accepted_on", "done_on", "opened_on", "first_service_on"})
# The facts a unit has: the record's own for every unit; a referral's and an event's for those units only.
RECORD_FACTS = frozenset({"status", "stage", "agency", "opened_on", "first_service_on"})
UNIT_FACTS = {RECORDS: RECORD_FACTS, ROWS: RECORD_FACTS,
              REFERRALS: RECORD_FACTS | {"agency_type", "referral_status", "referred_on", "accepted_on", "done_on"},
              EVENTS: RECORD_FACTS | {"event", "event_on"}}
DEFAULT_CHART = "bar"


@dataclass(frozen=True)
class Problem:
    """A rule a report breaks: a stable code, where (a path in the document), and the message's values."""

    code: str
    path: str
    params: dict[str, Any] = dc_field(default_factory=dict)


@dataclass
class Report:
    """A report read against a configuration: its document, and each named field's definition by name."""

    body: dict[str, Any]
    record_type: str
    unit: str
    subform: str | None
    fields: dict[str, dict[str, Any]]          # the record's top-level fields, by name
    row_fields: dict[str, dict[str, Any]]      # the counted subform's row fields (unit rows), by name
    problems: list[Problem]
    services: dict[str, Any] = dc_field(default_factory=dict)   # the module workflow's services, if a fact reads them

    @property
    def unique_id(self) -> str:
        return self.body.get("unique_id", "")

    @property
    def dimensions(self) -> list[dict[str, Any]]:
        return [*self.body.get("rows", []), *self.body.get("columns", [])]

    @property
    def measure(self) -> dict[str, Any]:
        return self.body.get("measure") or {"kind": COUNT}

    @property
    def chart(self) -> str:
        return self.body.get("chart", DEFAULT_CHART)

    def definition(self, name: str) -> tuple[dict[str, Any] | None, bool]:
        """The field named `name` and whether it is a row field (a row's own fields come first)."""
        if name in self.row_fields:
            return self.row_fields[name], True
        return self.fields.get(name), False

    def named_fields(self) -> set[str]:
        """Every top-level field the report reads (a row field reads its subform)."""
        names = {self.subform} if self.subform else set()
        for item in (*self.dimensions, *self.body.get("filters", []), *_ends(self.measure)):
            name = item.get("field")
            if name:
                names.add(self.subform if name in self.row_fields else name)
        for event in (self.body.get("counts") or {}).get("events", []):
            names.add(event["field"])
        if self.services and self.uses_fact("first_service_on"):
            names.add(self.services["subform"])
        return {name for name in names if name}

    def paths(self) -> set[str]:
        """What the report reads of a record's data: top-level fields ("sex") and the row fields of a subform it
        counts or reads ("services_section.service_type"), never a whole row (rows hold notes and names)."""
        paths: set[str] = set()
        for item in (*self.dimensions, *self.body.get("filters", []), *_ends(self.measure)):
            name = item.get("field")
            if name:
                paths.add(f"{self.subform}.{name}" if name in self.row_fields else name)
        for event in (self.body.get("counts") or {}).get("events", []):
            paths.add(event["field"])
        if self.subform:
            paths.add(f"{self.subform}.unique_id")   # a row with none of the fields read still counts
        if self.services and self.uses_fact("first_service_on"):
            subform = self.services["subform"]
            paths |= {f"{subform}.{self.services[part]}" for part in ("implemented", "implemented_on")
                      if self.services.get(part)}
        return paths

    def uses_fact(self, fact: str) -> bool:
        return any(item.get("fact") == fact
                   for item in (*self.dimensions, *self.body.get("filters", []), *_ends(self.measure)))


def _ends(measure: dict[str, Any]) -> list[dict[str, Any]]:
    return [end for end in (measure.get("from"), measure.get("to")) if isinstance(end, dict)]


def top_fields(config: Configuration, record_type: str) -> dict[str, dict[str, Any]]:
    """The top-level fields of a record type's forms, by name (the first form's when a name is shared)."""
    found: dict[str, dict[str, Any]] = {}
    for _, form in config.forms_of(record_type, nested=False):
        for field in form["fields"]:
            found.setdefault(field["name"], field)
    return found


def read_report(config: Configuration, body: dict[str, Any]) -> Report:
    """Resolve a report's fields in `config` and collect the problems of its rules."""
    record_type = body.get("record_type", "case")
    counts = body.get("counts") or {}
    unit = counts.get("unit", RECORDS)
    fields = top_fields(config, record_type)
    subform, row_fields, problems = None, {}, []
    if unit == ROWS:
        subform = counts.get("subform")
        holder = fields.get(subform or "")
        nested = config.forms.get((holder or {}).get("subform_section_id") or "")
        if not holder or holder["type"] != SUBFORM or nested is None:
            problems.append(Problem("REPORT_SUBFORM_UNKNOWN", "counts/subform", {"name": subform or ""}))
        else:
            row_fields = {field["name"]: field for field in nested["fields"]}
    report = Report(body, record_type, unit, subform, fields, row_fields, problems, _services(config, body))
    problems.extend(_problems(config, report))
    return report


def _services(config: Configuration, body: dict[str, Any]) -> dict[str, Any]:
    """The services part of the report's module's workflow (the first module with one, if the report names none)."""
    modules = [config.modules.get(body["module_id"]) or {}] if body.get("module_id") else list(config.modules.values())
    for module in modules:
        services = (module.get("workflow") or {}).get("services")
        if isinstance(services, dict) and services.get("subform"):
            return services
    return {}


def _problems(config: Configuration, report: Report) -> Iterator[Problem]:
    body = report.body
    if report.unit == EVENTS and not (body.get("counts") or {}).get("events"):
        yield Problem("REPORT_EVENTS_MISSING", "counts/events")
    for index, event in enumerate((body.get("counts") or {}).get("events", [])):
        yield from _date_field(report, event["field"], f"counts/events/{index}/field", rows_allowed=False)
    for axis in ("rows", "columns"):
        for index, dimension in enumerate(body.get(axis, [])):
            yield from _dimension(config, report, dimension, f"{axis}/{index}")
    for index, condition in enumerate(body.get("filters", [])):
        yield from _filter(report, condition, f"filters/{index}")
    measure = report.measure
    if measure.get("kind") == DURATION:
        for end in ("from", "to"):
            reference = measure.get(end)
            if not isinstance(reference, dict):
                yield Problem("REPORT_DURATION_END_MISSING", f"measure/{end}")
            elif "fact" in reference:
                yield from _fact(report, reference["fact"], f"measure/{end}/fact", dates=True)
            else:
                yield from _date_field(report, reference.get("field", ""), f"measure/{end}/field")
    for index, role_id in enumerate(body.get("on_dashboards", [])):
        if role_id not in config.roles:
            yield Problem("REPORT_ROLE_UNKNOWN", f"on_dashboards/{index}", {"role": role_id})
    if report.chart == "map" and not _has_place_rows(report):
        yield Problem("REPORT_MAP_NEEDS_PLACES", "chart")
    if body.get("module_id") and body["module_id"] not in config.modules:
        yield Problem("REPORT_MODULE_UNKNOWN", "module_id", {"id": body["module_id"]})


def _has_place_rows(report: Report) -> bool:
    first = (report.body.get("rows") or [{}])[0]
    definition, _ = report.definition(first.get("field", ""))
    return bool(definition) and definition["type"] == "location"


def _field(report: Report, name: str, path: str) -> tuple[dict[str, Any] | None, Problem | None]:
    definition, _ = report.definition(name)
    if definition is None:
        return None, Problem("REPORT_FIELD_UNKNOWN", path, {"name": name, "record_type": report.record_type})
    if definition.get("identifying"):
        return None, Problem("REPORT_FIELD_IDENTIFYING", path, {"name": name})
    return definition, None


def _date_field(report: Report, name: str, path: str, rows_allowed: bool = True) -> Iterator[Problem]:
    definition, problem = _field(report, name, path)
    if problem:
        yield problem
    elif definition["type"] != "date_field" or (not rows_allowed and name in report.row_fields):
        yield Problem("REPORT_FIELD_TYPE", path, {"name": name, "type": definition["type"], "expected": "date_field"})


def _fact(report: Report, fact: str, path: str, dates: bool = False) -> Iterator[Problem]:
    if fact not in UNIT_FACTS[report.unit] or (dates and fact not in DATE_FACTS):
        yield Problem("REPORT_FACT_UNIT", path, {"fact": fact, "unit": report.unit})


def _dimension(config: Configuration, report: Report, dimension: dict[str, Any], path: str) -> Iterator[Problem]:
    if ("field" in dimension) == ("fact" in dimension):
        yield Problem("REPORT_DIMENSION_SHAPE", path)
        return
    if "fact" in dimension:
        yield from _fact(report, dimension["fact"], f"{path}/fact")
        if dimension["fact"] in DATE_FACTS and "period" not in dimension:
            yield Problem("REPORT_PERIOD_MISSING", f"{path}/period", {"name": dimension["fact"]})
        return
    definition, problem = _field(report, dimension["field"], f"{path}/field")
    if problem:
        yield problem
        return
    kind = definition["type"]
    if kind not in DIMENSION_TYPES:
        yield Problem("REPORT_FIELD_TYPE", f"{path}/field",
                      {"name": dimension["field"], "type": kind, "expected": ", ".join(sorted(DIMENSION_TYPES))})
    elif kind in NUMBER_TYPES and "bands" not in dimension:
        yield Problem("REPORT_BANDS_MISSING", f"{path}/bands", {"name": dimension["field"]})
    elif kind == "date_field" and "period" not in dimension:
        yield Problem("REPORT_PERIOD_MISSING", f"{path}/period", {"name": dimension["field"]})
    elif kind == "location":
        levels = {place.get("admin_level") for place in config.locations.places.values()}
        if dimension.get("admin_level") not in levels:
            yield Problem("REPORT_LEVEL_UNKNOWN", f"{path}/admin_level",
                          {"name": dimension["field"], "levels": ", ".join(map(str, sorted(levels - {None})))})
    if "bands" in dimension and list(dimension["bands"]) != sorted(dimension["bands"]):
        yield Problem("REPORT_BANDS_ORDER", f"{path}/bands")


def _filter(report: Report, condition: dict[str, Any], path: str) -> Iterator[Problem]:
    if ("field" in condition) == ("fact" in condition):
        yield Problem("REPORT_FILTER_SHAPE", path)
        return
    operators = [op for op in ("in", "lt", "le", "gt", "ge") if op in condition]
    if not operators:
        yield Problem("REPORT_FILTER_SHAPE", path)
        return
    if "fact" in condition:
        yield from _fact(report, condition["fact"], f"{path}/fact")
        return
    definition, problem = _field(report, condition["field"], f"{path}/field")
    if problem:
        yield problem
        return
    if definition["type"] not in DIMENSION_TYPES:
        yield Problem("REPORT_FIELD_TYPE", f"{path}/field",
                      {"name": condition["field"], "type": definition["type"],
                       "expected": ", ".join(sorted(DIMENSION_TYPES))})
    ordered = [op for op in operators if op != "in"]
    if ordered and definition["type"] not in (*NUMBER_TYPES, "date_field"):
        yield Problem("REPORT_FILTER_ORDER", f"{path}/{ordered[0]}", {"name": condition["field"]})
    for op in ordered:
        value = condition[op]
        if definition["type"] == "date_field" and not (isinstance(value, str) and _is_day(value)):
            yield Problem("REPORT_FILTER_VALUE", f"{path}/{op}", {"name": condition["field"]})
        elif definition["type"] in NUMBER_TYPES and (isinstance(value, bool) or not isinstance(value, (int, float))):
            yield Problem("REPORT_FILTER_VALUE", f"{path}/{op}", {"name": condition["field"]})


def _is_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
