"""Who calls a use case, from where, when, and with which settings: what every use case receives."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from server.auth import SYSTEM_USER, Principal
from server.metadata.configuration import Configuration
from server.metadata.versions import published_configuration
from server.storage import Database

CLI_ADDRESS = "cli"      # the audit log's "from where" of a command-line use case


def now_ms() -> datetime:
    """The current moment to the millisecond, as MongoDB stores it."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass
class Context:
    """The caller of a use case.

    `operator` is the machine's operator (the command line, a worker's own upkeep): every right, as
    whoever runs `abri` on the server already holds the database; only command_line_context and the
    workers make one. A caller with neither a principal nor `operator` is anonymous: the use cases
    refuse it (401) everything but logging in. `settings` is the application's configuration (read
    only). `locale` is the language of what the caller reads. `device_id`: the registered device the caller
    acts from (its credential authenticated the request).
    """

    db: Database
    settings: Mapping[str, Any]
    principal: Principal | None = None
    user_name: str = SYSTEM_USER
    address: str | None = None
    locale: str | None = None
    device_id: str | None = None
    now: datetime = field(default_factory=now_ms)
    operator: bool = False
    _config: Configuration | None = None

    @property
    def config(self) -> Configuration:
        """The published configuration, read once per context."""
        if self._config is None:
            self._config = published_configuration(self.db)
        return self._config

    def forget_config(self) -> None:
        """Read the published configuration again on next use (after a publish)."""
        self._config = None

    @property
    def is_operator(self) -> bool:
        return self.operator

    @property
    def is_anonymous(self) -> bool:
        return self.principal is None and not self.operator


def command_line_context(db: Database, settings: Mapping[str, Any], locale: str | None = None) -> Context:
    """The context of a command run by the machine's operator."""
    return Context(db=db, settings=settings, principal=None, user_name=SYSTEM_USER, address=CLI_ADDRESS,
                   locale=locale, operator=True)
