"""Users, agencies and user groups: list, read, create, edit; a user disabled by the operator.

Each use case: permission (user: manage; agency: manage for agencies) -> domain (server.auth.accounts,
where server.auth.rights decides who may give which rights; the operator, principal None, may give
any role and disable anyone) -> storage -> audit -> upkeep (the domain ends the sessions and tokens
of a user disabled or given a new password, and of the users of an agency disabled).

The audit log gets `<noun>_created` / `<noun>_updated` with a summary of what was asked (the rights
with their values, the other fields by name only: never a password), and a refused change of
rights (403, 409) as `<noun>_create_refused` / `<noun>_update_refused` with the error code and the
same summary, whoever calls: the API, the command line ("system", from "cli") or a worker.
A lockout lifted is `lockout_lifted`. Reads and lists are not audited.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from server.auth import accounts, tokens
from server.auth.names import normalize_user_name
from server.auth.passwords import MIN_LENGTH
from server.auth.rights import RIGHTS, check_user_edit, count_administrators
from server.errors import Conflict, Detail, Error, Forbidden, Unprocessable
from server.services.audit import audit
from server.services.context import Context
from server.services.permission import require
from server.services.records import Page
from server.rules import Rule

USERS, AGENCIES, USER_GROUPS = "users", "agencies", "user_groups"
RESOURCES = {USERS: "user", AGENCIES: "agency", USER_GROUPS: "user_group"}     # the audit log's resource
ACTIONS = {USERS: "user", AGENCIES: "agencies", USER_GROUPS: "user_groups"}   # the audit actions' prefix
PERMISSIONS = {USERS: ("user", "manage"), AGENCIES: ("agency", "manage"), USER_GROUPS: ("user", "manage")}
AUDITED_REFUSALS = (Forbidden, Conflict)  # a change of rights refused: who tried to give what to whom


@dataclass(frozen=True)
class Disabled:
    """A user disabled, and how many active system administrators remain (the operator may leave none)."""

    user: dict[str, Any]
    administrators_left: int


def summary(data: dict[str, Any]) -> str:
    """What a change asks for: the rights with their values, other fields by name only (never a password)."""
    rights = [f"{key}={json.dumps(data[key])}" for key in RIGHTS if key in data]
    return "; ".join(rights + sorted(key for key in data if key not in RIGHTS and key != "user_name"))


@contextmanager
def _refusal_audited(ctx: Context, action: str, kind: str, key: str, data: dict[str, Any]) -> Iterator[None]:
    """Audit a refused change of rights (403, 409) with who, what and to whom, then let the refusal through."""
    try:
        yield
    except AUDITED_REFUSALS as error:
        audit(ctx, f"{action}_refused", RESOURCES[kind], key, status=error.status,
              detail=f"{error.code}: {summary(data)}")
        raise


def password_min_length(ctx: Context) -> int:
    """The deployment's PASSWORD_MIN_LENGTH, as the caller's settings say."""
    return ctx.settings.get("PASSWORD_MIN_LENGTH", MIN_LENGTH)


def _key(kind: str, key: str) -> str:
    """A user name in its normal form (case and width do not make another name); other ids as given."""
    return normalize_user_name(key) if kind == USERS else key


def list_accounts(ctx: Context, kind: str, page: int, per_page: int, disabled: bool | None = None) -> Page:
    """A page of users, agencies or user groups (only the disabled ones, or only the others, if asked)."""
    require(ctx, *PERMISSIONS[kind])
    filters = {} if disabled is None else {"disabled": disabled}
    items, total = accounts.list_entities(ctx.db, kind, filters, page, per_page)
    return Page([accounts.present(kind, item) for item in items], total, page, per_page)


def read_account(ctx: Context, kind: str, key: str) -> dict[str, Any]:
    """One user, agency or user group (never a password hash)."""
    require(ctx, *PERMISSIONS[kind])
    return accounts.present(kind, accounts.get(ctx.db, kind, _key(kind, key)))


def create_user(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create a user with a role the caller may assign (any role for the operator)."""
    require(ctx, *PERMISSIONS[USERS])
    with _refusal_audited(ctx, "user_create", USERS, normalize_user_name(data["user_name"]), data):
        user = accounts.create_user(ctx.db, ctx.config, data, ctx.now, ctx.principal, password_min_length(ctx))
    audit(ctx, "user_created", RESOURCES[USERS], user["_id"], detail=summary(data))
    return accounts.present_user(user)


def update_user(ctx: Context, user_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """Edit, disable, or reset the password of a user; the last two end the user's sessions and tokens.

    A caller with a principal changes nobody's rights above their own nor their own, and never
    leaves no active system administrator; the operator may.
    """
    require(ctx, *PERMISSIONS[USERS])
    key = normalize_user_name(user_name)
    with _refusal_audited(ctx, "user_update", USERS, key, data):
        user = accounts.update_user(ctx.db, ctx.config, key, data, ctx.now, ctx.principal, password_min_length(ctx))
    audit(ctx, "user_updated", RESOURCES[USERS], key, detail=summary(data))
    return accounts.present_user(user)


def disable_user(ctx: Context, user_name: str) -> Disabled:
    """Disable a user (their sessions and tokens end) and tell how many system administrators remain."""
    user = update_user(ctx, user_name, {"disabled": True})
    return Disabled(user, count_administrators(ctx.db, ctx.config))


def lift_lockout(ctx: Context, user_name: str) -> dict[str, Any]:
    """Forget every failed login on a user's account, from every source: they may log in at once from anywhere.

    A caller with a principal may do it only for a user whose role theirs may assign.
    """
    require(ctx, *PERMISSIONS[USERS])
    key = normalize_user_name(user_name)
    user = accounts.get(ctx.db, USERS, key)
    if not ctx.is_operator:
        check_user_edit(ctx.config, ctx.principal, user, {})
    tokens.lift_lockout(ctx.db, key)
    audit(ctx, "lockout_lifted", RESOURCES[USERS], key)
    return accounts.present_user(user)


AGENCY_TYPES = "lookup-agency-type"


def _check_agency_type(ctx: Context, kind: str, data: dict[str, Any]) -> None:
    """An agency's type is one of the lookup's values (reports count referrals by it)."""
    chosen = data.get("agency_type")
    if kind != "agencies" or chosen is None:
        return
    allowed = [value["id"] for value in ctx.config.lookups.get(AGENCY_TYPES, {}).get("lookup_values_i18n", [])]
    if chosen not in allowed:
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/agency_type", Rule.ENUM, allowed=", ".join(allowed))])


def create_entity(ctx: Context, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Create an agency or a user group."""
    require(ctx, *PERMISSIONS[kind])
    _check_agency_type(ctx, kind, data)
    entity = accounts.create_entity(ctx.db, kind, data, ctx.now)
    audit(ctx, f"{ACTIONS[kind]}_created", RESOURCES[kind], entity["_id"], detail=summary(data))
    return accounts.present(kind, entity)


def update_entity(ctx: Context, kind: str, key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Edit an agency or a user group; disabling an agency refuses its users' logins and ends their sessions."""
    require(ctx, *PERMISSIONS[kind])
    _check_agency_type(ctx, kind, data)
    with _refusal_audited(ctx, f"{ACTIONS[kind]}_update", kind, key, data):
        entity = accounts.update_entity(ctx.db, kind, key, data, ctx.config, ctx.principal)
    audit(ctx, f"{ACTIONS[kind]}_updated", RESOURCES[kind], key, detail=summary(data))
    return accounts.present(kind, entity)
