"""Field sync in the record engine: a scope's changes in sequence order for a device, and a pushed change applied
with field-level merge, its same-field conflicts kept for a person to resolve.

The pull token names, per record type, the sequence number a device has received up to, and a fingerprint of what
its user may see (access keys, readable record types and forms, the sync mode). When that view changes (a new
scope, role or group), the token no longer holds: the pull starts again from the beginning and says so (`reset`):
the device keeps what the new pull sends and drops the rest, which is the tombstone of every record its user no
longer sees. Within one view, a record that leaves it (disabled, assigned or transferred away, unmarked for mobile)
comes as a tombstone, found by the access keys it lost (GONE).

A pushed update names the revision it was based on. The history of the record since then says which fields others
changed: the device's edits of other fields merge; an edit of a field that another write changed since, to another
value, is a conflict, kept (record_conflicts) with both values and applied to nothing until someone resolves it. The
change's id travels in the history entry (and is the conflict's id), so the same change sent again is recognised
and answered as the first time, never applied twice.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field, replace
from typing import Any

from server.auth.permissions import Principal
from server.errors import BadRequest, Conflict, Detail, Error, PreconditionFailed, Unprocessable
from server.metadata.configuration import Configuration
from server.metadata.documents import content_hash
from server.records import service
from server.records.access import visible_fields
from server.records.actor import Actor
from server.records.merge import ROW_ID
from server.records.types import RECORD_TYPES, RecordType
from server.records.validation import form_fields
from server.rules import Rule
from server.storage import Database, records as store, schema as schema_store, sync as sync_store

SYNC_ORDER = ("case", "incident", "tracing_request")
SCOPE, MARKED = "scope", "marked"
EVERY_ROW_FIELD = "*"  # a subform row added or removed since the base: every field of it changed
_ATTEMPTS = 10


@dataclass
class PullToken:
    """Where a device is: per record type, the last sequence number received; and the view it was received in."""

    view: str = ""
    positions: dict[str, int] = field(default_factory=dict)

    def encode(self) -> str:
        raw = json.dumps({"v": self.view, "p": self.positions}, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> "PullToken":
        if not text:
            return cls()
        try:
            raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            view, positions = raw["v"], raw["p"]
            if not isinstance(view, str) or not isinstance(positions, dict) or not all(
                    name in RECORD_TYPES and type(number) is int and 0 <= number < 2**63
                    for name, number in positions.items()):
                raise ValueError
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
            raise BadRequest(Error.QUERY_PARAMETER_INVALID, name="token",
                             details=[Detail.of("token", Rule.SYNC_TOKEN)]) from None
        return cls(view, dict(positions))


@dataclass(frozen=True)
class Pulled:
    """A page of a pull: upserts and tombstones in sequence order, the next token, whether more follow now, and
    whether the device must drop what this pull (to its end) does not send again; `alerts`: the user's unread
    alerts (the use case adds them)."""

    items: list[dict[str, Any]]
    token: str
    more: bool
    reset: bool
    alerts: dict[str, Any] | None = None


def readable_types(actor: Actor) -> list[str]:
    return [name for name in SYNC_ORDER if actor.principal is None or actor.principal.can(name, "read")]


def view_of(principal: Principal | None, mode: str, lineage: str = "") -> str:
    """The fingerprint of what a user sees: a token made in another view does not hold. `lineage` changes when the
    database is restored from a backup: what a device received from the server that was lost no longer holds."""
    if principal is None:
        parts: tuple = ("*", mode)
    else:
        parts = (principal.access_keys(), sorted(name for name in SYNC_ORDER if principal.can(name, "read")),
                 sorted(principal.forms.items()) if principal.forms is not None else None, mode)
    if lineage:
        parts += (lineage,)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def pull(db: Database, config: Configuration, actor: Actor, token: str | None, limit: int, mode: str,
         settled_before: float) -> Pulled:
    """The next page of changes in the actor's view after `token` (None: from the beginning)."""
    held = PullToken.decode(token)
    view = view_of(actor.principal, mode, schema_store.lineage(db))
    reset = held.view != view
    positions = {} if reset else dict(held.positions)
    keys = actor.principal.access_keys() if actor.principal else (store.EVERY_RECORD_KEY,)
    items: list[dict[str, Any]] = []
    more = False
    for name in readable_types(actor):
        record_type = RECORD_TYPES[name]
        changes = sync_store.read_changes(db, name, keys, positions.get(name, 0), limit - len(items), settled_before)
        visible = visible_fields(db, config, record_type, actor) if changes.records else None
        for record in changes.records:
            item = _item(record, record_type, actor.principal, mode, visible)
            if not (reset and item.get("deleted")):  # starting over, the device drops what it is not sent
                items.append(item)
        positions[name] = changes.position
        if changes.more or len(items) >= limit:
            more = True
            break
    return Pulled(items, PullToken(view, positions).encode(), more, reset)


