"""Record use cases: create (and an incident from a case), read, list, update, disable/enable, assign, history,
trace match.

Each takes a Context and returns what its caller shows: one record with only the fields the
caller's role may see and its revision (Shown), or a page of them (Page). Each writes its audit
entry, refusals included: a 403 or 404 is logged with the action, the record type, the record id
when the caller gave a valid one of that type (nothing else from a path is ever written), and the
error code; never a value. The record engine (server.records.service) checks the permission before
it looks anything up; the record indexes a write or a list relies on are kept here.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from server.errors import Forbidden, NotFound, Unauthorized
from server.records import service
from server.records.access import visible_fields
from server.records.actor import Actor
from server.records.search import ListQuery
from server.storage.listing import Listing
from server.records.types import RECORD_TYPES, RecordType, parse_record_id
from server.services.audit import audit
from server.services.context import Context
from server.services.match_upkeep import after_write, trace_confirmed
from server.services.notify import notify
from server.workflow import alerts as who

CASE, INCIDENT, TRACING_REQUEST = (RECORD_TYPES[name] for name in ("case", "incident", "tracing_request"))
HISTORY_HIDDEN = ("_id", "record_id", "change_hash")  # storage keys of a history entry, not part of what it tells


@dataclass(frozen=True)
class Shown:
    """One record as the caller may see it; `revision` is its ETag, `created` whether this call created it."""

    record: dict[str, Any]
    revision: int
    created: bool = False


@dataclass(frozen=True)
class Page:
    """One page of what the caller may see, and how many there are in all.

    `total_exact` False: `total` is a lower bound ("more than"), counted as far as was cheap. `next_cursor`: the
    cursor of the next page (None: this is the last).
    """

    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    total_exact: bool = True
    next_cursor: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)   # what else a list tells (such as what it left out)


def actor_of(ctx: Context) -> Actor:
    """The record engine's view of the caller: who, when, what their role grants, how new records are numbered.

    The engine takes an actor without a principal for the system itself: only the operator is that.
    """
    if ctx.is_anonymous:
        raise Unauthorized()
    return Actor(ctx.user_name, ctx.now, ctx.principal, office_code=ctx.settings.get("OFFICE_CODE", ""),
                 display_id_format=ctx.settings.get("DISPLAY_ID_FORMAT", "{short_id}"), device_id=ctx.device_id)


@contextmanager
def refusal_audited(ctx: Context, action: str, record_type: RecordType, record_id: str | None = None
                    ) -> Iterator[None]:
    """Audit a refusal (403, 404) of `action` and let it through: who, what, which record, the error code."""
    try:
        yield
    except (Forbidden, NotFound) as error:
        audit(ctx, action, record_type.name, _valid_id(record_id, record_type),
              status=403 if isinstance(error, Forbidden) else 404, detail=error.code)
        raise


def _valid_id(record_id: str | None, record_type: RecordType) -> str | None:
    try:
        return parse_record_id(record_id, record_type) if record_id is not None else None
    except NotFound:
        return None  # not a record id: nothing of it is kept


def shown(ctx: Context, record_type: RecordType, actor: Actor, record: dict[str, Any], action: str,
          created: bool = False, detail: str | None = None) -> Shown:
    """Audit the access (with `detail`, never a value) and return the record with the fields the caller may see."""
    audit(ctx, action, record_type.name, record["_id"], status=201 if created else 200, detail=detail)
    visible = visible_fields(ctx.db, ctx.config, record_type, actor)
    return Shown(service.present(record, record_type, readable=visible, viewer=actor.principal), record["revision"],
                 created)


def _page(ctx: Context, record_type: RecordType, actor: Actor, listing: Listing, query: ListQuery) -> Page:
    """Audit the list and return its page with the fields the caller may see."""
    audit(ctx, "list", record_type.name, detail=f"{listing.total}{'' if listing.exact else '+'} records")
    visible = visible_fields(ctx.db, ctx.config, record_type, actor)
    return Page([service.present(record, record_type, query.fields, visible, actor.principal)
                  for record in listing.items],
                listing.total, query.page, query.per_page, listing.exact, query.cursor(listing.after))


def keep_record_indexes(ctx: Context, record_type: RecordType) -> None:
    """Index what the published forms filter on (a publish that died before indexing is caught up here).

    Before the write, not after: the unique index on short_id is what makes a clashing short id retry.
    """
    service.ensure_type_indexes(ctx.db, ctx.config, record_type.name)


def create_record(ctx: Context, record_type: RecordType, body: dict[str, Any]) -> Shown:
    """Create a record; the same client id and body again shows the stored one (created False)."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "create", record_type):
        actor.require(record_type, "create")
        keep_record_indexes(ctx, record_type)
        record, created = service.create_record(ctx.db, ctx.config, record_type, body, actor)
    after_write(ctx, record_type, record)
    return shown(ctx, record_type, actor, record, "create" if created else "read", created)


