"""Users, agencies, groups, tokens and the permission evaluator: who may do what, with no HTTP here.

A request is authenticated at the edge (server.api.authentication); a use case checks the rights of
its caller's principal with `require_right`, and work done outside a request (the export worker)
acts for a user through `principal_for_user`.
"""
from __future__ import annotations

from server.auth.permissions import Principal, principal_from_role
from server.auth.rights import is_active
from server.errors import Error, Forbidden
from server.metadata.bootstrap import SYSTEM_USER  # noqa: F401  (re-exported: who writes unattended)
from server.metadata.versions import published_configuration
from server.storage import Database, auth as store



def require_right(principal: Principal, resource: str, action: str) -> None:
    """Refuse (403) unless `principal`'s role may do `action` on `resource`."""
    if not principal.can(resource, action):
        raise Forbidden(Error.ACTION_DENIED, action=action, resource=resource)


def principal_for_user(db: Database, user_name: str) -> Principal:
    """The principal of a user by name, from their current role (for work done outside a request)."""
    user = store.find(db, "users", user_name)
    if user is None or not is_active(db, user):
        raise Forbidden(Error.USER_DISABLED, user=user_name)
    return principal_from_role(user, published_configuration(db).roles.get(user.get("role") or ""))


__all__ = ["Principal", "SYSTEM_USER", "principal_for_user", "require_right"]
