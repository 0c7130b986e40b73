"""The metrics as Prometheus reads them: counts that go up, bounded labels, cumulative buckets, queues."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

import pytest

from server.metadata.configuration import Configuration
from server.monitoring.exposition import Counter, Histogram, render
from server.monitoring.metrics import METRICS
from server.storage import get_db
from server.storage import sync as sync_store
from server.storage.monitoring import COMMAND_OBSERVER
from tests.builders import PASSWORD, make_user, minimal_configuration, role, seed
from tests.conftest import app_on, authenticated
from tests.monitoring.scrape import TOKEN, parse, scrape, series, value

REQUESTS = "abri_http_requests_total"


def login(client, user_name: str, password: str = PASSWORD, address: str = "10.0.0.1"):
    return client.post("/api/v1/tokens", json={"user_name": user_name, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def watched():
    """An app whose metrics are open to TOKEN, with the minimal configuration and a logged-in administrator."""
    with app_on("mongomock://", METRICS_TOKEN=TOKEN) as application:
        yield application, authenticated(application, seed(application, minimal_configuration()))


def test_requests_are_counted_by_route_method_and_status(watched):
    app, client = watched
    before = scrape(app)
    for name in ("Aminata Zinsou", "Koffi Adjovi"):
        assert client.post("/api/v1/cases", json={"data": {"name": name}}).status_code == 201
    assert client.get("/api/v1/cases").status_code == 200
    after = scrape(app)
    route = "/api/v1/cases"
    assert value(after, REQUESTS, route=route, method="POST", status=201) \
        == value(before, REQUESTS, route=route, method="POST", status=201) + 2
    assert value(after, REQUESTS, route=route, method="GET", status=200) == 1
    assert value(after, REQUESTS, route="/metrics", method="GET", status=200) == 1  # the scrape before this one


def test_a_route_is_labelled_by_its_rule_and_a_path_no_route_matches_as_unmatched(watched):
    app, client = watched
    missing = str(uuid.uuid4())
    assert client.get(f"/api/v1/cases/{missing}").status_code == 404
    assert client.get(f"/api/v1/no-such-thing/{missing}").status_code == 404
    assert client.open("/api/v1/cases", method="BREW").status_code == 405
    response = app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    samples = parse(response.get_data(as_text=True))
    assert value(samples, REQUESTS, route="/api/v1/cases/<record_id>", method="GET", status=404) == 1
    assert value(samples, REQUESTS, route="unmatched", method="GET", status=404) == 1
    assert value(samples, REQUESTS, route="unmatched", method="OTHER", status=405) == 1
    assert missing not in response.get_data(as_text=True)  # never an id, never a path


def test_latency_buckets_are_cumulative_and_the_last_one_is_the_count(watched):
    app, client = watched
    for _ in range(3):
        client.get("/api/v1/cases")
    samples = scrape(app)
    name, labels = "abri_http_request_duration_seconds", {"route": "/api/v1/cases", "method": "GET"}
    buckets = sorted((float(dict(sample)["le"]), count) for (metric, sample), count in samples.items()
                     if metric == name + "_bucket" and {k: v for k, v in sample if k != "le"} == labels)
    counts = [count for _, count in buckets]
    assert buckets[-1][0] == float("inf") and counts == sorted(counts)
    assert counts[-1] == value(samples, name + "_count", **labels) == 3
    assert 0 < value(samples, name + "_sum", **labels) < 30


def test_logins_and_refusals_are_counted(watched):
    app, client = watched
    make_user(app, "reader", "role-system-administrator")
    assert login(app.test_client(), "admin").status_code == 201
    for attempt in range(6):
        login(app.test_client(), "reader", f"wrong guess {attempt}", address="10.9.9.9")
    assert login(app.test_client(), "reader", address="10.9.9.9").status_code == 429
    assert app.test_client().get("/api/v1/cases").status_code == 401
    samples = scrape(app)
    assert value(samples, "abri_logins_total", outcome="success") == 1
    assert value(samples, "abri_logins_total", outcome="failed") == 5
    assert value(samples, "abri_logins_total", outcome="throttled") == 2
    assert value(samples, "abri_refusals_total", status=401, code="INVALID_CREDENTIALS") == 5
    assert value(samples, "abri_refusals_total", status=429, code="TOO_MANY_ATTEMPTS") == 2
    assert value(samples, "abri_refusals_total", status=401, code="AUTHENTICATION_REQUIRED") == 1


def test_a_forbidden_action_is_a_403_refusal():
    documents = [*minimal_configuration().documents(), ("role", "role-reader", role("role-reader", {"case": ["read"]}))]
    with app_on("mongomock://", METRICS_TOKEN=TOKEN) as app:
        seed(app, Configuration.from_documents(documents))
        reader = authenticated(app, make_user(app, "reader", "role-reader"))
        assert reader.get("/api/v1/users").status_code == 403
        samples = scrape(app)
    assert value(samples, "abri_refusals_total", status=403, code="PERMISSION_DENIED") == 1


def test_the_queues_and_the_configuration_version_are_read_at_each_scrape(watched):
    app, client = watched
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "json"}})
    assert job.status_code in (201, 202)
    with app.app_context():
        now = datetime.now(timezone.utc)
        sync_store.save_conflict(get_db(), {"_id": str(uuid.uuid4()), "status": "open", "created_at": now,
                                            "record_id": str(uuid.uuid4()), "_access": ["*"]})
    samples = scrape(app)
    assert value(samples, "abri_export_jobs", status="queued") == 1
    assert value(samples, "abri_export_jobs", status="running") == 0
    assert value(samples, "abri_sync_conflicts_open") == 1
    assert {labels["record_type"] for labels in series(samples, "abri_matching_due_records")} \
        == {"case", "tracing_request"}
    assert value(samples, "abri_configuration_version") == 1
    assert value(samples, "abri_database_up") == 1


def test_a_scrape_without_the_database_says_so_instead_of_hanging(watched):
    app, _ = watched
    app.close()
    samples = scrape(app)
    assert value(samples, "abri_database_up") == 0
    assert series(samples, "abri_export_jobs") == [] and series(samples, "abri_configuration_version") == []


def test_database_commands_are_timed_on_a_real_server(secantus_uri):
    with app_on(secantus_uri, METRICS_TOKEN=TOKEN) as application:
        client = authenticated(application, seed(application, minimal_configuration()))
        client.post("/api/v1/cases", json={"data": {"name": "Aminata Zinsou"}})
        samples = scrape(application)
    commands = {labels["command"] for labels in series(samples, "abri_db_command_duration_seconds_count")}
    assert {"find", "insert"} <= commands
    assert value(samples, "abri_db_command_duration_seconds_count", command="insert") >= 1


def test_nothing_is_counted_and_no_command_is_timed_while_metrics_are_off(app):
    assert METRICS not in app.extensions and COMMAND_OBSERVER not in app.extensions
    assert app.test_client().get("/healthz").status_code == 200  # requests are still answered, ids given


def test_each_process_keeps_its_own_metrics():
    with app_on("mongomock://", METRICS_TOKEN=TOKEN) as first, \
            app_on("mongomock://", METRICS_TOKEN=TOKEN) as second:
        first.test_client().get("/healthz")
        assert value(scrape(first), REQUESTS, route="/healthz", method="GET", status=200) == 1
        assert value(scrape(second), REQUESTS, route="/healthz", method="GET", status=200) == 0


def test_counts_stay_exact_under_concurrent_requests():
    counter = Counter("abri_test_total", "A test.", ("route",))
    histogram = Histogram("abri_test_seconds", "A test.", ("route",), (0.1, 1))

    def count():
        for _ in range(2000):
            counter.inc(route="/r")
            histogram.observe(0.5, route="/r")
    threads = [threading.Thread(target=count) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    samples = parse(render([counter, histogram]))
    assert value(samples, "abri_test_total", route="/r") == 32000
    assert value(samples, "abri_test_seconds_bucket", route="/r", le="1") == 32000
    assert value(samples, "abri_test_seconds_bucket", route="/r", le="0.1") == 0


def test_label_values_and_help_texts_are_escaped():
    counter = Counter("abri_test_total", 'Help with a \\ and a\nline.', ("route",))
    counter.inc(route='/a"b\\c\nd')
    text = render([counter])
    assert '# HELP abri_test_total Help with a \\\\ and a\\nline.\n' in text
    assert 'abri_test_total{route="/a\\"b\\\\c\\nd"} 1\n' in text
