"""The recipe's nginx site in front of two `abri serve` processes, over TLS, as a client on the network sees it.

nginx runs the recipe's own files (tests/deploy/nginx_recipe.py changes only the ports and the certificate) as the
test's user, with a self-signed certificate; the apps run as abri@.service runs them, with ABRI_TRUSTED_PROXIES=1.
The client connects from 127.0.0.2, so that the address nginx reports differs from the one the apps see (nginx's).
Without nginx the tests are skipped, except in CI (.ci/run installs Debian's nginx-light).
"""
from __future__ import annotations

import gzip
import http.client
import signal
import socket
import ssl
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pytest

from server.embedded import free_port
from tests.deploy.nginx_recipe import main_config, nginx_command, render_site, render_upstream
from tests.deploy.processes import (ADMIN_PASSWORD, Answer, Served, call, settings_for, start_serving, stop,
                                    wait_until_serving)

CLIENT = "127.0.0.2"      # the client's address, as nginx sees it
METRICS_TOKEN = "metrics-token-of-the-test"
IDENTITY = {"registration_date": "2026-01-15", "name_first": "Afi", "name_last": "Houngbédji", "sex": "female",
            "age": 11, "risk_level": "high", "risk_level_reason": "Violences répétées",
            "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}
MB = 1024 * 1024


@dataclass
class Site:
    base: str
    http_port: int
    tls: ssl.SSLContext
    apps: list[Served]

    def call(self, method: str, path: str, body=None, token: str | None = None, **options) -> Answer:
        headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **options.pop("headers", {})}
        return call(self.base, method, path, body, headers=headers, tls=options.pop("tls", self.tls), source=CLIENT,
                    **options)

    def token(self) -> str:
        answer = self.call("POST", "/api/v1/tokens", {"user_name": "admin", "password": ADMIN_PASSWORD})
        assert answer.status == 201, answer.body
        return answer.data["token"]


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise AssertionError("nginx stopped:\n" + log.read_text())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, "nginx did not listen:\n" + log.read_text()
            time.sleep(0.1)


@pytest.fixture(scope="module")
def site(nginx, certificate, secantus_uri, tmp_path_factory):
    folder = tmp_path_factory.mktemp("behind-nginx")
    database = f"abri_nginx_{uuid.uuid4().hex[:10]}"
    env = settings_for(secantus_uri, database, folder / "instance", ABRI_TRUSTED_PROXIES="1", ABRI_PROFILE="bj",
                       ABRI_EXPORT_WORKER_THREADS="0", ABRI_METRICS_TOKEN=METRICS_TOKEN, ABRI_ALERT_STREAM_SECONDS="5")
    apps = [start_serving(name, env, folder) for name in ("app1", "app2")]
    https_port, http_port = free_port(), free_port()
    (folder / "nginx").mkdir()
    (folder / "webroot").mkdir()
    config = main_config(folder / "nginx", render_site(https_port, http_port, *certificate, folder / "webroot"),
                         render_upstream([app.port for app in apps]))
    log = folder / "nginx" / "output.log"
    with open(log, "wb") as out:
        proxy = subprocess.Popen(nginx_command(config, "-g", "daemon off;"), stdout=out, stderr=subprocess.STDOUT)
    client = pymongo.MongoClient(secantus_uri)
    try:
        _wait_for_port(https_port, proxy, log)
        wait_until_serving(*apps)
        tls = ssl.create_default_context(cafile=certificate[0])
        yield Site(f"https://127.0.0.1:{https_port}", http_port, tls, apps)
    finally:
        proxy.send_signal(signal.SIGQUIT)  # graceful stop
        try:
            proxy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proxy.kill()
            proxy.wait()
        for app in apps:
            stop(app)
        client.drop_database(database)
        client.close()


def test_abri_answers_over_tls_1_2_or_later_with_hsts_and_plain_http_is_sent_to_https(site):
    connection = http.client.HTTPSConnection("127.0.0.1", int(site.base.rsplit(":", 1)[1]), context=site.tls,
                                             source_address=(CLIENT, 0), timeout=10)
    try:
        connection.request("GET", "/healthz")
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200
        assert connection.sock.version() in ("TLSv1.2", "TLSv1.3")
        assert answer.headers.get_all("Strict-Transport-Security") == ["max-age=31536000"]
    finally:
        connection.close()
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname, old.verify_mode = False, ssl.CERT_NONE
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    assert site.call("GET", "/healthz", tls=old).status == 200  # TLS 1.2 clients (older tablets) still connect
    redirect = call(f"http://127.0.0.1:{site.http_port}", "GET", "/admin/login")
    assert redirect.status == 301 and redirect.headers["Location"].startswith("https://")


