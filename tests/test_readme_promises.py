"""What README.md promises and no other test checked: settings, metadata reads and edits, users, the command line.

Each test names the README section it holds to; the audit that chose them is /work/shared/briefs/readme-promises.md.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from server.cli import cli
from server.config import PROJECT_ROOT, load_config
from server.services.workers import run_once
from tests.builders import PASSWORD, field, form, make_user, minimal_configuration, publish, seed
from tests.conftest import app_on, authenticated

README = (PROJECT_ROOT / "README.md").read_text("utf-8")
MISSING = "00000000-0000-4000-8000-000000000000"
NOT_FOUND_EN, NOT_FOUND_FR = f"Case {MISSING} was not found.", f"Dossier {MISSING} est introuvable."


@pytest.fixture
def seeded():
    """Make apps on mongomock (minimal configuration, settings from the environment); each is closed at the end."""
    with contextlib.ExitStack() as apps:
        def make(**overrides):
            application = apps.enter_context(app_on("mongomock://", **overrides))
            return application, authenticated(application, seed(application, minimal_configuration()))
        yield make


def near(stamp: str, expected: datetime) -> bool:
    return abs(datetime.fromisoformat(stamp.replace("Z", "+00:00")) - expected) < timedelta(minutes=1)


# ## Configuration


def readme_settings() -> list[tuple[str, str]]:
    """(variable, default) for every row of the README's settings table, `A` / `B` rows split in two."""
    table = README.split("| variable | default | meaning |", 1)[1].split("\n\n", 1)[0]
    settings = []
    for row in table.splitlines()[2:]:
        variables, defaults = (re.findall(r"`([^`]*)`", cell) or [cell.strip()] for cell in row.split("|")[1:3])
        settings += zip(variables, defaults)
    return settings


def as_documented(default: str, actual):
    """The README's spelling of a default, in the type of the setting (`empty` is the empty text)."""
    if default == "empty":
        return ""
    if isinstance(actual, bool):
        return {"true": True, "false": False}[default]
    if isinstance(actual, tuple):
        return tuple(default.split(","))
    if isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return type(actual)(default)
    if default.endswith("/"):  # a folder of the source checkout (an installed package has its own default)
        return str(PROJECT_ROOT / default.rstrip("/"))
    return default


def test_the_readme_lists_the_settings_with_the_defaults_of_the_code():
    settings, defaults = readme_settings(), load_config(environ={})
    assert len(settings) >= 25
    for variable, default in settings:
        name = variable.removeprefix("ABRI_")
        assert name in defaults, f"{variable} is in the README but not in server/config.py"
        assert defaults[name] == as_documented(default, defaults[name]), variable


def test_every_setting_of_the_readme_is_set_by_its_environment_variable():
    defaults = load_config(environ={})
    for variable, _ in readme_settings():
        name = variable.removeprefix("ABRI_")
        default = defaults[name]
        raw, expected = (("en,fr,fon", ("en", "fr", "fon")) if isinstance(default, tuple)
                         else (" OFF ", False) if isinstance(default, bool)
                         else (" 3 ", 3) if isinstance(default, int) else ("chosen", "chosen"))
        assert load_config(environ={variable: raw})[name] == expected, variable


def test_list_pages_are_capped_by_the_max_per_page_setting(monkeypatch, seeded):
    monkeypatch.setenv("ABRI_MAX_PER_PAGE", "2")
    _, client = seeded()
    for name in ("Awa", "Koffi", "Nadia"):
        assert client.post("/api/v1/cases", json={"data": {"name": name}}).status_code == 201
    listing = client.get("/api/v1/cases?per_page=50").get_json()
    meta = listing["meta"]
    assert (meta["total"], meta["page"], meta["per_page"], meta["total_exact"]) == (3, 1, 2, True)
    assert len(listing["data"]) == 2 and isinstance(meta["next_cursor"], str)


def test_the_display_id_format_and_office_code_make_the_display_ids(monkeypatch, seeded):
    monkeypatch.setenv("ABRI_DISPLAY_ID_FORMAT", "{office_code}-{short_id}")
    monkeypatch.setenv("ABRI_OFFICE_CODE", "COT")
    _, client = seeded()
    case = client.post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    assert case["case_id_display"] == f"COT-{case['short_id']}"
    incident = client.post("/api/v1/incidents", json={"data": {}}).get_json()["data"]
    assert incident["incident_id_display"] == f"COT-{incident['short_id']}"


