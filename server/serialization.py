"""JSON for API responses: dates as ISO 8601 (UTC), real accents, keys in insertion order, strict JSON numbers."""
from __future__ import annotations

import math
from datetime import date, datetime, timezone
from typing import Any

from flask.json.provider import DefaultJSONProvider


class AbriJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with ISO 8601 dates instead of HTTP dates, and never NaN or Infinity."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("allow_nan", False)
        try:
            return super().dumps(obj, **kwargs)
        except ValueError:  # a NaN or Infinity stored before bodies were checked: JSON has no such numbers
            return super().dumps(_finite(obj), **kwargs)

    @staticmethod
    def default(value: Any) -> Any:
        moment = moment_text(value)
        return moment if moment is not None else DefaultJSONProvider.default(value)


def moment_text(value: Any) -> str | None:
    """A date as 2024-05-31, a date-time in UTC to the second as 2024-05-31T13:30:00Z; None for anything else."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # MongoDB stores UTC
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return None


def _finite(value: Any) -> Any:
    """Return value with every NaN and Infinity replaced by null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value
