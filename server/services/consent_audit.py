"""Consent audit (data_protection: consent_audit): which records were shared with which organisation, under which
consent or override.

One row per referral and per transfer of a case (its `transitions`: who sent it, from and to which agency and user,
when, what became of it, whether a missing consent was overridden and why), with the values the case's consent
fields held at that moment (the module's workflow `consent`: for services, for sharing), read from the case's
history; and one row per export (who made it, their agency, when, which record type, and, while the job is kept,
whether the identifying fields were in it). Filtered by dates, agency (sending or receiving) and kind; newest first.
The CSV has the same rows in the reader's language, formula-safe like the audit log's. Both are audited.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Iterable

from server.messages import _l, render
from server.metadata.labels import resolve_text
from server.metadata.versions import LanguageSettings
from server.metadata.workflow import TRANSITIONS, workflow_of
from server.records.types import RECORD_TYPES
from server.services.audit import audit
from server.services.audit_log import safe_cell
from server.services.context import Context
from server.services.permission import require
from server.services.records import Page
from server.storage import data_protection as store, records as records_store
from server.storage.query import AllOf, Condition, Filter, Sort

PERMISSION = ("data_protection", "consent_audit")
RESOURCE = "data_protection"
KINDS = ("referral", "transfer", "export")
LIMIT = 100_000         # rows of one answer or file: narrow the dates beyond
HISTORY_BATCH = 500
CASE = RECORD_TYPES["case"]
KIND_WORDS = {"referral": _l("Referral"), "transfer": _l("Transfer"), "export": _l("Export")}
STATUS_WORDS = {"in_progress": _l("in progress"), "accepted": _l("accepted"), "rejected": _l("rejected"),
                "done": _l("done"), "revoked": _l("revoked"), "complete": _l("complete")}
IDENTIFYING_WORDS = {"include": _l("identifying fields included"), "hash": _l("pseudonymised"),
                     "drop": _l("identifying fields left out")}
COLUMNS = (("at", _l("When (UTC)")), ("kind", _l("What")), ("by", _l("By")), ("from_agency", _l("From agency")),
           ("to_agency", _l("To agency")), ("to_user", _l("To user")), ("record_type", _l("Record type")),
           ("display_id", _l("Record")), ("status", _l("Status")),
           ("consent_services", _l("Consent for services, then")),
           ("consent_sharing", _l("Consent to share, then")), ("consent_overridden", _l("Consent overridden")),
           ("override_reason", _l("Reason of the override")), ("identifying", _l("Identifying fields")))
ROW_KEYS = ("kind", "at", "by", "from_agency", "to_agency", "to_user", "to_role", "record_type", "record_id",
            "display_id", "status", "service_id", "consent_services", "consent_services_label", "consent_sharing",
            "consent_sharing_label", "consent_overridden", "override_reason", "export_id", "format", "identifying")


def consent_audit(ctx: Context, filters: dict[str, Any], page: int, per_page: int) -> Page:
    """A page of the rows the filters select (from, to, agency, kind), newest first."""
    require(ctx, *PERMISSION)
    rows = _rows(ctx, filters)
    audit(ctx, "consent_audit", RESOURCE, detail=f"{len(rows)} rows; {_described(filters)}")
    start = (page - 1) * per_page
    return Page(rows[start:start + per_page], len(rows), page, per_page)


def export_consent_audit(ctx: Context, filters: dict[str, Any]) -> str:
    """The rows the filters select as CSV text in the caller's language, each cell formula-safe; audited."""
    require(ctx, *PERMISSION)
    rows = _rows(ctx, filters)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([render(title, None, ctx.locale) for _, title in COLUMNS])
    for row in rows:
        writer.writerow([safe_cell(value) for value in _cells(row, ctx.locale)])
    audit(ctx, "consent_audit_export", RESOURCE, detail=f"{len(rows)} rows; {_described(filters)}")
    return out.getvalue()


