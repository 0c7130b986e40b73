"""kill -9 of the whole stack during a burst of writes: is every acknowledged write still there?

    python bench/crash_durability.py [--runs 5] [--seconds 4] [--clients 8] [--seed 1] [--source DIR]
    python bench/crash_durability.py --throughput [--seconds 10] [--clients 8] [--source DIR]

A crash run starts `abri serve` (the embedded SecantusDB started as `abri serve` starts it, and
the waitress HTTP server) in a process group of its own, on a free port and one instance folder
kept across runs. HTTP clients create cases (client-generated ids) and update each twice, and
note every write the server acknowledged (its id and the revision in the ETag). At a random
moment in the second half of the burst the whole process group is killed with SIGKILL (server and
database); `abri serve` is started again on the same folder and every write acknowledged so far,
in this run and the earlier ones, is checked over HTTP: the case at least at the acknowledged
revision, and the history entry of every revision up to it. A write that fails either check is a
loss.

--throughput measures creates per second over HTTP (no kill), and bare pymongo inserts on
SecantusDB with and without --sync-on-commit and j: true, to show what durability costs.
--source runs `abri serve` from another checkout (say, the code before a change) for comparison.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from common import ROOT, header
from generate import case_data

PASSWORD = "crash test lagoon at dawn"


class Stack:
    """`abri serve` from `source` on `instance`, in its own process group."""

    def __init__(self, source: Path, instance: Path) -> None:
        self.source, self.instance = source, instance
        self.port = 0
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> float:
        """Start the stack; return the seconds until it answers HTTP."""
        from server.embedded import free_port

        self.port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("ABRI_", "SECANTUS_"))}
        environment.update(ABRI_INSTANCE_PATH=str(self.instance), ABRI_ADMIN_PASSWORD=PASSWORD,
                           ABRI_EXPORT_WORKER_THREADS="0", PYTHONPATH=str(self.source))
        log = open(self.instance.parent / "serve.log", "ab")
        began = time.monotonic()
        self.process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)],
                                        cwd=self.source, env=environment, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)  # server and database in one process group
        log.close()
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"abri serve exited; see {self.instance.parent / 'serve.log'}")
            try:
                self.request("GET", "/api/v1/forms")
                return time.monotonic() - began
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("abri serve did not answer")

    def kill(self) -> None:
        """kill -9 the whole process group: the server and the embedded database."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)

    def request(self, method: str, path: str, body: dict | None = None, token: str | None = None,
                connection: http.client.HTTPConnection | None = None) -> tuple[int, dict, dict]:
        own = connection is None
        connection = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
            connection.request(method, path, json.dumps(body) if body is not None else None, headers)
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            return response.status, headers, json.loads(response.read() or b"{}")
        finally:
            if own:
                connection.close()

    def token(self) -> str:
        status, _, body = self.request("POST", "/api/v1/tokens", {"user_name": "admin", "password": PASSWORD})
        if status != 201:
            raise RuntimeError(f"login refused: {status} {body}")
        return body["data"]["token"]


