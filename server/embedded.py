"""The embedded database: SecantusDB run as a child process on a free loopback port, for Abri only.

SecantusDB is GPL-2.0-only; Abri never imports it, it only starts its server program
(`python -m secantus`, the same as `secantusd-py`) and talks to it over the MongoDB wire protocol.

Only Abri's operating-system account can reach the data:
- the instance folder and the data folder are 0700, every file Abri or the server writes is 0600
  (the server runs with umask 077);
- the server always runs with `--auth`: Abri logs in with SCRAM-SHA-256 as the one user of the
  database, whose random password is made on the first start and kept in
  `embedded-db.credentials.json` (0600); the URI of a running server, password included, is in
  `embedded-db.uri` (0600) for the CLI commands;
- the user is made by starting the server once without `--auth` (first start, or an instance
  made before credentials existed) but with TLS that requires a client certificate signed by a
  one-time authority whose key only this process holds, so nobody else can connect meanwhile;
  any other user found then is dropped.

And an acknowledged write survives the loss of the whole stack (kill -9, power loss): the server
runs with `--sync-on-commit` (the journal is flushed to disk before a commit returns) and Abri's
writes ask for `j: true` (see server/storage/client.py).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import quote

from server.config import SettingInvalid, load_config
from server.messages import _l
from server.storage.client import authenticates, make_sole_user, ping

USER = "abri"
CREDENTIALS_FILE = "embedded-db.credentials.json"
URI_FILE = "embedded-db.uri"
CONFIG_FILE = "secantusd.toml"
LOG_FILE = "secantusdb.log"
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


class EmbeddedDatabaseError(RuntimeError):
    """The embedded database could not be started."""


def free_port() -> int:
    """Return a TCP port that is free on the loopback interface now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wake_listener(port: int) -> None:
    """Connect once to a stopping server's port and leave at once.

    SecantusDB's accept loop looks at its stop flag only when a connection arrives; without one, its
    stop waits 2 s for that loop (every `abri serve` stop, every command that started the database).
    """
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
    except OSError:
        pass  # already gone


def wake_while(running: Callable[[], bool], port: int, timeout: float, every: float = 0.2) -> None:
    """Wake the stopping server on `port` every `every` s until `running()` is false, for at most `timeout` s.

    The first wake comes only after `every` s: a connection arriving while SecantusDB takes its SIGTERM can
    make it miss the signal (woken at once, 7 of 15 stops hung until killed).
    """
    deadline = time.monotonic() + timeout
    wake_at = time.monotonic() + every
    while running() and time.monotonic() < deadline:
        if time.monotonic() >= wake_at:
            wake_listener(port)
            wake_at = time.monotonic() + every
        time.sleep(0.02)


def running_uri(instance: str | Path) -> str | None:
    """Return the URI of the embedded database a running `abri serve` started, if it answers."""
    path = Path(instance) / URI_FILE
    if path.exists():
        uri = path.read_text().strip()
        if ping(uri):
            return uri
    return None


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by this account only (0600), replacing it whole."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp: 0600
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def make_private(folder: Path, recursive: bool = False) -> None:
    """Create `folder` if needed and make it (and with `recursive` all under it) this account's only."""
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(folder, PRIVATE_DIR)
    for root, dirs, names in os.walk(folder) if recursive else ():
        for name in dirs:
            os.chmod(Path(root) / name, PRIVATE_DIR)
        for name in names:
            path = Path(root) / name
            if not path.is_symlink():
                os.chmod(path, PRIVATE_FILE)


