"""Browser fixtures of the field apps' tests: Debian's chromium driven by Playwright, and app_ui/static served."""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.admin.conftest import browser  # noqa: F401 (the fixture: Debian's chromium, the same for both UIs)

STATIC = Path(__file__).resolve().parents[2] / "app_ui" / "static"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        """Keep the test output clean (the standard handler logs every request to stderr)."""


@pytest.fixture(scope="module")
def static_server():
    """app_ui/static over HTTP on a free port (ES modules cannot be imported from file:// URLs): yield its address."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(STATIC)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
