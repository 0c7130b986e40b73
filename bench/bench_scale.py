"""Abri at a country's scale (issue #15): 10k and 100k cases, measured through `abri serve` over HTTP.

    python bench/bench_scale.py [--cases 10000,100000] [--users 10,50] [--seconds 20] [--load bulk|api]
                                [--keep DIR] [--load-only] [--calls 'TEXT;...'] [--source DIR] [--timeout 120]

For each size: an instance folder (a temporary one, or DIR/cases-<size> kept with --keep, so 100k cases are
loaded once), `abri serve --profile bj` started as an operator starts it (embedded SecantusDB, the shipped
configuration), 14 GUPS offices with their supervisors and social workers (bench/population.py) made with
the accounts use cases, and cases registered over two years by those workers, some updated later.
`--load bulk` (default) builds each case with the record engine (records.service.new_record: validated, not
stored) and stores batches with storage.records.insert_records, while `abri serve` is stopped (the embedded
database started here, as the CLI commands start it); `--load api` posts them with 16 clients, each as the
case's owner (slow; works on any version of Abri).

Then each call runs with 10 and 50 concurrent clients (closed loop) for --seconds: p50/p95/p99, requests per
second, errors (anything but 2xx and 304; the first error body is printed), and the embedded database's
memory (VmRSS, VmHWM of the SecantusDB child of `abri serve`). Between calls the bench waits until the
server and the database are idle. Last, for the list calls, API/bare: one client's median time against the
same database commands replayed with plain pymongo (see scale_driver.py).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlencode

from common import ROOT, header
import population
from scale_driver import Call, Client, Result, Serve, bare_commands, drive, median, replay, timed_runs

# Updates go through the record engine one by one (before 593c5c7 each was a findAndModify, which SecantusDB 0.7
# answers by reading the whole collection: 2 s at 100,000 cases, two thirds of a 40-minute load for 0.5 %).
EARLIER_UPDATES = 0.05  # of the cases, updated once at some moment after their registration
RECENT_UPDATES = 2  # per social worker, cases of theirs updated within the last day
MARKER = "bench-scale.json"  # in a loaded instance folder: what it holds
BATCH = 1000


# Loading ---------------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def operator_context(instance: Path):
    """A use-case context as the CLI commands get one: the embedded database of a stopped `abri serve`."""
    from server.app import create_app
    from server.embedded import EmbeddedDatabase
    from server.services.context import command_line_context
    from server.storage import get_db

    database = EmbeddedDatabase(instance / "db").start()
    app = create_app({"MONGO_URI": database.uri, "INSTANCE_PATH": str(instance), "EXPORT_WORKER_THREADS": 0})
    try:
        with app.app_context():
            yield command_line_context(get_db(), app.config)
    finally:
        app.close()
        database.stop()


def make_staff(ctx, rng: random.Random) -> None:
    """The offices (agencies), their teams (user groups), supervisors and social workers, through the use cases."""
    from server.auth.passwords import find_weakness
    from server.services import accounts

    for agency in population.agencies():
        accounts.create_entity(ctx, accounts.AGENCIES, agency)
    for group in population.user_groups():
        accounts.create_entity(ctx, accounts.USER_GROUPS, group)
    for user in population.users(rng):
        while find_weakness(user["password"], (user["user_name"], user["full_name"])):  # a name inside the password
            user["full_name"] = f"{population.first_name(rng)} {population.last_name(rng).upper()}"
        accounts.create_user(ctx, user)


def timeline(size: int, rng: random.Random, now: datetime) -> list[tuple]:
    """Every create and later update, in time order: (moment, "create", owner, office, record id, data) and
    (moment, "update", owner, record id, patch). Time order keeps the records' write order that of their dates."""
    staff = population.workers()
    events, owned = [], {owner: [] for owner, _ in staff}

    def update(moment: datetime, owner: str, office: population.Office, record_id: str) -> tuple:
        patch = {"address_current": f"Quartier {population.last_name(rng)}, {office.name}",
                 "number_of_children_in_household": rng.randrange(1, 8)}
        return moment, "update", owner, record_id, patch

    for _ in range(size):
        owner, office = staff[rng.randrange(len(staff))]
        registered = population.registered_at(rng, now)
        record_id = str(uuid.uuid4())
        events.append((registered, "create", owner, office, record_id,
                       population.case_data(rng, office, registered.date())))
        owned[owner].append((registered, record_id))
        if rng.random() < EARLIER_UPDATES and registered < now - timedelta(days=2):
            later = registered + (now - timedelta(days=1) - registered) * rng.random()
            events.append(update(later, owner, office, record_id))
    for owner, office in staff:
        for _ in range(RECENT_UPDATES if owned[owner] else 0):
            moment = now - timedelta(seconds=rng.randrange(60, 86_400))
            registered, record_id = rng.choice(owned[owner])
            events.append(update(max(moment, registered + timedelta(minutes=1)), owner, office, record_id))
    events.sort(key=lambda event: event[0])
    return events


