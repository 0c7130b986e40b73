"""Users, agencies and user groups: create, edit, disable; the bootstrap administrator.

User names are stored in their normal form (server.auth.names); who may change whose rights is
decided by server.auth.rights (`actor=None`: the machine operator, from the command line).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from server.messages import _l

from server.auth import rights
from server.auth.names import is_valid_user_name, normalize_user_name
from server.auth.passwords import MIN_LENGTH, RULES, find_weakness, hash_password, random_password, \
    verify_password
from server.auth.permissions import Principal
from server.auth.tokens import lift_lockout, revoke_user_tokens
from server.errors import Conflict, Detail, Error, NotFound, Unprocessable
from server.metadata.configuration import Configuration
from server.rules import Rule
from server.storage import Database, DuplicateKey, auth as store

ADMIN_USER = "admin"
ADMIN_ROLE = "role-system-administrator"
LABELS = {"users": _l("User"), "agencies": _l("Agency"), "user_groups": _l("User group")}
RESERVED_NAMES = frozenset({"current", "system"})  # a route (/users/current) and the name of unattended writes
ENTITY_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")       # agencies and user groups, matched as a whole string


def present_user(user: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a user (never the password hash)."""
    return {"user_name": user["_id"], "full_name": user.get("full_name"), "email": user.get("email"),
            "locale": user.get("locale"), "role_unique_id": user.get("role"),
            "agency_unique_id": user.get("agency"), "user_group_unique_ids": user.get("user_groups", []),
            "disabled": user.get("disabled", False), "created_at": user.get("created_at"),
            "password_changed_at": user.get("password_changed_at")}


def present(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    if kind == "users":
        return present_user(document)
    return {"unique_id": document["_id"], **{k: v for k, v in document.items() if k != "_id"}}


def get(db: Database, kind: str, key: str) -> dict[str, Any]:
    document = store.find(db, kind, key)
    if document is None:
        raise NotFound(kind=LABELS[kind], id=key)
    return document


def _check_password(password: str, field: str = "/password", names: tuple[str | None, ...] = (),
                    min_length: int = MIN_LENGTH) -> None:
    """Refuse a password that breaks the policy of server.auth.passwords (422 naming the field and the rule)."""
    weakness = find_weakness(password, names, min_length)
    if weakness is None:
        return
    error = Error.PASSWORD_TOO_SHORT if weakness.rule == "min_length" else Error.PASSWORD_TOO_WEAK
    raise Unprocessable(error, details=[Detail.of(field, RULES[weakness.rule], **weakness.params)])


def _check_references(db: Database, config: Configuration, data: dict[str, Any]) -> None:
    details = []
    if "role_unique_id" in data and data["role_unique_id"] not in config.roles:
        details.append(Detail.of("/role_unique_id", Rule.ROLE_UNKNOWN, id=data["role_unique_id"]))
    if data.get("agency_unique_id") and store.find(db, "agencies", data["agency_unique_id"]) is None:
        details.append(Detail.of("/agency_unique_id", Rule.AGENCY_UNKNOWN, id=data["agency_unique_id"]))
    for position, group in enumerate(data.get("user_group_unique_ids") or []):
        if store.find(db, "user_groups", group) is None:
            details.append(Detail.of(f"/user_group_unique_ids/{position}", Rule.USER_GROUP_UNKNOWN, id=group))
    if details:
        raise Unprocessable(Error.BODY_INVALID, details=details)


_USER_FIELDS = {"full_name": "full_name", "email": "email", "locale": "locale", "role_unique_id": "role",
                "agency_unique_id": "agency", "user_group_unique_ids": "user_groups", "disabled": "disabled"}


def _check_user_name(name: str) -> None:
    if not is_valid_user_name(name) or name in RESERVED_NAMES:
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/user_name", Rule.USER_NAME,
                                                                   reserved=", ".join(sorted(RESERVED_NAMES)))])


def create_user(db: Database, config: Configuration, data: dict[str, Any], now: datetime,
                actor: Principal | None = None, min_length: int = MIN_LENGTH) -> dict[str, Any]:
    """Create a user with a role, an agency and groups (`actor`: who, checked against what they may assign).

    `min_length` is the deployment's PASSWORD_MIN_LENGTH (the use case passes its setting).
    """
    data = {**data, "user_name": normalize_user_name(data["user_name"])}
    _check_user_name(data["user_name"])
    if actor is not None:
        rights.check_grant(config, actor, data["role_unique_id"])
    _check_password(data["password"], names=(data["user_name"], data.get("full_name")), min_length=min_length)
    _check_references(db, config, data)
    user = {"_id": data["user_name"], **{stored: data[key] for key, stored in _USER_FIELDS.items() if key in data},
            "password_hash": hash_password(data["password"]), "password_changed_at": now, "created_at": now}
    user.setdefault("user_groups", [])
    user.setdefault("disabled", False)
    try:
        store.insert(db, "users", user)
    except DuplicateKey:
        raise Conflict(Error.ALREADY_EXISTS, kind=LABELS["users"], id=data["user_name"],
                       details=[Detail.of("/user_name", Rule.ID_USED)]) from None
    return user


