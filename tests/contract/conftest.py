"""A bare database on each backend (mongomock, SecantusDB over the wire): the storage contract runs on both."""
from __future__ import annotations

import uuid

import pytest

from server.storage import connect
from tests.conftest import BACKENDS, backend_uri


@pytest.fixture(params=BACKENDS)
def database(request):
    """An empty database of its own on one backend; dropped and its client closed after the test."""
    uri = backend_uri(request)
    db = connect(uri, f"abri_contract_{uuid.uuid4().hex[:12]}")
    try:
        yield db
    finally:
        try:
            if not uri.startswith("mongomock://"):
                db.client.drop_database(db.name)
        finally:
            db.client.close()
