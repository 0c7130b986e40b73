"""Draft document use cases: read the draft, add, change (replace, patch, fields, values, order), delete.

The permission comes first: `metadata: manage` (`role: manage` for roles) for every change, or
`metadata: manage_translations` for the changes a translator may make (labels, order, visibility).
A change to a role also passes the rights rules for the editor (server.auth.rights), and is written
to the audit log, refused (403) or done; locking or unlocking a lookup is written too.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from server.auth import rights
from server.errors import AbriError
from server.metadata import draft as drafts
from server.metadata.configuration import Configuration
from server.metadata.documents import FORM, LOOKUP, ROLE
from server.metadata.edits import Edit
from server.metadata.versions import published_configuration
from server.services.audit import audit
from server.services.configuration import MANAGE, MANAGE_ROLES, TRANSLATE, languages_of
from server.services.context import Context
from server.services.permission import require_any

Revision = int | str | None  # the revision a caller last read: a number, an If-Match text ('3', '"3"'), or None


def _revision(expected: Revision) -> int | None:
    """Read the expected revision (after the permission check: a refusal comes before a malformed If-Match)."""
    return drafts.positive_revision(expected) if isinstance(expected, str) else expected


def write_permission(kind: str) -> tuple[str, str]:
    """The permission that edits documents of a kind beyond their labels."""
    return MANAGE_ROLES if kind == ROLE else MANAGE


def may_change(ctx: Context, kind: str) -> bool:
    """Refuse a caller who may not edit the draft at all; tell whether they may change more than labels."""
    require_any(ctx, MANAGE, TRANSLATE, *((MANAGE_ROLES,) if kind == ROLE else ()))
    return ctx.is_operator or ctx.principal.can(*write_permission(kind))


class _ChangeCheck:
    """The `check_change` of one use case: a role's rights rules for the editor; keeps the last change it saw.

    The draft re-applies a change to the newest revision when another write came first, and calls
    this on each attempt: the last change seen is the one stored.
    """

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.before: dict | None = None
        self.after: dict | None = None

    def __call__(self, kind: str, unique_id: str, before: dict | None, after: dict | None) -> None:
        if kind == ROLE and not self.ctx.is_operator:
            rights.check_role_edit(self.ctx.principal, unique_id, before, after,
                                   published_configuration(self.ctx.db).roles.get(unique_id))
        self.before, self.after = before, after


@contextmanager
def _role_audited(ctx: Context, kind: str, unique_id: str, action: str) -> Iterator[None]:
    """Write a change of a role in the draft, or its refusal (403), to the audit log: roles are rights."""
    if kind != ROLE:
        yield
        return
    try:
        yield
    except AbriError as error:
        if error.status == 403:
            audit(ctx, f"{action}_refused", "role", unique_id, status=403, detail=error.code)
        raise
    audit(ctx, action, "role", unique_id, detail="draft")


def draft_configuration(ctx: Context, kind: str) -> Configuration:
    """The draft as a configuration, for a caller who may edit documents of `kind`."""
    may_change(ctx, kind)
    return drafts.draft_configuration(ctx.db)


def read_document(ctx: Context, kind: str, unique_id: str) -> dict[str, Any]:
    """One draft entry ({body, revision, updated_at, updated_by})."""
    may_change(ctx, kind)
    return drafts.get_document(ctx.db, kind, unique_id)


def create_document(ctx: Context, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Add a document to the draft; return its draft entry."""
    require_any(ctx, write_permission(kind))
    with _role_audited(ctx, kind, str(body.get("unique_id")), "role_created"):
        return drafts.create_document(ctx.db, kind, body, languages_of(ctx), ctx.user_name, ctx.now,
                                      check_change=_ChangeCheck(ctx))


def change_document(ctx: Context, kind: str, unique_id: str, edit: Edit, expected_revision: Revision,
                    translators_too: bool = False) -> dict[str, Any]:
    """Apply an edit to a draft document (translators, when `translators_too`: labels, order, visibility only).

    `expected_revision`: the revision the caller last read (a number or an If-Match text), or None.
    """
    if translators_too:
        manager = may_change(ctx, kind)
    else:
        require_any(ctx, write_permission(kind))
        manager = True
    revision = _revision(expected_revision)
    check = _ChangeCheck(ctx)
    with _role_audited(ctx, kind, unique_id, "role_changed"):
        entry = drafts.modify_document(ctx.db, kind, unique_id, edit, revision, languages_of(ctx),
                                       ctx.user_name, ctx.now, translations_only=not manager, check_change=check)
    locking = drafts.lock_change(kind, check.before, check.after)
    if locking:
        audit(ctx, f"lookup_{locking}", LOOKUP, unique_id, detail="draft")
    return entry


def move_field(ctx: Context, source: str, name: str, target: str, position: int | None,
               expected_revision: Revision) -> dict[str, Any]:
    """Move a field from a draft form to another of the same record type; answer the target's draft entry."""
    require_any(ctx, write_permission(FORM))
    return drafts.move_field(ctx.db, source, target, name, position, _revision(expected_revision), languages_of(ctx),
                             ctx.user_name, ctx.now)


def delete_document(ctx: Context, kind: str, unique_id: str, expected_revision: Revision) -> None:
    """Remove a document from the draft; refused while other documents use it."""
    require_any(ctx, write_permission(kind))
    revision = _revision(expected_revision)
    with _role_audited(ctx, kind, unique_id, "role_deleted"):
        drafts.delete_document(ctx.db, kind, unique_id, revision, languages_of(ctx),
                               check_change=_ChangeCheck(ctx))
