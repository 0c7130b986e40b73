"""The record engine: create, read, list, update, disable/enable, assign, history, links.

Each function takes the database, the published configuration and the Actor (who acts, when);
it checks the actor's permission before it looks anything up, validates, and stores the change with
its history entry. It knows nothing of HTTP and writes no audit entry: the use cases of
server.services.records call it, audit, and keep the record indexes, for the API, the CLI and the
workers alike.
"""
from __future__ import annotations

import copy
from datetime import datetime
from typing import Any, Callable, Mapping

from server.messages import _l

from server.auth import accounts
from server.auth.permissions import Principal, principal_from_role, record_access_keys
from server.errors import Conflict, Detail, Error, Forbidden, NotFound, PreconditionFailed, Unprocessable
from server.matching.find import record_keys
from server.metadata.configuration import Configuration
from server.metadata.documents import content_hash
from server.metadata.matching import matching_of
from server.metadata.workflow import DERIVED_KEYS, REOPENED, STAGE, TRANSITIONS, derived, stage_of, workflow_of
from server.records import search
from server.records.access import (readable_fields, visible_changes, visible_fields, writable_fields,
                                   write_refusals)
from server.records.actor import Actor
from server.records.merge import diff_data
from server.records.types import RecordType, check_client_id, display_id, new_record_id, new_short_id
from server.records.validation import FormFields, form_fields, validate_data
from server.rules import Rule
from server.storage import Database, DuplicateKey, listing, records as store
from server.storage.matching import MATCH_DUE, MATCH_FROM, MATCH_KEYS, MATCHING_KEYS
from server.storage.query import Condition, all_of, as_condition

# The workflow's derived keys are served by the task and service lists, which show only what a role reads.
INTERNAL_KEYS = ("_id", "_search", "_create_hash", store.PENDING, "links", store.ACCESS, store.SEQUENCE,
                 store.NUMBERED_AT, store.GONE, *DERIVED_KEYS, *MATCHING_KEYS)
# What ACCESS is made of (transitions: referrals and transfers reach their recipients).
SCOPE_KEYS = ("owned_by", "associated_user_names", "owned_by_groups", "owned_by_agency", "transitions")
_WRITE_ATTEMPTS = 10
_SHORT_ID_ATTEMPTS = 5
_UNSET = object()
CASE, TRACING_REQUEST = "case", "tracing_request"


def present(record: dict[str, Any], record_type: RecordType, fields: list[str] | None = None,
            readable: set[str] | None = None, viewer: Principal | None = None) -> dict[str, Any]:
    """Return what a client sees of a record: the envelope and the `data` it may read.

    A viewer the record reaches only through a referral or a transfer to them sees only those transitions.
    """
    shown = {"id": record["_id"]}
    shown.update({key: value for key, value in record.items() if key not in INTERNAL_KEYS and key != "data"})
    if viewer is not None and shown.get(TRANSITIONS) and not viewer.reaches(record):
        shown[TRANSITIONS] = [t for t in shown[TRANSITIONS] if t.get("to_user") == viewer.user_name]
    shown.setdefault("marked_for_mobile", False)
    shown.update(record.get("links") or {})
    data = record.get("data", {})
    names = fields if fields is not None else list(data)
    shown["data"] = {name: data[name] for name in names if name in data and (readable is None or name in readable)}
    return shown


def _fields_forbidden(pointers: list[str]) -> Forbidden:
    return Forbidden(Error.FIELDS_FORBIDDEN, fields=", ".join(pointers),
                     details=[_forbidden(pointer) for pointer in pointers])


def _forbidden(pointer: str) -> Detail:
    return Detail.of(f"/{pointer}", Rule.NOT_WRITABLE)


