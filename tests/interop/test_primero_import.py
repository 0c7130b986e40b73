"""Importing a Primero configuration: the use case, POST /api/v1/metadata/import/primero and the command line.

The API runs on mongomock and on a real wire server (backend_app); the command line on the wire server.
"""
import io
import json
import uuid

import pytest
from click.testing import CliRunner

from server.cli import cli
from server.errors import AbriError
from server.metadata import draft as drafts
from server.metadata.files import dump_directory
from server.services.context import command_line_context
from server.services.primero_import import import_primero
from server.storage import get_db
from tests.builders import make_user, minimal_configuration, publish, role
from tests.conftest import app_on, authenticated
from tests.interop.primero_builders import FIXTURES, element_count, large_configuration, load_fixture

ROUTE = "/api/v1/metadata/import/primero"
SMALL = (FIXTURES / "cp_small.json").read_bytes()


def post(client, data: bytes, query: str = "", multipart: bool = False):
    if multipart:
        return client.post(ROUTE + query, data={"file": (io.BytesIO(data), "primero.json")},
                           content_type="multipart/form-data")
    return client.post(ROUTE + query, data=data, content_type="application/json")


def draft_body(app, kind: str, uid: str) -> dict:
    with app.app_context():
        return drafts.get_document(get_db(), kind, uid)["body"]


def item(report: dict, kind: str, name: str) -> dict:
    return next(i for i in report["items"] + report["kept"] if i["kind"] == kind and i["name"] == name)


# --- the API ------------------------------------------------------------------------------------------


def test_a_dry_run_answers_the_report_and_leaves_the_draft_as_it_is(backend_app, backend_client):
    before = draft_body(backend_app, "form", "basic_identity")
    answer = post(backend_client, SMALL, "?dry_run=true")
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()["data"]
    assert report["draft"]["written"] is False
    assert report["counts"]["field"]["total"] == element_count(load_fixture("cp_small.json"))["field"]
    assert draft_body(backend_app, "form", "basic_identity") == before


def test_an_import_makes_the_draft_and_it_can_be_published(backend_app, backend_client):
    answer = post(backend_client, SMALL, multipart=True)
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()["data"]
    assert report["draft"] | {"problems": []} == {
        "written": True, "documents": {"form": 3, "lookup": 3, "module": 1, "role": 3, "location": 1},
        "errors": 0, "warnings": 3, "can_publish": True, "problems": []}
    form = draft_body(backend_app, "form", "basic_identity")
    assert form["name_i18n"] == {"en": "Basic Identity", "fr": "Identité de base"}
    fields = {f["name"]: f for f in form["fields"]}
    assert fields["pregnant"]["display_conditions"] == {"eq": {"sex": "female"}}
    assert draft_body(backend_app, "lookup", "lookup-gender")["lookup_values_i18n"][1] == {
        "id": "male", "display_text": {"en": "Male", "fr": "Masculin"}}
    publish(backend_client, "imported from Primero")
    assert backend_client.get("/api/v1/forms/basic_identity").get_json()["data"]["name_i18n"]["fr"] == \
        "Identité de base"


def test_the_report_and_the_errors_read_in_the_callers_language(backend_client):
    report = post(backend_client, SMALL, "?dry_run=true&locale=fr").get_json()["data"]
    assert item(report, "field", "basic_identity/signature_child")["notes"][0]["message"] == \
        "Abri n'a pas de type de champ signature."
    refused = post(backend_client, b"{not json", "?locale=fr")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "DOCUMENT_INVALID"
    assert refused.get_json()["error"]["message"] == ("Le fichier n'est pas une configuration Primero : ce n'est "
                                                      "pas du JSON valide (ligne 1, colonne 2).")


@pytest.mark.parametrize("data", [b'{"forms": [{"$where": "sleep(1)"}]}', b'{"forms": "\\ud800"}', b"\xff\xfe",
                                  b'{"forms": [{"order": NaN}]}', b"[]"])
def test_hostile_bodies_are_refused_and_the_draft_is_untouched(backend_app, backend_client, data):
    before = draft_body(backend_app, "form", "basic_identity")
    for multipart in (False, True):
        answer = post(backend_client, data, multipart=multipart)
        assert answer.status_code == 422, answer.get_json()
        assert answer.get_json()["error"]["code"] == "DOCUMENT_INVALID"
    assert draft_body(backend_app, "form", "basic_identity") == before


