"""Reading the audit log (audit_log: read); what a reader may not see of it is redacted by server.auth.audit.

The export writes the filtered entries as CSV, in the reader's language (headers and actions as words), each
cell that a spreadsheet would read as a formula (= + - @, tab, carriage return) prefixed with a quote; the export
itself is audited.
"""
from __future__ import annotations

import csv
import io
from typing import Any

from server.auth.audit import list_events
from server.messages import _l, render
from server.services.audit import audit
from server.services.context import Context
from server.services.permission import require
from server.services.records import Page

EXPORT_LIMIT = 100_000  # entries in one CSV file: narrow the dates beyond
_CHUNK = 1000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# The actions the use cases write, as words (the admin UI's audit page and the CSV show these; others show their code).
ACTION_WORDS = {
    "login": _l("Logged in"), "login_failed": _l("Failed login"), "logout": _l("Logged out"),
    "token_revoked": _l("Token revoked"), "password_changed": _l("Password changed"),
    "locale_chosen": _l("Language chosen"), "csrf_refused": _l("Request without its security token refused"),
    "read": _l("Record read"), "create": _l("Record created"), "write": _l("Record changed"),
    "disable": _l("Record disabled"), "list": _l("Records listed"), "view_history": _l("Record history read"),
    "export": _l("Export started"), "export_download": _l("Export downloaded"),
    "audit_export": _l("Audit log exported"),
    "metadata_publish": _l("Configuration published"), "metadata_restore": _l("Version restored"),
    "user_created": _l("User created"), "user_updated": _l("User changed"),
    "user_create_refused": _l("User creation refused"), "user_update_refused": _l("User change refused"),
    "agencies_created": _l("Agency created"), "agencies_updated": _l("Agency changed"),
    "user_groups_created": _l("User group created"), "user_groups_updated": _l("User group changed"),
    "lockout_lifted": _l("Login delays lifted"),
    "role_created": _l("Role created"), "role_changed": _l("Role changed"), "role_deleted": _l("Role removed"),
    "role_changed_refused": _l("Role change refused"),
    "device_registered": _l("Device registered"), "device_revoked": _l("Device revoked"),
    "device_told_to_wipe": _l("Device told to erase its data"), "sync_pull": _l("Field sync: records pulled"),
    "attach": _l("File attached"), "detach": _l("File removed"), "download_attachment": _l("File downloaded"),
    "refer": _l("Case referred"), "transfer": _l("Case transferred"), "assign": _l("Case assigned"),
    "close": _l("Case closed"), "reopen": _l("Case reopened"), "flag": _l("Record flagged"),
    "retention_preview": _l("Retention rules previewed"), "retention_dry_run": _l("Retention dry run"),
    "retention_run": _l("Retention rules applied"), "pseudonymise": _l("Record pseudonymised (retention)"),
    "retention_delete": _l("Record deleted (retention)"), "subject_access": _l("Subject access archive made"),
    "consent_audit": _l("Consent audit read"), "consent_audit_export": _l("Consent audit exported"),
    "report_run": _l("Report viewed"), "report_exact": _l("Report viewed with exact small counts"),
    "report_export": _l("Report exported"), "dashboard": _l("Dashboard viewed"),
    "boundaries_imported": _l("Map shapes imported"),
}
# What an entry is about (its resource), as words.
ABOUT_WORDS = {
    "case": _l("Case"), "incident": _l("Incident"), "tracing_request": _l("Tracing request"), "user": _l("User"),
    "agency": _l("Agency"), "user_group": _l("User group"), "role": _l("Role"), "lookup": _l("Lookup"),
    "location": _l("Location"), "export": _l("Export"), "device": _l("Device"), "audit_log": _l("Audit log"),
    "data_protection": _l("Data protection"), "report": _l("Report"),
}
COLUMNS = (("at", _l("When (UTC)")), ("user_name", _l("User")), ("action", _l("Action")),
           ("code", _l("Action code")), ("resource", _l("About")), ("record_id", _l("Record")),
           ("status", _l("Result")), ("address", _l("Address")), ("detail", _l("Detail")))


def list_audit_log(ctx: Context, filters: dict[str, Any], page: int, per_page: int) -> Page:
    """A page of audit entries, newest first, filtered by user_name, action, record_id, from and to.

    Entries about records of a type the caller may not read with the scope "all" show who, what
    and when, but not which record (`redacted: true`); the operator sees every entry whole.
    """
    require(ctx, "audit_log", "read")
    items, total = list_events(ctx.db, filters, page, per_page, ctx.principal)
    return Page(items, total, page, per_page)


def export_audit_log(ctx: Context, filters: dict[str, Any]) -> str:
    """The filtered entries (newest first, at most EXPORT_LIMIT) as CSV text, redacted as the list is; audited."""
    require(ctx, "audit_log", "read")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([render(title, None, ctx.locale) for _, title in COLUMNS])
    written = 0
    for entry in _entries(ctx, filters):
        writer.writerow([safe_cell(value) for value in _row(entry, ctx.locale)])
        written += 1
    audit(ctx, "audit_export", "audit_log", detail=f"{written} entries; {_described(filters)}")
    return out.getvalue()


def _entries(ctx: Context, filters: dict[str, Any]):
    for number in range(1, EXPORT_LIMIT // _CHUNK + 1):
        items, total = list_events(ctx.db, filters, number, _CHUNK, ctx.principal)
        yield from items
        if number * _CHUNK >= total:
            return


def _row(entry: dict[str, Any], locale: str | None) -> list[Any]:
    at = entry["at"]
    return [at.strftime("%Y-%m-%d %H:%M:%S") if hasattr(at, "strftime") else at, entry.get("user_name"),
            _word(ACTION_WORDS, entry["action"], locale), entry["action"],
            _word(ABOUT_WORDS, entry.get("resource"), locale), entry.get("record_id"), entry.get("status"),
            entry.get("address"), entry.get("detail")]


def _word(words: dict[str, Any], code: str | None, locale: str | None) -> str | None:
    """The word of a code in `locale`; the code itself when it has none."""
    return render(words[code], None, locale) if code in words else code


def safe_cell(value: Any) -> str:
    """A cell's text that no spreadsheet runs as a formula (a quote before = + - @ and control characters)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _described(filters: dict[str, Any]) -> str:
    """The filters of an export, for its own audit entry: a record id only as "record_id filter", since the entry
    (about the audit log) is shown to readers who may not see that record."""
    shown = [f"{name}={value.isoformat() if hasattr(value, 'isoformat') else value}"
             for name, value in sorted(filters.items()) if value and name in ("user_name", "action", "from", "to")]
    if filters.get("record_id"):
        shown.append("record_id filter")
    return ", ".join(shown) or "no filter"
