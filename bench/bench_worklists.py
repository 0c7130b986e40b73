"""Tasks and services across cases (GET /tasks, GET /services) at Bénin's scale, against the same bare queries;
what deriving the tasks costs on each write.

    python bench/bench_worklists.py [--cases 10000] [--repeat 30]

Two teams of ten case workers (own scope) and a supervisor of the first team (group scope) in one office; the cases
spread evenly over the workers, registered over the last two years, about half with the assessment requested, a
third with a case plan, 0-3 service rows (appointments within 60 days of today, some implemented) and 0-2
follow-ups. Every list is one page (50) of the list the use case builds; "items" is the list's `total`. The
supervisor's lists run at most 10 times (each reads 2,000 cases: seconds at 10,000 cases); the default run takes
about three minutes on two cores.
"""
from __future__ import annotations

import argparse
import random
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone

from common import header, make_app, median_ms, p95_ms, secantus, timed
from generate import case_data

AGENCY, GROUPS = "gups-natitingou", ("team-a", "team-b")
WORKER_ROLE, SUPERVISOR_ROLE = "role-case-worker", "role-supervisor"
PASSWORD = "quiet lagoon at dusk"
WORKERS = [f"ts.{group[-1]}.{number:02d}" for group in GROUPS for number in range(1, 11)]
SUPERVISOR = "sup.a"
SERVICE_TYPES = ("health_medical_service", "legal_assistance_service")
BATCH = 1000
SUPERVISOR_RUNS = 10  # at most: each of the supervisor's lists reads 2,000 cases (seconds a run at 10,000 cases)


def make_staff(app, now: datetime) -> dict[str, str]:
    """The agency, the two teams, the workers and the supervisor; a bearer token of each user."""
    from server.auth import accounts, tokens
    from server.metadata.versions import published_configuration
    from server.storage import get_db

    found = {}
    with app.app_context():
        db = get_db()
        config = published_configuration(db)
        accounts.create_entity(db, "agencies", {"unique_id": AGENCY}, now)
        for group in GROUPS:
            accounts.create_entity(db, "user_groups", {"unique_id": group}, now)
        people = [(name, WORKER_ROLE, f"team-{name.split('.')[1]}") for name in WORKERS]
        for user_name, role, group in [*people, (SUPERVISOR, SUPERVISOR_ROLE, GROUPS[0])]:
            user = accounts.create_user(db, config, {"user_name": user_name, "password": PASSWORD,
                                                     "role_unique_id": role, "agency_unique_id": AGENCY,
                                                     "user_group_unique_ids": [group]}, now)
            found[user_name] = tokens.issue_token(db, user, tokens.BEARER, now, timedelta(hours=4))["token"]
    return found


