"""What the sync suites share: pushes, the changes a device sends, and a pull to the end (the settled clock is a
fixture of tests/api/conftest.py)."""
from __future__ import annotations

import uuid


def push_raw(client, items, **kwargs):
    return client.post("/api/v1/sync/records", json={"data": list(items)}, **kwargs)


def push(client, *items, **kwargs):
    response = push_raw(client, items, **kwargs)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def create(record_id=None, record_type="case", **data):
    return {"op": "create", "record_type": record_type, "id": record_id or str(uuid.uuid4()), "data": data}


def update(record_id, base, change_id=None, record_type="case", **data):
    return {"op": "update", "record_type": record_type, "id": record_id, "base_revision": base,
            "change_id": change_id or str(uuid.uuid4()), "data": data}


def pull_all(client, token=None, per_page=None):
    """Pull until nothing more waits: every item, the last token, and whether the first page said reset."""
    items, reset = [], None
    while True:
        query = {"token": token} if token else {}
        if per_page:
            query["per_page"] = per_page
        response = client.get("/api/v1/sync/records", query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["data"]
        reset = body["meta"]["reset"] if reset is None else reset
        token = body["meta"]["next_token"]
        if not body["meta"]["more"]:
            return items, token, reset
