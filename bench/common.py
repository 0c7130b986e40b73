"""What the benchmarks share: a real wire database, an app on it, timing helpers."""
from __future__ import annotations

import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def secantus() -> Iterator[str]:
    """Start SecantusDB in this process (a real MongoDB wire server over WiredTiger) on a temp folder."""
    from secantus import SecantusDBServer

    with tempfile.TemporaryDirectory(prefix="abri-bench-") as folder, SecantusDBServer(storage_path=folder) as server:
        yield server.uri


def make_app(uri: str):
    """An app on `uri` with the shipped configuration published and an admin token."""
    from server.app import create_app
    from server.auth import accounts, tokens
    from server.metadata.bootstrap import bootstrap_configuration
    from server.metadata.versions import LanguageSettings, published_configuration
    from server.storage import get_db

    app = create_app({"MONGO_URI": uri, "MONGO_DB_NAME": "bench", "EXPORT_WORKER_THREADS": 0})
    with app.app_context():
        db = get_db()
        bootstrap_configuration(db, ROOT / "metadata", LanguageSettings(("en", "fr"), "en"))
        now = datetime.now(timezone.utc)
        user = accounts.create_user(db, published_configuration(db), {
            "user_name": "bench", "password": "quiet lagoon at dusk", "role_unique_id": "role-system-administrator"}, now)
        token = tokens.issue_token(db, user, tokens.BEARER, now, timedelta(hours=4))["token"]
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return app, client


def insert_all(collection, documents: Iterable[dict], batch: int = 5000) -> None:
    """Insert generated documents with insert_many, `batch` at a time (a bench's bulk load, not the engine's path)."""
    pending: list[dict] = []
    for document in documents:
        pending.append(document)
        if len(pending) == batch:
            collection.insert_many(pending)
            pending = []
    if pending:
        collection.insert_many(pending)


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    """Seconds of each of `repeat` runs (after one warm-up run)."""
    action()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return times


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def p95_ms(times: list[float]) -> float:
    return sorted(times)[int(len(times) * 0.95) - 1] * 1000


def header(command: str) -> None:
    print(f"# {command}")
    print(f"# python {platform.python_version()}, {os.cpu_count()} cpus, {platform.machine()}, "
          f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
