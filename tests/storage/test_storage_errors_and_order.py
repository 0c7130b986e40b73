"""The audit log keeps the order of writes within one millisecond; storage errors that mean "try again" are 503."""
from datetime import datetime, timezone

from server.auth.audit import list_events, log_event


def test_entries_of_one_millisecond_keep_their_order(backend_app):
    at = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    with backend_app.app_context():
        database = backend_app.extensions["abri_db"]
        for number in range(20):
            log_event(database, action=f"step-{number}", user_name="admin", at=at, address=None)
        items, total = list_events(database, {"user_name": "admin", "from": at}, 1, 50)
    assert total == 20
    assert [item["action"] for item in items] == [f"step-{number}" for number in reversed(range(20))]


def test_a_write_not_confirmed_durable_in_time_is_a_503_not_a_500():
    import pymongo.errors
    import pytest

    from server.storage.errors import StorageUnavailable, translated_errors

    with pytest.raises(StorageUnavailable):
        with translated_errors():
            raise pymongo.errors.WTimeoutError("waiting for replication timed out", 64, {"code": 64})
