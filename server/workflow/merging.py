"""Merging two cases of one child, and undoing it.

The surviving case takes, field by field, the values the reviewer chooses from the other ("other": the other's
value; "both", for a subform: the rows of both), validated as any write; it takes the other's referrals and transfers,
and the incidents and traces linked to the other follow it. The other case is disabled with `merged_into` (its id
still resolves: it is read as it was, and says where the child is now); nothing of it is deleted, and each case's
history keeps its own entries, the merge included. The survivor's "merge" entry holds everything the merge moved,
so that "unmerge" puts back what nobody changed since and re-enables the other case.
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterator

from server.errors import Conflict, Detail, Error, NotFound, Unprocessable
from server.metadata.configuration import Configuration
from server.metadata.workflow import TRANSITIONS
from server.records import service
from server.records.actor import Actor
from server.records.merge import diff_data
from server.records.types import RecordType
from server.records.validation import form_fields
from server.rules import Rule
from server.storage import Database, matching as locks, records as store
from server.storage.query import Sort

MERGED_INTO, MERGED_FROM = "merged_into", "merged_from"
MERGE_LEASE = timedelta(minutes=2)  # a merge lock older than this is a dead merge's
OTHER, BOTH = "other", "both"


@dataclass(frozen=True)
class Link:
    """Records that follow a case: incidents by links.case_id, or a tracing request's traces by matched_case_id."""

    record_type: RecordType
    subform: str | None = None


def merge_cases(db: Database, config: Configuration, case_type: RecordType, links: dict[str, Link],
                survivor_id: str, other_id: str, choices: dict[str, str], expected_revision: int | None,
                actor: Actor) -> dict[str, Any]:
    """Merge the case `other_id` into `survivor_id`; return the survivor as it now is.

    A merge is several writes (the survivor, the other case, each linked record), made under a lock of both cases:
    a merge that died midway is finished by asking for it again (the survivor already holds the other's data: only
    what is left is done)."""
    actor.require(case_type, "merge")
    actor.require(case_type, "write")
    if survivor_id == other_id:
        raise Unprocessable(Error.MERGE_SELF, details=[Detail.of("/from", Rule.RECIPIENT_SELF)])
    with _locked(db, (survivor_id, other_id), actor):
        return _merge(db, config, case_type, links, survivor_id, other_id, choices, expected_revision, actor)


def _merge(db: Database, config: Configuration, case_type: RecordType, links: dict[str, Link], survivor_id: str,
           other_id: str, choices: dict[str, str], expected_revision: int | None, actor: Actor) -> dict[str, Any]:
    other = service.get_record(db, case_type, other_id, actor, "merge")
    service.check_enabled(other, case_type)
    survivor = service.get_record(db, case_type, survivor_id, actor, "merge")
    if other_id in (survivor.get(MERGED_FROM) or []):  # a merge that died before it was finished
        store.flush_history(db, case_type.name, survivor)
        moved_links = (_merge_entry(db, survivor_id, other_id) or {"changes": {MERGED_FROM: {}}})[
            "changes"][MERGED_FROM].get("links") or {}
        return _finish(db, config, case_type, links, survivor, other_id, moved_links, actor)
    forms = form_fields(config, case_type.name, other["module_id"])
    patch = _patch(forms, other, choices)
    moved_links = {name: [r["_id"] for r in _linked(db, link, other_id)] for name, link in links.items()}

    def build(record: dict[str, Any]):
        service.check_enabled(record, case_type)
        if record["module_id"] != other["module_id"]:
            raise Unprocessable(Error.MERGE_MODULES)
        data = service.validate_write(config, case_type, record["module_id"], record["data"], patch, actor)
        diff = diff_data(record["data"], data, forms.subforms)
        changes = {f"data.{name}": data[name] for name in diff if name in data}
        unset = [f"data.{name}" for name in diff if name not in data]
        taken = [t for t in other.get(TRANSITIONS) or [] if t.get("id") not in
                 {mine.get("id") for mine in record.get(TRANSITIONS) or []}]
        if taken:
            changes[TRANSITIONS] = [*(record.get(TRANSITIONS) or []), *taken]
        changes[MERGED_FROM] = [*(record.get(MERGED_FROM) or []), other_id]
        changes["config_version"] = config.version
        entry = {**diff, MERGED_FROM: {"from": None, "to": other_id,
                                       "transitions": [t["id"] for t in taken], "links": moved_links}}
        return changes, unset, entry

    survivor = service.write_change(db, config, case_type, survivor_id, expected_revision, "merge", actor, "merge",
                                    build)
    return _finish(db, config, case_type, links, survivor, other_id, moved_links, actor)


