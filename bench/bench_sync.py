"""Field sync at Bénin's scale (issue #16, section 5): 81 tablets back from a week offline sync at the same moment.

    python bench/bench_sync.py [--tablets 81] [--new 15] [--updates 40] [--shared 10] [--clashes 2]
                               [--untouched 10] [--quick] [--keep DIR] [--max-batch 200] [--seed 16]
                               [--timeout 600]

The starting state (made once, kept in DIR with --keep): `abri serve --profile bj` on an instance folder of its
own (the embedded SecantusDB), the 14 GUPS offices of population.py with their supervisors and social workers,
and the tablets spread over the offices, each held by one social worker (a worker holds two only beyond 208
tablets). Each tablet's worker has cases of their own (--updates minus --shared that the tablet will update, and
--untouched more); each tablet shares --shared/2 cases with the next tablet of its office and as many with the
previous one (made by one worker, assigned by the office's supervisor to the other, who stays associated: both
see them). Each tablet has registered itself (POST /devices after a password login) and made a full pull: its
base revisions.

The week offline is the same in both rounds (seeded): each tablet makes --new cases and --updates updates of two
text fields each. Both tablets of a pair change each case they share: on --clashes of those cases one field is set
by both to different values (a conflict expected), on the others they change different fields (a merge expected).

Round 1, the sync API, on a copy of the starting state: all tablets at once (one thread each, a barrier) push their
batch gzipped (POST /sync/records); then, once the writes are SYNC_SETTLE_SECONDS old, all pull until `more` is
false (GET /sync/records, gzip). Round 2, the plain record API, on another copy: the same work one request per
record (POST /cases; GET then PATCH with If-Match, a 412 read again and retried, a field changed since the base to
another value kept aside as a conflict), then each tablet lists what changed since the round began
(GET /cases?updated_since=).

Printed per round and phase: wall time (from the barrier to the last answer), the server's CPU seconds (abri serve
and its SecantusDB child, /proc/<pid>/stat), requests, the database's operations (serverStatus opcounters), bytes
of the bodies up and down as on the wire (compressed); then the checks: cases duplicated (the count against what
was made; and one tablet's batch pushed again must change nothing), planted edits lost (each value is on the record
or in a reported conflict), conflicts reported against planted, what the writes answered, and whether each tablet's
copy (base + what it pulled) holds the server's revisions. Last, the ratios sync/plain. Anything the server
answers that the scenario does not expect is listed at the end with the request: it is a finding, the bench does
not work around it.
"""
from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from common import header
import population
from bench_scale import commit, log_in, make_staff, operator_context
from scale_driver import Client, Serve

MARKER = "bench-sync.json"  # in a starting-state folder: its parameters and the tablets (credentials, bases)
SETTLE = 10  # SYNC_SETTLE_SECONDS: abri serve runs with its defaults (scale_driver.Serve passes no ABRI_* setting)
PAGE = 200  # per_page of the pulls (SYNC_PAGE_SIZE)
SYNC, PLAIN = "sync API", "plain record API"
EDITED = ("address_current", "name_nickname", "family_situation", "child_wellbeing_health",
          "child_wellbeing_education", "child_wellbeing_family", "child_wellbeing_safety", "child_views")
NOTES = ("Visite à domicile : l'enfant va mieux", "Entretien avec la mère au GUPS", "Référé au centre de santé",
         "Inscription à l'école confirmée", "L'enfant dort chez sa tante depuis lundi", "Suivi psychosocial commencé",
         "Le père est revenu au domicile", "Rendez-vous manqué, nouvelle visite prévue")
SHOWN_PROBLEMS = 12


# The tablets and their week -----------------------------------------------------------------------------------

@dataclass
class Tablet:
    """A field tablet: its worker, office, device, the cases it starts with, and what its full pull gave it."""

    number: int
    user_name: str
    office_code: str
    device_id: str
    next_number: int  # the office's next tablet: it shares `given` with it (and the previous one's with its own)
    own: list[str] = field(default_factory=list)
    given: list[str] = field(default_factory=list)
    credential: str = ""
    token: str = ""
    base: dict[str, dict] = field(default_factory=dict)  # record id -> {"revision", "values" of EDITED}

    @property
    def office(self) -> population.Office:
        return next(office for office in population.offices() if office.code == self.office_code)

    @property
    def label(self) -> str:
        return f"tablette {self.number:02d}"


