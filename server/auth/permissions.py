"""The permission catalogue and the evaluator: what a role may do, on which records, with which fields.

A role (versioned metadata) grants actions on resources, a scope over records (group_permission:
self, group, agency, all) and access to forms (form_section_read_write: r or rw; forms not
listed are hidden). Every read is filtered to readable fields, every write limited to writable
ones, every record route checks scope, and exports use the same filter.

Who may give rights: `user: manage` creates and edits users, but only with the roles listed in
the manager's role under `assignable_role_ids` ("*": every role); `role: manage` edits roles.
`widening` and `rights_beyond` compare roles so that nobody raises their own rights (see
server/auth/accounts.py and server/metadata/draft.py, which apply them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.metadata.role_vocabulary import ASSIGN_ALL, RECORD_ACTIONS, RESOURCES, SCOPES  # noqa: F401  (re-exported)
from server.storage.query import Condition, Filter
from server.storage.records import ACCESS, EVERY_RECORD_KEY

GRANTING = ("user", "role")  # resources whose `manage` lets a user hand out rights
# The scopes a scope includes: "group" and "agency" are not nested, "all" holds every one.
# A record's access keys (ACCESS, one indexed list) name who may see it: its owner and associated users, its owner's
# groups and agency, and everybody whose scope is "all". A principal's scope is a few keys (Principal.access_keys), so
# a list is one indexed equality, the same shape on every database.
EVERY_RECORD, USER_KEY, GROUP_KEY, AGENCY_KEY = EVERY_RECORD_KEY, "user:", "group:", "agency:"
# A referral (in progress or accepted) reaches its recipient with REFERRED_KEY, a transfer waiting for its recipient's
# answer with INCOMING_KEY: what the recipient may then do is what their role grants, within these actions (the
# owner's side keeps assigning, transferring, closing and approving).
REFERRED_KEY, INCOMING_KEY = "referred:", "incoming:"
REFERRED_ACTIONS = frozenset({"read", "view_history", "write", "flag", "receive_referral"})
INCOMING_ACTIONS = frozenset({"read", "view_history", "receive_transfer"})
ACTIVE_REFERRAL, PENDING = ("in_progress", "accepted"), ("in_progress",)
_SCOPE_INCLUDES = {"self": {"self"}, "group": {"self", "group"}, "agency": {"self", "agency"}, "all": set(SCOPES)}


@dataclass(frozen=True)
class Principal:
    """The user a request acts for, with what their role grants."""

    user_name: str
    agency: str | None
    groups: tuple[str, ...]
    role_id: str
    permissions: dict[str, frozenset[str]]
    scope: str
    forms: dict[str, str] | None   # form unique_id -> "r" | "rw"; None: every form, read-write
    module_ids: tuple[str, ...] = ()
    locale: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    assignable_roles: frozenset[str] = frozenset()

    def can(self, resource: str, action: str) -> bool:
        return action in self.permissions.get(resource, frozenset())

    def may_assign(self, role_id: str) -> bool:
        """Tell whether this user may give `role_id` to a user (and edit the users who hold it)."""
        return self.can("user", "manage") and (ASSIGN_ALL in self.assignable_roles or role_id in self.assignable_roles)

    def access_keys(self, action: str = "read") -> tuple[str, ...]:
        """The access keys of the records this principal's scope holds for `action` (see record_access_keys).

        Always their own (records they own or are associated with, and those referred or transferred to them when
        `action` is one a recipient may take); with "group", one per group of theirs; with "agency", their agency's;
        with "all", the key every record carries.
        """
        if self.scope == "all":
            return (EVERY_RECORD,)
        keys = [f"{USER_KEY}{self.user_name}"]
        if action in REFERRED_ACTIONS:
            keys.append(f"{REFERRED_KEY}{self.user_name}")
        if action in INCOMING_ACTIONS:
            keys.append(f"{INCOMING_KEY}{self.user_name}")
        if self.scope == "group":
            keys += [f"{GROUP_KEY}{group}" for group in self.groups]
        if self.scope == "agency" and self.agency:
            keys.append(f"{AGENCY_KEY}{self.agency}")
        return tuple(keys)

    def record_scope(self, action: str = "read") -> Condition:
        """The records this principal's scope holds for `action`: the one rule behind list queries and `in_scope`.

        One indexed field matched by equality (ACCESS, kept on every write), never an `$or` of fields.
        """
        keys = self.access_keys(action)
        return Filter(ACCESS, "eq", keys[0]) if len(keys) == 1 else Filter(ACCESS, "in", keys)

    def in_scope(self, record: dict[str, Any], action: str = "read") -> bool:
        """Tell whether a record already read is in scope for `action` (the rule of record_scope, on its envelope)."""
        return not set(self.access_keys(action)).isdisjoint(record_access_keys(record))

    def reaches(self, record: dict[str, Any]) -> bool:
        """Tell whether the record is in this principal's own scope, not only through a referral or a transfer."""
        return self.in_scope(record, "")

    def readable_forms(self) -> set[str] | None:
        """Top-level form ids this role may read (None: all)."""
        return None if self.forms is None else set(self.forms)

    def writable_forms(self) -> set[str] | None:
        """Top-level form ids this role may write (None: all)."""
        return None if self.forms is None else {form for form, access in self.forms.items() if access == "rw"}


