"""First start: record the deployment (its country profile and languages), load and publish the shipped configuration.

The deployment is stored with the first configuration version (storage.deployment) so that every
later start, and every process, runs as the same country. Several processes may start at once on
an empty database: the first to store the deployment decides the profile, and the configuration is
published once (a publish is one insert; the others see it and stop trying).
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from server.errors import AbriError, Conflict, Error
from server.metadata import draft as drafts
from server.metadata.configuration import Configuration
from server.metadata.files import list_profiles, profile_documents, read_configuration
from server.metadata.versions import LanguageSettings, current_version
from server.storage import Database, DuplicateKey
from server.storage import deployment as store

SYSTEM_USER = "system"
# How long a start waits for another process that is publishing the first version at the same moment.
_CONCURRENT_START_SECONDS = 30


class ProfileMismatch(AbriError):
    """A start names another country profile than the one the database was set up with."""

    status, error = 500, Error.PROFILE_MISMATCH


def load_directory(db: Database, directory: str | Path, user: str, force: bool = False,
                   profile: str | None = None) -> int:
    """Make the draft the documents of a configuration folder (and country profile); return how many."""
    documents = read_configuration(directory, profile)
    drafts.replace_draft(db, documents, user, datetime.now(timezone.utc), force=force)
    return len(documents)


def bootstrap_configuration(db: Database, directory: str | Path, languages: LanguageSettings,
                            profile: str | None = None) -> int | None:
    """Publish the shipped configuration (with a country profile) as version 1 when nothing is published yet.

    Return the version this call published, or None when one was already published (by an earlier
    start, or by another process starting at the same moment).
    """
    deadline = time.monotonic() + _CONCURRENT_START_SECONDS
    while not current_version(db):
        try:
            return _publish_shipped(db, directory, languages, profile)
        except Conflict:  # another process is loading or has just published the same first version
            if not current_version(db) and time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return None


def _publish_shipped(db: Database, directory: str | Path, languages: LanguageSettings, profile: str | None) -> int:
    load_directory(db, directory, SYSTEM_USER, force=True, profile=profile)
    comment = f"shipped configuration from {Path(directory).name}" + (f", profile {profile}" if profile else "")
    result = drafts.publish_draft(db, languages, SYSTEM_USER, datetime.now(timezone.utc), comment=comment)
    return result["version"]["version"]


def new_deployment(profile: str | None, country: Mapping[str, Any] | None, settings: Mapping[str, Any],
                   now: datetime, initialized: bool = False) -> dict[str, Any]:
    """Return the deployment a first start records: its profile, country and the languages it publishes with."""
    return {"profile": profile, "country": (country or {}).get("country"), "languages": list(settings["LANGUAGES"]),
            "default_language": settings["DEFAULT_LANGUAGE"], "default_locale": settings["DEFAULT_LOCALE"],
            "created_at": now, "initialized_at": now if initialized else None}


def claim_deployment(db: Database, deployment: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Store `deployment` unless one is stored; return the stored one and whether this call stored it."""
    try:
        store.insert_deployment(db, deployment)
        return store.find_deployment(db), True
    except DuplicateKey:  # another process started first: its choice stands
        return store.find_deployment(db), False


def check_profile(deployment: Mapping[str, Any], requested: str | None) -> None:
    """Refuse a start that names another country profile than the stored one (none named: keep it)."""
    stored = deployment.get("profile")
    if requested and requested != stored and stored:
        raise ProfileMismatch(stored=stored, requested=requested)
    if requested and requested != stored:
        raise ProfileMismatch(Error.PROFILE_MISSING, requested=requested)


def infer_profile(config: Configuration, directory: str | Path) -> str | None:
    """Return the one country profile whose overlay documents a published configuration holds, if any.

    For deployments published before the profile was stored: their configuration shows which
    country overlay was loaded (its identity documents form, its location hierarchy ...).
    """
    present = {(kind, uid) for kind, uid, _ in config.documents()}
    found = [profile for profile in list_profiles(directory) if profile_documents(directory, profile) <= present]
    return found[0] if len(found) == 1 else None