def worklist_data(rng: random.Random, registered: date, today: date) -> dict:
    """A case of generate.py registered on `registered`, with the assessment, case plan, services and follow-ups
    the lists read."""
    data = case_data(rng)
    data["registration_date"] = registered.isoformat()
    data["age"] = max(0, (registered - date.fromisoformat(data["date_of_birth"])).days // 365)
    if rng.random() < 0.5:
        data["assessment_requested_on"] = min(registered + timedelta(days=rng.randrange(0, 10)), today).isoformat()
    if rng.random() < 1 / 3:
        data["date_case_plan"] = min(registered + timedelta(days=rng.randrange(5, 30)), today).isoformat()
    services = []
    for _ in range(rng.randrange(0, 4)):
        appointment = today + timedelta(days=rng.randrange(-60, 61))
        row = {"unique_id": str(uuid.uuid4()), "service_type": rng.choice(SERVICE_TYPES),
               "service_provider": "ONG Enfance et Avenir", "service_referral_date": registered.isoformat(),
               "service_appointment_date": appointment.isoformat(), "service_status": "referred",
               "service_implemented": "not_implemented"}
        if appointment <= today and rng.random() < 0.5:
            row.update(service_implemented="implemented", service_implemented_day_time=appointment.isoformat())
        services.append(row)
    data["services_section"] = services
    followups = []
    for _ in range(rng.randrange(0, 3)):
        needed = registered + timedelta(days=rng.randrange(7, 120))
        row = {"unique_id": str(uuid.uuid4()), "followup_needed_by_date": needed.isoformat()}
        if needed <= today and rng.random() < 0.6:
            row["followup_date"] = needed.isoformat()
        followups.append(row)
    if followups:
        data["followup_subform_section"] = followups
    return data


def load_cases(app, count: int, rng: random.Random, now: datetime) -> float:
    """`count` cases spread over the workers, built with the record engine and stored in batches; seconds taken."""
    from server.auth import accounts
    from server.auth.permissions import principal_from_role
    from server.metadata.versions import published_configuration
    from server.records import service as engine
    from server.records.actor import Actor
    from server.services.records import CASE
    from server.storage import get_db, records as store

    started = time.perf_counter()
    with app.app_context():
        db = get_db()
        config = published_configuration(db)
        principals = {}
        for name in WORKERS:
            user = accounts.get(db, "users", name)
            principals[name] = principal_from_role(user, config.roles.get(user["role"]))
        documents = []
        for index in range(count):
            owner = WORKERS[index % len(WORKERS)]
            moment = (now - timedelta(days=730 * rng.random())).replace(microsecond=0)
            actor = Actor(owner, moment, principals[owner], app.config["OFFICE_CODE"], app.config["DISPLAY_ID_FORMAT"])
            body = {"id": str(uuid.uuid4()), "data": worklist_data(rng, moment.date(), now.date())}
            documents.append(engine.new_record(config, CASE, body, actor))
        documents.sort(key=lambda document: document["created_at"])  # the write sequence follows the dates
        for start in range(0, len(documents), BATCH):
            store.insert_records(db, CASE.name, documents[start:start + BATCH])
        engine.ensure_indexes(db, config)
    return time.perf_counter() - started


def client_of(app, token: str):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def getter(client, url: str):
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get_json())
        return response.get_json()
    return get