def test_a_body_over_the_configurations_limit_is_refused(client):
    """A country's configuration may pass the 2 MB of other requests, not the 16 MB a configuration may hold."""
    from server.interop.primero_read import MAX_FILE_BYTES
    answer = post(client, b" " * (MAX_FILE_BYTES + 2 * 1024 * 1024))
    assert answer.status_code == 413 and answer.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert post(client, b" " * (3 * 1024 * 1024)).status_code == 422  # past 2 MB, read, and not JSON


def test_only_those_who_manage_metadata_and_roles_may_import(app, client):
    editor_role = role("role-form-editor", {"metadata": ["manage"]})
    assert client.post("/api/v1/roles", json={"data": editor_role}).status_code == 201
    publish(client)
    editor = authenticated(app, make_user(app, "editor", "role-form-editor"))
    refused = post(editor, SMALL, "?dry_run=true")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "PERMISSION_DENIED"
    assert post(app.test_client(), SMALL).status_code == 401


def test_a_dry_run_already_says_which_roles_the_importer_may_not_change(app, client):
    """A manager of roles who may assign only some roles learns it from the check, not after confirming."""
    limited = role("role-limited-admin", {"metadata": ["manage"], "role": ["manage"]}, assignable=[])
    assert client.post("/api/v1/roles", json={"data": limited}).status_code == 201
    publish(client)
    manager = authenticated(app, make_user(app, "manager", "role-limited-admin"))
    before = client.get("/api/v1/metadata/draft").get_json()["data"]["changes"]
    for query in ("?dry_run=true", ""):
        refused = post(manager, SMALL, query)
        assert refused.status_code == 403, refused.get_json()
        assert refused.get_json()["error"]["code"] == "ROLE_NOT_MANAGEABLE"
    assert client.get("/api/v1/metadata/draft").get_json()["data"]["changes"] == before


def test_a_draft_with_unpublished_changes_is_replaced_only_when_asked(client):
    assert client.post("/api/v1/lookups", json={"data": {"unique_id": "lookup-new", "name_i18n": {"en": "New"},
                                                         "lookup_values_i18n": []}}).status_code == 201
    refused = post(client, SMALL)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "DRAFT_NOT_EMPTY"
    assert post(client, SMALL, "?replace_draft=true").status_code == 200


# --- never locked out, data kept ----------------------------------------------------------------------


def test_the_published_administrator_role_is_kept_when_the_file_has_none(app, client):
    config = load_fixture("cp_small.json")
    config["roles"] = [role for role in config["roles"] if role["unique_id"] != "role-superuser"]
    report = post(client, json.dumps(config).encode()).get_json()["data"]
    kept = item(report, "role", "role-system-administrator")
    assert kept["status"] == "kept" and kept["notes"][0]["code"] == "administrator_kept"
    role = draft_body(app, "role", "role-system-administrator")
    assert role["assignable_role_ids"] == ["*"] and role["permissions"]["role"] == ["manage"]
    publish(client)  # the administrator still holds every right after the publish
    assert client.get("/api/v1/roles").status_code == 200


def test_an_imported_role_does_not_replace_the_administrator_role_of_the_same_id(app, client):
    config = load_fixture("cp_small.json")
    config["roles"].append({"unique_id": "role-system-administrator", "name_en": "Weak", "group_permission": "self",
                            "permissions": [{"resource": "case", "actions": ["read"]}]})
    report = post(client, json.dumps(config).encode()).get_json()["data"]
    assert item(report, "role", "role-system-administrator")["status"] == "not_mapped"
    assert draft_body(app, "role", "role-system-administrator")["permissions"]["user"] == ["manage"]


def test_an_empty_instance_refuses_a_configuration_without_an_administrator_role():
    config = load_fixture("cp_small.json")
    config["roles"] = [role for role in config["roles"] if role["unique_id"] != "role-superuser"]
    with app_on("mongomock://") as app, app.app_context():
        ctx = command_line_context(get_db(), app.config)
        with pytest.raises(AbriError) as refused:
            import_primero(ctx, json.dumps(config).encode())
        assert refused.value.code == "LAST_ADMINISTRATOR"
        assert drafts.draft_configuration(get_db()).roles == {}  # nothing written
        report = import_primero(ctx, SMALL)  # with its superuser: accepted
        assert report["draft"]["can_publish"] is True


