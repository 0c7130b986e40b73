"""Configuration defaults and the ABRI_* environment variables.

Configuration flows one way: the defaults below -> ABRI_* environment variables -> the mapping
passed to create_app (tests) -> function arguments. Nothing else in Abri reads os.environ.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping

from server.errors import AbriError, Error

PACKAGE_ROOT = Path(__file__).resolve().parent
# The source checkout: tests and the developer commands (`abri translations extract|update|compile`) use it.
PROJECT_ROOT = PACKAGE_ROOT.parent
# In an installed wheel the shipped folders (metadata/, translations/, admin_ui/) are package data here;
# in a source checkout (editable install included) they stay at the top of the repository.
SHIPPED_ROOT = PACKAGE_ROOT / "_shipped"


def shipped_path(name: str) -> Path:
    """Return a shipped folder (metadata, translations, admin_ui, app_ui): the installed package's, else the checkout's."""
    packaged = SHIPPED_ROOT / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


def is_installed_package() -> bool:
    """Tell whether Abri runs from an installed wheel rather than from a source checkout."""
    return SHIPPED_ROOT.is_dir()


def default_instance_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the default instance folder: the checkout's instance/, or the user's data folder for a wheel.

    An installed package must not write into site-packages, and a folder relative to the working
    directory would give `abri users ...` run from elsewhere a second, empty database.
    """
    environ = os.environ if environ is None else environ
    if not is_installed_package():
        return PROJECT_ROOT / "instance"
    try:
        data_home = Path(environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    except RuntimeError:  # no home folder (a service account without one): the working directory
        return Path.cwd() / "instance"
    return data_home / "abri"


# MongoDB connection string. Empty: `abri serve` starts the embedded SecantusDB server.
# "mongomock://" gives an in-memory fake (unit tests only).
MONGO_URI = ""
# Database name inside the MongoDB server.
MONGO_DB_NAME = "abri"
# Folder for the embedded database and other instance data: instance/ of a source checkout; for an installed
# package $XDG_DATA_HOME/abri (~/.local/share/abri), the same whatever the working directory.
INSTANCE_PATH = str(default_instance_path())
# The shipped configuration loaded on first start with an empty database (inside the package when installed).
METADATA_DIR = str(shipped_path("metadata"))
# Country profile loaded with the shipped configuration on first start (metadata/countries/<profile>/): bj, cm.
# The database keeps it, with the languages below as they were then: later starts need not repeat it, and a
# start naming another profile is refused. The three language settings below still override the stored ones.
PROFILE = ""
# Languages labels are written in; the first is not special, DEFAULT_LANGUAGE is.
LANGUAGES = ("en", "fr")
# Language every label must have, and the fallback when a translation is missing.
DEFAULT_LANGUAGE = "en"
# Language of API messages when neither ?locale= nor Accept-Language chooses one.
DEFAULT_LOCALE = "en"
# Largest accepted request body, in bytes.
MAX_CONTENT_LENGTH = 2 * 1024 * 1024
# Largest file attached to a record (photos, documents, audio recordings), in MB (1 MB = 1,048,576 bytes): it caps
# each upload field's own max_size_mb (10 MB for photos, 20 MB for documents and recordings when not set). An
# upload's body may exceed MAX_CONTENT_LENGTH up to this size; nothing larger is read.
ATTACHMENT_MAX_MB = 20
# Largest page size of list endpoints.
MAX_PER_PAGE = 1000
# Reports show a count under this threshold as "< 5" (with complementary cells hidden), unless a report sets its own.
REPORT_THRESHOLD = 5
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
# Key that seals the password of an export while it waits for a worker (base64 of 32 random bytes).
# Empty: a key file export-password.key is made once in INSTANCE_PATH (mode 0600). Give the same value
# to every app and `abri worker` process that does not share that folder (e.g. on other machines).
EXPORT_PASSWORD_KEY = ""
# Migrate a database written by an earlier release when a process starts (server/services/migrations.py).
# Off: a process refuses to start on an older database until `abri migrate` has run (for upgrades done by hand).
MIGRATE_ON_START = True
# Password of `abri backup` and `abri restore` (at least 12 characters; the backup's key is derived from it).
# Empty: give --password-file, or the command asks for it.
BACKUP_PASSWORD = ""
# Lifetime of bearer tokens and of admin UI sessions, in hours.
TOKEN_TTL_HOURS = 12
SESSION_TTL_HOURS = 8
# Login throttle (policy in server/auth/tokens.py): attempts an account takes without delay per window
# (and each address per day on one account), then an address that failed waits 2^k seconds after its
# k-th failure; unsuccessful attempts per client address per window before that address is refused.
# Lifetime of a device credential (field sync), in days; renewed while the device keeps syncing.
DEVICE_TTL_DAYS = 30
# Records a sync pull sends a device: "scope" (every record its user sees) or "marked" (those marked_for_mobile).
SYNC_RECORDS = "scope"
# A sync pull sends the records written at least this many seconds ago (the newer ones on the next pull): a write
# still committing is never passed over. At least 10 (a write's 5 s lease plus 5 s of clock difference between
# app servers); raise it if the app servers' clocks may differ by more.
SYNC_SETTLE_SECONDS = 10
# Records (and tombstones) per sync pull page, and items per sync push.
SYNC_PAGE_SIZE = 200
SYNC_MAX_BATCH = 200
LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 30
LOGIN_WINDOW_MINUTES = 15
# Shortest password allowed (8 to 32); common, guessable and name-based passwords are refused at any length.
PASSWORD_MIN_LENGTH = 10
# Reverse proxies in front of Abri whose X-Forwarded-For and X-Forwarded-Proto are trusted (0: none,
# the connecting address is the client). Set it to the number of proxies, or clients can forge their address.
TRUSTED_PROXIES = 0
# Password of the `admin` user created on first start; empty: a random one is printed once.
ADMIN_PASSWORD = ""
# Secure flag of the session cookie: "auto" (when the request came over https), "always" or "never".
SESSION_COOKIE_SECURE_MODE = "auto"
# WiredTiger cache of the embedded database (SecantusDB, when MONGO_URI is empty): "512M", "2G". It bounds the
# documents and index pages the server keeps in memory; the README gives the memory it needs per number of cases.
EMBEDDED_CACHE_SIZE = "512M"
# Display id of records (case_id_display, ...): placeholders {short_id} and {office_code}.
DISPLAY_ID_FORMAT = "{short_id}"
# Code of this office or deployment, used by DISPLAY_ID_FORMAT (e.g. "COT" -> COT-4k7x2mb).
OFFICE_CODE = ""
# Live alerts (GET /api/v1/alerts/stream, server-sent events): how long one stream stays open before the client
# reconnects (and is authenticated again), how often it looks for new alerts, and how many streams one process
# serves at once (each holds a thread: run gunicorn with threads, e.g. --worker-class gthread --threads 50).
ALERT_STREAM_SECONDS = 55
ALERT_POLL_SECONDS = 2.0
ALERT_STREAMS_MAX = 200
# E-mail of alerts (off while SMTP_HOST is empty): the server, its port, "starttls", "ssl" or "none", the login
# (empty: none) and the sender. A mail says what happened to which record and nothing about the child.
SMTP_HOST = ""
SMTP_PORT = 587
SMTP_SECURITY = "starttls"
SMTP_USER = ""
SMTP_PASSWORD = ""
MAIL_FROM = "abri@localhost"
# Logs on stderr, one line per event: "json" (one object per line), "text", or "auto" (json under `abri serve` and
# `abri worker`, text for the other commands). No log line holds a child's data.
LOG_FORMAT = "auto"
# Least severe level written: DEBUG, INFO (an access line per request), WARNING, ERROR or CRITICAL.
LOG_LEVEL = "INFO"
# Bearer token of GET /metrics (Prometheus' text format); empty: /metrics answers 404.
METRICS_TOKEN = ""

ENV_PREFIX = "ABRI_"
_NOT_SETTINGS = {"PACKAGE_ROOT", "PROJECT_ROOT", "SHIPPED_ROOT", "PROFILE_LANGUAGE_SETTINGS"}  # constants, not settings
_TUPLES = {"LANGUAGES"}


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _coerce(name: str, raw: str, default: Any) -> Any:
    """Turn an environment string into the type of its default (else it stays text, which check_settings refuses)."""
    if name in _TUPLES:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if isinstance(default, bool):
        word = raw.strip().lower()
        return True if word in _TRUE else False if word in _FALSE else raw
    if isinstance(default, (int, float)):
        try:
            return type(default)(raw.strip())
        except ValueError:
            return raw
    return raw


def load_config(overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings: defaults, then ABRI_* variables, then overrides."""
    environ = os.environ if environ is None else environ
    settings = {name: value for name, value in globals().items()
                if name.isupper() and not name.startswith("_") and name not in _NOT_SETTINGS}
    for name, default in list(settings.items()):
        raw = environ.get(ENV_PREFIX + name)
        if raw is not None:
            settings[name] = _coerce(name, raw, default)
    settings.update(overrides or {})
    return settings


# The settings a country profile brings, and that the deployment stored at first start keeps.
PROFILE_LANGUAGE_SETTINGS = ("LANGUAGES", "DEFAULT_LANGUAGE", "DEFAULT_LOCALE")


def profile_settings(settings: Mapping[str, Any], profile: Mapping[str, Any],
                     environ: Mapping[str, str] | None = None, chosen: Iterable[str] = ()) -> dict[str, Any]:
    """Settings a country profile brings (languages), unless the environment or the caller already chose them."""
    values = {"LANGUAGES": tuple(profile.get("languages") or settings["LANGUAGES"]),
              "DEFAULT_LANGUAGE": profile.get("default_language", settings["DEFAULT_LANGUAGE"]),
              "DEFAULT_LOCALE": profile.get("default_locale", settings["DEFAULT_LOCALE"])}
    return _unless_chosen(values, environ, chosen)


def deployment_settings(deployment: Mapping[str, Any], environ: Mapping[str, str] | None = None,
                        chosen: Iterable[str] = ()) -> dict[str, Any]:
    """Settings the stored deployment keeps (its languages), unless the environment or the caller chose them.

    Order: defaults -> the stored deployment -> ABRI_* variables -> create_app's mapping, so an operator
    can still add a label language (ABRI_LANGUAGES=fr,en,fon) without a new first start.
    """
    values = {"LANGUAGES": tuple(deployment["languages"]), "DEFAULT_LANGUAGE": deployment["default_language"],
              "DEFAULT_LOCALE": deployment["default_locale"]}
    return _unless_chosen(values, environ, chosen)


def environment_choices(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ABRI_* variables that set a profile setting (LANGUAGES ...), by variable name."""
    environ = os.environ if environ is None else environ
    return {ENV_PREFIX + name: environ[ENV_PREFIX + name] for name in PROFILE_LANGUAGE_SETTINGS if ENV_PREFIX + name in environ}


def _unless_chosen(values: dict[str, Any], environ: Mapping[str, str] | None, chosen: Iterable[str]) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    chosen = set(chosen)
    return {name: value for name, value in values.items() if name not in chosen and ENV_PREFIX + name not in environ}


class SettingInvalid(AbriError):
    """A setting that would silently weaken Abri: the server does not start."""

    status, error = 500, Error.SETTING_INVALID