def server_arguments(settings: Mapping[str, Any]) -> list[str]:
    """The server program's tuning flags, from Abri's settings (the durability flags are not settings).

    Measured with bench/bench_embedded.py (server memory after 100,000 cases and a mix of reads and writes):
    - `--cache-size` EMBEDDED_CACHE_SIZE (512M; SecantusDB's default is 1G): the cache bounds what the data
      takes in memory (200,000 cases: 0.6 GB in all), latencies unchanged; 256M slowed inserts 2.5 times;
    - `--standalone`: no replica-set advertisement, so SecantusDB keeps no oplog. Abri reads no change stream
      and runs no multi-document transaction; the oplog held a copy of every document written (650 instead of
      about 820 MiB, 540 instead of 700 MiB on disk), and with a cache smaller than the data its pruning
      stalled inserts for minutes (256M, from 20,000 cases on).
    """
    cache_size = str(settings["EMBEDDED_CACHE_SIZE"]).strip().upper()
    if not re.fullmatch(r"[1-9][0-9]*[MG]", cache_size):
        raise SettingInvalid(name="ABRI_EMBEDDED_CACHE_SIZE", value=repr(settings["EMBEDDED_CACHE_SIZE"]),
                             allowed=_l("a size in megabytes or gigabytes, like 512M or 2G"))
    return ["--cache-size", cache_size, "--standalone"]


# glibc gives the threads that allocate up to 8 arenas per core and keeps what they freed, and the server
# runs one thread per connection: two arenas took a sixth off its memory at 100,000 cases (about 490
# instead of 600 MiB), latencies unchanged. An operator's own MALLOC_ARENA_MAX in Abri's environment wins.
SERVER_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}


