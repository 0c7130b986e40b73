"""Reports and dashboards over a country's cases (issue #21), against the same aggregation run bare on the database.

    python bench/bench_reports.py [--cases 100000] [--repeat 20]

The Bénin profile's shipped reports over `--cases` cases made with the record engine (sex, age, one or two
protection concerns, a commune of the 77, 0-2 service rows, a third closed, a referral on one case in four, accepted
or done or refused) and stored in batches on the embedded database (SecantusDB over the wire, as `abri serve` runs).
What is timed goes through the API (the Flask test client: authentication, permission, scope, audit, suppression,
JSON), as the national administrator (scope "all") and as a partner's data manager (one agency):

- the first report after the process starts (the facts cache reads every case once);
- each shipped report, warm: p50/p95;
- a report right after a case is written (the cache reads the new record first);
- the national administrator's dashboard (its reports at once), and six reports in a row;
- bare: the same count (protection concerns by sex) as one `$group` pipeline with pymongo, and the read of every
  case the cache makes (a projected find), on the same data: the ratios say what answering from the cache saves.

The process's memory (VmRSS) before and after the cache is read is printed too.
"""
from __future__ import annotations

import argparse
import contextlib
import random
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from common import ROOT, header, median_ms, p95_ms, secantus, timed

PASSWORD = "quiet lagoon at dusk"
AGENCIES = {"gups-cot": "social_services", "gups-par": "social_services", "police-cot": "police",
            "ong-enfance": "ngo", "tribunal-cot": "justice"}
OFFICES = ("gups-cot", "gups-par")
WORKERS = [f"ts.{office[-3:]}.{n:02d}" for office in OFFICES for n in range(1, 11)]
CONCERNS = ["sexually_exploited", "street_child", "abandoned", "child_marriage", "physically_or_mentally_abused",
            "worst_forms_of_child_labor", "trafficked_smuggled"]
SERVICE_TYPES = ["health_medical_service", "psychosocial_service", "legal_assistance_service", "education_service"]
BATCH = 2_000
POOL = 2_000  # cases validated by the engine; the others are copies of them with new data


def cache_mb(facts, sample: int = 2_000) -> float:
    """The facts cache's size: its records (measured on a sample, deep) and its tallies' entries."""
    import random as sampling
    import sys

    def deep(value, seen) -> int:
        if id(value) in seen:
            return 0
        seen.add(id(value))
        size = sys.getsizeof(value)
        if isinstance(value, dict):
            size += sum(deep(k, seen) + deep(v, seen) for k, v in value.items())
        elif isinstance(value, (list, tuple, set)):
            size += sum(deep(item, seen) for item in value)
        return size
    keys = list(facts.records)
    chosen = sampling.Random(1).sample(keys, min(sample, len(keys)))
    seen: set[int] = set()   # interned strings and shared values count once, as in memory
    records = sum(deep(facts.records[key], seen) for key in chosen) * len(keys) / max(len(chosen), 1)
    tallies = sum(sys.getsizeof(tally.by_record) for tally in facts.tallies.values())
    return (records + tallies + sys.getsizeof(facts.records)) / 1024 / 1024


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextlib.contextmanager
def database(keep: str | None):
    """The embedded database: in a temporary folder, or kept in `keep` for the next run."""
    if not keep:
        with secantus() as uri:
            yield uri
        return
    from secantus import SecantusDBServer

    with SecantusDBServer(storage_path=keep) as server:
        yield server.uri


def tokens_of(app, now: datetime) -> dict[str, str]:
    """Bearer tokens of the people a kept database already has."""
    from server.auth import accounts, tokens
    from server.storage import get_db

    with app.app_context():
        db = get_db()
        names = ["nat", "partner", *WORKERS]
        return {name: tokens.issue_token(db, accounts.get(db, "users", name), tokens.BEARER, now,
                                         timedelta(hours=8))["token"] for name in names}


