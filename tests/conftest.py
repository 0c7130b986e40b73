"""Fixtures: an app per test on mongomock by default, or on SecantusDB over the wire.

Suites that must not rely on mongomock's leniency use the `backend_app` fixture, which runs each
test twice: on mongomock and on a real SecantusDB server started once per test session.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid

import pytest

from server.app import create_app
from tests.builders import minimal_configuration, seed


@pytest.fixture(scope="session")
def secantus_uri():
    """Start one SecantusDB server (in-process, as its README shows) for the session.

    Its data are kept in memory (/dev/shm) when there is room: Abri's writes ask for j: true, and a
    disk flush per write would make the wire suites half again as slow for nothing a test checks.
    """
    secantus = pytest.importorskip("secantus")
    in_memory = os.path.isdir("/dev/shm") and shutil.disk_usage("/dev/shm").free > 2 * 1024 ** 3
    with tempfile.TemporaryDirectory(prefix="abri-tests-", dir="/dev/shm" if in_memory else None) as folder:
        server = secantus.SecantusDBServer(storage_path=folder)
        server.start()
        yield server.uri
        server.stop()


# Seals export passwords in tests, so no test writes a key file into the project's instance folder.
TEST_EXPORT_KEY = "dGVzdHMgb25seTogYWJyaSBleHBvcnQga2V5IDMyIGI="


def make_app(uri: str, **overrides):
    return create_app({"TESTING": True, "MONGO_URI": uri, "MONGO_DB_NAME": f"abri_test_{uuid.uuid4().hex[:12]}",
                       "EXPORT_PASSWORD_KEY": TEST_EXPORT_KEY, **overrides})


def authenticated(application, token: str):
    """A test client that sends `token` as its bearer token."""
    client = application.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def app():
    """An app on mongomock with the minimal configuration published as version 1 and an `admin` user."""
    application = make_app("mongomock://")
    application.config["ADMIN_TOKEN"] = seed(application, minimal_configuration())
    return application


@pytest.fixture(params=["mongomock", "secantus"])
def backend_app(request):
    """The same app on each storage backend: mongomock and a real wire server."""
    if request.param == "mongomock":
        application = make_app("mongomock://")
    else:
        application = make_app(request.getfixturevalue("secantus_uri"))
    application.config["ADMIN_TOKEN"] = seed(application, minimal_configuration())
    yield application
    if request.param == "secantus":
        database = application.extensions["abri_db"]
        database.client.drop_database(database.name)
        database.client.close()


@pytest.fixture
def client(app):
    """A client logged in as the system administrator."""
    return authenticated(app, app.config["ADMIN_TOKEN"])


@pytest.fixture
def backend_client(backend_app):
    return authenticated(backend_app, backend_app.config["ADMIN_TOKEN"])