def place_tablets(count: int, args) -> list[Tablet]:
    """Spread the tablets over the offices (at least two per office, so each has a neighbour), one worker each."""
    offices = population.offices()[:max(1, min(len(population.OFFICES), count // 2))]
    rng = random.Random(args.seed)
    by_office: dict[str, list[int]] = {}
    tablets = []
    for index in range(count):
        office = offices[index % len(offices)]
        rank = index // len(offices)
        tablets.append(Tablet(index + 1, office.workers[rank % len(office.workers)], office.code,
                              str(uuid.UUID(int=rng.getrandbits(128), version=4)), 0))
        by_office.setdefault(office.code, []).append(index + 1)
    for numbers in by_office.values():
        for position, number in enumerate(numbers):
            tablets[number - 1].next_number = numbers[(position + 1) % len(numbers)]
    new_id = lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))  # noqa: E731
    for tablet in tablets:
        tablet.own = [new_id() for _ in range(args.updates - args.shared + args.untouched)]
        tablet.given = [new_id() for _ in range(args.shared // 2)]
    return tablets


@dataclass
class Edit:
    record_id: str
    change_id: str
    base_revision: int
    values: dict[str, str]


@dataclass
class Week:
    """What one tablet did offline: cases made (id, data) and edits of cases it held."""

    creates: list[tuple[str, dict]] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)


def plan_week(tablets: list[Tablet], args) -> tuple[list[Week], set[tuple[str, str]]]:
    """Each tablet's week, and the (case, field) pairs that two tablets set to different values (the clashes)."""
    rng = random.Random(args.seed + 1)
    weeks = [Week() for _ in tablets]
    clashes: set[tuple[str, str]] = set()

    def edit(tablet: Tablet, record_id: str, names: list[str]) -> Edit:
        return Edit(record_id, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    tablet.base[record_id]["revision"], {name: written(name, tablet, rng) for name in names})

    for tablet, week in zip(tablets, weeks):
        week.creates = [(str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                         population.case_data(rng, tablet.office, date.today())) for _ in range(args.new)]
        week.edits = [edit(tablet, record_id, rng.sample(EDITED, 2))
                      for record_id in tablet.own[:args.updates - args.shared]]
    for tablet in tablets:
        partner = tablets[tablet.next_number - 1]
        for position, record_id in enumerate(tablet.given):
            if position < args.clashes:
                same, one, another = rng.sample(EDITED, 3)
                names, other = [same, one], [same, another]
                clashes.add((record_id, same))
            else:
                four = rng.sample(EDITED, 4)
                names, other = four[:2], four[2:]
            weeks[tablet.number - 1].edits.append(edit(tablet, record_id, names))
            weeks[partner.number - 1].edits.append(edit(partner, record_id, other))
    for week in weeks:
        rng.shuffle(week.edits)
    return weeks, clashes


def written(name: str, tablet: Tablet, rng: random.Random) -> str:
    """A value a tablet writes: never a base value, never what another tablet writes (its label is in it)."""
    tag = f"{tablet.label}, {rng.randrange(1000):03d}"
    if name == "address_current":
        return f"Quartier {population.last_name(rng)}, maison {population.last_name(rng)}, {tablet.office.name} ({tag})"
    if name == "name_nickname":
        return f"{population.first_name(rng)} ({tag})"
    return f"{rng.choice(NOTES)} ({tag})"


def push_items(week: Week) -> list[dict]:
    return ([{"op": "create", "record_type": "case", "id": record_id, "data": data} for record_id, data in week.creates]
            + [{"op": "update", "record_type": "case", "id": edit.record_id, "change_id": edit.change_id,
                "base_revision": edit.base_revision, "data": edit.values} for edit in week.edits])


# HTTP ------------------------------------------------------------------------------------------------------------

class Wire(Client):
    """A Client that sends bytes as they are (a gzipped body), accepts gzip, and counts requests and body bytes both
    ways as they cross the wire; answers come back unpacked."""

    def __init__(self, port: int, token: str | None = None, timeout: float = 600) -> None:
        super().__init__(port, token, timeout)
        self.requests = self.sent = self.received = 0

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        payload = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", "Accept-Encoding": "gzip", **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        try:
            self.connection.request(method, path, payload, sent)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        self.requests += 1
        self.sent += len(payload or b"")
        self.received += len(raw)
        answered = {name.lower(): value for name, value in response.getheaders()}
        return response.status, answered, gzip.decompress(raw) if answered.get("content-encoding") == "gzip" else raw


class Problems:
    """Answers the scenario does not expect (thread-safe): each with its request, kept for the end of the output."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.lock = threading.Lock()

    def add(self, text: str) -> None:
        with self.lock:
            self.found.append(text)

    def answer(self, where: str, method: str, path: str, status: int, raw: bytes, sent: Any = None) -> None:
        body = f" body {json.dumps(sent, ensure_ascii=False)[:400]}" if sent is not None else ""
        self.add(f"{where}: {method} {path}{body} -> {status} {raw[:600].decode(errors='replace')}")


def pull_all(client: Wire, token: str, problems: Problems, where: str) -> tuple[list[dict], str]:
    """GET /sync/records from `token` until `more` is false: the items and the last token."""
    items = []
    while True:
        path = "/api/v1/sync/records?" + urlencode({"per_page": PAGE, **({"token": token} if token else {})})
        status, _, raw = client.request("GET", path)
        if status != 200:
            problems.answer(where, "GET", path, status, raw)
            return items, token
        body = json.loads(raw)
        items += body["data"]
        token = body["meta"]["next_token"]
        if not body["meta"]["more"]:
            return items, token


def in_threads(count: int, work: Callable[[int], Any], threads: int = 8) -> list[Any]:
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, range(count)))


# The starting state -------------------------------------------------------------------------------------------

def load_cases(ctx, tablets: list[Tablet], rng: random.Random) -> int:
    """Each tablet's cases before the week, made with the record engine; the shared ones assigned to the partner
    by the office's supervisor (the maker stays associated). Returns how many cases."""
    from server.auth import accounts
    from server.auth.permissions import principal_from_role
    from server.records import service as engine
    from server.records.actor import Actor
    from server.services.records import CASE
    from server.storage import records as store

    config, db, now, principals = ctx.config, ctx.db, datetime.now(timezone.utc), {}

    def actor(user_name: str, moment: datetime) -> Actor:
        if user_name not in principals:
            user = accounts.get(db, "users", user_name)
            principals[user_name] = principal_from_role(user, config.roles.get(user["role"]))
        return Actor(user_name, moment.replace(microsecond=moment.microsecond // 1000 * 1000), principals[user_name],
                     ctx.settings["OFFICE_CODE"], ctx.settings["DISPLAY_ID_FORMAT"])

    engine.ensure_type_indexes(db, config, CASE.name)
    documents = []
    for tablet in tablets:
        for record_id in tablet.own + tablet.given:
            moment = population.registered_at(rng, now)
            body = {"id": record_id, "data": population.case_data(rng, tablet.office, moment.date())}
            documents.append(engine.new_record(config, CASE, body, actor(tablet.user_name, moment)))
    documents.sort(key=lambda document: document["created_at"])  # the write sequence follows the dates
    for start in range(0, len(documents), 1000):
        store.insert_records(db, CASE.name, documents[start:start + 1000])
    for tablet in tablets:
        partner = tablets[tablet.next_number - 1]
        for record_id in tablet.given if partner.user_name != tablet.user_name else ():
            engine.assign_record(db, config, CASE, record_id, partner.user_name, None,
                                 actor(tablet.office.supervisor, now))
    return len(documents)


def scope_revisions(db, user_name: str) -> dict[str, int]:
    """The cases a social worker (own scope) sees, with their revisions, read from the database."""
    found = db.case.find({"$or": [{"owned_by": user_name}, {"associated_user_names": user_name}],
                          "record_state": True}, {"revision": 1})
    return {record["_id"]: record["revision"] for record in found}


def register_and_pull(serve: Serve, tablets: list[Tablet], db, loaded: float, problems: Problems) -> None:
    """Each tablet: a password login, POST /devices, then a full pull with its credential (once the cases written
    at `loaded`, a time.monotonic(), are old enough to be pulled)."""
    def register(index: int) -> None:
        tablet = tablets[index]
        client = Wire(serve.port, log_in(serve.port, tablet.user_name))
        body = {"data": {"id": tablet.device_id, "name": f"Tablette {tablet.number:02d} ({tablet.office.name})"}}
        status, _, raw = client.request("POST", "/api/v1/devices", body)
        if status != 201:
            raise RuntimeError(f"POST /api/v1/devices {body} -> {status} {raw[:500]!r}")
        tablet.credential = json.loads(raw)["data"]["credential"]

    in_threads(len(tablets), register)
    time.sleep(max(0.0, loaded + SETTLE + 1 - time.monotonic()))  # a pull gives writes once SETTLE seconds old

    def full_pull(index: int) -> None:
        tablet = tablets[index]
        items, tablet.token = pull_all(Wire(serve.port, tablet.credential), "", problems, f"full pull, {tablet.label}")
        tablet.base = {item["id"]: {"revision": item["revision"],
                                    "values": {name: item["record"]["data"].get(name) for name in EDITED}}
                       for item in items if not item.get("deleted")}

    in_threads(len(tablets), full_pull)
    for tablet in tablets:
        expected = scope_revisions(db, tablet.user_name)
        held = {record_id: base["revision"] for record_id, base in tablet.base.items()}
        if held != expected:
            problems.add(f"full pull of {tablet.label} ({tablet.user_name}): {len(held)} records, the database has "
                         f"{len(expected)} in the user's scope; differing ids (first 5): "
                         f"{sorted(set(held.items()) ^ set(expected.items()))[:5]}")


def check_writable(serve: Serve, tablet: Tablet) -> None:
    """The fields the week edits exist and the social worker's role writes them (the bundle's permissions)."""
    status, body = Wire(serve.port, tablet.credential).json("GET", "/api/v1/sync/bundle?locale=fr")
    if status != 200:
        raise RuntimeError(f"GET /api/v1/sync/bundle?locale=fr -> {status} {body}")
    writable = body["data"]["permissions"]["records"]["case"]["writable_fields"]
    missing = [name for name in EDITED if writable is not None and name not in writable]
    if missing:
        raise SystemExit(f"the bench edits fields a social worker may not write: {missing}; change EDITED")


def prepare(folder: Path, args, problems: Problems) -> list[Tablet]:
    """Make (or reuse, with --keep) the starting state in `folder`; return the tablets as they are in it."""
    import pymongo

    marker = folder / MARKER
    wanted = {name: getattr(args, name) for name in ("tablets", "updates", "shared", "untouched", "seed")}
    if marker.exists():
        kept = json.loads(marker.read_text())
        if kept["parameters"] == wanted:
            print(f"Reusing the starting state in {folder} (made at {kept['commit']})")
            return [Tablet(**tablet) for tablet in kept["tablets"]]
        raise SystemExit(f"{folder} holds a starting state for {kept['parameters']}: choose another --keep folder")
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted preparation
    folder.mkdir(parents=True)
    tablets = place_tablets(args.tablets, args)
    serve = Serve(folder, args.profile, population.PASSWORD)
    began = time.monotonic()
    serve.start()  # the first start publishes the configuration
    serve.stop()
    rng = random.Random(args.seed)
    with operator_context(folder) as ctx:
        make_staff(ctx, rng)
        cases = load_cases(ctx, tablets, rng)
    loaded = time.monotonic()
    serve.start()
    try:
        client = pymongo.MongoClient((folder / "embedded-db.uri").read_text().strip(), tz_aware=True)
        register_and_pull(serve, tablets, client[os.environ.get("ABRI_MONGO_DB_NAME", "abri")], loaded, problems)
        client.close()
        check_writable(serve, tablets[0])
    finally:
        serve.stop()
    print(f"Starting state: {len(population.offices()) + len(population.workers())} users, {cases:,} cases, loaded in "
          f"{loaded - began:.0f} s; {len(tablets)} devices registered and fully pulled in "
          f"{time.monotonic() - loaded:.0f} s (the pulls once the cases were {SETTLE} s old)")
    marker.write_text(json.dumps({"parameters": wanted, "commit": commit(),
                                  "tablets": [asdict(tablet) for tablet in tablets]}))
    return tablets


# The rounds ----------------------------------------------------------------------------------------------------

@dataclass
class Phase:
    wall: float = 0.0
    cpu: float = 0.0
    requests: int = 0
    up: int = 0
    down: int = 0
    database_cpu: float = 0.0  # of `cpu`: the SecantusDB process's
    operations: int = 0  # the database's opcounters (serverStatus): inserts, queries, updates, getmores, commands
    each: list[float] = field(default_factory=list)  # seconds each tablet took

    def spread(self) -> str:
        if not self.each:
            return ""
        ordered = sorted(self.each)
        return f" | a tablet: p50 {ordered[len(ordered) // 2]:.1f} s, max {ordered[-1]:.1f} s"


@dataclass
class Round:
    """One way of doing the week's work: its phases, what the writes answered, the conflicts reported, what each
    tablet holds after its pull (record id -> revision), and the planted work it was given."""

    name: str
    phases: dict[str, Phase] = field(default_factory=dict)
    statuses: Counter = field(default_factory=Counter)
    conflicts: dict[tuple[str, str], list] = field(default_factory=dict)  # (case, field) -> the values kept aside
    held: list[dict[str, int]] = field(default_factory=list)
    retries: int = 0
    checks: list[str] = field(default_factory=list)
    note: str = ""

    def total(self) -> Phase:
        return Phase(**{name: sum(getattr(phase, name) for phase in self.phases.values())
                        for name in ("wall", "cpu", "requests", "up", "down", "database_cpu", "operations")})


def cpu_seconds(serve: Serve) -> tuple[float, float]:
    """User and system CPU seconds so far of abri serve and of its SecantusDB child."""
    spent = []
    for pid in (serve.process.pid, serve.database_pid()):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        spent.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))  # utime, stime
    return spent[0], spent[1]


def operations(db) -> int:
    """The database's operations so far (serverStatus opcounters; reading them counts one command)."""
    return sum(db.client.admin.command("serverStatus")["opcounters"].values())


def run_phase(serve: Serve, db, clients: list[Wire], work: Callable[[int], Any]) -> tuple[Phase, list[Any]]:
    """Run work(i) for every tablet in its own thread, all released by one barrier once the server is idle."""
    serve.settle()
    counted = [(client.requests, client.sent, client.received) for client in clients]
    barrier = threading.Barrier(len(clients) + 1)
    outcomes: list[Any] = [None] * len(clients)
    took = [0.0] * len(clients)

    def run(index: int) -> None:
        barrier.wait()
        began = time.perf_counter()
        try:
            outcomes[index] = work(index)
        except BaseException as error:  # noqa: BLE001 (raised again below, in the main thread)
            outcomes[index] = error
        took[index] = time.perf_counter() - began

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(len(clients))]
    for thread in threads:
        thread.start()
    cpu, counted_operations = cpu_seconds(serve), operations(db)
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    after = cpu_seconds(serve)
    phase = Phase(time.perf_counter() - began, sum(after) - sum(cpu), database_cpu=after[1] - cpu[1],
                  operations=operations(db) - counted_operations - 1, each=took)
    for client, (requests, sent, received) in zip(clients, counted):
        phase.requests += client.requests - requests
        phase.up += client.sent - sent
        phase.down += client.received - received
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return phase, outcomes


