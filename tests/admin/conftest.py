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