def load_in_process(ctx, size: int, rng: random.Random) -> str:
    """Store the cases with the record engine: new_record + insert_records in batches, updates one by one."""
    from server.auth import accounts
    from server.auth.permissions import principal_from_role
    from server.records import service as engine
    from server.records.actor import Actor
    from server.services.records import CASE
    from server.storage import records as store

    bulk = hasattr(engine, "new_record") and hasattr(store, "insert_records")
    config, db = ctx.config, ctx.db
    engine.ensure_type_indexes(db, config, CASE.name)
    principals = {}
    for owner, _ in population.workers():
        user = accounts.get(db, "users", owner)
        principals[owner] = principal_from_role(user, config.roles.get(user["role"]))

    def actor(owner: str, moment: datetime) -> Actor:
        return Actor(owner, moment.replace(microsecond=moment.microsecond // 1000 * 1000), principals[owner],
                     ctx.settings["OFFICE_CODE"], ctx.settings["DISPLAY_ID_FORMAT"])

    events = timeline(size, rng, datetime.now(timezone.utc))
    began, done, updating = time.monotonic(), 0, 0.0
    for start in range(0, len(events), BATCH):
        chunk = events[start:start + BATCH]
        creates = [(event[2], event[0], {"id": event[4], "data": event[5]}) for event in chunk if event[1] == "create"]
        if bulk:
            store.insert_records(db, CASE.name, [engine.new_record(config, CASE, body, actor(owner, moment))
                                                 for owner, moment, body in creates])
        else:
            for owner, moment, body in creates:
                engine.create_record(db, config, CASE, body, actor(owner, moment))
        updated = time.monotonic()
        for moment, _, owner, record_id, patch in (event for event in chunk if event[1] == "update"):
            engine.update_record(db, config, CASE, record_id, patch, None, actor(owner, moment))
        updating += time.monotonic() - updated
        done += len(creates)
        if creates and done // 5_000 != (done - len(creates)) // 5_000:
            print(f"  {done:,} cases in {time.monotonic() - began:.0f} s ({updating:.0f} s of it updates)", flush=True)
    updates = sum(1 for event in events if event[1] == "update")
    print(f"  {done:,} cases and {updates:,} updates in {time.monotonic() - began:.0f} s ({updating:.0f} s of it the "
          f"updates: {updating / max(updates, 1):.2f} s each)", flush=True)
    return "bulk (new_record + insert_records)" if bulk else "in process, one create_record each (no new_record yet)"


def load_api(serve: Serve, size: int, rng: random.Random, clients: int = 16) -> str:
    """POST the cases (then PATCH some) with `clients` concurrent clients, each case as its owner."""
    events = timeline(size, rng, datetime.now(timezone.utc))
    tokens = {owner: log_in(serve.port, owner) for owner, _ in population.workers()}
    creates = [event for event in events if event[1] == "create"]
    updates = [event for event in events if event[1] == "update"]
    failures, began, lock = [], time.monotonic(), threading.Lock()
    counter = iter(range(len(events)))

    def work(jobs: list, send) -> None:
        clients_of = {owner: Client(serve.port, token) for owner, token in tokens.items()}
        for job in jobs:
            status, body = send(clients_of[job[2]], job)
            if status not in (200, 201):
                with lock:
                    failures.append(f"{status} {body}")
            done = next(counter)
            if done and done % 5000 == 0:
                print(f"  {done:,} writes in {time.monotonic() - began:.0f} s", flush=True)

    create = lambda client, e: client.json("POST", "/api/v1/cases", {"id": e[4], "data": e[5]})  # noqa: E731
    update = lambda client, e: client.json("PATCH", f"/api/v1/cases/{e[3]}", {"data": e[4]})  # noqa: E731
    for jobs, send in ((creates, create), (updates, update)):
        threads = [threading.Thread(target=work, args=(jobs[i::clients], send)) for i in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} writes refused; first: {failures[0][:500]}")
    return f"api ({clients} clients)"


def prepare(folder: Path, size: int, mode: str, profile: str, seed: int) -> dict:
    """Make (or reuse) an instance folder holding `size` cases; return what its marker says."""
    marker = folder / MARKER
    if marker.exists():
        info = json.loads(marker.read_text())
        print(f"Reusing {folder}: {info}")
        return info
    if folder.exists() and any(folder.iterdir()):
        if not (folder / (MARKER + ".loading")).exists():
            raise SystemExit(f"{folder} holds something that is not a bench instance: choose another --keep folder")
        print(f"{folder}: an interrupted load, started again")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / (MARKER + ".loading")).touch()
    rng = random.Random(seed)
    serve = Serve(folder, profile, population.PASSWORD)
    print(f"First start of abri serve in {folder}: {serve.start():.1f} s")  # publishes the configuration
    serve.stop()
    began = time.monotonic()
    with operator_context(folder) as ctx:
        make_staff(ctx, rng)
        how = load_in_process(ctx, size, rng) if mode == "bulk" else None
    if mode == "api":
        serve.start()
        try:
            how = load_api(serve, size, rng)
        finally:
            serve.stop()
    info = {"cases": size, "load": how, "seconds": round(time.monotonic() - began), "seed": seed,
            "loaded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": commit()}
    print(f"Loaded {size:,} cases ({how}) in {info['seconds']} s")
    marker.write_text(json.dumps(info))
    (folder / (MARKER + ".loading")).unlink()
    return info


