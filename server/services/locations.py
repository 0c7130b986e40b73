"""Location use cases: the published places (anyone signed in), and a hierarchy's places replaced from a CSV file."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.metadata import boundaries, locations
from server.metadata.documents import LOCATION
from server.metadata.versions import changes_since
from server.services.audit import audit
from server.services.configuration import MANAGE, languages_of
from server.services.context import Context
from server.services.permission import require_any

MAX_FILE_BYTES = locations.MAX_FILE_BYTES  # a file read from disk: one byte more is refused as too large
MAX_BOUNDARIES_BYTES = boundaries.MAX_FILE_BYTES


@dataclass(frozen=True)
class Places:
    """Published places, each with its admin level's `type`; hierarchies deleted since the version asked for."""

    places: list[dict[str, Any]]
    deleted: list[str]
    version: int


def published_places(ctx: Context, admin_level: int | None = None, parent_code: str | None = None,
                     since: int | None = None) -> Places:
    """The places of the published hierarchies (of those changed after version `since`), by level and parent."""
    hierarchies = ctx.config.documents_by_kind[LOCATION]
    chosen, deleted = list(hierarchies), []
    if since is not None:
        _, chosen, deleted = changes_since(ctx.db, since, LOCATION)
    places = []
    for uid in chosen:
        types = {level["admin_level"]: level["type"] for level in hierarchies[uid]["admin_levels"]}
        places += [{**place, "type": types.get(place["admin_level"])} for place in hierarchies[uid]["locations"]
                   if (admin_level is None or place["admin_level"] == admin_level)
                   and (parent_code is None or place.get("parent_code") == parent_code)]
    return Places(places, deleted, ctx.config.version)


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


def import_boundaries(ctx: Context, unique_id: str, data: bytes, code_property: str = "code") -> dict[str, Any]:
    """Set the map shapes of a draft hierarchy's places from a GeoJSON file; audited with how many places."""
    require_any(ctx, MANAGE)
    result = boundaries.import_boundaries(ctx.db, unique_id, data, languages_of(ctx), ctx.user_name, ctx.now,
                                          code_property)
    audit(ctx, "boundaries_imported", LOCATION, unique_id, detail=f"{len(result['places'])} places")
    return result
