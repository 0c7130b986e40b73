"""Map shapes for a hierarchy's places from GeoJSON: `abri metadata import-boundaries`, and a map report's answer."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.errors import Unprocessable
from server.metadata.boundaries import parse_boundaries
from tests.builders import make_user, publish
from tests.conftest import authenticated
from tests.reports.test_report_access import CASE, benin_on


def square(x: float, y: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]]}


def collection(*features) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code}, "geometry": geometry} for code, geometry in features]}).encode()


def test_the_cli_sets_the_shapes_and_a_map_report_answers_them(tmp_path, monkeypatch, secantus_uri):
    with benin_on(secantus_uri) as app:
        monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
        monkeypatch.setenv("ABRI_MONGO_DB_NAME", app.config["MONGO_DB_NAME"])
        admin = authenticated(app, make_user(app, "root", "role-system-administrator"))
        worker = authenticated(app, make_user(app, "ts1", "role-case-worker", agency="gups-exemple-1"))
        worker.post("/api/v1/cases", json={"data": CASE})
        path = tmp_path / "departements.geojson"
        path.write_bytes(collection(("BJ-AK", square(1.0, 10.123456789)), ("BJ-LI", square(2.4, 6.3))))
        result = CliRunner().invoke(cli, ["metadata", "import-boundaries", str(path), "--hierarchy", "locations-bj"])
        assert result.exit_code == 0, result.output
        assert "2 places of locations-bj have a shape" in result.output
        publish(admin)
        answer = admin.get("/api/v1/reports/report-cases-by-department/result").get_json()["data"]
        assert set(answer["boundaries"]) == {"BJ-AK", "BJ-LI"}
        assert answer["boundaries"]["BJ-AK"]["coordinates"][0][0] == [1.0, 10.12346]
        bundle = worker.get("/api/v1/sync/bundle").get_json()["data"]
        assert all("boundaries" not in hierarchy for hierarchy in bundle["locations"])  # never sent to tablets


@pytest.mark.parametrize("features, field", [
    ([("BJ-XX", square(1, 1))], "/features/0/properties/code"),
    ([("BJ-AK", {"type": "Point", "coordinates": [1, 1]})], "/features/0/geometry/type"),
    ([("BJ-AK", {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [1, 1]]]})], "/features/0/geometry/coordinates"),
    ([("BJ-AK", {"type": "Polygon", "coordinates": [[[1, 91], [2, 1], [2, 2], [1, 91]]]})],
     "/features/0/geometry/coordinates"),
    ([("BJ-AK", {"type": "Polygon", "coordinates": [[[1, "x"], [2, 1], [2, 2], [1, 1]]]})],
     "/features/0/geometry/coordinates"),
])
def test_a_bad_feature_is_refused_by_its_position_and_nothing_changes(features, field):
    with pytest.raises(Unprocessable) as refused:
        parse_boundaries(collection(*features), {"BJ-AK"})
    assert field in [detail.field for detail in refused.value.details]


def test_a_file_that_is_not_geojson_is_refused():
    for data in (b"\xff\xfe", b"[]", b'{"features": 3}', b"NaN"):
        with pytest.raises(Unprocessable):
            parse_boundaries(data, {"BJ-AK"})