# Measuring -------------------------------------------------------------------------------------------------------

def log_in(port: int, user_name: str) -> str:
    status, body = Client(port).json("POST", "/api/v1/tokens",
                                     {"user_name": user_name, "password": population.PASSWORD})
    if status != 201:
        raise RuntimeError(f"login of {user_name} refused: {status} {body}")
    return body["data"]["token"]


def list_call(name: str, who: str, args: dict) -> Call:
    path = "/api/v1/cases?" + urlencode(args)
    return Call(name, who, lambda client, state: ("GET", path, None, {}), list_args=urlencode(args))


def calls(deep_page: int, cursor_path: str | None) -> list[Call]:
    """Every call of the issue's table, in the order they run (reads before the writes that change the data)."""
    def etag_seen(state, status, headers, body):
        state["revisions"][state["last"]] = int(headers["etag"].strip('"'))

    def read(client, state):
        state["last"] = state["rng"].choice(state["ids"])
        return "GET", f"/api/v1/cases/{state['last']}", None, {}

    def sync(client, state):
        since = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return "GET", f"/api/v1/cases?updated_since={since}&per_page=50", None, {}

    def create(client, state):
        office = state["office"]
        data = population.case_data(state["rng"], office, date.today())
        return "POST", "/api/v1/cases", {"id": str(uuid.uuid4()), "data": data}, {}

    def update(client, state):
        state["last"] = record_id = state["rng"].choice(state["ids"])
        patch = {"number_of_children_in_household": state["rng"].randrange(1, 8)}
        return "PATCH", f"/api/v1/cases/{record_id}", {"data": patch}, {"If-Match": f'"{state["revisions"][record_id]}"'}

    found = [
        Call("GET /forms?locale=fr, 304", "worker",
             lambda client, state: ("GET", "/api/v1/forms?locale=fr", None, {"If-None-Match": state["forms_etag"]})),
        Call("GET /cases/<id>", "worker", read),
        list_call("list, system administrator", "admin", {"per_page": 50}),
        list_call("list, case worker (own)", "worker", {"per_page": 50}),
        list_call("list, supervisor (group)", "supervisor", {"per_page": 50}),
        list_call("sex=female", "admin", {"sex": "female", "per_page": 50}),
        list_call("age=10..12", "admin", {"age": "10..12", "per_page": 50}),
        list_call("owned_by=one worker (rare)", "admin", {"owned_by": population.workers()[0][0], "per_page": 50}),
        list_call("status=closed (none)", "admin", {"status": "closed", "per_page": 50}),
        list_call(f"query={population.COMMON_PREFIX} (prefix)", "admin", {"query": population.COMMON_PREFIX, "per_page": 50}),
        list_call(f"query={population.RARE_NAME.lower()} (rare)", "admin", {"query": population.RARE_NAME.lower(), "per_page": 50}),
        list_call("sort=age", "admin", {"sort": "age", "per_page": 50}),
        list_call("sort=age, supervisor (group)", "supervisor", {"sort": "age", "per_page": 50}),
        list_call(f"page={deep_page}", "admin", {"page": deep_page, "per_page": 50}),
    ]
    if deep_page > 20:  # the deepest page number that reaches no further than 1,000 records (RESULT_WINDOW)
        found.append(list_call("page=20", "admin", {"page": 20, "per_page": 50}))
    if cursor_path:
        found.append(Call(f"page {deep_page} by cursor", "admin", lambda client, state: ("GET", cursor_path, None, {})))
    found += [
        Call("sync pull, case worker (updated_since 1 day)", "worker", sync, list_args="updated_since=<1 day ago>"),
        Call("GET /sync/records (first page), case worker", "worker",
             lambda client, state: ("GET", "/api/v1/sync/records?per_page=200", None, {})),
        Call("GET /sync/records (first page), supervisor", "supervisor",
             lambda client, state: ("GET", "/api/v1/sync/records?per_page=200", None, {})),
        Call("GET /sync/records (first page), system administrator", "admin",
             lambda client, state: ("GET", "/api/v1/sync/records?per_page=200", None, {})),
        Call("GET /sync/bundle?locale=fr, 304", "worker",
             lambda client, state: ("GET", "/api/v1/sync/bundle?locale=fr", None,
                                    {"If-None-Match": state.get("bundle_etag", "")})),
        Call("POST /cases", "worker", create),
        Call("PATCH /cases/<id> (If-Match)", "worker", update, seen=etag_seen),
    ]
    return found


