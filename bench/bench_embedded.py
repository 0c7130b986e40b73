"""The embedded database's memory and latency at 100,000 cases, for each server setting measured.

    python bench/bench_embedded.py [--cases 100000] [--threads 10] [--seconds 30] [--seed 1]
                                   [--load-limit 900]
                                   [--variants default,cache-256M,...] [--list]

Each variant starts SecantusDB exactly as `abri serve` does (server/embedded.EmbeddedDatabase: the same
`python -m secantus` command line, --sync-on-commit, --auth, the one user), on a fresh data folder, with
Abri's default flags and then the variant's own. It loads `--cases` realistic case documents (the
envelope Abri writes, `data` from generate.case_data, `_search` tokens, an `_access` list of the
principals who may see the case, an increasing `_seq`) with insert_many and j: true, creates the
indexes first (as Abri does before the first write), then runs for `--seconds` a mix in `--threads`
concurrent threads:

- window: {"_access": K, "_seq": {"$gte": lo, "$lt": hi}} sorted by _seq descending, limit 50, windows of
  200 to 2,000 sequence numbers (K: "*", a social worker, a group or an agency);
- read: find_one by _id;
- write: insert_one of a new case, or update_one of a case ($set, revision + 1, a new _seq), j: true.

It prints, per variant, the load time, p50/p95 (ms) and operations per second of each kind, and the
server process's VmRSS / VmHWM (from /proc/PID/status) after the load and after the mix, and the size
of the data folder. Figures are measured in this run; compare the rows, not the absolute values.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from common import ROOT, header  # noqa: F401  (ROOT puts the checkout on sys.path)
from generate import FIRST, LAST, case_data

import pymongo

from server.config import load_config
from server.embedded import SERVER_ENVIRONMENT, EmbeddedDatabase, server_arguments
from server.records.search import search_tokens
from server.storage import connect
from server.storage.records import ENVELOPE_INDEXES, LEAD_FIELDS

USERS, GROUPS, AGENCIES = 200, 40, 14
DATA_INDEXES = ("sex", "age", "registration_date", "risk_level")
SEARCHABLE = ("name_first", "name_last", "address_current")
BATCH = 1000

GLIBC_ARENAS = str(8 * (os.cpu_count() or 1))  # glibc's own limit on 64-bit machines


@dataclass(frozen=True)
class Variant:
    """One way to run the server: Abri's settings changed, flags added or dropped, process environment."""

    settings: dict = field(default_factory=dict)
    add: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    environment: dict = field(default_factory=dict)


VARIANTS: dict[str, Variant] = {
    "abri": Variant(),  # Abri's defaults (server/embedded.py, server/config.py)
    # How Abri started SecantusDB before: its own defaults (1G cache, a replica set and its oplog, glibc's arenas).
    "secantus-defaults": Variant({"EMBEDDED_CACHE_SIZE": "1G"}, drop=("--standalone",),
                                 environment={"MALLOC_ARENA_MAX": GLIBC_ARENAS}),
    "cache-128M": Variant({"EMBEDDED_CACHE_SIZE": "128M"}),
    "cache-256M": Variant({"EMBEDDED_CACHE_SIZE": "256M"}),
    "cache-512M": Variant({"EMBEDDED_CACHE_SIZE": "512M"}),
    "cache-1G": Variant({"EMBEDDED_CACHE_SIZE": "1G"}),
    "replica-set": Variant(drop=("--standalone",)),  # the oplog kept (SecantusDB's default)
    "oplog-1000": Variant(add=("--oplog-max-entries", "1000", "--oplog-retention-seconds", "60"),
                          drop=("--standalone",)),
    "session-max-100": Variant(add=("--session-max", "100")),
    "arenas-glibc": Variant(environment={"MALLOC_ARENA_MAX": GLIBC_ARENAS}),
    "arenas-2": Variant(environment={"MALLOC_ARENA_MAX": "2"}),
    "trim-128K": Variant(environment={"MALLOC_TRIM_THRESHOLD_": "131072"}),
    "pymalloc-off": Variant(environment={"PYTHONMALLOC": "malloc"}),
    "checkpoint-10s": Variant(environment={"SECANTUS_CHECKPOINT_SECONDS": "10"}),
}


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of process `pid`, in MiB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            figures[name] = int(value.split()[0]) // 1024
    return figures


def folder_size(folder: Path) -> int:
    """Bytes under `folder`, in MiB."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) // (1024 * 1024)


def principals(rng: random.Random) -> tuple[str, list[str]]:
    """The owner of a new case and the principals who may see it (everyone with "*", owner, group, agency)."""
    worker = rng.randrange(USERS)
    owner = f"w{worker}"
    access = ["*", f"user:{owner}", f"group:g{worker % GROUPS}", f"agency:a{worker % AGENCIES}"]
    if rng.random() < 0.2:  # an associated user (a referral, a supervisor)
        access.append(f"user:w{rng.randrange(USERS)}")
    return owner, access


def short_id_of(seq: int) -> str:
    """A 7-character base-36 id, unique per sequence number and scattered like Abri's random ones."""
    number, text = seq * 1_000_003 % 36 ** 7, ""  # 1,000,003 is prime, coprime to 36: a bijection
    for _ in range(7):
        number, digit = divmod(number, 36)
        text += "0123456789abcdefghijklmnopqrstuvwxyz"[digit]
    return text