def create_incident(ctx: Context, case_id: str, body: dict[str, Any]) -> Shown:
    """Create an incident from a case, pre-filled with the case fields the module maps and the caller may read."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "create_incident", CASE, case_id):
        case_id = parse_record_id(case_id, CASE)
        actor.require(INCIDENT, "create")
        keep_record_indexes(ctx, INCIDENT)
        record, created = service.create_incident_from_case(ctx.db, ctx.config, CASE, INCIDENT, case_id, body, actor)
    return shown(ctx, INCIDENT, actor, record, "create" if created else "read", created)


def read_record(ctx: Context, record_type: RecordType, record_id: str) -> Shown:
    """Show a record in the caller's scope."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "read", record_type, record_id):
        record = service.get_record(ctx.db, record_type, parse_record_id(record_id, record_type), actor)
    return shown(ctx, record_type, actor, record, "read")


def list_records(ctx: Context, record_type: RecordType, args: dict[str, list[str]]) -> Page:
    """List the records in the caller's scope matching the list arguments (filters, query, sort, fields, page)."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "list", record_type):
        actor.require(record_type, "read")
        keep_record_indexes(ctx, record_type)
        listing, query = service.list_records(ctx.db, ctx.config, record_type, args, ctx.settings["MAX_PER_PAGE"],
                                              actor)
    return _page(ctx, record_type, actor, listing, query)


def list_case_incidents(ctx: Context, case_id: str, args: dict[str, list[str]]) -> Page:
    """List the incidents linked to a case the caller may read."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "list_incidents", CASE, case_id):
        case_id = parse_record_id(case_id, CASE)
        actor.require(INCIDENT, "read")  # every permission before any scope check
        service.get_record(ctx.db, CASE, case_id, actor)
        keep_record_indexes(ctx, INCIDENT)
        listing, query = service.list_records(ctx.db, ctx.config, INCIDENT, args, ctx.settings["MAX_PER_PAGE"],
                                              actor, {"links.case_id": case_id})
    return _page(ctx, INCIDENT, actor, listing, query)


def update_record(ctx: Context, record_type: RecordType, record_id: str, patch: dict[str, Any],
                  expected_revision: int | None = None) -> Shown:
    """Merge `patch` into a record's data (the fields the caller may write), at `expected_revision` if given."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "update", record_type, record_id):
        record = service.update_record(ctx.db, ctx.config, record_type, parse_record_id(record_id, record_type),
                                       patch, expected_revision, actor)
    notify(ctx, record_type, record, who.for_change(record))
    after_write(ctx, record_type, record)
    return shown(ctx, record_type, actor, record, "update")


def set_record_state(ctx: Context, record_type: RecordType, record_id: str, enabled: bool,
                     expected_revision: int | None = None) -> Shown:
    """Disable a record (its data stay) or enable it again."""
    action = "enable" if enabled else "disable"
    actor = actor_of(ctx)
    with refusal_audited(ctx, action, record_type, record_id):
        record = service.set_record_state(ctx.db, ctx.config, record_type, parse_record_id(record_id, record_type),
                                          enabled, expected_revision, actor)
    after_write(ctx, record_type, record)
    return shown(ctx, record_type, actor, record, action)


def mark_for_mobile(ctx: Context, record_type: RecordType, record_id: str, marked: bool,
                    expected_revision: int | None = None) -> Shown:
    """Mark a record for offline use on its users' devices, or unmark it (write permission, in scope)."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "mark_for_mobile", record_type, record_id):
        record = service.mark_for_mobile(ctx.db, ctx.config, record_type, parse_record_id(record_id, record_type),
                                         marked, expected_revision, actor)
    return shown(ctx, record_type, actor, record, "mark_for_mobile")


def assign_record(ctx: Context, record_type: RecordType, record_id: str, owner_name: str,
                  expected_revision: int | None = None) -> Shown:
    """Give a record a new owner, who must be entitled to read it."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "assign", record_type, record_id):
        record = service.assign_record(ctx.db, ctx.config, record_type, parse_record_id(record_id, record_type),
                                       owner_name, expected_revision, actor)
    notify(ctx, record_type, record, who.for_assignment(record))
    after_write(ctx, record_type, record)
    return shown(ctx, record_type, actor, record, "assign")


def record_history(ctx: Context, record_type: RecordType, record_id: str, page: int, per_page: int) -> Page:
    """A page of a record's changes, newest first, each with only the fields the caller may see."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "view_history", record_type, record_id):
        record_id = parse_record_id(record_id, record_type)
        entries, total = service.record_history(ctx.db, ctx.config, record_type, record_id, page, per_page, actor)
    audit(ctx, "view_history", record_type.name, record_id)
    return Page([{key: value for key, value in entry.items() if key not in HISTORY_HIDDEN} for entry in entries],
                total, page, per_page)


def match_trace(ctx: Context, record_id: str, trace_id: str, case_id: str,
                expected_revision: int | None = None) -> Shown:
    """Confirm that a trace of a tracing request is the child of a case (sets its matched_case_id)."""
    actor = actor_of(ctx)
    with refusal_audited(ctx, "match", TRACING_REQUEST, record_id):
        record = service.match_trace(ctx.db, ctx.config, TRACING_REQUEST, CASE,
                                     parse_record_id(record_id, TRACING_REQUEST), trace_id,
                                     parse_record_id(case_id, CASE), expected_revision, actor)
    trace_confirmed(ctx, record, trace_id, parse_record_id(case_id, CASE))
    return shown(ctx, TRACING_REQUEST, actor, record, "match")
