"""Referrals and transfers of cases: to whom a case may go, with which consent, and what each answer does.

    referral   in_progress -> accepted -> done        the recipient reads the case (as their role reads it)
                          \\-> rejected   (any open) -> revoked      while it is in progress or accepted
    transfer   in_progress -> accepted                 the recipient becomes the owner
                          \\-> rejected | revoked      (they read it while it waits for their answer)

A transition is kept on the case (`transitions`, oldest first); the record's access keys follow from it
(server/auth/permissions.record_access_keys), so a recipient gains the case with the write that sends it and loses
it with the one that ends it, and their devices get it, or its tombstone, in their next pull. Every check that needs
no lookup comes first: the permission, then the case in the actor's own scope, then the recipient and the consent.
"""
from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from server.auth import accounts
from server.auth.permissions import Principal, principal_from_role
from server.auth.rights import is_active
from server.errors import Conflict, Detail, Error, Forbidden, NotFound, Unprocessable
from server.messages import _l
from server.metadata.configuration import Configuration
from server.metadata.workflow import CLOSED, TRANSITIONS, Workflow, service_rows, workflow_of
from server.records import service
from server.records.actor import Actor
from server.records.types import RecordType
from server.rules import Rule
from server.storage import Database

REFERRAL, TRANSFER = "referral", "transfer"
IN_PROGRESS, ACCEPTED, REJECTED, DONE, REVOKED = "in_progress", "accepted", "rejected", "done", "revoked"
RECEIVES = {REFERRAL: "receive_referral", TRANSFER: "receive_transfer"}
SENDS = {REFERRAL: "refer", TRANSFER: "transfer"}
KINDS = {REFERRAL: _l("Referral"), TRANSFER: _l("Transfer")}


def recipient_of(db: Database, config: Configuration, record_type: RecordType, module_id: str | None,
                 user_name: str, action: str) -> tuple[dict[str, Any], Principal]:
    """The user who is to receive a record by `action` (refer, transfer, assign), and what their role grants.

    Enabled, in an enabled agency, with a role that reads the record type (and receives it by referral or transfer)
    in the record's module. Refusals name the field (/to_user) and the rule, never more than the recipient list
    (GET /recipients) already shows the caller.
    """
    field = "/owned_by" if action == "assign" else "/to_user"
    try:
        user = accounts.get(db, "users", user_name)
    except NotFound:
        raise Unprocessable(Error.RECIPIENT_UNKNOWN, user=user_name,
                            details=[Detail.of(field, Rule.USER_UNKNOWN)]) from None
    if not is_active(db, user):
        raise Unprocessable(Error.RECIPIENT_DISABLED, user=user["_id"], details=[Detail.of(field, Rule.OWNER_DISABLED)])
    principal = principal_from_role(user, config.roles.get(user.get("role") or ""))
    needed = RECEIVES.get({"refer": REFERRAL, "transfer": TRANSFER}.get(action, ""), "read")
    if not (principal.can(record_type.name, "read") and principal.can(record_type.name, needed)) or (
            principal.module_ids and module_id not in principal.module_ids):
        permission = f"{record_type.name}: {needed}"
        raise Unprocessable(Error.RECIPIENT_NOT_ENTITLED, user=user["_id"], permission=permission,
                            details=[Detail.of(field, Rule.RECIPIENT_NOT_ENTITLED, permission=permission)])
    return user, principal


def missing_consent(workflow: Workflow | None, record: dict[str, Any], to_agency: str | None) -> list[str]:
    """The consent fields a referral or transfer to `to_agency` needs and the case does not hold.

    Consent for services is always needed; consent for sharing with other organisations when the recipient's
    agency is not the case's.
    """
    if workflow is None:
        return []
    needed = [workflow.consent.get("services")]
    if to_agency != record.get("owned_by_agency"):
        needed.append(workflow.consent.get("sharing"))
    data = record.get("data") or {}
    return [rule.field for rule in needed if rule is not None and data.get(rule.field) not in rule.values]


