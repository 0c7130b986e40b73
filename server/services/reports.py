"""Report use cases: which reports a user may run, a report's result, a preview, an export, a user's dashboard.

A report is run with `report: read`, over the records of the caller's scope (the access keys of their role's
`group_permission`, as every list reads them) and only if the caller's role may read every field the report names.
No record is read out: the aggregates, their labels and the suppression marks are all that leave. A caller whose
role has `report: view_small_counts` may ask for exact counts (`exact`); each such view is audited.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from server.auth.permissions import EVERY_RECORD
from server.errors import Detail, Error, Forbidden, NotFound, Unprocessable
from server.messages import _l
from server.metadata.documents import REPORT, content_hash, validate_document
from server.metadata.draft import KIND_NAMES, draft_configuration
from server.metadata.report_definition import Report, read_report
from server.metadata.versions import LanguageSettings
from server.export.report_files import write_report
from server.reports.engine import Lookups, count, day_of
from server.reports.facts import facts_of
from server.reports.result import COMPLEMENT_MARK, Labelling, notes, shape
from server.rules import CHECK_RULES
from server.services.audit import audit
from server.services.context import Context
from server.services.permission import require
from server.storage import auth as accounts_store
from server.storage.query import Filter


def _visible(ctx: Context, report: Report) -> bool:
    """Tell whether the caller's role may read every field the report names."""
    forms = ctx.principal.readable_forms() if ctx.principal else None
    if forms is None:
        return True
    readable = {field["name"] for uid, form in ctx.config.forms_of(report.record_type, nested=False) if uid in forms
                for field in form["fields"]}
    return report.named_fields() <= readable


def _scope(ctx: Context) -> tuple[str, ...]:
    """The access keys of the caller's scope (the key every record carries, for the operator)."""
    return ctx.principal.access_keys("read") if ctx.principal else (EVERY_RECORD,)


def _published(ctx: Context, report_id: str) -> Report:
    body = ctx.config.reports.get(report_id)
    if body is None:
        raise NotFound(kind=KIND_NAMES[REPORT], id=report_id)
    report = read_report(ctx.config, body)
    if not _visible(ctx, report):
        raise Forbidden(Error.REPORT_FIELDS_NOT_READABLE, id=report_id)
    if report.problems:   # published before a check it now fails (the checks run at publish): never counted wrong
        raise _invalid(report)
    return report


def _invalid(report: Report) -> Unprocessable:
    return Unprocessable(Error.REPORT_INVALID, count=len(report.problems), details=[
        Detail.of(f"/{problem.path}", CHECK_RULES[problem.code], **problem.params) for problem in report.problems])


def list_reports(ctx: Context) -> list[dict[str, Any]]:
    """The published reports the caller may run, by name."""
    require(ctx, "report", "read")
    labelling = _labelling(ctx, {})
    found = []
    for uid, body in ctx.config.reports.items():
        report = read_report(ctx.config, body)
        if report.problems or not _visible(ctx, report):
            continue
        found.append({"unique_id": uid, "name": labelling.text(body.get("name_i18n")),
                      "description": labelling.text(body.get("description_i18n")), "record_type": report.record_type,
                      "chart": report.chart, "on_dashboard": bool(ctx.principal and ctx.principal.role_id
                                                                 in body.get("on_dashboards", []))})
    return sorted(found, key=lambda item: item["name"].casefold())


def run_report(ctx: Context, report_id: str, exact: bool = False) -> dict[str, Any]:
    """A published report's result over the caller's scope; `exact` shows small counts (with the right, audited)."""
    require(ctx, "report", "read")
    if exact:
        require(ctx, "report", "view_small_counts")
    report = _published(ctx, report_id)
    result = _result(ctx, report, exact)
    audit(ctx, "report_exact" if exact else "report_run", REPORT, None, 200, report_id)
    return result


