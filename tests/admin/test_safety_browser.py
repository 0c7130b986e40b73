"""Safe administration in a real browser (Debian's chromium driven by Playwright).

Each role sees the pages its permissions open and lands on one of them; a page it does not open says so calmly.
A French-speaking national administrator changes a user's role, agency and groups in a form whose confirmation
says what will happen (cancel changes nothing), reads the role matrix in words on a 1366-pixel screen, creates
user groups, and reads, filters and exports the audit log.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from server.auth import accounts
from server.auth.audit import log_event
from server.config import PROJECT_ROOT
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings, published_configuration
from server.storage import get_db
from tests.admin.conftest import served
from tests.conftest import make_app

PASSWORD = "safety test passphrase"
playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
USERS = [("mariam", "Mariam Traoré", "role-national-administrator", None),
         ("dm", "Data Manager", "role-partner-data-manager", "gups-cotonou"),
         ("translator", "Translator", "role-translator", None),
         ("awa", "Awa Koné", "role-case-worker", "gups-cotonou"),
         ("police", "Focal Point", "role-focal-point", None)]
AGENCIES = [("gups-cotonou", "GUPS de Cotonou"), ("gups-parakou", "GUPS de Parakou")]
MARCH = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)


def _seed(db) -> None:
    bootstrap_configuration(db, PROJECT_ROOT / "metadata", LanguageSettings(("en", "fr"), "en"))
    now = datetime.now(timezone.utc)
    for unique_id, name in AGENCIES:
        accounts.create_entity(db, "agencies", {"unique_id": unique_id, "name_i18n": {"en": name, "fr": name}}, now)
    config = published_configuration(db)
    for user_name, full_name, role, agency in USERS:
        accounts.create_user(db, config, {"user_name": user_name, "full_name": full_name, "password": PASSWORD,
                                          "role_unique_id": role, "agency_unique_id": agency}, now)
    # The audit page's material: two changes ten days apart, and enough entries of one user for two pages.
    for days, record in ((0, "awa"), (10, "dm")):
        log_event(db, action="user_updated", user_name="mariam", at=MARCH + timedelta(days=days), address="10.0.0.9",
                  resource="user", record_id=record, status=200, detail="=role")
    for number in range(60):
        log_event(db, action="sync_pull", user_name="tablet-7", at=MARCH - timedelta(minutes=number),
                  address="10.0.0.8", detail=f"{number} records")


@pytest.fixture(scope="module")
def live():
    """Abri with the shipped configuration and a few people, behind a real HTTP server: (address, app)."""
    app = make_app("mongomock://")
    with app.app_context():
        _seed(get_db())
    with served(app) as base:
        yield base, app


def stored_user(app, user_name: str) -> dict:
    with app.app_context():
        return get_db().users.find_one({"_id": user_name})


def log_in(page, base: str, user_name: str, language: str = "en") -> None:
    page.goto(base + f"/admin/language/{language}?next=/admin/login")
    labels = {"en": ("User name", "Password", "Log in"), "fr": ("Nom d'utilisateur", "Mot de passe", "Se connecter")}
    name, password, button = labels[language]
    page.get_by_label(name).fill(user_name)
    page.get_by_label(password).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r".*/admin/(?!login).*"))


def navigation(page) -> list[str]:
    """The links shown, once the header knows who is logged in (it shows the links the same moment)."""
    expect(page.locator("#who")).not_to_be_empty()
    return [text.strip() for text in page.locator("#main-nav a:visible").all_inner_texts()]


def expect_not_allowed(page, base: str, path: str, title: str, links: list[str]) -> None:
    page.goto(base + path)
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_role("heading", name=title)).to_be_focused()
    expect(page.locator("#allowed-pages a")).to_have_text(links)
    expect(page.locator("#screen")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#flash")).to_have_text("")  # no API error, no refusal shown


def test_a_data_manager_sees_exports_and_reports_and_lands_on_exports(page, live):
    base, _ = live
    log_in(page, base, "dm")
    page.wait_for_url(base + "/admin/exports")
    expect(page.get_by_label("Record type")).to_be_visible()
    assert navigation(page) == ["Exports", "Reports"]
    expect(page.locator("#flash")).to_have_text("")
    for path in ("/admin/people", "/admin/audit", "/admin/forms/basic_identity"):
        expect_not_allowed(page, base, path, "This page is not part of your role", ["Exports", "Reports"])
    page.locator("#allowed-pages a").first.click()
    page.wait_for_url(base + "/admin/exports")


def test_a_translator_sees_translations_only_and_lands_there(page, live):
    base, _ = live
    log_in(page, base, "translator")
    page.wait_for_url(base + "/admin/translations")
    expect(page.get_by_label("Form or lookup")).to_be_visible()
    assert navigation(page) == ["Translations"]
    expect_not_allowed(page, base, "/admin/roles", "This page is not part of your role", ["Translations"])
    page.goto(base + "/admin/")  # the landing page sends a translator on, never shows the message
    page.wait_for_url(base + "/admin/translations")


def test_a_role_that_opens_no_page_is_told_so_calmly(page, live):
    base, _ = live
    log_in(page, base, "police")
    expect(page.get_by_role("heading", name="This page is not part of your role")).to_be_visible()
    expect(page.locator("#no-pages")).to_contain_text("Your role opens no page of the administration.")
    assert navigation(page) == [] and page.url == base + "/admin/"
    expect(page.locator("#flash")).to_have_text("")


def test_a_national_administrator_sees_the_administration_pages(french, live):
    base, _ = live
    log_in(french, base, "mariam", "fr")
    expect(french.locator("#published-version")).to_have_text(re.compile(r"^\d+$"))
    assert navigation(french) == ["Versions", "Formulaires", "Listes de valeurs", "Traductions", "Import et export", "Rôles",
                                  "Utilisateurs", "Rapports", "Journal d'audit"]
    expect_not_allowed(french, base, "/admin/exports", "Cette page ne fait pas partie de votre rôle",
                       navigation(french))


def test_a_role_change_says_what_it_does_and_cancel_changes_nothing(french, live):
    base, app = live
    log_in(french, base, "mariam", "fr")
    french.get_by_role("link", name="Utilisateurs", exact=True).click()

    french.get_by_label("Identifiant du groupe").fill("equipe-nord")
    french.get_by_label("Nom du groupe (français)").fill("Équipe Nord")
    french.get_by_label("Nom du groupe (anglais)").fill("North team")
    french.get_by_role("button", name="Créer le groupe").click()
    expect(french.locator("#groups")).to_contain_text("Équipe Nord")

    opener = french.get_by_role("button", name="Modifier awa")
    opener.click()
    expect(french.get_by_role("heading", name="Modifier l'utilisateur Awa Koné")).to_be_focused()
    expect(french.get_by_label("Rôle — Awa Koné")).to_have_value("role-case-worker")
    french.get_by_label("Rôle — Awa Koné").select_option("role-supervisor")
    french.get_by_label("Agence — Awa Koné").select_option("gups-parakou")
    french.get_by_label("Équipe Nord").check()
    assert stored_user(app, "awa")["role"] == "role-case-worker"  # choosing saves nothing
    french.get_by_role("button", name="Enregistrer les changements").click()

    dialog = french.get_by_role("dialog", name="Appliquer ces changements à Awa Koné ?")
    expect(dialog).to_be_visible()
    expect(dialog.locator("li")).to_have_text([
        "Awa Koné perd le rôle Travailleur social et reçoit le rôle Superviseur.",
        "Awa Koné passe de l'agence GUPS de Cotonou à l'agence GUPS de Parakou.",
        "Awa Koné rejoint le groupe Équipe Nord."])
    expect(dialog.get_by_role("button", name="Annuler")).to_be_focused()
    french.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(french.locator("#flash")).to_have_text("Annulé : rien n'a été modifié.")
    french.get_by_role("button", name="Enregistrer les changements").click()
    dialog.get_by_role("button", name="Annuler").click()
    expect(french.get_by_role("button", name="Enregistrer les changements")).to_be_focused()  # focus comes back
    awa = stored_user(app, "awa")
    assert (awa["role"], awa.get("agency"), awa.get("user_groups", [])) == ("role-case-worker", "gups-cotonou", [])

    french.get_by_role("button", name="Enregistrer les changements").click()
    dialog.get_by_role("button", name="Appliquer les changements").click()
    expect(french.locator("#flash")).to_have_text("Enregistré.")
    row = french.locator('#users tr[data-user="awa"]')
    expect(row.locator("td.role")).to_have_text("Superviseur")
    expect(row.locator("td.groups")).to_have_text("Équipe Nord")
    awa = stored_user(app, "awa")
    assert (awa["role"], awa["agency"], awa["user_groups"]) == ("role-supervisor", "gups-parakou", ["equipe-nord"])

    french.get_by_role("button", name="Modifier awa").click()
    french.get_by_label("Équipe Nord").uncheck()
    french.get_by_label("Compte désactivé, aucune connexion — Awa Koné").check()
    french.get_by_role("button", name="Enregistrer les changements").click()
    expect(dialog.locator("li")).to_have_text([
        "Awa Koné quitte le groupe Équipe Nord.",
        "Awa Koné ne peut plus se connecter : le compte est désactivé et ses sessions prennent fin."])
    dialog.get_by_role("button", name="Appliquer les changements").click()
    expect(row).to_contain_text("désactivé")
    awa = stored_user(app, "awa")
    assert awa["disabled"] is True and awa["user_groups"] == []


def test_the_role_matrix_is_in_words_and_fits_the_screen(french, live, tmp_path: Path):
    base, _ = live
    log_in(french, base, "mariam", "fr")
    french.get_by_role("link", name="Rôles", exact=True).click()
    french.get_by_label("Rôle", exact=True).select_option("role-partner-data-manager")
    matrix = french.locator("#r-matrix")
    expect(matrix.locator("thead th")).to_have_text(["", "Dossiers", "Incidents", "Demandes de recherche"])
    refer = matrix.locator('tr[data-action="refer"] th')
    expect(refer).to_contain_text("Orienter")
    expect(refer).to_contain_text("envoyer un dossier à un autre intervenant")
    expect(french.get_by_label("Dossiers : Lecture", exact=True)).to_be_checked()
    expect(french.get_by_label("Dossiers : Orienter", exact=True)).not_to_be_checked()
    expect(french.locator("#r-scopes")).to_contain_text("et les dossiers de toutes les personnes de l'agence")
    expect(french.get_by_role("radio", name=re.compile("^Aussi ceux de son agence"))).to_be_checked()
    expect(french.locator("#r-admin")).to_contain_text("Journal d'audit")
    expect(french.locator("#r-holders")).to_contain_text("Data Manager")
    width = french.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366, f"the roles page is {width} pixels wide"
    french.screenshot(path=str(tmp_path / "roles-fr.png"), full_page=True)


def test_the_audit_log_is_filtered_paginated_and_exported(french, live):
    base, _ = live
    log_in(french, base, "mariam", "fr")
    french.get_by_role("link", name="Journal d'audit").click()
    rows = french.locator("#audit tbody tr")
    expect(rows.first.locator("td").nth(2)).to_have_text("Connexion")  # the newest: this login, as a word

    french.get_by_label("Nom d'utilisateur").fill("tablet-7")
    french.get_by_role("button", name="Afficher les entrées").click()
    expect(french.locator("#audit-total")).to_have_text("60 entrées")
    expect(french.locator("#audit-page")).to_have_text("Page 1 sur 2")
    expect(rows).to_have_count(50)
    expect(rows.first.locator("td").nth(2)).to_have_text("Synchronisation terrain : dossiers récupérés")
    french.get_by_role("button", name="Page suivante").click()
    expect(french.locator("#audit-page")).to_have_text("Page 2 sur 2")
    expect(rows).to_have_count(10)
    expect(french.get_by_role("button", name="Page suivante")).to_be_disabled()

    french.get_by_role("button", name="Effacer les filtres").click()
    french.get_by_label("Action").select_option(label="Utilisateur modifié")
    french.get_by_label("Du (date)").fill("2026-03-15")
    french.get_by_label("Au (date incluse)").fill("2026-03-31")
    french.get_by_role("button", name="Afficher les entrées").click()
    expect(french.locator("#audit-total")).to_have_text("1 entrée")
    expect(rows.first.locator("td").nth(4)).to_have_text("dm")
    french.get_by_label("Du (date)").fill("")
    french.get_by_label("Identifiant du dossier").fill("awa")
    french.get_by_role("button", name="Afficher les entrées").click()
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td").nth(1)).to_have_text("mariam")

    with french.expect_download() as download:
        french.get_by_role("link", name="Télécharger ces entrées (CSV)").click()
    table = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert table[0][:4] == ["Quand (UTC)", "Utilisateur", "Action", "Code de l'action"]
    assert [(row[1], row[2], row[5], row[8]) for row in table[1:]] == [
        ("mariam", "Utilisateur modifié", "awa", "'=role")]

    french.get_by_label("Identifiant du dossier").fill("")
    french.get_by_label("Action").select_option(label="Journal d'audit exporté")
    french.get_by_label("Au (date incluse)").fill("")
    french.get_by_role("button", name="Afficher les entrées").click()
    expect(rows).to_have_count(1)  # exporting is itself audited
    expect(rows.first.locator("td").nth(1)).to_have_text("mariam")