def sync_round(serve: Serve, tablets: list[Tablet], weeks: list[Week], args, problems: Problems,
               db) -> Round:
    """Push every tablet's week at once (gzipped batches), then pull until nothing more; then the resend check."""
    done = Round(SYNC)
    clients = [Wire(serve.port, tablet.credential, args.timeout) for tablet in tablets]
    batches = [[gzip.compress(json.dumps({"data": items[start:start + args.max_batch]}).encode())
                for start in range(0, len(items), args.max_batch)] for items in map(push_items, weeks)]

    def push(index: int) -> list[dict]:
        answers = []
        for body in batches[index]:
            status, _, raw = clients[index].request("POST", "/api/v1/sync/records", body, {"Content-Encoding": "gzip"})
            if status != 200:
                problems.answer(f"push, {tablets[index].label}", "POST", "/api/v1/sync/records", status, raw,
                                json.loads(gzip.decompress(body))["data"][:2])
                continue
            answers += json.loads(raw)["data"]
        return answers

    done.phases["push"], answers = run_phase(serve, db, clients, push)
    pushed = time.monotonic()
    for index, results in enumerate(answers):
        for result in results:
            done.statuses[result["status"]] += 1
            if result["status"] == "refused":
                problems.add(f"push, {tablets[index].label}: item {result['id']} refused: {result.get('error')}")
            for name, sides in (result.get("conflict") or {}).get("fields", {}).items():
                done.conflicts.setdefault((result["id"], name), []).append(sides.get("mine"))
    time.sleep(max(0.0, pushed + SETTLE + 1 - time.monotonic()))  # a pull gives writes once SETTLE seconds old

    def pull(index: int) -> list[dict]:
        return pull_all(clients[index], tablets[index].token, problems, f"pull, {tablets[index].label}")[0]

    done.phases["pull"], pulled = run_phase(serve, db, clients, pull)
    done.note = (f"the pull began {time.monotonic() - pushed - done.phases['pull'].wall:.0f} s after the last push "
                 f"answered (a pull gives writes once SYNC_SETTLE_SECONDS = {SETTLE} s old)")
    for tablet, items in zip(tablets, pulled):
        held = {record_id: base["revision"] for record_id, base in tablet.base.items()}
        for item in items:
            if item.get("deleted"):
                held.pop(item["id"], None)
            else:
                held[item["id"]] = item["revision"]
        done.held.append(held)
    listed = set()
    for tablet in tablets:
        status, body = Wire(serve.port, tablet.credential).json("GET", "/api/v1/sync/conflicts")
        if status != 200:
            problems.answer(f"conflicts, {tablet.label}", "GET", "/api/v1/sync/conflicts", status,
                            json.dumps(body).encode())
            continue
        listed |= {(conflict["record_id"], name) for conflict in body["data"] for name in conflict["fields"]}
    done.checks.append(f"GET /sync/conflicts (every tablet, together): {len(listed)} fields in conflict, "
                       f"{len(listed ^ set(done.conflicts))} differ from the push answers")
    done.checks.append(resend(serve, tablets[0], batches[0], answers[0], db, problems))
    return done


