"""The test run's logs hold no child's data: a pytest plugin (tests/conftest.py loads it).

For the whole session, every log record of every logger at every level is written to a file under the session's
temporary folder (a handler on the root logger, at DEBUG, formatting as Abri's text log lines do: message, request
id, access fields, redacted exceptions), and every text the tests write into records' data is collected (the
record store's insert and update functions are wrapped, so both backends count: mongomock and the SecantusDB
server, which runs in this process and logs into the same file). At the end, the session fails if any collected
value appears, as a whole word, in any log line; the line and the value are printed. Under pytest-xdist (CI runs the
suite on a worker per core) each worker scans its own file and hands its findings to the controller, which fails the
run.

Collected: texts of at least MIN_LENGTH characters that a person could have typed (names, free text, and dates
under a field named for a birth date). Not collected, so that the scan never cries wolf: identifiers (lowercase
option values, lookup ids, user names, uuids, numbers, other ISO dates), which log lines may name on purpose.

Not covered: servers started as subprocesses (tests/test_cli.py, tests/test_package.py, tests/test_embedded.py)
write to their own output, which the scan does not read; those tests write no record data through them.
"""
from __future__ import annotations

import functools
import logging
import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any, Iterable

import pytest

from server.monitoring.logs import TextFormatter
from server.storage import records as record_store

MIN_LENGTH = 6
SEPARATOR = "\n\x1e\n"  # between two log records (a record may span lines: a traceback)
_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9_.:@/+-]*")  # option values, ids, user names, uuids, numbers, ISO dates
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WORD = re.compile(r"\w+")
WRAPPED = ("insert_record", "insert_records", "update_record")
SCANNER = pytest.StashKey["LogScanner"]()
WORKER_FINDINGS = pytest.StashKey[list]()  # (xdist controller) what the workers' scans found
FINDINGS = "abri_log_findings"  # the key of a worker's findings in its workeroutput


def is_birth_field(name: str) -> bool:
    return "birth" in name.lower()


class ScanHandler(logging.FileHandler):
    """Every record, at every level, as Abri's text log line, records separated by SEPARATOR."""

    terminator = SEPARATOR

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8")
        self.setLevel(logging.DEBUG)
        self.setFormatter(TextFormatter())


class LogScanner:
    """The values written into records' data, the log records of the session, and where the first meet the second."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values: set[str] = set()
        self.handler = ScanHandler(path)

    def collect(self, value: Any, name: str = "") -> None:
        """Keep the texts of record data (`name`: the field holding `value`) a log line must never hold."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.collect(item, str(key))
        elif isinstance(value, (list, tuple)):
            for item in value:
                self.collect(item, name)
        elif isinstance(value, (date, datetime)) and is_birth_field(name):
            self.values.add(value.date().isoformat() if isinstance(value, datetime) else value.isoformat())
        elif isinstance(value, str) and self.telling(value.strip(), name):
            self.values.add(value.strip())

    @staticmethod
    def telling(text: str, name: str) -> bool:
        """Tell whether a text of a record could identify a child (else it is an identifier logs may name)."""
        if len(text) < MIN_LENGTH:
            return False
        if is_birth_field(name) and _ISO_DATE.match(text):
            return True
        return _IDENTIFIER.fullmatch(text) is None

    def collect_changes(self, changes: dict[str, Any]) -> None:
        """Keep the data of an update's changes ({"data.name": ..., "data": {...}})."""
        for key, value in changes.items():
            if key == "data" or key.startswith("data."):
                self.collect(value, key.rsplit(".", 1)[-1])

    def findings(self) -> list[tuple[str, str]]:
        """(value, log record) for each collected value found in a log record, as a whole word."""
        self.handler.flush()
        text = self.path.read_text("utf-8", errors="replace")
        words = set(_WORD.findall(text))
        found = []
        for value in sorted(self.values):
            longest = max(_WORD.findall(value), key=len, default="")
            if longest and longest not in words:
                continue  # a word of the value is in no log line: neither is the value
            match = re.search(r"(?<!\w)" + re.escape(value) + r"(?!\w)", text)
            if match:
                before = text.rfind(SEPARATOR, 0, match.start())
                start = 0 if before < 0 else before + len(SEPARATOR)
                end = text.find(SEPARATOR, match.end())
                found.append((value, text[start:end if end >= 0 else len(text)]))
        return found


def _wrap(scanner: LogScanner, name: str, function):
    @functools.wraps(function)
    def collecting(db, collection, *args, **kwargs):
        if name == "insert_record":
            scanner.collect((args[0] if args else kwargs["document"]).get("data"))
        elif name == "insert_records":
            for document in (args[0] if args else kwargs["documents"]):
                scanner.collect(document.get("data"))
        else:
            scanner.collect_changes(args[2] if len(args) > 2 else kwargs["changes"])
        return function(db, collection, *args, **kwargs)
    collecting.abri_unwrapped = function
    return collecting


def start_scanning(folder: Path) -> LogScanner:
    """Capture every log record into `folder`, and the data every record write carries."""
    scanner = LogScanner(folder / "abri-test-logs.txt")
    logging.getLogger().addHandler(scanner.handler)
    for name in WRAPPED:
        setattr(record_store, name, _wrap(scanner, name, getattr(record_store, name)))
    return scanner


def stop_scanning(scanner: LogScanner) -> None:
    logging.getLogger().removeHandler(scanner.handler)
    scanner.handler.close()
    for name in WRAPPED:
        function = getattr(record_store, name)
        setattr(record_store, name, getattr(function, "abri_unwrapped", function))


@pytest.fixture
def log_scanner(request) -> LogScanner:
    """The session's scanner: what it collected so far, and its log file."""
    return request.config.stash[SCANNER]


def pytest_configure(config: pytest.Config) -> None:
    """Let every record through the root logger, and keep failing tests' reports at INFO and above.

    Set here, before pytest's logging plugin saves the root logger's level around the session and each test.
    """
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        chosen = config.getoption("log_level", None) is not None or bool(config.getini("log_level"))
    except ValueError:  # pytest's logging plugin is off (-p no:logging)
        chosen = True
    if not chosen:
        config.option.log_level = "INFO"


def pytest_sessionstart(session: pytest.Session) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    folder = factory.mktemp("logs") if factory is not None else Path(tempfile.mkdtemp(prefix="abri-test-logs-"))
    session.config.stash[SCANNER] = start_scanning(folder)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Scan this process's logs; under pytest-xdist a worker hands its findings to the controller, which fails the run."""
    config = session.config
    scanner = config.stash.get(SCANNER, None)
    if scanner is None:
        return
    stop_scanning(scanner)
    findings = [(value, line, str(scanner.path)) for value, line in scanner.findings()]
    if hasattr(config, "workeroutput"):  # an xdist worker: its own exit status does not decide the run's
        config.workeroutput[FINDINGS] = findings
        return
    findings += config.stash.get(WORKER_FINDINGS, [])
    if findings:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        _report(config, findings)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """(xdist controller) Keep what a worker's scan found, for the controller's verdict at the session's end."""
    found = getattr(node, "workeroutput", {}).get(FINDINGS, [])
    node.config.stash.setdefault(WORKER_FINDINGS, []).extend(tuple(finding) for finding in found)


def _report(config: pytest.Config, findings: Iterable[tuple[str, str, str]]) -> None:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", "record data in the logs: the session fails", red=True)
    for value, line, path in findings:
        write(f"{value!r} is in this log line of {path}:\n{line}\n")