def send(db: Database, config: Configuration, record_type: RecordType, record_id: str, kind: str,
         body: dict[str, Any], expected_revision: int | None, actor: Actor) -> tuple[dict[str, Any], dict[str, Any]]:
    """Refer or transfer a case to a user; return (the case, the transition).

    body: to_user, notes, service_id (a referral of one service row), consent_override_reason (an override of a
    missing consent: needs consent_override, and is recorded on the transition).
    """
    action = SENDS[kind]
    actor.require(record_type, action)
    override = (body.get("consent_override_reason") or "").strip()
    if override:
        actor.require(record_type, "consent_override")
    transition_id = str(uuid.uuid4())

    @cache
    def recipient(module_id: str | None) -> tuple[dict[str, Any], Principal]:  # looked up once the case is in scope
        return recipient_of(db, config, record_type, module_id, body["to_user"], action)

    def build(record: dict[str, Any]):
        user, principal = recipient(record.get("module_id"))
        workflow = workflow_of(config, record.get("module_id"))
        _refuse_closed(record, record_type)
        if user["_id"] == actor.user_name:
            raise _recipient_refused(Error.RECIPIENT_SELF, Rule.RECIPIENT_SELF)
        if kind == TRANSFER and user["_id"] == record.get("owned_by"):
            raise _recipient_refused(Error.RECIPIENT_OWNER, Rule.RECIPIENT_OWNER, user=user["_id"])
        service_id = body.get("service_id")
        if service_id is not None and kind == REFERRAL:
            _require_service(workflow, record, service_id)
        _refuse_duplicate(record, kind, user["_id"], service_id)
        missing = missing_consent(workflow, record, user.get("agency"))
        if missing and not override:
            raise Unprocessable(Error.CONSENT_MISSING, fields=", ".join(missing),
                                details=[Detail.of(f"/{name}", Rule.CONSENT_REQUIRED, allowed=_allowed(workflow, name))
                                         for name in missing])
        transition = {"id": transition_id, "type": kind, "status": IN_PROGRESS, "created_at": actor.now,
                      "created_by": actor.user_name, "from_agency": actor.principal and actor.principal.agency,
                      "to_user": user["_id"], "to_agency": user.get("agency"), "to_role": principal.role_id,
                      "notes": body.get("notes"), "service_id": service_id if kind == REFERRAL else None,
                      "consent_overridden": bool(missing), "override_reason": override if missing else None}
        transitions = [*(record.get(TRANSITIONS) or []), transition]
        return ({TRANSITIONS: transitions}, [],
                {TRANSITIONS: {transition_id: {"type": kind, "status": {"from": None, "to": IN_PROGRESS}}}})
    updated = service.write_change(db, config, record_type, record_id, expected_revision, action, actor, action,
                                   build)
    return updated, transition_of(updated, transition_id)


def _allowed(workflow: Workflow | None, name: str) -> str:
    rule = next((rule for rule in (workflow.consent.values() if workflow else ()) if rule.field == name), None)
    return ", ".join(map(str, rule.values)) if rule else ""


def _recipient_refused(error: Error, rule: Rule, **params: Any) -> Unprocessable:
    return Unprocessable(error, details=[Detail.of("/to_user", rule)], **params)


def _refuse_closed(record: dict[str, Any], record_type: RecordType) -> None:
    service.check_enabled(record, record_type)
    if record.get("status") == CLOSED:
        raise Conflict(Error.CASE_CLOSED, id=record["_id"])


def _require_service(workflow: Workflow | None, record: dict[str, Any], service_id: str) -> None:
    rows = service_rows(workflow, record.get("data") or {}) if workflow else []
    if not any(row.get("unique_id") == service_id for row in rows):
        raise Unprocessable(Error.SERVICE_UNKNOWN, id=service_id, details=[Detail.of("/service_id",
                                                                                     Rule.SERVICE_UNKNOWN)])


def _refuse_duplicate(record: dict[str, Any], kind: str, to_user: str, service_id: str | None) -> None:
    for transition in record.get(TRANSITIONS) or []:
        if transition.get("type") != kind or transition.get("status") not in (IN_PROGRESS, ACCEPTED):
            continue
        if kind == TRANSFER and transition["status"] == IN_PROGRESS:
            raise Conflict(Error.TRANSFER_PENDING)
        if kind == REFERRAL and transition.get("to_user") == to_user and transition.get("service_id") == service_id:
            raise Conflict(Error.REFERRAL_EXISTS, user=to_user)


