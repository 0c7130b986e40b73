"""Primero roles as Abri roles: the permission vocabulary translated action by action, each one reported.

Primero grants per resource (case, incident, tracing_request, user, role, agency, metadata, audit_log,
primero_configuration, report, dashboard, ...) a list of actions. An action Abri has under the same name is
mapped; one Abri grants under another name or more broadly (export_xls -> export_xlsx, a referral from a
service -> refer, assign within the agency -> assign, which Abri bounds by the role's record scope) is
adapted and says so; one Abri has no equivalent of (dashboards, KPIs, exports to PDF, photo walls, ...) is
reported by name and left out. Abri has only `manage` on users, roles and agencies: any Primero action that
changes them becomes `manage`, and a read-only one is left out. Primero's `role: assign` (with the roles
its permission names) gives roles to users: it becomes the role's `assignable_role_ids`, not `role: manage`.
"""
from __future__ import annotations

from typing import Any, Iterable

from server.interop.primero_read import dashed_id, label, strings, texts, unique
from server.interop.primero_report import Note, Report
from server.metadata.role_vocabulary import ASSIGN_ALL, RECORD_ACTIONS

RECORDS = ("case", "incident", "tracing_request")
SAME = "same"
# Primero record action -> (Abri actions, SAME or the note that says how the meaning changed)
RECORD_MAP: dict[str, tuple[tuple[str, ...], str]] = {
    **{action: ((action,), SAME) for action in RECORD_ACTIONS},
    "enable_disable_record": (("disable",), SAME),
    "export_xls": (("export_xlsx",), SAME),
    "referral": (("refer",), SAME),
    "change_log": (("view_history",), SAME),
    "export_list_view_csv": (("export_csv",), "permission_widened"),
    "referral_from_service": (("refer",), "permission_widened"),
    "receive_referral_different_module": (("receive_referral",), "permission_widened"),
    "accept_or_reject_transfer": (("receive_transfer",), "permission_widened"),
    "assign_within_agency": (("assign",), "permission_widened"),
    "assign_within_user_group": (("assign",), "permission_widened"),
    "flag_multiple": (("flag",), "permission_widened"),
    "manage": (RECORD_ACTIONS, "permission_expanded"),
}
# Administrative resources: Primero resource -> (Abri resource, Abri action, Primero actions that grant it)
CHANGING = ("manage", "write", "create", "assign", "edit", "delete")
ADMIN_MAP: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "user": ("user", "manage", CHANGING),
    "role": ("role", "manage", tuple(action for action in CHANGING if action != "assign")),
    "agency": ("agency", "manage", CHANGING),
    "metadata": ("metadata", "manage", ("manage", "write")),
    "primero_configuration": ("metadata", "manage", ("manage",)),
    "audit_log": ("audit_log", "read", ("read", "manage")),
}
SCOPE_MAP = {"self": "self", "group": "group", "agency": "agency", "all": "all", "admin_only": "self",
             "identified": "self"}
ROLE_KEYS = {"unique_id", "name", "description", "permissions", "group_permission", "form_section_read_write",
             "form_section_unique_ids", "form_sections", "module_unique_ids", "module_ids", "primero_modules", "id"}


def permission_pairs(raw: Any) -> Iterable[tuple[str, str, list[str]]]:
    """(resource, action, role ids it names) of Primero's permissions, as a list of objects or a map."""
    if isinstance(raw, list):
        for permission in raw:
            if isinstance(permission, dict) and isinstance(permission.get("resource"), str):
                roles = list(strings(permission.get("role_unique_ids")))
                for action in strings(permission.get("actions")):
                    yield permission["resource"], action, roles
    elif isinstance(raw, dict):
        objects = raw.get("objects") if isinstance(raw.get("objects"), dict) else {}
        for resource, actions in raw.items():
            if resource != "objects":
                for action in strings(actions):
                    yield resource, action, list(strings(objects.get(resource)))


def convert_roles(items: list[Any], context: dict[str, Any], report: Report) -> tuple[dict[str, dict], dict[str, str]]:
    """Abri roles by id and {Primero role id: Abri role id}.

    `context`: default_language, forms ({Primero form id: Abri id} of top-level forms), modules (the same of
    modules). Assignable roles are resolved once every role has its id.
    """
    roles: dict[str, dict] = {}
    ids: dict[str, str] = {}
    assignable: dict[str, list[str] | None] = {}
    for _, item, raw in report.identified("role", items):
        uid = unique(dashed_id(raw, "role-"), set(roles))
        body, notes, assignable[uid] = _role(item, raw, uid, context, report)
        roles[uid], ids[raw] = body, uid
        report.add("role", raw, notes, abri_ids=[uid])
    for uid, named in assignable.items():
        _assignable(roles[uid], named, ids, report)
    return roles, ids


