"""The log lines an operator reads: JSON that parses, one request id everywhere, no child's data, ever."""
from __future__ import annotations

import json
import logging

import click
import pymongo.errors
import pytest

from server.config import load_config
from server.errors import AbriError
from server.messages import render
from server.monitoring.logs import AbriLogHandler, TextFormatter, configure_logging, log_format, redacted_traceback
from server.services.settings import check_settings
from server.storage.errors import DuplicateKey, translated_errors
from tests.builders import minimal_configuration, seed
from tests.conftest import app_on, authenticated, make_app

CHILD = "Aminata Zinsou"


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


@pytest.fixture
def json_app():
    """An app logging JSON lines, with the minimal configuration and a logged-in administrator."""
    with app_on("mongomock://", LOG_FORMAT="json") as application:
        yield application, authenticated(application, seed(application, minimal_configuration()))


def test_a_request_has_one_access_line_in_json_with_its_route_status_duration_and_user(json_app, capsys):
    _, client = json_app
    capsys.readouterr()
    response = client.post("/api/v1/cases?name=Aminata", json={"data": {"name": CHILD}})
    lines = json_lines(capsys.readouterr().err)
    access = [line for line in lines if line["logger"] == "server.access"]
    assert len(access) == 1
    line = access[0]
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "method", "route", "status",
                         "duration_ms", "user"}
    assert (line["method"], line["route"], line["status"], line["user"]) == ("POST", "/api/v1/cases", 201, "admin")
    assert line["request_id"] == response.headers["X-Request-Id"] and line["time"].endswith("Z")
    assert isinstance(line["duration_ms"], float) and line["level"] == "INFO"
    assert "Aminata" not in json.dumps(lines, ensure_ascii=False)  # neither the body nor the query string


def test_an_error_body_carries_the_request_id_of_its_header_and_of_its_log_line(json_app, capsys):
    _, client = json_app
    capsys.readouterr()
    response = client.get("/api/v1/cases/00000000-0000-4000-8000-000000000000")
    body_id = response.get_json()["error"]["request_id"]
    assert body_id == response.headers["X-Request-Id"]
    assert [line["request_id"] for line in json_lines(capsys.readouterr().err)] == [body_id]


