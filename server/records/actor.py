"""Who acts on records: the user (and what their role grants), when, and how new records are numbered."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from server.auth.permissions import Principal
from server.errors import Error, Forbidden
from server.records.types import RecordType


@dataclass(frozen=True)
class Actor:
    """Who acts (and what their role grants; None for the system itself), when, and the display id format.

    `device_id`: the registered device the change comes from (a field app); `change_id` and `change_hash`: the
    client's id of one change it pushes and the hash of its content, kept in the history entry so that the same
    change sent again is recognised (and the same id with other content refused).
    """

    user_name: str
    now: datetime
    principal: Principal | None = None
    office_code: str = ""
    display_id_format: str = "{short_id}"
    device_id: str | None = None
    change_id: str | None = None
    change_hash: str | None = None

    def require(self, record_type: RecordType, action: str) -> None:
        """Refuse with 403 unless the role grants `action` on this record type."""
        if self.principal is not None and not self.principal.can(record_type.name, action):
            raise Forbidden(Error.ACTION_DENIED, action=action, resource=record_type.name)