def validate_write(config: Configuration, record_type: RecordType, module_id: str, stored: dict[str, Any],
                   patch: dict[str, Any], actor: Actor, server_set: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Validate a write: every refusal at once, whatever found it; nothing is written on any.

    Fields the role may not write are checked first (write_refusals). Only forbidden fields: 403
    FIELDS_FORBIDDEN, as a role change would make the write pass. Anything else too: one 422
    RECORD_INVALID listing every detail, the forbidden fields with code "forbidden". Errors of
    fields the actor may not read are told without naming them: a stored value is re-validated with
    the write (an option since removed, a field now required), and its error would otherwise show
    that value, or what it is, to a role that may not read it.
    """
    forbidden, unknown = write_refusals(config, record_type, actor, list(patch))
    refused = [_forbidden(name) for name in forbidden]
    refused += [Detail.of(f"/{name}", Rule.UNKNOWN_FORM_FIELD) for name in unknown]
    allowed = {name: value for name, value in patch.items() if name not in forbidden and name not in unknown}
    invalid: list[Detail] = []
    try:
        data = validate_data(config, record_type.name, module_id, stored, allowed, actor.now, server_set)
    except Unprocessable as error:
        readable = readable_fields(config, record_type, actor)
        invalid = [d for d in error.details if readable is None or d.field.lstrip("/").split("/")[0] in readable]
        if len(invalid) < len(error.details):
            invalid.append(Detail.of("", Rule.HIDDEN_FIELDS))
    if not refused and not invalid:
        return data
    if not invalid and not unknown:
        raise _fields_forbidden(forbidden)
    details = refused + invalid
    raise Unprocessable(Error.RECORD_INVALID, details=details, count=len(details))


def module_of_write(config: Configuration, record_type: RecordType, requested: str | None) -> str:
    """The module a new record goes to: the one asked for, or the only one of its record type (422 otherwise)."""
    modules = [uid for uid, module in config.modules.items() if record_type.name in module["associated_record_types"]]
    if requested is None and len(modules) == 1:
        return modules[0]
    if requested in modules:
        return requested
    raise Unprocessable(Error.RECORD_MODULE,
                        details=[Detail.of("/module_id", Rule.REQUIRED if requested is None else Rule.ENUM,
                                           allowed=", ".join(modules))],
                        modules=", ".join(modules))


def searchable_fields(forms: FormFields, readable: set[str] | None = None) -> list[str]:
    """Top-level names whose words a text query looks at: searchable fields, and subforms with searchable rows."""
    names = [name for name, field in forms.fields.items() if field.get("searchable")]
    names += [name for name, rows in forms.nested.items() if any(f.get("searchable") for f in rows.values())]
    return [name for name in names if readable is None or name in readable]


def _search_words(data: dict[str, Any], forms: FormFields) -> list[str]:
    """The "field:word" tokens of the searchable fields, subform rows under their subform's name."""
    values = [(name, data.get(name)) for name, field in forms.fields.items() if field.get("searchable")]
    for name, row_fields in forms.nested.items():
        searchable = [f for f, field in row_fields.items() if field.get("searchable")]
        values += [(name, row.get(f)) for row in data.get(name) or [] if isinstance(row, dict) for f in searchable]
    return search.search_tokens(values)


def _history(record_id: str, revision: int, action: str, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    entry = {"_id": f"{record_id}:{revision}", "record_id": record_id, "revision": revision, "action": action,
             "user_name": actor.user_name, "at": actor.now, "changes": changes}
    if actor.device_id:
        entry["device_id"] = actor.device_id
    if actor.change_id:
        entry["change_id"], entry["change_hash"] = actor.change_id, actor.change_hash
    return entry


def create_record(db: Database, config: Configuration, record_type: RecordType, body: dict[str, Any],
                  actor: Actor, server_set: frozenset[str] = frozenset()) -> tuple[dict[str, Any], bool]:
    """Create a record; return (record, created). The same client id and body again returns the stored one.

    `server_set`: names of `data` a workflow fills (an incident pre-filled from its case).
    """
    actor.require(record_type, "create")
    module_id = module_of_write(config, record_type, body.get("module_id"))
    if actor.principal and actor.principal.module_ids and module_id not in actor.principal.module_ids:
        raise Forbidden(Error.MODULE_DENIED, module=module_id)
    if any(write_refusals(config, record_type, actor, list(body.get("data") or {}))):  # refused before any lookup
        validate_write(config, record_type, module_id, {}, body.get("data") or {}, actor, server_set)
    record_id = check_client_id(body["id"]) if body.get("id") is not None else new_record_id()
    create_hash = content_hash({"module_id": module_id, "data": body.get("data", {})})
    existing = store.find_record(db, record_type.name, record_id)
    if existing:
        return _same_create(existing, create_hash, record_type, actor), False
    data = validate_write(config, record_type, module_id, {}, body.get("data", {}), actor, server_set)
    for _ in range(_SHORT_ID_ATTEMPTS):
        record = _new_document(config, record_type, module_id, record_id, data, body, create_hash, actor)
        try:
            store.insert_record(db, record_type.name, record)
            return record, True
        except DuplicateKey as error:
            if store.duplicate_field(error) == "_id":  # the same id was created meanwhile
                return _same_create(store.find_record(db, record_type.name, record_id), create_hash, record_type,
                                    actor), False
    raise Conflict(Error.SHORT_ID_EXHAUSTED)


def _new_document(config: Configuration, record_type: RecordType, module_id: str, record_id: str,
                  data: dict[str, Any], body: dict[str, Any], create_hash: str, actor: Actor) -> dict[str, Any]:
    """The stored document of a new record with valid `data`, owned by the actor, with its first history entry."""
    forms = form_fields(config, record_type.name, module_id)
    short_id = new_short_id()
    record = {"_id": record_id, "short_id": short_id,
              record_type.display_id: display_id(actor.display_id_format, short_id, actor.office_code),
              "module_id": module_id, "status": "open", "record_state": True,
              "created_at": actor.now, "created_by": actor.user_name,
              "last_updated_at": actor.now, "last_updated_by": actor.user_name,
              "owned_by": actor.user_name, "owned_by_agency": actor.principal and actor.principal.agency,
              "owned_by_groups": list(actor.principal.groups) if actor.principal else [],
              "associated_user_names": [actor.user_name],
              "revision": 1, "config_version": config.version, "marked_for_mobile": bool(body.get("marked_for_mobile")),
              "data": data,
              "links": body.get("links") or {},
              "_search": _search_words(data, forms), "_create_hash": create_hash,
              store.PENDING: _history(record_id, 1, "create", actor, diff_data({}, data, forms.subforms))}
    record[store.ACCESS] = record_access_keys(record)
    record.update(workflow_changes(config, record_type, record, record, actor.now))
    record.update(matching_changes(config, record_type, record, record))
    return record


def new_record(config: Configuration, record_type: RecordType, body: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """The validated document of a new record, not stored (a bulk load stores many with store.insert_records).

    The same checks as create_record, but no lookup: the caller makes sure ids are new.
    """
    actor.require(record_type, "create")
    module_id = module_of_write(config, record_type, body.get("module_id"))
    if actor.principal and actor.principal.module_ids and module_id not in actor.principal.module_ids:
        raise Forbidden(Error.MODULE_DENIED, module=module_id)
    record_id = check_client_id(body["id"]) if body.get("id") is not None else new_record_id()
    data = validate_write(config, record_type, module_id, {}, body.get("data", {}), actor)
    create_hash = content_hash({"module_id": module_id, "data": body.get("data", {})})
    return _new_document(config, record_type, module_id, record_id, data, body, create_hash, actor)


def _same_create(existing: dict[str, Any], create_hash: str, record_type: RecordType, actor: Actor) -> dict[str, Any]:
    if actor.principal and not actor.principal.in_scope(existing):  # another user's id: never say it exists
        raise Conflict(Error.ID_UNAVAILABLE)
    if existing.get("_create_hash") != create_hash:
        raise Conflict(Error.RECORD_EXISTS, kind=record_type.label, id=existing["_id"], revision=existing["revision"],
                       extra={"revision": existing["revision"]})
    return existing


def get_record(db: Database, record_type: RecordType, record_id: str, actor: Actor | None = None,
               action: str = "read") -> dict[str, Any]:
    """Return a record the actor may `action`; a record outside their scope is not found, as if absent."""
    if actor is not None:
        actor.require(record_type, action)
    record = store.find_record(db, record_type.name, record_id)
    if record is None or (actor is not None and actor.principal and not actor.principal.in_scope(record, action)):
        raise NotFound(kind=record_type.label, id=record_id)
    return record


def write_change(db: Database, config: Configuration, record_type: RecordType, record_id: str,
                 expected_revision: int | None, action: str, actor: Actor, history_action: str,
                 build: Callable[[dict[str, Any]], tuple[dict[str, Any], list[str], dict]]) -> dict[str, Any]:
    """Apply a change built from the current record, retrying on concurrent writes (412 with If-Match).

    `build(record)` returns ({dotted path: value}, [dotted paths to unset], the history entry's changes); the
    record's access keys and its case stage follow from the result. `action` is the permission the change needs
    (checked with the record's scope for it).
    """
    for _ in range(_WRITE_ATTEMPTS):
        record = get_record(db, record_type, record_id, actor, action)
        if expected_revision is not None and record["revision"] != expected_revision:
            raise PreconditionFailed(kind=record_type.label, id=record_id, current=record["revision"],
                                     sent=expected_revision)
        changes, unset, diff = build(record)
        store.flush_history(db, record_type.name, record, copied_unless_missing=True)  # the previous write died?
        changes.update({"last_updated_at": actor.now, "last_updated_by": actor.user_name})
        rescoped = any(key in changes for key in SCOPE_KEYS) or store.ACCESS not in record
        after = applied(record, changes, unset) if rescoped or record_type.name == CASE else record
        if rescoped:
            changes[store.ACCESS] = record_access_keys(after)
            gone = set(record.get(store.ACCESS) or ()) | set(record.get(store.GONE) or ())
            changes[store.GONE] = sorted(gone - set(changes[store.ACCESS]))
        changes.update(workflow_changes(config, record_type, record, after, actor.now))
        changes.update(matching_changes(config, record_type, record, after if after is not record else
                                        applied(record, changes, unset)))
        history = _history(record_id, record["revision"] + 1, history_action, actor, diff)
        updated = store.update_record(db, record_type.name, record_id, record["revision"], changes, unset, history)
        if updated is not None:
            return updated
    raise Conflict(Error.WRITE_CONTENTION, kind=record_type.label, id=record_id)


def applied(record: dict[str, Any], changes: dict[str, Any], unset: list[str]) -> dict[str, Any]:
    """The record as it will be once `changes` ({dotted path: value}) are set and `unset` removed (a copy)."""
    after = copy.deepcopy(record)
    for path, value in [*changes.items(), *((path, _UNSET) for path in unset)]:
        *parents, last = path.split(".")
        holder: Any = after
        for part in parents:
            holder = holder[int(part)] if isinstance(holder, list) else holder.setdefault(part, {})
        if isinstance(holder, list):
            holder[int(last)] = value
        elif value is _UNSET:
            holder.pop(last, None)
        else:
            holder[last] = value
    return after


def workflow_changes(config: Configuration, record_type: RecordType, record: dict[str, Any], after: dict[str, Any],
                     now: datetime) -> dict[str, Any]:
    """What a write at `now` changes of a case's workflow envelope (its stage, tasks and service summaries), given the
    record before and after it (the same object: all of it); nothing for another record, or a case of a module
    without a workflow."""
    if record_type.name != CASE:
        return {}
    workflow = workflow_of(config, after.get("module_id"))
    if workflow is None:
        return {STAGE: None} if record.get(STAGE) is not None else {}
    found = {STAGE: stage_of(workflow, after), **derived(workflow, after, now)}
    return {key: value for key, value in found.items() if record.get(key, _UNSET) != value or record is after}


def matching_changes(config: Configuration, record_type: RecordType, record: dict[str, Any],
                     after: dict[str, Any]) -> dict[str, Any]:
    """What a write changes of a record's matching envelope: a case's keys (the rules of its module), and, when its
    data, state or scope changed, that its potential duplicates are due (server/services/match_upkeep.py computes
    them after the commit, or the workers do). A tracing request's keys are its traces'."""
    rules = matching_of(config, after.get("module_id"))
    if rules is None or (record_type.name != CASE and not (rules.traces and record_type.name == TRACING_REQUEST)):
        return {}
    changes: dict[str, Any] = {}
    keys = record_keys(rules, record_type.name, after.get("data") or {}, after.get("created_at"))
    if record is after or keys != record.get(MATCH_KEYS) or record.get(MATCH_FROM) != rules.fingerprint:
        changes.update({MATCH_KEYS: keys, MATCH_FROM: rules.fingerprint})
    if record is after or any(record.get(key) != after.get(key) for key in ("data", "record_state", store.ACCESS)):
        changes[MATCH_DUE] = True
    return changes


def refresh_workflow(db: Database, config: Configuration, record_type: RecordType, limit: int, now: datetime) -> int:
    """Derive again the workflow envelope of up to `limit` cases derived by an earlier workflow of their module (or
    stored before it had one): a published change of the stages or tasks reaches every case, not only those written
    since. Each is written only if it did not change meanwhile (its next write derives it anyway); the revision
    and the sync sequence stay: nothing a user wrote changed. Return how many were looked at; 0 when none is left."""
    if record_type.name != CASE:
        return 0
    looked = 0
    for module_id in config.modules:
        workflow = workflow_of(config, module_id)
        if workflow is None or store.module_state(db, record_type.name, "derived", module_id) == workflow.fingerprint:
            continue
        stale = store.stale_derived(db, record_type.name, module_id, workflow.fingerprint, limit - looked)
        for record in stale:
            store.set_derived(db, record_type.name, record["_id"], record["revision"],
                              workflow_changes(config, record_type, record, record, now))
        looked += len(stale)
        if looked >= limit:
            return looked
        store.mark_module_state(db, record_type.name, "derived", module_id, workflow.fingerprint)
    return looked


def check_update(config: Configuration, record_type: RecordType, record: dict[str, Any], patch: dict[str, Any],
                 actor: Actor) -> None:
    """Refuse a patch of a record as update_record would (disabled, fields not writable, invalid data), writing
    nothing: what a merge must pass before any of it is kept."""
    check_enabled(record, record_type)
    validate_write(config, record_type, record["module_id"], record["data"], patch, actor)


def check_enabled(record: dict[str, Any], record_type: RecordType) -> None:
    """Refuse a change of a disabled record (409): it must be enabled first."""
    if not record["record_state"]:
        raise Conflict(Error.RECORD_DISABLED, kind=record_type.label, id=record["_id"])


def update_record(db: Database, config: Configuration, record_type: RecordType, record_id: str,
                  patch: dict[str, Any], expected_revision: int | None, actor: Actor) -> dict[str, Any]:
    """Merge `patch` into the record's data, validated against the published forms."""
    def build(record: dict[str, Any]):
        check_enabled(record, record_type)
        forms = form_fields(config, record_type.name, record["module_id"])
        data = validate_write(config, record_type, record["module_id"], record["data"], patch, actor)
        diff = diff_data(record["data"], data, forms.subforms)
        changes = {f"data.{name}": data[name] for name in diff if name in data}
        unset = [f"data.{name}" for name in diff if name not in data]
        changes.update({"config_version": config.version, "_search": _search_words(data, forms)})
        if record.get(REOPENED) and diff:  # a reopened case is "reopened" until its data next change
            changes[REOPENED] = False
        return changes, unset, diff
    return write_change(db, config, record_type, record_id, expected_revision, "write", actor, "update", build)


def set_record_state(db: Database, config: Configuration, record_type: RecordType, record_id: str, enabled: bool,
                     expected_revision: int | None, actor: Actor) -> dict[str, Any]:
    """Disable (data kept) or enable a record."""
    def build(record: dict[str, Any]):
        if record["record_state"] == enabled:
            raise Conflict(Error.RECORD_STATE_UNCHANGED, kind=record_type.label, id=record_id)
        return {"record_state": enabled}, [], {"record_state": {"from": not enabled, "to": enabled}}
    return write_change(db, config, record_type, record_id, expected_revision, "disable", actor,
                  "enable" if enabled else "disable", build)


def mark_for_mobile(db: Database, config: Configuration, record_type: RecordType, record_id: str, marked: bool,
                    expected_revision: int | None, actor: Actor) -> dict[str, Any]:
    """Mark a record for offline use on its users' devices (SYNC_RECORDS=marked), or unmark it (a writer's call)."""
    def build(record: dict[str, Any]):
        check_enabled(record, record_type)
        before = bool(record.get("marked_for_mobile"))
        return {"marked_for_mobile": marked}, [], {"marked_for_mobile": {"from": before, "to": marked}}
    return write_change(db, config, record_type, record_id, expected_revision, "write", actor, "mark_for_mobile", build)


def assign_record(db: Database, config: Configuration, record_type: RecordType, record_id: str, owner_name: str,
                  expected_revision: int | None, actor: Actor) -> dict[str, Any]:
    """Give a record a new owner: agency and groups follow; the old owner stays associated.

    The permission and the record's scope are checked before the new owner is looked up (a refusal
    never tells which user names exist), and the new owner must be entitled to see such a record.
    """
    record = get_record(db, record_type, record_id, actor, "assign")
    owner = _entitled_owner(db, config, record_type, record, owner_name)

    def build(record: dict[str, Any]):
        check_enabled(record, record_type)
        associated = list(dict.fromkeys([*(record.get("associated_user_names") or []), owner["_id"]]))
        changes = {"owned_by": owner["_id"], "owned_by_agency": owner.get("agency"),
                   "owned_by_groups": list(owner.get("user_groups") or []), "associated_user_names": associated}
        return changes, [], {"owned_by": {"from": record.get("owned_by"), "to": owner["_id"]}}
    return write_change(db, config, record_type, record_id, expected_revision, "assign", actor, "assign", build)


def _owner_refused(error: Error, rule: Rule, **params: Any) -> Unprocessable:
    return Unprocessable(error, details=[Detail.of("/owned_by", rule)], **params)


def _entitled_owner(db: Database, config: Configuration, record_type: RecordType, record: dict[str, Any],
                    owner_name: str) -> dict[str, Any]:
    """Return the user who is to own the record: existing, enabled, with a role that reads its type and module.

    Scope needs no check: a record is always in its owner's scope.
    """
    try:
        owner = accounts.get(db, "users", owner_name)
    except NotFound:
        raise _owner_refused(Error.OWNER_UNKNOWN, Rule.USER_UNKNOWN, user=owner_name) from None
    if owner.get("disabled"):
        raise _owner_refused(Error.OWNER_DISABLED, Rule.OWNER_DISABLED, user=owner["_id"])
    principal = principal_from_role(owner, config.roles.get(owner.get("role") or ""))
    if not principal.can(record_type.name, "read") or (principal.module_ids
                                                        and record.get("module_id") not in principal.module_ids):
        raise _owner_refused(Error.OWNER_NOT_ENTITLED, Rule.OWNER_NOT_ENTITLED, user=owner["_id"])
    return owner


def ensure_indexes(db: Database, config: Configuration) -> None:
    """Index the envelope and every filterable field of each record type (run after publishing)."""
    for record_type in config.record_types():
        ensure_type_indexes(db, config, record_type)


def ensure_type_indexes(db: Database, config: Configuration, record_type: str) -> None:
    """Index the envelope and the filterable fields of one record type (idempotent, remembered per process)."""
    forms = form_fields(config, record_type, None)
    store.ensure_record_indexes(db, record_type, search.filterable_fields(forms.fields))


def build_query(config: Configuration, record_type: RecordType, args: dict[str, list[str]], max_per_page: int,
                actor: Actor, base_filter: Condition | Mapping[str, Any] | None = None,
                action: str = "read") -> search.ListQuery:
    """Parse list arguments into a query limited to the actor's scope and readable fields.

    `base_filter`: what the caller limits the list to (a mapping means equalities: {"links.case_id": id}).
    """
    actor.require(record_type, action)
    forms = form_fields(config, record_type.name, None)
    readable = readable_fields(config, record_type, actor)
    visible = forms.fields if readable is None else {n: f for n, f in forms.fields.items() if n in readable}
    scope = actor.principal.record_scope(action) if actor.principal else None
    base = all_of(as_condition(base_filter), scope)
    return search.build_list_query(args, visible, max_per_page, base, searchable_fields(forms, readable),
                                   config.locations.with_descendants)


def list_records(db: Database, config: Configuration, record_type: RecordType, args: dict[str, list[str]],
                 max_per_page: int, actor: Actor, base_filter: Condition | Mapping[str, Any] | None = None
                 ) -> tuple[listing.Listing, search.ListQuery]:
    """Return a page of records matching the query arguments (with the count and the next page's start) and the query.

    The indexes a list relies on are the caller's to keep (the record use cases do, before they list).
    """
    query = build_query(config, record_type, args, max_per_page, actor, base_filter)
    page = listing.page_records(db, record_type.name, query.filter, query.sort, query.window.skip, query.per_page,
                                query.after)
    return page, query


def record_history(db: Database, config: Configuration, record_type: RecordType, record_id: str, page: int,
                   per_page: int, actor: Actor):
    """Return a page of a record's history (newest first), limited to the fields the actor may see, and the total."""
    record = get_record(db, record_type, record_id, actor, "view_history")
    store.flush_history(db, record_type.name, record, copied_unless_missing=True)
    entries, total = store.list_history(db, record_id, record["revision"], (page - 1) * per_page, per_page)
    visible = visible_fields(db, config, record_type, actor)
    for entry in entries:
        entry["changes"] = visible_changes(entry, visible)
    return entries, total


def create_incident_from_case(db: Database, config: Configuration, case_type: RecordType, incident_type: RecordType,
                              case_id: str, body: dict[str, Any], actor: Actor) -> tuple[dict[str, Any], bool]:
    """Create an incident linked to a case, pre-filled with the case fields the module maps.

    Only what the actor may read of the case is copied, and only into incident fields they may write.
    """
    actor.require(incident_type, "create")  # every permission before any scope check
    case = get_record(db, case_type, case_id, actor)
    module = config.modules.get(case["module_id"], {})
    mapping = module.get("field_map", {}).get(incident_type.name, {})
    incident_fields = form_fields(config, incident_type.name, case["module_id"]).fields
    readable = readable_fields(config, case_type, actor)
    writable = writable_fields(config, incident_type, actor)
    prefilled = {target: case["data"][source] for target, source in mapping.items()
                 if source in case["data"] and target in incident_fields
                 and (readable is None or source in readable) and (writable is None or target in writable)}
    sent = body.get("data") or {}
    body = {**body, "module_id": case["module_id"], "data": {**prefilled, **sent}, "links": {"case_id": case_id}}
    return create_record(db, config, incident_type, body, actor, server_set=frozenset(prefilled) - set(sent))


def match_trace(db: Database, config: Configuration, tracing_type: RecordType, case_type: RecordType,
                record_id: str, trace_id: str, case_id: str, expected_revision: int | None, actor: Actor) -> dict:
    """Confirm that a trace (a row of a tracing request's subform) is the child of a case.

    The match is a write of matched_case_id: it goes only through a subform of a form the actor may write.
    """
    actor.require(tracing_type, "write")  # every permission before any scope check
    readable = readable_fields(config, tracing_type, actor)
    writable = writable_fields(config, tracing_type, actor)
    trace_subforms = [name for name, rows in form_fields(config, tracing_type.name, None).nested.items()
                      if "matched_case_id" in rows]
    if writable is not None and trace_subforms and not set(trace_subforms) & writable:
        raise _fields_forbidden([f"{trace_subforms[0]}/matched_case_id"])
    get_record(db, case_type, case_id, actor)  # the case must exist and be in the actor's scope

    def build(record: dict[str, Any]):
        check_enabled(record, tracing_type)
        forms = form_fields(config, tracing_type.name, record["module_id"])
        for name, row_fields in forms.nested.items():
            if readable is not None and name not in readable:
                continue  # a trace the actor may not read is not found
            rows = record["data"].get(name) or []
            for position, row in enumerate(rows):
                if isinstance(row, dict) and row.get("unique_id") == trace_id:
                    if "matched_case_id" not in row_fields:
                        raise Unprocessable(Error.MATCH_NOT_CONFIGURED)
                    if writable is not None and name not in writable:
                        raise _fields_forbidden([f"{name}/{position}/matched_case_id"])
                    before = row.get("matched_case_id")
                    return ({f"data.{name}.{position}.matched_case_id": case_id}, [],
                            {name: {"rows": {trace_id: {"changed": {"matched_case_id": {"from": before, "to": case_id}}}}}})
        raise NotFound(kind=_l("Trace"), id=trace_id)
    return write_change(db, config, tracing_type, record_id, expected_revision, "write", actor, "match", build)
