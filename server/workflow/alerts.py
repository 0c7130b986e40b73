"""Who is alerted of what: the people a case work action or a change concerns, other than the one who acted.

An alert names the record and what happened (its kind, who, when, and the id of the referral, approval or flag),
never a value of the record: alerts reach people the record may no longer reach (a revoked referral) and go out by
e-mail, which must carry nothing about a child.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.messages import _l, render
from server.metadata.workflow import TRANSITIONS
from server.records.types import RecordType

# kind -> its text (%(record)s: the record's display id, %(by)s: who acted).
KINDS = {
    "referral_received": _l("Case %(record)s was referred to you by %(by)s."),
    "transfer_received": _l("%(by)s wants to transfer case %(record)s to you."),
    "referral_accepted": _l("%(by)s accepted your referral of case %(record)s."),
    "referral_rejected": _l("%(by)s declined your referral of case %(record)s."),
    "referral_done": _l("%(by)s completed your referral of case %(record)s."),
    "referral_revoked": _l("%(by)s withdrew the referral of case %(record)s."),
    "transfer_accepted": _l("%(by)s accepted the transfer of case %(record)s."),
    "transfer_rejected": _l("%(by)s declined the transfer of case %(record)s."),
    "transfer_revoked": _l("%(by)s withdrew the transfer of case %(record)s."),
    "approval_approved": _l("%(by)s approved a request on case %(record)s."),
    "approval_rejected": _l("%(by)s rejected a request on case %(record)s."),
    "flag_raised": _l("%(by)s flagged record %(record)s."),
    "assigned": _l("%(by)s assigned record %(record)s to you."),
    "record_changed": _l("%(by)s changed your record %(record)s."),
}
COALESCED = frozenset({"record_changed"})  # bumped while unread, not repeated


@dataclass(frozen=True)
class Alert:
    user: str
    kind: str
    detail: dict[str, Any]

    def document(self, record_type: RecordType, record: dict[str, Any], by: str, at: datetime) -> dict[str, Any]:
        return {"_id": str(uuid.uuid4()), "user": self.user, "kind": self.kind, "record_type": record_type.name,
                "record_id": record["_id"], "record_display_id": record.get(record_type.display_id)
                or record.get("short_id"), "by": by, "at": at, "detail": self.detail}


def _transition(record: dict[str, Any], transition_id: str) -> dict[str, Any]:
    return next((t for t in record.get(TRANSITIONS) or [] if t.get("id") == transition_id), {})


def for_sent(record: dict[str, Any], made: dict[str, Any]) -> list[Alert]:
    """A referral or transfer made: its recipient."""
    return [Alert(made["to_user"], f"{made['type']}_received", {"transition_id": made["id"]})]


def for_answer(record: dict[str, Any], made: dict[str, Any], answer: str) -> list[Alert]:
    """A referral or transfer answered: its sender (accepted, rejected, done), or its recipient (revoked)."""
    kind = f"{made['type']}_{'revoked' if answer == 'revoke' else made['status']}"
    if kind not in KINDS:
        return []
    to = made.get("to_user") if answer == "revoke" else made.get("created_by")
    return [Alert(to, kind, {"transition_id": made["id"]})] if to else []


def for_decision(record: dict[str, Any], made: dict[str, Any]) -> list[Alert]:
    """An approval decided: who asked for it, and the case's owner."""
    kind = f"approval_{made['status']}"
    detail = {"approval_id": made["id"], "approval_type": made["type"]}
    return [Alert(user, kind, detail) for user in dict.fromkeys((made.get("requested_by"), record.get("owned_by")))
            if user]


def for_flag(record: dict[str, Any], made: dict[str, Any]) -> list[Alert]:
    """A flag raised: the record's owner."""
    owner = record.get("owned_by")
    return [Alert(owner, "flag_raised", {"flag_id": made["id"]})] if owner else []


def for_assignment(record: dict[str, Any]) -> list[Alert]:
    owner = record.get("owned_by")
    return [Alert(owner, "assigned", {})] if owner else []


def for_change(record: dict[str, Any]) -> list[Alert]:
    """A change to a record's data: its owner."""
    owner = record.get("owned_by")
    return [Alert(owner, "record_changed", {})] if owner else []


def text(kind: str, record: str, by: str, locale: str | None) -> str:
    """An alert's sentence in `locale`."""
    return render(KINDS[kind], {"record": record, "by": by}, locale)
