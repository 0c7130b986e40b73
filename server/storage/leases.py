"""Leases: a document that one holder at a time holds until a moment it renews, and that passes on once it ran out.

The configuration's change lock (metadata_lock) and the retention run's lock (retention_runs) are leases: a holder
killed midway blocks the others until its lease runs out, never for good. (The migration lease lives in the schema
document itself, so that a step is recorded only by its holder: see server/storage/schema.py; its holders are
named by holder_name too.)
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime
from typing import Any

from pymongo.collection import Collection

from server.storage.errors import DuplicateKey, translated_errors

_HOST = socket.gethostname()


def holder_name() -> str:
    """A name for a holder: this machine, this process, and a part of its own (a process may hold several leases)."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex}"


def dead_here(holder: str | None) -> bool:
    """Whether `holder` (a holder_name) is a process of this machine that no longer runs: its lease may be taken
    over at once. A process of another machine, a live one, or one of another user's is never taken for dead."""
    host, _, rest = (holder or "").partition(":")
    pid = rest.partition(":")[0]
    if host != _HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # it runs, under another user
        pass
    return False


def claim(collection: Collection, lease: str, holder: str, now: datetime, until: datetime,
          replacing: str | None = None) -> bool:
    """Take (or renew) the lease `lease` for `holder` until `until` if it is free, ran out, or `replacing` holds it
    (a holder known to be dead); tell whether `holder` holds it now."""
    free: list[dict[str, Any]] = [{"until": {"$lt": now}}, {"holder": holder}]
    if replacing is not None:
        free.append({"holder": replacing})
    try:
        with translated_errors():
            collection.update_one({"_id": lease, "$or": free}, {"$set": {"holder": holder, "until": until}},
                                  upsert=True)
    except DuplicateKey:  # held by another: no free lease matched and the upsert met the held one
        return False
    return holder_of(collection, lease) == holder  # read back: an upsert's answer does not say who won on every server


def holder_of(collection: Collection, lease: str) -> str | None:
    """Who holds the lease (it may have run out), or None."""
    with translated_errors():
        found = collection.find_one({"_id": lease}, {"holder": 1})
    return found.get("holder") if found else None


def release(collection: Collection, lease: str, holder: str) -> None:
    """Free the lease if `holder` still holds it."""
    with translated_errors():
        collection.delete_one({"_id": lease, "holder": holder})