def _role(item: dict[str, Any], raw: str, uid: str, context: dict[str, Any],
          report: Report) -> tuple[dict[str, Any], list[Note], list[str] | None]:
    notes = [Note("renamed", {"old": raw, "new": uid})] if uid != raw else []
    name, missing = label(texts(item, "name"), context["default_language"], raw)
    if missing:
        notes.append(Note("label_missing", {"name": raw}))
    body: dict[str, Any] = {"unique_id": uid, "name_i18n": name}
    description = texts(item, "description")
    if description:
        body["description_i18n"] = label(description, context["default_language"], raw)[0]
    body["permissions"], named = _permissions(raw, item.get("permissions"), report)
    body["group_permission"] = _scope(item.get("group_permission"), notes)
    body["form_section_read_write"] = _form_access(item, context["forms"], notes)
    modules = [*strings(item.get("module_unique_ids")), *strings(item.get("module_ids")),
               *strings(item.get("primero_modules"))]
    body["module_ids"] = [context["modules"][m] for m in dict.fromkeys(modules) if m in context["modules"]]
    notes += [Note("module_unknown", {"module": m[:100]}) for m in dict.fromkeys(modules)
              if m not in context["modules"]]
    notes += [Note("attribute_dropped", {"attribute": key}) for key, value in item.items()
              if key not in ROLE_KEYS and not key.startswith(("name_", "description_"))
              and value not in (None, False, "", [], {})]
    return body, notes, named


def _permissions(role: str, raw: Any, report: Report) -> tuple[dict[str, list[str]], list[str] | None]:
    """Abri's permissions of a role, each Primero one reported; the roles its role permissions name ("*": all)."""
    granted: dict[str, list[str]] = {}
    named: list[str] | None = None  # no role permission: assigns none
    for resource, action, roles in permission_pairs(raw):
        name = f"{role}/{resource}:{action}"
        if resource == "role":
            named = [*(named or []), *(roles or [ASSIGN_ALL])]
        if (resource, action) == ("role", "assign"):  # giving roles to users, not editing them
            report.add("permission", name, [Note("attribute_mapped", {"attribute": "role:assign",
                                                                      "target": "assignable_role_ids"})])
            continue
        target = _translate(resource, action)
        if target is None:
            report.add("permission", name, [Note("permission_unknown", {"permission": f"{resource}:{action}"})],
                       left_out=True)
            continue
        actions, how = target
        abri_resource = resource if resource in RECORDS else ADMIN_MAP[resource][0]
        for abri_action in actions:
            granted.setdefault(abri_resource, [])
            if abri_action not in granted[abri_resource]:
                granted[abri_resource].append(abri_action)
        text = f"{abri_resource}:{','.join(actions) if len(actions) < 4 else '*'}"
        notes = [] if how == SAME and text == f"{resource}:{action}" else \
            [Note("attribute_mapped", {"attribute": f"{resource}:{action}", "target": text})] if how == SAME else \
            [Note(how, {"permission": f"{resource}:{action}", "target": text, "resource": resource})]
        report.add("permission", name, notes)
    return granted, named


def _translate(resource: str, action: str) -> tuple[tuple[str, ...], str] | None:
    if resource in RECORDS:
        return RECORD_MAP.get(action)
    if resource in ADMIN_MAP:
        _, abri_action, grants = ADMIN_MAP[resource]
        if action in grants:
            return (abri_action,), "permission_manage" if abri_action == "manage" and action != "manage" else SAME
    return None


def _scope(raw: Any, notes: list[Note]) -> str:
    scope = SCOPE_MAP.get(raw) if isinstance(raw, str) else None
    if scope is None:
        notes.append(Note("scope_unknown", {"scope": str(raw)[:50], "target": "self"}))
        return "self"
    if scope != raw:
        notes.append(Note("scope_unknown", {"scope": raw, "target": scope}))
    return scope


def _form_access(item: dict[str, Any], forms: dict[str, str], notes: list[Note]) -> dict[str, str]:
    """form_section_read_write ({form: r | rw}), or Primero's list of forms (read and write)."""
    access: dict[str, str] = {}
    listed = item.get("form_section_read_write")
    if not any(key in item for key in ("form_section_read_write", "form_section_unique_ids", "form_sections")):
        notes.append(Note("all_forms"))
        return {form: "rw" for form in forms.values()}
    pairs = list(listed.items()) if isinstance(listed, dict) else []
    pairs += [(form, "rw") for key in ("form_section_unique_ids", "form_sections") for form in strings(item.get(key))]
    for form, mode in pairs:
        if form in forms and mode in ("r", "rw"):
            access.setdefault(forms[form], mode)
        else:
            notes.append(Note("form_unknown", {"form": str(form)[:100]}))
    return access


def _assignable(role: dict[str, Any], named: list[str] | None, ids: dict[str, str], report: Report) -> None:
    """The roles a role manager may give: those its role permissions name, or every role when one names none."""
    if named is None:
        return
    if ASSIGN_ALL in named:
        role["assignable_role_ids"] = [ASSIGN_ALL]
        return
    role["assignable_role_ids"] = [ids[r] for r in dict.fromkeys(named) if r in ids]
    for missing in (r for r in dict.fromkeys(named) if r not in ids):
        item = report.of_abri_id("role", role["unique_id"])
        if item is not None:
            item.note(Note("role_unknown", {"role": missing[:100]}), "adapted")
