"""The case worker app in a browser: how long the case forms take to draw, and a search over 10,000 local cases.

    .venv/bin/python bench/bench_app.py [--repeat 15] [--searches 30] [--cases 10000] [--index-repeat 5]
                                        [--unlock-repeat 3] [--seed 20]

Abri with the Bénin profile (French) on SecantusDB behind waitress, with a case worker; Debian's chromium
(/usr/bin/chromium, never a downloaded browser) driven by Playwright opens the real shell at /app/ (its page
settings, its CSS) and imports the app's own modules there (bench/bench_app.js, served as /app/static/bench_app.js).
Every figure is measured in the page with performance.now(), at each CPU throttling rate (CDP
Emulation.setCPUThrottlingRate; 4 is a low-end tablet, 1 this machine), after a warm-up run at rate 1:

- Forms: the case worker's bundle (GET /api/v1/sync/bundle?locale=fr with her bearer token) indexed with
  makeCatalog; then, as the register screen does, one Editor draws every case form of formGroups (editable when the
  role writes it) into a fresh element, appended to the page and laid out (document.body.offsetHeight): timed from
  before `new Editor` to after the layout, --repeat times. Once with every form shown, once with all but the first
  hidden (what the register screen shows when it opens). Baseline: as many bare <label><input> pairs as fields drawn,
  made with createElement, appended and laid out (ratio).
- Search: --cases synced cases named as in Bénin (bench/population.py: its first and last names, Zipf-weighted, a
  fixed seed), a quarter closed, most owned by the case worker, the rest by colleagues who shared them; their
  envelope is that of a case the API made. `keep()` indexes them into lib/local.js (its vault a stub that writes
  nothing: the indexing alone, what unlocking costs on top of decryption), then `search("case", filters)` of the
  list screen runs --searches times per query (after a warm-up). Baseline: a bare loop of
  String.prototype.includes over the same cases' "first last" names (ratio; for the empty query it matches every
  case and sorts nothing; the device's records are kept sorted newest change first, sorted again only by the first
  search after a change, measured on its own as the default list after a change). Also openLocal() on a real vault
  (IndexedDB, AES-GCM) holding them all: what signing in on the device costs (read, decrypt, index).

Printed: p50/p95 in ms, fields or cases found, ratios to the baselines measured in the same run, the Chromium
version, the throttling rates, and a verdict per target (forms < 1000 ms and a search < 200 ms at 4x). Figures,
not tests: nothing fails on a slow machine. About two minutes on two cores.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import string
import tempfile
import threading
import urllib.request
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from common import header, secantus
import population

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
HELPER = Path(__file__).with_name("bench_app.js")
HELPER_URL = "/app/static/bench_app.js"  # beside main.js: it imports the app's modules as the app does
RECORDS_URL = "/app/static/bench_records.json"
RATES = (1, 4)
SLOW = 4
FORMS_TARGET, SEARCH_TARGET = 1000, 200  # ms at 4x
WORKER, COLLEAGUES = "ts.ex1.01", [f"ts.ex1.{number:02d}" for number in range(2, 7)]
AGENCY = "gups-exemple-1"
OPEN_STAGES = ["new", "assessment", "case_plan", "service_provision"]  # the module's workflow, before "closed"
QUERIES = [  # (label, the list screen's filters)
    ("prefix 'afi', all statuses", {"query": "afi", "status": ""}),
    ("full name 'codjo ahouansou', all statuses", {"query": "codjo ahouansou", "status": ""}),
    ("no match 'zinzindohoue', all statuses", {"query": "zinzindohoue", "status": ""}),
    ("empty query, status open (default list)", {"query": "", "status": "open"}),
]
SCAN_PASSES = 100  # loops per baseline figure: one loop over 10,000 names is near the page clock's 0.1 ms


@contextmanager
def live_app() -> Iterator[str]:
    """The Bénin profile on SecantusDB behind waitress, with one case worker: yield the server's address."""
    from waitress import create_server

    from server.app import create_app
    from server.auth import accounts
    from server.deployment import start_deployment
    from server.metadata.versions import published_configuration
    from server.storage import get_db

    with secantus() as uri, tempfile.TemporaryDirectory(prefix="abri-bench-app-") as instance:
        app = create_app({"MONGO_URI": uri, "MONGO_DB_NAME": "bench", "PROFILE": "bj", "EXPORT_WORKER_THREADS": 0,
                          "INSTANCE_PATH": instance})
        server = None
        try:
            now = datetime.now(timezone.utc)
            with app.app_context():
                start_deployment(app, now)
                db = get_db()
                accounts.create_user(db, published_configuration(db), {
                    "user_name": WORKER, "password": population.PASSWORD, "role_unique_id": population.WORKER_ROLE,
                    "agency_unique_id": AGENCY, "locale": "fr"}, now)
            logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # the page's parallel module loads queue
            server = create_server(app, host="127.0.0.1", port=0, threads=4)
            threading.Thread(target=server.run, daemon=True).start()
            yield f"http://127.0.0.1:{server.effective_port}"
        finally:
            if server is not None:
                server.close()
            app.close()


