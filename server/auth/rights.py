"""Who may give which rights: nobody raises their own, and the last system administrator stays.

    check_user_edit       no change to one's own role, agency, groups or disabled state (403
                          SELF_RIGHTS_CHANGE); another user only if their role is one the editor
                          may assign (403 USER_NOT_MANAGEABLE); a new role only if assignable
                          (403 ROLE_NOT_ASSIGNABLE) and not able to hand out more than the editor
                          (403 ROLE_EXCEEDS_GRANTER)
    check_agency_change   the same for disabling or enabling an agency, which does it to its users
    keep_an_administrator a write that could leave no active system administrator is checked
                          before and re-checked after (409 LAST_ADMINISTRATOR, the write undone)
    check_role_edit       a change to a role (beyond its labels) by someone with role: manage:
                          never widens the editor's own role (403 OWN_ROLE_WIDENING), touches only
                          roles the editor may assign or roles not yet published (403
                          ROLE_NOT_MANAGEABLE), never lets a role hand out more than the editor can
                          (403 ROLE_EXCEEDS_EDITOR)
    check_publication     the same rules for the role changes a publish or restore would make, for
                          the user who publishes (403 ROLE_MANAGE_REQUIRED without role: manage),
                          and the publication may not leave no system administrator (409)

A system administrator is an active user (not disabled, agency not disabled) whose role manages
users and roles and may assign every role (is_full_administrator_role): such a user can repair
any lockout, whatever the roles are called. `actor=None` is the machine operator (the CLI).
"""
from __future__ import annotations

from typing import Any, Callable

from server.auth.permissions import Principal, is_full_administrator_role, principal_from_role, rights_beyond, widening
from server.errors import Conflict, Detail, Error, Forbidden
from server.metadata.configuration import Configuration
from server.metadata.documents import ROLE
from server.metadata.labels import non_translation_changes
from server.rules import Rule
from server.storage import Database, auth as store
from server.storage.query import Filter, all_of

# API field -> stored field of the rights a user holds.
RIGHTS = {"role_unique_id": "role", "agency_unique_id": "agency", "user_group_unique_ids": "user_groups",
          "disabled": "disabled"}


def _stored(user: dict[str, Any], field: str) -> Any:
    value = user.get(RIGHTS[field])
    if field == "user_group_unique_ids":
        return sorted(value or [])
    return bool(value) if field == "disabled" else value or None


def _requested(data: dict[str, Any], field: str) -> Any:
    value = data[field]
    return sorted(value or []) if field == "user_group_unique_ids" else value or (False if field == "disabled" else None)


