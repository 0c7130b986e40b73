"""JSON for API responses: dates as ISO 8601 (UTC), real accents, keys in insertion order."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from flask.json.provider import DefaultJSONProvider


class AbriJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with ISO 8601 dates instead of HTTP dates."""

    ensure_ascii = False
    sort_keys = False

    @staticmethod
    def default(value: Any) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None:  # MongoDB stores UTC
                value = value.replace(tzinfo=timezone.utc)
            return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        if isinstance(value, date):
            return value.isoformat()
        return DefaultJSONProvider.default(value)
