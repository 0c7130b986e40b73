"""The configuration use cases, called as the CLI and the workers call them: no HTTP client, a Context.

The world: the minimal configuration published as version 1, a clerk whose role has no metadata
permission, a translator (`metadata: manage_translations`) and a metadata manager who may not
manage roles, and one who may.
"""
import pytest

from server.errors import Forbidden, NotFound, Unprocessable
from server.metadata import draft as drafts, edits
from server.services import accounts, configuration, documents, drafts as draft_use_cases, locations, translations
from server.services.context import Context
from server.services.deployment import start_server
from tests.builders import lookup, make_user, publish, role
from tests.conftest import app_on
from tests.services.contexts import as_user, operator

TOGO = {"unique_id": "locations-tg", "name_i18n": {"en": "Togo", "fr": "Togo"},
        "admin_levels": [{"admin_level": 0, "type": "country", "type_i18n": {"en": "Country", "fr": "Pays"}},
                         {"admin_level": 1, "type": "region", "type_i18n": {"en": "Region", "fr": "Région"}}],
        "locations": [{"code": "TG", "admin_level": 0, "name_i18n": {"en": "Togo", "fr": "Togo"}}]}
PLACES = "Region,Code\n#adm1+name,#adm1+code\nPlateaux,TG-PL\nSavanes,TG-SA\n"


@pytest.fixture
def world(app, client):
    """The roles and users, and an app context to call use cases in."""
    for body in (role("role-clerk", {"case": ["read"]}, "all", {}),
                 role("role-translator", {"metadata": ["manage_translations"]}),
                 role("role-designer", {"metadata": ["manage"]}),
                 role("role-roles", {"metadata": ["manage"], "role": ["manage"]})):
        assert client.post("/api/v1/roles", json={"data": body}).status_code == 201
    publish(client)
    for name, role_id in (("clerk", "role-clerk"), ("tia", "role-translator"), ("dan", "role-designer"),
                          ("rio", "role-roles")):
        make_user(app, name, role_id)
    with app.app_context():
        yield app


def audited(ctx: Context, action: str) -> list[tuple]:
    """The audit entries of `action`: who, which resource and record, status, detail, from where."""
    return [(e["user_name"], e["resource"], e["record_id"], e["status"], e["detail"], e["address"])
            for e in ctx.db.audit_log.find({"action": action})]


def comment_lookup(ctx: Context) -> None:
    """Change the draft so that there is something to publish."""
    draft_use_cases.create_document(ctx, "lookup", lookup("lookup-colour", "red", "blue"))


def test_a_caller_without_the_permission_is_refused_before_anything_is_looked_up(world):
    clerk = as_user(world, "clerk")
    for existing, missing in [
            (lambda: configuration.get_version(clerk, 1), lambda: configuration.get_version(clerk, 99)),
            (lambda: configuration.restore(clerk, 1), lambda: configuration.restore(clerk, 99)),
            (lambda: configuration.diff_versions(clerk, 1, 2), lambda: configuration.diff_versions(clerk, 1, 99)),
            (lambda: draft_use_cases.read_document(clerk, "lookup", "lookup-sex"),
             lambda: draft_use_cases.read_document(clerk, "lookup", "lookup-nowhere")),
            (lambda: draft_use_cases.delete_document(clerk, "form", "basic_identity", None),
             lambda: draft_use_cases.delete_document(clerk, "form", "nowhere", None)),
            (lambda: locations.import_places(clerk, "locations-tg", PLACES),
             lambda: locations.import_places(clerk, "locations-nowhere", PLACES))]:
        with pytest.raises(Forbidden) as first:
            existing()
        with pytest.raises(Forbidden) as second:
            missing()
        assert first.value.code == second.value.code == "PERMISSION_DENIED"
    for refused in (lambda: configuration.publish(clerk), lambda: configuration.draft_status(clerk),
                    lambda: translations.coverage(clerk), lambda: translations.workbook(clerk, "fr")):
        with pytest.raises(Forbidden):
            refused()
    assert audited(operator(world), "metadata_restore") == []