def resend(serve: Serve, tablet: Tablet, batch: list[bytes], first: list[dict], db, problems: Problems) -> str:
    """Push one tablet's batch again, as a tablet whose answer was lost would: nothing may change."""
    touched = [result["id"] for result in first]

    def state() -> tuple[int, int, dict[str, int]]:
        revisions = db.case.find({"_id": {"$in": touched}}, {"revision": 1})
        return (db.case.count_documents({}), db.record_conflicts.count_documents({}),
                {record["_id"]: record["revision"] for record in revisions})

    before = state()
    client, again = Wire(serve.port, tablet.credential), []
    for body in batch:
        status, _, raw = client.request("POST", "/api/v1/sync/records", body, {"Content-Encoding": "gzip"})
        if status != 200:
            problems.answer(f"resend, {tablet.label}", "POST", "/api/v1/sync/records", status, raw)
            return f"resend of {tablet.label}'s batch: refused ({status})"
        again += json.loads(raw)["data"]
    after = state()
    same = sum(1 for one, two in zip(first, again) if (one["id"], one["status"]) == (two["id"], two["status"]))
    for one, two in zip(first, again):
        if (one["id"], one["status"]) != (two["id"], two["status"]):
            problems.add(f"resend, {tablet.label}: item {one['id']} answered {one['status']} the first time, "
                         f"{two['status']} again ({two.get('error') or ''})")
    changed = sum(1 for record_id, revision in after[2].items() if before[2].get(record_id) != revision)
    if after[0] != before[0] or after[1] != before[1] or changed:
        problems.add(f"resend, {tablet.label}: cases {before[0]} -> {after[0]}, conflicts {before[1]} -> {after[1]}, "
                     f"{changed} revisions changed")
    return (f"resend of {tablet.label}'s batch ({len(first)} items): same answers {same}/{len(first)}, cases "
            f"created {after[0] - before[0]}, conflicts added {after[1] - before[1]}, revisions changed {changed}")