class EmbeddedDatabase:
    """Start SecantusDB on `data_dir` (inside the instance folder), wait until it answers, stop it on exit."""

    def __init__(self, data_dir: str | Path, startup_timeout: float = 30.0, announce: bool = False,
                 settings: Mapping[str, Any] | None = None, tuning: Sequence[str] | None = None,
                 environment: Mapping[str, str] | None = None) -> None:
        """`settings`: Abri's (default: load_config()); `tuning`, `environment`: a bench's own flags and variables."""
        self.data_dir = Path(data_dir)
        self.tuning = list(server_arguments(load_config() if settings is None else settings) if tuning is None
                           else tuning)
        self.extra_environment = dict(environment or {})
        self.instance = self.data_dir.parent
        self.announce = announce  # write the URI where CLI commands find the running server
        self.timeout = startup_timeout
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.password = ""

    @property
    def address(self) -> str:
        """host:port (nothing secret: to show)."""
        return f"127.0.0.1:{self.port}"

    @property
    def uri(self) -> str:
        """The URI Abri connects with, password included."""
        return (f"mongodb://{USER}:{quote(self.password, safe='')}@{self.address}/"
                "?authSource=admin&authMechanism=SCRAM-SHA-256")

    def start(self) -> "EmbeddedDatabase":
        if importlib.util.find_spec("secantus") is None:
            raise EmbeddedDatabaseError(
                "The embedded database is not installed: pip install -e '.[embedded]', "
                "or set ABRI_MONGO_URI to a MongoDB server.")
        make_private(self.instance)
        make_private(self.data_dir, recursive=True)  # an instance from before: its files were 0644
        for name in (CREDENTIALS_FILE, URI_FILE, CONFIG_FILE, LOG_FILE):
            if (self.instance / name).exists():
                os.chmod(self.instance / name, PRIVATE_FILE)
        try:
            self.password, new = self._credentials()
            if new:
                self._provision()
            self._launch(["--auth"])
            if not authenticates(self.uri):  # a data folder made without these credentials (restored, replaced)
                self._stop_process()
                self._provision()
                self._launch(["--auth"])
                if not authenticates(self.uri):
                    raise EmbeddedDatabaseError("SecantusDB refuses Abri's credentials even after making the user; "
                                                f"see {self.instance / LOG_FILE}")
        except BaseException:
            self._stop_process()
            raise
        if self.announce:
            write_private(self.instance / URI_FILE, self.uri)
        return self

    def _credentials(self) -> tuple[str, bool]:
        """Return Abri's password, and whether it was made now (first start, or an instance from before)."""
        path = self.instance / CREDENTIALS_FILE
        if path.exists():
            return json.loads(path.read_text())["password"], False
        password = secrets.token_urlsafe(32)
        write_private(path, json.dumps({"user": USER, "password": password, "mechanism": "SCRAM-SHA-256"}))
        return password, True

    def _provision(self) -> None:
        """Make Abri's user the only one, on a server only this process can connect to."""
        with tempfile.TemporaryDirectory(dir=self.instance, prefix=".provision-") as folder:  # 0700
            tls = _one_time_certificates(Path(folder))
            self._launch(["--tls-cert-file", tls["server"], "--tls-key-file", tls["server_key"],
                          "--tls-ca-file", tls["authority"], "--tls-require-client-cert"], tls["client_options"])
            try:
                make_sole_user(f"mongodb://{self.address}/", USER, self.password, **tls["client_options"])
            finally:
                self._stop_process(graceful=False)  # the user is on disk; a clean stop would take 2 s more

    def _launch(self, arguments: list[str], client_options: dict | None = None) -> None:
        """Start the server program with `arguments` and wait until it answers."""
        self.port = free_port()
        config = self.instance / CONFIG_FILE
        if not config.exists():  # passing --config stops SecantusDB reading ./secantusd.toml or ~/.secantus/
            write_private(config, "# SecantusDB settings for Abri's embedded database; Abri's flags override these.\n")
        # The journal on: never the test-only fast storage a SECANTUS_* variable could select.
        environment = {**SERVER_ENVIRONMENT, **{k: v for k, v in os.environ.items() if not k.startswith("SECANTUS_")},
                       **self.extra_environment, "SECANTUS_FORCE_DURABLE": "1"}
        log_descriptor = os.open(self.instance / LOG_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "secantus", "--config", str(config), "--host", "127.0.0.1",
                 "--port", str(self.port), "--storage-path", str(self.data_dir), "--log-level", "WARNING",
                 *self.tuning, "--sync-on-commit", *arguments],
                stdout=log_descriptor, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
                umask=0o077)
        finally:
            os.close(log_descriptor)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedDatabaseError(f"SecantusDB exited with code {self.process.returncode}; "
                                            f"see {self.instance / LOG_FILE}")
            if ping(f"mongodb://{self.address}/", **(client_options or {})):
                return
            time.sleep(0.1)
        raise EmbeddedDatabaseError(f"SecantusDB did not answer within {self.timeout:.0f} s")

    def _stop_process(self, graceful: bool = True) -> None:
        """Ask the server to stop (SIGTERM: it writes a checkpoint), and kill it if it does not within 10 s."""
        if self.process and self.process.poll() is None:
            if graceful:
                self.process.terminate()
                wake_while(lambda: self.process.poll() is None, self.port, timeout=10)
            else:
                self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill(self) -> None:
        """Stop the server at once (SIGKILL), as a crash would; start() brings it back on the same data."""
        self._stop_process(graceful=False)

    def stop(self) -> None:
        """Stop the server and forget its URI."""
        if self.announce:
            (self.instance / URI_FILE).unlink(missing_ok=True)
        self._stop_process()

    def __enter__(self) -> "EmbeddedDatabase":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _one_time_certificates(folder: Path) -> dict:
    """Write a throwaway authority, a server certificate for 127.0.0.1 and a client certificate.

    The authority's key is never written: once this returns, no other certificate it signs can exist.
    """
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    def certificate(subject: str, key, authority_key, is_authority: bool = False, addresses=()) -> bytes:
        builder = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name("abri-provisioning"))
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(hours=1))
                   .add_extension(x509.BasicConstraints(ca=is_authority, path_length=None), critical=True))
        if addresses:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(addresses)), critical=False)
        return builder.sign(authority_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def private(key) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    authority_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    paths = {name_: folder / f"{name_}.pem" for name_ in ("authority", "server", "server_key", "client")}
    contents = {"authority": certificate("abri-provisioning", authority_key, authority_key, is_authority=True),
                "server": certificate("127.0.0.1", server_key, authority_key,
                                      addresses=[x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                "server_key": private(server_key),
                "client": certificate(USER, client_key, authority_key) + private(client_key)}
    for key_name, path in paths.items():
        write_private(path, contents[key_name].decode())
    return {**{key_name: str(path) for key_name, path in paths.items()},
            "client_options": {"tls": True, "tlsCAFile": str(paths["authority"]),
                               "tlsCertificateKeyFile": str(paths["client"])}}
