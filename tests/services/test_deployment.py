"""The first start: the administrator's generated password follows the deployment's password policy."""
from __future__ import annotations

from server.services.context import command_line_context
from server.services.deployment import start_server
from server.storage import get_db
from tests.conftest import app_on


def test_the_generated_administrator_password_is_as_long_as_the_deployment_asks():
    with app_on("mongomock://", PASSWORD_MIN_LENGTH=24) as fresh, fresh.app_context():
        started = start_server(command_line_context(get_db(), fresh.config), fresh)
        assert started.admin_created and len(started.admin_password) >= 24