def update_user(db: Database, config: Configuration, user_name: str, data: dict[str, Any], now: datetime,
                actor: Principal | None = None, min_length: int = MIN_LENGTH) -> dict:
    """Edit a user; a new password or disabling revokes every token and session of the user.

    With an `actor` (an API user) the rights rules apply, and the last system administrator stays.
    """
    user_name = normalize_user_name(user_name)
    before = get(db, "users", user_name)
    if actor is not None:
        rights.check_user_edit(config, actor, before, data)
    _check_references(db, config, data)
    changes = {stored: data[key] for key, stored in _USER_FIELDS.items() if key in data}
    guarded = actor is not None and rights.is_administrator(db, config, before) \
        and not rights.is_administrator(db, config, {**before, **changes})
    if "password" in data:
        full_name = data.get("full_name", before.get("full_name"))
        _check_password(data["password"], names=(user_name, full_name), min_length=min_length)
        changes.update(password_hash=hash_password(data["password"]), password_changed_at=now)
        lift_lockout(db, user_name)  # an administrator's reset lets the user in again, from anywhere
    write = lambda: store.update(db, "users", user_name, changes)  # noqa: E731
    undo = lambda: store.update(db, "users", user_name, {k: before.get(k) for k in changes})  # noqa: E731
    user = rights.keep_an_administrator(db, config, write, undo) if guarded else write()
    if "password" in data or data.get("disabled") or (user is not None and not rights.is_active(db, user)):
        revoke_user_tokens(db, user_name)
    return user


def set_locale(db: Database, user_name: str, locale: str | None) -> None:
    """Set a user's language (their own choice: no rights are involved)."""
    store.update(db, "users", normalize_user_name(user_name), {"locale": locale})


def change_own_password(db: Database, user_name: str, current: str, new: str, now: datetime,
                        min_length: int = MIN_LENGTH) -> None:
    """Change one's own password (the current one is required); every session ends."""
    user = get(db, "users", user_name)
    if not verify_password(current, user.get("password_hash")):
        raise Unprocessable(Error.PASSWORD_INCORRECT,
                            details=[Detail.of("/current_password", Rule.PASSWORD_INCORRECT)])
    _check_password(new, "/new_password", names=(user_name, user.get("full_name")), min_length=min_length)
    store.update(db, "users", user_name, {"password_hash": hash_password(new), "password_changed_at": now})
    revoke_user_tokens(db, user_name)


def create_entity(db: Database, kind: str, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Create an agency or a user group."""
    if not (2 <= len(data["unique_id"]) <= 100 and ENTITY_ID.fullmatch(data["unique_id"])):
        raise Unprocessable(Error.BODY_INVALID, details=[Detail.of("/unique_id", Rule.ENTITY_ID)])
    document = {"_id": data["unique_id"], **{k: v for k, v in data.items() if k != "unique_id"},
                "disabled": data.get("disabled", False), "created_at": now}
    try:
        store.insert(db, kind, document)
    except DuplicateKey:
        raise Conflict(Error.ALREADY_EXISTS, kind=LABELS[kind], id=data["unique_id"],
                       details=[Detail.of("/unique_id", Rule.ID_USED)]) from None
    return document


def update_entity(db: Database, kind: str, key: str, data: dict[str, Any], config: Configuration | None = None,
                  actor: Principal | None = None) -> dict[str, Any]:
    """Edit an agency or a user group; disabling an agency disables its users and ends their sessions."""
    before = get(db, kind, key)
    changes = {k: v for k, v in data.items() if k != "unique_id"}
    toggled = kind == "agencies" and "disabled" in changes and bool(changes["disabled"]) != bool(before.get("disabled"))
    if toggled and actor is not None:
        rights.check_agency_change(db, actor, key)
    write = lambda: store.update(db, kind, key, changes)  # noqa: E731
    if not (toggled and changes["disabled"]):
        return write()
    removed = rights.administrators_in_agency(db, config, key) if config is not None and actor is not None else 0
    entity = rights.keep_an_administrator(db, config, write, lambda: store.update(db, kind, key, {"disabled": False}),
                                          removed) if removed else write()
    revoke_user_tokens(db, *(user["_id"] for user in store.page(db, "users", {"agency": key}, 0, 0)[0]))
    return entity


def list_entities(db: Database, kind: str, filters: dict[str, Any], page: int, per_page: int):
    return store.page(db, kind, filters, (page - 1) * per_page, per_page)


def ensure_admin(db: Database, config: Configuration, password: str | None, now: datetime,
                 min_length: int = MIN_LENGTH) -> tuple[bool, str | None]:
    """Create the `admin` user when there are no users; return (created, the password if it was generated)."""
    if store.count(db, "users"):
        return False, None
    generated = None if password else random_password((ADMIN_USER, "Administrator"), min_length)
    create_user(db, config, {"user_name": ADMIN_USER, "full_name": "Administrator", "password": password or generated,
                             "role_unique_id": ADMIN_ROLE, "locale": None}, now, min_length=min_length)
    return True, generated
