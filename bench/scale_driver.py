"""Drive a running `abri serve` with concurrent HTTP clients, and time the same reads bare on pymongo.

A Call is one kind of request (a list page, a search, a read, a create ...) made as one kind of user.
drive() runs it with N client threads in a closed loop (each sends its next request when the previous
answered) for a number of seconds and returns the latencies, statuses and the first error body.

bare_commands() runs a list use case in this process against the same database with a pymongo command
listener on, and returns the read commands it sent; replay() runs those commands with a plain pymongo
client. So "bare" is exactly what the server asks the database for a list, whatever shape the storage
layer gives its queries, without HTTP, authentication, audit or the record presentation.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pymongo import monitoring

from common import ROOT

READ_COMMANDS = ("find", "aggregate", "count", "distinct")
SESSION_KEYS = ("lsid", "$db", "$clusterTime", "txnNumber", "$readPreference", "autocommit", "startTransaction")


class Client:
    """One keep-alive HTTP connection to the server, authenticated as one user."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 120) -> None:
        self.port, self.token, self.timeout = port, token, timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        try:
            self.connection.request(method, path, json.dumps(body) if body is not None else None, sent)
            response = self.connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        except (OSError, http.client.HTTPException):
            self.close()  # a timeout or a dropped connection: the next request opens a new one
            raise

    def json(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        status, _, raw = self.request(method, path, body, headers)
        return status, json.loads(raw or b"{}")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Serve:
    """`abri serve` on an instance folder, in a process group of its own, on a free port."""

    def __init__(self, instance: Path, profile: str, admin_password: str, source: Path | None = None) -> None:
        self.instance, self.profile, self.admin_password, self.source = instance, profile, admin_password, source
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self, timeout: float = 900) -> float:
        """Start `abri serve`; return the seconds until it answers."""
        from server.embedded import free_port

        self.port = free_port()
        abri = Path(sys.executable).with_name("abri")
        command = [str(abri)] if abri.exists() and not self.source else [sys.executable, "-m", "server.cli"]
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("ABRI_", "SECANTUS_"))}
        environment.update(ABRI_INSTANCE_PATH=str(self.instance), ABRI_ADMIN_PASSWORD=self.admin_password)
        if self.source:  # another checkout's server (the code before a change) on the same data
            environment["PYTHONPATH"] = str(self.source)
        log = open(self.instance.parent / f"{self.instance.name}-serve.log", "ab")
        began = time.monotonic()
        self.process = subprocess.Popen([*command, "serve", "--port", str(self.port), "--profile", self.profile],
                                        cwd=self.source or ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()
        client = Client(self.port, timeout=5)
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"abri serve exited; see {log.name}")
            try:
                client.request("GET", "/api/v1/openapi.json")
                return time.monotonic() - began
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("abri serve did not answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def database_pid(self) -> int | None:
        """The SecantusDB process: the child of `abri serve`."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0]) if children else None

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (MB) of the database and of `abri serve`."""
        found = {}
        for who, pid in (("db", self.database_pid()), ("serve", self.process.pid)):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    found[f"{who}_{name}"] = int(value.split()[0]) // 1024
        return found

    def settle(self, limit: float = 900) -> float:
        """Wait until the server and the database use under 10 % of a core (requests left running end)."""
        pids = [self.process.pid, self.database_pid()]
        began = time.monotonic()
        while time.monotonic() - began < limit:
            before = _cpu_seconds(pids)
            time.sleep(1)
            if _cpu_seconds(pids) - before < 0.1:
                break
        return time.monotonic() - began


def _cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class Call:
    """A kind of request: its row in the table, who makes it, and how a client makes its next one.

    `make(client, state)` returns (method, path, body, headers); `seen(state, status, headers, body)`
    lets a call keep what an answer told (an ETag for the next If-Match). `state` is the client's own.
    """

    name: str
    who: str  # "admin", "worker" or "supervisor"
    make: Callable[[Client, dict], tuple[str, str, Any, dict]]
    seen: Callable[[dict, int, dict, bytes], None] | None = None
    list_args: str | None = None  # the query string of a list call (for the bare ratio)


@dataclass
class Result:
    call: str
    users: int
    latencies: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    seconds: float = 0.0
    memory: dict[str, int] = field(default_factory=dict)
    meta: dict | None = None  # the first list answer's meta (total, total_exact ...)
    refusal: str | None = None  # the first error's status and code ("400 page_window")

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float | None:
        """Nearest-rank percentile of the latencies, in seconds (the slowest for p99 of fewer than 100)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def drive(port: int, call: Call, tokens: list[str], states: list[dict], seconds: float,
          timeout: float, think: float = 0.0) -> Result:
    """Run `call` with one client thread per token, each in a closed loop, for `seconds`.

    `think`: each client waits a random time of that mean (exponential) after each answer, as a person reads
    the page before the next click; 0 sends the next request at once (the server saturated).
    """
    result = Result(call.name, len(tokens))
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + seconds
    ends: list[float] = []

    def client_loop(token: str, state: dict) -> None:
        client = Client(port, token, timeout)
        try:
            while time.perf_counter() < deadline:
                method, path, body, headers = call.make(client, state)
                began = time.perf_counter()
                try:
                    status, answer_headers, raw = client.request(method, path, body, headers)
                except (OSError, http.client.HTTPException) as error:
                    status, answer_headers, raw = 0, {}, f"{type(error).__name__}: {error}".encode()
                took = time.perf_counter() - began
                if call.seen and status in (200, 201):
                    call.seen(state, status, answer_headers, raw)
                with lock:
                    result.latencies.append(took)
                    result.statuses.append(status)
                    if not (200 <= status < 300 or status == 304):
                        result.errors += 1
                        if result.first_error is None:
                            result.first_error = f"{method} {path} -> {status}: {raw[:500].decode(errors='replace')}"
                            result.refusal = f"{status} {error_code(raw)}".strip()
                    elif result.meta is None and call.list_args is not None:
                        result.meta = json.loads(raw).get("meta")
                if think:
                    time.sleep(min(state["rng"].expovariate(1 / think), max(deadline - time.perf_counter(), 0)))
        finally:
            client.close()
            with lock:
                ends.append(time.perf_counter())

    threads = [threading.Thread(target=client_loop, args=(token, state), daemon=True)
               for token, state in zip(tokens, states)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = max(ends) - start
    return result


def error_code(raw: bytes) -> str:
    """The most precise code of an error answer (its first detail's, else its own), or nothing."""
    try:
        error = json.loads(raw)["error"]
        return (error.get("details") or [{}])[0].get("code") or error["code"]
    except (ValueError, KeyError, TypeError, IndexError):
        return ""


class _Recorder(monitoring.CommandListener):
    """Keep the read commands one thread sends while recording."""

    def __init__(self) -> None:
        self.thread: int | None = None
        self.commands: list[dict] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in READ_COMMANDS and threading.get_ident() == self.thread:
            command = {k: v for k, v in event.command.items() if k not in SESSION_KEYS}
            self.commands.append({"database": event.database_name, "command": command})

    def succeeded(self, event) -> None:
        pass

    def failed(self, event) -> None:
        pass


RECORDER = _Recorder()
monitoring.register(RECORDER)  # before any client is made: listeners join the clients made afterwards


def bare_commands(action: Callable[[], object]) -> list[dict]:
    """The read commands `action` sends to the database (run it once before, so caches are warm)."""
    action()
    RECORDER.commands, RECORDER.thread = [], threading.get_ident()
    try:
        action()
    finally:
        RECORDER.thread = None
    return RECORDER.commands


def replay(client, commands: list[dict]) -> int:
    """Run recorded read commands with a plain pymongo client, every batch fetched; return the documents read."""
    documents = 0
    for recorded in commands:
        database = client[recorded["database"]]
        answer = database.command(dict(recorded["command"]))
        cursor = answer.get("cursor")
        if cursor is None:
            continue
        documents += len(cursor.get("firstBatch", []))
        while cursor.get("id"):
            collection = cursor["ns"].split(".", 1)[1]
            cursor = database.command({"getMore": cursor["id"], "collection": collection})["cursor"]
            documents += len(cursor.get("nextBatch", []))
    return documents


def timed_runs(action: Callable[[], object], repeat: int, budget: float) -> list[float]:
    """Seconds of up to `repeat` runs of `action` (at least one), stopping when `budget` seconds are spent."""
    times: list[float] = []
    spent = time.perf_counter()
    while len(times) < repeat and (not times or time.perf_counter() - spent < budget):
        began = time.perf_counter()
        action()
        times.append(time.perf_counter() - began)
    return times


def median(times: list[float]) -> float:
    return statistics.median(times) if times else float("nan")
