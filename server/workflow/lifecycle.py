"""Closing and reopening a case, and its approvals (assessment, case plan, closure).

An approval is requested by one permission (request_approval_<type>) and decided by another (approve_<type>); the
person who requested it decides on it only with self_approve. Every request and decision stays in the case's
approval log (`approvals`, oldest first); `pending_approvals` lists the types waiting for a decision, so a
supervisor's list of what waits for them is one indexed query. Closing needs the closure fields the workflow names
filled in, and, where the workflow says so, a closure approval approved since the case was last reopened.
"""
from __future__ import annotations

import uuid
from typing import Any

from server.errors import Conflict, Detail, Error, Forbidden, NotFound, Unprocessable
from server.messages import _l
from server.metadata.configuration import Configuration
from server.metadata.labels import resolve_text
from server.metadata.workflow import APPROVALS, CLOSED, OPEN, REOPENED, Workflow, last_approvals, workflow_of
from server.records import service
from server.records.actor import Actor
from server.records.types import RecordType
from server.rules import Rule
from server.storage import Database

PENDING_APPROVALS = "pending_approvals"
REQUESTED, APPROVED, REJECTED = "requested", "approved", "rejected"


def _workflow(config: Configuration, record: dict[str, Any]) -> Workflow | None:
    return workflow_of(config, record.get("module_id"))


def close_case(db: Database, config: Configuration, record_type: RecordType, record_id: str,
               expected_revision: int | None, actor: Actor) -> dict[str, Any]:
    """Close a case whose closure fields are filled in (and whose closure is approved, where that is required)."""
    actor.require(record_type, "close")

    def build(record: dict[str, Any]):
        service.check_enabled(record, record_type)
        if record.get("status") == CLOSED:
            raise Conflict(Error.RECORD_STATE_UNCHANGED, kind=record_type.label, id=record["_id"])
        workflow = _workflow(config, record)
        if workflow is not None:
            data = record.get("data") or {}
            empty = [name for name in workflow.closure_required if data.get(name) in (None, "", [])]
            if empty:
                raise Unprocessable(Error.CLOSURE_INCOMPLETE, fields=", ".join(empty),
                                    details=[Detail.of(f"/{name}", Rule.REQUIRED) for name in empty])
            if workflow.closure_approval and not _closure_approved(record):
                raise Conflict(Error.CLOSURE_NOT_APPROVED)
        return ({"status": CLOSED, "closed_at": actor.now, "closed_by": actor.user_name, REOPENED: False}, [],
                {"status": {"from": record.get("status"), "to": CLOSED}})
    return service.write_change(db, config, record_type, record_id, expected_revision, "close", actor, "close",
                                build)


def _closure_approved(record: dict[str, Any]) -> bool:
    approval = last_approvals(record).get("closure")
    if not approval or approval.get("status") != APPROVED:
        return False
    reopened = record.get("reopened_at")
    return reopened is None or _at(approval.get("decided_at")) >= _at(reopened)


def _at(moment: Any) -> Any:
    """A stored moment, comparable with another (mongomock gives naive datetimes back, a wire server aware ones)."""
    return moment.replace(tzinfo=None) if hasattr(moment, "replace") and moment is not None else moment


def reopen_case(db: Database, config: Configuration, record_type: RecordType, record_id: str, reason: str,
                expected_revision: int | None, actor: Actor) -> dict[str, Any]:
    """Reopen a closed case, with the reason (kept on the case and in its history)."""
    actor.require(record_type, "reopen")

    def build(record: dict[str, Any]):
        service.check_enabled(record, record_type)
        if record.get("status") != CLOSED:
            raise Conflict(Error.CASE_NOT_CLOSED, id=record["_id"])
        return ({"status": OPEN, REOPENED: True, "reopened_at": actor.now, "reopened_by": actor.user_name,
                 "reopen_reason": reason}, [],
                {"status": {"from": CLOSED, "to": OPEN}, "reopen_reason": {"from": record.get("reopen_reason"),
                                                                           "to": reason}})
    return service.write_change(db, config, record_type, record_id, expected_revision, "reopen", actor, "reopen",
                                build)


