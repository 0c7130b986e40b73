"""A social worker's day in the case worker app, in a real browser (Debian's chromium driven by Playwright), in French,
on the Bénin profile: online from registration to closing with her supervisor and the police, offline on a tablet
then synced, a same-field conflict she resolves, and a tablet that an administrator revokes.

Screenshots of each screen at tablet size are taken and must not be blank; set ABRI_SCREENSHOTS=docs/screenshots/app
to refresh the ones in the repository. Each screen is also checked at 800x1280 and 1366x768: nothing wider than the
window.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import urllib.error
import urllib.request
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from server.config import PROJECT_ROOT
from server.deployment import start_deployment
from server.storage import records as record_store
from tests.admin.conftest import served
from tests.builders import PASSWORD, make_user
from tests.conftest import make_app

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
TODAY = date.today().isoformat()
PEOPLE = (("awa", "role-case-worker", "gups-cotonou", ["cotonou"]),
          ("sika", "role-supervisor", "gups-cotonou", ["cotonou"]),
          ("police", "role-focal-point", "brigade-mineurs", []), ("admin", "role-system-administrator", None, []))
KEPT = "Conservé sur cet appareil : ce sera envoyé à la prochaine synchronisation."
TABLET, PORTRAIT = {"width": 1280, "height": 800}, {"width": 800, "height": 1280}
OFFICE = {"width": 1366, "height": 768}


@pytest.fixture(scope="module")
def live():
    """The Bénin profile (French by default): a case worker, her supervisor, a police focal point, an administrator."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(record_store, "wall_clock", lambda: 0.0)  # every write settled: a sync pull sends it at once
        app = make_app("mongomock://", PROFILE="bj")
        with app.app_context():
            start_deployment(app, datetime.now(timezone.utc))
        for name, role, agency, groups in PEOPLE:
            make_user(app, name, role, agency, groups)
        try:
            with served(app) as base:
                yield base
        finally:
            app.close()


class Api:
    """The API as one of the people, with a bearer token (to check what the app did, or to act elsewhere)."""

    def __init__(self, base: str, user: str):
        self.base = base
        credentials = {"user_name": user, "password": PASSWORD}
        self.token = self.call("POST", "/api/v1/tokens", credentials, token=False)["data"]["token"]

    def call(self, method: str, path: str, body=None, token=True, status=None):
        headers = {"Content-Type": "application/json", "Accept-Language": "fr",
                   **({"Authorization": f"Bearer {self.token}"} if token else {})}
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request) as answer:
                text = answer.read()
                code = answer.status
        except urllib.error.HTTPError as error:
            text, code = error.read(), error.code
        if status is not None:
            assert code == status, text
        return json.loads(text) if text else None


