"""XLSForm use cases: a record type's published forms as a workbook, and a workbook into the draft.

Both need `metadata: manage`, checked before anything is read. An import adds new documents to the
draft only (published data never change): the whole set is checked with the draft first, and is
stored whole or not at all; a dry run only reports. Both are written to the audit log.
"""
from __future__ import annotations

import contextlib
import copy
from typing import Any

from server.interop.xlsform import Report
from server.interop.xlsform_export import write_xlsform
from server.interop.xlsform_import import Plan, plan_import
from server.interop.xlsform_reader import read_sheets
from server.metadata import draft as drafts
from server.metadata.checks import ERROR, CheckContext, run_checks
from server.metadata.configuration import Configuration
from server.metadata.documents import validate_document
from server.metadata.versions import check_context, checks_failed
from server.services.audit import audit
from server.services.configuration import MANAGE, languages_of
from server.services.context import Context
from server.services.permission import require_any


def export_workbook(ctx: Context, record_type: str) -> tuple[bytes, Report]:
    """The XLSForm workbook of a record type's published forms (its report in ctx's language is its last sheet)."""
    require_any(ctx, MANAGE)
    data, report = write_xlsform(ctx.config, record_type, languages_of(ctx), ctx.locale)
    audit(ctx, "metadata_xlsform_export", detail=f"{record_type}, version {ctx.config.version}")
    return data, report


def import_workbook(ctx: Context, data: bytes, record_type: str, dry_run: bool = False) -> dict[str, Any]:
    """Add the forms (and lookups) of an XLSForm workbook to the draft of a record type; answer the report."""
    require_any(ctx, MANAGE)
    sheets = read_sheets(data)
    languages = languages_of(ctx)
    # A publish never sees half of the forms added (a dry run changes nothing: it holds nothing either).
    with contextlib.nullcontext() if dry_run else drafts.one_change_at_a_time(ctx.db):
        draft = drafts.draft_configuration(ctx.db)
        checks = check_context(ctx.db, ctx.config, languages)
        plan = plan_import(sheets, record_type, draft, languages, set(checks.published_fields.get(record_type, {})))
        for kind, _, body in plan.documents:
            validate_document(kind, body)
        _refuse_new_errors(draft, plan, checks)
        if not dry_run:
            _store(ctx, plan)
            audit(ctx, "metadata_xlsform_import", detail=f"{record_type}: {len(plan.documents)} documents")
    return {"record_type": record_type, "dry_run": dry_run,
            "documents": [{"kind": kind, "unique_id": uid} for kind, uid, _ in plan.documents],
            "report": plan.report.as_json(ctx.locale)}


def _refuse_new_errors(draft: Configuration, plan: Plan, checks: CheckContext) -> None:
    """Refuse the whole import if, added to the draft, it would bring check errors the draft does not have."""
    known = {(p.code, p.document, p.path) for p in run_checks(draft, checks) if p.severity == ERROR}
    after = copy.deepcopy(draft)
    for kind, uid, body in plan.documents:
        after.documents_by_kind[kind][uid] = body
    problems = run_checks(after, checks)
    if any(p.severity == ERROR and (p.code, p.document, p.path) not in known for p in problems):
        raise checks_failed([p for p in problems if (p.code, p.document, p.path) not in known])


def _store(ctx: Context, plan: Plan) -> None:
    """Add the documents one by one (lookups, nested forms, forms); on a refusal, take back those added."""
    added: list[tuple[str, str]] = []
    try:
        for kind, uid, body in plan.documents:
            drafts.create_document(ctx.db, kind, body, languages_of(ctx), ctx.user_name, ctx.now)
            added.append((kind, uid))
    except Exception:  # noqa: BLE001 - whatever stopped it (a refusal, the database), no half import stays
        for kind, uid in reversed(added):
            drafts.delete_document(ctx.db, kind, uid, None, languages_of(ctx))
        raise
