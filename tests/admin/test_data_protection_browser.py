"""The data protection page in a real browser (Debian's chromium driven by Playwright), in French.

Bénin's data protection officer sees what the retention rule reaches today, tries it, cancels the confirmation
(nothing changes), then applies it after reading in words what will happen; downloads a child's archive by its short
id (and is told plainly when a case does not exist); and reads the consent audit, filtered to the police. A case
worker, whose role opens none of it, is told so calmly.
"""
from __future__ import annotations

import io
import zipfile

import pytest

from server.storage import get_db
from tests.admin.conftest import served
from tests.builders import PASSWORD
from tests.conftest import make_app
from tests.data_protection_world import OVERRIDE, open_office

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def live():
    """The office of tests/data_protection_world.py behind a real HTTP server: (address, office)."""
    app = make_app("mongomock://")
    try:
        office = open_office(app)
        with served(app) as base:
            yield base, office
    finally:
        app.close()


def log_in(page, base: str, user_name: str, lands: str) -> None:
    """Log in, and wait for the page the role lands on.

    The landing page sends a role that does not open it on to the first page it does open; a test that went on at
    once could see that navigation overtake its own.
    """
    page.goto(base + "/admin/language/fr?next=/admin/login")
    page.get_by_label("Nom d'utilisateur").fill(user_name)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(base + lands)


def stored_case(office, name: str) -> dict:
    with office.app.app_context():
        return get_db().case.find_one({"_id": office.cases[name]["id"]})


def test_the_data_protection_officer_applies_retention_downloads_an_archive_and_audits_consent(live, french):
    base, office = live
    page = french
    log_in(page, base, "dpo", lands="/admin/reports")
    page.goto(base + "/admin/data-protection")
    expect(page.get_by_role("heading", name="Protection des données", level=1)).to_be_visible()

    # Retention: the rule, what it reaches today, a dry run.
    rule = page.locator("#retention-rules tbody tr", has_text="closed-cases-pseudonymised")
    expect(rule).to_contain_text("1\u202f826 jours après date_closure")
    expect(rule).to_contain_text("Pseudonymisés")
    expect(rule.locator("td.count")).to_have_text("1")
    expect(rule).to_contain_text(office.cases["awa"]["case_id_display"])
    expect(rule).to_contain_text("les rapports continuent de le compter")  # the rule's note, in French
    page.get_by_role("button", name="Voir ce qu'une exécution changerait").click()
    result = page.locator("#retention-result")
    expect(result).to_contain_text("Une exécution modifierait 1 dossiers :")
    expect(result).to_contain_text("name_first")

    # Applying: the confirmation says in words what will happen; cancelling changes nothing.
    page.get_by_role("button", name="Appliquer les règles…").click()
    dialog = page.get_by_role("dialog", name="Appliquer maintenant les règles de conservation ?")
    expect(dialog).to_contain_text("1 dossiers de la règle « closed-cases-pseudonymised » perdront tous les champs "
                                   "qui identifient une personne")
    expect(dialog).to_contain_text("C'est irréversible.")
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    assert stored_case(office, "awa")["data"]["name_first"] == "Awa"
    page.get_by_role("button", name="Appliquer les règles…").click()
    page.get_by_role("dialog").get_by_role("button", name="Appliquer les règles").click()
    expect(result).to_contain_text("1 dossiers modifiés.")
    expect(result).to_contain_text("Tous les dossiers concernés aujourd'hui par les règles sont traités.")
    expect(page.locator("#flash")).to_have_text("Les règles de conservation ont été appliquées.")
    expect(rule.locator("td.count")).to_have_text("0")
    awa = stored_case(office, "awa")
    assert awa["pseudonymised_at"] and "name_first" not in awa["data"]

    # Subject access: a case that does not exist is said so next to the form; Kofi's archive downloads.
    subject = page.locator("#subject-form")
    case_box = page.get_by_label("Identifiant du dossier, identifiant court ou numéro affiché")
    case_box.fill("zzzzzzz")
    subject.get_by_role("button", name="Télécharger l'archive").click()
    expect(subject.locator('[data-error-for="_form"]')).to_have_text("Dossier zzzzzzz est introuvable.")
    kofi = office.cases["kofi"]
    case_box.fill(kofi["short_id"])
    with page.expect_download() as downloading:
        subject.get_by_role("button", name="Télécharger l'archive").click()
    download = downloading.value
    assert download.suggested_filename == f"subject-access-{kofi['short_id']}.zip"
    with open(download.path(), "rb") as saved:
        archive = zipfile.ZipFile(io.BytesIO(saved.read()))
    assert archive.read("README.txt").decode().startswith("Données qu'Abri détient sur un enfant")
    assert f"records/case-{kofi['short_id']}.json" in archive.namelist()
    expect(page.locator("#flash")).to_have_text(f"L'archive du dossier {kofi['short_id']} a été téléchargée.")

    # Consent audit: the referrals to the police, one of them without consent and why.
    consent = page.locator("#consent tbody tr")
    expect(consent).to_have_count(2)
    page.get_by_label("Agence (qui envoie ou qui reçoit)").fill("brigade-mineurs")
    page.locator("#c-kind").select_option("referral")
    page.locator("#consent-filters").get_by_role("button", name="Afficher").click()
    expect(consent).to_have_count(2)
    expect(consent.filter(has_text=kofi["case_id_display"])).to_contain_text(f"Passé outre : {OVERRIDE}")
    expect(consent.filter(has_text=kofi["case_id_display"])).to_contain_text("partage : Consentement refusé")
    assert "locale=fr" in page.locator("#consent-export").get_attribute("href")
    page.get_by_label("Agence (qui envoie ou qui reçoit)").fill("ong-enfance")
    page.locator("#consent-filters").get_by_role("button", name="Afficher").click()
    expect(page.locator("#consent tbody")).to_have_text(
        "Aucun référencement, transfert ou export ne correspond à ces filtres.")


def test_a_case_worker_is_told_the_page_is_not_part_of_their_role(live, french):
    base, _ = live
    log_in(french, base, "worker", lands="/admin/exports")
    french.goto(base + "/admin/data-protection")
    expect(french.get_by_role("heading", name="Cette page ne fait pas partie de votre rôle")).to_be_visible()
    expect(french.locator("#retention-card")).to_be_hidden()