def _item(record: dict[str, Any], record_type: RecordType, principal: Principal | None, mode: str,
          visible: set[str] | None) -> dict[str, Any]:
    reason = _left_because(record, principal, mode)
    if reason:
        return {"record_type": record_type.name, "id": record["_id"], "deleted": True, "reason": reason}
    return {"record_type": record_type.name, "id": record["_id"], "revision": record["revision"],
            "record": service.present(record, record_type, readable=visible, viewer=principal)}


def _left_because(record: dict[str, Any], principal: Principal | None, mode: str) -> str | None:
    if record.get(store.DELETED_AT):
        return "deleted"
    if principal is not None and not principal.in_scope(record):
        return "out_of_scope"
    if not record.get("record_state", True):
        return "disabled"
    if mode == MARKED and not record.get("marked_for_mobile"):
        return "not_marked"
    return None


# Push

@dataclass(frozen=True)
class Applied:
    """What became of one pushed change: created, updated, merged or conflict, the record as it is now, and the
    conflict kept (with the fields in conflict)."""

    status: str
    record: dict[str, Any]
    conflict: dict[str, Any] | None = None


def push_create(db: Database, config: Configuration, record_type: RecordType, item: dict[str, Any],
                actor: Actor) -> Applied:
    """Create a record made on a device (idempotent by its id: the same body again answers as the first time)."""
    body = {"id": item["id"], "module_id": item.get("module_id"), "data": item.get("data") or {},
            "marked_for_mobile": True}
    record, _ = service.create_record(db, config, record_type, body, replace(actor, change_id=item.get("change_id"),
                                                                             change_hash=_hash(item)))
    return Applied("created", record)


def _hash(item: dict[str, Any]) -> str:
    """The content of a pushed change (a change id sent again with other content is refused)."""
    return content_hash({"base_revision": item.get("base_revision"), "data": item.get("data") or {}})


def push_update(db: Database, config: Configuration, record_type: RecordType, item: dict[str, Any],
                actor: Actor) -> Applied:
    """Apply a device's edit made on revision `base_revision`: merged with what changed since, conflicts kept.

    Its change id is looked for only in the writes after its base (a change is applied on or after the revision it
    was made on, and kept as a conflict only when others wrote since): a change on the current revision, the usual
    case, costs no lookup beyond the record.
    """
    actor.require(record_type, "write")
    change_id, base, patch = item["change_id"], item["base_revision"], item.get("data") or {}
    actor = replace(actor, change_id=change_id, change_hash=_hash(item))
    for _ in range(_ATTEMPTS):
        record = service.get_record(db, record_type, item["id"], actor, "write")
        if base > record["revision"]:
            raise Unprocessable(Error.BASE_REVISION_UNKNOWN, revision=base, current=record["revision"],
                                details=[Detail.of("/base_revision", Rule.BASE_REVISION, current=record["revision"])])
        since = store.history_since(db, record, base) if base < record["revision"] else []
        conflict = sync_store.find_conflict(db, change_id) if since else None
        replayed = _replayed(record, since, conflict, actor, base)
        if replayed is not None:
            return replayed
        # The whole change passes the checks of an update (the role's fields, the forms' rules) before any part of
        # it is merged or kept: a refusal keeps nothing, and never tells what others wrote in fields it may not read.
        service.check_update(config, record_type, record, patch, actor)
        forms = form_fields(config, record_type.name, record["module_id"])
        apply, conflicts = split_patch(patch, record["data"], _changed_fields(since), forms.subforms)
        if conflicts:  # kept before anything is applied: a change sent again after a crash finds it
            conflict = sync_store.save_conflict(db, _conflict(record_type, record, item, actor, conflicts, apply))
        try:
            if apply:
                record = service.update_record(db, config, record_type, record["_id"], apply, record["revision"],
                                               actor)
        except PreconditionFailed:
            continue  # written meanwhile: merge again with that write
        status = "conflict" if conflicts else "updated" if not since else "merged"
        return Applied(status, record, conflict if conflicts else None)
    raise Conflict(Error.WRITE_CONTENTION, kind=record_type.label, id=item["id"])