def login(application, route: str):
    return application.test_client().post(f"/api/v1/{route}", json={"user_name": "admin", "password": PASSWORD})


def test_tokens_last_12_hours_and_sessions_8_by_default(seeded):
    application, _ = seeded()
    now = datetime.now(timezone.utc)
    assert near(login(application, "tokens").get_json()["data"]["expires_at"], now + timedelta(hours=12))
    session = login(application, "sessions")
    assert near(session.get_json()["data"]["expires_at"], now + timedelta(hours=8))
    assert "Max-Age=28800" in session.headers["Set-Cookie"]


def test_token_and_session_lifetimes_are_settings(monkeypatch, seeded):
    monkeypatch.setenv("ABRI_TOKEN_TTL_HOURS", "1")
    monkeypatch.setenv("ABRI_SESSION_TTL_HOURS", "2")
    application, _ = seeded()
    now = datetime.now(timezone.utc)
    assert near(login(application, "tokens").get_json()["data"]["expires_at"], now + timedelta(hours=1))
    session = login(application, "sessions")
    assert near(session.get_json()["data"]["expires_at"], now + timedelta(hours=2))
    assert "Max-Age=7200" in session.headers["Set-Cookie"]


@pytest.mark.parametrize("mode, scheme, secure", [("always", "http", True), ("never", "https", False)])
def test_the_session_cookie_secure_flag_follows_its_setting(monkeypatch, mode, scheme, secure, seeded):
    monkeypatch.setenv("ABRI_SESSION_COOKIE_SECURE_MODE", mode)
    application, _ = seeded()
    session = application.test_client().post("/api/v1/sessions", json={"user_name": "admin", "password": PASSWORD},
                                             base_url=f"{scheme}://localhost")
    assert session.status_code == 201 and ("Secure" in session.headers["Set-Cookie"]) is secure


def test_an_export_file_is_kept_for_the_export_ttl_days(monkeypatch, seeded):
    monkeypatch.setenv("ABRI_EXPORT_TTL_DAYS", "2")
    application, client = seeded()
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "json"}}).get_json()["data"]
    assert run_once(application, "test-worker")
    done = client.get(f"/api/v1/exports/{job['id']}").get_json()["data"]
    finished = datetime.fromisoformat(done["finished_at"].replace("Z", "+00:00"))
    assert near(done["expires_at"], finished + timedelta(days=2))


# ## API overview and ## Adding a language: the language of a request


def test_messages_follow_the_default_locale_setting(monkeypatch, seeded):
    _, english = seeded()
    assert english.get(f"/api/v1/cases/{MISSING}").get_json()["error"]["message"] == NOT_FOUND_EN
    monkeypatch.setenv("ABRI_DEFAULT_LOCALE", "fr")
    _, french = seeded()
    assert french.get(f"/api/v1/cases/{MISSING}").get_json()["error"]["message"] == NOT_FOUND_FR


def test_the_language_is_the_query_then_the_users_preference_then_accept_language(app, client):
    worker = authenticated(app, make_user(app, "awa", "role-system-administrator"))

    def message(who, query="", language=None):
        headers = {"Accept-Language": language} if language else {}
        return who.get(f"/api/v1/cases/{MISSING}{query}", headers=headers).get_json()["error"]["message"]

    assert message(worker, language="fr") == NOT_FOUND_FR
    assert message(worker, "?locale=en", language="fr") == NOT_FOUND_EN
    assert client.patch("/api/v1/users/awa", json={"data": {"locale": "fr"}}).status_code == 200
    assert message(worker, language="en") == NOT_FOUND_FR
    assert message(worker, "?locale=en") == NOT_FOUND_EN


# ## API overview: metadata reads


METADATA_READS = ["/api/v1/forms", "/api/v1/forms/basic_identity", "/api/v1/lookups", "/api/v1/lookups/lookup-sex",
                  "/api/v1/modules", "/api/v1/modules/primeromodule-cp", "/api/v1/schemas/case", "/api/v1/locations"]


def test_a_published_metadata_read_answers_304_to_its_etag(client):
    for route in METADATA_READS:
        first = client.get(route)
        assert first.status_code == 200 and first.headers.get("ETag"), route
        again = client.get(route, headers={"If-None-Match": first.headers["ETag"]})
        assert (again.status_code, again.data) == (304, b""), route


