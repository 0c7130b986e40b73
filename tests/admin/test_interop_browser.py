"""Import and export in a real browser (Debian's chromium), in French, on the Bénin profile.

A national administrator who has never seen JSON checks a Primero configuration and reads the report (counts per kind,
each element with what became of it), makes it the draft with a confirmation (and replaces unpublished changes only
once she has said so), then finds the draft on the Versions page; she downloads the case forms as XLSForm, and adds a
partner's XLSForm to the draft after reading its report. Bad files are refused next to their input, in French; a data
manager's role does not open the page. Set ABRI_SCREENSHOTS=docs/screenshots to refresh the screenshots.
"""
from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from tests.admin.conftest import api_get, benin_app, log_in_french, served
from tests.admin.test_admin_ui import screenshot

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
PRIMERO_FILE = Path(__file__).parents[1] / "interop" / "fixtures" / "primero" / "cp_small.json"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_ALLOWED = "Cette page ne fait pas partie de votre rôle"


@pytest.fixture(scope="module")
def interop_app():
    """Abri on the Bénin profile (French first), its first administrator, a partner's data manager."""
    with benin_app(("dm", "role-partner-data-manager", "agency-gups-cotonou")) as app:
        yield app


@pytest.fixture(scope="module")
def interop(interop_app):
    with served(interop_app) as base:
        yield base


log_in = log_in_french


def open_interop(page, base: str) -> None:
    log_in(page, base)
    page.get_by_role("link", name="Import et export", exact=True).click()
    page.wait_for_url(base + "/admin/interop")


