"""Use case: a Primero v2 configuration file becomes the draft, with the report of what became of each element.

permission (metadata: manage, and role: manage: the import rewrites the roles) -> domain (server/interop:
read and convert the file) -> what the instance holds (its administrators, its published fields and
their data, the lookups fields still need) -> storage (the draft, replaced in one call after everything
is converted and checked, so a refusal leaves the draft as it was) -> audit.

Never locked out. The draft an import writes always holds a role that can repair any lockout (one that
manages users and roles and may assign every role, server.auth.permissions.is_full_administrator_role):
every administrator role of the published configuration is kept as it is (the users who hold it stay
administrators after the publish), its lists of forms and modules narrowed to the imported ones (an
absent list still means every one); an imported role of the same id gives way to it. We keep rather than
refuse because Primero's vocabulary rarely maps to a full Abri administrator (its superusers seldom hold
both `user` and `role` management with every role assignable), so refusing would block almost every real
import, and an administrator who imports must still be one after publishing it. Only when nothing is
published yet and the file has no such role is the import refused (409 LAST_ADMINISTRATOR): there is
then no role to keep. A user who imports through the API passes the rights rules of a role edit for
every role the import adds, changes or removes (server.auth.rights.check_role_edit), as a draft edit does.

Records keep their data. A field the import would give another type or multi_select than the published
one gets the published definition back while some record holds a value for it (else the publish check
refuses it), and is left out when only the registry of published fields remembers it; published fields
the import drops are reported when records hold values of them (the records keep them, as with any
field removed from the forms). Locked lookups keep their published value ids (workflows rely on them).
"""
from __future__ import annotations

import copy
from typing import Any

from server.auth import rights
from server.errors import Conflict
from server.interop.primero import Conversion, convert, read_file
from server.interop.primero_report import ADAPTED, MAPPED, NOT_MAPPED, Note
from server.messages import _l
from server.metadata import draft as drafts, usage
from server.metadata.checks import ERROR, run_checks
from server.metadata.configuration import Configuration
from server.metadata.documents import FORM, LOOKUP, MODULE, ROLE
from server.metadata.role_vocabulary import ASSIGN_ALL
from server.metadata.versions import check_context
from server.services.audit import audit
from server.services.configuration import MANAGE, MANAGE_ROLES, languages_of
from server.services.context import Context
from server.services.permission import require_any

MAX_CHECK_PROBLEMS = 200  # the draft's check results the answer lists (all are counted)


class NoAdministratorRole(Conflict):
    """The import would leave no role that can manage users and roles, and the instance has none to keep."""

    code = "LAST_ADMINISTRATOR"
    message = _l("The configuration has no role that manages users and roles and may assign every role, and "
                 "nothing is published yet to keep one from: add such a role to the file.")


def import_primero(ctx: Context, data: bytes | str, dry_run: bool = False,
                   replace_draft: bool = False) -> dict[str, Any]:
    """Convert a Primero configuration and (unless `dry_run`) make it the draft; return the report.

    `replace_draft`: replace a draft with unpublished changes (else 409 DRAFT_NOT_EMPTY).
    """
    require_any(ctx, MANAGE)
    require_any(ctx, MANAGE_ROLES)
    languages = languages_of(ctx)
    published = ctx.config
    conversion = convert(read_file(data), languages.default, known_lookups=published.lookups)
    _keep_published_data(ctx, conversion, published)
    _keep_needed_lookups(conversion, published)
    _keep_locked_lookups(conversion, published)
    _keep_administrators(conversion, published)
    draft = Configuration.from_documents(conversion.as_list())
    problems = run_checks(draft, check_context(ctx.db, published, languages))
    _check_role_changes(ctx, draft)  # a dry run says it too: the check must not promise what the import refuses
    if not dry_run:
        drafts.replace_draft(ctx.db, conversion.as_list(), ctx.user_name, ctx.now, force=replace_draft)
        audit(ctx, "primero_imported", detail="; ".join(
            f"{kind} {count['total']}: {count[MAPPED]} mapped, {count[ADAPTED]} adapted, {count[NOT_MAPPED]} not"
            for kind, count in conversion.report.counts().items() if count["total"]))
    return _answer(conversion, problems, dry_run, ctx.locale)


def _answer(conversion: Conversion, problems: list, dry_run: bool, locale: str | None) -> dict[str, Any]:
    """The report, and what the draft would be (or is): its documents and its check results."""
    errors = [p for p in problems if p.severity == ERROR]
    return {**conversion.report.as_json(locale),
            "draft": {"written": not dry_run,
                      "documents": {kind: len(bodies) for kind, bodies in conversion.documents.items()},
                      "errors": len(errors), "warnings": len(problems) - len(errors), "can_publish": not errors,
                      "problems": [{"severity": p.severity, **p.as_detail().as_json(locale)}
                                   for p in problems[:MAX_CHECK_PROBLEMS]]}}


def _keep_needed_lookups(conversion: Conversion, published: Configuration) -> None:
    """Copy in the instance's lookups that imported fields name and the file does not hold."""
    for uid in sorted(conversion.needed_lookups - set(conversion.documents[LOOKUP])):
        conversion.documents[LOOKUP][uid] = copy.deepcopy(published.lookups[uid])
        conversion.report.keep(LOOKUP, uid, [Note("lookup_kept", {"lookup": uid})])


