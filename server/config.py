"""Configuration defaults and the ABRI_* environment variables.

Configuration flows one way: the defaults below -> ABRI_* environment variables -> the mapping
passed to create_app (tests) -> function arguments. Nothing else in Abri reads os.environ.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# MongoDB connection string. Empty: `abri serve` starts the embedded SecantusDB server.
# "mongomock://" gives an in-memory fake (unit tests only).
MONGO_URI = ""
# Database name inside the MongoDB server.
MONGO_DB_NAME = "abri"
# Folder for the embedded database and other instance data.
INSTANCE_PATH = str(PROJECT_ROOT / "instance")
# The shipped configuration loaded on first start with an empty database.
METADATA_DIR = str(PROJECT_ROOT / "metadata")
# Country profile loaded with the shipped configuration on first start (metadata/countries/<profile>/): bj, cm.
PROFILE = ""
# Languages labels are written in; the first is not special, DEFAULT_LANGUAGE is.
LANGUAGES = ("en", "fr")
# Language every label must have, and the fallback when a translation is missing.
DEFAULT_LANGUAGE = "en"
# Language of API messages when neither ?locale= nor Accept-Language chooses one.
DEFAULT_LOCALE = "en"
# Largest accepted request body, in bytes.
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
# Largest page size of list endpoints.
MAX_PER_PAGE = 1000
# Days an export file is kept before it is deleted.
EXPORT_TTL_DAYS = 7
# Export worker threads inside `abri serve` (0: only separate `abri worker` processes run exports).
EXPORT_WORKER_THREADS = 1
# A running export whose worker sent no heartbeat for this long is taken over by another worker.
EXPORT_LEASE_SECONDS = 120
# Attempts before an export that keeps stopping is marked failed.
EXPORT_MAX_ATTEMPTS = 3
# How long an idle worker waits before looking for jobs again.
EXPORT_POLL_SECONDS = 2
# Lifetime of bearer tokens and of admin UI sessions, in hours.
TOKEN_TTL_HOURS = 12
SESSION_TTL_HOURS = 8
# Failed logins allowed per account and per client address within the window, before 429.
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 30
LOGIN_WINDOW_MINUTES = 15
# Password of the `admin` user created on first start; empty: a random one is printed once.
ADMIN_PASSWORD = ""
# Secure flag of the session cookie: "auto" (when the request came over https), "always" or "never".
SESSION_COOKIE_SECURE_MODE = "auto"
# Display id of records (case_id_display, ...): placeholders {short_id} and {office_code}.
DISPLAY_ID_FORMAT = "{short_id}"
# Code of this office or deployment, used by DISPLAY_ID_FORMAT (e.g. "COT" -> COT-4k7x2mb).
OFFICE_CODE = ""

_ENV_PREFIX = "ABRI_"
_TUPLES = {"LANGUAGES"}


def _coerce(name: str, raw: str, default: Any) -> Any:
    """Turn an environment string into the type of its default."""
    if name in _TUPLES:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def load_config(overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings: defaults, then ABRI_* variables, then overrides."""
    environ = os.environ if environ is None else environ
    settings = {name: value for name, value in globals().items()
                if name.isupper() and not name.startswith("_") and name != "PROJECT_ROOT"}
    for name, default in list(settings.items()):
        raw = environ.get(_ENV_PREFIX + name)
        if raw is not None:
            settings[name] = _coerce(name, raw, default)
    settings.update(overrides or {})
    return settings


def profile_settings(settings: Mapping[str, Any], profile: Mapping[str, Any],
                     environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Settings a country profile brings (languages), unless the environment already chose them."""
    environ = os.environ if environ is None else environ
    chosen = {"LANGUAGES": tuple(profile.get("languages") or settings["LANGUAGES"]),
              "DEFAULT_LANGUAGE": profile.get("default_language", settings["DEFAULT_LANGUAGE"]),
              "DEFAULT_LOCALE": profile.get("default_locale", settings["DEFAULT_LOCALE"])}
    return {name: value for name, value in chosen.items() if _ENV_PREFIX + name not in environ}