def test_a_field_records_hold_keeps_its_published_type(app, client):
    assert client.post("/api/v1/cases", json={"data": {"name": "Awa", "age": 9}}).status_code == 201
    config = load_fixture("cp_small.json")
    form = config["forms"][0]["fields_attributes"]
    form.append({"name": "age_text", "type": "text_field", "display_name_en": "Age as text"})
    for field in form:
        if field["name"] == "age":
            field["type"] = "text_field"  # records hold numbers
        if field["name"] == "date_of_birth":
            field["type"] = "text_field"  # no record holds one: the change is allowed
    report = post(client, json.dumps(config).encode()).get_json()["data"]
    assert [n["code"] for n in item(report, "field", "basic_identity/age")["notes"]] == ["published_type_kept"]
    fields = {f["name"]: f for f in draft_body(app, "form", "basic_identity")["fields"]}
    assert fields["age"]["type"] == "numeric_field"
    assert fields["date_of_birth"]["type"] == "text_field"
    dropped = item(report, "field", "basic_identity/name")  # the published field "name" holds "Awa"
    assert dropped["status"] == "kept" and dropped["notes"][0]["code"] == "published_field_dropped"
    assert report["draft"]["can_publish"] is True
    publish(client)
    case = client.get("/api/v1/cases").get_json()["data"][0]
    assert case["data"]["age"] == 9


# --- a deployed configuration of many forms --------------------------------------------------------


def test_a_large_configuration_is_imported_and_published(client):
    config = large_configuration()
    answer = post(client, json.dumps(config).encode())
    assert answer.status_code == 200, answer.get_json()["error"]
    report = answer.get_json()["data"]
    assert {kind: count["total"] for kind, count in report["counts"].items()} == element_count(config)
    for count in report["counts"].values():
        assert count["mapped"] + count["adapted"] + count["not_mapped"] == count["total"]
    assert report["draft"]["errors"] == 0, report["draft"]["problems"][:3]
    assert report["draft"]["documents"]["form"] == 60
    publish(client, "a large Primero configuration")


# --- the command line -------------------------------------------------------------------------------


@pytest.fixture
def runner(monkeypatch, secantus_uri, tmp_path):
    """The CLI on a fresh database with the minimal configuration published."""
    name = f"abri_primero_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", name)
    dump_directory(minimal_configuration(), tmp_path / "config")
    runner = CliRunner()
    loaded = runner.invoke(cli, ["metadata", "load", str(tmp_path / "config"), "--publish"])
    assert loaded.exit_code == 0, loaded.output
    return runner


def test_the_command_line_prints_the_report_and_writes_the_draft(runner, tmp_path):
    path = tmp_path / "primero.json"
    path.write_bytes(SMALL)
    dry = runner.invoke(cli, ["metadata", "import-primero", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "field: 21 in the file, 10 mapped, 9 adapted, 2 not mapped" in dry.output
    assert "not mapped field basic_identity/signature_child: Abri has no field type signature." in dry.output
    assert "Dry run: the draft was not changed." in dry.output
    done = runner.invoke(cli, ["metadata", "import-primero", str(path)])
    assert done.exit_code == 0, done.output
    assert "kept role role-system-administrator" in done.output
    status = json.loads(runner.invoke(cli, ["metadata", "status"]).output)
    assert status["can_publish"] is True
    assert "Published version 2." in runner.invoke(cli, ["metadata", "publish"]).output


def test_the_command_line_refuses_a_file_that_is_not_a_configuration(runner, tmp_path):
    path = tmp_path / "broken.json"
    path.write_bytes(b'{"forms": [{"$set": 1}]}')
    refused = runner.invoke(cli, ["metadata", "import-primero", str(path)])
    assert refused.exit_code == 1
    assert "DOCUMENT_INVALID: The file is not a Primero configuration: the key $set at /forms/0" in refused.output