def call(base: str, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
    """One API call in French, with the case worker's bearer token when given; the answer's JSON."""
    headers = {"Content-Type": "application/json", "Accept-Language": "fr",
               **({"Authorization": f"Bearer {token}"} if token else {})}
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(base + path, data, headers, method=method)) as answer:
        return json.loads(answer.read())


def synced_cases(template: dict, count: int, seed: int) -> list[dict]:
    """`count` cases as a sync pull gives them: the template's envelope, a child named as in Bénin in each."""
    rng = random.Random(seed)
    office = population.offices()[0]
    now = datetime.now(timezone.utc)
    cases = []
    for _ in range(count):
        moment = population.registered_at(rng, now)
        changed = min(now, moment + (now - moment) * rng.random() ** 3).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        owner = WORKER if rng.random() < 0.85 else rng.choice(COLLEAGUES)
        short_id = "".join(rng.choices(string.digits + string.ascii_lowercase, k=7))
        closed = rng.random() < 0.25
        cases.append(dict(template, id=str(uuid.UUID(int=rng.getrandbits(128), version=4)), short_id=short_id,
                          case_id_display=short_id, status="closed" if closed else "open",
                          stage="closed" if closed else rng.choice(OPEN_STAGES),
                          created_at=moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), created_by=owner, owned_by=owner,
                          last_updated_at=changed, last_updated_by=owner, associated_user_names=sorted({owner, WORKER}),
                          data=population.case_data(rng, office, moment.date())))
    return cases


def p50(times: list[float]) -> float:
    return statistics.median(times)


def p95(times: list[float]) -> float:
    return sorted(times)[max(0, int(len(times) * 0.95) - 1)]


def ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


class Page:
    """The app's shell in chromium, the bench's module beside the app's; run its functions at a throttling rate."""

    def __init__(self, page, cdp):
        self.page, self.cdp = page, cdp

    def run(self, function: str, *args):
        return self.page.evaluate(f"async (args) => (await import({HELPER_URL!r})).{function}(...args)", list(args))

    def throttle(self, rate: int) -> None:
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})


def measure(page: Page, args, fields: int) -> dict:
    """Every figure at each rate: {(name, rate): (times, items)}."""
    figures = {}
    for rate in RATES:
        page.throttle(rate)
        drawn = page.run("drawForms", args.repeat, "all")
        figures["forms", rate] = drawn["total"], drawn["fields"]
        figures["build", rate] = drawn["build"], drawn["elements"]
        opened = page.run("drawForms", args.repeat, "first")
        figures["register", rate] = opened["total"], opened["fields"]
        figures["pairs", rate] = page.run("drawPairs", args.repeat, fields)["total"], fields
        figures["keep", rate] = page.run("indexRecords", args.index_repeat), args.cases
        every = []
        for label, filters in QUERIES:
            found = page.run("searchCases", filters, args.searches)
            scanned = page.run("scanNames", filters["query"], args.searches, SCAN_PASSES)
            figures[label, rate] = found["times"], found["found"]
            figures["scan " + label, rate] = scanned["times"], scanned["found"]
            every += found["times"]
        figures["searches", rate] = every, len(every)
        # The default list as first searched after a change (a sync, a save): the records sorted again.
        figures["changed", rate] = page.run("searchCases", QUERIES[-1][1], args.searches, True)["times"], 0
        figures["unlock", rate] = page.run("unlock", args.unlock_repeat), args.cases
    page.throttle(1)
    return figures


