"""The live alert stream sends every alert once, even one stored after a later-numbered one (several processes)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from server.services import alerts
from server.services.context import Context
from server.storage import connect
from server.storage.client import disconnect


def _alert(seq: int, record: str) -> dict:
    return {"_id": f"alert-{seq}", "user": "police", "kind": "referral_received", "record_type": "case",
            "record_id": record, "record_display_id": record, "by": "awa", "at": datetime.now(timezone.utc),
            "seq": seq, "count": 1, "read_at": None}


def test_an_alert_numbered_earlier_but_stored_later_still_reaches_an_open_stream():
    db = connect("mongomock://", "alert_stream")
    try:
        ctx = Context(db=db, settings={"ALERT_POLL_SECONDS": 0.01, "ALERT_STREAM_SECONDS": 5}, user_name="police")
        events = alerts._events(ctx, after=0)
        next(events)  # the stream's preamble: it is open
        db.alerts.insert_one(_alert(105, "c-105"))   # number 104 was taken first; its insert is still under way
        assert json.loads(next(events).split("data: ", 1)[1])["seq"] == 105
        db.alerts.insert_one(_alert(104, "c-104"))   # ... and lands now
        assert json.loads(next(events).split("data: ", 1)[1])["seq"] == 104
        db.alerts.insert_one(_alert(106, "c-106"))
        following = next(events)
        assert json.loads(following.split("data: ", 1)[1])["seq"] == 106   # 104 and 105 were not sent again
        events.close()
    finally:
        disconnect(db)
