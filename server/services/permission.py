"""The first step of every use case: may the caller do this at all (before anything is looked up)."""
from __future__ import annotations

from server.auth import require_right
from server.services.context import Context


def require(ctx: Context, resource: str, action: str) -> None:
    """Refuse (403) unless the caller's role may do `action` on `resource`; the operator may do everything."""
    if ctx.principal is not None:
        require_right(ctx.principal, resource, action)
