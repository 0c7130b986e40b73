"""Configuration defaults and the ABRI_* environment variables.

Configuration flows one way: the defaults below -> ABRI_* environment variables -> the mapping
passed to create_app (tests) -> function arguments. Nothing else in Abri reads os.environ.
"""
from __future__ import annotations

import os
import string
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from flask_babel import lazy_gettext as _l

from server.errors import AbriError, render_message

PACKAGE_ROOT = Path(__file__).resolve().parent
# The source checkout: tests and the developer commands (`abri translations extract|update|compile`) use it.
PROJECT_ROOT = PACKAGE_ROOT.parent
# In an installed wheel the shipped folders (metadata/, translations/, admin_ui/) are package data here;
# in a source checkout (editable install included) they stay at the top of the repository.
SHIPPED_ROOT = PACKAGE_ROOT / "_shipped"


def shipped_path(name: str) -> Path:
    """Return a shipped folder (metadata, translations, admin_ui): the installed package's, else the checkout's."""
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
# Key that seals the password of an export while it waits for a worker (base64 of 32 random bytes).
# Empty: a key file export-password.key is made once in INSTANCE_PATH (mode 0600). Give the same value
# to every app and `abri worker` process that does not share that folder (e.g. on other machines).
EXPORT_PASSWORD_KEY = ""
# Lifetime of bearer tokens and of admin UI sessions, in hours.
TOKEN_TTL_HOURS = 12
SESSION_TTL_HOURS = 8
# Login throttle (policy in server/auth/tokens.py): attempts an account takes without delay per window
# (and each address per day on one account), then an address that failed waits 2^k seconds after its
# k-th failure; unsuccessful attempts per client address per window before that address is refused.
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
# Display id of records (case_id_display, ...): placeholders {short_id} and {office_code}.
DISPLAY_ID_FORMAT = "{short_id}"
# Code of this office or deployment, used by DISPLAY_ID_FORMAT (e.g. "COT" -> COT-4k7x2mb).
OFFICE_CODE = ""

_ENV_PREFIX = "ABRI_"
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
    if isinstance(default, int):
        try:
            return int(raw.strip())
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
        raw = environ.get(_ENV_PREFIX + name)
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
    return {_ENV_PREFIX + name: environ[_ENV_PREFIX + name] for name in PROFILE_LANGUAGE_SETTINGS if _ENV_PREFIX + name in environ}


def _unless_chosen(values: dict[str, Any], environ: Mapping[str, str] | None, chosen: Iterable[str]) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    chosen = set(chosen)
    return {name: value for name, value in values.items() if name not in chosen and _ENV_PREFIX + name not in environ}


class SettingInvalid(AbriError):
    """A setting that would silently weaken Abri: the server does not start."""

    status, code = 500, "SETTING_INVALID"
    message = _l("The setting %(name)s cannot be %(value)s. Allowed: %(allowed)s.")


_POSITIVE = _l("a whole number, 1 or more")
# Security settings and what they accept: (test, allowed values). Any other whole-number or yes/no setting
# is checked for its type only.
_RULES: dict[str, tuple[Callable[[Any], bool], Any]] = {
    "TRUSTED_PROXIES": (lambda v: _is_int(v) and 0 <= v <= 10, _l("a whole number from 0 (no proxy) to 10")),
    "SESSION_COOKIE_SECURE_MODE": (lambda v: v in ("auto", "always", "never"), "auto, always, never"),
    "PASSWORD_MIN_LENGTH": (lambda v: _is_int(v) and 8 <= v <= 32, _l("a whole number from 8 to 32")),
    **{name: (lambda v: _is_int(v) and v >= 1, _POSITIVE) for name in (
        "LOGIN_MAX_FAILURES_PER_ACCOUNT", "LOGIN_MAX_FAILURES_PER_ADDRESS", "LOGIN_WINDOW_MINUTES",
        "TOKEN_TTL_HOURS", "SESSION_TTL_HOURS", "EXPORT_TTL_DAYS", "MAX_CONTENT_LENGTH", "MAX_PER_PAGE")},
    # 0 threads is allowed (separate `abri worker` processes run the exports); 0 attempts would run none.
    "EXPORT_WORKER_THREADS": (lambda v: _is_int(v) and 0 <= v <= 32, _l("a whole number from 0 to 32")),
    "EXPORT_MAX_ATTEMPTS": (lambda v: _is_int(v) and 1 <= v <= 20, _l("a whole number from 1 to 20")),
    # A lease shorter than the time between two heartbeats would hand a running export to a second worker.
    "EXPORT_LEASE_SECONDS": (lambda v: _is_int(v) and 30 <= v <= 86400, _l("a whole number from 30 to 86400")),
    "EXPORT_POLL_SECONDS": (lambda v: _is_int(v) and 1 <= v <= 3600, _l("a whole number from 1 to 3600")),
    "DISPLAY_ID_FORMAT": (lambda v: _is_display_id_format(v),
                          _l("a text holding {short_id} once and no placeholder other than {office_code}")),
    "EXPORT_PASSWORD_KEY": (lambda v: _is_export_key(v),
                            _l("empty, or the base64 text of 32 random bytes")),
}


def _is_display_id_format(value: Any) -> bool:
    """Tell whether a display id pattern keeps ids unique ({short_id} once) and formats without error."""
    if not isinstance(value, str) or len(value) > 100:
        return False
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(value)
                  if name is not None]
        value.format(short_id="x", office_code="y")
    except (ValueError, IndexError, KeyError):
        return False
    names = [name for name, _, _ in fields]
    plain = all(not spec and conversion is None for _, spec, conversion in fields)
    return plain and names.count("short_id") == 1 and set(names) <= {"short_id", "office_code"}


def _is_export_key(value: Any) -> bool:
    from server.export.encryption import ExportKeyError, parse_key

    if value == "":
        return True
    try:
        parse_key(value, "ABRI_EXPORT_PASSWORD_KEY")
    except ExportKeyError:
        return False
    return True


_SECRETS = {"EXPORT_PASSWORD_KEY", "ADMIN_PASSWORD"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse, with the variable's name and the allowed values, a setting that is not valid (at start)."""
    defaults = load_config(environ={})
    for name, value in settings.items():
        default = defaults.get(name)
        rule = _RULES.get(name)
        if rule is None and isinstance(default, bool) and isinstance(value, str):
            rule = (lambda v: False, "true, false, yes, no, on, off, 1, 0")
        elif rule is None and _is_int(default) and isinstance(value, str):
            rule = (lambda v: False, _l("a whole number"))
        if rule is not None and not rule[0](value):
            shown = _l("this value") if name in _SECRETS else repr(value)  # a key is never echoed to a log
            raise SettingInvalid(name=_ENV_PREFIX + name, value=shown, allowed=rule[1])
    _check_admin_password(settings)


def _check_admin_password(settings: Mapping[str, Any]) -> None:
    from server.auth.passwords import RULE_MESSAGES, find_weakness

    password = settings.get("ADMIN_PASSWORD")
    if not password:
        return
    weakness = find_weakness(password, ("admin", "Administrator"), settings["PASSWORD_MIN_LENGTH"])
    if weakness is not None:
        reason = RULE_MESSAGES.get(weakness.rule, _l("Must be at least %(limit)s characters."))
        raise SettingInvalid(_l("The setting %(name)s is refused: %(reason)s"), name=_ENV_PREFIX + "ADMIN_PASSWORD",
                             reason=render_message(reason, weakness.params))
