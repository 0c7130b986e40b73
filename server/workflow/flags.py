"""Flags on records: raised with a reason (and the date it is about), removed with a reason, both kept.

`flagged` on the record says whether a flag is raised, so the list of flagged records a user sees is one indexed
query of their scope.
"""
from __future__ import annotations

import uuid
from typing import Any

from server.errors import Conflict, Error, NotFound
from server.messages import _l
from server.metadata.configuration import Configuration
from server.metadata.workflow import FLAGS
from server.records import service
from server.records.actor import Actor
from server.records.types import RecordType
from server.storage import Database

FLAGGED = "flagged"


def raise_flag(db: Database, config: Configuration, record_type: RecordType, record_id: str, reason: str,
               date: str | None, expected_revision: int | None, actor: Actor) -> tuple[dict[str, Any], dict]:
    """Flag a record; return (the record, the flag)."""
    actor.require(record_type, "flag")
    flag_id = str(uuid.uuid4())

    def build(record: dict[str, Any]):
        service.check_enabled(record, record_type)
        flag = {"id": flag_id, "reason": reason, "date": date, "flagged_at": actor.now, "flagged_by": actor.user_name,
                "removed": False}
        return ({FLAGS: [*(record.get(FLAGS) or []), flag], FLAGGED: True}, [],
                {FLAGS: {flag_id: {"removed": {"from": None, "to": False}}}})
    updated = service.write_change(db, config, record_type, record_id, expected_revision, "flag", actor, "flag", build)
    return updated, _flag(updated, flag_id)


def remove_flag(db: Database, config: Configuration, record_type: RecordType, record_id: str, flag_id: str,
                reason: str, expected_revision: int | None, actor: Actor) -> tuple[dict[str, Any], dict]:
    """Remove a flag, with the reason; return (the record, the flag)."""
    actor.require(record_type, "flag")

    def build(record: dict[str, Any]):
        service.check_enabled(record, record_type)
        flags = [dict(flag) for flag in record.get(FLAGS) or []]
        flag = next((flag for flag in flags if flag.get("id") == flag_id), None)
        if flag is None:
            raise NotFound(kind=_l("Flag"), id=flag_id)
        if flag.get("removed"):
            raise Conflict(Error.FLAG_REMOVED)
        flag.update({"removed": True, "removed_at": actor.now, "removed_by": actor.user_name,
                     "removed_reason": reason})
        return ({FLAGS: flags, FLAGGED: any(not f.get("removed") for f in flags)}, [],
                {FLAGS: {flag_id: {"removed": {"from": False, "to": True}}}})
    updated = service.write_change(db, config, record_type, record_id, expected_revision, "flag", actor, "unflag",
                                   build)
    return updated, _flag(updated, flag_id)


def _flag(record: dict[str, Any], flag_id: str) -> dict[str, Any]:
    return next(flag for flag in record.get(FLAGS) or [] if flag.get("id") == flag_id)


def raised_flags(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The flags of a record that are raised, oldest first."""
    return [flag for flag in record.get(FLAGS) or [] if isinstance(flag, dict) and not flag.get("removed")]