def test_a_caller_without_the_permission_is_refused_before_a_malformed_revision_is_read(world):
    with pytest.raises(Forbidden):
        draft_use_cases.change_document(as_user(world, "clerk"), "lookup", "lookup-sex",
                                        edits.patch_document({"locked": False}), "not a number", translators_too=True)


def test_a_publish_is_audited_and_keeps_the_record_indexes(world, monkeypatch):
    indexed = []
    monkeypatch.setattr(configuration.record_service, "ensure_indexes",
                        lambda db, config: indexed.append(config.version))
    dan = as_user(world, "dan")
    comment_lookup(dan)
    result = configuration.publish(dan, "colours")
    assert result["version"]["version"] == 3 and result["version"]["published_by"] == "dan"
    assert audited(dan, "metadata_publish")[-1] == ("dan", None, None, None, "version 3", "192.0.2.7")
    assert indexed == [3]


def test_the_operator_publishes_and_restores_as_system_from_the_command_line(world):
    ctx = operator(world)
    comment_lookup(ctx)
    assert configuration.publish(ctx)["version"]["published_by"] == "system"
    assert audited(ctx, "metadata_publish")[-1] == ("system", None, None, None, "version 3", "cli")
    restored = configuration.restore(ctx, 2, discard_draft=True)
    assert (restored["version"]["version"], restored["version"]["restored_from"]) == (4, 2)
    assert audited(ctx, "metadata_restore") == [("system", None, None, None, "version 2 as 4", "cli")]
    assert "lookup-colour" not in ctx.config.lookups  # the context reads the newly published version


def test_publishing_role_changes_needs_role_manage_for_the_user_who_publishes(world):
    operator_ctx = operator(world)
    draft_use_cases.change_document(operator_ctx, "role", "role-clerk", edits.patch_document({"group_permission": "self"}),
                                    None)
    with pytest.raises(Forbidden) as refused:
        configuration.publish(as_user(world, "dan"))
    assert refused.value.code == "ROLE_MANAGE_REQUIRED"
    assert audited(operator_ctx, "metadata_publish")[-1][4] == "version 2"  # nothing more was published


def test_role_changes_and_their_refusals_are_audited(world):
    ctx = operator(world)
    draft_use_cases.change_document(ctx, "role", "role-clerk", edits.patch_document({"group_permission": "self"}), None)
    assert audited(ctx, "role_changed") == [("system", "role", "role-clerk", None, "draft", "cli")]
    with pytest.raises(Forbidden):  # a metadata manager without role: manage
        draft_use_cases.create_document(as_user(world, "dan"), "role", role("role-new", {"case": ["read"]}))
    assert audited(ctx, "role_created_refused") == []  # refused for the permission, before the role is looked at
    rio = as_user(world, "rio")
    with pytest.raises(Forbidden) as widening:
        draft_use_cases.change_document(rio, "role", "role-roles", edits.patch_document({"group_permission": "all"}),
                                        None)
    assert widening.value.code == "OWN_ROLE_WIDENING"
    assert audited(ctx, "role_changed_refused") == [("rio", "role", "role-roles", 403, "OWN_ROLE_WIDENING",
                                                     "192.0.2.7")]


def test_locking_a_lookup_is_audited_with_who_and_from_where(world):
    dan = as_user(world, "dan")
    draft_use_cases.change_document(dan, "lookup", "lookup-sex", edits.patch_document({"locked": False}), None,
                                    translators_too=True)
    assert audited(dan, "lookup_unlocked") == [("dan", "lookup", "lookup-sex", None, "draft", "192.0.2.7")]


def test_a_translator_changes_labels_only(world):
    tia = as_user(world, "tia")
    with pytest.raises(Forbidden) as refused:
        draft_use_cases.change_document(tia, "lookup", "lookup-sex", edits.patch_document({"locked": False}), None,
                                        translators_too=True)
    assert refused.value.code == "TRANSLATIONS_ONLY"
    assert translations.coverage(tia, "fr")["fr"]["total"] > 0
    with pytest.raises(Unprocessable) as default_language:
        translations.upload(tia, "en", translations.workbook(tia, "fr"))
    assert default_language.value.code == "BAD_LANGUAGE"
    assert translations.upload(tia, "fr", translations.workbook(tia, "fr")) == []  # nothing changed in the file