def test_version_history_and_diffs_answer_304_until_a_new_version_is_published(client):
    renamed = {"data": {"name_i18n": {"en": "Sex", "fr": "Sexe"}}}
    assert client.patch("/api/v1/lookups/lookup-sex", json=renamed).status_code == 200
    publish(client, "a second version")
    routes = ["/api/v1/metadata/versions", "/api/v1/metadata/versions/1", "/api/v1/metadata/versions/1/diff/2"]
    tags = {}
    for route in routes:
        first = client.get(route)
        assert first.status_code == 200 and first.headers.get("ETag"), route
        again = client.get(route, headers={"If-None-Match": first.headers["ETag"]})
        assert (again.status_code, again.data) == (304, b""), route
        tags[route] = first.headers["ETag"]
    renamed = {"data": {"name_i18n": {"en": "Sex at birth", "fr": "Sexe à la naissance"}}}
    assert client.patch("/api/v1/lookups/lookup-sex", json=renamed).status_code == 200
    publish(client, "a third version")
    listed = client.get(routes[0], headers={"If-None-Match": tags[routes[0]]})
    assert listed.status_code == 200 and listed.get_json()["data"][0]["version"] == 3


def test_one_module_is_served_in_the_requested_language(client):
    assert client.get("/api/v1/modules/primeromodule-cp?locale=fr").get_json()["data"]["name"] == \
        "Protection de l'enfance"
    assert client.get("/api/v1/modules/primeromodule-cp").get_json()["data"]["name_i18n"]["en"] == "Child protection"


def test_forms_and_the_record_schema_are_chosen_by_module(client):
    module = {"unique_id": "module-family-tracing", "name_i18n": {"en": "Family tracing", "fr": "Recherche familiale"},
              "associated_record_types": ["case"]}
    assert client.post("/api/v1/modules", json={"data": module}).status_code == 201
    tracing = form("tracing_details", field("last_seen_place"), module_ids=["module-family-tracing"])
    assert client.post("/api/v1/forms", json={"data": tracing}).status_code == 201
    publish(client)
    forms = client.get("/api/v1/forms?module_id=module-family-tracing").get_json()["data"]
    assert [f["unique_id"] for f in forms] == ["tracing_details"]
    cp = {f["unique_id"] for f in client.get("/api/v1/forms?module_id=primeromodule-cp").get_json()["data"]}
    assert "basic_identity" in cp and "tracing_details" not in cp
    schema = client.get("/api/v1/schemas/case?module_id=module-family-tracing").get_json()["data"]
    assert list(schema["properties"]) == ["last_seen_place"]
    assert "last_seen_place" not in client.get("/api/v1/schemas/case?module_id=primeromodule-cp").get_json()["data"][
        "properties"]


def test_a_version_says_who_when_why_and_the_hash_of_each_document(client):
    client.patch("/api/v1/forms/basic_identity", json={"data": {"name_i18n": {"fr": "Identité"}}})
    publish(client, "French name")
    version = client.get("/api/v1/metadata/versions/2").get_json()["data"]
    assert (version["version"], version["published_by"], version["comment"]) == (2, "admin", "French name")
    assert near(version["published_at"], datetime.now(timezone.utc))
    assert version["changes"] == [{"kind": "form", "unique_id": "basic_identity", "change": "changed"}]
    first = client.get("/api/v1/metadata/versions/1").get_json()["data"]["documents"]
    assert set(version["documents"]) == set(first) and "form:basic_identity" in first
    assert all(re.fullmatch(r"[0-9a-f]{64}", digest) for digest in first.values())
    assert version["documents"]["form:basic_identity"] != first["form:basic_identity"]
    assert version["documents"]["lookup:lookup-sex"] == first["lookup:lookup-sex"]


# ## API overview: editing the draft


