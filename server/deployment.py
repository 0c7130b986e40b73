"""The deployment: the country profile and languages chosen at first start, kept in the database.

Every process applies the stored choice when its app is built (init_deployment), so a restart
without --profile, each gunicorn worker and every `abri worker` run with the languages of the first
start. ABRI_LANGUAGES, ABRI_DEFAULT_LANGUAGE and ABRI_DEFAULT_LOCALE still override them (to add a
label language without a new first start); naming another profile is refused (ProfileMismatch),
because the published forms, places and agencies are those of the stored one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from flask import Flask

from server.auth import accounts
from server.config import PROFILE_LANGUAGE_SETTINGS, deployment_settings, profile_settings
from server.errors import Conflict
from server.metadata.bootstrap import (bootstrap_configuration, check_profile, claim_deployment, infer_profile,
                                       new_deployment)
from server.metadata.files import read_profile
from server.metadata.versions import LanguageSettings, current_version, published_configuration
from server.storage import Database
from server.storage import deployment as store

_CHOSEN = "abri_chosen_settings"


@dataclass
class Start:
    """What a start found or did: the deployment, and the first start's work done by this process."""

    deployment: dict[str, Any]
    stored_now: bool = False
    version: int | None = None
    agencies: list[str] = field(default_factory=list)


def init_deployment(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Apply the stored deployment's languages to the app (its caller's own choices win); refuse another profile."""
    app.extensions[_CHOSEN] = frozenset(overrides or ()) & set(PROFILE_LANGUAGE_SETTINGS)
    deployment = store.find_deployment(app.extensions["abri_db"])
    if deployment is not None:
        apply_deployment(app, deployment)  # ProfileMismatch: create_app closes the client and refuses to start


def apply_deployment(app: Flask, deployment: Mapping[str, Any]) -> None:
    """Make the app run as `deployment` (ProfileMismatch when the app was asked for another profile)."""
    check_profile(deployment, app.config["PROFILE"] or None)
    app.config.update(deployment_settings(deployment, chosen=app.extensions.get(_CHOSEN, ())))
    app.config["PROFILE"] = deployment.get("profile") or ""


def start_deployment(app: Flask, now: datetime) -> Start:
    """Record the deployment at its first start, publish the shipped configuration, create the profile's agencies.

    A first start killed midway is finished by the next start (each step is done once, whoever does it).
    """
    db: Database = app.extensions["abri_db"]
    deployment = store.find_deployment(db)
    stored_now = False
    if deployment is None:
        deployment, stored_now = claim_deployment(db, _first_deployment(app, db, now))
    # Also when another process stored it after this app was built (processes starting at the same moment).
    apply_deployment(app, deployment)
    start = Start(deployment, stored_now)
    if deployment.get("initialized_at") is None:
        languages = LanguageSettings.of(app.config)
        start.version = bootstrap_configuration(db, app.config["METADATA_DIR"], languages, deployment["profile"])
        start.agencies = _create_agencies(db, app, deployment, now)
        store.mark_initialized(db, now)
    return start


def _first_deployment(app: Flask, db: Database, now: datetime) -> dict[str, Any]:
    """The deployment this start would record: its profile (or, for an older database, the one it holds)."""
    profile = app.config["PROFILE"] or None
    published = bool(current_version(db))
    if published and profile is None:  # published before the profile was stored
        profile = infer_profile(published_configuration(db), app.config["METADATA_DIR"])
    country = read_profile(app.config["METADATA_DIR"], profile) if profile else None
    settings = {**app.config, **profile_settings(app.config, country, chosen=app.extensions.get(_CHOSEN, ()))} \
        if country else app.config
    return new_deployment(profile, country, settings, now, initialized=published)


def _create_agencies(db: Database, app: Flask, deployment: Mapping[str, Any], now: datetime) -> list[str]:
    """Create the agencies of the profile that do not exist yet; return their ids."""
    if not deployment.get("profile"):
        return []
    created = []
    for agency in read_profile(app.config["METADATA_DIR"], deployment["profile"]).get("agencies", []):
        try:
            accounts.create_entity(db, "agencies", agency, now)
            created.append(agency["unique_id"])
        except Conflict:  # made by an earlier, interrupted start or by another process starting now
            pass
    return created
