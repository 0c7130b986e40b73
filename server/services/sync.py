"""Field sync use cases: the bundle a device works offline with, record pulls by sync token, batch pushes, and the
conflicts a push keeps.

Every use case needs a signed-in user; what they receive goes through the rules of every read: the forms their role
reads, the records of their scope, the fields their role may see. A device's credential authenticates as its user
as they are now, and each pull and push records the device (audit, history, the device's last sync).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any, Callable

from server.auth import accounts as account_store, devices
from server.errors import (AbriError, BadRequest, Conflict, Error, Forbidden, NotFound, PreconditionFailed,
                           Unauthorized, Unprocessable)
from server.messages import _l
from server.metadata.documents import FORM, LOCATION, LOOKUP, MODULE
from server.metadata.field_types import describe_types, registry_fingerprint
from server.metadata.labels import localize_document
from server.metadata.versions import LanguageSettings
from server.records import attachments, service, sync
from server.records.access import readable_fields, visible_fields, writable_fields
from server.records.actor import Actor
from server.records.types import RECORD_TYPES, RecordType
from server.services.alerts import unread_for_pull
from server.services.audit import audit
from server.services.context import Context
from server.services.match_upkeep import after_write
from server.services.notify import notify
from server.services.documents import Filters, list_published, visible_forms
from server.services.records import keep_record_indexes, actor_of, refusal_audited
from server.services.workflow import recipients_for
from server.workflow import alerts as who
from server.storage import records as store, sync as sync_store

BUNDLE_KINDS = {"forms": FORM, "lookups": LOOKUP, "modules": MODULE, "locations": LOCATION}
HANDING_ACTIONS = ("assign", "refer", "transfer")
ITEM_REFUSALS = (BadRequest, Forbidden, NotFound, Conflict, PreconditionFailed, Unprocessable)
CONFLICT_KIND = _l("Conflict")
CONFLICTS_LISTED = 500


@dataclass(frozen=True)
class Bundle:
    """What a device needs offline: `tag` says what its content depends on (a client holding it gets 304 without
    the bundle being built); `build` makes it."""

    tag: tuple
    build: Callable[[], dict[str, Any]]


def bundle(ctx: Context, locale: str | None, since: int | None) -> Bundle:
    """The caller's bundle: published documents they may see (changed after `since`, with tombstones), the field
    types, their profile and permissions, whom they may hand records to, the versions and the server's time."""
    if ctx.principal is None:
        raise Unauthorized()
    config, principal = ctx.config, ctx.principal
    user = account_store.get(ctx.db, "users", principal.user_name)
    profile = account_store.present_user(user)
    recipients = _recipients(ctx)
    rows = describe_types(locale)
    registry = registry_fingerprint(rows)
    small = json.dumps([profile, recipients], sort_keys=True, default=str)
    settings = {name: ctx.settings[name] for name in ("SYNC_RECORDS", "SYNC_PAGE_SIZE", "SYNC_MAX_BATCH")}
    tag = (config.fingerprint, principal.role_id, hashlib.sha256(small.encode()).hexdigest(), registry,
           tuple(settings.items()))

    def build() -> dict[str, Any]:
        default = LanguageSettings.of(ctx.settings).default
        content: dict[str, Any] = {"version": config.version, "since": since, "server_time": ctx.now,
                                   "user": profile, "permissions": _permissions(ctx), "recipients": recipients,
                                   "field_types_version": registry, "deleted": {}}
        for name, kind in BUNDLE_KINDS.items():
            listed = list_published(ctx, kind, Filters(since=since), visible_forms(ctx, kind))
            bodies = [_for_devices(body) for body in listed.bodies]
            content[name] = [localize_document(body, locale, default) if locale else body for body in bodies]
            content["deleted"][name] = listed.deleted
        if since is None:
            content["field_types"] = rows
        content["sync"] = {"records": settings["SYNC_RECORDS"], "page_size": settings["SYNC_PAGE_SIZE"],
                           "max_batch": settings["SYNC_MAX_BATCH"]}
        return content
    return Bundle(tag, build)


def _for_devices(body: dict[str, Any]) -> dict[str, Any]:
    """A document as a device needs it: a location hierarchy without its places' boundaries (maps are drawn on the
    server's reports, and shapes would weigh more than every form together)."""
    return {key: value for key, value in body.items() if key != "boundaries"} if "boundaries" in body else body