def timed_pair(first, second, repeat: int) -> tuple[list[float], list[float]]:
    """Seconds of each of `repeat` runs of two actions, taken in turns (after one warm-up run of each), so that
    what drifts over the runs weighs on both alike."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for action, kept in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            action()
            kept.append(time.perf_counter() - start)
    return times


@contextmanager
def no_workflow_derivation():
    """Writes skip the derivation of the stage, tasks and service summaries."""
    from server.records import service

    kept = service.workflow_changes
    service.workflow_changes = lambda *args, **kwargs: {}
    try:
        yield
    finally:
        service.workflow_changes = kept


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    header(f"python bench/bench_worklists.py --cases {args.cases} --repeat {args.repeat}")
    from server.auth.permissions import USER_KEY
    from server.storage import get_db
    from server.workflow.worklists import CASES_READ, ENVELOPE

    rng = random.Random(17)
    now = datetime.now(timezone.utc)
    today = now.date().isoformat()
    rows: list[tuple] = []

    def row(label: str, times: list[float], items: str, bare: list[float] | None = None) -> None:
        ratio = f"{median_ms(times) / median_ms(bare):.2f}" if bare else ""
        rows.append((label, f"{median_ms(times):.1f}", f"{p95_ms(times):.1f}", items, ratio))

    with secantus() as uri:
        app, _ = make_app(uri)
        tokens = make_staff(app, now)
        seconds = load_cases(app, args.cases, rng, now)
        with app.app_context():
            db = get_db()
            worker, owned = WORKERS[0], db.case.count_documents({"owned_by": WORKERS[0]})
            team = db.case.count_documents({"owned_by_groups": GROUPS[0]})
        print(f"\n{args.cases:,} cases over {len(WORKERS)} case workers loaded (new_record + insert_records, "
              f"indexes) in {seconds:.0f} s; {worker} owns {owned}, {SUPERVISOR}'s team {team:,}")
        as_worker, as_supervisor = client_of(app, tokens[worker]), client_of(app, tokens[SUPERVISOR])

        def listed(get, repeat: int = args.repeat) -> tuple[list[float], str, dict]:
            times = timed(get, repeat)
            meta = get()["meta"]
            return times, f"{meta['total']:,}{'' if meta['total_exact'] else '+'}", meta

        # The bare queries: what worklists._read sends for the case worker (own scope, access key user:<name>).
        key = f"{USER_KEY}{worker}"
        coll = db.case

        def bare(query: dict, sort: list[tuple[str, int]], fields: list[str]):
            def run():
                coll.count_documents(query)
                return list(coll.find(query, {name: 1 for name in fields}).sort(sort).limit(CASES_READ))
            return run

        task_fields = [*ENVELOPE, "case_id_display", "created_at", "data"]
        service_fields = [*ENVELOPE, "case_id_display", "data"]
        yesterday = (now.date() - timedelta(days=1)).isoformat()
        task_sort = [("task_due", 1), ("_id", 1)]
        service_sort = [("service_due", 1), ("_id", 1)]

        t, items, _ = listed(getter(as_worker, "/api/v1/tasks"))
        b = timed(bare({"_access": key, "owned_by": worker, "task_due": {"$gte": ""}}, task_sort, task_fields),
                  args.repeat)
        row(f"tasks, case worker ({owned} cases)", t, items, b)
        row("  bare find+count, same filter", b, "")
        t, items, _ = listed(getter(as_worker, "/api/v1/tasks?overdue=true"))
        b = timed(bare({"_access": key, "owned_by": worker, "task_due": {"$lte": yesterday}}, task_sort,
                       task_fields), args.repeat)
        row("tasks?overdue=true, case worker", t, items, b)
        row("  bare find+count, same filter", b, "")
        runs = min(args.repeat, SUPERVISOR_RUNS)
        t, items, meta = listed(getter(as_supervisor, "/api/v1/tasks?owner=all"), runs)
        exact_tasks = meta["total_exact"]
        row(f"tasks?owner=all, supervisor ({team:,} cases; {runs} runs)", t, items)
        t, items, _ = listed(getter(as_worker, "/api/v1/services?state=overdue"))
        b = timed(bare({"_access": key, "service_due": {"$lt": today}}, service_sort, service_fields), args.repeat)
        row("services?state=overdue, case worker", t, items, b)
        row("  bare find+count, same filter", b, "")
        t, items, meta = listed(getter(as_supervisor, "/api/v1/services?state=open&owner=all"), runs)
        exact_services = meta["total_exact"]
        row(f"services?state=open&owner=all, supervisor ({runs} runs)", t, items)

        # A write: one service row of a case of the worker's changed (its appointment moved a day each time).
        with app.app_context():
            case = db.case.find_one({"owned_by": worker, "data.services_section.0": {"$exists": True}})
        service_id = case["data"]["services_section"][0]["unique_id"]
        moves = iter(range(1, 10_000))

        def patch():
            day = (now.date() + timedelta(days=next(moves) % 60)).isoformat()
            response = as_worker.patch(f"/api/v1/cases/{case['_id']}", json={"data": {"services_section": [
                {"unique_id": service_id, "service_appointment_date": day}]}})
            assert response.status_code == 200, response.get_json()

        def patch_underived():
            with no_workflow_derivation():
                patch()
        derived, skipped = timed_pair(patch, patch_underived, args.repeat)
        row("PATCH a service row", derived, "1", skipped)
        row("  PATCH, workflow derivation skipped", skipped, "1")

    print(f"\n## Lists and a write ({args.repeat} runs after a warm-up unless said; a list answers one page of 50; "
          f"ratio: API/bare, PATCH/skipped, the two PATCHes taken in turns)")
    widths = [max(len(str(line[i])) for line in [("", "p50 ms", "p95 ms", "items", "ratio"), *rows])
              for i in range(5)]
    for line in [("", "p50 ms", "p95 ms", "items", "ratio"), *rows]:
        print(f"{line[0]:<{widths[0]}}  " + "  ".join(f"{str(cell):>{width}}" for cell, width in zip(line[1:],
                                                                                                      widths[1:])))
    print(f"\nThe supervisor's lists read at most {CASES_READ:,} cases: total_exact {str(exact_tasks).lower()} "
          f"(tasks), {str(exact_services).lower()} (open services); '+' marks a total that is not exact.")


if __name__ == "__main__":
    main()
