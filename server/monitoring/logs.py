"""The process's logs: one line per event on stderr, as JSON (one object per line) or as text for people.

Every line has the time (UTC), level, logger, message and, within a request, its id; the access log line of a
request adds method, route (the URL rule, never the path or its query), status, duration_ms and user (a staff user
name). No child's data may reach a log: messages name records by id only, and an exception is written as its type,
its code when it has one, and its stack (files, lines, functions), never its text, which may quote a value (a
duplicate key error quotes the key, int("Amina") its input). pymongo's command logs (documents) never go below
INFO (server/storage/client.py).

LOG_FORMAT "auto" writes JSON under `abri serve` and `abri worker` (read by machines) and text for the other
commands. The handler is added to the root logger once per process and set again by each app; the root logger's
level is only ever lowered, so that other handlers (a test's capture) keep seeing what they asked for.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import traceback
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping

import click
from flask import g, has_request_context, request

SERVICE_COMMANDS = frozenset({"serve", "worker"})  # long-running commands, whose logs machines collect
ACCESS = "access"  # the attribute of a log record holding its access log fields (method, route, status, ...)
REQUEST_ID_HEADER = "X-Request-Id"
INCOMING_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # an incoming id Abri repeats: short, nothing to escape


def request_id() -> str:
    """The id of the current request: the caller's X-Request-Id when it is a short plain token, else a uuid4 hex."""
    if g.get("request_id") is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def log_format(setting: str) -> str:
    """json or text: the setting, or for "auto" json under a service command and text elsewhere."""
    if setting != "auto":
        return setting
    command = click.get_current_context(silent=True)
    return "json" if command is not None and command.info_name in SERVICE_COMMANDS else "text"


def redacted_traceback(error: BaseException | None) -> str:
    """The stack and type of an exception and of those it came from, without their text (it may quote data)."""
    chain: list[BaseException] = []
    while error is not None and all(error is not seen for seen in chain):
        chain.append(error)
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    parts = []
    for index, error in enumerate(reversed(chain)):
        if index:
            parts.append("\nThe exception above led to this one:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(error.__traceback__)))
        code = getattr(error, "code", None)
        named = f" ({code})" if isinstance(code, int) or (isinstance(code, str) and code.isidentifier()) else ""
        parts.append(f"{type(error).__module__}.{type(error).__qualname__}{named} (text not logged)\n")
    return "".join(parts).rstrip("\n")


def _time(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, access fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": _time(record), "level": record.levelname, "logger": record.name,
                                 "message": record.getMessage(), "request_id": getattr(record, "request_id", None)}
        entry.update(getattr(record, ACCESS, None) or {})
        if record.exc_info:
            entry["exception"] = redacted_traceback(record.exc_info[1])
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """A line a person reads: time, level, logger, [request id] message, then the redacted traceback."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        line = f"{_time(record)} {record.levelname} {record.name}{f' [{request_id}]' if request_id else ''}: " \
               f"{record.getMessage()}"
        if record.exc_info:
            line += "\n" + redacted_traceback(record.exc_info[1])
        if record.stack_info:
            line += "\n" + record.stack_info
        return line


def add_request_id(record: logging.LogRecord) -> bool:
    """Give a log record the id of the request it was logged in (None outside a request)."""
    if not hasattr(record, "request_id"):
        record.request_id = g.get("request_id") if has_request_context() else None
    return True


class AbriLogHandler(logging.StreamHandler):
    """Write to sys.stderr as it is when a line is written (a test's or a command runner's capture included)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)
        self.addFilter(add_request_id)

    @property
    def stream(self):
        return sys.stderr


def configure_logging(settings: Mapping[str, Any]) -> logging.Handler:
    """Add Abri's handler to the root logger (once per process) with the app's format and level; return it."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, AbriLogHandler)), None)
    if handler is None:
        handler = AbriLogHandler()
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if log_format(settings["LOG_FORMAT"]) == "json" else TextFormatter())
    level = logging.getLevelName(str(settings["LOG_LEVEL"]).upper())
    handler.setLevel(level)
    if root.level > level:
        root.setLevel(level)
    return handler
