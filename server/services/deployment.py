"""The first start of a server, and every start after it: the machine operator's use case behind `abri serve`.

The deployment (its country profile and languages) is recorded once, the shipped configuration is
published as version 1 (audited like any publish), the profile's agencies are created, the record
indexes are kept up to date and, when there is no user yet, the administrator is created.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from server.auth import accounts
from server.deployment import Start, start_deployment
from server.errors import AbriError, Forbidden
from server.services.audit import audit
from server.services.configuration import refresh_after_publish
from server.services.context import Context


@dataclass(frozen=True)
class Started:
    """What a start found or did, and the administrator it created (with the password it generated, if any)."""

    start: Start
    admin_created: bool = False
    admin_password: str | None = None


def start_server(ctx: Context, app: Flask) -> Started:
    """Record or read the deployment, publish on first start, keep the indexes, make the first administrator."""
    if not ctx.is_operator:
        raise Forbidden()  # only whoever runs the server starts it
    start = start_deployment(app, ctx.now)
    if start.version:
        audit(ctx, "metadata_publish", detail=f"version {start.version}")
    refresh_after_publish(ctx)
    try:
        created, generated = accounts.ensure_admin(ctx.db, ctx.config, ctx.settings["ADMIN_PASSWORD"] or None,
                                                   ctx.now)
    except AbriError as error:
        if error.code != "ALREADY_EXISTS":
            raise
        created, generated = False, None  # another process starting at the same moment made it
    return Started(start, created, generated)
