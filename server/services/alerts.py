"""Alert use cases: tell the people a case work action or a change concerns, list and mark their alerts, stream
them live, and e-mail them when an SMTP server is configured.

Alerts are written by services/notify.py, after the action they tell of has committed.
"""
from __future__ import annotations

import json
import logging
import math
import smtplib
import ssl
import threading
import time
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any, Iterator

from server.auth.rights import is_active_with
from server.errors import Error, ServiceUnavailable
from server.messages import _l, render
from server.metadata.versions import LanguageSettings
from server.serialization import AbriJSONProvider
from server.services.audit import audit
from server.services.context import Context
from server.services.records import Page, actor_of
from server.storage import alerts as store, auth as people
from server.workflow import alerts as who

log = logging.getLogger(__name__)
MAIL_LEASE = timedelta(minutes=2)  # a sender that died gives its mail back after this
MAIL_RETRIES = (60, 300, 1800, 7200)  # seconds before each new try; then the mail is given up
MAIL_SUBJECT = _l("Abri: %(text)s")
MAIL_BODY = _l("%(text)s\n\nSign in to Abri to see it. This message holds nothing about the child; please do not "
               "reply to it.")
UNREAD_IN_PULL = 50  # unread alerts a sync pull carries
_streams_lock = threading.Lock()
_open_streams: dict[str, int] = {"count": 0}


def _shown(alert: dict[str, Any], locale: str | None) -> dict[str, Any]:
    shown = {"id": alert["_id"], **{key: alert.get(key) for key in (
        "kind", "record_type", "record_id", "record_display_id", "by", "at", "count", "read_at", "seq")},
             "detail": alert.get("detail") or {}}
    shown["read"] = shown["read_at"] is not None
    shown["message"] = who.text(alert["kind"], alert.get("record_display_id") or "", alert.get("by") or "", locale)
    return shown


def list_alerts(ctx: Context, unread: bool, page: int, per_page: int) -> Page:
    """The caller's alerts, newest first (`unread`: only those not read yet)."""
    actor_of(ctx)
    found, total = store.list_alerts(ctx.db, ctx.user_name, unread, (page - 1) * per_page, per_page)
    return Page([_shown(alert, ctx.locale) for alert in found], total, page, per_page)


def mark_read(ctx: Context, ids: list[str] | None) -> int:
    """Mark the caller's alerts read (`ids`; None: all); return how many were unread. Another user's ids are
    ignored, as if absent."""
    actor_of(ctx)
    count = store.mark_read(ctx.db, ctx.user_name, ids, ctx.now)
    audit(ctx, "alerts_read", detail=f"{count} alerts")
    return count


def unread_for_pull(ctx: Context) -> dict[str, Any]:
    """What a sync pull carries of the caller's alerts: the newest unread ones and how many are unread."""
    found, total = store.list_alerts(ctx.db, ctx.user_name, True, 0, UNREAD_IN_PULL)
    return {"unread": total, "items": [_shown(alert, ctx.locale) for alert in found]}


# --- live stream (server-sent events) ---------------------------------------------------------------


def open_stream(ctx: Context, last_event_id: str | None) -> Iterator[str]:
    """Start a stream of the caller's alerts after `last_event_id` (none: from now), as server-sent events; 503
    when this process already serves ALERT_STREAMS_MAX streams. The stream ends after ALERT_STREAM_SECONDS, or when
    the user or their agency is disabled; the client reconnects with the last id it received."""
    actor_of(ctx)
    after = _event_id(last_event_id)
    if after is None:
        after = store.last_seq(ctx.db, ctx.user_name)
    with _streams_lock:
        if _open_streams["count"] >= ctx.settings["ALERT_STREAMS_MAX"]:
            wait = math.ceil(ctx.settings["ALERT_STREAM_SECONDS"])
            raise ServiceUnavailable(Error.ALERT_STREAMS_FULL, retry_after=wait, headers={"Retry-After": str(wait)})
        _open_streams["count"] += 1
    audit(ctx, "alerts_stream")
    return _Stream(_events(ctx, after))


class _Stream:
    """A stream's events, counted among the open streams until it is closed (read to its end or not at all: the
    WSGI server closes what it was given)."""

    def __init__(self, events: Iterator[str]) -> None:
        self.events, self.open = events, True

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            return next(self.events)
        except BaseException:  # its end, or an error: either way it is over
            self.close()
            raise

    def close(self) -> None:
        if self.open:
            self.open = False
            self.events.close()
            with _streams_lock:
                _open_streams["count"] -= 1


def _event_id(text: str | None) -> int | None:
    if text is None or not text.strip():
        return None
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


# An alert takes its number before it is stored (server/storage/alerts.add_alert), so one numbered earlier may be
# stored after a later one, by another thread or process: an open stream also reads the alerts made this recently
# (and since it opened, so that a reconnection still resumes after its last event), whatever their number, and
# sends each once.
LOOK_BACK_SECONDS = 10