def approval_label(config: Configuration, module_id: str | None, kind: str, locale: str, default: str) -> str:
    """The name of an approval type in `locale` (its id when the workflow does not name it)."""
    workflow = workflow_of(config, module_id)
    return resolve_text((workflow.approvals.get(kind) if workflow else None) or {}, locale, default) or kind


def request_approval(db: Database, config: Configuration, record_type: RecordType, record_id: str, kind: str,
                     comments: str | None, expected_revision: int | None, actor: Actor,
                     label: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Ask for an approval of type `kind` (assessment, case_plan, closure); return (the case, the log entry)."""
    action = f"request_approval_{kind}"
    actor.require(record_type, action)
    approval_id = str(uuid.uuid4())

    def build(record: dict[str, Any]):
        service.check_enabled(record, record_type)
        _configured(config, record, kind)
        if record.get("status") == CLOSED:
            raise Conflict(Error.CASE_CLOSED, id=record["_id"])
        if kind in (record.get(PENDING_APPROVALS) or []):
            raise Conflict(Error.APPROVAL_PENDING, type=label or kind)
        entry = {"id": approval_id, "type": kind, "status": REQUESTED, "requested_at": actor.now,
                 "requested_by": actor.user_name, "request_comments": comments}
        return ({APPROVALS: [*(record.get(APPROVALS) or []), entry],
                 PENDING_APPROVALS: [*(record.get(PENDING_APPROVALS) or []), kind]}, [],
                {APPROVALS: {approval_id: {"type": kind, "status": {"from": None, "to": REQUESTED}}}})
    updated = service.write_change(db, config, record_type, record_id, expected_revision, action, actor,
                                   "approval_request", build)
    return updated, _entry(updated, approval_id)


def decide_approval(db: Database, config: Configuration, record_type: RecordType, record_id: str, kind: str,
                    approved: bool, comments: str | None, expected_revision: int | None, actor: Actor,
                    label: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Approve or reject the approval of type `kind` waiting on the case; return (the case, the log entry)."""
    action = f"approve_{kind}"
    actor.require(record_type, action)
    decided: dict[str, str] = {}

    def build(record: dict[str, Any]):
        service.check_enabled(record, record_type)
        _configured(config, record, kind)
        entries = [dict(entry) for entry in record.get(APPROVALS) or []]
        waiting = next((e for e in reversed(entries) if e.get("type") == kind and e.get("status") == REQUESTED), None)
        if waiting is None:
            raise Conflict(Error.APPROVAL_NOT_REQUESTED, type=label or kind)
        if waiting.get("requested_by") == actor.user_name and not (
                actor.principal is None or actor.principal.can(record_type.name, "self_approve")):
            raise Forbidden(Error.SELF_APPROVAL)
        status = APPROVED if approved else REJECTED
        waiting.update({"status": status, "decided_at": actor.now, "decided_by": actor.user_name,
                        "decision_comments": comments})
        decided["id"] = waiting["id"]
        pending = [name for name in record.get(PENDING_APPROVALS) or [] if name != kind]
        return ({APPROVALS: entries, PENDING_APPROVALS: pending}, [],
                {APPROVALS: {waiting["id"]: {"type": kind, "status": {"from": REQUESTED, "to": status}}}})
    updated = service.write_change(db, config, record_type, record_id, expected_revision, action, actor,
                                   "approval_decision", build)
    return updated, _entry(updated, decided["id"])


def _configured(config: Configuration, record: dict[str, Any], kind: str) -> None:
    workflow = _workflow(config, record)
    if workflow is None or kind not in workflow.approvals:
        raise NotFound(kind=_l("Approval type"), id=kind)


def _entry(record: dict[str, Any], approval_id: str) -> dict[str, Any]:
    return next(entry for entry in record.get(APPROVALS) or [] if entry.get("id") == approval_id)