def follow_cursors(client: Client, pages: int) -> str | None:
    """The path of page `pages` reached by following next_cursor from the first page (None: no cursors)."""
    path = "/api/v1/cases?per_page=50"
    for _ in range(pages - 1):
        status, body = client.json("GET", path)
        cursor = body.get("meta", {}).get("next_cursor") if status == 200 else None
        if not cursor:
            return None
        path = "/api/v1/cases?" + urlencode({"per_page": 50, "cursor": cursor})
    return path


def client_states(serve: Serve, bare_db, tokens: list[str], seed: int) -> list[dict]:
    """Each worker client's own state: ids of their cases and the revisions, a random generator, the forms ETag."""
    states = []
    for index, ((owner, office), token) in enumerate(zip(population.workers(), tokens)):
        _, headers, _ = Client(serve.port, token).request("GET", "/api/v1/forms?locale=fr")
        _, bundle_headers, _ = Client(serve.port, token).request("GET", "/api/v1/sync/bundle?locale=fr")
        own = list(bare_db.case.find({"owned_by": owner}, {"_id": 1, "revision": 1}).limit(300))
        states.append({"ids": [r["_id"] for r in own], "revisions": {r["_id"]: r["revision"] for r in own},
                       "rng": random.Random(seed + index), "office": office, "forms_etag": headers.get("etag", ""),
                       "bundle_etag": bundle_headers.get("etag", "")})
    return states