def case_document(rng: random.Random, seq: int, at: datetime) -> dict:
    """A case as Abri stores it: the envelope, the form data, search tokens, the scope and the sequence."""
    data = case_data(rng)
    owner, access = principals(rng)
    record_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    short_id = short_id_of(seq)
    return {"_id": record_id, "short_id": short_id, "case_id_display": short_id, "module_id": "primeromodule-cp",
            "status": "open", "record_state": True, "created_at": at, "created_by": owner,
            "last_updated_at": at, "last_updated_by": owner, "owned_by": owner,
            "owned_by_agency": access[3].removeprefix("agency:"), "owned_by_groups": [access[2].removeprefix("group:")],
            "associated_user_names": [owner], "revision": 1, "config_version": 1, "data": data, "links": {},
            "_search": search_tokens((name, data.get(name)) for name in SEARCHABLE),
            "_create_hash": uuid.UUID(int=rng.getrandbits(128)).hex, "_access": access, "_seq": seq}


def create_indexes(db) -> None:
    """Abri's record indexes (envelope, filterable data fields) and the scope + sequence ones."""
    db.case.create_index("short_id", unique=True, sparse=True)
    for name in ENVELOPE_INDEXES:
        db.case.create_index(name)
    for name in (*LEAD_FIELDS, *(f"data.{name}" for name in DATA_INDEXES)):
        db.case.create_index([(name, 1), ("_seq", 1)])
    db.case.create_index([("_access", 1), ("_seq", 1)])
    db.case.create_index("_seq", unique=True)


def load(db, cases: int, seed: int, limit: float, pid: int) -> tuple[float, list[str]]:
    """Insert `cases` cases in batches (or as many as `limit` seconds allow); return the seconds and the ids."""
    rng, began, ids = random.Random(seed), time.monotonic(), []
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for first in range(0, cases, BATCH):
        batch = [case_document(rng, seq, start + timedelta(minutes=seq)) for seq in range(first, min(first + BATCH, cases))]
        try:
            with pymongo.timeout(max(1.0, limit - (time.monotonic() - began))):
                db.case.insert_many(batch, ordered=False)
        except pymongo.errors.PyMongoError as error:  # a server that stalls: say so, measure what is there
            print(f"    load stopped at {len(ids)} cases after {time.monotonic() - began:.0f} s: {error!r:.200}",
                  file=sys.stderr)
            break
        ids += [document["_id"] for document in batch]
        elapsed = time.monotonic() - began
        if len(ids) % 20_000 == 0:
            print(f"    {len(ids)} cases in {elapsed:.0f} s, RSS {memory(pid)['VmRSS']} MiB", file=sys.stderr, flush=True)
        if elapsed > limit and len(ids) < cases:
            print(f"    load stopped at {len(ids)} cases after {elapsed:.0f} s (--load-limit)", file=sys.stderr)
            break
    return time.monotonic() - began, ids


class Mix:
    """The concurrent mix of windowed queries, point reads and writes; latencies per kind."""

    def __init__(self, db, ids: list[str], next_seq: int, seed: int) -> None:
        self.db, self.ids, self.rng = db, ids, random.Random(seed)
        self.seq_lock, self.next_seq = threading.Lock(), next_seq
        self.times: dict[str, list[float]] = {"window": [], "read": [], "write": []}
        self.errors = 0

    def new_seq(self) -> int:
        with self.seq_lock:
            self.next_seq += 1
            return self.next_seq

    def window(self, rng: random.Random) -> None:
        key = rng.choice(["*", f"user:w{rng.randrange(USERS)}", f"group:g{rng.randrange(GROUPS)}",
                          f"agency:a{rng.randrange(AGENCIES)}"])
        width = rng.randrange(200, 2001)
        high = rng.randrange(width, self.next_seq + 1)
        list(self.db.case.find({"_access": key, "_seq": {"$gte": high - width, "$lt": high}},
                               {"_search": 0, "_create_hash": 0}).sort("_seq", -1).limit(50))

    def read(self, rng: random.Random) -> None:
        if self.db.case.find_one({"_id": rng.choice(self.ids)}, {"_search": 0, "_create_hash": 0}) is None:
            raise LookupError("a loaded case is missing")

    def write(self, rng: random.Random) -> None:
        if rng.random() < 0.5:
            document = case_document(rng, self.new_seq(), datetime.now(timezone.utc))
            self.db.case.insert_one(document)
            self.ids.append(document["_id"])
        else:
            self.db.case.update_one({"_id": rng.choice(self.ids)},
                                    {"$set": {"data.address_current": f"{rng.randrange(300)} rue {rng.choice(LAST)}",
                                              "data.name_first": rng.choice(FIRST),
                                              "last_updated_at": datetime.now(timezone.utc), "_seq": self.new_seq()},
                                     "$inc": {"revision": 1}})

    def worker(self, seed: int, stop: threading.Event) -> None:
        rng = random.Random(seed)
        actions = [("window", self.window)] * 4 + [("read", self.read)] * 4 + [("write", self.write)] * 2
        while not stop.is_set():
            kind, action = rng.choice(actions)
            began = time.perf_counter()
            try:
                with pymongo.timeout(60):  # a stalled server ends the run as errors, not as a hang
                    action(rng)
            except Exception as error:  # noqa: BLE001  (counted, the run goes on)
                self.errors += 1
                if self.errors <= 3:
                    print(f"    {kind}: {error!r}", file=sys.stderr)
                continue
            self.times[kind].append(time.perf_counter() - began)

    def run(self, threads: int, seconds: float) -> float:
        stop = threading.Event()
        workers = [threading.Thread(target=self.worker, args=(self.rng.random(), stop)) for _ in range(threads)]
        began = time.monotonic()
        for thread in workers:
            thread.start()
        time.sleep(seconds)
        stop.set()
        for thread in workers:
            thread.join()
        return time.monotonic() - began