def _rows(ctx: Context, filters: dict[str, Any]) -> list[dict[str, Any]]:
    kinds = [filters["kind"]] if filters.get("kind") else list(KINDS)
    rows = []
    if set(kinds) & {"referral", "transfer"}:
        rows += _transition_rows(ctx, filters, kinds)
    if "export" in kinds:
        rows += _export_rows(ctx, filters)
    rows = [row for row in rows if _agency_matches(row, filters.get("agency"))]
    rows.sort(key=lambda row: (row["at"], row["record_id"] or row["export_id"] or ""), reverse=True)
    return rows[:LIMIT]


def _agency_matches(row: dict[str, Any], agency: str | None) -> bool:
    return not agency or agency in (row["from_agency"], row["to_agency"])


def _in_dates(moment: Any, filters: dict[str, Any]) -> bool:
    if not isinstance(moment, datetime):
        return False
    return (not filters.get("from") or moment >= filters["from"]) and (not filters.get("to") or moment <= filters["to"])


def _cases_with_transitions(ctx: Context, filters: dict[str, Any]) -> list[dict[str, Any]]:
    conditions: list[Condition] = [Filter(f"{TRANSITIONS}.created_at", "exists", True)]
    if filters.get("from"):
        conditions.append(Filter(f"{TRANSITIONS}.created_at", "gte", filters["from"]))
    if filters.get("to"):
        conditions.append(Filter(f"{TRANSITIONS}.created_at", "lte", filters["to"]))
    return records_store.find_records(ctx.db, CASE.name, AllOf(*conditions), [Sort("_id")], LIMIT,
                                      ["short_id", CASE.display_id, "module_id", "owned_by_agency", TRANSITIONS])


def _transition_rows(ctx: Context, filters: dict[str, Any], kinds: list[str]) -> list[dict[str, Any]]:
    cases = _cases_with_transitions(ctx, filters)
    fields = _consent_fields(ctx, cases)
    history = _consent_history(ctx, [case["_id"] for case in cases], {name for pair in fields.values()
                                                                        for name in pair if name})
    labels = _option_labels(ctx)
    rows = []
    for case in cases:
        services_field, sharing_field = fields.get(case.get("module_id"), (None, None))
        for transition in case.get(TRANSITIONS) or ():
            if not isinstance(transition, dict) or transition.get("type") not in kinds \
                    or not _in_dates(transition.get("created_at"), filters):
                continue
            then = transition["created_at"]
            services = _value_then(history.get(case["_id"], ()), services_field, then)
            sharing = _value_then(history.get(case["_id"], ()), sharing_field, then)
            rows.append(_row(kind=transition["type"], at=then, by=transition.get("created_by"),
                             from_agency=transition.get("from_agency"), to_agency=transition.get("to_agency"),
                             to_user=transition.get("to_user"), to_role=transition.get("to_role"),
                             record_type=CASE.name, record_id=case["_id"],
                             display_id=case.get(CASE.display_id) or case.get("short_id"),
                             status=transition.get("status"), service_id=transition.get("service_id"),
                             consent_services=services, consent_services_label=labels(services_field, services),
                             consent_sharing=sharing, consent_sharing_label=labels(sharing_field, sharing),
                             consent_overridden=bool(transition.get("consent_overridden")),
                             override_reason=transition.get("override_reason")))
    return rows


def _row(**values: Any) -> dict[str, Any]:
    """A row with every key (null where it says nothing)."""
    return {key: values.get(key) for key in ROW_KEYS}


def _consent_fields(ctx: Context, cases: Iterable[dict[str, Any]]) -> dict[str, tuple[str | None, str | None]]:
    """{module: (the consent field for services, the one for sharing)} of the cases' modules."""
    found = {}
    for module_id in {case.get("module_id") for case in cases}:
        workflow = workflow_of(ctx.config, module_id)
        consent = workflow.consent if workflow else {}
        found[module_id] = tuple(consent[kind].field if kind in consent else None for kind in ("services", "sharing"))
    return found


