"""Alert the people an action concerns (server/workflow/alerts.py says who), once the action has committed.

An alert that cannot be written (the database went away in between) is logged and dropped, never turned into an
error for an action that was saved.
"""
from __future__ import annotations

import logging
from typing import Any

from server.records.types import RecordType
from server.services.context import Context
from server.storage import StorageUnavailable, alerts as store
from server.workflow import alerts as who
from server.workflow.alerts import Alert

log = logging.getLogger(__name__)


def notify(ctx: Context, record_type: RecordType, record: dict[str, Any], alerts: list[Alert]) -> None:
    """Write the alerts (not to the one who acted), each marked for e-mail when mail is on; a failure is logged."""
    mail = bool(ctx.settings.get("SMTP_HOST"))
    for alert in alerts:
        if not alert.user or alert.user == ctx.user_name:
            continue
        document = alert.document(record_type, record, ctx.user_name, ctx.now)
        if mail:
            document.update({"mail": store.MAIL_PENDING, "mail_after": ctx.now})
        try:
            store.add_alert(ctx.db, document, alert.kind in who.COALESCED)
        except StorageUnavailable:
            log.exception("alert %s to %s on %s %s not written", alert.kind, alert.user, record_type.name,
                          record["_id"])
