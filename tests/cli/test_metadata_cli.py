"""`abri metadata`: the command line publishes, restores and imports places as the API does, audited alike.

Each test runs the CLI and an API client on one database: the entry a command writes must be the
one the API writes for the same act, with the machine operator as its author ("system", from "cli").
"""
import uuid
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.metadata import draft as drafts
from server.metadata.files import dump_directory
from server.metadata.versions import LanguageSettings
from server.storage import get_db
from tests.builders import lookup, make_user, minimal_configuration
from tests.conftest import app_on, authenticated
from tests.services.test_configuration import PLACES, TOGO

SAME = ("action", "resource", "record_id", "status")  # what an entry says about the act itself


@pytest.fixture
def world(monkeypatch, secantus_uri, tmp_path):
    """The CLI and an administrator's API client on one fresh database, the minimal configuration loaded by the CLI."""
    name = f"abri_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", name)
    dump_directory(minimal_configuration(), tmp_path / "config")
    runner = CliRunner()
    loaded = runner.invoke(cli, ["metadata", "load", str(tmp_path / "config"), "--publish"])
    assert loaded.exit_code == 0, loaded.output
    with app_on(secantus_uri, MONGO_DB_NAME=name) as app:
        yield runner, authenticated(app, make_user(app, "admin", "role-system-administrator"))


def run(runner, *arguments: str) -> str:
    result = runner.invoke(cli, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def entries(client, action: str) -> list[dict]:
    """The audit entries of `action`, oldest first, as an administrator reads them."""
    return client.get(f"/api/v1/audit_logs?action={action}").get_json()["data"][::-1]


def add_lookup(client, unique_id: str) -> None:
    assert client.post("/api/v1/lookups", json={"data": lookup(unique_id, "yes", "no")}).status_code == 201


def test_load_publish_and_publish_are_audited_like_the_api_publish(world):
    runner, admin = world
    add_lookup(admin, "lookup-api")
    assert admin.post("/api/v1/metadata/publish", json={"data": {"comment": "from the API"}}).status_code == 201
    add_lookup(admin, "lookup-cli")
    assert "Published version 3." in run(runner, "metadata", "publish", "-m", "from the command line")
    loaded, by_api, by_cli = entries(admin, "metadata_publish")
    for entry in (loaded, by_cli):
        assert {key: entry[key] for key in SAME} == {key: by_api[key] for key in SAME}
        assert (entry["user_name"], entry["address"]) == ("system", "cli")
    assert (by_api["user_name"], by_api["address"]) == ("admin", "127.0.0.1")
    assert [entry["detail"] for entry in (loaded, by_api, by_cli)] == ["version 1", "version 2", "version 3"]


def test_restore_from_the_command_line_is_audited_like_the_api_restore(world):
    runner, admin = world
    add_lookup(admin, "lookup-api")
    assert admin.post("/api/v1/metadata/publish", json={}).status_code == 201
    assert admin.post("/api/v1/metadata/versions/1/restore", json={}).status_code == 201
    assert "Restored version 2 as version 4." in run(runner, "metadata", "restore", "2")
    by_api, by_cli = entries(admin, "metadata_restore")
    assert {key: by_cli[key] for key in SAME} == {key: by_api[key] for key in SAME}
    assert [(e["user_name"], e["address"], e["detail"]) for e in (by_api, by_cli)] == [
        ("admin", "127.0.0.1", "version 1 as 3"), ("system", "cli", "version 2 as 4")]
    assert admin.get("/api/v1/lookups/lookup-api").status_code == 200  # version 2 is live again


def test_a_restore_that_would_lose_draft_changes_needs_discard_draft(world):
    runner, admin = world
    add_lookup(admin, "lookup-published")
    assert admin.post("/api/v1/metadata/publish", json={}).status_code == 201
    add_lookup(admin, "lookup-draft")
    refused = runner.invoke(cli, ["metadata", "restore", "1"])
    assert refused.exit_code == 1 and "DRAFT_NOT_EMPTY" in refused.output
    assert entries(admin, "metadata_restore") == []
    assert "Restored version 1 as version 3." in run(runner, "metadata", "restore", "1", "--discard-draft")
    assert admin.get("/api/v1/lookups/lookup-draft?draft=true").status_code == 404


def test_import_locations_is_audited_like_the_api_import(world, tmp_path):
    runner, admin = world
    with admin.application.app_context():
        drafts.create_document(get_db(), "location", TOGO, LanguageSettings(("en", "fr"), "en"), "tester",
                               datetime.now(timezone.utc))
    by_api = admin.post("/api/v1/metadata/locations/import?unique_id=locations-tg", data=PLACES,
                        content_type="text/csv")
    assert by_api.status_code == 200, by_api.get_json()
    (tmp_path / "places.csv").write_text(PLACES, "utf-8")
    assert "3 places in locations-tg (draft), 0 removed" in run(
        runner, "metadata", "import-locations", str(tmp_path / "places.csv"), "--hierarchy", "locations-tg")
    by_api, by_cli = entries(admin, "locations_imported")
    assert {key: by_cli[key] for key in (*SAME, "detail")} == {key: by_api[key] for key in (*SAME, "detail")}
    assert [(e["user_name"], e["address"]) for e in (by_api, by_cli)] == [("admin", "127.0.0.1"), ("system", "cli")]
