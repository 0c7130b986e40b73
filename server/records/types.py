"""Record types: their collections, routes and display ids."""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass

from server.messages import _l

from server.errors import Detail, Error, NotFound, Unprocessable
from server.rules import Rule


@dataclass(frozen=True)
class RecordType:
    """One kind of record and the names it goes by."""

    name: str            # case, incident, tracing_request (also the collection and parent_form)
    route: str           # cases, incidents, tracing_requests
    display_id: str      # case_id_display, ...
    label: object        # localized name for messages


RECORD_TYPES = {
    "case": RecordType("case", "cases", "case_id_display", _l("Case")),
    "incident": RecordType("incident", "incidents", "incident_id_display", _l("Incident")),
    "tracing_request": RecordType("tracing_request", "tracing_requests", "tracing_request_id_display",
                                  _l("Tracing request")),
}

# Envelope fields: set by the server, never written by clients.
ENVELOPE_FIELDS = ("id", "short_id", "module_id", "status", "record_state", "created_at", "created_by",
                   "last_updated_at", "last_updated_by", "revision", "config_version", "owned_by",
                   "owned_by_agency", "owned_by_groups", "associated_user_names")

# Matched with fullmatch: `$` would also accept a trailing newline (an id that prints like another).
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Crockford's base 32 without I, L, O, U: short ids read aloud over the phone stay unambiguous.
SHORT_ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
SHORT_ID_LENGTH = 7


def parse_record_id(value: str, record_type: RecordType) -> str:
    """Return a lowercase uuid string; NotFound for anything that is not one (a path never leaks)."""
    text = str(value).lower()
    if not _UUID.fullmatch(text):
        raise NotFound(kind=record_type.label, id=value)
    return text


def check_client_id(value: object) -> str:
    """Validate a client-supplied record id (offline tablets): a uuid."""
    if not isinstance(value, str) or not _UUID.fullmatch(value.lower()):
        raise Unprocessable(Error.RECORD_ID_INVALID,
                            details=[Detail.of("/id", Rule.UUID, example="0f8fad5b-d9cb-469f-a165-70867728950e")])
    return value.lower()


def new_record_id() -> str:
    return str(uuid.uuid4())


def new_short_id() -> str:
    """A random 7-character id: 32^7 (3.4e10) values, so collisions are rare and retried."""
    return "".join(secrets.choice(SHORT_ID_ALPHABET) for _ in range(SHORT_ID_LENGTH))


def display_id(pattern: str, short_id: str, office_code: str) -> str:
    """Build the display id from the configured pattern ({short_id}, {office_code})."""
    text = pattern.format(short_id=short_id, office_code=office_code)
    return text.strip("-_ ") or short_id
