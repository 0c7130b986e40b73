"""`abri users`: the first administrator, users created and disabled by the machine's operator.

The commands act as the operator (user "system", from "cli") through the use cases of
server.services.accounts, so a user created or disabled here is audited as one from the API.
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from server.auth.accounts import ADMIN_ROLE, ADMIN_USER
from server.services import accounts as use_cases
from server.services.context import Context, command_line_context
from server.storage import get_db


def _context() -> Context:
    return command_line_context(get_db(), current_app.config)


@click.group("users")
def users() -> None:
    """Create and disable users, and the first administrator.

    The command line is the machine operator's: it may give any role and disable anyone, the last
    system administrator included (after a warning), since it can always create one again.
    """


@users.command("create-admin")
@click.option("--user-name", default=ADMIN_USER, show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Long, not common, without the user's name (asked for when not given).")
@with_appcontext
def create_admin(user_name: str, password: str) -> None:
    """Create a system administrator."""
    _create_user(user_name, password, ADMIN_ROLE, None)


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
    # Only what was given, as an API client would send it: the audit entry says what was asked.
    given = {"agency_unique_id": agency, "full_name": full_name}
    user = use_cases.create_user(_context(), {"user_name": user_name, "password": password, "role_unique_id": role_id,
                                              **{key: value for key, value in given.items() if value is not None}})
    click.echo(f"Created user {user['user_name']} with role {role_id}.")


@users.command("disable")
@click.argument("user_name")
@with_appcontext
def disable_user(user_name: str) -> None:
    """Disable a user and end all their sessions."""
    disabled = use_cases.disable_user(_context(), user_name)
    click.echo(f"Disabled user {disabled.user['user_name']}; their tokens and sessions are revoked.")
    if not disabled.administrators_left:
        click.echo("Warning: no active system administrator remains; create one with `abri users create-admin`.",
                   err=True)


@users.command("unlock")
@click.argument("user_name")
@with_appcontext
def unlock_user(user_name: str) -> None:
    """Forget a user's failed logins, so they may log in at once from any device."""
    user = use_cases.lift_lockout(_context(), user_name)
    click.echo(f"Forgot the failed logins of {user['user_name']}; they may log in at once.")