def test_put_replaces_a_draft_form_and_answers_its_revision(client):
    body = form("cp_incident_form", field("incident_date", "date_field"), field("incident_place"), parent_form="incident")
    replaced = client.put("/api/v1/forms/cp_incident_form", json={"data": body}, headers={"If-Match": '"1"'})
    assert replaced.status_code == 200 and replaced.headers["ETag"] == '"2"'
    assert [f["name"] for f in replaced.get_json()["data"]["fields"]] == ["incident_date", "incident_place"]
    published = client.get("/api/v1/forms/cp_incident_form").get_json()["data"]
    assert [f["name"] for f in published["fields"]] == ["incident_date"]
    stale = client.put("/api/v1/forms/cp_incident_form", json={"data": body}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412


def test_modules_are_edited_in_the_draft_and_published_like_forms(client):
    renamed = client.patch("/api/v1/modules/primeromodule-cp", json={"data": {"name_i18n": {"fr": "Protection"}}})
    assert renamed.status_code == 200 and renamed.headers["ETag"] == '"2"'
    assert client.get("/api/v1/modules/primeromodule-cp?locale=fr").get_json()["data"]["name"] == \
        "Protection de l'enfance"
    publish(client)
    assert client.get("/api/v1/modules/primeromodule-cp?locale=fr").get_json()["data"]["name"] == "Protection"
    extra = {"unique_id": "module-spare", "name_i18n": {"en": "Spare", "fr": "Réserve"}, "associated_record_types": ["case"]}
    assert client.post("/api/v1/modules", json={"data": extra}).status_code == 201
    assert client.delete("/api/v1/modules/module-spare").status_code == 204
    assert client.get("/api/v1/modules/module-spare?draft=true").status_code == 404


def test_errors_already_in_the_draft_do_not_block_unrelated_edits(app, client):
    from server.metadata import draft as drafts
    from server.storage import get_db

    broken = minimal_configuration()
    documents = list(broken.documents())
    for kind, unique_id, body in documents:
        if unique_id == "cp_incident_form":
            body["fields"].append(field("incident_type", "select_box", option_strings_source="lookup lookup-missing"))
    with app.app_context():
        drafts.replace_draft(get_db(), documents, "tester", datetime.now(timezone.utc), force=True)
    assert client.get("/api/v1/metadata/draft").get_json()["data"]["can_publish"] is False
    label = client.patch("/api/v1/forms/basic_identity", json={"data": {"name_i18n": {"fr": "Identité"}}})
    assert label.status_code == 200
    refused = client.post("/api/v1/forms/basic_identity/fields",
                          json={"data": field("violence_type", "select_box", option_strings_source="lookup lookup-ghost")})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "CHECKS_FAILED"
    assert any("violence_type" in detail["field"] for detail in refused.get_json()["error"]["details"])


# ### Records: list filters


def test_lists_filter_on_envelope_values_and_ranges_of_filterable_fields(client):
    client.patch("/api/v1/forms/basic_identity/fields/date_of_birth", json={"data": {"filterable": True}})
    client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"filterable": True}})
    publish(client)
    for name, born, age in [("Awa", "2014-03-01", 10), ("Koffi", "2012-07-15", 12), ("Nadia", "2009-01-20", 15)]:
        assert client.post("/api/v1/cases", json={"data": {"name": name, "date_of_birth": born, "age": age}}).status_code == 201

    def names(query):
        return sorted(r["data"]["name"] for r in client.get(f"/api/v1/cases?{query}").get_json()["data"])

    assert names("date_of_birth=2010-01-01..2013-12-31") == ["Koffi"]
    assert names("age=10..12") == ["Awa", "Koffi"]
    assert names("status=open,closed") == ["Awa", "Koffi", "Nadia"] and names("status=closed") == []
    assert names("sort=-date_of_birth&fields=name") == ["Awa", "Koffi", "Nadia"]


def test_a_case_is_not_assigned_to_a_disabled_user(app, client):
    make_user(app, "koffi", "role-system-administrator")
    assert client.patch("/api/v1/users/koffi", json={"data": {"disabled": True}}).status_code == 200
    case = client.post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    refused = client.post(f"/api/v1/cases/{case['id']}/assign", json={"data": {"owned_by": "koffi"}})
    assert refused.status_code == 422
    assert [(d["field"], d["code"]) for d in refused.get_json()["error"]["details"]] == [("/owned_by", "disabled")]
    assert client.get(f"/api/v1/cases/{case['id']}").get_json()["data"]["owned_by"] == "admin"


# ### Users, roles and permissions


