"""Place boundaries for maps, from a GeoJSON file: each feature's geometry under its place's code.

    {"type": "FeatureCollection", "features": [
      {"type": "Feature", "properties": {"code": "BJ-AK"}, "geometry": {"type": "Polygon", "coordinates": [...]}}]}

Only polygons (Polygon, MultiPolygon) of longitudes and latitudes; a feature names a place of the hierarchy by the
property `code` (or another, for files whose codes live elsewhere). Every problem is reported with the feature's
position, and nothing changes if any feature fails. Coordinates are rounded to 5 decimals (about a metre): a
department's outline needs no more, and the shapes stay small.
"""
from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any, Iterator

from server.errors import Detail, Error, PayloadTooLarge, Unprocessable
from server.metadata import draft as drafts
from server.metadata.documents import LOCATION
from server.metadata.versions import LanguageSettings
from server.rules import Rule
from server.storage import Database

MAX_FILE_BYTES = 32 * 1024 * 1024
MAX_POINTS = 200_000   # points in all the shapes of a hierarchy
MAX_DETAILS = 100
DECIMALS = 5


def _rings(geometry: dict[str, Any]) -> Iterator[Any]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for polygon in polygons if isinstance(polygons, list) else ():
        yield from polygon if isinstance(polygon, list) else [None]


def _point_ok(point: Any) -> bool:
    return (isinstance(point, list) and len(point) >= 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in point[:2])
            and -180 <= point[0] <= 180 and -90 <= point[1] <= 90)


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    def points(ring):
        return [[round(point[0], DECIMALS), round(point[1], DECIMALS)] for point in ring]
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": [points(ring) for ring in geometry["coordinates"]]}
    return {"type": "MultiPolygon", "coordinates": [[points(ring) for ring in polygon]
                                                    for polygon in geometry["coordinates"]]}


def parse_boundaries(data: bytes, codes: set[str], code_property: str = "code") -> dict[str, dict[str, Any]]:
    """The shapes of a GeoJSON FeatureCollection by place code; Unprocessable names each bad feature."""
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(Error.PAYLOAD_TOO_LARGE, limit=MAX_FILE_BYTES)
    try:
        collection = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise Unprocessable(Error.BOUNDARIES_INVALID, details=[Detail.of("/", Rule.JSON, reason="GeoJSON")]) from None
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise Unprocessable(Error.BOUNDARIES_INVALID, details=[Detail.of("/features", Rule.REQUIRED)])
    shapes, details, points = {}, [], 0
    for index, feature in enumerate(features):
        where = f"/features/{index}"
        properties = feature.get("properties") if isinstance(feature, dict) else None
        code = properties.get(code_property) if isinstance(properties, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(code, str) or code not in codes:
            details.append(Detail.of(f"{where}/properties/{code_property}", Rule.LOCATION, value=str(code)[:60]))
        elif not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            details.append(Detail.of(f"{where}/geometry/type", Rule.ENUM, allowed="Polygon, MultiPolygon"))
        elif not all(isinstance(ring, list) and len(ring) >= 4 and all(_point_ok(p) for p in ring)
                     for ring in _rings(geometry)) or not any(True for _ in _rings(geometry)):
            details.append(Detail.of(f"{where}/geometry/coordinates", Rule.BOUNDARY_POINTS))
        else:
            points += sum(len(ring) for ring in _rings(geometry))
            shapes[code] = _rounded(geometry)
        if len(details) >= MAX_DETAILS:
            break
    if points > MAX_POINTS:
        details.append(Detail.of("/features", Rule.MAX_ITEMS, limit=MAX_POINTS))
    if details:
        raise Unprocessable(Error.BOUNDARIES_INVALID, details=details)
    return shapes


def import_boundaries(db: Database, unique_id: str, data: bytes, languages: LanguageSettings, user: str,
                      now: datetime, code_property: str = "code") -> dict[str, Any]:
    """Set the boundaries of a draft hierarchy's places from GeoJSON (places the file does not name keep theirs)."""
    entry = drafts.get_document(db, LOCATION, unique_id)
    codes = {place["code"] for place in entry["body"]["locations"]}
    shapes = parse_boundaries(data, codes, code_property)
    stored = drafts.modify_document(
        db, LOCATION, unique_id, lambda body: {**body, "boundaries": {**(body.get("boundaries") or {}), **shapes}},
        None, languages, user, now)
    return {"entry": stored, "places": sorted(shapes)}
