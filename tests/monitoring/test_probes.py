"""/healthz, /readyz and /metrics as an operator's probes and Prometheus see them."""
from __future__ import annotations

import time
import uuid

import pymongo
import pytest

from server.config import load_config
from server.errors import AbriError
from server.services.settings import check_settings
from server.services.workers import start_workers
from tests.builders import minimal_configuration, seed
from tests.conftest import app_on, authenticated, make_app, stop_secantus
from tests.monitoring.scrape import TOKEN


def test_healthz_answers_without_a_user_and_without_the_database(app):
    app.close()  # no database client any more: /healthz does not need one
    response = app.test_client().get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_with_a_database_a_published_configuration_and_no_workers_to_require(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "failed": [],
                                   "checks": {"database": "ok", "configuration": "ok", "workers": "ok"}}


def test_readyz_names_a_configuration_not_yet_published():
    with app_on("mongomock://") as application:
        response = application.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["failed"] == ["configuration"]


def test_readyz_is_503_naming_the_database_once_the_app_has_no_client(app):
    app.close()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not_ready", "failed": ["database", "configuration"],
                                   "checks": {"database": "failed", "configuration": "not_checked", "workers": "ok"}}


def test_readyz_is_503_at_once_when_the_database_client_is_closed(secantus_uri):
    application = make_app(secantus_uri)
    name = application.extensions["abri_db"].name
    try:
        seed(application, minimal_configuration())
        assert application.test_client().get("/readyz").status_code == 200
        application.extensions["abri_db"].client.close()
        started = time.monotonic()
        response = application.test_client().get("/readyz")
        assert response.status_code == 503 and response.get_json()["failed"][0] == "database"
        assert time.monotonic() - started < 2
    finally:
        application.close()
        with pymongo.MongoClient(secantus_uri) as client:
            client.drop_database(name)


def test_readyz_is_503_within_its_time_limit_when_the_embedded_database_stops(tmp_path):
    secantus = pytest.importorskip("secantus")
    server = secantus.SecantusDBServer(storage_path=str(tmp_path))
    server.start()
    application = make_app(server.uri + ("&" if "?" in server.uri else "?") + "serverSelectionTimeoutMS=1000")
    try:
        seed(application, minimal_configuration())
        assert application.test_client().get("/readyz").status_code == 200
        stop_secantus(server)
        started = time.monotonic()
        response = application.test_client().get("/readyz")
        assert (response.status_code, response.get_json()["checks"]["database"]) == (503, "failed")
        assert time.monotonic() - started < 3  # the probe's 1 s limit, whatever the client's own timeouts
    finally:
        application.close()


def test_readyz_requires_the_export_workers_it_started_to_live(app):
    workers = start_workers(app, 1)
    try:
        assert app.test_client().get("/readyz").status_code == 200
    finally:
        workers.stop()
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.get_json()["failed"] == ["workers"]


def test_a_process_started_without_export_threads_has_no_workers_to_require(app):
    start_workers(app, 0).stop()
    assert app.test_client().get("/readyz").status_code == 200


def test_metrics_answer_404_like_an_unknown_route_while_no_token_is_set(app):
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "ROUTE_NOT_FOUND"


@pytest.mark.parametrize("header", [None, "Bearer wrong-token-of-enough-length", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_metrics_refuse_a_missing_or_wrong_token_with_401(header):
    with app_on("mongomock://", METRICS_TOKEN=TOKEN) as application:
        response = application.test_client().get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "AUTHENTICATION_REQUIRED"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_users_own_token_does_not_open_the_metrics():
    with app_on("mongomock://", METRICS_TOKEN=TOKEN) as application:
        user = authenticated(application, seed(application, minimal_configuration()))
        assert user.get("/metrics").status_code == 401


def test_the_probes_tell_nothing_of_users_or_records(app):
    client = authenticated(app, app.config["ADMIN_TOKEN"])
    client.post("/api/v1/cases", json={"data": {"name": "Aminata Zinsou"}})
    for path in ("/healthz", "/readyz"):
        text = app.test_client().get(path).get_data(as_text=True)
        assert "Aminata" not in text and "admin" not in text and "mongomock" not in text


@pytest.mark.parametrize("token", ["short", "sixteen chars ok", "x" * 257, "é" * 20])
def test_a_metrics_token_that_is_short_or_not_header_safe_stops_the_start(token):
    with pytest.raises(AbriError) as refused:
        check_settings(load_config({"METRICS_TOKEN": token}, environ={}))
    assert refused.value.code == "SETTING_INVALID" and token not in str(refused.value)


def test_a_metrics_token_is_taken_from_the_environment():
    token = uuid.uuid4().hex
    assert load_config(environ={"ABRI_METRICS_TOKEN": token})["METRICS_TOKEN"] == token
    check_settings(load_config(environ={"ABRI_METRICS_TOKEN": token}))
