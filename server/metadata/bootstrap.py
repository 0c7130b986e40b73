"""First start: load and publish the shipped configuration into an empty database."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from server.metadata import draft as drafts
from server.metadata.files import read_configuration
from server.metadata.versions import LanguageSettings, current_version
from server.storage import Database

SYSTEM_USER = "system"


def load_directory(db: Database, directory: str | Path, user: str, force: bool = False,
                   profile: str | None = None) -> int:
    """Make the draft the documents of a configuration folder (and country profile); return how many."""
    documents = read_configuration(directory, profile)
    drafts.replace_draft(db, documents, user, datetime.now(timezone.utc), force=force)
    return len(documents)


def bootstrap_configuration(db: Database, directory: str | Path, languages: LanguageSettings,
                            profile: str | None = None) -> int | None:
    """Publish the shipped configuration (with a country profile) as version 1 when nothing is published yet."""
    if current_version(db):
        return None
    load_directory(db, directory, SYSTEM_USER, force=True, profile=profile)
    comment = f"shipped configuration from {Path(directory).name}" + (f", profile {profile}" if profile else "")
    result = drafts.publish_draft(db, languages, SYSTEM_USER, datetime.now(timezone.utc), comment=comment)
    return result["version"]["version"]