def test_a_user_is_created_with_every_key_the_readme_lists(client):
    assert client.post("/api/v1/agencies", json={"data": {"unique_id": "gups-cotonou"}}).status_code == 201
    assert client.post("/api/v1/user_groups", json={"data": {"unique_id": "group-littoral"}}).status_code == 201
    body = {"user_name": "Awa", "full_name": "Awa Dossou", "email": "awa@example.org", "password": "river stones under moon 7",
            "locale": "fr", "role_unique_id": "role-system-administrator", "agency_unique_id": "gups-cotonou",
            "user_group_unique_ids": ["group-littoral"]}
    assert client.post("/api/v1/users", json={"data": body}).status_code == 201
    user = client.get("/api/v1/users/awa").get_json()["data"]
    expected = {**body, "user_name": "awa"}  # names are stored case-folded
    del expected["password"]
    assert {key: user[key] for key in expected} == expected
    assert "password" not in user and body["password"] not in json.dumps(user)
    assert client.get("/api/v1/user_groups/group-littoral").get_json()["data"]["unique_id"] == "group-littoral"
    assert client.patch("/api/v1/agencies/gups-cotonou", json={"data": {"agency_code": "COT"}}).get_json()["data"][
        "agency_code"] == "COT"


def test_a_password_reset_by_an_administrator_ends_the_users_tokens(app, client):
    worker = authenticated(app, make_user(app, "awa", "role-system-administrator"))
    assert worker.get("/api/v1/users/current").status_code == 200
    assert client.patch("/api/v1/users/awa", json={"data": {"password": "new spring passphrase"}}).status_code == 200
    refused = worker.get("/api/v1/users/current")
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "TOKEN_INVALID"