def plain_round(serve: Serve, tablets: list[Tablet], weeks: list[Week], args, problems: Problems, db) -> Round:
    """The same week through the record API: one request per create, GET + PATCH (If-Match) per update, then a
    list of what changed since the round began."""
    done = Round(PLAIN)
    clients = [Wire(serve.port, tablet.credential, args.timeout) for tablet in tablets]
    lock = threading.Lock()
    since = (datetime.now(timezone.utc) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def write(index: int) -> None:
        client, tablet, week = clients[index], tablets[index], weeks[index]
        for record_id, data in week.creates:
            status, _, raw = client.request("POST", "/api/v1/cases", {"id": record_id, "data": data})
            outcome = "created" if status == 201 else "refused"
            if status != 201:
                problems.answer(f"plain create, {tablet.label}", "POST", "/api/v1/cases", status, raw)
            with lock:
                done.statuses[outcome] += 1
        for edit in week.edits:
            outcome, kept, retries = update(client, tablet, edit)
            with lock:
                done.statuses[outcome] += 1
                done.retries += retries
                for name, mine in kept.items():
                    done.conflicts.setdefault((edit.record_id, name), []).append(mine)

    def update(client: Wire, tablet: Tablet, edit: Edit) -> tuple[str, dict, int]:
        """Read, keep aside the fields changed since the base to another value, PATCH the rest; 412: again."""
        path = f"/api/v1/cases/{edit.record_id}"
        base = tablet.base[edit.record_id]["values"]
        for attempt in range(10):
            status, _, raw = client.request("GET", path)
            if status != 200:
                problems.answer(f"plain read, {tablet.label}", "GET", path, status, raw)
                return "refused", {}, attempt
            record = json.loads(raw)["data"]
            kept = {name: mine for name, mine in edit.values.items()
                    if record["data"].get(name) not in (base.get(name), mine)}
            patch = {name: mine for name, mine in edit.values.items() if name not in kept}
            if not patch:
                return "conflict", kept, attempt
            status, _, raw = client.request("PATCH", path, {"data": patch}, {"If-Match": f'"{record["revision"]}"'})
            if status == 412:
                continue
            if status != 200:
                problems.answer(f"plain update, {tablet.label}", "PATCH", path, status, raw, {"data": patch})
                return "refused", {}, attempt
            return ("conflict" if kept else "updated" if record["revision"] == edit.base_revision else "merged",
                    kept, attempt)
        problems.add(f"plain update, {tablet.label}: PATCH {path} answered 412 ten times")
        return "refused", {}, 10

    done.phases["push"], _ = run_phase(serve, db, clients, write)

    def pull(index: int) -> dict[str, int]:
        held = {record_id: base["revision"] for record_id, base in tablets[index].base.items()}
        arguments = {"updated_since": since, "per_page": PAGE}
        while True:
            path = "/api/v1/cases?" + urlencode(arguments)
            status, _, raw = clients[index].request("GET", path)
            if status != 200:
                problems.answer(f"plain list, {tablets[index].label}", "GET", path, status, raw)
                return held
            body = json.loads(raw)
            held.update({record["id"]: record["revision"] for record in body["data"]})
            if not body["meta"].get("next_cursor"):
                return held
            arguments = {"updated_since": since, "per_page": PAGE, "cursor": body["meta"]["next_cursor"]}

    done.phases["pull"], done.held = run_phase(serve, db, clients, pull)
    return done


# Checks ----------------------------------------------------------------------------------------------------------

def check_round(done: Round, db, tablets: list[Tablet], weeks: list[Week], clashes: set, expected_cases: int,
                problems: Problems) -> None:
    """Duplicates, lost edits, conflicts against planted, and whether each tablet holds the server's revisions."""
    made = [record_id for week in weeks for record_id, _ in week.creates]
    count, found = db.case.count_documents({}), db.case.count_documents({"_id": {"$in": made}})
    done.checks.insert(0, f"duplicates: {count - expected_cases} ({count:,} cases, {expected_cases:,} expected; "
                          f"{found:,} of the {len(made):,} made found)")
    records = {record["_id"]: record for record in db.case.find(
        {"_id": {"$in": [edit.record_id for week in weeks for edit in week.edits]}}, {"data": 1, "revision": 1})}
    on_record = in_conflict = lost = 0
    for tablet, week in zip(tablets, weeks):
        for edit in week.edits:
            for name, value in edit.values.items():
                if records[edit.record_id]["data"].get(name) == value:
                    on_record += 1
                elif value in done.conflicts.get((edit.record_id, name), ()):
                    in_conflict += 1
                else:
                    lost += 1
                    problems.add(f"{done.name}: {tablet.label}'s edit {name}={value!r} of case {edit.record_id} "
                                 f"(base revision {edit.base_revision}) is neither on the record (revision "
                                 f"{records[edit.record_id]['revision']}, {name}="
                                 f"{records[edit.record_id]['data'].get(name)!r}) nor in a reported conflict")
    done.checks.append(f"edits lost: {lost} of {on_record + in_conflict + lost:,} ({on_record:,} on the records, "
                       f"{in_conflict} in a reported conflict)")
    reported = set(done.conflicts)
    done.checks.append(f"conflicts reported {len(reported)} / planted {len(clashes)} (unexpected "
                       f"{len(reported - clashes)}, missing {len(clashes - reported)})")
    for record_id, name in sorted(reported ^ clashes)[:SHOWN_PROBLEMS]:
        problems.add(f"{done.name}: conflict on case {record_id}, field {name}: "
                     f"{'reported, not planted' if (record_id, name) in reported else 'planted, not reported'}")
    up_to_date = 0
    for tablet, held in zip(tablets, done.held):
        server = scope_revisions(db, tablet.user_name)
        if held == server:
            up_to_date += 1
        else:
            stale = sorted(record_id for record_id in set(held) | set(server) if held.get(record_id) != server.get(
                record_id))
            problems.add(f"{done.name}: after its pull, {tablet.label} ({tablet.user_name}) differs from the server on "
                         f"{len(stale)} cases, e.g. {[(r, held.get(r), server.get(r)) for r in stale[:3]]} "
                         "(case, revision held, revision on the server)")
    done.checks.append(f"tablets holding the server's revisions after their pull: {up_to_date}/{len(tablets)}")


def expected_statuses(args, tablets: int) -> Counter:
    pairs = tablets * min(args.clashes, args.shared // 2)
    return Counter(created=tablets * args.new, updated=tablets * (args.updates - args.shared + args.shared // 2),
                   merged=tablets * (args.shared // 2) - pairs, conflict=pairs)


# Output ----------------------------------------------------------------------------------------------------------

def size(count: float) -> str:
    return f"{count / 1e6:.2f} MB" if count >= 1e6 else f"{count / 1e3:.1f} kB"


def print_round(done: Round, expected: Counter) -> None:
    print(f"\n{done.name}" + (f": {done.note}" if done.note else ""))
    for name, phase in [*done.phases.items(), ("total", done.total())]:
        print(f"  {name:<6} wall {phase.wall:6.1f} s | server CPU {phase.cpu:6.1f} s (database "
              f"{phase.database_cpu:5.1f}) | requests {phase.requests:>6,} | database operations "
              f"{phase.operations:>7,} | up {size(phase.up):>9} | down {size(phase.down):>9}{phase.spread()}")
    shown = ", ".join(f"{status} {done.statuses[status]:,} ({expected[status]:,})"
                      for status in dict.fromkeys([*expected, *done.statuses]))
    print(f"  answers (expected): {shown}" + (f"; 412 read again and retried: {done.retries}"
                                             if done.name == PLAIN else ""))
    for check in done.checks:
        print(f"  {check}")


def ratio(one: float, other: float) -> str:
    return f"{one / other:.2f}" if other else "–"


def print_ratios(sync: Round, plain: Round) -> None:
    print("\nsync/plain (below 1: the sync API costs less)")
    for name in ("push", "pull", "total"):
        one = sync.total() if name == "total" else sync.phases[name]
        other = plain.total() if name == "total" else plain.phases[name]
        print(f"  {name:<6} wall {ratio(one.wall, other.wall)} | server CPU {ratio(one.cpu, other.cpu)} (database "
              f"{ratio(one.database_cpu, other.database_cpu)}) | requests {ratio(one.requests, other.requests)} | "
              f"database operations {ratio(one.operations, other.operations)} | up "
              f"{ratio(one.up, other.up)} | down {ratio(one.down, other.down)} | up+down "
              f"{ratio(one.up + one.down, other.up + other.down)}")


def describe_tablets(tablets: list[Tablet], args) -> str:
    per_office = Counter(tablet.office_code for tablet in tablets)
    holders = Counter(tablet.user_name for tablet in tablets)
    doubled = [name for name, count in holders.items() if count > 1]
    pairs = len(tablets) * min(args.clashes, args.shared // 2)
    offices = ", ".join(f"{code} {count}" for code, count in per_office.items())
    return (f"{len(tablets)} tablets in {len(per_office)} offices ({offices}), "
            f"{'one social worker each' if not doubled else f'{len(doubled)} social workers hold two: {doubled}'}. "
            f"A week offline per tablet: {args.new} new cases, {args.updates} updates of two fields "
            f"({args.updates - args.shared} of its own cases; {args.shared} shared with the office's next and previous "
            f"tablets, {min(args.clashes, args.shared // 2)} same-field clashes per pair: {pairs} conflicts planted)")


# Main ------------------------------------------------------------------------------------------------------------

def measure(name: str, start: Path, copy: Path, args, tablets: list[Tablet], weeks: list[Week], clashes: set,
            expected_cases: int, problems: Problems) -> Round:
    """One round on a fresh copy of the starting state, with its checks."""
    import pymongo

    shutil.copytree(start, copy, symlinks=True, ignore=shutil.ignore_patterns(MARKER))
    serve = Serve(copy, args.profile, population.PASSWORD)
    print(f"{name}: abri serve answers after {serve.start():.1f} s (port {serve.port}); load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    client = pymongo.MongoClient((copy / "embedded-db.uri").read_text().strip(), tz_aware=True)
    try:
        db = client[os.environ.get("ABRI_MONGO_DB_NAME", "abri")]
        if name == SYNC:
            done = sync_round(serve, tablets, weeks, args, problems, db)
        else:
            done = plain_round(serve, tablets, weeks, args, problems, db)
        check_round(done, db, tablets, weeks, clashes, expected_cases, problems)
    finally:
        client.close()
        serve.stop()
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tablets", type=int, default=81)
    parser.add_argument("--new", type=int, default=15, help="cases each tablet makes offline")
    parser.add_argument("--updates", type=int, default=40, help="updates each tablet makes offline")
    parser.add_argument("--shared", type=int, default=10, help="of the updates, to cases another tablet changes too")
    parser.add_argument("--clashes", type=int, default=2,
                        help="per pair of tablets, shared cases where both set one field to different values")
    parser.add_argument("--untouched", type=int, default=10, help="more cases each worker holds, not updated")
    parser.add_argument("--quick", action="store_true", help="8 tablets (4 offices), to try the bench")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the starting state in DIR")
    parser.add_argument("--max-batch", type=int, default=200, help="items per push (SYNC_MAX_BATCH)")
    parser.add_argument("--profile", default="bj")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=600, help="seconds a request may take")
    args = parser.parse_args()
    if args.quick:
        args.tablets = 8
    if args.shared % 2 or not 0 <= args.shared <= args.updates or args.tablets < 2:
        parser.error("--shared must be even and at most --updates (half with each neighbour); at least 2 tablets")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop what was started (abri serve, the database) first
    header("python bench/bench_sync.py " + " ".join(sys.argv[1:]))
    print(f"# code: {commit()}")
    problems = Problems()
    with tempfile.TemporaryDirectory(prefix="abri-sync-") as temporary:
        name = f"start-{args.tablets}t-{args.updates}u-{args.shared}s-{args.untouched}k-seed{args.seed}"
        start = (args.keep or Path(temporary)) / name
        tablets = prepare(start, args, problems)
        weeks, clashes = plan_week(tablets, args)
        print(describe_tablets(tablets, args))
        expected_cases = sum(len(tablet.own) + len(tablet.given) for tablet in tablets) + args.tablets * args.new
        rounds = [measure(way, start, Path(temporary) / f"round-{number}", args, tablets, weeks, clashes,
                          expected_cases, problems) for number, way in enumerate((SYNC, PLAIN))]
    expected = expected_statuses(args, len(tablets))
    for done in rounds:
        print_round(done, expected)
    print_ratios(*rounds)
    print(f"\nload average {os.getloadavg()[0]:.1f} (other work on the machine shows here)")
    if problems.found:
        print(f"\nUnexpected answers ({len(problems.found)}; the first {SHOWN_PROBLEMS}):")
        for text in problems.found[:SHOWN_PROBLEMS]:
            print(f"  - {text}")


if __name__ == "__main__":
    main()
