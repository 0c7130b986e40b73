"""The deployment document: the country profile and languages chosen at first start.

- settings: {"_id": "deployment", "profile", "country", "languages", "default_language",
            "default_locale", "created_at", "initialized_at"}. Inserting it is how the first of several
            processes starting at once on an empty database claims the first start; `initialized_at` is
            set once the first start's work (publish, agencies) is done, so a start killed midway is
            finished by the next one.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from server.storage.client import Database
from server.storage.errors import translated_errors

DEPLOYMENT_ID = "deployment"


def find_deployment(db: Database) -> dict[str, Any] | None:
    """Return the stored deployment, or None before the first start."""
    with translated_errors():
        return db.settings.find_one({"_id": DEPLOYMENT_ID})


def insert_deployment(db: Database, deployment: dict[str, Any]) -> None:
    """Store the deployment; DuplicateKey when another process stored one first."""
    with translated_errors():
        db.settings.insert_one({**deployment, "_id": DEPLOYMENT_ID})


def mark_initialized(db: Database, at: datetime) -> None:
    """Record that the first start's work is done (the first time only)."""
    with translated_errors():
        db.settings.update_one({"_id": DEPLOYMENT_ID, "initialized_at": None}, {"$set": {"initialized_at": at}})
