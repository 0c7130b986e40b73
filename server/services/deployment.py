"""The first start of a server, and every start after it: the machine operator's use case behind `abri serve`.

The deployment (its country profile and languages) is recorded once, the shipped configuration is
published as version 1, the profile's agencies are created, the record indexes are kept up to date
and, when there is no user yet, the administrator is created. What it publishes and creates is
audited as the same act from the API or `abri users`/`abri agencies` would be, by "system" from "cli".
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from server.auth import accounts
from server.deployment import Start, start_deployment
from server.errors import AbriError, Forbidden
from server.metadata.files import read_profile
from server.services.accounts import ACTIONS, AGENCIES, RESOURCES, USERS, summary
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
    if start.agencies:
        _audit_agencies(ctx, start)
    refresh_after_publish(ctx)
    try:
        created, generated = accounts.ensure_admin(ctx.db, ctx.config, ctx.settings["ADMIN_PASSWORD"] or None,
                                                   ctx.now, ctx.settings["PASSWORD_MIN_LENGTH"])
    except AbriError as error:
        if error.code != "ALREADY_EXISTS":
            raise
        created, generated = False, None  # another process starting at the same moment made it
    if created:  # the fields ensure_admin gives (a summary names them, and gives the role's value)
        audit(ctx, f"{ACTIONS[USERS]}_created", RESOURCES[USERS], accounts.ADMIN_USER, detail=summary(
            {"full_name": "Administrator", "password": "", "role_unique_id": accounts.ADMIN_ROLE, "locale": None}))
    return Started(start, created, generated)


def _audit_agencies(ctx: Context, start: Start) -> None:
    """Audit the profile's agencies this start created, as `abri agencies create` audits one."""
    for agency in read_profile(ctx.settings["METADATA_DIR"], start.deployment["profile"]).get("agencies", []):
        if agency["unique_id"] in start.agencies:
            audit(ctx, f"{ACTIONS[AGENCIES]}_created", RESOURCES[AGENCIES], agency["unique_id"],
                  detail=summary(agency))