def record_access_keys(record: dict[str, Any]) -> list[str]:
    """The access keys of a record, from its envelope: who may see it (the rule Principal.access_keys reads)."""
    keys = [EVERY_RECORD]
    users = [record.get("owned_by"), *_listed(record.get("associated_user_names"))]
    keys += [f"{USER_KEY}{name}" for name in dict.fromkeys(users) if name and isinstance(name, str)]
    keys += [f"{GROUP_KEY}{group}" for group in dict.fromkeys(_listed(record.get("owned_by_groups")))
             if group and isinstance(group, str)]
    if record.get("owned_by_agency") and isinstance(record["owned_by_agency"], str):
        keys.append(f"{AGENCY_KEY}{record['owned_by_agency']}")
    for transition in _listed(record.get("transitions")):
        if not isinstance(transition, dict) or not isinstance(transition.get("to_user"), str):
            continue
        if transition.get("type") == "referral" and transition.get("status") in ACTIVE_REFERRAL:
            keys.append(f"{REFERRED_KEY}{transition['to_user']}")
        elif transition.get("type") == "transfer" and transition.get("status") in PENDING:
            keys.append(f"{INCOMING_KEY}{transition['to_user']}")
    return list(dict.fromkeys(keys))


def _listed(value: Any) -> list[Any]:
    """A list field's values (a lone value, as MongoDB matches it, is one)."""
    return list(value) if isinstance(value, (list, tuple)) else [] if value is None else [value]


def principal_from_role(user: dict[str, Any], role: dict[str, Any] | None) -> Principal:
    """Build the principal of a user from their published role (no role: no rights)."""
    role = role or {"unique_id": "", "permissions": {}, "group_permission": "self", "form_section_read_write": {}}
    return Principal(
        user_name=user["_id"], agency=user.get("agency"), groups=tuple(user.get("user_groups") or ()),
        role_id=role["unique_id"],
        permissions={resource: frozenset(actions) for resource, actions in role.get("permissions", {}).items()},
        scope=role.get("group_permission", "self"),
        forms=dict(role["form_section_read_write"]) if "form_section_read_write" in role else None,
        module_ids=tuple(role.get("module_ids") or ()), locale=user.get("locale"),
        assignable_roles=frozenset(role.get("assignable_role_ids") or ()))


def role_grants(role: dict[str, Any] | None) -> set[tuple[str, ...]]:
    """What a role grants, as comparable atoms (an absent form list or module list means every one)."""
    if not role:
        return set()
    grants = {("permissions", resource, action) for resource, actions in role.get("permissions", {}).items()
              for action in actions}
    grants |= {("group_permission", scope) for scope in _SCOPE_INCLUDES.get(role.get("group_permission"), ())}
    forms = role.get("form_section_read_write")
    if forms is None:
        grants.add(("form_section_read_write", "*", "rw"))
    for form_id, access in (forms or {}).items():
        grants |= {("form_section_read_write", form_id, "r")} | ({("form_section_read_write", form_id, "rw")}
                                                                  if access == "rw" else set())
    grants |= {("module_ids", module_id) for module_id in role.get("module_ids") or ("*",)}
    grants |= {("assignable_role_ids", role_id) for role_id in role.get("assignable_role_ids") or ()}
    return grants


def _covered(grant: tuple[str, ...], grants: set[tuple[str, ...]]) -> bool:
    wildcard = {"form_section_read_write": ("form_section_read_write", "*", "rw"), "module_ids": ("module_ids", "*"),
                "assignable_role_ids": ("assignable_role_ids", ASSIGN_ALL)}.get(grant[0])
    return grant in grants or wildcard in grants


def widening(after: dict[str, Any] | None, before: dict[str, Any] | None) -> list[str]:
    """What `after` grants that `before` does not, as paths such as "permissions/case/read" (sorted)."""
    base = role_grants(before)
    return sorted("/".join(grant) for grant in role_grants(after) if not _covered(grant, base))


def rights_beyond(role: dict[str, Any] | None, granter: Principal) -> list[str]:
    """What holders of `role` could hand out that `granter` cannot: role/user management, assignable roles."""
    if not role:
        return []
    permissions = role.get("permissions", {})
    beyond = [f"permissions/{resource}/manage" for resource in GRANTING
              if "manage" in permissions.get(resource, ()) and not granter.can(resource, "manage")]
    if "manage" in permissions.get("user", ()):
        beyond += [f"assignable_role_ids/{role_id}" for role_id in role.get("assignable_role_ids") or ()
                   if not (ASSIGN_ALL in granter.assignable_roles if role_id == ASSIGN_ALL
                           else granter.may_assign(role_id))]
    return beyond


def is_full_administrator_role(role: dict[str, Any] | None, role_ids: set[str]) -> bool:
    """Tell whether a role can repair any lockout: it manages users and roles and may assign every role."""
    if not role:
        return False
    permissions = role.get("permissions", {})
    assignable = set(role.get("assignable_role_ids") or ())
    return (all("manage" in permissions.get(resource, ()) for resource in GRANTING)
            and (ASSIGN_ALL in assignable or role_ids <= assignable))