def make_people(app, now: datetime) -> dict[str, str]:
    from server.auth import accounts, tokens
    from server.metadata.versions import published_configuration
    from server.storage import get_db

    with app.app_context():
        db = get_db()
        config = published_configuration(db)
        for agency, kind in AGENCIES.items():
            accounts.create_entity(db, "agencies", {"unique_id": agency, "agency_type": kind}, now)
        people = {"nat": ("role-national-administrator", None), "partner": ("role-partner-data-manager", "gups-cot"),
                  **{worker: ("role-case-worker", f"gups-{worker[3:6]}") for worker in WORKERS},
                  "fp.police": ("role-focal-point", "police-cot"), "fp.ong": ("role-focal-point", "ong-enfance"),
                  "fp.tribunal": ("role-focal-point", "tribunal-cot")}
        found = {}
        for name, (role, agency) in people.items():
            user = accounts.create_user(db, config, {"user_name": name, "password": PASSWORD, "role_unique_id": role,
                                                     "agency_unique_id": agency}, now)
            found[name] = tokens.issue_token(db, user, tokens.BEARER, now, timedelta(hours=8))["token"]
        return found


def case_data(rng: random.Random, registered: date, communes: list[str]) -> dict:
    data = {"name_first": rng.choice(["Awa", "Koffi", "Sèna", "Mohamed", "Aïcha"]), "name_last": rng.choice(
        ["Dossou", "Bio", "Agossou", "Zinsou"]), "sex": rng.choice(["female", "male"]), "age": rng.randrange(18),
        "registration_date": registered.isoformat(), "protection_concerns": rng.sample(CONCERNS, rng.randrange(1, 3)),
        "risk_level": rng.choice(["low", "medium"]), "consent_for_services": "consent_given",
        "consent_for_data_sharing": "consent_given", "location_current": rng.choice(communes)}
    closed = registered + timedelta(days=rng.randrange(1, 200))
    if rng.random() < 0.33 and closed <= date.today():
        data["date_closure"] = closed.isoformat()
    rows = []
    for _ in range(rng.randrange(3)):
        row = {"service_type": rng.choice(SERVICE_TYPES), "service_implemented": "not_implemented"}
        done = registered + timedelta(days=rng.randrange(60))
        if rng.random() < 0.6 and done < date.today():
            row.update(service_implemented="implemented", service_implemented_day_time=done.isoformat())
        rows.append(row)
    if rows:
        data["services_section"] = rows
    return data


def referral(rng: random.Random, moment: datetime) -> dict:
    """A referral as the workflow keeps it on a case (server/workflow/transitions.py)."""
    to_user, to_agency = rng.choice([("fp.police", "police-cot"), ("fp.ong", "ong-enfance"),
                                     ("fp.tribunal", "tribunal-cot")])
    status = rng.choice(["in_progress", "accepted", "done", "rejected"])
    made = {"id": str(uuid.uuid4()), "type": "referral", "status": status, "created_at": moment,
            "created_by": "ts", "to_user": to_user, "to_agency": to_agency, "consent_overridden": False}
    if status in ("accepted", "done"):
        made["accepted_at"] = moment + timedelta(days=rng.randrange(10))
    if status == "done":
        made["done_at"] = made["accepted_at"] + timedelta(days=rng.randrange(40))
    if status == "rejected":
        made["rejected_at"] = moment + timedelta(days=rng.randrange(5))
    return made


