"""A country deployment stays itself: the profile chosen at first start is stored and every later process keeps it;
the forms a profile adds are granted to the field roles that fill in the identity form."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

import pytest

from server.config import PROJECT_ROOT
from server.deployment import start_deployment
from server.errors import Unprocessable
from server.metadata.bootstrap import ProfileMismatch, bootstrap_configuration, claim_deployment, new_deployment
from server.metadata.files import read_configuration, read_profile
from server.metadata.versions import LanguageSettings, current_version, published_configuration
from server.storage import deployment as deployment_store
from server.storage import get_db
from tests.builders import make_user
from tests.conftest import authenticated, make_app

METADATA = PROJECT_ROOT / "metadata"
UNKNOWN_CASE = "/api/v1/cases/00000000-0000-4000-8000-000000000000"


@pytest.fixture(autouse=True)
def no_profile_variables(monkeypatch):
    for name in ("PROFILE", "LANGUAGES", "DEFAULT_LANGUAGE", "DEFAULT_LOCALE"):
        monkeypatch.delenv(f"ABRI_{name}", raising=False)


class Deployment:
    """One database that several apps (the processes of one deployment) share."""

    def __init__(self, uri: str):
        self.uri, self.name, self.apps = uri, f"abri_profiles_{uuid.uuid4().hex[:8]}", []

    def app(self, **overrides):
        """Build an app (a process) on this database."""
        application = make_app(self.uri, MONGO_DB_NAME=self.name, **overrides)
        self.apps.append(application)
        return application

    def close(self) -> None:
        for application in self.apps:
            application.close()


@pytest.fixture(params=["mongomock", "secantus"])
def database(request, monkeypatch):
    if request.param == "mongomock":
        import mongomock
        from mongomock.store import ServerStore

        # Each mongomock client is its own server: give every app of the test the same one.
        shared, client_class = ServerStore(), mongomock.MongoClient
        monkeypatch.setattr(mongomock, "MongoClient",
                            lambda *args, **kwargs: client_class(*args, _store=shared, **kwargs))
        deployment = Deployment("mongomock://")
    else:
        deployment = Deployment(request.getfixturevalue("secantus_uri"))
    yield deployment
    if deployment.apps and request.param == "secantus":
        deployment.apps[0].extensions["abri_db"].client.drop_database(deployment.name)
    deployment.close()


def app_on(database, **overrides):
    return database.app(**overrides)


def start(app):
    with app.app_context():
        return start_deployment(app, datetime.now(timezone.utc))


def stored(app):
    with app.app_context():
        return deployment_store.find_deployment(get_db())


def admin(app):
    return authenticated(app, make_user(app, f"admin{uuid.uuid4().hex[:6]}", "role-system-administrator"))


def test_the_profile_chosen_at_first_start_is_stored_and_kept_by_every_later_process(database):
    first = start(app_on(database, PROFILE="bj"))
    assert (first.version, first.stored_now) == (1, True)
    assert first.agencies == ["gups-exemple-1", "gups-exemple-2", "gups-exemple-3"]
    later_app = app_on(database)  # a restart without --profile, a gunicorn worker, `abri worker`
    assert stored(later_app) | {"created_at": None, "initialized_at": None} == {
        "_id": "deployment", "profile": "bj", "country": "Bénin", "languages": ["fr", "en"], "default_language": "fr",
        "default_locale": "fr", "created_at": None, "initialized_at": None}
    assert later_app.config["PROFILE"] == "bj" and later_app.config["LANGUAGES"] == ("fr", "en")
    assert later_app.config["DEFAULT_LANGUAGE"] == later_app.config["DEFAULT_LOCALE"] == "fr"
    later = start(later_app)
    assert (later.version, later.stored_now, later.agencies) == (None, False, [])
    answer = admin(later_app).get(UNKNOWN_CASE)
    assert answer.status_code == 404 and "introuvable" in answer.get_json()["error"]["message"]
    with later_app.app_context():
        assert current_version(get_db()) == 1


def test_a_process_built_before_another_stored_the_deployment_still_runs_as_it(database):
    early, first = app_on(database), app_on(database, PROFILE="cm")  # both built on the empty database
    start(first)
    assert early.config["LANGUAGES"] == ("en", "fr")  # nothing stored yet when it was built
    assert start(early).deployment["profile"] == "cm"
    assert early.config["LANGUAGES"] == ("fr", "en") and early.config["DEFAULT_LOCALE"] == "fr"
    late_other = app_on(database)
    late_other.config["PROFILE"] = "bj"  # as if built with --profile bj before cm was stored
    with pytest.raises(ProfileMismatch):
        start(late_other)


def test_a_start_naming_another_profile_is_refused_naming_both(database, monkeypatch):
    start(app_on(database, PROFILE="bj"))
    with pytest.raises(ProfileMismatch) as refused:
        app_on(database, PROFILE="cm")
    assert "profile bj" in str(refused.value) and "asks for cm" in str(refused.value)
    monkeypatch.setenv("ABRI_PROFILE", "cm")
    with pytest.raises(ProfileMismatch):
        app_on(database)
    monkeypatch.setenv("ABRI_PROFILE", "bj")  # naming the stored profile again is fine
    assert app_on(database).config["LANGUAGES"] == ("fr", "en")


def test_a_deployment_without_a_profile_refuses_one_later(database):
    start(app_on(database))
    with pytest.raises(ProfileMismatch) as refused:
        app_on(database, PROFILE="bj")
    assert "without a country profile" in str(refused.value) and "asks for bj" in str(refused.value)


def test_environment_variables_override_the_stored_languages_without_changing_them(database, monkeypatch):
    start(app_on(database, PROFILE="cm"))
    monkeypatch.setenv("ABRI_LANGUAGES", "fr,en,ff")
    app = app_on(database)
    assert app.config["LANGUAGES"] == ("fr", "en", "ff") and app.config["DEFAULT_LOCALE"] == "fr"
    assert stored(app)["languages"] == ["fr", "en"]
    assert app_on(database, DEFAULT_LOCALE="en").config["DEFAULT_LOCALE"] == "en"  # create_app's mapping wins too


def test_a_first_start_killed_after_recording_the_deployment_is_finished_by_the_next_start(database):
    app = app_on(database)
    with app.app_context():
        settings = {**app.config, "LANGUAGES": ("fr", "en"), "DEFAULT_LANGUAGE": "fr", "DEFAULT_LOCALE": "fr"}
        claim_deployment(get_db(), new_deployment("cm", read_profile(METADATA, "cm"), settings,
                                                  datetime.now(timezone.utc)))
    resumed = start(app_on(database))  # the restart names no profile: the stored one is used
    assert resumed.version == 1 and len(resumed.agencies) == 10
    with app.app_context():
        assert "identity_documents_cm" in published_configuration(get_db()).forms
    assert start(app_on(database)).version is None


def test_a_first_start_killed_after_publishing_still_creates_the_agencies_once(database):
    app = app_on(database, PROFILE="bj")
    with app.app_context():
        claim_deployment(get_db(), new_deployment("bj", read_profile(METADATA, "bj"), app.config,
                                                  datetime.now(timezone.utc)))
        bootstrap_configuration(get_db(), METADATA, LanguageSettings(("fr", "en"), "fr"), "bj")
    resumed = start(app_on(database))
    assert resumed.version is None and len(resumed.agencies) == 3
    assert start(app_on(database)).agencies == []


def test_a_database_published_before_profiles_were_stored_records_the_profile_it_holds(database):
    app = app_on(database)
    with app.app_context():
        bootstrap_configuration(get_db(), METADATA, LanguageSettings(("fr", "en"), "fr"), "cm")
    upgraded = start(app_on(database))
    assert upgraded.deployment["profile"] == "cm" and upgraded.deployment["country"] == "Cameroun"
    assert (upgraded.version, upgraded.agencies) == (None, [])  # nothing done twice
    assert app_on(database).config["DEFAULT_LOCALE"] == "fr"


def _start_together(database, profiles):
    """Build one app per profile, then start them at the same moment; return what each start did or raised."""
    apps = [app_on(database, PROFILE=profile) for profile in profiles]
    barrier, results = threading.Barrier(len(apps)), [None] * len(apps)

    def run(index):
        barrier.wait()
        try:
            results[index] = start(apps[index])
        except Exception as error:  # noqa: BLE001 (the test looks at it)
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(apps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return apps, results


@pytest.fixture
def wire_database(secantus_uri):
    """A database on the SecantusDB server: races need a real unique index (mongomock is not thread-safe)."""
    deployment = Deployment(secantus_uri)
    yield deployment
    if deployment.apps:
        deployment.apps[0].extensions["abri_db"].client.drop_database(deployment.name)
    deployment.close()


def test_processes_starting_at_once_on_an_empty_database_publish_once_and_store_one_profile(wire_database):
    database = wire_database
    apps, results = _start_together(database, ["bj"] * 4)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.version or 0 for r in results) == [0, 0, 0, 1]
    assert sum(r.stored_now for r in results) == 1
    assert sorted(a for r in results for a in r.agencies) == ["gups-exemple-1", "gups-exemple-2", "gups-exemple-3"]
    with apps[0].app_context():
        assert current_version(get_db()) == 1
        assert get_db().settings.count_documents({"_id": {"$ne": "schema"}}) == 1   # and the schema version
        assert get_db().agencies.count_documents({}) == 3


def test_processes_starting_at_once_with_different_profiles_leave_one_country(wire_database):
    apps, results = _start_together(wire_database, ["bj", "cm"])
    refused = [r for r in results if isinstance(r, ProfileMismatch)]
    started = [r for r in results if not isinstance(r, Exception)]
    assert len(refused) == 1 and len(started) == 1, results
    country = started[0].deployment["profile"]
    with apps[0].app_context():
        config = published_configuration(get_db())
        assert config.version == 1 and f"identity_documents_{country}" in config.forms
        assert {"identity_documents_bj", "identity_documents_cm"} - set(config.forms) != set()


CASE = {"registration_date": "2025-02-10", "name_first": "Awa", "sex": "female", "risk_level": "low",
        "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}
IDENTITY_NUMBER = {"bj": ("npi_number", "0123456789", "9876543210"),
                   "cm": ("birth_certificate_number", "CE-2019-00457", "CE-2019-00458")}


@pytest.mark.parametrize("profile", ["bj", "cm"])
def test_the_field_roles_write_and_read_the_identity_number_their_profile_adds(database, profile):
    app = app_on(database, PROFILE=profile)
    start(app)
    field, number, corrected = IDENTITY_NUMBER[profile]
    office = read_profile(METADATA, profile)["agencies"][0]["unique_id"]
    worker = authenticated(app, make_user(app, "worker", "role-case-worker", office, ["team-1"]))
    created = worker.post("/api/v1/cases", json={"data": {**CASE, field: number}})
    assert created.status_code == 201, created.get_json()
    url = f"/api/v1/cases/{created.get_json()['data']['id']}"
    assert worker.get(url).get_json()["data"]["data"][field] == number
    revision = created.get_json()["data"]["revision"]
    for user_name, role_id in (("supervisor", "role-supervisor"), ("manager", "role-agency-manager")):
        person = authenticated(app, make_user(app, user_name, role_id, office, ["team-1"]))
        assert person.get(url).get_json()["data"]["data"][field] == number
        changed = person.patch(url, json={"data": {field: corrected}}, headers={"If-Match": f'"{revision}"'})
        assert changed.status_code == 200, changed.get_json()
        assert changed.get_json()["data"]["data"][field] == corrected
        revision, number, corrected = changed.get_json()["data"]["revision"], corrected, number
    partner = authenticated(app, make_user(app, "partner", "role-partner-data-manager", office))
    assert field not in partner.get(url).get_json()["data"]["data"]  # a partner reads identity, not the number


def test_the_base_configuration_without_a_profile_publishes_and_grants_no_profile_form(database):
    app = app_on(database)
    assert start(app).version == 1
    with app.app_context():
        roles = published_configuration(get_db()).roles
    assert not [form for role in roles.values() for form in role.get("form_section_read_write", {})
                if form.startswith("identity_documents_")]


def test_a_profile_granting_an_unknown_role_or_form_is_refused_by_name(tmp_path):
    import json
    import shutil

    shutil.copytree(METADATA, tmp_path / "metadata")
    path = tmp_path / "metadata" / "countries" / "bj" / "profile.json"
    profile = json.loads(path.read_text("utf-8"))
    profile["form_access"] = {"identity_documents_bj": {"role-nobody": "rw", "role-case-worker": "write"},
                              "identity_documents_xx": {"role-case-worker": "rw"}}
    path.write_text(json.dumps(profile), "utf-8")
    with pytest.raises(Unprocessable) as refused:
        read_configuration(tmp_path / "metadata", "bj")
    assert sorted(detail.field for detail in refused.value.details) == [
        "profile.json/form_access/identity_documents_bj/role-case-worker",
        "profile.json/form_access/identity_documents_bj/role-nobody",
        "profile.json/form_access/identity_documents_xx"]