def _finish(db: Database, config: Configuration, case_type: RecordType, links: dict[str, Link],
            survivor: dict[str, Any], other_id: str, moved_links: dict[str, list[str]], actor: Actor
            ) -> dict[str, Any]:
    """What a merge does once the survivor holds the other's data: disable the other, move its links."""
    survivor_id = survivor["_id"]

    def retire(record: dict[str, Any]):
        service.check_enabled(record, case_type)
        return ({"record_state": False, MERGED_INTO: survivor_id}, [],
                {MERGED_INTO: {"from": None, "to": survivor_id}, "record_state": {"from": True, "to": False}})

    service.write_change(db, config, case_type, other_id, None, "merge", actor, "merged", retire)
    for name, link in links.items():
        for record_id in moved_links[name]:
            _relink(db, config, link, record_id, other_id, survivor_id, actor)
    return survivor


def unmerge_cases(db: Database, config: Configuration, case_type: RecordType, links: dict[str, Link],
                  survivor_id: str, other_id: str, actor: Actor) -> tuple[dict[str, Any], list[str]]:
    """Undo the last merge of `other_id` into `survivor_id`: the fields it changed that nobody changed since go back
    (the others are kept, and named in the answer), the referrals it took go back, the links follow the other
    case again, and the other case is enabled. Return the survivor and the fields kept as they are now."""
    actor.require(case_type, "merge")
    actor.require(case_type, "write")
    with _locked(db, (survivor_id, other_id), actor):
        return _unmerge(db, config, case_type, links, survivor_id, other_id, actor)


def _unmerge(db: Database, config: Configuration, case_type: RecordType, links: dict[str, Link], survivor_id: str,
             other_id: str, actor: Actor) -> tuple[dict[str, Any], list[str]]:
    other = service.get_record(db, case_type, other_id, actor, "merge")
    if other.get(MERGED_INTO) != survivor_id:
        raise Conflict(Error.NOT_MERGED, id=other_id, survivor=survivor_id)
    store.flush_history(db, case_type.name, service.get_record(db, case_type, survivor_id, actor, "merge"))
    entry = _merge_entry(db, survivor_id, other_id)
    if entry is None:
        raise Conflict(Error.NOT_MERGED, id=other_id, survivor=survivor_id)
    moved = entry["changes"][MERGED_FROM]
    kept: list[str] = []

    def build(record: dict[str, Any]):
        changes: dict[str, Any] = {}
        unset: list[str] = []
        diff: dict[str, Any] = {}
        for name, change in entry["changes"].items():
            if name == MERGED_FROM or not isinstance(change, dict):
                continue
            now = record["data"].get(name)
            after = _after(change, now)
            if after is _CHANGED:
                kept.append(name)
                continue
            if after is _ABSENT:
                unset.append(f"data.{name}")
            else:
                changes[f"data.{name}"] = after
            diff[name] = {"from": now, "to": None if after is _ABSENT else after}
        returned = set(moved.get("transitions") or [])
        if returned:
            changes[TRANSITIONS] = [t for t in record.get(TRANSITIONS) or [] if t.get("id") not in returned]
        changes[MERGED_FROM] = [uid for uid in record.get(MERGED_FROM) or [] if uid != other_id]
        diff[MERGED_FROM] = {"from": other_id, "to": None}
        return changes, unset, diff

    survivor = service.write_change(db, config, case_type, survivor_id, None, "merge", actor, "unmerge", build)

    def restore(record: dict[str, Any]):
        return ({"record_state": True, MERGED_INTO: None}, [],
                {MERGED_INTO: {"from": survivor_id, "to": None}, "record_state": {"from": False, "to": True}})

    service.write_change(db, config, case_type, other_id, None, "merge", actor, "unmerged", restore)
    for name, link in links.items():
        for record_id in (moved.get("links") or {}).get(name, []):
            _relink(db, config, link, record_id, survivor_id, other_id, actor)
    return survivor, kept