def load_cases(app, count: int, rng: random.Random, now: datetime) -> float:
    from server.auth import accounts
    from server.auth.permissions import principal_from_role, record_access_keys
    from server.metadata.versions import published_configuration
    from server.records import service as engine
    from server.records.types import new_short_id
    from server.records.actor import Actor
    from server.services.records import CASE
    from server.storage import get_db, records as store

    started = time.perf_counter()
    with app.app_context():
        db = get_db()
        config = published_configuration(db)
        communes = [code for code, place in config.locations.places.items() if place.get("admin_level") == 2]
        principals = {}
        for name in WORKERS:
            user = accounts.get(db, "users", name)
            principals[name] = principal_from_role(user, config.roles.get(user["role"]))
        pending, pool = [], []
        for index in range(count):
            owner = WORKERS[index % len(WORKERS)]
            moment = (now - timedelta(days=700 * rng.random())).replace(microsecond=0)
            data = case_data(rng, moment.date(), communes)
            if len(pool) < POOL:
                # written today about a child registered on `moment` (a closure or a service after it is no future
                # date); validated by the engine as a create is
                actor = Actor(owner, now, principals[owner], app.config["OFFICE_CODE"], app.config["DISPLAY_ID_FORMAT"])
                document = engine.new_record(config, CASE, {"id": str(uuid.uuid4()), "data": data}, actor)
                pool.append(document)
            else:
                # the rest: a validated case of the same owner with new ids and new data drawn the same way (the
                # engine's validation is not what is measured; a copy has no history entry)
                template = pool[index % POOL]
                short_id = new_short_id()
                document = {**{k: v for k, v in template.items() if k not in (store.PENDING, "_search", "_match")},
                            "_id": str(uuid.uuid4()), "short_id": short_id, CASE.display_id: short_id, "data": data}
            if rng.random() < 0.25:
                document["transitions"] = [referral(rng, moment + timedelta(days=1))]
                document["_access"] = record_access_keys(document)
            pending.append(document)
            if len(pending) == BATCH:
                store.insert_records(db, CASE.name, pending)
                pending = []
        if pending:
            store.insert_records(db, CASE.name, pending)
        # the cases were made with their access keys and numbers: nothing for the layout upgrade to add to them
        db[store.SEQUENCES].update_one({"_id": CASE.name}, {"$set": {"layout": store.LAYOUT}})
        engine.ensure_indexes(db, config)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", metavar="DIR", help="keep the database in DIR; a later run with the same DIR and "
                        "--cases reuses it instead of loading the cases again")
    args = parser.parse_args()
    header(f"python bench/bench_reports.py --cases {args.cases} --repeat {args.repeat}")
    from server.app import create_app
    from server.metadata.bootstrap import bootstrap_configuration
    from server.metadata.versions import LanguageSettings, published_configuration
    from server.reports.facts import SETTLE, facts_of, forget
    from server.storage import get_db
    from server.storage.reports import SNAPSHOTS

    rng = random.Random(21)
    now = datetime.now(timezone.utc)
    with database(args.keep) as uri:
        app = create_app({"MONGO_URI": uri, "MONGO_DB_NAME": "bench", "EXPORT_WORKER_THREADS": 0, "PROFILE": "bj"})
        with app.app_context():
            db = get_db()
            kept = db["case"].estimated_document_count() >= args.cases
            if not kept:
                db.client.drop_database("bench")
                bootstrap_configuration(db, ROOT / "metadata", LanguageSettings(("fr", "en"), "fr"), "bj")
            reports = sorted(published_configuration(db).reports)
        if kept:
            tokens = tokens_of(app, now)
            print(f"reusing the {args.cases:,} cases kept in {args.keep}; {len(reports)} shipped reports")
        else:
            tokens = make_people(app, now)
            seconds = load_cases(app, args.cases, rng, now)
            print(f"loaded {args.cases:,} cases in {seconds:.0f} s; {len(reports)} shipped reports")
        with app.app_context():
            get_db()[SNAPSHOTS].delete_many({})   # the first report reads every case, as on a first start
        time.sleep(SETTLE + 1)  # the steady state: the cache moves past records numbered more than SETTLE s ago

        def client(name: str):
            made = app.test_client()
            made.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {tokens[name]}"
            return made

        nat, partner, worker = client("nat"), client("partner"), client(WORKERS[0])

        def get(who, url: str):
            def run():
                answer = who.get(url)
                assert answer.status_code == 200, (url, answer.status_code, answer.get_data()[:300])
                return answer
            return run

        started = time.perf_counter()
        get(nat, "/api/v1/reports/report-concerns-by-sex/result")()
        cold = time.perf_counter() - started
        print(f"first report of a new deployment (reads every case, writes a snapshot): {cold * 1000:,.0f} ms")
        with app.app_context():
            db = get_db()
            facts = facts_of(db, published_configuration(db), "case")
            print(f"the cache: {len(facts.records):,} cases, about {cache_mb(facts):,.0f} MB "
                  f"(the embedded database runs in this process too: VmRSS {rss_mb():,.0f} MB)")
            forget(db)   # as a process that starts after the first one wrote its snapshot
        started = time.perf_counter()
        get(nat, "/api/v1/reports/report-concerns-by-sex/result")()
        print(f"first report of a process that starts (reads the snapshot): "
              f"{(time.perf_counter() - started) * 1000:,.0f} ms")
        started = time.perf_counter()
        get(nat, "/api/v1/reports/report-cases-by-department/result")()
        print(f"first use of another report by that process: {(time.perf_counter() - started) * 1000:,.0f} ms")

        print(f"\n{'report':44} {'who':8} {'p50 ms':>8} {'p95 ms':>8}")
        runnable = {name: {item["unique_id"] for item in get(who, "/api/v1/reports/runnable")().get_json()["data"]}
                    for name, who in (("national", nat), ("partner", partner))}
        for report_id in reports:
            for name, who in (("national", nat), ("partner", partner)):
                if report_id not in runnable[name]:
                    print(f"{report_id:44} {name:8} {'(counts fields the role may not read)':>17}")
                    continue
                times = timed(get(who, f"/api/v1/reports/{report_id}/result"), args.repeat)
                print(f"{report_id:44} {name:8} {median_ms(times):8.0f} {p95_ms(times):8.0f}")

        body = {"data": case_data(rng, now.date(), ["BJ-LI-01"])}

        def after_a_write():
            assert worker.post("/api/v1/cases", json=body).status_code == 201
            get(nat, "/api/v1/reports/report-concerns-by-sex/result")()
        write_times = timed(lambda: worker.post("/api/v1/cases", json=body), max(3, args.repeat // 4))
        both = timed(after_a_write, max(3, args.repeat // 4))
        print(f"\na case written, then a report: p50 {median_ms(both):.0f} ms (the write alone: "
              f"{median_ms(write_times):.0f} ms)")

        dashboard = get(nat, "/api/v1/dashboards/current")
        widgets = len(dashboard().get_json()["data"]["widgets"])
        times = timed(dashboard, max(5, args.repeat // 2))
        print(f"national administrator's dashboard ({widgets} reports): p50 {median_ms(times):.0f} ms, "
              f"p95 {p95_ms(times):.0f} ms")
        six = reports[:6]
        times = timed(lambda: [get(nat, f"/api/v1/reports/{r}/result")() for r in six], max(5, args.repeat // 2))
        print(f"six reports in a row: p50 {median_ms(times):.0f} ms, p95 {p95_ms(times):.0f} ms")

        with app.app_context():
            cases = get_db()["case"]
            pipeline = [{"$match": {"record_state": {"$ne": False}}}, {"$unwind": "$data.protection_concerns"},
                        {"$group": {"_id": {"concern": "$data.protection_concerns", "sex": "$data.sex"},
                                    "n": {"$sum": 1}}}]
            bare = timed(lambda: list(cases.aggregate(pipeline)), 3)
            scan = timed(lambda: list(cases.find({}, {"data.sex": 1, "data.protection_concerns": 1, "_access": 1})), 3)
        api = timed(get(nat, "/api/v1/reports/report-concerns-by-sex/result"), args.repeat)
        print(f"\nprotection concerns by sex: API {median_ms(api):.0f} ms; bare $group {median_ms(bare):,.0f} ms "
              f"(API/bare {median_ms(api) / median_ms(bare):.3f}); bare projected find of every case "
              f"{median_ms(scan):,.0f} ms")
        app.close()


if __name__ == "__main__":
    main()