def _consent_history(ctx: Context, case_ids: list[str], fields: set[str]) -> dict[str, list[dict[str, Any]]]:
    """{case: the history entries that changed a consent field, oldest first}, read a batch of cases at a time."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not fields:
        return found
    for start in range(0, len(case_ids), HISTORY_BATCH):
        for entry in store.history_of(ctx.db, case_ids[start:start + HISTORY_BATCH], fields):
            found.setdefault(entry["record_id"], []).append(entry)
    return found


def _value_then(entries: Iterable[dict[str, Any]], name: str | None, moment: datetime) -> Any:
    """The value the field held at `moment`: what the last change before it set (None: never set by then)."""
    value = None
    for entry in entries:
        at = entry.get("at")
        change = (entry.get("changes") or {}).get(name) if name else None
        if isinstance(at, datetime) and at <= moment and isinstance(change, dict) and "to" in change:
            value = change["to"]
    return value


def _option_labels(ctx: Context):
    """labels(field, value): the label of a case field's option in the caller's language (None: no such option)."""
    default = LanguageSettings.of(ctx.settings).default
    locale = ctx.locale or default
    fields = {field["name"]: field for _, form in ctx.config.forms_of(CASE.name) for field in form["fields"]}

    def labels(name: str | None, value: Any) -> str | None:
        field = fields.get(name or "")
        if field is None or value is None:
            return None
        source = field.get("option_strings_source")
        options = (ctx.config.lookups.get(source.split(" ", 1)[1], {}).get("lookup_values_i18n", []) if source
                   else field.get("option_strings_text_i18n", []))
        return next((resolve_text(option["display_text"], locale, default) for option in options
                     if option.get("id") == value), None)
    return labels


def _export_rows(ctx: Context, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per export asked for (the audit log's "export" entries): by whom, their agency, when, what."""
    entries = store.audit_entries(ctx.db, ["export"], filters.get("from"), filters.get("to"), LIMIT)
    agencies = store.agencies_of(ctx.db, {entry["user_name"] for entry in entries if entry.get("user_name")})
    jobs = store.export_jobs(ctx.db, [entry["record_id"] for entry in entries if entry.get("record_id")])
    rows = []
    for entry in entries:
        job = jobs.get(entry.get("record_id") or "", {})
        rows.append(_row(kind="export", at=entry["at"], by=entry.get("user_name"),
                         to_agency=agencies.get(entry.get("user_name")), to_user=entry.get("user_name"),
                         record_type=entry.get("resource"), export_id=entry.get("record_id"), status="complete"
                         if job.get("status") == "complete" else None, format=entry.get("detail"),
                         identifying=job.get("identifying", "include") if job else None))
    return rows


def _cells(row: dict[str, Any], locale: str | None) -> list[Any]:
    def word(words: dict[str, Any], code: Any) -> Any:
        return render(words[code], None, locale) if code in words else code
    at = row["at"]
    return [at.strftime("%Y-%m-%d %H:%M:%S") if hasattr(at, "strftime") else at, word(KIND_WORDS, row["kind"]),
            row["by"], row["from_agency"], row["to_agency"], row["to_user"],
            word({name: record_type.label for name, record_type in RECORD_TYPES.items()}, row["record_type"]),
            row["display_id"] or row["export_id"], word(STATUS_WORDS, row["status"]),
            row["consent_services_label"] or row["consent_services"],
            row["consent_sharing_label"] or row["consent_sharing"],
            render(_l("Yes") if row["consent_overridden"] else _l("No"), None, locale)
            if row["kind"] != "export" else None,
            row["override_reason"], word(IDENTIFYING_WORDS, row["identifying"])]


def _described(filters: dict[str, Any]) -> str:
    """The filters, for the audit entry (dates, an agency id, a kind: no record)."""
    shown = [f"{name}={value.isoformat() if hasattr(value, 'isoformat') else value}"
             for name, value in sorted(filters.items()) if value and name in ("from", "to", "agency", "kind")]
    return ", ".join(shown) or "no filter"
