"""Fixtures: an app per test on mongomock by default, or on SecantusDB over the wire.

Suites that must not rely on mongomock's leniency use the `backend_app` fixture, which runs each
test twice: on mongomock and on a real SecantusDB server started once per test session.

Every app a fixture makes is closed when its test ends (`app_on`), and the session fails if a test
left a database client open: an open client keeps its monitor threads until the interpreter exits,
where each one costs a wait. It also fails if a text a test wrote into a record appears in any log line of
the run (tests/log_scan.py).
"""
from __future__ import annotations

import contextlib
import gc
import os
import shutil
import tempfile
import threading
import uuid

import pymongo
import pytest

from server.app import create_app
from server.embedded import wake_while
from tests.builders import minimal_configuration, seed
from tests.openapi_check import check_api_answers

BACKENDS = ["mongomock", "secantus"]
check_api_answers()  # every /api/v1 answer a test gets must fit the OpenAPI document
pytest_plugins = ["tests.log_scan"]  # the session fails if a value written into a record reaches a log line


@pytest.fixture(scope="session")
def secantus_server():
    """Start one SecantusDB server (in-process, as its README shows) for the session.

    Its data are kept in memory (/dev/shm) when there is room: Abri's writes ask for j: true, and a
    disk flush per write would make the wire suites half again as slow for nothing a test checks.
    """
    secantus = pytest.importorskip("secantus")
    in_memory = os.path.isdir("/dev/shm") and shutil.disk_usage("/dev/shm").free > 2 * 1024 ** 3
    with tempfile.TemporaryDirectory(prefix="abri-tests-", dir="/dev/shm" if in_memory else None) as folder:
        server = secantus.SecantusDBServer(storage_path=folder)
        server.start()
        yield server
        stop_secantus(server)


def stop_secantus(server) -> None:
    """Stop a SecantusDB server on this thread (the one that opened its storage, whose session stop() uses), waking
    its accept loop from another, else stop() waits 2 s for a client to arrive."""
    stopped = threading.Event()
    waker = threading.Thread(target=wake_while, args=(lambda: not stopped.is_set(), server.address[1], 30))
    waker.start()
    try:
        server.stop()
    finally:
        stopped.set()
        waker.join()


@pytest.fixture(scope="session")
def secantus_uri(secantus_server):
    return secantus_server.uri


# Seals export passwords in tests, so no test writes a key file into the project's instance folder.
TEST_EXPORT_KEY = "dGVzdHMgb25seTogYWJyaSBleHBvcnQga2V5IDMyIGI="


# A live alert stream a test opens ends at once (a test that watches one sets its own length).
TEST_STREAMS = {"ALERT_STREAM_SECONDS": 0.2, "ALERT_POLL_SECONDS": 0.05}


def make_app(uri: str, **overrides):
    """A new app on its own database at `uri`; the caller closes it (`app_on` does)."""
    return create_app({"TESTING": True, "MONGO_URI": uri, "MONGO_DB_NAME": f"abri_test_{uuid.uuid4().hex[:12]}",
                       "EXPORT_PASSWORD_KEY": TEST_EXPORT_KEY, **TEST_STREAMS, **overrides})


@contextlib.contextmanager
def app_on(uri: str, **overrides):
    """An app on `uri` for the length of a `with` block; then its database is dropped and its client closed."""
    application = make_app(uri, **overrides)
    try:
        yield application
    finally:
        try:
            if not uri.startswith("mongomock://"):
                database = application.extensions["abri_db"]
                database.client.drop_database(database.name)
        finally:
            application.close()


def backend_uri(request) -> str:
    """The URI of the backend a fixture parametrized with BACKENDS runs on."""
    return "mongomock://" if request.param == "mongomock" else request.getfixturevalue("secantus_uri")


def refusal(response) -> dict:
    """The error body of an answer without its request id (every answer has its own): what two refusals share."""
    body = response.get_json()
    assert body is not None and "error" in body, (response.status_code, response.data[:300])
    return {"error": {key: value for key, value in body["error"].items() if key != "request_id"}}


def authenticated(application, token: str):
    """A test client that sends `token` as its bearer token."""
    client = application.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture
def app():
    """An app on mongomock with the minimal configuration published as version 1 and an `admin` user."""
    with app_on("mongomock://") as application:
        application.config["ADMIN_TOKEN"] = seed(application, minimal_configuration())
        yield application


@pytest.fixture(params=BACKENDS)
def backend_app(request):
    """The same app on each storage backend: mongomock and a real wire server."""
    with app_on(backend_uri(request)) as application:
        application.config["ADMIN_TOKEN"] = seed(application, minimal_configuration())
        yield application


@pytest.fixture
def client(app):
    """A client logged in as the system administrator."""
    return authenticated(app, app.config["ADMIN_TOKEN"])


@pytest.fixture
def backend_client(backend_app):
    return authenticated(backend_app, backend_app.config["ADMIN_TOKEN"])


def open_clients() -> list[str]:
    """Where each pymongo client still open was made (the test frames of the stack pymongo keeps)."""
    made = []
    for thing in gc.get_objects():
        if issubclass(type(thing), pymongo.MongoClient) and getattr(thing, "_opened", False) \
                and not getattr(thing, "_closed", True):
            stack = getattr(getattr(thing, "_topology_settings", None), "_stack", "")
            made.append(" < ".join(line.strip() for line in stack.splitlines() if "/tests/" in line) or "?")
    return made


@pytest.fixture(scope="session", autouse=True)
def no_client_left_open(request):
    """Fail the session when a test left a database client open (unless tests failed: they skip their closes).

    A pymongo listener would name the test at once, but makes every close() wait 0.3 s.
    """
    yield
    left = open_clients() if not request.session.testsfailed else []
    if left:
        pytest.fail(f"{len(left)} database clients left open, made at: " + "; ".join(sorted(set(left))),
                    pytrace=False)