def partner_workbook() -> bytes:
    """A partner's small form, as Kobo would save it: three questions, one Abri has no type for."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    for row in (["type", "name", "label::Français (fr)", "label::English (en)"],
                ["text", "nom_tuteur", "Nom du tuteur", "Guardian's name"],
                ["select_one lien", "lien_tuteur", "Lien avec l'enfant", "Relationship to the child"],
                ["geopoint", "position", "Position", "Position"]):
        survey.append(row)
    choices = book.create_sheet("choices")
    for row in (["list_name", "name", "label::Français (fr)", "label::English (en)"],
                ["lien", "parent", "Parent", "Parent"], ["lien", "voisin", "Voisin", "Neighbour"]):
        choices.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id"])
    settings.append(["Tuteur", "tuteur"])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def test_a_primero_configuration_is_checked_then_made_the_draft_for_the_versions_page(french, interop, tmp_path):
    page, base = french, interop
    open_interop(page, base)
    section = page.get_by_role("region", name="Importer une configuration Primero")
    section.get_by_label("Fichier de configuration Primero (.json)").set_input_files(str(PRIMERO_FILE))
    section.get_by_role("button", name="Vérifier le fichier").click()

    report = section.get_by_role("region", name="Résultat de la vérification")
    expect(report.get_by_role("heading", name="Résultat de la vérification")).to_be_focused()
    expect(page.locator("#flash")).to_have_text(
        "Vérification faite : 51 éléments dans le fichier. Rien n'a encore changé.")
    counts = report.get_by_role("table", name="Ce que deviennent les éléments du fichier")
    expect(counts.locator("thead th")).to_have_text(["Élément", "Repris", "Adaptés", "Non repris", "Total"])
    expect(counts.locator("tr[data-kind=field] > *")).to_have_text(["Champs", "9", "10", "2", "21"])
    expect(counts.locator("tr[data-kind=permission] > *")).to_have_text(["Permissions", "9", "5", "4", "18"])
    not_mapped = report.locator("details.not_mapped")
    expect(not_mapped.locator("summary")).to_have_text("Non repris (8)")
    expect(not_mapped.locator("li", has_text="basic_identity/signature_child")).to_have_text(
        "Champ basic_identity/signature_child — Abri n'a pas de type de champ signature.")
    expect(report.locator("details.adapted li", has_text="basic_identity/Name-Last")).to_contain_text(
        "Name-Last renommé en name_last pour suivre la règle des identifiants d'Abri.")
    expect(report).to_contain_text("Le brouillon contiendrait :")
    expect(report).to_contain_text("Rien n'empêche de publier ce brouillon.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(page, tmp_path, "interop_primero_report")
    assert api_get(base, "/api/v1/metadata/draft")["data"]["changes"] == []  # the check changed nothing

    report.get_by_role("button", name="En faire le brouillon").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Faire de cette configuration le brouillon ?")
    expect(dialog).to_contain_text("Le brouillon est remplacé par la configuration de cp_small.json")
    expect(dialog).to_contain_text("Rien n'est publié : les tablettes et les utilisateurs gardent la version actuelle")
    dialog.get_by_role("button", name="Annuler").click()
    assert api_get(base, "/api/v1/metadata/draft")["data"]["changes"] == []
    report.get_by_role("button", name="En faire le brouillon").click()
    page.get_by_role("dialog").get_by_role("button", name="En faire le brouillon").click()
    done = section.locator("#primero-done")
    expect(done.get_by_role("heading", name="Maintenant dans le brouillon")).to_be_focused()
    expect(report).to_contain_text("Le brouillon contient :")
    assert {change["unique_id"] for change in api_get(base, "/api/v1/metadata/draft")["data"]["changes"]} >= {
        "role-superuser", "basic_identity", "locations-primero"}

    # A second import meets the unpublished changes of the first: said in French, replaced only once confirmed.
    section.get_by_role("button", name="Vérifier le fichier").click()
    expect(report.get_by_role("heading", name="Résultat de la vérification")).to_be_focused()
    report.get_by_role("button", name="En faire le brouillon").click()
    page.get_by_role("dialog").get_by_role("button", name="En faire le brouillon").click()
    expect(report.locator('[data-error-for="_form"]')).to_have_text(
        "Le brouillon contient des modifications non publiées ; publiez-les ou abandonnez-les d'abord.")
    replace = report.get_by_role("button", name="Remplacer les modifications non publiées")
    expect(replace).to_be_focused()
    replace.click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Remplacer les modifications non publiées ?")
    expect(dialog).to_contain_text("Les modifications du brouillon qui ne sont pas encore publiées sont perdues")
    dialog.get_by_role("button", name="Remplacer le brouillon").click()
    expect(done.get_by_role("heading", name="Maintenant dans le brouillon")).to_be_focused()

    done.get_by_role("link", name="Le relire et le publier sur la page Versions").click()
    page.wait_for_url(base + "/admin/")
    expect(page.locator("#draft-changes li[data-document='role:role-superuser']")).to_be_visible()
    expect(page.locator("#draft-changes li[data-document='form:basic_identity']")).to_contain_text("Identité de base")


def test_the_case_forms_download_as_an_xlsform_with_a_french_label_column(french, interop):
    page, base = french, interop
    open_interop(page, base)
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Télécharger en XLSForm — Dossiers").click()
    download = downloading.value
    assert download.suggested_filename == "abri-case-xlsform.xlsx"
    data = Path(download.path()).read_bytes()
    assert data[:2] == b"PK"  # a zip, as every xlsx is
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert book.sheetnames[:3] == ["survey", "choices", "settings"]
    header = next(book["survey"].iter_rows(values_only=True))
    assert "label::Français (fr)" in header
    rows = list(book["survey"].iter_rows(values_only=True))
    french_labels = [row[header.index("label::Français (fr)")] for row in rows[1:]]
    assert "Identité de base" in french_labels


def test_a_partner_xlsform_is_checked_then_added_to_the_draft(french, interop, tmp_path):
    page, base = french, interop
    open_interop(page, base)
    section = page.get_by_role("region", name="Formulaires en XLSForm")
    section.get_by_label("Type de dossier").select_option(label="Dossiers")
    section.get_by_label("Classeur XLSForm (.xlsx)").set_input_files(
        {"name": "tuteur.xlsx", "mimeType": XLSX, "buffer": partner_workbook()})
    section.get_by_role("button", name="Vérifier le fichier").click()

    report = section.get_by_role("region", name="Résultat de la vérification")
    expect(report.get_by_role("heading", name="Résultat de la vérification")).to_be_focused()
    expect(report.locator("#xlsform-summary")).to_contain_text("Vérification faite (Dossiers) — repris :")
    expect(report.locator("#xlsform-summary")).to_contain_text(
        "Nouveautés du brouillon après l'import : Formulaire tuteur")
    expect(report.locator("details.not_mapped li")).to_have_text(
        ["position — Abri n'a pas de question de type geopoint"])
    expect(report.locator("details.mapped summary")).to_contain_text("Repris tels quels")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(page, tmp_path, "interop_xlsform_report")
    draft = api_get(base, "/api/v1/forms?record_type=case&draft=true")["data"]
    assert "tuteur" not in {form["unique_id"] for form in draft}  # the check changed nothing

    report.get_by_role("button", name="Ajouter au brouillon").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Ajouter les formulaires de ce classeur au brouillon ?")
    expect(dialog).to_contain_text("Nouveautés du brouillon : Formulaire tuteur.")
    dialog.get_by_role("button", name="Ajouter au brouillon").click()
    expect(section.get_by_role("heading", name="Maintenant dans le brouillon")).to_be_focused()
    expect(page.locator("#flash")).to_have_text("Ajouté au brouillon : Formulaire tuteur.")
    added = api_get(base, "/api/v1/forms/tuteur?draft=true")["data"]
    assert [field["name"] for field in added["fields"]] == ["nom_tuteur", "lien_tuteur"]
    assert added["fields"][0]["display_name_i18n"]["fr"] == "Nom du tuteur"


def test_bad_files_are_refused_next_to_their_input_in_french(french, interop):
    page, base = french, interop
    open_interop(page, base)
    primero = page.get_by_role("region", name="Importer une configuration Primero")
    primero.get_by_role("button", name="Vérifier le fichier").click()
    expect(primero.locator('[data-error-for="file"]')).to_have_text("Choisissez d'abord un fichier.")
    primero.get_by_label("Fichier de configuration Primero (.json)").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": "Réunion de lundi".encode()})
    primero.get_by_role("button", name="Vérifier le fichier").click()
    expect(primero.locator('#primero-form [data-error-for="file"]')).to_contain_text(  # next to the file input
        "ce n'est pas du JSON valide (ligne 1, colonne 1)")
    expect(page.locator("#flash")).to_contain_text("Le fichier n'est pas une configuration Primero")
    expect(primero.get_by_role("region", name="Résultat de la vérification")).to_be_hidden()
    # past the 16 MiB a configuration may hold (a country's, with its places, may pass the 2 MB of other requests)
    primero.get_by_label("Fichier de configuration Primero (.json)").set_input_files(
        {"name": "huge.json", "mimeType": "application/json", "buffer": b'{"forms": [' + b" " * 17_500_000 + b"]}"})
    primero.get_by_role("button", name="Vérifier le fichier").click()
    expect(primero.locator('#primero-form [data-error-for="_form"]')).to_contain_text(
        "La configuration Primero dépasse")

    xlsform = page.get_by_role("region", name="Formulaires en XLSForm")
    upload = xlsform.get_by_label("Classeur XLSForm (.xlsx)")
    upload.set_input_files({"name": "cp_small.json", "mimeType": "application/json",
                            "buffer": PRIMERO_FILE.read_bytes()})
    xlsform.get_by_role("button", name="Vérifier le fichier").click()
    expect(xlsform.locator('[data-error-for="file"]')).to_contain_text(
        "Envoyez un classeur .xlsx (un XLSForm enregistré depuis Excel, LibreOffice, Kobo ou ODK).")
    expect(upload).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#flash")).to_have_text("Le fichier n'est pas un classeur XLSForm qu'Abri sait lire. "
                                                "Rien n'a été modifié.")


def test_a_data_manager_does_not_see_the_page_and_is_told_so_calmly(french, interop):
    page, base = french, interop
    log_in(page, base, "dm")
    page.wait_for_url(base + "/admin/exports")
    expect(page.get_by_role("link", name="Exports", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Import et export")).to_be_hidden()
    page.goto(base + "/admin/interop")
    expect(page.get_by_role("heading", name=NOT_ALLOWED)).to_be_focused()
    expect(page.locator("#allowed-pages a")).to_have_text(["Exports", "Rapports"])
    expect(page.locator("#screen")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#flash")).to_have_text("")  # no refusal of the API shown: the screen's script never ran
