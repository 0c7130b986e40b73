"""The application factory: only wiring."""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from server.config import load_config
from server.serialization import AbriJSONProvider


class AbriFlask(Flask):
    """Flask with Abri's JSON (ISO 8601 dates)."""

    json_provider_class = AbriJSONProvider


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build an Abri app; `config` overrides the defaults and the ABRI_* environment."""
    from server.admin import init_admin
    from server.api import init_api
    from server.auth import init_auth
    from server.errors import init_errors
    from server.i18n import init_i18n
    from server.storage import init_storage

    app = AbriFlask(__name__, static_folder=None)
    app.config.from_mapping(load_config(config))
    init_i18n(app)
    init_storage(app)
    init_auth(app)
    init_api(app)
    init_admin(app)
    init_errors(app)
    return app