def test_a_location_import_is_audited_with_what_it_did(world):
    ctx = operator(world)
    draft_use_cases.create_document(ctx, "location", TOGO)
    result = locations.import_places(ctx, "locations-tg", PLACES)
    assert [place["code"] for place in result["entry"]["body"]["locations"]] == ["TG", "TG-PL", "TG-SA"]
    assert audited(ctx, "locations_imported") == [
        ("system", "location", "locations-tg", None, "3 places; removed 0, of which in use 0: ", "cli")]
    assert drafts.get_document(ctx.db, "location", "locations-tg")["revision"] == 2


def test_a_first_start_publishes_the_shipped_configuration_audited_and_makes_the_administrator():
    with app_on("mongomock://") as fresh, fresh.app_context():
        started = start_server(operator(fresh), fresh)
        assert (started.start.version, started.admin_created) == (1, True) and started.admin_password
        assert audited(operator(fresh), "metadata_publish") == [("system", None, None, None, "version 1", "cli")]
        again = start_server(operator(fresh), fresh)  # a restart: nothing published, nobody created
        assert (again.start.version, again.admin_created, again.admin_password) == (None, False, None)
        assert len(audited(operator(fresh), "metadata_publish")) == 1
        assert audited(operator(fresh), "user_created") == [
            ("system", "user", "admin", None, 'role_unique_id="role-system-administrator"; full_name; locale; password',
             "cli")]
        with pytest.raises(Forbidden):  # only the machine's operator starts the server
            start_server(as_user(fresh, "admin"), fresh)


def test_a_first_start_with_a_country_profile_audits_the_agencies_it_creates_as_the_cli_would():
    with app_on("mongomock://", PROFILE="bj") as fresh, fresh.app_context():
        started = start_server(operator(fresh), fresh)
        created = audited(operator(fresh), "agencies_created")
        assert [entry[2] for entry in created] == started.start.agencies and len(created) == 3
        accounts.create_entity(operator(fresh), accounts.AGENCIES, {
            "unique_id": "agency-other", "agency_code": "OTHER", "agency_type": "ngo",
            "name_i18n": {"en": "Other", "fr": "Autre"}})
        *_, by_cli = audited(operator(fresh), "agencies_created")
        for entry in created:  # who, what, from where and the summary of what was asked: as `abri agencies create`
            assert entry[:2] + entry[3:] == by_cli[:2] + by_cli[3:] == (
                "system", "agency", None, "agency_code; agency_type; name_i18n; unique_id", "cli")


def test_published_forms_are_read_as_the_callers_role_may_and_roles_only_by_managers(world):
    clerk, tia = as_user(world, "clerk"), as_user(world, "tia")
    assert documents.visible_forms(clerk, "form") == set()  # the clerk's role reads no form
    assert documents.list_published(clerk, "form", documents.Filters(), set()).bodies == []
    with pytest.raises(NotFound):  # the same answer as for a form that does not exist
        documents.read_published(clerk, "form", "basic_identity", set())
    every = documents.list_published(tia, "form", documents.Filters(record_type="case"), None)
    assert {body["unique_id"] for body in every.bodies} == {"basic_identity", "family_members_section"}
    assert documents.visible_forms(tia, "lookup") is None
    with pytest.raises(Forbidden):
        documents.visible_forms(clerk, "role")
    assert documents.visible_forms(operator(world), "role") is None


def test_published_places_carry_their_level_type_and_deltas_name_deleted_hierarchies(world):
    ctx = operator(world)
    draft_use_cases.create_document(ctx, "location", TOGO)
    locations.import_places(ctx, "locations-tg", PLACES)
    configuration.publish(ctx)
    regions = locations.published_places(ctx, admin_level=1)
    assert [(p["code"], p["type"], p["parent_code"]) for p in regions.places] == [
        ("TG-PL", "region", "TG"), ("TG-SA", "region", "TG")]
    assert locations.published_places(ctx, parent_code="TG-PL").places == []
    draft_use_cases.delete_document(ctx, "location", "locations-tg", None)
    configuration.publish(ctx)
    delta = locations.published_places(ctx, since=regions.version)
    assert (delta.places, delta.deleted, delta.version) == ([], ["locations-tg"], regions.version + 1)
