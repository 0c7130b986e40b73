"""The embedded database: SecantusDB run as a child process on a free loopback port.

SecantusDB is GPL-2.0-only; Abri never imports it, it only starts its server program
(`python -m secantus`, the same as `secantusd-py`) and talks to it over the MongoDB wire protocol.
"""
from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

from server.storage.client import ping


class EmbeddedDatabaseError(RuntimeError):
    """The embedded database could not be started."""


def free_port() -> int:
    """Return a TCP port that is free on the loopback interface now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _uri_file(instance: Path) -> Path:
    return instance / "embedded-db.uri"


def running_uri(instance: str | Path) -> str | None:
    """Return the URI of the embedded database a running `abri serve` started, if it answers."""
    path = _uri_file(Path(instance))
    if path.exists():
        uri = path.read_text().strip()
        if ping(uri):
            return uri
    return None


class EmbeddedDatabase:
    """Start SecantusDB on `data_dir`, wait until it answers, stop it on exit."""

    def __init__(self, data_dir: str | Path, startup_timeout: float = 30.0, announce: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.announce = announce  # write the URI where CLI commands find the running server
        self.timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> "EmbeddedDatabase":
        if importlib.util.find_spec("secantus") is None:
            raise EmbeddedDatabaseError(
                "The embedded database is not installed: pip install -e '.[embedded]', "
                "or set ABRI_MONGO_URI to a MongoDB server.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        log = open(self.data_dir.parent / "secantusdb.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(self.port),
             "--storage-path", str(self.data_dir), "--log-level", "WARNING"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedDatabaseError(f"SecantusDB exited with code {self.process.returncode}; "
                                            f"see {self.data_dir.parent / 'secantusdb.log'}")
            if ping(self.uri):
                if self.announce:
                    _uri_file(self.data_dir.parent).write_text(self.uri)
                return self
            time.sleep(0.1)
        self.stop()
        raise EmbeddedDatabaseError(f"SecantusDB did not answer within {self.timeout:.0f} s")

    def stop(self) -> None:
        """Ask the server to stop (SIGTERM), and kill it if it does not within 10 s."""
        if self.announce:
            _uri_file(self.data_dir.parent).unlink(missing_ok=True)
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> "EmbeddedDatabase":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