def report(figures: dict, forms: dict, args) -> None:
    rows = []

    def row(label: str, key: str, rate: int, counted: bool = True, baseline: str | None = None) -> None:
        times, count = figures[key, rate]
        ratio = f"{p50(times) / p50(figures[baseline, rate][0]):.1f}" if baseline else ""
        rows.append((label, f"{rate}x", ms(p50(times)), ms(p95(times)), len(times), f"{count:,}" if counted else "",
                     ratio))

    for rate in RATES:
        row("case forms drawn + laid out, all shown", "forms", rate, baseline="pairs")
        build = figures["build", rate]
        row(f"  of which building ({build[1]:,} elements)", "build", rate, counted=False)
        row("case forms, all but the first hidden", "register", rate, baseline="pairs")
        row("  baseline: bare <label><input> pairs", "pairs", rate)
        row(f"keep(): index {args.cases:,} cases", "keep", rate)
        row("openLocal(): read, decrypt, index (real vault)", "unlock", rate)
        for label, _ in QUERIES:
            row(f"search: {label}", label, rate, baseline="scan " + label)
            row("  baseline: includes() over the names", "scan " + label, rate)
        row("search: every query above", "searches", rate, counted=False)
        row("search: default list, first after a change (sorts)", "changed", rate, counted=False)
    heads = ("", "CPU", "p50 ms", "p95 ms", "runs", "items", "ratio")
    widths = [max(len(str(line[i])) for line in [heads, *rows]) for i in range(len(heads))]
    print(f"\n## Forms ({forms['forms']} case forms, {forms['fields']} fields in the bundle) and search "
          f"({args.cases:,} cases); items: fields drawn, cases indexed or found; ratio: p50 against the baseline "
          f"below it, same rate")
    for line in [heads, *rows]:
        cells = (f"{str(cell):>{width}}" for cell, width in zip(line[1:], widths[1:]))
        print(f"{line[0]:<{widths[0]}}  " + "  ".join(cells))
    shown = figures["forms", SLOW][0]
    print(f"\nForms, target < {FORMS_TARGET} ms at {SLOW}x: {'met' if p95(shown) < FORMS_TARGET else 'NOT met'} "
          f"(every form shown and laid out: p50 {p50(shown):.0f} ms, p95 {p95(shown):.0f} ms)")
    labels = {label: label for label, _ in QUERIES} | {"changed": "default list, first after a change"}
    slowest = max(labels, key=lambda label: p95(figures[label, SLOW][0]))
    worst = figures[slowest, SLOW][0]
    print(f"Search, target < {SEARCH_TARGET} ms at {SLOW}x for each query: "
          f"{'met' if p95(worst) < SEARCH_TARGET else 'NOT met'} (slowest: {labels[slowest]}, p50 {p50(worst):.1f} ms, "
          f"p95 {p95(worst):.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15, help="draws of the forms (and of the baseline) per rate")
    parser.add_argument("--searches", type=int, default=30, help="runs of each search per rate")
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--index-repeat", type=int, default=5, help="keep() of every case per rate")
    parser.add_argument("--unlock-repeat", type=int, default=3, help="openLocal() on the real vault per rate")
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    header(f"bench_app.py --repeat {args.repeat} --searches {args.searches} --cases {args.cases} "
           f"--index-repeat {args.index_repeat} --unlock-repeat {args.unlock_repeat} --seed {args.seed}")
    from playwright.sync_api import sync_playwright

    with live_app() as base, sync_playwright() as playwright:
        signed_in = call(base, "POST", "/api/v1/tokens", {"user_name": WORKER, "password": population.PASSWORD})
        token = signed_in["data"]["token"]
        today = datetime.now(timezone.utc).date()
        first = population.case_data(random.Random(args.seed), population.offices()[0], today)
        template = call(base, "POST", "/api/v1/cases", {"data": first}, token)["data"]
        cases = synced_cases(template, args.cases, args.seed)
        records = json.dumps(cases).encode()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR", service_workers="block")
        context.route("**" + HELPER_URL, lambda route: route.fulfill(
            body=HELPER.read_text(), content_type="text/javascript; charset=utf-8"))
        context.route("**" + RECORDS_URL, lambda route: route.fulfill(body=records, content_type="application/json"))
        browser_page = context.new_page()
        problems: list[str] = []
        browser_page.on("pageerror", lambda error: problems.append(str(error)))
        browser_page.goto(base + "/app/")
        browser_page.wait_for_selector("#view form")  # the sign-in screen: main.js and store.js have run
        page = Page(browser_page, context.new_cdp_session(browser_page))
        forms = browser_page.evaluate(f"""async (token) => {{
            const answer = await fetch("/api/v1/sync/bundle?locale=fr",
                                       {{headers: {{Authorization: "Bearer " + token}}}});
            return (await import({HELPER_URL!r})).indexBundle((await answer.json()).data);
        }}""", token)
        browser_page.evaluate(f"""async () => {{
            const cases = await (await fetch({RECORDS_URL!r})).json();
            return (await import({HELPER_URL!r})).useRecords(cases);
        }}""")
        page.run("fillVault", WORKER, population.PASSWORD)
        fields = page.run("drawForms", 2, "all")["fields"]  # warm-up, at rate 1
        page.run("indexRecords", 1)
        rates = ", ".join(f"{rate}x" for rate in RATES)
        print(f"Chromium {browser.version} (Playwright, {CHROMIUM}); CPU throttling rates {rates}"
              f"; {len(records) / 1e6:.1f} MB of cases, {sum(c['status'] == 'open' for c in cases):,} open, "
              f"{sum(c['owned_by'] == WORKER for c in cases):,} owned by the case worker")
        print(f"Load average {os.getloadavg()[0]:.1f} before, ", end="")
        figures = measure(page, args, fields)
        print(f"{os.getloadavg()[0]:.1f} after (another busy process on the same cores shows in every figure)")
        browser.close()
    report(figures, forms, args)
    if problems:
        print("\nErrors in the page: " + "; ".join(problems))


if __name__ == "__main__":
    main()
