"""What the deployment tests share: `abri serve` processes started as the systemd units start them, and a small
HTTP client that answers every status (over plain http to a process, or over TLS through nginx)."""
from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server.config import PROJECT_ROOT
from server.embedded import free_port

ADMIN_PASSWORD = "deux processus une seule base"
PASSWORD = "Lagune de Porto-Novo 1960"      # every other user's
EXPORT_KEY = "dGVzdHMgb25seTogYWJyaSBleHBvcnQga2V5IDMyIGI="  # tests.conftest.TEST_EXPORT_KEY


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def data(self) -> Any:
        return self.json["data"]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def call(base: str, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
         raw: bytes | None = None, tls: ssl.SSLContext | None = None, source: str | None = None,
         timeout: float = 30) -> Answer:
    """One request to `base` + `path` (JSON `body`, or `raw` bytes); every status is an Answer, none raises."""
    parts = urlsplit(base)
    source_address = (source, 0) if source else None
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=tls, timeout=timeout,
                                                 source_address=source_address)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout,
                                                source_address=source_address)
    sent = dict(headers or {})
    if body is not None:
        raw = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    try:
        connection.request(method, path, body=raw, headers=sent)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


@dataclass
class User:
    """Someone signed in on one process (a bearer token), who may call any process with it."""

    name: str
    token: str
    default: "Served"

    def call(self, method: str, path: str, body: Any = None, on: "Served | None" = None, **options) -> Answer:
        headers = {"Authorization": f"Bearer {self.token}", **options.pop("headers", {})}
        return (on or self.default).call(method, path, body, headers=headers, **options)

    def ok(self, method: str, path: str, body: Any = None, on: "Served | None" = None, status: int = 200,
           **options) -> Any:
        answer = self.call(method, path, body, on=on, **options)
        assert answer.status == status, (method, path, answer.status, answer.body[:2000])
        return answer.json if answer.body else None


@dataclass
class Served:
    """One `abri serve` process on 127.0.0.1."""

    name: str
    port: int
    process: subprocess.Popen
    log: Path
    stopped: bool = field(default=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def call(self, method: str, path: str, body: Any = None, **options) -> Answer:
        return call(self.base, method, path, body, **options)

    def login(self, user_name: str, password: str = PASSWORD) -> User:
        answer = self.call("POST", "/api/v1/tokens", {"user_name": user_name, "password": password})
        assert answer.status == 201, (user_name, answer.status, answer.body)
        return User(user_name, answer.data["token"], self)

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")


def settings_for(uri: str, database: str, instance: Path, **more: str) -> dict[str, str]:
    """The environment of an app process on `database` at `uri`: as /etc/abri/abri.env gives it, test-sized."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ABRI_", "XDG_"))}
    env.update(ABRI_MONGO_URI=uri, ABRI_MONGO_DB_NAME=database, ABRI_INSTANCE_PATH=str(instance),
               ABRI_ADMIN_PASSWORD=ADMIN_PASSWORD, ABRI_EXPORT_PASSWORD_KEY=EXPORT_KEY, **more)
    return env


def start_serving(name: str, env: dict[str, str], folder: Path, port: int | None = None) -> Served:
    """Start `abri serve --host 127.0.0.1 --port N` (what abri@.service runs); its output goes to a file."""
    port = port or free_port()
    log = folder / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port",
                                    str(port)], env=env, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    return Served(name, port, process, log)


def wait_until_serving(*servers: Served, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    for served in servers:
        while True:
            if served.process.poll() is not None:
                raise AssertionError(f"{served.name} stopped:\n{served.output()}")
            try:
                served.call("GET", "/admin/login", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    stop(served)
                    raise AssertionError(f"{served.name} did not answer:\n{served.output()}") from None
                time.sleep(0.2)


def stop(served: Served) -> str:
    """SIGTERM, as systemd stops a unit; return what the process printed."""
    if not served.stopped:
        served.stopped = True
        served.process.send_signal(signal.SIGTERM)
        try:
            served.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait()
    return served.output()
