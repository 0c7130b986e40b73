"""Reading configuration documents: the published ones as the caller may see them, and the draft's for its editors.

Any signed-in user reads the published forms their role may read (with the nested forms those
use), and every lookup and module; roles are read by whoever manages metadata, users or roles.
Metadata managers and translators see every form. Lists are filtered by record type and module,
in display order (forms) or by id, and with `since` hold only what changed after that version,
with the ids of deleted documents.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.errors import NotFound, Unauthorized
from server.metadata.configuration import Configuration, form_sort_key
from server.metadata.documents import FORM, ROLE
from server.metadata.draft import KIND_NAMES
from server.metadata.record_schema import day_bounds, record_schema
from server.metadata.versions import changes_since, published_configuration
from server.services.configuration import MANAGE, MANAGE_ROLES, TRANSLATE
from server.services.context import Context
from server.services.permission import require_any
from server.services.drafts import draft_configuration

MANAGE_USERS = ("user", "manage")


@dataclass(frozen=True)
class Filters:
    """What a list keeps: forms of one record type, of one module; only what changed after version `since`."""

    record_type: str | None = None
    module_id: str | None = None
    since: int | None = None


@dataclass(frozen=True)
class Listed:
    """Documents in display order, ids deleted since the version asked for, and the version they are from."""

    bodies: list[dict[str, Any]]
    deleted: list[str]
    version: int


def visible_forms(ctx: Context, kind: str) -> set[str] | None:
    """The form ids the caller may see (None: every document of `kind`); roles need a manager (403 otherwise)."""
    if kind == ROLE:
        require_any(ctx, MANAGE, MANAGE_USERS, MANAGE_ROLES)
    if ctx.is_anonymous:
        raise Unauthorized()
    principal = ctx.principal
    if kind != FORM or ctx.is_operator or principal.can(*MANAGE) or principal.can(*TRANSLATE):
        return None
    readable = principal.readable_forms()
    if readable is None:
        return None
    forms = ctx.config.forms
    nested = {field.get("subform_section_id") for uid in readable if uid in forms
              for field in forms[uid]["fields"] if field["type"] == "subform"}
    return readable | nested


def list_published(ctx: Context, kind: str, filters: Filters, visible: set[str] | None) -> Listed:
    """The published documents of `kind` the caller sees (`visible`, from visible_forms), filtered and sorted."""
    config, deleted = ctx.config, []
    if filters.since is not None:
        _, changed, deleted = changes_since(ctx.db, filters.since, kind)
        chosen = [config.documents_by_kind[kind][uid] for uid in changed]
        if kind == FORM and visible is not None:  # only the ids of forms the role read: others it never held
            deleted = [uid for uid in deleted if uid in _forms_read_then(ctx, filters.since)]
    else:
        chosen = list(config.documents_by_kind[kind].values())
    bodies = [body for body in chosen if visible is None or body["unique_id"] in visible]
    return Listed(_sorted(kind, [body for body in bodies if _matches(kind, body, filters)]), deleted, config.version)


def _forms_read_then(ctx: Context, version: int) -> set[str]:
    """The forms the caller's role read in a published version (with the nested forms those used)."""
    then = published_configuration(ctx.db, version)
    role = then.roles.get(ctx.principal.role_id) if ctx.principal else None
    if role is None:
        return set()
    readable = set(role["form_section_read_write"]) if "form_section_read_write" in role else set(then.forms)
    return readable | {field.get("subform_section_id") for uid in readable if uid in then.forms
                       for field in then.forms[uid]["fields"] if field["type"] == "subform"}


def read_published(ctx: Context, kind: str, unique_id: str, visible: set[str] | None) -> dict[str, Any]:
    """One published document the caller sees; NotFound alike when it does not exist or is not theirs to see."""
    body = ctx.config.get(kind, unique_id)
    if body is None or (visible is not None and unique_id not in visible):
        raise NotFound(kind=KIND_NAMES[kind], id=unique_id)
    return body


def list_draft(ctx: Context, kind: str, filters: Filters) -> list[dict[str, Any]]:
    """The draft's documents of `kind`, filtered and sorted, for a caller who may edit them."""
    config: Configuration = draft_configuration(ctx, kind)
    return _sorted(kind, [body for body in config.documents_by_kind[kind].values() if _matches(kind, body, filters)])


def _matches(kind: str, body: dict[str, Any], filters: Filters) -> bool:
    if kind != FORM:
        return True
    return ((not filters.record_type or body["parent_form"] == filters.record_type)
            and (not filters.module_id or filters.module_id in body.get("module_ids", [])))


def _sorted(kind: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(bodies, key=form_sort_key) if kind == FORM else sorted(bodies, key=lambda body: body["unique_id"])


@dataclass(frozen=True)
class RecordSchema:
    """The JSON Schema of what the caller's role may write in a record type's data, compiled when asked for.

    `tag` is what it depends on (the published configuration, the role, the day), so a client that holds it
    is answered without compiling anything.
    """

    config: Configuration
    record_type: str
    module_id: str | None
    readable: frozenset[str] | None
    writable: frozenset[str] | None
    days: Any
    tag: tuple

    @property
    def version(self) -> int:
        return self.config.version

    def compile(self) -> dict[str, Any]:
        return record_schema(self.config, self.record_type, self.module_id, self.readable, self.writable, self.days)


def record_data_schema(ctx: Context, record_type: str, module_id: str | None) -> RecordSchema:
    """The schema of a record type's `data` for the caller's role (of one module, if asked): what a create may hold.

    It depends on the day (date rules). A module that does not hold the record type is not found: the schema of
    no form would accept nothing but {}.
    """
    if ctx.is_anonymous:
        raise Unauthorized()
    config = ctx.config
    if module_id is not None and record_type not in config.modules.get(module_id, {}).get(
            "associated_record_types", ()):
        raise NotFound(kind=KIND_NAMES["module"], id=module_id)
    readable, writable = ((None, None) if ctx.is_operator else
                          (_frozen(ctx.principal.readable_forms()), _frozen(ctx.principal.writable_forms())))
    days = day_bounds(ctx.now)
    role = None if ctx.is_operator else ctx.principal.role_id
    return RecordSchema(config, record_type, module_id, readable, writable, days, (config.fingerprint, role, days))


def _frozen(ids: set[str] | None) -> frozenset[str] | None:
    return None if ids is None else frozenset(ids)
