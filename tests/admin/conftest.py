"""Browser fixtures of the admin UI tests: Debian's chromium driven by Playwright (never a downloaded browser)."""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium; missing, the test is skipped (failed in CI, which installs it)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A page at an office screen's size (1366x768), English; the UI's confirmations are accepted."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    yield page
    context.close()


@contextlib.contextmanager
def served(app):
    """`app` behind a real HTTP server (waitress) on a free port: yield its address, then stop the server."""
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    stopping = threading.Event()

    def run():
        try:
            server.run()
        except OSError:  # closing the listening socket can break the select it waits in: expected when stopping
            if not stopping.is_set():
                raise

    threading.Thread(target=run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stopping.set()
        server.close()


# --- the French administrator on the Bénin profile (the workbench's and the import page's journeys) ---------------

ADMINISTRATOR = "aminata"


@contextlib.contextmanager
def benin_app(*users: tuple[str, str, str | None]):
    """Abri on the Bénin profile (French first) with its first system administrator and `users`
    ((user name, role, agency)); closed afterwards."""
    from datetime import datetime, timezone

    from server.deployment import start_deployment
    from tests.builders import make_user
    from tests.conftest import make_app

    app = make_app("mongomock://", PROFILE="bj", DEFAULT_LOCALE="fr")
    try:
        with app.app_context():
            start_deployment(app, datetime.now(timezone.utc))
        make_user(app, ADMINISTRATOR, "role-system-administrator")
        for user_name, role_id, agency in users:
            make_user(app, user_name, role_id, agency=agency)
        yield app
    finally:
        app.close()


@pytest.fixture
def french(browser):
    """A page at an office screen's size, in French; downloads kept; a window.confirm is dismissed (the admin UI
    confirms in the page)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.dismiss())
    yield page
    context.close()


def api_token(base: str, user_name: str = ADMINISTRATOR) -> str:
    """A bearer token of a user of `benin_app` (tests.builders.PASSWORD)."""
    import json
    import urllib.request

    from tests.builders import PASSWORD

    request = urllib.request.Request(base + "/api/v1/tokens", data=json.dumps(
        {"user_name": user_name, "password": PASSWORD}).encode(), headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(request).read())["data"]["token"]


def api_get(base: str, path: str) -> dict:
    """GET an API route as the administrator."""
    import json
    import urllib.request

    return json.loads(urllib.request.urlopen(urllib.request.Request(
        base + path, headers={"Authorization": f"Bearer {api_token(base)}"})).read())


def log_in_french(page, base: str, user_name: str = ADMINISTRATOR) -> None:
    """Log in on the French login page; return once the browser has left it."""
    from tests.builders import PASSWORD

    page.goto(base + "/admin/login")
    page.get_by_label("Nom d'utilisateur").fill(user_name)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/admin/login" not in url)
