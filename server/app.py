"""The application factory: only wiring."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from server.admin import init_admin
from server.app_ui import init_app_ui
from server.api import init_api
from server.api.errors import init_errors
from server.api.authentication import init_auth
from server.config import load_config
from server.deployment import init_deployment
from server.i18n import init_i18n
from server.monitoring import init_monitoring
from server.serialization import AbriJSONProvider
from server.services.migrations import check_schema
from server.services.settings import check_settings
from server.storage import init_storage
from server.storage.client import disconnect


class AbriFlask(Flask):
    """Flask with Abri's JSON (ISO 8601 dates) and a close() that ends its database client."""

    json_provider_class = AbriJSONProvider

    def close(self) -> None:
        """Close the database client: call it when a command, a worker or a test is done with the app.

        Left open, a client keeps its monitor threads until the interpreter exits, where each costs a
        wait; and closed only then, once its server has stopped, it waits for a server to end its
        sessions on. Closing twice does nothing; the app cannot reach its database afterwards.
        """
        database = self.extensions.pop("abri_db", None)
        if database is not None:
            disconnect(database)


def create_app(config: Mapping[str, Any] | None = None) -> AbriFlask:
    """Build an Abri app; `config` overrides the defaults and the ABRI_* environment."""
    app = AbriFlask(__name__, static_folder=None)
    app.config.from_mapping(load_config(config))
    check_settings(app.config)
    try:
        init_proxies(app)
        init_monitoring(app)  # first: the logs, each request's id, and the database client's metrics
        init_i18n(app)
        init_storage(app)
        init_schema(app)
        init_deployment(app, config)
        init_auth(app)
        init_api(app)
        init_admin(app)
        init_app_ui(app)
        init_errors(app)
    except BaseException:
        app.close()  # refused after connecting (a stored profile that differs, an index not built): no client left open
        raise
    app.after_request(secure_headers)
    return app


def init_schema(app: Flask) -> None:
    """Refuse a database written by a later release; migrate one written by an earlier release (MIGRATE_ON_START)."""
    app.extensions["abri_migration"] = check_schema(app.extensions["abri_db"], app.config)


def init_proxies(app: Flask) -> None:
    """Take the client's address and scheme from the TRUSTED_PROXIES proxies in front (audit, throttle, cookie)."""
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0, x_port=0, x_prefix=0)


def secure_headers(response: Response) -> Response:
    """Headers of every answer: no MIME sniffing, no referrer; API answers are never stored by a cache.

    API answers may hold personal data: `no-store`, except those that already chose their caching (the
    published metadata revalidated with ETag and `no-cache`). The admin pages set their own CSP.
    """
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    else:
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