def measure(serve: Serve, size: int, args, bare_db) -> list[Result]:
    """Run every call with each number of users; print each result as it comes."""
    users = max(args.users)
    tokens = {"admin": [log_in(serve.port, "admin")] * users,
              "worker": [log_in(serve.port, owner) for owner, _ in population.workers()[:users]],
              "supervisor": [log_in(serve.port, office.supervisor) for office in population.offices()]}
    states = client_states(serve, bare_db, tokens["worker"], args.seed)
    total = bare_db.case.estimated_document_count()
    deep = max(2, min(1000, total // 50))
    cursor_path = follow_cursors(Client(serve.port, tokens["admin"][0], args.timeout), deep)
    results = []
    for call in calls(deep, cursor_path):
        if args.calls and not any(word in call.name for word in args.calls):
            continue
        for count in args.users:
            who = tokens[call.who]
            result = drive(serve.port, call, [who[i % len(who)] for i in range(count)], states[:count],
                           args.seconds, args.timeout, args.think)
            waited = serve.settle()
            result.memory = serve.memory()
            results.append(result)
            print(describe(result, size, waited), flush=True)
    return results


def describe(result: Result, size: int, waited: float) -> str:
    p = [fmt(result.percentile(share)) for share in (0.5, 0.95, 0.99)]
    line = (f"{size:>7,} | {result.call:<45} | {result.users:>2} users | n={len(result.latencies):<5} "
            f"p50 {p[0]} p95 {p[1]} p99 {p[2]} | {result.rps:.1f}/s | errors {result.errors} | "
            f"db {result.memory['db_VmRSS']}/{result.memory['db_VmHWM']} MB, serve {result.memory['serve_VmRSS']} MB"
            f" | settled {waited:.0f} s")
    if result.meta:
        line += f" | meta {json.dumps({k: v for k, v in result.meta.items() if k != 'next_cursor'})}"
    if result.first_error:
        line += f"\n        first error: {result.first_error}"
    return line


def bare_ratios(serve: Serve, args, bare_client) -> dict[str, str]:
    """API/bare for the list calls: one client's median through HTTP against the recorded commands on pymongo."""
    from server.app import create_app
    from server.auth import accounts
    from server.auth.permissions import principal_from_role
    from server.services import records as use_cases
    from server.services.context import Context
    from server.storage import get_db

    uri = (serve.instance / "embedded-db.uri").read_text().strip()
    app = create_app({"MONGO_URI": uri, "INSTANCE_PATH": str(serve.instance), "EXPORT_WORKER_THREADS": 0})
    since = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    worker = population.workers()[0][0]
    ratios = {}
    try:
        with app.app_context():
            db = get_db()
            for call in calls(2, None):
                if call.list_args is None or call.name.startswith(("sort", "page", "list, supervisor")):
                    continue
                if args.calls and not any(word in call.name for word in args.calls):
                    continue
                query = call.list_args.replace("<1 day ago>", since)
                user_name = "admin" if call.who == "admin" else worker
                user = accounts.get(db, "users", user_name)
                ctx = Context(db=db, settings=app.config, user_name=user_name, address="bench",
                              principal=principal_from_role(user, db_config(db).roles.get(user["role"])))
                listing = {k: v for k, v in parse_qs(query).items()}
                commands = bare_commands(lambda: use_cases.list_records(ctx, use_cases.CASE, listing))
                client = Client(serve.port, log_in(serve.port, user_name), args.timeout)
                api = timed_runs(lambda: client.request("GET", f"/api/v1/cases?{query}"), args.bare_repeat, 60)
                bare = timed_runs(lambda: replay(bare_client, commands), args.bare_repeat, 60)
                ratios[call.name] = f"{median(api) / median(bare):.2f}"
                print(f"  {call.name:<45} API {fmt(median(api))}, bare {fmt(median(bare))} ({len(commands)} "
                      f"commands), API/bare {ratios[call.name]}", flush=True)
                serve.settle()
    finally:
        app.close()
    return ratios


def db_config(db):
    from server.metadata.versions import published_configuration
    return published_configuration(db)


# Output ----------------------------------------------------------------------------------------------------------

def fmt(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def latencies(result: Result | None) -> str:
    """p50 / p95 of a run, or why no request got an answer (every one refused or timed out)."""
    if result is None:
        return "–"
    if result.errors and result.errors == len(result.latencies):
        return "no answer (timeouts)" if result.refusal.startswith("0") else f"refused ({result.refusal})"
    return f"{fmt(result.percentile(0.5))} / {fmt(result.percentile(0.95))}"


def table(rows: list[tuple[int, Result | None, Result | None, str]], users: list[int]) -> str:
    low, high = users[0], users[-1]
    lines = [f"| call | cases | p50 / p95, {low} users | p50 / p95, {high} users | requests/s ({low} / {high}) "
             "| errors | DB memory (RSS / peak) | API/bare |", "|---|---|---|---|---|---|---|---|"]
    for size, few, many, ratio in rows:
        result = many or few
        rates = " / ".join(f"{r.rps:.1f}" if r else "–" for r in (few, many))
        errors = sum(r.errors for r in (few, many) if r)
        memory = f"{result.memory['db_VmRSS']:,} / {result.memory['db_VmHWM']:,} MB"
        lines.append(f"| {result.call} | {size:,} | {latencies(few)} | {latencies(many)} | {rates} | {errors} | {memory} "
                     f"| {ratio} |")
    return "\n".join(lines)


def commit(source: Path = ROOT) -> str:
    """The checkout's commit, and how many files of server/ differ from it (a folder without git: its path)."""
    git = lambda *words: subprocess.run(["git", *words], cwd=source, capture_output=True, text=True)  # noqa: E731
    head = git("rev-parse", "--short", "HEAD")
    if head.returncode or Path(git("rev-parse", "--show-toplevel").stdout.strip()) != source.resolve():
        return str(source)
    dirty = git("status", "--porcelain", "--", "server").stdout
    return head.stdout.strip() + (f" + uncommitted changes in {len(dirty.splitlines())} files of server/"
                                  if dirty else "")


def run_size(size: int, args, temporary: Path) -> list[tuple]:
    """Load (or reuse) an instance of `size` cases, start `abri serve` on it, measure; return the table's rows."""
    import pymongo

    folder = (args.keep or temporary) / f"cases-{size}"
    info = prepare(folder, size, args.load, args.profile, args.seed)
    if args.load_only:
        return []
    if args.keep:  # measure on a copy: the kept instance stays as loaded (the calls write, other code may too)
        began = time.monotonic()
        folder = Path(shutil.copytree(folder, temporary / f"copy-{size}", symlinks=True))
        print(f"Copied the instance in {time.monotonic() - began:.0f} s")
    serve = Serve(folder, args.profile, population.PASSWORD, args.source)
    print(f"abri serve{f' from {args.source}' if args.source else ''} answers after {serve.start():.1f} s "
          f"(port {serve.port}); memory {serve.memory()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    ratios: dict[str, str] = {}
    try:
        bare_client = pymongo.MongoClient((folder / "embedded-db.uri").read_text().strip(), tz_aware=True)
        bare_db = bare_client[os.environ.get("ABRI_MONGO_DB_NAME", "abri")]
        print(f"{bare_db.case.estimated_document_count():,} cases (loaded: {info['load']}, at {info['commit']})")
        results = measure(serve, size, args, bare_db)
        if not args.source:  # the commands are recorded from this checkout's use case
            print("API/bare, one client:")
            ratios = bare_ratios(serve, args, bare_client)
        bare_client.close()
        print(f"load average {os.getloadavg()[0]:.1f} (other work on the machine shows here)")
    finally:
        serve.stop()
    rows = []
    for name in dict.fromkeys(result.call for result in results):
        found = {result.users: result for result in results if result.call == name}
        rows.append((size, found.get(args.users[0]), found.get(args.users[-1]), ratios.get(name, "")))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default="10000,100000", help="sizes, comma-separated")
    parser.add_argument("--users", default="10,50", help="concurrent clients, comma-separated")
    parser.add_argument("--seconds", type=float, default=20, help="each call, for each number of users")
    parser.add_argument("--load", choices=("bulk", "api"), default="bulk")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the loaded instances in DIR/cases-<size>")
    parser.add_argument("--load-only", action="store_true", help="load the instances (with --keep) and stop")
    parser.add_argument("--calls", default="", help="only the calls whose name holds one of these texts (a;b)")
    parser.add_argument("--source", type=Path, help="run `abri serve` from another checkout (on a copy of the data)")
    parser.add_argument("--profile", default="bj")
    parser.add_argument("--timeout", type=float, default=120, help="a request taking longer is an error")
    parser.add_argument("--bare-repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--think", type=float, default=0,
                        help="each user's mean wait between an answer and the next request (0: none, saturated)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop what was started (abri serve, the database) first
    args.sizes = [int(n) for n in args.cases.split(",")]
    args.users = sorted(int(n) for n in args.users.split(","))
    args.calls = [text for text in args.calls.split(";") if text]
    command = "python bench/bench_scale.py " + " ".join(sys.argv[1:])
    code = f"# code: {commit(args.source or ROOT)}" + (f" (data loaded by {commit(ROOT)})" if args.source else "")
    header(command)
    print(code)
    rows = []
    with tempfile.TemporaryDirectory(prefix="abri-scale-") as temporary:
        for size in args.sizes:
            rows += run_size(size, args, Path(temporary))
    if not rows:
        return
    print()
    header(command)
    print(code + "\n")
    order = list(dict.fromkeys((row[1] or row[2]).call for row in rows))
    print(table(sorted(rows, key=lambda row: (order.index((row[1] or row[2]).call), row[0])), args.users))


if __name__ == "__main__":
    main()