def registered(api: Api, first: str, last: str, sex: str, age: int) -> dict:
    """A case registered through the API (the fewest answers the Bénin forms require)."""
    return api.call("POST", "/api/v1/cases", {"data": {
        "registration_date": TODAY, "name_first": first, "name_last": last, "sex": sex, "age": age,
        "risk_level": "low", "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}},
        status=201)["data"]


def cases_named(api: Api, name: str) -> list[dict]:
    return api.call("GET", "/api/v1/cases?per_page=50&query=" + urllib.request.quote(name))["data"]


def person(browser, viewport=TABLET):
    context = browser.new_context(viewport=viewport, locale="fr-FR")
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    return context, page


def sign_in(page, base: str, user: str, password: str = PASSWORD) -> None:
    page.goto(base + "/app/")
    page.get_by_label("Nom d'utilisateur").fill(user)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Bonjour"))


def settled(page) -> None:
    """Wait until the app has no sync running (the header says so)."""
    expect(page.locator("#sync-state")).not_to_contain_text("synchronisation", timeout=15_000)


def open_form(page, name: str) -> None:
    pattern = "^" + re.escape(name).replace("\\ ", " ") + "( |$)"  # its name may go on: "(2 fields to correct)"
    page.locator(".forms-nav").get_by_role("link", name=re.compile(pattern)).click()


def fill_registration(page, first: str, last: str, sex: str = "female", age: str = "9") -> None:
    page.get_by_label("Date d'enregistrement").fill(TODAY)
    page.get_by_label("Prénom").fill(first)
    page.get_by_label("Nom de famille").fill(last)
    page.get_by_label("Sexe").select_option(sex)
    page.get_by_label("Âge", exact=True).fill(age)
    open_form(page, "Préoccupations de protection")
    page.get_by_label("Niveau de risque").select_option("medium")
    open_form(page, "Consentement")
    page.get_by_label("Consentement aux services").select_option("consent_given")
    page.get_by_label("Consentement au partage des informations avec les prestataires").select_option("consent_given")


def screenshot(page, tmp_path: Path, name: str) -> None:
    """A screenshot at the page's size, not blank; the screen must fit the window's width at every size."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 15_000, f"{name}.png looks blank"
    target = os.environ.get("ABRI_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)
    for size in (PORTRAIT, OFFICE, TABLET):
        page.set_viewport_size(size)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} is {overflow} px wider than a {size['width']} px window"


def test_a_case_from_registration_to_closing(browser, live, tmp_path):
    awa_api, sika_api = Api(live, "awa"), Api(live, "sika")
    context, page = person(browser)
    page.goto(live + "/app/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Abri")
    screenshot(page, tmp_path, "sign_in")
    sign_in(page, live, "awa")
    settled(page)
    screenshot(page, tmp_path, "home")

    # Register: a required field of another form is found and shown before anything is sent.
    page.get_by_role("link", name="Dossiers").click()
    page.get_by_role("link", name="Enregistrer un dossier").click()
    page.get_by_label("Prénom").fill("Afiavi")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text(re.compile(r"^Champs à corriger : \d+\.$"))
    expect(page.locator(".field[data-field=sex] .error")).to_have_text("Ce champ est obligatoire.")
    assert cases_named(awa_api, "Afiavi") == []
    fill_registration(page, "Afiavi", "Houngbédji")
    screenshot(page, tmp_path, "register")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text("Enregistrement effectué.")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Dossier \w+$"))
    [case] = cases_named(awa_api, "Afiavi")
    assert case["data"]["name_last"] == "Houngbédji" and case["data"]["risk_level"] == "medium"
    screenshot(page, tmp_path, "case")
    page.get_by_role("link", name="Dossiers").click()
    page.get_by_label("Rechercher (nom, numéro…)").fill("houngbedji")  # without its accent
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("table.records tbody tr")).to_have_count(1)
    expect(page.locator("table.records tbody tr")).to_contain_text("Afiavi")
    screenshot(page, tmp_path, "cases")

    # The same child again, spelled otherwise: the warning names the case; going back registers nothing.
    page.goto(live + "/app/#/cases/new")
    fill_registration(page, "Afiavi", "Houngbedji")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    warning = page.get_by_role("dialog", name="Cet enfant a peut-être déjà un dossier")
    expect(warning).to_contain_text(case["case_id_display"])
    expect(warning).to_contain_text("Probable")
    screenshot(page, tmp_path, "duplicate_warning")
    warning.get_by_role("button", name="Revenir au formulaire").click()
    expect(warning).to_have_count(0)
    assert len(cases_named(awa_api, "Afiavi")) == 1

    # Edit, then the history says who changed what.
    page.goto(live + f"/app/#/cases/{case['id']}")
    page.get_by_role("link", name="Modifier").click()
    page.get_by_label("Surnom").fill("Vivi")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text("Enregistré.")
    assert awa_api.call("GET", f"/api/v1/cases/{case['id']}")["data"]["data"]["name_nickname"] == "Vivi"
    page.get_by_role("link", name="Historique").click()
    latest = page.locator("ol.history > li").first
    expect(latest.get_by_role("heading")).to_contain_text("Modification — awa")
    expect(latest.get_by_role("row", name=re.compile("Surnom"))).to_contain_text("Vivi")
    screenshot(page, tmp_path, "history")

    # A photo taken on the tablet goes with the case, and is listed with it.
    page.get_by_role("link", name="Revenir au dossier").click()
    page.get_by_role("link", name="Modifier").click()
    open_form(page, "Photos et audio")
    page.get_by_label("Photos de l'enfant").set_input_files(str(PROJECT_ROOT / "app_ui" / "static" / "icon-192.png"))
    files = page.locator(".field[data-field=photos] .files")
    expect(files).to_contain_text("icon-192.png — envoyé à l'enregistrement")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text("Enregistré.")
    [photo] = awa_api.call("GET", f"/api/v1/cases/{case['id']}/attachments")["data"]
    assert (photo["field"], photo["content_type"]) == ("photos", "image/png")
    open_form(page, "Photos et audio")
    expect(page.locator(".field[data-field=photos]").get_by_role("link", name="icon-192.png")).to_have_attribute(
        "href", f"/api/v1/cases/{case['id']}/attachments/{photo['id']}")

    # Refer to the police's focal point, picked among those who may receive the case.
    page.get_by_role("button", name="Orienter").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Destinataire").select_option("police")
    screenshot(page, tmp_path, "refer")
    dialog.get_by_role("button", name="Orienter").click()
    expect(page.locator("#flash")).to_have_text("Le dossier est orienté.")
    expect(page.get_by_role("region", name="Orientations, transferts et approbations")).to_contain_text(
        "orientation en attente de réponse — police")
    police_context, police = person(browser)
    sign_in(police, live, "police")
    expect(police.get_by_role("region", name="Nouvelles orientations et nouveaux transferts")).to_contain_text(
        case["case_id_display"])
    police_context.close()

    # Closing: the closure form, its approval by the supervisor, then the case is closed.
    page.get_by_role("link", name="Modifier").click()
    open_form(page, "Clôture")
    page.get_by_label("Motif de clôture", exact=True).select_option("case_plan_completed")
    page.get_by_label("Date de clôture").fill(TODAY)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text("Enregistré.")
    page.get_by_role("button", name="Demander une approbation").click()
    page.get_by_role("dialog").get_by_label("Approbation").select_option("closure")
    page.get_by_role("dialog").get_by_role("button", name="Demander une approbation").click()
    expect(page.locator("#flash")).to_have_text("L'approbation est demandée.")

    sika_context, sika = person(browser)
    sign_in(sika, live, "sika")
    tasks = sika.get_by_role("region", name="Mes tâches")
    expect(tasks).to_contain_text(case["case_id_display"])
    tasks.get_by_role("link").first.click()
    sika.get_by_role("button", name="Décider : Clôture").click()
    sika.get_by_role("dialog").get_by_label("Décision").select_option("true")
    sika.get_by_role("dialog").get_by_role("button", name="Envoyer").click()
    expect(sika.locator("#flash")).to_have_text("La décision est enregistrée.")
    sika_context.close()

    page.reload()
    sign_in(page, live, "awa")
    page.goto(live + f"/app/#/cases/{case['id']}")
    page.get_by_role("button", name="Clôturer le dossier").click()
    page.get_by_role("dialog").get_by_role("button", name="Clôturer le dossier").click()
    expect(page.locator("#flash")).to_have_text("Le dossier est clôturé.")
    expect(page.locator(".record-summary")).to_contain_text("Clôturé")
    assert sika_api.call("GET", f"/api/v1/cases/{case['id']}")["data"]["status"] == "closed"
    assert page.problems == []
    context.close()


def test_offline_registration_and_edits_are_kept_then_synced(browser, live, tmp_path):
    awa_api = Api(live, "awa")
    known = registered(awa_api, "Codjo", "Ahouansou", "male", 12)
    context, page = person(browser)
    sign_in(page, live, "awa")
    settled(page)

    context.set_offline(True)
    page.goto(live + "/app/#/cases/new")
    fill_registration(page, "Nafissatou", "Bio", age="7")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text(KEPT)
    expect(page.locator(".record-summary")).to_contain_text("En attente d'envoi")
    page.get_by_role("link", name="Modifier").click()  # corrected before it ever reached the server: one change
    page.get_by_label("Âge", exact=True).fill("8")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#sync-state")).to_have_text("Hors ligne · modifications en attente d'envoi : 1")
    page.goto(live + f"/app/#/cases/{known['id']}/edit")
    page.get_by_label("Surnom").fill("Coco")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#sync-state")).to_have_text("Hors ligne · modifications en attente d'envoi : 2")
    screenshot(page, tmp_path, "offline")

    # The tablet is closed and opened again, still offline: the password opens what it keeps.
    page.reload()
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Dossiers").click()
    page.get_by_label("Rechercher (nom, numéro…)").fill("nafi")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("table.records tbody tr")).to_have_count(1)
    expect(page.locator("table.records tbody tr")).to_contain_text("En attente d'envoi")
    assert cases_named(awa_api, "Nafissatou") == []  # nothing reached the server

    context.set_offline(False)
    page.get_by_role("button", name="Synchroniser").click()
    expect(page.locator("#sync-state")).to_have_text("En ligne", timeout=15_000)
    [created] = cases_named(awa_api, "Nafissatou")
    assert (created["data"]["name_last"], created["data"]["age"]) == ("Bio", 8)
    assert awa_api.call("GET", f"/api/v1/cases/{known['id']}")["data"]["data"]["name_nickname"] == "Coco"
    history = awa_api.call("GET", f"/api/v1/cases/{created['id']}/history")["data"]
    assert history[0]["device_id"]  # pushed by the registered device
    assert page.problems == []
    context.close()


def test_an_edit_kept_while_the_server_is_out_of_reach_is_sent_when_it_answers_again_without_a_click(browser, live):
    """A tablet on an office's wifi whose uplink is down: the browser says "online" all along, and no "online" event
    ever tells the app that the server answers again; the app tries again by itself."""
    awa_api = Api(live, "awa")
    known = registered(awa_api, "Rissikath", "Gbaguidi", "female", 11)
    context, page = person(browser)
    sign_in(page, live, "awa")
    settled(page)
    context.route("**/api/v1/**", lambda route: route.abort("internetdisconnected"))
    page.goto(live + f"/app/#/cases/{known['id']}/edit")
    page.get_by_label("Surnom").fill("Kath")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text(KEPT)
    expect(page.locator("#sync-state")).to_have_text("Hors ligne · modifications en attente d'envoi : 1")
    assert page.evaluate("() => navigator.onLine")
    assert awa_api.call("GET", f"/api/v1/cases/{known['id']}")["data"]["data"].get("name_nickname") is None

    context.unroute("**/api/v1/**")
    expect(page.locator("#sync-state")).to_have_text("En ligne", timeout=25_000)
    assert awa_api.call("GET", f"/api/v1/cases/{known['id']}")["data"]["data"]["name_nickname"] == "Kath"
    assert page.problems == []
    context.close()


def test_a_same_field_conflict_is_resolved_by_the_user(browser, live, tmp_path):
    awa_api, sika_api = Api(live, "awa"), Api(live, "sika")
    case = registered(awa_api, "Essè", "Kpadonou", "female", 10)
    context, page = person(browser)
    sign_in(page, live, "awa")
    settled(page)
    context.set_offline(True)
    page.goto(live + f"/app/#/cases/{case['id']}/edit")
    page.get_by_label("Surnom").fill("Essi")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text(KEPT)
    # Meanwhile her supervisor writes another nickname on the server.
    sika_api.call("PATCH", f"/api/v1/cases/{case['id']}", {"data": {"name_nickname": "Sèsè"}}, status=200)

    context.set_offline(False)
    page.get_by_role("button", name="Synchroniser").click()
    expect(page.locator("#sync-state")).to_contain_text("dossiers à examiner : 1", timeout=15_000)
    page.goto(live + f"/app/#/cases/{case['id']}")
    conflict = page.get_by_role("form", name="Quelqu'un d'autre a modifié les mêmes champs")
    expect(conflict.get_by_role("group", name="Surnom")).to_contain_text("Cet appareil : Essi")
    expect(conflict.get_by_role("group", name="Surnom")).to_contain_text("Le serveur : Sèsè")
    screenshot(page, tmp_path, "conflict")
    conflict.get_by_label("Cet appareil : Essi").check()
    conflict.get_by_role("button", name="Garder ces valeurs").click()
    expect(page.locator("#flash")).to_have_text("Le conflit est résolu.")
    assert awa_api.call("GET", f"/api/v1/cases/{case['id']}")["data"]["data"]["name_nickname"] == "Essi"
    assert awa_api.call("GET", "/api/v1/sync/conflicts")["data"] == []
    assert page.problems == []
    context.close()


def test_a_revoked_tablet_erases_what_it_keeps(browser, live):
    admin_api = Api(live, "admin")
    context, page = person(browser)
    sign_in(page, live, "sika")
    settled(page)
    assert page.evaluate("indexedDB.databases().then(list => list.filter(d => d.name.startsWith('abri-')).length)") == 1
    devices = admin_api.call("GET", "/api/v1/users/sika/devices")["data"]  # this tablet: the one registered last
    device = max((d for d in devices if not d["revoked"]), key=lambda d: d["registered_at"])
    admin_api.call("DELETE", f"/api/v1/users/sika/devices/{device['id']}", status=200)

    page.get_by_role("button", name="Synchroniser").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter à Abri")
    expect(page.get_by_role("status").filter(has_text="Un administrateur a déconnecté cet appareil")).to_be_visible()
    assert page.evaluate("indexedDB.databases().then(list => list.filter(d => d.name.startsWith('abri-')).length)") == 0
    # Offline now, the password opens nothing: the data are gone from the tablet.
    context.set_offline(True)
    page.get_by_label("Nom d'utilisateur").fill("sika")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#login-error")).to_have_text(
        "La première connexion sur cet appareil nécessite une connexion au serveur.")
    context.close()


def test_a_tracing_request_finds_its_child_and_an_incident_comes_from_a_case(browser, live):
    awa_api = Api(live, "awa")
    case = registered(awa_api, "Fatoumata", "Houngbédji", "female", 11)
    context, page = person(browser)
    sign_in(page, live, "awa")
    settled(page)

    # A mother asks for her daughter: the request, the child sought in its subform, then her possible match.
    page.get_by_role("link", name="Demandes de recherche").click()
    page.get_by_role("link", name="Enregistrer une demande de recherche").click()
    page.get_by_label("Date de la demande").fill(TODAY)
    page.get_by_label("Nom du demandeur").fill("Awa Houngbédji")
    open_form(page, "Personnes recherchées")
    page.get_by_role("button", name="Ajouter : Personnes recherchées").click()
    row = page.get_by_role("group", name="Personnes recherchées").locator(".row-editor")
    row.get_by_label("Nom de la personne recherchée").fill("Fatimata Hounbedji")
    row.get_by_label("Sexe").select_option("female")
    row.get_by_label("Âge").fill("11")
    row.get_by_role("button", name="Terminé").click()
    expect(page.locator(".field[data-field=tracing_request_subform_section] .row-summary")).to_have_count(1)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text("Enregistrement effectué.")
    matches = page.get_by_role("region", name="Enfants peut-être retrouvés")
    expect(matches).to_contain_text("Fatimata Hounbedji → " + case["case_id_display"])
    matches.get_by_role("button", name="C'est cet enfant").click()
    expect(page.locator("#flash")).to_have_text("Le rapprochement est enregistré.")
    expect(matches).to_contain_text("Rapprochement confirmé")
    [request] = awa_api.call("GET", "/api/v1/tracing_requests?per_page=5")["data"]
    assert request["data"]["tracing_request_subform_section"][0]["matched_case_id"] == case["id"]

    # An incident from the case: what the module maps comes from the case (the child's sex).
    page.goto(live + f"/app/#/cases/{case['id']}")
    page.get_by_role("link", name="Nouvel incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouvel incident du dossier " + case["case_id_display"])
    expect(page.get_by_label("Sexe de l'enfant")).to_have_value("female")
    expect(page.get_by_label("Âge de l'enfant")).to_have_value("11")
    page.get_by_label("Date de l'incident").fill(TODAY)
    page.get_by_label("Type de violence").select_option(index=1)
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#flash")).to_have_text("Enregistrement effectué.")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Incident \w+$"))
    [incident] = awa_api.call("GET", f"/api/v1/cases/{case['id']}/incidents")["data"]
    assert (incident["data"]["cp_sex"], incident["data"]["incident_date"]) == ("female", TODAY)
    assert page.problems == []
    context.close()


def test_the_language_is_the_users_own_and_changes_at_once(browser, live):
    police_api = Api(live, "police")
    context, page = person(browser)
    sign_in(page, live, "police")
    settled(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, police")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases")).to_be_visible()
    expect(page.get_by_role("region", name="My tasks")).to_be_visible()
    assert police_api.call("GET", "/api/v1/users/current")["data"]["locale"] == "en"
    # Offline, after a reload: the account's language comes back with the sign-in, labels of forms included.
    context.set_offline(True)
    page.reload()
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)  # the deployment's language until signed in
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, police")
    page.goto(live + "/app/#/cases")
    expect(page.get_by_role("columnheader", name="First name")).to_be_visible()
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers")
    context.set_offline(False)
    context.close()