_CHANGED, _ABSENT = object(), object()


def _after(change: dict[str, Any], now: Any) -> Any:
    """What a field goes back to: its value before the merge, if it still holds what the merge wrote."""
    if "rows" in change:  # a subform: the rows the merge added go, if they are all still there as they came
        added = {row_id: row["added"] for row_id, row in change["rows"].items() if "added" in row}
        rows = [row for row in now if isinstance(row, dict)] if isinstance(now, list) else []
        current = {row.get("unique_id"): {k: v for k, v in row.items() if k != "unique_id"} for row in rows}
        if any(current.get(row_id) != row for row_id, row in added.items()):
            return _CHANGED
        return [row for row in rows if row.get("unique_id") not in added] or _ABSENT
    if now != change.get("to"):
        return _CHANGED
    return _ABSENT if change.get("from") is None else change["from"]


def _patch(forms, other: dict[str, Any], choices: dict[str, str]) -> dict[str, Any]:
    """The write on the survivor that takes the chosen values of the other case."""
    details = []
    patch: dict[str, Any] = {}
    for name, choice in choices.items():
        if name not in forms.fields:
            details.append(Detail.of(f"/fields/{name}", Rule.UNKNOWN_FORM_FIELD))
        elif (choice == BOTH) != (name in forms.subforms):
            details.append(Detail.of(f"/fields/{name}", Rule.MERGE_CHOICE))
        elif choice == BOTH:
            patch[name] = [row for row in other["data"].get(name) or [] if isinstance(row, dict)]
        else:
            patch[name] = other["data"].get(name)
    if details:
        raise Unprocessable(Error.MERGE_CHOICES, details=details, count=len(details))
    return patch


def _linked(db: Database, link: Link, case_id: str) -> list[dict[str, Any]]:
    path = f"data.{link.subform}.matched_case_id" if link.subform else "links.case_id"
    return store.find_records(db, link.record_type.name, {path: case_id}, [Sort("_id")], 10_000, ["_id"])


def _relink(db: Database, config: Configuration, link: Link, record_id: str, old: str, new: str,
            actor: Actor) -> None:
    """Point a record linked to `old` (an incident; a tracing request's traces) at `new`: a write of the system, in
    its history, since the linked record may lie outside the reviewer's scope and must follow the child all the
    same."""
    system = Actor(actor.user_name, actor.now, None)

    def build(record: dict[str, Any]):
        if not link.subform:
            if (record.get("links") or {}).get("case_id") != old:
                return {}, [], {}
            return {"links.case_id": new}, [], {"links.case_id": {"from": old, "to": new}}
        rows = record["data"].get(link.subform) or []
        changed = {f"data.{link.subform}.{index}.matched_case_id": new for index, row in enumerate(rows)
                   if isinstance(row, dict) and row.get("matched_case_id") == old}
        history = {link.subform: {"rows": {rows[int(path.split(".")[2])].get("unique_id"): {
            "changed": {"matched_case_id": {"from": old, "to": new}}} for path in changed}}}
        return changed, [], history if changed else {}
    try:
        service.write_change(db, config, link.record_type, record_id, None, "write", system, "relink", build)
    except NotFound:
        pass  # gone meanwhile


@contextmanager
def _locked(db: Database, case_ids: tuple[str, str], actor: Actor) -> Iterator[None]:
    """Hold the merge lock of both cases (409 MERGE_IN_PROGRESS when another merge holds one)."""
    owner = uuid.uuid4().hex
    if not locks.lock_cases(db, case_ids, owner, actor.now, MERGE_LEASE):
        raise Conflict(Error.MERGE_IN_PROGRESS)
    try:
        yield
    finally:
        locks.unlock_cases(db, case_ids, owner)


def _merge_entry(db: Database, survivor_id: str, other_id: str) -> dict[str, Any] | None:
    """The survivor's last history entry that merged `other_id` into it."""
    return store.last_history_entry(db, survivor_id, "merge", f"changes.{MERGED_FROM}.to", other_id)
