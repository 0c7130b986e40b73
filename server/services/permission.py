"""The first step of every use case: may the caller do this at all (before anything is looked up)."""
from __future__ import annotations

from server.auth import require_right
from server.errors import Unauthorized
from server.services.context import Context


def require_signed_in(ctx: Context) -> None:
    """Refuse (401) a caller who is neither signed in nor the operator (a use case of one's own things)."""
    if ctx.is_anonymous:
        raise Unauthorized()


def require(ctx: Context, resource: str, action: str) -> None:
    """Refuse (403) unless the caller's role may do `action` on `resource`; the operator may do everything."""
    require_any(ctx, (resource, action))


def require_any(ctx: Context, *pairs: tuple[str, str]) -> None:
    """Refuse (403, worded for the first pair) unless the caller may do one of the (resource, action) pairs."""
    if ctx.is_operator:
        return
    if ctx.principal is None:
        raise Unauthorized()
    if not any(ctx.principal.can(*pair) for pair in pairs):
        require_right(ctx.principal, *pairs[0])
