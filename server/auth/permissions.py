"""The permission catalogue and the evaluator: what a role may do, on which records, with which fields.

A role (versioned metadata) grants actions on resources, a scope over records (group_permission:
self, group, agency, all) and access to forms (form_section_read_write: r or rw; forms not
listed are hidden). Every read is filtered to readable fields, every write limited to writable
ones, every record route checks scope, and exports use the same filter.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RECORD_ACTIONS = ("read", "create", "write", "disable", "view_history", "export_xlsx", "export_csv",
                  "export_json", "assign", "refer", "transfer", "flag")
RESOURCES: dict[str, tuple[str, ...]] = {
    "case": RECORD_ACTIONS,
    "incident": RECORD_ACTIONS,
    "tracing_request": RECORD_ACTIONS,
    "metadata": ("manage", "manage_translations"),
    "user": ("manage",),
    "agency": ("manage",),
    "audit_log": ("read",),
}
SCOPES = ("self", "group", "agency", "all")


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

    def can(self, resource: str, action: str) -> bool:
        return action in self.permissions.get(resource, frozenset())

    def record_scope_filter(self) -> dict[str, Any]:
        """The MongoDB condition that limits records to this principal's scope."""
        mine = [{"owned_by": self.user_name}, {"associated_user_names": self.user_name}]
        if self.scope == "all":
            return {}
        if self.scope == "group" and self.groups:
            mine.append({"owned_by_groups": {"$in": list(self.groups)}})
        if self.scope == "agency" and self.agency:
            mine.append({"owned_by_agency": self.agency})
        return {"$or": mine}

    def in_scope(self, record: dict[str, Any]) -> bool:
        """Tell whether a record is in scope (the same rule as record_scope_filter)."""
        if self.scope == "all" or record.get("owned_by") == self.user_name:
            return True
        if self.user_name in (record.get("associated_user_names") or []):
            return True
        if self.scope == "group" and set(self.groups) & set(record.get("owned_by_groups") or []):
            return True
        return self.scope == "agency" and self.agency is not None and record.get("owned_by_agency") == self.agency

    def readable_forms(self) -> set[str] | None:
        """Top-level form ids this role may read (None: all)."""
        return None if self.forms is None else set(self.forms)

    def writable_forms(self) -> set[str] | None:
        """Top-level form ids this role may write (None: all)."""
        return None if self.forms is None else {form for form, access in self.forms.items() if access == "rw"}


def principal_from_role(user: dict[str, Any], role: dict[str, Any] | None) -> Principal:
    """Build the principal of a user from their published role (no role: no rights)."""
    role = role or {"unique_id": "", "permissions": {}, "group_permission": "self", "form_section_read_write": {}}
    return Principal(
        user_name=user["_id"], agency=user.get("agency"), groups=tuple(user.get("user_groups") or ()),
        role_id=role["unique_id"],
        permissions={resource: frozenset(actions) for resource, actions in role.get("permissions", {}).items()},
        scope=role.get("group_permission", "self"),
        forms=dict(role["form_section_read_write"]) if "form_section_read_write" in role else None,
        module_ids=tuple(role.get("module_ids") or ()), locale=user.get("locale"))
