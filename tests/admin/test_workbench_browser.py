"""The administrator's workbench in a real browser (Debian's chromium), in French, on the Bénin profile.

A social-affairs officer who has never seen JSON adds a field to a case form, placed where she chooses, shown only
for girls under 12 (a condition built with pickers and read back as a sentence), fills the live preview in at a
tablet's size, then publishes with a comment and a confirmation that says what the tablets will receive.
Set ABRI_SCREENSHOTS=docs/screenshots to refresh the screenshots in the repository.
"""
from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timezone

import pytest

from tests.admin.conftest import api_get, api_token, benin_app, log_in_french, served
from tests.admin.test_admin_ui import screenshot
from tests.builders import PASSWORD

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
CONDITION = {"and": [{"eq": {"sex": "female"}}, {"lt": {"age": 12}}]}


@pytest.fixture(scope="module")
def workbench_app():
    """Abri on the Bénin profile (French first), its first administrator, a case worker."""
    with benin_app(("worker", "role-case-worker", "agency-gups-cotonou")) as app:
        yield app


@pytest.fixture(scope="module")
def workbench(workbench_app):
    """That app behind a real HTTP server."""
    with served(workbench_app) as base:
        yield base


log_in = log_in_french


def test_a_field_shown_to_girls_under_twelve_is_built_with_pickers_previewed_and_published(french, workbench, tmp_path):
    page, base = french, workbench
    log_in(page, base)
    page.get_by_role("link", name="Formulaires", exact=True).click()
    page.get_by_role("link", name="Identité de base").click()
    expect(page.locator("#fields li").first).to_be_visible()

    page.get_by_label("Type", exact=True).select_option(label="Texte court")
    page.get_by_label("Nom du champ (a-z, 0-9, _)").fill("school_name")
    page.get_by_label("Libellé (français)", exact=True).fill("Nom de l'école")
    page.get_by_label("Libellé (anglais)", exact=True).fill("School name")
    page.get_by_label("Place dans le formulaire").select_option(label="Après « Âge »")

    box = page.locator("#condition-box")
    expect(box.locator(".rule-sentence")).to_have_text("Toujours affiché.")
    box.get_by_role("button", name="Ajouter une condition").click()
    first = box.locator(".rules li").nth(0)
    expect(first.get_by_label("Champ")).to_be_focused()
    first.get_by_label("Champ").select_option(label="Sexe")
    expect(first.get_by_label("Comparaison").locator("option")).to_have_text(
        ["est", "n'est pas", "est l'une des valeurs", "est vide", "n'est pas vide"])
    first.get_by_label("Valeur").select_option(label="Féminin")
    box.get_by_role("button", name="Ajouter une condition").click()
    second = box.locator(".rules li").nth(1)
    second.get_by_label("Champ").select_option(label="Âge")
    second.get_by_label("Comparaison").select_option(label="est inférieur à")
    second.get_by_label("Valeur").fill("12")
    sentence = "Affiché quand Sexe est Féminin et Âge est inférieur à 12."
    expect(box.locator(".rule-sentence")).to_have_text(sentence)
    join = box.get_by_label("Comment les conditions se combinent")
    join.select_option(label="au moins une de ces conditions est remplie")
    expect(box.locator(".rule-sentence")).to_have_text("Affiché quand Sexe est Féminin ou Âge est inférieur à 12.")
    box.get_by_label("Comment les conditions se combinent").select_option(label="toutes ces conditions sont remplies")

    # The JSON behind "advanced": what the pickers wrote, checked on every keystroke, and read back by the pickers.
    box.get_by_label("Avancé : modifier en JSON").check()
    condition = page.locator("#f-condition")
    assert json.loads(condition.input_value()) == CONDITION
    condition.fill('{"like": {"sex": "female"}}')
    expect(box.locator("[role=alert]")).to_contain_text("opérateur inconnu")
    condition.fill('{"eq": {"pointure": 3}}')
    expect(box.locator("[role=alert]")).to_have_text("pointure n'est pas un champ de ce formulaire.")
    condition.fill(json.dumps(CONDITION))
    expect(box.locator("[role=alert]")).to_have_text("")
    box.get_by_label("Avancé : modifier en JSON").uncheck()
    expect(box.locator(".rule-sentence")).to_have_text(sentence)
    expect(second.get_by_label("Valeur")).to_have_value("12")
    screenshot(page, tmp_path, "workbench_condition")
    page.get_by_role("button", name="Ajouter le champ").click()

    names = lambda: page.locator("#fields li").evaluate_all("rows => rows.map((row) => row.dataset.name)")
    expect(page.locator('#fields li[data-name="school_name"]')).to_be_visible()
    assert names()[names().index("age") + 1] == "school_name"
    draft = api_get(base, "/api/v1/forms/basic_identity?draft=true")["data"]
    added = next(field for field in draft["fields"] if field["name"] == "school_name")
    assert added["display_conditions"] == CONDITION
    assert added["display_name_i18n"] == {"fr": "Nom de l'école", "en": "School name"}

    # The live preview: the case worker app's renderer, the condition evaluated as the administrator fills it in.
    preview = page.locator("#preview")
    school = preview.locator(".field[data-field=school_name]")
    expect(preview.get_by_role("combobox", name="Sexe", exact=True)).to_be_visible()
    expect(school).to_be_hidden()
    preview.get_by_role("combobox", name="Sexe", exact=True).select_option(label="Féminin")
    preview.get_by_role("spinbutton", name="Âge", exact=True).fill("10")
    expect(school).to_be_visible()
    expect(school.get_by_role("textbox", name="Nom de l'école")).to_be_editable()
    preview.get_by_role("spinbutton", name="Âge", exact=True).fill("14")
    expect(school).to_be_hidden()
    page.get_by_label("Écran", exact=True).select_option("1280")
    assert preview.evaluate("frame => frame.getBoundingClientRect().width") == 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366  # the stage scrolls, not the page
    page.get_by_label("Langue", exact=True).select_option("en")
    expect(preview.get_by_role("combobox", name="Sex", exact=True)).to_be_visible()

    # Publishing: a comment first, then a confirmation that says what the devices will receive.
    page.get_by_role("link", name="Versions", exact=True).click()
    expect(page.locator("#draft-changes")).to_contain_text(
        "Formulaire « Identité de base » — champs ajoutés : « Nom de l'école »")
    page.get_by_role("button", name="Publier", exact=True).click()
    expect(page.locator('[data-error-for="comment"]')).to_have_text("Dites en quelques mots ce que change cette "
                                                                   "version : l'historique et les utilisateurs des "
                                                                   "appareils le lisent.")
    assert api_get(base, "/api/v1/metadata/draft")["data"]["published_version"] == 1
    page.get_by_label("Ce que change cette version").fill("Nom de l'école des filles de moins de 12 ans")
    page.get_by_role("button", name="Publier", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Publier la version 2 ?")
    expect(dialog).to_contain_text("Formulaire « Identité de base » — champs ajoutés : « Nom de l'école ».")
    expect(dialog).to_contain_text("Utilisateurs actifs qui recevront cette version : 2 ; tablettes enregistrées : 0.")
    screenshot(page, tmp_path, "workbench_publish")
    dialog.get_by_role("button", name="Annuler").click()
    expect(dialog).to_be_hidden()
    assert api_get(base, "/api/v1/metadata/draft")["data"]["published_version"] == 1
    page.get_by_role("button", name="Publier", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Publier sur les appareils").click()
    expect(page.locator("#published-version")).to_have_text("2")
    published = api_get(base, "/api/v1/forms/basic_identity")["data"]
    assert next(f for f in published["fields"] if f["name"] == "school_name")["display_conditions"] == CONDITION
    version = api_get(base, "/api/v1/metadata/versions/2")["data"]
    assert version["comment"] == "Nom de l'école des filles de moins de 12 ans"


def test_an_edit_made_when_the_session_has_ended_is_saved_once_the_administrator_signs_in_again(
        french, workbench, workbench_app):
    page, base = french, workbench
    log_in(page, base)
    page.goto(base + "/admin/forms/family_details")
    expect(page.locator("#fields li").first).to_be_visible()
    page.get_by_label("Type", exact=True).select_option(label="Texte court")
    page.get_by_label("Nom du champ (a-z, 0-9, _)").fill("village_chief")
    page.get_by_label("Libellé (français)", exact=True).fill("Chef du village")
    page.get_by_label("Libellé (anglais)", exact=True).fill("Village chief")
    page.wait_for_load_state("networkidle")  # the page's own loads are done: only the save meets the end
    database = workbench_app.extensions["abri_db"]
    past = datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert database.tokens.update_many({"kind": "session"}, {"$set": {"expires_at": past}}).modified_count
    page.get_by_role("button", name="Ajouter le champ").click()

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Votre session a pris fin")
    expect(dialog.get_by_label("Nom d'utilisateur")).to_have_value("aminata")
    expect(dialog.get_by_label("Mot de passe")).to_be_focused()
    dialog.get_by_label("Mot de passe").fill("not the password at all")
    dialog.get_by_role("button", name="Se reconnecter et continuer").click()
    expect(dialog.get_by_role("alert")).not_to_be_empty()
    assert page.url == base + "/admin/forms/family_details"
    dialog.get_by_label("Mot de passe").fill(PASSWORD)
    dialog.get_by_role("button", name="Se reconnecter et continuer").click()
    expect(dialog).to_be_hidden()
    expect(page.locator('#fields li[data-name="village_chief"]')).to_be_visible()
    draft = api_get(base, "/api/v1/forms/family_details?draft=true")["data"]
    assert [f["display_name_i18n"] for f in draft["fields"] if f["name"] == "village_chief"] == [
        {"fr": "Chef du village", "en": "Village chief"}]


def test_fields_move_to_another_form_by_keyboard_and_by_drag_and_drop(french, workbench):
    page, base = french, workbench
    log_in(page, base)
    page.goto(base + "/admin/forms/basic_identity")
    expect(page.locator("#move-targets li").first).to_be_visible()
    move = page.get_by_role("button", name="Déplacer « Surnom » dans un autre formulaire")
    move.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Vers le formulaire")).to_be_focused()
    dialog.get_by_label("Vers le formulaire").select_option(label="Famille")
    dialog.get_by_label("Sa place dans ce formulaire").select_option(label="Au début")
    dialog.get_by_role("button", name="Déplacer").click()
    expect(page.locator("#flash")).to_have_text("« Surnom » est maintenant dans le formulaire « Famille ».")
    expect(page.locator('#fields li[data-name="name_nickname"]')).to_have_count(0)
    family = api_get(base, "/api/v1/forms/family_details?draft=true")["data"]["fields"]
    assert family[0]["name"] == "name_nickname"

    page.locator("#move-targets").scroll_into_view_if_needed()  # the last field and the forms, both in view
    page.locator('#fields li[data-name="telephone_current"]').drag_to(
        page.locator('#move-targets li[data-form="family_details"]'))
    expect(page.locator('#fields li[data-name="telephone_current"]')).to_have_count(0)
    family = api_get(base, "/api/v1/forms/family_details?draft=true")["data"]["fields"]
    assert family[-1]["name"] == "telephone_current"
    page.get_by_role("link", name="Versions", exact=True).click()
    expect(page.locator("#draft-changes")).to_contain_text("« Surnom » (déplacé vers « Famille »)")


def test_a_new_form_and_a_new_option_go_where_the_administrator_chooses(french, workbench):
    page, base = french, workbench
    log_in(page, base)
    page.get_by_role("link", name="Formulaires", exact=True).click()
    page.get_by_label("Identifiant du formulaire (a-z, 0-9, _)").fill("school")
    page.get_by_label("Nom (français)", exact=True).fill("Scolarité")
    page.get_by_label("Nom (anglais)", exact=True).fill("Schooling")
    page.get_by_label("Place parmi les formulaires").select_option(label="Après « Identité de base »")
    page.get_by_role("button", name="Créer le formulaire").click()
    page.wait_for_url("**/admin/forms/school")
    forms = api_get(base, "/api/v1/forms?draft=true&record_type=case&per_page=100")["data"]
    order = lambda form: (form.get("order_form_group", 0), form.get("order", 0), form["unique_id"])
    listed = [form["unique_id"] for form in sorted((f for f in forms if not f.get("is_nested")), key=order)]
    assert listed[listed.index("basic_identity") + 1] == "school"

    page.get_by_role("link", name="Listes de valeurs", exact=True).click()
    page.locator("#lookup-select").select_option("lookup-risk-level")
    expect(page.locator("#values tbody tr").first).to_be_visible()
    page.get_by_label("Identifiant", exact=True).fill("urgent")
    page.get_by_label("Libellé (français)", exact=True).fill("Urgent")
    page.get_by_label("Libellé (anglais)", exact=True).fill("Urgent")
    page.get_by_label("Place dans la liste").select_option(label="Au début")
    page.get_by_role("button", name="Ajouter la valeur").click()
    expect(page.locator("#values tbody tr").first).to_contain_text("urgent")
    values = api_get(base, "/api/v1/lookups/lookup-risk-level?draft=true")["data"]["lookup_values_i18n"]
    assert values[0]["id"] == "urgent"


def test_a_check_is_shown_next_to_the_field_it_concerns_and_linked_from_the_dashboard(french, workbench):
    page, base = french, workbench
    token = api_token(base)
    revision = api_get(base, "/api/v1/forms/consent?draft=true")["meta"]["revision"]
    name = api_get(base, "/api/v1/forms/consent?draft=true")["data"]["fields"][0]["name"]
    patch = urllib.request.Request(base + f"/api/v1/forms/consent/fields/{name}", method="PATCH", data=json.dumps(
        {"data": {"tally_i18n": [{"id": "a", "display_text": {"fr": "A", "en": "A"}}]}}).encode(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "If-Match": f'"{revision}"'})
    urllib.request.urlopen(patch)  # an attribute its type does not use: a warning, publishing is not blocked
    log_in(page, base)
    warning = page.locator(".checks.warnings li", has_text="décomptes")
    expect(warning).to_be_visible()
    warning.get_by_role("link").click()
    page.wait_for_url(f"**/admin/forms/consent#field-{name}")
    row = page.locator(f"#field-{name}")
    expect(row.locator(".check.warning")).to_have_text(
        "Un champ de type « Liste de choix » n'utilise pas « décomptes » : cet attribut est sans effet ici.")


def test_validation_rules_are_chosen_in_words_and_the_preview_applies_them(french, workbench):
    page, base = french, workbench
    log_in(page, base)
    page.goto(base + "/admin/forms/family_details")
    expect(page.locator("#fields li").first).to_be_visible()
    page.get_by_label("Type", exact=True).select_option(label="Texte court")
    page.get_by_label("Nom du champ (a-z, 0-9, _)").fill("guardian_phone")
    page.get_by_label("Libellé (français)", exact=True).fill("Téléphone du tuteur")
    page.get_by_label("Libellé (anglais)", exact=True).fill("Guardian's phone")
    page.get_by_label("Texte le plus long (caractères)").fill("20")
    expect(page.get_by_label("Format (une expression régulière)")).to_be_hidden()
    page.get_by_label("Texte accepté").select_option(
        label="Un numéro de téléphone (8 à 15 chiffres, espaces, un + au début)")
    hint = "Ce qu'il faut écrire quand le texte ne convient pas ({})"
    page.get_by_label(hint.format("français")).fill("Par exemple +229 97 00 00 00")
    page.get_by_label(hint.format("anglais")).fill("For example +229 97 00 00 00")
    page.get_by_role("button", name="Ajouter le champ").click()
    expect(page.locator('#fields li[data-name="guardian_phone"]')).to_be_visible()
    field = next(f for f in api_get(base, "/api/v1/forms/family_details?draft=true")["data"]["fields"]
                 if f["name"] == "guardian_phone")
    assert (field["max_length"], field["pattern"]) == (20, r"^\+?[0-9 ]{8,15}$")
    assert field["pattern_hint_i18n"] == {"fr": "Par exemple +229 97 00 00 00", "en": "For example +229 97 00 00 00"}

    phone = page.locator("#preview").get_by_role("textbox", name="Téléphone du tuteur")
    phone.fill("pas un numéro")
    phone.blur()
    expect(page.locator("#preview .field[data-field=guardian_phone]")).to_contain_text("Par exemple +229 97 00 00 00")
    page.get_by_role("button", name="Modifier guardian_phone").click()
    expect(page.get_by_label("Texte accepté")).to_have_value(r"^\+?[0-9 ]{8,15}$")
    page.get_by_label("Texte accepté").select_option(label="Un format personnalisé (avancé)")
    page.get_by_label("Format (une expression régulière)").fill("^[0-9]{8}$")
    page.get_by_role("button", name="Enregistrer le champ").click()
    expect(page.locator("#field-editor-title")).to_have_text("Ajouter un champ")  # saved: back to adding
    field = next(f for f in api_get(base, "/api/v1/forms/family_details?draft=true")["data"]["fields"]
                 if f["name"] == "guardian_phone")
    assert field["pattern"] == "^[0-9]{8}$"