def percentile(times: list[float], fraction: float) -> float:
    return sorted(times)[max(0, int(len(times) * fraction) - 1)] * 1000 if times else float("nan")


def variant(name: str) -> tuple[list[str], dict[str, str]]:
    """The server's tuning flags and environment for `name`: one of VARIANTS, or several joined with "+"."""
    parts = [VARIANTS[part] for part in name.split("+")]
    settings = {key: value for part in parts for key, value in part.settings.items()}
    dropped = {flag for part in parts for flag in part.drop}
    flags = [flag for flag in server_arguments(load_config(settings)) if flag not in dropped]
    flags += [flag for part in parts for flag in part.add]
    environment = {**SERVER_ENVIRONMENT, **{key: value for part in parts for key, value in part.environment.items()}}
    return flags, environment


def measure(name: str, args, folder: Path) -> dict:
    """Start the server with variant `name` on an empty folder under `folder`, load, run the mix, stop."""
    flags, environment = variant(name)
    data = Path(tempfile.mkdtemp(prefix=f"{name.replace('+', '_')}-", dir=folder)) / "instance" / "db"
    database = EmbeddedDatabase(data, startup_timeout=60, tuning=flags, environment=environment).start()
    try:
        pid = database.process.pid
        db = connect(database.uri, "bench")
        started = memory(pid)
        create_indexes(db)
        load_seconds, ids = load(db, args.cases, args.seed, args.load_limit, pid)
        loaded, cases = memory(pid), len(ids)
        mix = Mix(db, ids, cases, args.seed)
        elapsed = mix.run(args.threads, args.seconds)
        after = memory(pid)
        db.client.close()
        return {"name": name, "command": " ".join(flags), "environment": environment,
                "load": load_seconds, "cases": cases, "started": started, "loaded": loaded, "after": after, "mix": mix,
                "elapsed": elapsed, "disk": folder_size(data)}
    finally:
        database.kill()


def report(row: dict, cases: int) -> None:
    mix, elapsed = row["mix"], row["elapsed"]
    loaded = row["cases"]
    parts = [f"{row['name']:<18} load {loaded}{'' if loaded == cases else ' (stopped)'} in {row['load']:6.1f} s "
             f"({loaded / row['load']:5.0f}/s)"]
    for kind, times in mix.times.items():
        parts.append(f"{kind} p50 {percentile(times, 0.5):6.1f} p95 {percentile(times, 0.95):7.1f} ms "
                     f"{len(times) / elapsed:5.1f}/s")
    parts.append(f"errors {mix.errors}")
    parts.append(f"RSS start {row['started']['VmRSS']} / loaded {row['loaded']['VmRSS']} (HWM {row['loaded']['VmHWM']})"
                 f" / after mix {row['after']['VmRSS']} (HWM {row['after']['VmHWM']}) MiB; disk {row['disk']} MiB")
    print(" | ".join(parts), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--load-limit", type=float, default=900, help="seconds after which a load stops short")
    parser.add_argument("--variants", default="abri,secantus-defaults",
                        help='names from --list, comma-separated; "a+b" combines two')
    parser.add_argument("--list", action="store_true", help="list the variants and exit")
    args = parser.parse_args()
    if args.list:
        for name in VARIANTS:
            flags, environment = variant(name)
            print(f"{name:<18} flags {' '.join(flags)}; environment {environment}")
        return
    header(" ".join(["python bench/bench_embedded.py", *sys.argv[1:]]))
    print(f"# {args.cases} cases, {args.threads} threads, {args.seconds:.0f} s of mix per variant "
          "(window 40%, read by id 40%, insert/update 20%)")
    with tempfile.TemporaryDirectory(prefix="abri-bench-embedded-") as folder:
        for name in args.variants.split(","):
            try:
                row = measure(name, args, Path(folder))
            except Exception as error:  # noqa: BLE001  (one variant failing does not stop the others)
                print(f"{name:<18} failed: {error!r:.300}", flush=True)
                continue
            print(f"# {name}: flags {row['command']}; environment {row['environment'] or '-'}")
            report(row, args.cases)


if __name__ == "__main__":
    main()