def preview_report(ctx: Context, body: Any) -> dict[str, Any]:
    """The result of an unsaved report document, over the draft configuration's fields (for its editor)."""
    require(ctx, "metadata", "manage")
    validate_document(REPORT, body)
    draft = draft_configuration(ctx.db)
    report = read_report(draft, body)
    if report.problems:
        raise _invalid(report)
    return _result(ctx, report, exact=False, config=draft)


def _labelling(ctx: Context, agencies: dict[str, dict[str, Any]], config=None) -> Labelling:
    default = LanguageSettings.of(ctx.settings).default
    return Labelling(config or ctx.config, ctx.locale or default, default, agencies)


def _agencies(ctx: Context) -> dict[str, dict[str, Any]]:
    items, _ = accounts_store.page(ctx.db, "agencies", None, 0, 0)
    return {agency["_id"]: agency for agency in items}


def _lookups(config, agencies: dict[str, dict[str, Any]], report: Report) -> Lookups:
    places = config.locations.places
    return Lookups(agency_types={uid: agency.get("agency_type") for uid, agency in agencies.items()
                                 if agency.get("agency_type")}, services=report.services,
                   parents={code: place.get("parent_code") for code, place in places.items()},
                   levels={code: place.get("admin_level") for code, place in places.items()})


def _result(ctx: Context, report: Report, exact: bool, config=None,
            agencies: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """A report counted over the caller's scope and shaped (`agencies`: read once by a caller counting several)."""
    config = config or ctx.config
    agencies = _agencies(ctx) if agencies is None else agencies
    facts = facts_of(ctx.db, ctx.config, report.record_type, extra=report.paths())
    lookups = _lookups(config, agencies, report)
    published = config is ctx.config
    with facts.lock:
        if published:   # its tally is kept up to date with the records
            tally = (content_hash(report.body), config.fingerprint, tuple(sorted(lookups.agency_types.items())))
            table = facts.table(report, lookups, tally, _scope(ctx))
        else:
            records = facts.scoped_records(_scope(ctx))
    if not published:   # a preview, counted once and unlocked: the cache replaces a changed record, never edits it
        table = count(report, records, lookups)
    labelling = _labelling(ctx, agencies, config)
    threshold = int(report.body.get("threshold") or ctx.settings["REPORT_THRESHOLD"])
    shaped = shape(report, table, labelling, threshold, exact)
    fresh = datetime.fromtimestamp(facts.refreshed_at, timezone.utc)
    body = report.body
    return {"unique_id": report.unique_id, "name": labelling.text(body.get("name_i18n")),
            "description": labelling.text(body.get("description_i18n")), "record_type": report.record_type,
            "chart": report.chart, "unit": report.unit, "measure": report.measure.get("kind", "count"),
            **shaped.body, "threshold": threshold, "suppressed_display": f"< {threshold}", "complement_display": COMPLEMENT_MARK,
            "exact": exact,
            "suppressed_cells": shaped.suppressed, "notes": notes(table, labelling, threshold, shaped.suppressed, exact),
            "computed_at": ctx.now, "fresh_as_of": fresh,
            "boundaries": _boundaries(config, report, {row["key"][0] for row in shaped.body["row_keys"]})}


def _boundaries(config, report: Report, codes: set[Any]) -> dict[str, Any] | None:
    """The shapes of the places a map's rows name, when the location hierarchies have them."""
    if report.chart != "map":
        return None
    shapes: dict[str, Any] = {}
    for hierarchy in config.documents_by_kind["location"].values():
        shapes.update({code: shape for code, shape in (hierarchy.get("boundaries") or {}).items() if code in codes})
    return shapes or None


def warm_up(ctx: Context) -> int:
    """Read the records and count every published report once (the operator's upkeep, not audited), so that the
    first person to open a report after a start does not wait for it; return how many reports were counted."""
    counted, agencies = 0, _agencies(ctx)
    for body in ctx.config.reports.values():
        report = read_report(ctx.config, body)
        if not report.problems:
            _result(ctx, report, exact=False, agencies=agencies)
            counted += 1
    return counted


@dataclass
class Export:
    """A report's file: its bytes, name and media type."""

    content: bytes
    filename: str
    media_type: str


def export_report(ctx: Context, report_id: str, file_format: str, exact: bool = False) -> Export:
    """A report's result as a file (xlsx with a native chart, csv, json): the aggregates and suppression marks only."""
    require(ctx, "report", "read")
    if exact:
        require(ctx, "report", "view_small_counts")
    report = _published(ctx, report_id)
    result = _result(ctx, report, exact)
    labelling = _labelling(ctx, {})
    content, media_type = write_report(result, file_format, labelling.locale, ctx.user_name)
    audit(ctx, "report_export", REPORT, None, 200, f"{report_id} {file_format}{' exact' if exact else ''}")
    return Export(content, f"{report_id}-{ctx.now:%Y%m%d}.{file_format}", media_type)


TEAM_COLUMNS = {"open_cases": _l("Open cases"), "overdue_tasks": _l("Overdue tasks"),
                "overdue_services": _l("Overdue services"), "pending_approvals": _l("Pending approvals")}
TEAM_TITLE = _l("My team's caseload")


def dashboard(ctx: Context) -> dict[str, Any]:
    """The caller's dashboard: the published reports shown on their role's dashboard, and a supervisor's team."""
    require(ctx, "report", "read")
    widgets: list[dict[str, Any]] = []
    role_id = ctx.principal.role_id if ctx.principal else None
    agencies = _agencies(ctx)
    for uid, body in sorted(ctx.config.reports.items()):
        if role_id not in body.get("on_dashboards", []):
            continue
        report = read_report(ctx.config, body)
        if not report.problems and _visible(ctx, report):
            widgets.append({"kind": "report", "result": _result(ctx, report, exact=False, agencies=agencies)})
    if ctx.principal and ctx.principal.scope == "group" and ctx.principal.can("case", "read"):
        widgets.append(_team(ctx))
    audit(ctx, "dashboard", REPORT, None, 200, f"{len(widgets)} widgets")
    return {"widgets": widgets}


def _team(ctx: Context) -> dict[str, Any]:
    """The open cases, overdue tasks and services, and pending approvals of each member of the caller's groups."""
    groups = list(ctx.principal.groups)
    members, _ = accounts_store.page(ctx.db, "users", Filter("user_groups", "in", groups), 0, 0) if groups else ([], 0)
    names = {user["_id"]: user.get("full_name") or user["_id"] for user in members if not user.get("disabled")}
    names.setdefault(ctx.user_name, ctx.user_name)
    rows = {name: {key: 0 for key in TEAM_COLUMNS} for name in names}
    today = ctx.now.date()
    facts = facts_of(ctx.db, ctx.config, "case")
    with facts.lock:
        records = facts.scoped_records(_scope(ctx))
    for record in records:
        row = rows.get(record.get("owned_by"))
        if row is None or record.get("status") != "open" or record.get("record_state") is False:
            continue
        row["open_cases"] += 1
        row["overdue_tasks"] += sum(1 for task in record.get("tasks") or () if _before(task.get("due"), today))
        row["overdue_services"] += sum(1 for service in record.get("services") or ()
                                       if not service.get("implemented") and _before(service.get("due"), today))
        row["pending_approvals"] += len(record.get("pending_approvals") or ())
    labelling = _labelling(ctx, {})
    ordered = sorted(rows, key=lambda name: str(names[name]).casefold())
    return {"kind": "team", "title": labelling.say(TEAM_TITLE),
            "columns": [{"key": key, "label": labelling.say(text)} for key, text in TEAM_COLUMNS.items()],
            "rows": [{"user_name": name, "full_name": names[name], **rows[name]} for name in ordered],
            "totals": {key: sum(rows[name][key] for name in rows) for key in TEAM_COLUMNS}}


def _before(value: Any, today) -> bool:
    day = day_of(value)
    return day is not None and day < today