def _keep_locked_lookups(conversion: Conversion, published: Configuration) -> None:
    """Keep the published locked lookups with their value ids: workflows and records rely on them (the publish
    check refuses to change them); an imported lookup of the same id gives its labels to the values it shares."""
    for uid, lookup in sorted(published.lookups.items()):
        if not lookup.get("locked"):
            continue
        kept = copy.deepcopy(lookup)
        imported = conversion.documents[LOOKUP].get(uid)
        if imported is not None:
            if {v["id"] for v in imported["lookup_values_i18n"]} == {v["id"] for v in kept["lookup_values_i18n"]}:
                continue
            labels = {v["id"]: v["display_text"] for v in imported["lookup_values_i18n"]}
            for value in kept["lookup_values_i18n"]:
                value["display_text"] = {**value["display_text"], **labels.get(value["id"], {})}
            item = conversion.report.of_abri_id(LOOKUP, uid)
            if item is not None:
                item.note(Note("locked_lookup_kept", {"lookup": uid}), ADAPTED)
        conversion.documents[LOOKUP][uid] = kept
        conversion.report.keep(LOOKUP, uid, [Note("locked_lookup_kept", {"lookup": uid})])


# --- the data records hold ------------------------------------------------------------------------


def _keep_published_data(ctx: Context, conversion: Conversion, published: Configuration) -> None:
    """Give a field whose records hold values its published type back; report published fields dropped."""
    registry = check_context(ctx.db, published, languages_of(ctx)).published_fields
    imported = Configuration.from_documents(conversion.as_list())  # shares the bodies: fields change in place
    for record_type in imported.record_types():
        now = {f["name"]: f for _, form in published.forms_of(record_type, nested=False) for f in form["fields"]}
        for uid, form in imported.forms_of(record_type, nested=False):
            form["fields"] = [kept for field in form["fields"] for kept in
                              _published_field(ctx, conversion, (record_type, uid), field, now.get(field["name"]),
                                               registry.get(record_type, {}).get(field["name"]))]
    for record_type in published.record_types():
        present = {f["name"] for _, form in imported.forms_of(record_type, nested=False) for f in form["fields"]}
        for uid, form in published.forms_of(record_type, nested=False):
            for field in form["fields"]:
                if field["name"] not in present and field["type"] != "separator" \
                        and usage.holds_values(ctx.db, record_type, field["name"]):
                    conversion.report.keep("field", f"{uid}/{field['name']}",
                                           [Note("published_field_dropped", {"name": field["name"]})])


def _published_field(ctx: Context, conversion: Conversion, where: tuple[str, str], field: dict,
                     now: dict | None, first: dict | None) -> list[dict]:
    """The field as imported; the published one when records hold values of another type; none when that one is
    gone from the published forms (only the registry remembers it)."""
    record_type, form_uid = where
    before = now or first
    if not before or (before["type"], bool(before.get("multi_select"))) == (field["type"],
                                                                            bool(field.get("multi_select"))):
        return [field]
    if not usage.holds_values(ctx.db, record_type, field["name"]):
        return [field]  # nothing to keep: the publish check lets the type change (check_published_fields_unchanged)
    item = conversion.report.of_abri_id("field", f"{form_uid}/{field['name']}")
    described = before["type"] + (" (multi_select)" if before.get("multi_select") else "")
    params = {"name": field["name"], "published": described}
    if now is not None and now["type"] not in ("subform", "calculated"):
        kept = {key: value for key, value in copy.deepcopy(now).items() if key != "display_conditions"}
        if kept.get("option_strings_source"):
            conversion.needed_lookups.add(kept["option_strings_source"].split(" ", 1)[1])
        if item is not None:
            item.note(Note("published_type_kept", params), ADAPTED)
        return [kept]
    if item is not None:
        item.note(Note("published_type_conflict", params), NOT_MAPPED)
    return []


# --- administrators -------------------------------------------------------------------------------


def _keep_administrators(conversion: Conversion, published: Configuration) -> None:
    """Keep the published administrator roles; refuse when the draft would have none (module docstring)."""
    roles = conversion.documents[ROLE]
    for uid in rights.administrator_roles(published):
        if uid in roles:
            item = conversion.report.of_abri_id("role", uid)
            if item is not None:
                item.note(Note("administrator_replaced"), NOT_MAPPED)
        roles[uid] = _kept_administrator(copy.deepcopy(published.roles[uid]), conversion)
        conversion.report.keep(ROLE, uid, [Note("administrator_kept", {"role": uid})])
    for role in roles.values():
        if "assignable_role_ids" in role:
            role["assignable_role_ids"] = [r for r in role["assignable_role_ids"] if r == ASSIGN_ALL or r in roles]
    if not rights.administrator_roles(Configuration.from_documents(conversion.as_list())):
        raise NoAdministratorRole()


def _kept_administrator(role: dict[str, Any], conversion: Conversion) -> dict[str, Any]:
    """The role with the forms and modules it lists narrowed to the imported ones.

    An absent list means every form (module): kept absent. A module list left empty is removed (every
    module): an administrator without a module could not reach the imported forms.
    """
    forms = conversion.documents[FORM]
    if "form_section_read_write" in role:
        role["form_section_read_write"] = {form: access for form, access in role["form_section_read_write"].items()
                                           if form in forms and not forms[form].get("is_nested")}
    if "module_ids" in role:
        role["module_ids"] = [module for module in role["module_ids"] if module in conversion.documents[MODULE]]
        if not role["module_ids"]:
            del role["module_ids"]
    return role


def _check_role_changes(ctx: Context, draft: Configuration) -> None:
    """The rights rules of a role edit, for each role the import adds, changes or removes (the operator is exempt)."""
    if ctx.is_operator:
        return
    before = drafts.draft_configuration(ctx.db).roles
    published = ctx.config.roles
    for uid in sorted(set(before) | set(draft.roles)):
        if before.get(uid) != draft.roles.get(uid):
            rights.check_role_edit(ctx.principal, uid, before.get(uid), draft.roles.get(uid), published.get(uid),
                                   where=f"role:{uid}/")