def _permissions(ctx: Context) -> dict[str, Any]:
    """The caller's effective permissions: actions, scope, and per record type the forms and fields read and written."""
    principal, actor = ctx.principal, actor_of(ctx)
    records = {}
    for name, record_type in RECORD_TYPES.items():
        actions = sorted(principal.permissions.get(name, ()))
        if not actions:
            continue
        readable, writable = readable_fields(ctx.config, record_type, actor), writable_fields(ctx.config, record_type,
                                                                                              actor)
        records[name] = {"actions": actions,
                         "readable_fields": None if readable is None else sorted(readable),
                         "writable_fields": None if writable is None else sorted(writable)}
    return {"role_unique_id": principal.role_id, "group_permission": principal.scope,
            "module_ids": list(principal.module_ids),
            "form_section_read_write": None if principal.forms is None else dict(sorted(principal.forms.items())),
            "actions": {resource: sorted(actions) for resource, actions in sorted(principal.permissions.items())
                        if resource not in RECORD_TYPES},
            "records": records}


def _recipients(ctx: Context) -> dict[str, Any]:
    """Who the caller may hand records to, per action and record type (as GET /recipients lists them), and their
    agencies."""
    principal = ctx.principal
    wanted = {action: [name for name in RECORD_TYPES if principal.can(name, action)] for action in HANDING_ACTIONS}
    users, agencies = recipients_for(ctx, wanted)
    return {"users": users, "agencies": agencies}


def pull_records(ctx: Context, token: str | None, per_page: int | None) -> sync.Pulled:
    """The next page of changes in the caller's view after `token`: records (as their role reads them) and
    tombstones, in sequence order; the next token; whether more follow; whether the device must start over."""
    actor = actor_of(ctx)
    limit = min(per_page or ctx.settings["SYNC_PAGE_SIZE"], ctx.settings["SYNC_PAGE_SIZE"])
    for name in sync.readable_types(actor):
        keep_record_indexes(ctx, RECORD_TYPES[name])
    settled_before = ctx.now.timestamp() - ctx.settings["SYNC_SETTLE_SECONDS"]
    pulled = sync.pull(ctx.db, ctx.config, actor, token, limit, ctx.settings["SYNC_RECORDS"], settled_before)
    _with_attachments(ctx, actor, pulled.items)
    tombstones = sum(1 for item in pulled.items if item.get("deleted"))
    audit(ctx, "sync_pull", detail=f"{len(pulled.items) - tombstones} records, {tombstones} tombstones"
                                   + (", reset" if pulled.reset else ""))
    _seen(ctx)
    return replace(pulled, alerts=unread_for_pull(ctx))


def _with_attachments(ctx: Context, actor: Actor, items: list[dict[str, Any]]) -> None:
    """Give each pulled record the descriptors of its files (in the fields the user sees): the device fetches each
    from GET /<record type>/<id>/attachments/<file id> with its credential (one query per record type)."""
    for name in dict.fromkeys(item["record_type"] for item in items if "record" in item):
        pulled = [item for item in items if item["record_type"] == name and "record" in item]
        files = attachments.describe(ctx.db, ctx.config, RECORD_TYPES[name], actor,
                                     [{"_id": item["id"], "data": item["record"].get("data") or {}} for item in pulled])
        for item in pulled:
            item["attachments"] = files.get(item["id"], [])


def push_records(ctx: Context, items: list[dict[str, Any] | AbriError]) -> list[dict[str, Any]]:
    """Apply each pushed change on its own; one result per item, in order (a refusal as a parse error gives it)."""
    actor = actor_of(ctx)
    results = []
    for item in items:
        if isinstance(item, AbriError):
            results.append(_refused({}, item, ctx.locale))
            continue
        record_type = RECORD_TYPES[item["record_type"]]
        try:
            with refusal_audited(ctx, "sync_push", record_type, item["id"]):
                keep_record_indexes(ctx, record_type)
                if item["op"] == "create":
                    applied = sync.push_create(ctx.db, ctx.config, record_type, item, actor)
                else:
                    applied = sync.push_update(ctx.db, ctx.config, record_type, item, actor)
        except ITEM_REFUSALS as error:
            results.append(_refused(item, error, ctx.locale))
            continue
        audit(ctx, f"sync_{applied.status}", record_type.name, applied.record["_id"])
        if item["op"] != "create" and applied.status in ("updated", "merged", "conflict"):
            notify(ctx, record_type, applied.record, who.for_change(applied.record))
        # Its potential duplicates are left due: the workers compute them within seconds (MATCH_EVERY_SECONDS), so
        # that a tablet's batch is not slowed by a match query per record.
        visible = visible_fields(ctx.db, ctx.config, record_type, actor)
        result = {**_named(item), "status": applied.status, "revision": applied.record["revision"],
                  "record": service.present(applied.record, record_type, readable=visible, viewer=actor.principal)}
        if applied.conflict is not None:
            result["conflict"] = present_conflict(applied.conflict, visible)
        results.append(result)
    _seen(ctx)
    return results


