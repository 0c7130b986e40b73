"""What a case worker has to do and which services wait, across the cases a user sees.

Every case write keeps, beside the case, its pending tasks and a summary of its services (metadata/workflow.py:
`derived`), with the earliest due day of each, so these lists are one indexed query of the user's scope. The items
are made here from those summaries and the case's data, showing only what the user's role reads: a task whose
dates or rows come from a field the role does not read is not shown, nor is a service list to a role that does not
read the services form.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Iterable

from server.metadata.configuration import Configuration
from server.metadata.labels import resolve_text
from server.metadata.workflow import (SERVICE_DUE, SERVICES, SERVICES_OPEN, STAGE, TASK_DUE, TASKS, TRANSITIONS,
                                      APPROVAL_TYPES, Workflow, last_approvals, workflow_of)
from server.records.access import readable_fields
from server.records.actor import Actor
from server.records.types import RecordType
from server.storage import Database, records as store
from server.storage.query import Condition, Filter, Sort, all_of, ASC, DESC
from server.workflow.lifecycle import PENDING_APPROVALS, REQUESTED

CASES_READ = 2_000  # cases a list reads at most (a case worker's whole caseload; a larger scope is narrowed)
SERVICE_STATES = ("open", "overdue", "implemented", "all")
OWNERS = ("me", "all")
# What a service's referral shows: who sent it to whom, and when it was accepted, rejected, done or revoked.
REFERRAL_KEYS = ("id", "status", "to_user", "to_agency", "created_at", "created_by", "accepted_at", "rejected_at",
                 "done_at", "revoked_at")
ENVELOPE = ("_id", "short_id", "module_id", "owned_by", "status", STAGE, TASKS, TASK_DUE, SERVICES, SERVICE_DUE,
            SERVICES_OPEN, PENDING_APPROVALS, "approvals", TRANSITIONS)


def _scope(actor: Actor, owner: str) -> Condition | None:
    """The cases in the actor's own scope (not those that reach them only through a referral or a transfer waiting
    for them: what the case worker has to do on those is theirs to tell), owned by the actor for owner "me"."""
    scope = actor.principal.record_scope("") if actor.principal else None
    return all_of(scope, Filter("owned_by", "eq", actor.user_name)) if owner == "me" else scope


def _read(db: Database, record_type: RecordType, where: Condition, sort: list[Sort], fields: Iterable[str]
          ) -> tuple[list[dict[str, Any]], bool]:
    """The cases meeting `where` (at most CASES_READ) in `sort` order, and whether that was all of them."""
    cases = store.find_records(db, record_type.name, where, [*sort, Sort("_id", ASC)], CASES_READ + 1, fields)
    return cases[:CASES_READ], len(cases) <= CASES_READ


def _summary(record: dict[str, Any], record_type: RecordType) -> dict[str, Any]:
    return {"record_type": record_type.name, "record_id": record["_id"], "short_id": record.get("short_id"),
            record_type.display_id: record.get(record_type.display_id), "owned_by": record.get("owned_by"),
            "stage": record.get(STAGE)}


def tasks(db: Database, config: Configuration, record_type: RecordType, actor: Actor, owner: str = "me",
          overdue: bool = False, due_by: str | None = None, wanted: str | None = None, locale: str = "en",
          default: str = "en") -> tuple[list[dict[str, Any]], bool]:
    """A user's tasks, earliest due first, and whether every case was read: the pending tasks of the cases they own
    (owner "all": of every case they see) and the approvals waiting for them, narrowed to those due by `due_by` (a
    day), to the overdue ones, and to one task id (`wanted`)."""
    actor.require(record_type, "read")
    today = actor.now.date().isoformat()
    last = min(filter(None, [due_by, (actor.now.date() - timedelta(days=1)).isoformat() if overdue else None]),
               default=None)
    readable = readable_fields(config, record_type, actor)
    fields = [*ENVELOPE, record_type.display_id]  # the tasks are derived: no data read
    due = Filter(TASK_DUE, "lte", last) if last else Filter(TASK_DUE, "gte", "")
    cases, exact = _read(db, record_type, all_of(_scope(actor, owner), due), [Sort(TASK_DUE, ASC)], fields)
    items = []
    for record in cases:
        workflow = workflow_of(config, record.get("module_id"))
        if workflow is None:
            continue
        named = {task.id: task for task in workflow.tasks}
        for pending in record.get(TASKS) or []:
            task = named.get(pending.get("task"))
            if task is None or not _task_readable(task, readable) or (last and pending["due"] > last):
                continue
            items.append({**_summary(record, record_type), "task": task.id, "kind": "task", "row": pending.get("row"),
                          "name": resolve_text(task.name_i18n, locale, default) or task.id, "due": pending["due"],
                          "overdue": pending["due"] < today})
    approvals, approvals_exact = _approval_tasks(db, config, record_type, actor, last, today, locale, default)
    items = [item for item in [*items, *approvals] if wanted is None or item["task"] == wanted]
    return sorted(items, key=lambda item: (item["due"], item["record_id"], item["task"])), exact and approvals_exact


def _task_readable(task, readable: set[str] | None) -> bool:
    """A task shows only to a role that reads the fields it is computed from (else its due day tells their value)."""
    if readable is None:
        return True
    if task.subform:  # its dates are fields of the subform's rows, which a role reads with the subform
        return task.subform in readable
    return all(name in readable for name in (task.due_field, task.due_after) if name)


def _approval_tasks(db: Database, config: Configuration, record_type: RecordType, actor: Actor, last: str | None,
                    today: str, locale: str, default: str) -> tuple[list[dict[str, Any]], bool]:
    """The approvals the user may decide that wait on the cases they see (not their own requests unless they may
    approve them), each due the day it was requested."""
    principal = actor.principal
    kinds = [kind for kind in APPROVAL_TYPES if principal is None or principal.can(record_type.name, f"approve_{kind}")]
    if not kinds:
        return [], True
    self_approve = principal is None or principal.can(record_type.name, "self_approve")
    fields = [*ENVELOPE, record_type.display_id]
    where = all_of(_scope(actor, "all"), Filter(PENDING_APPROVALS, "in", kinds))
    cases, exact = _read(db, record_type, where, [Sort("last_updated_at", DESC)], fields)
    items = []
    for record in cases:
        waiting = last_approvals(record)
        workflow = workflow_of(config, record.get("module_id"))
        for kind in record.get(PENDING_APPROVALS) or []:
            entry = waiting.get(kind) or {}
            if kind not in kinds or entry.get("status") != REQUESTED:
                continue
            if entry.get("requested_by") == actor.user_name and not self_approve:
                continue
            day = entry["requested_at"].date().isoformat() if hasattr(entry.get("requested_at"), "date") else today
            if last and day > last:
                continue
            items.append({**_summary(record, record_type), "task": f"approval_{kind}", "kind": "approval",
                          "row": None, "approval_type": kind, "name": _approval_name(workflow, kind, locale, default),
                          "due": day, "overdue": day < today, "requested_by": entry.get("requested_by")})
    return items, exact


def _approval_name(workflow: Workflow | None, kind: str, locale: str, default: str) -> str:
    names = workflow.approvals.get(kind) if workflow else None
    return resolve_text(names, locale, default) or kind


def services(db: Database, config: Configuration, record_type: RecordType, actor: Actor, state: str = "open",
             owner: str = "all", due_by: str | None = None, wanted: str | None = None
             ) -> tuple[list[dict[str, Any]], bool]:
    """The services of the cases a user sees (owner "me": that they own), each with its referrals, in a `state`:
    open (not implemented), overdue (open and due before today), implemented, or all; narrowed to those due by
    `due_by` and to one service type (`wanted`). Open ones come earliest due first, implemented ones latest first."""
    actor.require(record_type, "read")
    today = actor.now.date().isoformat()
    readable = readable_fields(config, record_type, actor)
    condition = {"open": Filter(SERVICES_OPEN, "gt", 0), "overdue": Filter(SERVICE_DUE, "lt", today),
                 "implemented": Filter(f"{SERVICES}.implemented", "eq", True),
                 "all": Filter(f"{SERVICES}.id", "exists", True)}[state]
    order = [Sort("last_updated_at", DESC)] if state in ("implemented", "all") else [Sort(SERVICE_DUE, ASC)]
    cases, exact = _read(db, record_type, all_of(_scope(actor, owner), condition), order,
                         [*ENVELOPE, record_type.display_id, "data"])
    items = []
    for record in cases:
        workflow = workflow_of(config, record.get("module_id"))
        if workflow is None or workflow.services is None or (readable is not None
                                                              and workflow.services.subform not in readable):
            continue
        items.extend(_service_items(workflow, record, record_type, state, today, due_by, wanted))
    done = sorted((item for item in items if item["implemented"]), key=lambda item: str(item["implemented_at"]),
                  reverse=True)
    waiting = sorted((item for item in items if not item["implemented"]),
                     key=lambda item: (item["due"] or "9999-12-31", item["record_id"]))
    return waiting + done, exact


def _service_items(workflow: Workflow, record: dict[str, Any], record_type: RecordType, state: str, today: str,
                   due_by: str | None, wanted: str | None) -> list[dict[str, Any]]:
    rows = {row.get("unique_id"): row for row in (record.get("data") or {}).get(workflow.services.subform) or []
            if isinstance(row, dict)}
    referrals: dict[str, list[dict[str, Any]]] = {}
    for transition in record.get(TRANSITIONS) or []:
        if isinstance(transition, dict) and transition.get("service_id"):
            referrals.setdefault(transition["service_id"], []).append(
                {key: transition[key] for key in REFERRAL_KEYS if transition.get(key) is not None})
    field = workflow.services.field
    items = []
    for summary in record.get(SERVICES) or []:
        row = rows.get(summary.get("id"))
        if row is None:
            continue
        open_, due = not summary.get("implemented"), summary.get("due")
        if (state == "open" and not open_) or (state == "implemented" and open_) or \
                (state == "overdue" and not (open_ and due and due < today)):
            continue
        if (due_by and (not due or due > due_by)) or (wanted and row.get(field("type") or "") != wanted):
            continue
        items.append({**_summary(record, record_type), "service_id": summary["id"],
                      **{part: row.get(name) for part in ("type", "status", "provider_agency", "provider_user",
                                                          "implemented_on", "notes")
                         if (name := field(part))},
                      "due": due, "overdue": bool(open_ and due and due < today),
                      "implemented": not open_, "requested_at": summary.get("requested_at"),
                      "implemented_at": summary.get("implemented_at"), "referrals": referrals.get(summary["id"], [])})
    return items
