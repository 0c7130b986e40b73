"""`abri metadata import-locations`: the machine operator gets the same refusals as the API, and --confirm."""
import uuid

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.config import PROJECT_ROOT
from server.metadata import locations
from tests.api.test_locations import CASE
from tests.builders import make_user
from tests.conftest import app_on, authenticated

HEAD = "Departement,Code,Commune,Code commune\n#adm1+name,#adm1+code,#adm2+name,#adm2+code\n"
ONLY_LITTORAL = HEAD + "Littoral,BJ-LI,Cotonou,BJ-LI-01\n"


@pytest.fixture
def benin_cli(monkeypatch, secantus_uri):
    """The CLI and an app on one fresh SecantusDB database with the Bénin profile published."""
    name = f"abri_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", name)
    runner = CliRunner()
    loaded = runner.invoke(cli, ["metadata", "load", str(PROJECT_ROOT / "metadata"), "--profile", "bj", "--publish"])
    assert loaded.exit_code == 0, loaded.output
    with app_on(secantus_uri, MONGO_DB_NAME=name) as app:
        yield runner, authenticated(app, make_user(app, "admin", "role-system-administrator"))


def run(runner, tmp_path, content, *options):
    path = tmp_path / "places.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return runner.invoke(cli, ["metadata", "import-locations", str(path), "--hierarchy", "locations-bj", *options])


def test_places_in_use_are_listed_and_removed_only_with_confirm(benin_cli, tmp_path):
    runner, admin = benin_cli
    case = admin.post("/api/v1/cases", json={"data": {**CASE, "location_current": "BJ-AL-03"}})
    assert case.status_code == 201, case.get_json()
    refused = run(runner, tmp_path, ONLY_LITTORAL)
    assert refused.exit_code == 1
    assert "LOCATIONS_IN_USE: Places that records use would be removed: 1." in refused.output
    assert ("BJ-AL-03: in_use: BJ-AL-03 (Kandi) is used by records: 1 (cases: 1, incidents: 0, tracing requests: 0)."
            in refused.output)
    confirmed = run(runner, tmp_path, ONLY_LITTORAL, "--confirm")
    assert confirmed.exit_code == 0, confirmed.output
    assert "removed although records use it: BJ-AL-03 (Kandi): case 1, incident 0, tracing_request 0" in confirmed.output
    assert "3 places in locations-bj (draft), 87 removed; publish to apply." in confirmed.output
    entries = admin.get("/api/v1/audit_logs?action=locations_imported").get_json()["data"]
    assert [(e["user_name"], e["address"]) for e in entries] == [("system", "cli")]


def test_a_file_that_is_not_utf8_or_too_large_is_refused(benin_cli, tmp_path, monkeypatch):
    runner, _ = benin_cli
    latin1 = run(runner, tmp_path, (HEAD + "Ouémé,BJ-OU,Sèmè-Kpodji,BJ-OU-08\n").encode("latin-1"))
    assert latin1.exit_code == 1
    assert "row 3: encoding: Row 3 is not UTF-8 text: save the file as CSV (UTF-8)." in latin1.output
    monkeypatch.setattr(locations, "MAX_FILE_BYTES", 100)
    large = run(runner, tmp_path, ONLY_LITTORAL + "Zou,BJ-ZO,Abomey,BJ-ZO-01\n" * 10)
    assert large.exit_code == 1
    assert "CSV_TOO_LARGE: The file is larger than 100 bytes; split it." in large.output
