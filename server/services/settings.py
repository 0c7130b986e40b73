"""The settings check: a setting that would silently weaken Abri stops the server before it starts.

Each security setting has a rule and the values it allows (the message names the ABRI_* variable
and the allowed values; a secret is never echoed). Any other whole-number or yes/no setting is
checked for its type. Called by the app factory and by `abri serve` before it starts a database.
"""
from __future__ import annotations

import re
import string
from typing import Any, Callable, Mapping

from server.auth.passwords import RULE_MESSAGES, find_weakness
from server.config import ENV_PREFIX, SettingInvalid, load_config
from server.errors import Error, render_message
from server.export.encryption import ExportKeyError, parse_key
from server.messages import _l

_POSITIVE = _l("a whole number, 1 or more")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TOKEN = re.compile(r"[\x21-\x7e]{16,256}")  # printable ASCII without spaces
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
    # 1 would hide nothing; a report document may not set more than 100 either.
    "REPORT_THRESHOLD": (lambda v: _is_int(v) and 2 <= v <= 100, _l("a whole number from 2 to 100")),
    # A lease shorter than the time between two heartbeats would hand a running export to a second worker.
    "EXPORT_LEASE_SECONDS": (lambda v: _is_int(v) and 30 <= v <= 86400, _l("a whole number from 30 to 86400")),
    "EXPORT_POLL_SECONDS": (lambda v: _is_int(v) and 1 <= v <= 3600, _l("a whole number from 1 to 3600")),
    "DEVICE_TTL_DAYS": (lambda v: _is_int(v) and 1 <= v <= 365, _l("a whole number from 1 to 365")),
    "SYNC_RECORDS": (lambda v: v in ("scope", "marked"), "scope, marked"),
    "ATTACHMENT_MAX_MB": (lambda v: _is_int(v) and 1 <= v <= 1024, _l("a whole number from 1 to 1024")),
    # Shorter than a write's lease plus the clocks' difference, a pull could pass a write still committing.
    "SYNC_SETTLE_SECONDS": (lambda v: _is_int(v) and 10 <= v <= 3600, _l("a whole number from 10 to 3600")),
    "SYNC_PAGE_SIZE": (lambda v: _is_int(v) and 1 <= v <= 1000, _l("a whole number from 1 to 1000")),
    "SYNC_MAX_BATCH": (lambda v: _is_int(v) and 1 <= v <= 1000, _l("a whole number from 1 to 1000")),
    "DISPLAY_ID_FORMAT": (lambda v: _is_display_id_format(v),
                          _l("a text holding {short_id} once and no placeholder other than {office_code}")),
    "ALERT_STREAM_SECONDS": (lambda v: _is_seconds(v) and 0.1 <= v <= 3600, _l("a number of seconds from 0.1 to 3600")),
    "ALERT_STREAMS_MAX": (lambda v: _is_int(v) and 0 <= v <= 10000, _l("a whole number from 0 to 10000")),
    "ALERT_POLL_SECONDS": (lambda v: _is_seconds(v) and 0.05 <= v <= 60, _l("a number of seconds from 0.05 to 60")),
    "SMTP_PORT": (lambda v: _is_int(v) and 1 <= v <= 65535, _l("a whole number from 1 to 65535")),
    "SMTP_SECURITY": (lambda v: v in ("starttls", "ssl", "none"), "starttls, ssl, none"),
    "EXPORT_PASSWORD_KEY": (lambda v: _is_export_key(v),
                            _l("empty, or the base64 text of 32 random bytes")),
    "BACKUP_PASSWORD": (lambda v: isinstance(v, str) and (not v or len(v) >= 12),
                        _l("empty, or a password of at least 12 characters")),
    "LOG_FORMAT": (lambda v: v in ("auto", "json", "text"), "auto, json, text"),
    "LOG_LEVEL": (lambda v: isinstance(v, str) and v.upper() in _LOG_LEVELS, ", ".join(_LOG_LEVELS)),
    # A short token could be guessed; a space or a control character could not travel in a header.
    "METRICS_TOKEN": (lambda v: isinstance(v, str) and (v == "" or _TOKEN.fullmatch(v) is not None),
                      _l("empty, or 16 to 256 characters without spaces (for example 32 random bytes in base64)")),
}


def _is_seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
    if value == "":
        return True
    try:
        parse_key(value, "ABRI_EXPORT_PASSWORD_KEY")
    except ExportKeyError:
        return False
    return True


_SECRETS = {"EXPORT_PASSWORD_KEY", "ADMIN_PASSWORD", "BACKUP_PASSWORD", "METRICS_TOKEN"}


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
            raise SettingInvalid(name=ENV_PREFIX + name, value=shown, allowed=rule[1])
    _check_admin_password(settings)


def _check_admin_password(settings: Mapping[str, Any]) -> None:
    password = settings.get("ADMIN_PASSWORD")
    if not password:
        return
    weakness = find_weakness(password, ("admin", "Administrator"), settings["PASSWORD_MIN_LENGTH"])
    if weakness is not None:
        reason = RULE_MESSAGES.get(weakness.rule, _l("Must be at least %(limit)s characters."))
        raise SettingInvalid(Error.SETTING_REFUSED, name=ENV_PREFIX + "ADMIN_PASSWORD",
                             reason=render_message(reason, weakness.params))
