"""Location use cases: replace the places of a hierarchy in the draft with a CSV file (HXL hashtags)."""
from __future__ import annotations

from typing import Any

from server.metadata import locations
from server.metadata.documents import LOCATION
from server.services.audit import audit
from server.services.configuration import MANAGE, languages_of, require_any
from server.services.context import Context

MAX_FILE_BYTES = locations.MAX_FILE_BYTES  # a file read from disk: one byte more is refused as too large


def import_places(ctx: Context, unique_id: str, data: bytes | str, confirm: bool = False) -> dict[str, Any]:
    """Replace the places of a draft hierarchy; audited with how many places, removed, and removed in use.

    Returns {"entry": the draft entry, "removed": codes gone, "removed_in_use": places gone that
    records hold}; without `confirm`, removing places that records hold is refused (LOCATIONS_IN_USE).
    """
    require_any(ctx, MANAGE)
    result = locations.import_csv(ctx.db, unique_id, data, languages_of(ctx), ctx.user_name, ctx.now,
                                  confirm=confirm)
    in_use = result["removed_in_use"]
    audit(ctx, "locations_imported", LOCATION, unique_id,
          detail=f"{len(result['entry']['body']['locations'])} places; removed {len(result['removed'])}, of which "
                 f"in use {len(in_use)}: {' '.join(place['code'] for place in in_use)}"[:1000])
    return result
