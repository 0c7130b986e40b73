"""Configuration use cases: the draft's status, publish, versions, diff, restore, a folder loaded as the draft.

Each takes a Context and checks the caller's permission before it reads anything. A publish and a
restore write their audit entry (the same for the API, the command line and a first start) and then
keep what depends on the published forms up to date: the record indexes (the registry of published
fields is kept by the publish itself). Draft document edits are in services/drafts.py, the location
import in services/locations.py, the translators' spreadsheet in services/translations.py and the
first start in services/deployment.py.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from server.auth import rights
from server.metadata import bootstrap, draft as drafts, impact, versions
from server.metadata.configuration import Configuration
from server.metadata.diff import diff_configurations
from server.metadata.readable import readable_changes
from server.metadata.draft import PublicationCheck
from server.metadata.versions import LanguageSettings
from server.records import service as record_service
from server.services.audit import audit
from server.services.context import Context
from server.services.permission import require_any

MANAGE = ("metadata", "manage")
TRANSLATE = ("metadata", "manage_translations")
MANAGE_ROLES = ("role", "manage")


def languages_of(ctx: Context) -> LanguageSettings:
    """The deployment's label languages."""
    return LanguageSettings.of(ctx.settings)


def publication_check(ctx: Context) -> PublicationCheck | None:
    """The rights rules a publish or restore by this caller must pass (none for the operator)."""
    if ctx.is_operator:
        return None
    return lambda published, target: rights.check_publication(ctx.db, ctx.user_name, published, target)


def draft_status(ctx: Context) -> dict[str, Any]:
    """The draft's changes against the published version, with its check results."""
    require_any(ctx, MANAGE)
    return drafts.draft_status(ctx.db, languages_of(ctx))


def publish_impact(ctx: Context, locale: str) -> dict[str, Any]:
    """What a publish of the draft would change on the devices, and whom and which records it reaches."""
    require_any(ctx, MANAGE)
    return impact.publish_impact(ctx.db, versions.published_configuration(ctx.db), drafts.draft_configuration(ctx.db),
                                 locale)


def publish(ctx: Context, comment: str = "") -> dict[str, Any]:
    """Run every check and publish the draft as the next version: {"version": summary, "warnings": [...]}."""
    require_any(ctx, MANAGE)
    result = drafts.publish_draft(ctx.db, languages_of(ctx), ctx.user_name, ctx.now, comment,
                                  check_publication=publication_check(ctx))
    audit(ctx, "metadata_publish", detail=f"version {result['version']['version']}")
    refresh_after_publish(ctx)
    return result


def restore(ctx: Context, number: int, comment: str = "", discard_draft: bool = False) -> dict[str, Any]:
    """Publish an old version again as a new version (and make it the draft)."""
    require_any(ctx, MANAGE)
    result = drafts.restore_version(ctx.db, number, languages_of(ctx), ctx.user_name, ctx.now, comment,
                                    discard_draft, check_publication=publication_check(ctx))
    audit(ctx, "metadata_restore", detail=f"version {number} as {result['version']['version']}")
    refresh_after_publish(ctx)
    return result


def refresh_after_publish(ctx: Context) -> None:
    """Keep what depends on the published forms up to date: the indexes of the records' filterable fields."""
    ctx.forget_config()
    record_service.ensure_indexes(ctx.db, ctx.config)


def list_versions(ctx: Context, page: int, per_page: int) -> tuple[list[dict[str, Any]], int]:
    """A page of published versions, newest first, and how many there are."""
    require_any(ctx, MANAGE)
    return versions.list_versions(ctx.db, page, per_page)


def get_version(ctx: Context, number: int) -> dict[str, Any]:
    """One version: who, when, comment, changes, and its documents' content hashes."""
    require_any(ctx, MANAGE)
    return versions.get_version(ctx.db, number)


def diff_versions(ctx: Context, a: int, b: int) -> list[dict[str, Any]]:
    """What changed from version a to version b."""
    require_any(ctx, MANAGE)
    return versions.diff_versions(ctx.db, a, b)


def readable_diff(ctx: Context, a: int, b: int, locale: str) -> list[dict[str, Any]]:
    """What changed from version a to version b, as a person reads it."""
    require_any(ctx, MANAGE)
    before, after = versions.published_configuration(ctx.db, a), versions.published_configuration(ctx.db, b)
    return readable_changes(diff_configurations(before, after), before, after, locale)


def published(ctx: Context) -> Configuration:
    """The published configuration (for `abri metadata dump`)."""
    require_any(ctx, MANAGE)
    return ctx.config


def load_folder(ctx: Context, directory: str | Path, force: bool = False, profile: str | None = None) -> int:
    """Make the documents of a configuration folder (and a country profile) the draft; return how many."""
    require_any(ctx, MANAGE)
    return bootstrap.load_directory(ctx.db, directory, ctx.user_name, force=force, profile=profile)
