"""The scan of the run's logs (tests/log_scan.py) catches a child's data in a log line, and only that."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.builders import minimal_configuration, seed
from tests.conftest import app_on
from tests.log_scan import LogScanner

CHILD = "Aminata Zinsou"


def scanner_logging(tmp_path):
    """A scanner of its own and a logger that writes only to it (the session's scan must not see this test's line)."""
    scanner = LogScanner(tmp_path / "logs.txt")
    logger = logging.getLogger(f"tests.scan.{uuid.uuid4().hex}")
    logger.propagate, logger.handlers = False, [scanner.handler]
    logger.setLevel(logging.DEBUG)
    return scanner, logger


def test_a_value_written_into_a_record_and_logged_at_any_level_is_found_with_its_line(tmp_path):
    scanner, logger = scanner_logging(tmp_path)
    notes = "Lives with her aunt near the market"
    scanner.collect({"name": CHILD, "notes": notes, "date_of_birth": "2014-03-09"})
    logger.debug("routine line")
    logger.debug("wrote the case of %s", CHILD)
    logger.info("%s", {"born": "2014-03-09"})
    try:
        raise ValueError(notes)
    except ValueError:
        logger.error("failed", exc_info=True)  # the redacted traceback: the text of the exception is not written
    scanner.handler.close()
    found = dict(scanner.findings())
    assert set(found) == {CHILD, "2014-03-09"}
    assert found[CHILD].endswith(f"DEBUG {logger.name}: wrote the case of {CHILD}")


def test_identifiers_and_dates_other_than_births_are_not_collected(tmp_path):
    scanner, _ = scanner_logging(tmp_path)
    scanner.collect({"sex": "female", "risk_level": "high_risk", "owner": "case.worker", "id": str(uuid.uuid4()),
                     "registration_date": "2024-05-01", "phone": "97000000", "age": 9, "name": "Awa",
                     "family_members": [{"relation_name": "Koffi Adjovi", "relation_date_of_birth": "1990-01-02"}]})
    assert scanner.values == {"Koffi Adjovi", "1990-01-02"}


def test_a_value_inside_a_longer_word_is_not_a_finding(tmp_path):
    scanner, logger = scanner_logging(tmp_path)
    scanner.collect({"name": "Aminata"})
    logger.info("AminataX and xAminata are other words; 2014-03-09T10:00:00Z is a time")
    scanner.collect({"date_of_birth": "2014-03-09"})
    scanner.handler.close()
    assert scanner.findings() == []


def test_the_session_collects_what_the_tests_write_on_every_backend(backend_client, log_scanner):
    name = f"Nadège {uuid.uuid4().hex[:8].upper()}"
    created = backend_client.post("/api/v1/cases", json={"data": {"name": name}})
    assert created.status_code == 201
    assert name in log_scanner.values
    update = {"data": {"risk_level": "high", "risk_reason": "Seen alone at night near the lake"}}
    record_id = created.get_json()["data"]["id"]
    assert backend_client.patch(f"/api/v1/cases/{record_id}", json=update).status_code == 200
    assert "Seen alone at night near the lake" in log_scanner.values


def test_the_session_captures_debug_lines_of_every_logger(log_scanner):
    logging.getLogger("tests.scan.session").debug("a debug line the session keeps")
    log_scanner.handler.flush()
    assert "DEBUG tests.scan.session: a debug line the session keeps" in log_scanner.path.read_text("utf-8")


def test_the_session_captures_the_lines_the_embedded_database_logs_in_this_process(secantus_uri, log_scanner):
    with app_on(secantus_uri) as application:
        seed(application, minimal_configuration())
    log_scanner.handler.flush()
    assert " secantus.server: client " in log_scanner.path.read_text("utf-8")


LEAKING_TEST = '''
import logging


def test_logs_a_name(log_scanner):
    log_scanner.collect({"name": "Aminata Zinsou"})
    logging.getLogger("tests.scan.leak").info("wrote the case of Aminata Zinsou")
'''


def test_a_finding_fails_the_run_with_or_without_xdist_workers(tmp_path):
    """CI runs the suite on pytest-xdist workers: a worker's finding must still fail the whole run, and say where."""
    (tmp_path / "test_leak.py").write_text(LEAKING_TEST, "utf-8")
    root = Path(__file__).resolve().parent.parent
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    for workers in ([], ["-n", "2"]):
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.log_scan",
                              *workers, "test_leak.py"], cwd=tmp_path, env=environment, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == pytest.ExitCode.TESTS_FAILED, (workers, run.stdout[-2000:], run.stderr[-2000:])
        assert "1 passed" in run.stdout  # the test itself passed: the scan failed the run
        assert "record data in the logs: the session fails" in run.stdout
        assert "'Aminata Zinsou' is in this log line of " in run.stdout
        assert "INFO tests.scan.leak: wrote the case of Aminata Zinsou" in run.stdout