def test_an_unexpected_error_is_logged_with_its_request_id_its_stack_and_never_its_text(capsys):
    application = make_app("mongomock://", LOG_FORMAT="json")
    try:
        token = seed(application, minimal_configuration())

        def broken():
            raise ValueError(f"invalid literal for int() with base 10: {CHILD!r}")
        application.add_url_rule("/broken", "broken", broken)
        client = authenticated(application, token)
        assert client.post("/api/v1/cases", json={"data": {"name": CHILD}}).status_code == 201  # the scan knows it
        capsys.readouterr()
        response = client.get("/broken")
    finally:
        application.close()
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "INTERNAL_ERROR"
    errors = [line for line in json_lines(capsys.readouterr().err) if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == response.get_json()["error"]["request_id"] == response.headers["X-Request-Id"]
    assert errors[0]["message"] == "unhandled error on GET /broken"
    assert "builtins.ValueError (text not logged)" in errors[0]["exception"] and "in broken" in errors[0]["exception"]
    assert CHILD not in json.dumps(errors, ensure_ascii=False)


def test_a_database_failure_answered_503_tells_the_operator_which_route_and_call_failed(capsys):
    application = make_app("mongomock://", LOG_FORMAT="json")
    try:
        token = seed(application, minimal_configuration())

        def unreachable():
            with translated_errors():
                raise pymongo.errors.AutoReconnect(f"connection closed while writing {CHILD!r}")
        application.add_url_rule("/unreachable", "unreachable", unreachable)
        client = authenticated(application, token)
        capsys.readouterr()
        response = client.get("/unreachable?locale=fr")
    finally:
        application.close()
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "STORAGE_UNAVAILABLE"
    assert response.get_json()["error"]["message"] == "La base de données est injoignable. Réessayez dans un instant."
    warnings = [line for line in json_lines(capsys.readouterr().err) if line["level"] == "WARNING"]
    assert [line["message"] for line in warnings] == ["database unavailable on GET /unreachable"]
    assert warnings[0]["request_id"] == response.get_json()["error"]["request_id"]
    assert "pymongo.errors.AutoReconnect (text not logged)" in warnings[0]["exception"]
    assert "in unreachable" in warnings[0]["exception"] and CHILD not in json.dumps(warnings, ensure_ascii=False)


@pytest.mark.parametrize("incoming, kept", [("proxy-42.a_B", True), ("x" * 64, True), ("x" * 65, False),
                                            ("with space", False), ("<script>", False), ("", False)])
def test_an_incoming_request_id_is_kept_only_when_it_is_a_short_plain_token(app, incoming, kept):
    response = app.test_client().get("/healthz", headers={"X-Request-Id": incoming})
    answered = response.headers["X-Request-Id"]
    if kept:
        assert answered == incoming
    else:
        assert answered != incoming and len(answered) == 32 and int(answered, 16) >= 0


def test_two_requests_never_share_an_id(app):
    client = app.test_client()
    with app.app_context():  # one app context around both: g outlives a request
        assert client.get("/healthz").headers["X-Request-Id"] != client.get("/healthz").headers["X-Request-Id"]


def test_a_duplicate_key_error_is_logged_without_the_key_it_quotes():
    duplicate = pymongo.errors.DuplicateKeyError(f"E11000 duplicate key error dup key: {{ name: \"{CHILD}\" }}",
                                                 code=11000)
    try:
        with translated_errors():
            raise duplicate
    except DuplicateKey as error:
        text = redacted_traceback(error)
    assert CHILD not in text
    assert "pymongo.errors.DuplicateKeyError (11000) (text not logged)" in text
    assert "server.storage.errors.DuplicateKey (ALREADY_EXISTS) (text not logged)" in text


def test_a_text_line_is_readable_and_keeps_the_stack_without_the_text(capsys):
    handler = AbriLogHandler()
    handler.setFormatter(TextFormatter())
    logger = logging.getLogger("tests.text_line")
    logger.propagate, logger.handlers = False, [handler]
    try:
        try:
            int(CHILD)
        except ValueError:
            logger.exception("export %s failed", "job-1")
    finally:
        logger.handlers, logger.propagate = [], True
    line = capsys.readouterr().err
    assert " ERROR tests.text_line: export job-1 failed\nTraceback (most recent call last):\n" in line
    assert "builtins.ValueError (text not logged)" in line and CHILD not in line


def test_auto_writes_json_under_serve_and_worker_and_text_for_people():
    assert log_format("json") == "json" and log_format("text") == "text"
    assert log_format("auto") == "text"  # no command: a test, or an app in another server
    for command, expected in (("serve", "json"), ("worker", "json"), ("load", "text")):
        with click.Context(click.Command(command), info_name=command):
            assert log_format("auto") == expected


def test_one_handler_per_process_and_the_root_level_is_only_lowered():
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.DEBUG)
        for _ in range(2):
            configure_logging({"LOG_FORMAT": "text", "LOG_LEVEL": "warning"})
        assert root.level == logging.DEBUG
        assert len([h for h in root.handlers if isinstance(h, AbriLogHandler)]) == 1
        root.setLevel(logging.ERROR)
        handler = configure_logging({"LOG_FORMAT": "text", "LOG_LEVEL": "INFO"})
        assert root.level == logging.INFO and handler.level == logging.INFO
    finally:
        root.setLevel(level)
        configure_logging(load_config({"LOG_FORMAT": "text"}, environ={}))


def test_pymongo_never_logs_its_commands_whatever_the_level(app):
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.DEBUG)
        assert not logging.getLogger("pymongo.command").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(level)


def test_a_message_that_does_not_fit_its_parameters_logs_their_names_only(caplog):
    with caplog.at_level(logging.WARNING, logger="server.messages"):
        render("Case %(id)s", {"name": CHILD})
    assert "['name']" in caplog.text and CHILD not in caplog.text


@pytest.mark.parametrize("setting, value", [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "LOUD"), ("LOG_LEVEL", 10)])
def test_an_unknown_log_format_or_level_stops_the_start(setting, value):
    with pytest.raises(AbriError) as refused:
        check_settings(load_config({setting: value}, environ={}))
    assert refused.value.code == "SETTING_INVALID" and f"ABRI_{setting}" in str(refused.value)


def test_the_log_settings_come_from_the_environment():
    settings = load_config(environ={"ABRI_LOG_FORMAT": "json", "ABRI_LOG_LEVEL": "debug"})
    check_settings(settings)
    assert (settings["LOG_FORMAT"], settings["LOG_LEVEL"]) == ("json", "debug")