def _named(item: dict[str, Any]) -> dict[str, Any]:
    return {"change_id": item.get("change_id"), "record_type": item.get("record_type"), "id": item.get("id")}


def _refused(item: dict[str, Any], error: AbriError, locale: str | None) -> dict[str, Any]:
    return {**_named(item), "status": "refused", "error": error.as_json(locale)["error"]}


def present_conflict(conflict: dict[str, Any], visible: set[str] | None) -> dict[str, Any]:
    """A kept conflict as its reader may see it: the fields in conflict with the device's and the server's values."""
    return {"id": conflict["_id"], "record_type": conflict["record_type"], "record_id": conflict["record_id"],
            "status": conflict["status"], "user_name": conflict["user_name"], "device_id": conflict.get("device_id"),
            "base_revision": conflict["base_revision"], "server_revision": conflict["server_revision"],
            "created_at": conflict["created_at"],
            "fields": {name: value for name, value in conflict["fields"].items()
                       if visible is None or name in visible},
            "resolved_by": conflict.get("resolved_by"), "resolved_at": conflict.get("resolved_at")}


def list_conflicts(ctx: Context) -> list[dict[str, Any]]:
    """The open conflicts the caller may resolve, oldest first (at most CONFLICTS_LISTED)."""
    actor = actor_of(ctx)
    keys = actor.principal.access_keys() if actor.principal else (store.EVERY_RECORD_KEY,)
    shown = []
    for conflict in sync_store.open_conflicts(ctx.db, keys, CONFLICTS_LISTED):
        try:
            record_type, _ = _resolvable(ctx, actor, conflict)
        except NotFound:
            continue
        shown.append(present_conflict(conflict, None))
    return shown


def _resolvable(ctx: Context, actor: Actor, conflict: dict[str, Any]) -> tuple[RecordType, dict[str, Any]]:
    """The record type and the record of a conflict the actor may resolve: in their scope, with every field in
    conflict one they may write. NotFound otherwise, as if it did not exist (a conflict tells values)."""
    record_type = RECORD_TYPES[conflict["record_type"]]
    writable = writable_fields(ctx.config, record_type, actor)
    if (actor.principal and not actor.principal.can(record_type.name, "write")) \
            or (writable is not None and not set(conflict["fields"]) <= writable):
        raise NotFound(kind=CONFLICT_KIND, id=conflict["_id"])
    try:
        return record_type, service.get_record(ctx.db, record_type, conflict["record_id"], actor, "write")
    except NotFound:
        raise NotFound(kind=CONFLICT_KIND, id=conflict["_id"]) from None


def resolve_conflict(ctx: Context, conflict_id: str, data: dict[str, Any], revision: int) -> dict[str, Any]:
    """Resolve a kept conflict on the record's current `revision`: write `data` (the values chosen; {} keeps the
    server's), close it."""
    actor = actor_of(ctx)
    if actor.principal and not any(actor.principal.can(name, "write") for name in RECORD_TYPES):
        raise Forbidden(Error.ACTION_DENIED, action="write", resource="case")  # before the conflict is looked up
    conflict = sync_store.find_conflict(ctx.db, conflict_id)
    record_type = RECORD_TYPES.get((conflict or {}).get("record_type", ""), RECORD_TYPES["case"])
    with refusal_audited(ctx, "resolve_conflict", record_type):
        if conflict is None:
            raise NotFound(kind=CONFLICT_KIND, id=conflict_id)
        record_type, record = _resolvable(ctx, actor, conflict)
        if conflict["status"] != "open":
            raise Conflict(Error.CONFLICT_CLOSED)
        if record["revision"] != revision:
            raise PreconditionFailed(kind=record_type.label, id=record["_id"], current=record["revision"],
                                     sent=revision)
        if data:
            record = service.update_record(ctx.db, ctx.config, record_type, record["_id"], data, revision, actor)
            notify(ctx, record_type, record, who.for_change(record))
            after_write(ctx, record_type, record)
        closed = sync_store.close_conflict(ctx.db, conflict_id, {
            "status": "resolved", "resolved_by": ctx.user_name, "resolved_at": ctx.now,
            "resolved_revision": record["revision"]})
        if closed is None:
            raise Conflict(Error.CONFLICT_CLOSED)
    audit(ctx, "conflict_resolved", record_type.name, conflict["record_id"])
    return present_conflict(closed, None)


def _seen(ctx: Context) -> None:
    if ctx.device_id and ctx.principal is not None:
        devices.seen(ctx.db, ctx.principal.user_name, ctx.device_id, ctx.now, synced=True)
