"""The callers the use-case tests act as (a signed-in user, the operator, someone not signed in) and what they leave
in the audit log."""
from __future__ import annotations

from server.auth import principal_for_user
from server.services.context import Context, command_line_context
from server.storage import get_db

ADDRESS = "192.0.2.7"


def as_user(app, user_name: str, address: str = ADDRESS, **settings) -> Context:
    """`user_name` calling from `address`, with their current role (settings: overrides of the app's)."""
    db = get_db()
    return Context(db=db, settings={**app.config, **settings}, principal=principal_for_user(db, user_name),
                   user_name=user_name, address=address)


def operator(app) -> Context:
    """The machine's operator at the command line."""
    return command_line_context(get_db(), app.config)


def visitor(app, address: str = ADDRESS) -> Context:
    """Someone not logged in yet (the context of a login request)."""
    return Context(db=get_db(), settings=app.config, address=address)


def audited(ctx: Context, count: int = 1) -> list[tuple]:
    """The last `count` audit entries: who, what, which resource and record, status, detail, from where."""
    entries = list(ctx.db.audit_log.find())[-count:]
    return [(e["user_name"], e["action"], e["resource"], e["record_id"], e["status"], e["detail"], e["address"])
            for e in entries]
