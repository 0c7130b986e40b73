"""Reading the audit log (audit_log: read); what a reader may not see of it is redacted by server.auth.audit."""
from __future__ import annotations

from typing import Any

from server.auth.audit import list_events
from server.services.context import Context
from server.services.permission import require
from server.services.records import Page


def list_audit_log(ctx: Context, filters: dict[str, Any], page: int, per_page: int) -> Page:
    """A page of audit entries, newest first, filtered by user_name, action, record_id, from and to.

    Entries about records of a type the caller may not read with the scope "all" show who, what
    and when, but not which record (`redacted: true`); the operator sees every entry whole.
    """
    require(ctx, "audit_log", "read")
    items, total = list_events(ctx.db, filters, page, per_page, ctx.principal)
    return Page(items, total, page, per_page)
