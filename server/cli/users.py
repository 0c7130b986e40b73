"""`abri users`: the first administrator, users created and disabled by the machine's operator."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import click
from flask.cli import with_appcontext

from server.auth import accounts
from server.auth.audit import log_event
from server.auth.rights import count_administrators
from server.metadata.bootstrap import SYSTEM_USER
from server.metadata.versions import published_configuration
from server.storage import get_db


@click.group("users")
def users() -> None:
    """Create and disable users, and the first administrator.

    The command line is the machine operator's: it may give any role and disable anyone, the last
    system administrator included (after a warning), since it can always create one again.
    """


@users.command("create-admin")
@click.option("--user-name", default=accounts.ADMIN_USER, show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Long, not common, without the user's name (asked for when not given).")
@with_appcontext
def create_admin(user_name: str, password: str) -> None:
    """Create a system administrator."""
    _create_user(user_name, password, accounts.ADMIN_ROLE, None)


@users.command("create")
@click.argument("user_name")
@click.option("--role", "role_id", required=True, help="Role unique_id, e.g. role-case-worker.")
@click.option("--agency", default=None, help="Agency unique_id.")
@click.option("--full-name", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def create_user(user_name: str, role_id: str, agency: str | None, full_name: str | None, password: str) -> None:
    """Create a user with a role (and an agency)."""
    _create_user(user_name, password, role_id, agency, full_name)


def _create_user(user_name: str, password: str, role_id: str, agency: str | None, full_name: str | None = None) -> None:
    now = datetime.now(timezone.utc)
    user = accounts.create_user(get_db(), published_configuration(get_db()),
                                {"user_name": user_name, "password": password, "role_unique_id": role_id,
                                 "agency_unique_id": agency, "full_name": full_name}, now)
    log_event(get_db(), action="user_created", user_name=SYSTEM_USER, at=now, address="cli", resource="user",
              record_id=user["_id"], detail=f"role_unique_id={json.dumps(role_id)}; agency_unique_id={json.dumps(agency)}")
    click.echo(f"Created user {user['_id']} with role {role_id}.")


@users.command("disable")
@click.argument("user_name")
@with_appcontext
def disable_user(user_name: str) -> None:
    """Disable a user and end all their sessions."""
    db, now = get_db(), datetime.now(timezone.utc)
    user = accounts.update_user(db, published_configuration(db), user_name, {"disabled": True}, now)
    log_event(db, action="user_updated", user_name=SYSTEM_USER, at=now, address="cli", resource="user",
              record_id=user["_id"], detail="disabled=true")
    click.echo(f"Disabled user {user['_id']}; their tokens and sessions are revoked.")
    if not count_administrators(db, published_configuration(db)):
        click.echo("Warning: no active system administrator remains; create one with `abri users create-admin`.",
                   err=True)