def test_the_admin_login_page_an_api_login_and_a_french_form_come_through_the_proxy(site):
    page = site.call("GET", "/admin/login")
    assert page.status == 200 and 'lang="fr"' in page.text and "Mot de passe" in page.text
    forms = site.call("GET", "/api/v1/forms?record_type=case&locale=fr", token=site.token())
    assert forms.status == 200
    assert {form["unique_id"]: form["name"] for form in forms.data}["basic_identity"] == "Identité de base"


def test_abri_takes_the_client_address_nginx_reports_and_ignores_one_the_client_forges(site):
    forged = site.call("POST", "/api/v1/tokens", {"user_name": "admin", "password": ADMIN_PASSWORD},
                       headers={"X-Forwarded-For": "203.0.113.9"})
    assert forged.status == 201
    logins = site.call("GET", "/api/v1/audit_logs?action=login&user_name=admin&per_page=1",
                       token=forged.data["token"]).data
    assert logins[0]["address"] == CLIENT  # not nginx's 127.0.0.1, not the forged 203.0.113.9


def test_the_session_cookie_is_secure_behind_the_tls_proxy(site):
    session = site.call("POST", "/api/v1/sessions", {"user_name": "admin", "password": ADMIN_PASSWORD})
    assert session.status == 201 and "Secure" in session.headers["Set-Cookie"]  # X-Forwarded-Proto: https


def test_metrics_and_readiness_are_reached_on_each_process_never_through_the_proxy(site):
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    assert site.call("GET", "/metrics", headers=bearer).status == 404
    assert site.call("GET", "/readyz").status == 404
    app = site.apps[0]
    assert app.call("GET", "/metrics", headers=bearer).status == 200
    assert app.call("GET", "/readyz").status == 200


def _upload(site: Site, token: str, case: dict, size: int) -> int:
    """POST a PDF of `size` bytes to the case's document field; the status (nginx may close while we send)."""
    boundary = "abri-upload-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rapport.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n").encode()
    body = head + b"%PDF-1.4\n%" + b"0" * (size - 10) + f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPSConnection("127.0.0.1", int(site.base.rsplit(":", 1)[1]), context=site.tls,
                                             source_address=(CLIENT, 0), timeout=30)
    try:
        try:
            connection.request("POST", f"/api/v1/cases/{case['id']}/attachments/other_documents", body=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}",
                "If-Match": f'"{case["revision"]}"'})
        except (BrokenPipeError, ConnectionResetError, ssl.SSLEOFError):
            pass  # refused before the whole body was sent: the answer is still there to read
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def test_bodies_past_abris_limits_are_refused_by_nginx_with_413_and_files_up_to_the_attachment_limit_pass(site):
    token = site.token()
    too_large = site.call("POST", "/api/v1/cases", {"data": {**IDENTITY, "name_last": "x" * (3 * MB)}}, token=token)
    assert too_large.status == 413 and too_large.json["error"]["code"] == "PAYLOAD_TOO_LARGE"
    created = site.call("POST", "/api/v1/cases", {"data": IDENTITY}, token=token)
    assert created.status == 201, created.body
    assert _upload(site, token, created.data, 3 * MB) == 201        # past the 2 MB of other requests
    assert _upload(site, token, created.data, 22 * MB) == 413       # past ABRI_ATTACHMENT_MAX_MB


def test_sync_answers_are_compressed_once_by_abri_and_the_apps_files_by_nginx(site):
    bundle = site.call("GET", "/api/v1/sync/bundle?locale=fr", token=site.token(), headers={"Accept-Encoding": "gzip"})
    assert bundle.status == 200 and bundle.headers.get_all("Content-Encoding") == ["gzip"]
    assert b'"data"' in gzip.decompress(bundle.body)
    script = site.call("GET", "/admin/static/lib/api.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["Content-Encoding"] == "gzip" and b"async function api(" in gzip.decompress(script.body)


def test_the_live_alert_stream_comes_through_as_it_is_written(site):
    connection = http.client.HTTPSConnection("127.0.0.1", int(site.base.rsplit(":", 1)[1]), context=site.tls,
                                             source_address=(CLIENT, 0), timeout=3)
    try:
        connection.request("GET", "/api/v1/alerts/stream", headers={"Authorization": f"Bearer {site.token()}"})
        answer = connection.getresponse()
        assert answer.status == 200 and answer.headers["Content-Type"].startswith("text/event-stream")
        started = time.monotonic()
        assert answer.readline() == b"retry: 3000\n"  # the first event, long before the stream's 5 s end
        assert time.monotonic() - started < 2
    finally:
        connection.close()


def test_when_one_app_process_stops_nginx_sends_every_request_to_the_other(site):
    token = site.token()
    stop(site.apps[0])
    answers = [site.call("GET", "/api/v1/forms?record_type=case&locale=fr", token=token).status for _ in range(10)]
    assert answers == [200] * 10