def changed_rights(user: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """The API fields of `data` that change the rights `user` holds."""
    return [field for field in RIGHTS if field in data and _requested(data, field) != _stored(user, field)]


def check_grant(config: Configuration, actor: Principal, role_id: str) -> None:
    """Refuse to give `role_id` unless the actor may assign it and it hands out nothing more than they can."""
    if not actor.may_assign(role_id):
        raise Forbidden(Error.ROLE_NOT_ASSIGNABLE, role=role_id,
                        details=[Detail.of("/role_unique_id", Rule.ASSIGNABLE)])
    beyond = rights_beyond(config.roles.get(role_id), actor)
    if beyond:
        raise Forbidden(Error.ROLE_EXCEEDS_GRANTER, role=role_id,
                        details=[Detail.of("/role_unique_id", Rule.EXCEEDS_GRANTER, right=right) for right in beyond])


def check_user_edit(config: Configuration, actor: Principal, user: dict[str, Any], data: dict[str, Any]) -> None:
    """Refuse an edit of `user` that raises the actor's own rights or touches a user above them."""
    changed = changed_rights(user, data)
    if user["_id"] == actor.user_name:
        if changed:
            raise Forbidden(Error.SELF_RIGHTS_CHANGE,
                            details=[Detail.of(f"/{field}", Rule.SELF)
                                     for field in changed])
        return  # one's own name, e-mail and language
    if not actor.may_assign(user.get("role") or ""):
        raise Forbidden(Error.USER_NOT_MANAGEABLE, user=user["_id"], role=user.get("role") or "-")
    if "role_unique_id" in changed:
        check_grant(config, actor, data["role_unique_id"])


def check_agency_change(db: Database, actor: Principal, agency_id: str) -> None:
    """Refuse to disable or enable an agency that holds the actor, or users whose role they may not assign."""
    if actor.agency == agency_id:
        raise Forbidden(Error.SELF_AGENCY_CHANGE, details=[Detail.of("/disabled", Rule.SELF)])
    users, _ = store.page(db, "users", {"agency": agency_id}, 0, 0)
    above = [user for user in users if not actor.may_assign(user.get("role") or "")]
    if above:
        raise Forbidden(Error.AGENCY_NOT_MANAGEABLE, count=len(above),
                        details=[Detail.of("/disabled", Rule.AGENCY_USERS_NOT_MANAGEABLE)])


def administrator_roles(config: Configuration) -> list[str]:
    """The roles whose users are system administrators."""
    ids = set(config.roles)
    return sorted(uid for uid, role in config.roles.items() if is_full_administrator_role(role, ids))


def disabled_agencies(db: Database) -> list[str]:
    return [agency["_id"] for agency in store.page(db, "agencies", {"disabled": True}, 0, 0)[0]]


def is_active(db: Database, user: dict[str, Any]) -> bool:
    """Tell whether a user may log in and act: not disabled, and their agency not disabled either."""
    if user.get("disabled"):
        return False
    return is_active_with(user, store.find(db, "agencies", user["agency"]) if user.get("agency") else None)


def is_active_with(user: dict[str, Any], agency: dict[str, Any] | None) -> bool:
    """is_active for a caller that read the user's agency with the user (None: no agency, or none found)."""
    return not user.get("disabled") and not (agency or {}).get("disabled")


def count_administrators(db: Database, config: Configuration) -> int:
    """How many active users are system administrators, as the database holds them now."""
    roles = administrator_roles(config)
    if not roles:
        return 0
    return store.count(db, "users", all_of(Filter("role", "in", roles), Filter("disabled", "ne", True),
                                           Filter("agency", "nin", disabled_agencies(db))))


def _last_administrator() -> Conflict:
    return Conflict(Error.LAST_ADMINISTRATOR)


def keep_an_administrator(db: Database, config: Configuration, write: Callable[[], Any],
                          undo: Callable[[], Any], removed: int = 1) -> Any:
    """Run `write`, which takes `removed` system administrators away, only if one stays.

    Checked before and re-checked after the write: two administrators disabling each other at
    the same moment both see the other one active before, but at least one of them sees none
    after, undoes their write and is refused, so one administrator always remains.
    """
    if count_administrators(db, config) - removed < 1:
        raise _last_administrator()
    result = write()
    if count_administrators(db, config) == 0:
        undo()
        raise _last_administrator()
    return result


def is_administrator(db: Database, config: Configuration, user: dict[str, Any]) -> bool:
    """Tell whether this user (as the dict says) is an active system administrator."""
    return user.get("role") in administrator_roles(config) and is_active(db, user)


def administrators_in_agency(db: Database, config: Configuration, agency_id: str) -> int:
    """How many active system administrators belong to an agency."""
    roles = administrator_roles(config)
    return store.count(db, "users", all_of(Filter("agency", "eq", agency_id), Filter("role", "in", roles),
                                           Filter("disabled", "ne", True))) if roles else 0


def check_role_edit(editor: Principal, unique_id: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
                    published: dict[str, Any] | None, where: str = "") -> None:
    """Refuse a change of a role (before -> after; None: absent) that would raise anyone above the editor.

    `published` is the role as its users hold it now: restoring what the editor already holds is
    not a widening, so an edit may take back what an earlier draft edit removed.
    """
    if not non_translation_changes(ROLE, before or {}, after or {}):
        return  # labels and descriptions: anyone who may translate
    if editor.role_id == unique_id and after is not None:
        gained = sorted(set(widening(after, before)) & set(widening(after, published)))
        if gained:
            raise Forbidden(Error.OWN_ROLE_WIDENING, role=unique_id,
                            details=[Detail.of(where + path, Rule.WIDENING)
                                     for path in gained])
    if published is not None and not editor.may_assign(unique_id):
        raise Forbidden(Error.ROLE_NOT_MANAGEABLE, role=unique_id)
    beyond = sorted(set(rights_beyond(after, editor)) - set(rights_beyond(before, editor)))
    if beyond:
        raise Forbidden(Error.ROLE_EXCEEDS_EDITOR, role=unique_id,
                        details=[Detail.of(where + path, Rule.EXCEEDS_EDITOR)
                                 for path in beyond])


def check_publication(db: Database, user_name: str, published: Configuration, target: Configuration) -> None:
    """Refuse to publish `target` when its role changes break the rules for the user who publishes.

    A name that is no user (the command line's "system", the bootstrap) is the machine operator.
    """
    account = store.find(db, "users", user_name)
    if account is None:
        return
    editor = principal_from_role(account, published.roles.get(account.get("role") or ""))
    changed = [uid for uid in sorted(set(published.roles) | set(target.roles))
               if non_translation_changes(ROLE, published.roles.get(uid) or {}, target.roles.get(uid) or {})]
    if changed and not editor.can("role", "manage"):
        raise Forbidden(Error.ROLE_MANAGE_REQUIRED,
                        details=[Detail.of(f"role:{uid}", Rule.ROLE_CHANGED) for uid in changed])
    for uid in changed:
        before = published.roles.get(uid)
        check_role_edit(editor, uid, before, target.roles.get(uid), before, where=f"role:{uid}/")
    if changed and count_administrators(db, published) and not count_administrators(db, target):
        raise _last_administrator()
