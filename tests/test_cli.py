"""The `abri` command line: serve with the embedded database, and the metadata workflow."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.config import PROJECT_ROOT
from server.embedded import free_port
from server.metadata.files import dump_directory
from tests.builders import minimal_configuration


@pytest.fixture
def cli_env(monkeypatch, secantus_uri):
    """Point the CLI at a fresh database on the test SecantusDB server."""
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", f"abri_cli_{uuid.uuid4().hex[:8]}")
    return CliRunner()


def test_load_publish_and_dump_round_trip_without_a_diff(cli_env, tmp_path):
    source, target = tmp_path / "source", tmp_path / "target"
    dump_directory(minimal_configuration(), source)
    loaded = cli_env.invoke(cli, ["metadata", "load", str(source), "--publish"])
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 7 documents" in loaded.output and "Published version 1." in loaded.output
    dumped = cli_env.invoke(cli, ["metadata", "dump", str(target)])
    assert dumped.exit_code == 0, dumped.output
    files = sorted(p.relative_to(source) for p in source.rglob("*.json"))
    assert files == sorted(p.relative_to(target) for p in target.rglob("*.json"))
    for name in files:
        assert (source / name).read_bytes() == (target / name).read_bytes()


def test_load_reports_every_problem_and_loads_nothing(cli_env, tmp_path):
    dump_directory(minimal_configuration(), tmp_path)
    (tmp_path / "forms" / "basic_identity.json").write_text("{broken", "utf-8")
    result = cli_env.invoke(cli, ["metadata", "load", str(tmp_path)])
    assert result.exit_code == 1
    assert "FOLDER_INVALID" in result.output and "forms/basic_identity.json" in result.output


def test_publish_without_changes_fails_with_a_clear_message(cli_env, tmp_path):
    dump_directory(minimal_configuration(), tmp_path)
    cli_env.invoke(cli, ["metadata", "load", str(tmp_path), "--publish"])
    result = cli_env.invoke(cli, ["metadata", "publish"])
    assert result.exit_code == 1
    assert "NOTHING_TO_PUBLISH" in result.output


def test_users_and_agencies_from_the_command_line(cli_env, tmp_path):
    dump_directory(minimal_configuration(), tmp_path)
    cli_env.invoke(cli, ["metadata", "load", str(tmp_path), "--publish"])
    made = cli_env.invoke(cli, ["users", "create-admin", "--user-name", "root"], input="long enough pass\n" * 2)
    assert made.exit_code == 0, made.output
    agency = cli_env.invoke(cli, ["agencies", "create", "gups-cotonou", "--code", "COT", "--name-en", "GUPS Cotonou",
                                  "--name-fr", "GUPS Cotonou"])
    assert agency.exit_code == 0, agency.output
    short = cli_env.invoke(cli, ["users", "create", "awa", "--role", "role-system-administrator", "--agency",
                                 "gups-cotonou", "--password", "short"])
    assert short.exit_code == 1 and "PASSWORD_TOO_SHORT" in short.output
    unknown_role = cli_env.invoke(cli, ["users", "create", "awa", "--role", "role-nobody", "--password", "long enough pass"])
    assert unknown_role.exit_code == 1 and "role_unique_id" in unknown_role.output
    disabled = cli_env.invoke(cli, ["users", "disable", "root"])
    assert disabled.exit_code == 0 and "revoked" in disabled.output


ADMIN_PASSWORD = "first start password"


def _get_json(url: str, token: str | None = None, body: dict | None = None):
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


def _token(port: int) -> str:
    return _get_json(f"http://127.0.0.1:{port}/api/v1/tokens", body={"user_name": "admin", "password": ADMIN_PASSWORD})[1]["data"]["token"]


def _start_server(tmp_path: Path, port: int, *arguments: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ABRI_")}
    env["ABRI_INSTANCE_PATH"] = str(tmp_path / "instance")
    env["ABRI_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    return subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port), *arguments], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT)


def _wait_until_serving(process: subprocess.Popen, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("abri serve exited early:\n" + process.stdout.read())
        try:
            _get_json(url)
            return
        except urllib.error.HTTPError:  # it answers (401 without a token): it is serving
            return
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("abri serve did not answer:\n" + process.stdout.read())


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return output


def test_serve_runs_the_shipped_configuration_on_the_embedded_database_and_stops_cleanly(tmp_path):
    pytest.importorskip("secantus")
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/forms?record_type=case&locale=fr"
    process = _start_server(tmp_path, port)
    try:
        _wait_until_serving(process, url)
        status, body = _get_json(url, _token(port))
        assert status == 200
        identity = next(form for form in body["data"] if form["unique_id"] == "basic_identity")
        assert identity["name"] == "Identité de base" or identity["name"] != identity["unique_id"]
        assert body["meta"]["version"] == 1
    finally:
        output = _stop(process)
    assert process.returncode == 0, output
    assert "Published the shipped configuration as version 1." in output
    assert "Created the administrator: user name admin." in output
    assert "Abri stopped." in output
    assert not (tmp_path / "instance" / "embedded-db.uri").exists()

    # The data survive a restart: the configuration is not published a second time.
    process = _start_server(tmp_path, port)
    try:
        _wait_until_serving(process, url)
        assert _get_json(f"http://127.0.0.1:{port}/api/v1/metadata/versions", _token(port))[1]["meta"]["total"] == 1
    finally:
        output = _stop(process)
    assert "Published the shipped configuration" not in output
    assert "Created the administrator" not in output


def test_serve_with_a_country_profile(tmp_path):
    pytest.importorskip("secantus")
    port = free_port()
    env_process = _start_server(tmp_path, port, "--profile", "bj")
    try:
        _wait_until_serving(env_process, f"http://127.0.0.1:{port}/api/v1/forms")
        token = _token(port)
        departments = _get_json(f"http://127.0.0.1:{port}/api/v1/locations?admin_level=1", token)[1]
        assert departments["meta"]["total"] == 12
        forms = _get_json(f"http://127.0.0.1:{port}/api/v1/forms?record_type=case", token)[1]["data"]
        identity = next(form for form in forms if form["unique_id"] == "identity_documents_bj")
        assert identity["name_i18n"]["fr"] == "Pièces d'identité (Bénin)"
        agencies = _get_json(f"http://127.0.0.1:{port}/api/v1/agencies", token)[1]
        assert agencies["meta"]["total"] == 3
        try:  # messages default to French in Bénin
            _get_json(f"http://127.0.0.1:{port}/api/v1/cases/00000000-0000-4000-8000-000000000000", token)
        except urllib.error.HTTPError as error:
            assert "introuvable" in json.loads(error.read())["error"]["message"]
    finally:
        output = _stop(env_process)
    assert "with the Bénin profile" in output


def test_load_a_profile_from_the_command_line(cli_env):
    result = cli_env.invoke(cli, ["metadata", "load", str(PROJECT_ROOT / "metadata"), "--profile", "cm", "--publish"])
    assert result.exit_code == 0, result.output
    unknown = cli_env.invoke(cli, ["metadata", "load", str(PROJECT_ROOT / "metadata"), "--profile", "zz"])
    assert unknown.exit_code == 1 and "PROFILE_UNKNOWN" in unknown.output


def test_export_from_the_command_line(cli_env, tmp_path):
    import openpyxl

    dump_directory(minimal_configuration(), tmp_path / "config")
    cli_env.invoke(cli, ["metadata", "load", str(tmp_path / "config"), "--publish"])
    cli_env.invoke(cli, ["users", "create-admin", "--user-name", "root"], input="long enough pass\n" * 2)
    out = tmp_path / "cases.xlsx"
    result = cli_env.invoke(cli, ["export", "--user", "root", "--locale", "fr", "--filter", "sex=female", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Wrote 0 records" in result.output
    assert openpyxl.load_workbook(out).sheetnames[-1] == "À propos de cet export"
    bad = cli_env.invoke(cli, ["export", "--user", "root", "--filter", "nonsense", "--out", str(out)])
    assert bad.exit_code == 2 and "FIELD=VALUE" in bad.output
    refused = cli_env.invoke(cli, ["export", "--user", "ghost", "--out", str(out)])
    assert refused.exit_code == 1 and "USER_DISABLED" in refused.output


def test_export_from_the_command_line_leaves_disabled_records_out_unless_asked(cli_env, tmp_path, secantus_uri):
    import openpyxl

    from tests.conftest import authenticated, make_app

    dump_directory(minimal_configuration(), tmp_path / "config")
    cli_env.invoke(cli, ["metadata", "load", str(tmp_path / "config"), "--publish"])
    cli_env.invoke(cli, ["users", "create-admin", "--user-name", "root"], input="long enough pass\n" * 2)
    app = make_app(secantus_uri, MONGO_DB_NAME=os.environ["ABRI_MONGO_DB_NAME"])
    try:
        token = app.test_client().post("/api/v1/tokens", json={"user_name": "root", "password": "long enough pass"})
        client = authenticated(app, token.get_json()["data"]["token"])
        ids = [client.post("/api/v1/cases", json={"data": {"name": name}}).get_json()["data"]["id"]
               for name in ("Awa", "Koffi")]
        assert client.delete(f"/api/v1/cases/{ids[1]}").status_code == 200
    finally:
        app.close()

    def names(*options: str) -> list[str]:
        out = tmp_path / "cases.xlsx"
        result = cli_env.invoke(cli, ["export", "--user", "root", *options, "--out", str(out)])
        assert result.exit_code == 0, result.output
        sheet = openpyxl.load_workbook(out).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        return sorted(f"{row[header.index('Name')]} {row[header.index('Record state')] if 'Record state' in header else ''}"
                      .strip() for row in sheet.iter_rows(min_row=2, values_only=True))

    assert names() == ["Awa"]
    assert names("--include-disabled") == ["Awa Enabled record", "Koffi Disabled record"]


def test_import_locations_from_the_command_line(cli_env, tmp_path):
    cli_env.invoke(cli, ["metadata", "load", str(PROJECT_ROOT / "metadata"), "--profile", "bj", "--publish"])
    good = tmp_path / "places.csv"
    good.write_text("Dep,Code,Commune,Code commune\n#adm1+name,#adm1+code,#adm2+name,#adm2+code\n"
                    "Littoral,BJ-LI,Cotonou,BJ-LI-01\n", "utf-8")
    result = cli_env.invoke(cli, ["metadata", "import-locations", str(good), "--hierarchy", "locations-bj"])
    assert result.exit_code == 0, result.output
    assert "3 places in locations-bj" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("#adm1+name,#adm1+code\nLittoral,\n", "utf-8")
    refused = cli_env.invoke(cli, ["metadata", "import-locations", str(bad), "--hierarchy", "locations-bj"])
    assert refused.exit_code == 1 and "row 2" in refused.output


def test_a_restart_after_kill_9_keeps_the_country_profile_and_refuses_another(tmp_path):
    pytest.importorskip("secantus")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ABRI_")}
    env.update(ABRI_INSTANCE_PATH=str(tmp_path / "instance"), ABRI_ADMIN_PASSWORD=ADMIN_PASSWORD)
    first = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--profile", "bj"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=PROJECT_ROOT,
                             start_new_session=True)  # the server and its database in one process group
    try:
        _wait_until_serving(first, f"http://127.0.0.1:{port}/api/v1/forms")
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the whole stack goes down, nothing is stopped cleanly
        first.communicate(timeout=30)
    restart = _start_server(tmp_path, port)  # no --profile, no ABRI_PROFILE
    try:
        _wait_until_serving(restart, f"http://127.0.0.1:{port}/api/v1/forms")
        token = _token(port)
        try:
            _get_json(f"http://127.0.0.1:{port}/api/v1/cases/00000000-0000-4000-8000-000000000000", token)
        except urllib.error.HTTPError as error:  # still French by default
            assert "introuvable" in json.loads(error.read())["error"]["message"]
        assert _get_json(f"http://127.0.0.1:{port}/api/v1/metadata/versions", token)[1]["meta"]["total"] == 1
    finally:
        output = _stop(restart)
    assert "Deployment: country profile bj (Bénin), since" in output
    assert "Active: languages fr, en; labels default to fr; messages default to fr." in output
    assert "Published the shipped configuration" not in output and "Created the agencies" not in output
    other = _start_server(tmp_path, port, "--profile", "cm")
    output = other.communicate(timeout=60)[0]
    assert other.returncode == 1
    assert "PROFILE_MISMATCH: This database was set up with the country profile bj, and this start asks for cm." \
        in output