def burst(stack: Stack, token: str, rng: random.Random, stop: threading.Event, acknowledged: list,
          updates: bool = True) -> None:
    """Create cases and update each twice, over one keep-alive connection, until `stop` or the stack dies."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    try:
        while not stop.is_set():
            record_id = str(uuid.uuid4())
            status, headers, _ = stack.request("POST", "/api/v1/cases", {"id": record_id, "data": case_data(rng)},
                                               token, connection)
            if status not in (200, 201):
                raise RuntimeError(f"create answered {status}")
            acknowledged.append((record_id, int(headers["etag"].strip('"'))))
            for _ in range(2 if updates else 0):
                status, headers, _ = stack.request("PATCH", f"/api/v1/cases/{record_id}",
                                                   {"data": {"address_current": f"{rng.randrange(1000)} rue Zinsou"}},
                                                   token, connection)
                if status != 200:
                    raise RuntimeError(f"update answered {status}")
                acknowledged.append((record_id, int(headers["etag"].strip('"'))))
    except (OSError, http.client.HTTPException):
        pass  # the stack was killed: this request was not acknowledged
    finally:
        connection.close()


def losses(stack: Stack, token: str, acknowledged: list[tuple[str, int]]) -> list[str]:
    """Return the acknowledged writes missing after the restart (the record behind, or a history entry gone).

    The writes of one case are made one after the other, each acknowledged: revisions 1..newest all were.
    """
    newest: dict[str, int] = {}
    for record_id, revision in acknowledged:
        newest[record_id] = max(revision, newest.get(record_id, 0))
    lost = []
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    for record_id, revision in newest.items():
        status, headers, _ = stack.request("GET", f"/api/v1/cases/{record_id}", token=token, connection=connection)
        stored = int(headers["etag"].strip('"')) if status == 200 else 0
        _, _, history = stack.request("GET", f"/api/v1/cases/{record_id}/history?per_page=100", token=token,
                                      connection=connection)
        in_history = {entry["revision"] for entry in history.get("data", [])}
        lost += [f"{record_id} revision {r}: stored revision {stored}, history {sorted(in_history)}"
                 for r in range(1, revision + 1) if r > stored or r not in in_history]
    connection.close()
    return lost


def run_threads(threads: list[threading.Thread], seconds: float, stop: threading.Event,
                interrupt=None) -> float:
    """Start the threads, let them work for `seconds`, interrupt them (kill the stack) or stop them; the time taken."""
    began = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    if interrupt is not None:
        interrupt()
    stop.set()
    for thread in threads:
        thread.join()
    return time.monotonic() - began


def crash_runs(args, source: Path, folder: Path) -> None:
    stack, rng = Stack(source, folder / "instance"), random.Random(args.seed)
    acknowledged: list[tuple[str, int]] = []
    lost: set[str] = set()
    started = stack.start()
    print(f"first start (the database user made): {started:.1f} s")
    for run in range(1, args.runs + 1):
        token, stop, this_run = stack.token(), threading.Event(), []
        clients = [threading.Thread(target=burst, args=(stack, token, random.Random(rng.random()), stop, this_run))
                   for _ in range(args.clients)]
        elapsed = run_threads(clients, rng.uniform(args.seconds / 2, args.seconds), stop, interrupt=stack.kill)
        acknowledged += this_run
        restart = stack.start()
        missing = set(losses(stack, stack.token(), acknowledged))
        new = sorted(missing - lost)
        lost |= missing
        print(f"run {run}: {len(this_run)} writes acknowledged in {elapsed:.1f} s ({len(this_run) / elapsed:.0f}/s) "
              f"until kill -9; restart {restart:.1f} s; all {len(acknowledged)} acknowledged writes checked: "
              f"{len(new)} newly lost, {len(missing)} lost in all")
        for line in new[:5]:
            print(f"    lost: {line}")
    stack.stop()
    print(f"\nruns {args.runs}, writes acknowledged {len(acknowledged)}, losses {len(lost)}")


def http_throughput(args, source: Path, folder: Path) -> None:
    stack = Stack(source, folder / "instance")
    stack.start()
    token, stop, created = stack.token(), threading.Event(), []
    for _ in range(2):  # warm-up: the first creates build the indexes and the schema cache
        burst_once = threading.Thread(target=burst, args=(stack, token, random.Random(0), stop, created, False))
        stop.clear()
        burst_once.start()
        time.sleep(0.5)
        stop.set()
        burst_once.join()
    created.clear()
    stop.clear()
    clients = [threading.Thread(target=burst, args=(stack, token, random.Random(n), stop, created, False))
               for n in range(args.clients)]
    elapsed = run_threads(clients, args.seconds, stop)
    stack.stop()
    print(f"POST /api/v1/cases over HTTP, {args.clients} clients, {elapsed:.1f} s: {len(created)} creates, "
          f"{len(created) / elapsed:.0f} creates/s")


def bare_inserts(args, folder: Path) -> None:
    """insert_one of case-sized documents on SecantusDB: without and with the journal flushed at each commit."""
    import pymongo
    from pymongo.write_concern import WriteConcern

    from server.embedded import free_port
    from server.storage.client import ping

    rng = random.Random(args.seed)
    documents = [{"data": case_data(rng)} for _ in range(200)]
    print(f"\nbare insert_one of a case-sized document, {args.clients} threads, {args.seconds:.0f} s each:")
    for sync_on_commit, journal in ((False, False), (False, True), (True, False), (True, True)):
        port = free_port()
        data = tempfile.mkdtemp(dir=folder)
        server = subprocess.Popen([sys.executable, "-m", "secantus", "--host", "127.0.0.1", "--port", str(port),
                                   "--storage-path", data, "--log-level", "ERROR"]
                                  + (["--sync-on-commit"] if sync_on_commit else []),
                                  env={**os.environ, "SECANTUS_FORCE_DURABLE": "1"})
        while not ping(f"mongodb://127.0.0.1:{port}/"):
            time.sleep(0.1)
        client = pymongo.MongoClient(f"mongodb://127.0.0.1:{port}/")
        collection = client.get_database("bench", write_concern=WriteConcern(w=1, j=journal)).cases
        count, stop = [0], threading.Event()

        def insert(n: int) -> None:
            while not stop.is_set():
                collection.insert_one(dict(documents[n % len(documents)]))
                n += 1
                count[0] += 1
        threads = [threading.Thread(target=insert, args=(n,)) for n in range(args.clients)]
        elapsed = run_threads(threads, args.seconds, stop)
        client.close()
        server.terminate()
        server.wait()
        print(f"  --sync-on-commit {'on ' if sync_on_commit else 'off'}, j: {str(journal).lower():5}: "
              f"{count[0] / elapsed:6.0f} inserts/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=None, help="burst length (default 4; 10 with --throughput)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout `abri serve` runs from")
    parser.add_argument("--throughput", action="store_true")
    args = parser.parse_args()
    args.seconds = args.seconds or (10.0 if args.throughput else 4.0)
    header("python bench/crash_durability.py " + " ".join(sys.argv[1:]))
    print(f"# abri serve from {args.source.resolve()}")
    with tempfile.TemporaryDirectory(prefix="abri-crash-") as folder:
        if args.throughput:
            http_throughput(args, args.source.resolve(), Path(folder))
            bare_inserts(args, Path(folder))
        else:
            crash_runs(args, args.source.resolve(), Path(folder))


if __name__ == "__main__":
    main()