def _replayed(record: dict[str, Any], since: list[dict[str, Any]], conflict: dict[str, Any] | None,
              actor: Actor, base: int) -> Applied | None:
    """The answer to a change already applied (sent again after a lost response), or None: apply it.

    The same change id with other content (or on another record) is refused: it is a client's mistake, and
    answering as the first time would drop the new content silently.
    """
    entry = next((entry for entry in since if entry.get("change_id") == actor.change_id), None)
    if (conflict is not None and (conflict.get("record_id") != record["_id"]
                                  or conflict.get("change_hash") != actor.change_hash)) \
            or (entry is not None and entry.get("change_hash") != actor.change_hash):
        raise Unprocessable(Error.CHANGE_ID_REUSED, details=[Detail.of("/change_id", Rule.CHANGE_ID_REUSED)])
    if conflict is not None:
        if entry is not None or not conflict.get("applied"):
            return Applied("conflict", record, conflict)
        return None  # its conflict was kept and the rest not written (the process died between): write it now
    if entry is not None:
        return Applied("updated" if entry["revision"] == base + 1 else "merged", record)
    return None


def _changed_fields(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """{field: True} for the fields these writes changed; a subform: {row id: {fields} or EVERY_ROW_FIELD}."""
    changed: dict[str, Any] = {}
    for entry in entries:
        for name, change in (entry.get("changes") or {}).items():
            if isinstance(change, dict) and isinstance(change.get("rows"), dict):
                rows = changed.setdefault(name, {})
                if rows is True:
                    continue
                for row_id, row_change in change["rows"].items():
                    touched = row_change.get("changed") if isinstance(row_change, dict) else None
                    if touched is None:
                        rows[row_id] = EVERY_ROW_FIELD
                    elif rows.get(row_id) != EVERY_ROW_FIELD:
                        rows.setdefault(row_id, set()).update(touched)
            else:
                changed[name] = True
    return changed


def split_patch(patch: dict[str, Any], current: dict[str, Any], changed: dict[str, Any],
                subforms: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a device's patch into what merges and what conflicts with the writes since its base.

    A field nobody else changed merges; one changed since to the value the device sets too is already right; one
    changed since to another value conflicts: {field: {"mine", "theirs"}}. Subforms go row by row: a row nobody
    changed merges; a row whose fields another write changed conflicts only on those it sets to another value:
    {subform: {"rows": {row id: {"mine": row, "theirs": row now}}}}.
    """
    apply: dict[str, Any] = {}
    conflicts: dict[str, Any] = {}
    for name, value in patch.items():
        since = changed.get(name)
        if not since:
            apply[name] = value
        elif name in subforms and isinstance(value, list) and isinstance(since, dict):
            keep, clashes = _split_rows(value, current.get(name) or [], since)
            if keep:
                apply[name] = keep
            if clashes:
                conflicts[name] = {"rows": clashes}
        elif current.get(name) != value:
            conflicts[name] = {"mine": value, "theirs": current.get(name)}
    return apply, conflicts


def _split_rows(rows: list[Any], current: list[Any], changed: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    now = {row.get(ROW_ID): row for row in current if isinstance(row, dict)}
    keep, clashes = [], {}
    for row in rows:
        row_id = row.get(ROW_ID) if isinstance(row, dict) else None
        touched = changed.get(row_id) if row_id is not None else None
        if not touched:
            keep.append(row)
            continue
        there = now.get(row_id)
        if row.get("_destroy") is True:
            differs = there is not None
        else:
            names = [key for key in row if key != ROW_ID and (touched == EVERY_ROW_FIELD or key in touched)]
            differs = there is None or any((there or {}).get(key) != row[key] for key in names)
        if differs:
            clashes[row_id] = {"mine": row, "theirs": there}
        else:
            keep.append(row)
    return keep, clashes


def _conflict(record_type: RecordType, record: dict[str, Any], item: dict[str, Any], actor: Actor,
              fields: dict[str, Any], apply: dict[str, Any]) -> dict[str, Any]:
    return {"_id": item["change_id"], "change_hash": actor.change_hash, "record_type": record_type.name,
            "record_id": record["_id"], "_access": record.get(store.ACCESS, []),
            "user_name": actor.user_name, "device_id": actor.device_id, "base_revision": item["base_revision"],
            "server_revision": record["revision"], "fields": fields, "applied": sorted(apply),
            "status": "open", "created_at": actor.now}