def _events(ctx: Context, after: int) -> Iterator[str]:
    poll, until = ctx.settings["ALERT_POLL_SECONDS"], time.monotonic() + ctx.settings["ALERT_STREAM_SECONDS"]
    yield f"retry: 3000\n: alerts after {after}\n\n"
    checked = time.monotonic()
    sent: dict[Any, int] = {}   # the recent alerts this stream sent, by id: their number
    opened = datetime.now(timezone.utc)
    while time.monotonic() < until:
        since = max(opened, datetime.now(timezone.utc) - timedelta(seconds=LOOK_BACK_SECONDS))
        for alert in store.alerts_after(ctx.db, ctx.user_name, after, 100, since):
            if sent.get(alert["_id"]) == alert["seq"]:
                continue
            sent[alert["_id"]] = alert["seq"]
            after = max(after, alert["seq"])
            yield _event(_shown(alert, ctx.locale))
        if len(sent) > 1000:
            sent = dict(list(sent.items())[-500:])
        if time.monotonic() - checked > 15:
            if not _still_active(ctx):
                return
            checked = time.monotonic()
            yield ": keep-alive\n\n"
        time.sleep(min(poll, max(0.0, until - time.monotonic())))


def _still_active(ctx: Context) -> bool:
    return _active_user(ctx, ctx.user_name) is not None


def _active_user(ctx: Context, name: str) -> dict[str, Any] | None:
    """The user, if they exist and neither they nor their agency are disabled."""
    user = people.find(ctx.db, "users", name)
    agency = people.find(ctx.db, "agencies", user.get("agency")) if user and user.get("agency") else None
    return user if user and is_active_with(user, agency) else None


def _event(alert: dict[str, Any]) -> str:
    data = json.dumps(alert, default=AbriJSONProvider.default, ensure_ascii=False, allow_nan=False)
    return f"id: {alert['seq']}\nevent: alert\ndata: {data}\n\n"


def open_streams() -> int:
    return _open_streams["count"]


# --- e-mail ------------------------------------------------------------------------------------------


def send_next_mail(ctx: Context, worker: str) -> bool:
    """Send one waiting alert e-mail (SMTP_* settings); tell whether there was one."""
    if not ctx.settings.get("SMTP_HOST"):
        return False
    alert = store.claim_mail(ctx.db, worker, ctx.now, ctx.now + MAIL_LEASE)
    if alert is None:
        return False
    user = _active_user(ctx, alert["user"])
    if not user or not user.get("email"):
        store.mail_done(ctx.db, alert["_id"], worker, store.MAIL_FAILED)
        return True
    settings = LanguageSettings.of(ctx.settings)
    locale = user.get("locale") if user.get("locale") in settings.languages else settings.default
    try:
        _send(ctx.settings, user["email"], _message(ctx.settings, alert, user["email"], locale))
    except (OSError, smtplib.SMTPException) as error:
        tries = alert.get("mail_tries", 1)
        if tries > len(MAIL_RETRIES):
            log.warning("alert mail %s given up after %s tries: %s", alert["_id"], tries, type(error).__name__)
            store.mail_done(ctx.db, alert["_id"], worker, store.MAIL_FAILED)
        else:
            store.mail_done(ctx.db, alert["_id"], worker, store.MAIL_PENDING,
                            ctx.now + timedelta(seconds=MAIL_RETRIES[tries - 1]))
        return True
    store.mail_done(ctx.db, alert["_id"], worker, store.MAIL_SENT)
    return True


def _message(settings, alert: dict[str, Any], to: str, locale: str) -> EmailMessage:
    text = who.text(alert["kind"], alert.get("record_display_id") or "", alert.get("by") or "", locale)
    message = EmailMessage()
    message["Subject"] = render(MAIL_SUBJECT, {"text": text}, locale)
    message["From"] = formataddr(("Abri", settings["MAIL_FROM"]))
    message["To"] = to
    message["Message-ID"] = make_msgid(domain=settings["MAIL_FROM"].rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render(MAIL_BODY, {"text": text}, locale))
    return message


def _send(settings, to: str, message: EmailMessage) -> None:
    host, port, security = settings["SMTP_HOST"], settings["SMTP_PORT"], settings["SMTP_SECURITY"]
    context = ssl.create_default_context()
    smtp_class = smtplib.SMTP_SSL if security == "ssl" else smtplib.SMTP
    options = {"context": context} if security == "ssl" else {}
    with smtp_class(host, port, timeout=20, **options) as smtp:
        if security == "starttls":
            smtp.starttls(context=context)
        if settings.get("SMTP_USER"):
            smtp.login(settings["SMTP_USER"], settings["SMTP_PASSWORD"])
        smtp.send_message(message, to_addrs=[to])