def test_the_audit_log_is_filtered_by_action_and_period(app, client):
    app.test_client().post("/api/v1/tokens", json={"user_name": "admin", "password": "wrong password"})
    failed = client.get("/api/v1/audit_logs?action=login_failed").get_json()
    assert failed["meta"]["total"] == 1 and {e["action"] for e in failed["data"]} == {"login_failed"}
    now = datetime.now(timezone.utc)
    later, earlier = (now + timedelta(hours=1)).isoformat(), (now - timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/audit_logs", query_string={"from": later}).get_json()["meta"]["total"] == 0
    assert client.get("/api/v1/audit_logs", query_string={"to": earlier}).get_json()["meta"]["total"] == 0
    assert client.get("/api/v1/audit_logs", query_string={"from": earlier, "to": later,
                                                          "action": "login_failed"}).get_json()["meta"]["total"] == 1


# ## Command line


COMMANDS = [
    ([], ["serve", "metadata", "users", "agencies", "worker", "export", "translations"]),
    (["serve"], ["--host", "--port", "--threads", "--profile"]),
    (["metadata"], ["load", "publish", "dump", "status", "import-locations"]),
    (["metadata", "load"], ["DIRECTORY", "--profile", "--publish", "--force"]),
    (["metadata", "publish"], ["-m, --comment"]),
    (["metadata", "import-locations"], ["--hierarchy"]),
    (["users"], ["create-admin", "create", "disable"]),
    (["users", "create-admin"], ["--user-name"]),
    (["users", "create"], ["USER_NAME", "--role", "--agency", "--full-name"]),
    (["agencies", "create"], ["UNIQUE_ID", "--code", "--name-en", "--name-fr"]),
    (["worker"], ["--threads"]),
    (["export"], ["--user", "--out", "--record-type", "--format", "[xlsx|csv|json]", "--locale", "--filter", "--form",
                  "--codes", "--include-removed", "--password"]),
    (["translations"], ["extract", "update", "compile", "coverage", "download", "upload"]),
    (["translations", "download"], ["--locale", "--out"]),
    (["translations", "upload"], ["--locale"]),
]


def test_every_documented_command_and_option_exists():
    for command, options in COMMANDS:
        result = CliRunner().invoke(cli, [*command, "--help"])
        assert result.exit_code == 0, result.output
        for option in options:
            assert option in result.output, f"abri {' '.join(command)}: {option}"


@pytest.fixture
def cli_env(monkeypatch, secantus_uri, tmp_path):
    """The CLI on a fresh database of the test SecantusDB server, with the minimal configuration published."""
    from server.metadata.files import dump_directory

    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", f"abri_readme_{uuid.uuid4().hex[:8]}")
    dump_directory(minimal_configuration(), tmp_path / "config")
    runner = CliRunner()
    assert runner.invoke(cli, ["metadata", "load", str(tmp_path / "config"), "--publish"]).exit_code == 0
    return runner, tmp_path / "config"


def relabel(folder: Path, label: str) -> None:
    path = folder / "lookups" / "lookup-risk-level.json"
    document = json.loads(path.read_text("utf-8"))
    document["name_i18n"]["fr"] = label
    path.write_text(json.dumps(document, ensure_ascii=False), "utf-8")


def test_metadata_status_load_force_and_publish_with_a_comment(cli_env):
    runner, folder = cli_env
    relabel(folder, "Niveau de risque")
    assert runner.invoke(cli, ["metadata", "load", str(folder)]).exit_code == 0
    status = json.loads(runner.invoke(cli, ["metadata", "status"]).output)
    assert status["published_version"] == 1 and status["can_publish"] is True
    assert [(c["unique_id"], c["change"]) for c in status["changes"]] == [("lookup-risk-level", "changed")]

    relabel(folder, "Niveau du risque")
    refused = runner.invoke(cli, ["metadata", "load", str(folder)])
    assert refused.exit_code == 1 and "DRAFT_NOT_EMPTY" in refused.output
    assert runner.invoke(cli, ["metadata", "load", str(folder), "--force"]).exit_code == 0
    published = runner.invoke(cli, ["metadata", "publish", "-m", "Risk level in French"])
    assert published.exit_code == 0 and "Published version 2." in published.output
    dumped = runner.invoke(cli, ["metadata", "dump", str(folder.parent / "dump")])
    assert dumped.exit_code == 0
    lookup = json.loads((folder.parent / "dump" / "lookups" / "lookup-risk-level.json").read_text("utf-8"))
    assert lookup["name_i18n"]["fr"] == "Niveau du risque"


def test_translations_coverage_download_and_upload_from_the_command_line(cli_env):
    runner, folder = cli_env
    coverage = runner.invoke(cli, ["translations", "coverage"])
    assert coverage.exit_code == 0 and "fr: 100.0%" in coverage.output
    sheet_path = folder.parent / "fr.xlsx"
    assert runner.invoke(cli, ["translations", "download", "--locale", "fr", "--out", str(sheet_path)]).exit_code == 0
    workbook = openpyxl.load_workbook(sheet_path)
    sheet = workbook["case"]
    header = [cell.value for cell in sheet[1]]
    assert header[:5] == ["kind", "document", "field", "option", "property"] and "missing" in header
    target = header.index("text (fr)") + 1
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "basic_identity" and r[4].value == "name_i18n")
    sheet.cell(row=row[0].row, column=target, value="Identité de l'enfant")
    workbook.save(sheet_path)
    uploaded = runner.invoke(cli, ["translations", "upload", str(sheet_path), "--locale", "fr"])
    assert uploaded.exit_code == 0, uploaded.output
    assert "'Basic identity (fr)' -> \"Identité de l'enfant\"" in uploaded.output and "1 texts changed" in uploaded.output
    status = json.loads(runner.invoke(cli, ["metadata", "status"]).output)
    assert [(c["unique_id"], c["change"]) for c in status["changes"]] == [("basic_identity", "changed")]


# ### Exports


def test_an_address_in_a_text_field_is_exported_as_text_not_a_link(app, client):
    address = "https://evil.example/login"
    assert client.post("/api/v1/cases", json={"data": {"name": address}}).status_code == 201
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "xlsx"}}).get_json()["data"]
    assert run_once(app, "test-worker")
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/api/v1/exports/{job['id']}/file").data)).worksheets[0]
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == address]
    assert cells and all(cell.data_type == "s" and cell.hyperlink is None for cell in cells)


def test_a_json_export_holds_only_the_chosen_fields(app, client):
    assert client.post("/api/v1/cases", json={"data": {"name": "Awa", "age": 4, "sex": "female"}}).status_code == 201
    job = client.post("/api/v1/exports", json={"data": {"record_type": "case", "format": "json",
                                                        "field_names": ["name"]}}).get_json()["data"]
    assert run_once(app, "test-worker")
    records = json.loads(client.get(f"/api/v1/exports/{job['id']}/file").data)["data"]
    assert [record["data"] for record in records] == [{"name": "Awa"}]
