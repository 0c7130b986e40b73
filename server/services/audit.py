"""The audit entry a use case writes: who, what, when, from where; never field values or passwords."""
from __future__ import annotations

from server.auth.audit import log_event
from server.services.context import Context


def audit(ctx: Context, action: str, resource: str | None = None, record_id: str | None = None,
          status: int | None = None, detail: str | None = None) -> None:
    """Append what `ctx`'s caller did to the audit log."""
    log_event(ctx.db, action=action, user_name=ctx.user_name, at=ctx.now, address=ctx.address, resource=resource,
              record_id=record_id, status=status, detail=detail, device_id=ctx.device_id)