def transition_of(record: dict[str, Any], transition_id: str) -> dict[str, Any]:
    found = next((t for t in record.get(TRANSITIONS) or [] if isinstance(t, dict) and t.get("id") == transition_id),
                 None)
    if found is None:
        raise NotFound(kind=_l("Referral or transfer"), id=transition_id)
    return found


# The answers: who gives each, from which states, to which state.
ANSWERS = {
    "accept": ((IN_PROGRESS,), ACCEPTED, "recipient"),
    "reject": ((IN_PROGRESS,), REJECTED, "recipient"),
    "done": ((ACCEPTED,), DONE, "recipient"),
    "revoke": ((IN_PROGRESS, ACCEPTED), REVOKED, "sender"),
}


def answer(db: Database, config: Configuration, record_type: RecordType, record_id: str, kind: str,
           transition_id: str, answer_name: str, body: dict[str, Any], expected_revision: int | None, actor: Actor
           ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Accept, reject, mark done (a referral) or revoke a transition; return (the case, the transition).

    The recipient answers (their role receives such transitions; the case reaches them through it); the sender's
    side (who may refer or transfer, with the case in their own scope) revokes. An accepted transfer makes the
    recipient the owner: their agency and groups follow, and the previous owner is no longer associated.
    """
    states, to_state, who = ANSWERS[answer_name]
    action = RECEIVES[kind] if who == "recipient" else SENDS[kind]
    actor.require(record_type, action)

    def build(record: dict[str, Any]):
        service.check_enabled(record, record_type)
        transitions = [dict(t) for t in record.get(TRANSITIONS) or []]
        transition = next((t for t in transitions if t.get("id") == transition_id and t.get("type") == kind), None)
        if transition is None:
            raise NotFound(kind=KINDS[kind], id=transition_id)
        if who == "recipient" and transition.get("to_user") != actor.user_name:
            raise Forbidden(Error.NOT_RECIPIENT, kind=KINDS[kind], id=transition_id)
        if transition["status"] not in states:
            if answer_name == "done" and transition["status"] == IN_PROGRESS:
                raise Conflict(Error.REFERRAL_NOT_ACCEPTED, id=transition_id)
            error = Error.TRANSITION_ANSWERED if answer_name in ("accept", "reject") else Error.TRANSITION_CLOSED
            raise Conflict(error, kind=KINDS[kind], id=transition_id)
        before = transition["status"]
        transition["status"] = to_state
        transition[f"{to_state}_at"] = actor.now
        if answer_name == "reject":
            transition["rejected_reason"] = body["reason"]
        elif answer_name == "done":
            transition["done_note"] = body.get("note")
        elif answer_name == "revoke":
            transition.update({"revoked_by": actor.user_name, "revoked_reason": body.get("reason")})
        changes: dict[str, Any] = {TRANSITIONS: transitions}
        diff: dict[str, Any] = {TRANSITIONS: {transition_id: {"type": kind, "status": {"from": before,
                                                                                        "to": to_state}}}}
        if kind == TRANSFER and to_state == ACCEPTED:
            changes.update(_new_owner(record, actor))
            diff["owned_by"] = {"from": record.get("owned_by"), "to": actor.user_name}
        return changes, [], diff
    history = f"{kind}_{answer_name}"
    updated = service.write_change(db, config, record_type, record_id, expected_revision, action, actor, history,
                                   build)
    return updated, transition_of(updated, transition_id)


def _new_owner(record: dict[str, Any], actor: Actor) -> dict[str, Any]:
    """The envelope of a case whose transfer the actor accepted: they own it, with their agency and groups."""
    principal = actor.principal
    associated = [name for name in record.get("associated_user_names") or [] if name != record.get("owned_by")]
    return {"owned_by": actor.user_name, "owned_by_agency": principal.agency if principal else None,
            "owned_by_groups": list(principal.groups) if principal else [],
            "associated_user_names": list(dict.fromkeys([*associated, actor.user_name]))}
