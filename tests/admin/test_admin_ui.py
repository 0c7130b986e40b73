"""The admin UI in a real browser (Debian's chromium driven by Playwright).

An administrator logs in, adds a select field with a French label to a case form, reorders it,
sees a bad expression refused next to the field, publishes, checks the API, and restores the
previous version. Screenshots of the main pages are taken and must not be blank; set
ABRI_SCREENSHOTS=docs/screenshots to refresh the ones in the repository.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest

from server.auth import accounts
from server.config import PROJECT_ROOT
from server.services.workers import start_workers
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings, published_configuration
from server.storage import get_db
from tests.admin.conftest import served
from tests.conftest import make_app

PASSWORD = "ui test passphrase"
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def live_server():
    """Abri with the shipped configuration behind a real HTTP server (waitress) on a free port."""
    app = make_app("mongomock://")
    with app.app_context():
        bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("en", "fr"), "en"))
        accounts.create_user(get_db(), published_configuration(get_db()), {
            "user_name": "admin", "password": PASSWORD, "role_unique_id": "role-system-administrator"},
            datetime.now(timezone.utc))
    with served(app) as base:
        workers = start_workers(app, 1)
        yield base
        workers.stop()



def screenshot(page, tmp_path: Path, name: str) -> None:
    """Take a full-page screenshot and check that it shows something."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 15_000, f"{name}.png looks blank"
    target = os.environ.get("ABRI_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def api_get(base: str, path: str) -> dict:
    request = urllib.request.Request(base + "/api/v1/tokens", data=json.dumps(
        {"user_name": "admin", "password": PASSWORD}).encode(), headers={"Content-Type": "application/json"})
    token = json.loads(urllib.request.urlopen(request).read())["data"]["token"]
    authorized = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    return json.loads(urllib.request.urlopen(authorized).read())


def log_in(page, base: str) -> None:
    page.goto(base + "/admin/")
    page.wait_for_url("**/admin/login**")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/admin/")
    playwright_api.expect(page.locator("#published-version")).to_have_text(re.compile(r"^\d+$"))


def case_field_names(base: str) -> list[str]:
    forms = api_get(base, "/api/v1/forms?record_type=case&locale=fr")["data"]
    identity = next(form for form in forms if form["unique_id"] == "basic_identity")
    return [(field["name"], field["display_name"]) for field in identity["fields"]]


def test_an_administrator_adapts_a_form_publishes_and_rolls_back(page, live_server, tmp_path):
    expect = playwright_api.expect
    log_in(page, live_server)
    expect(page.locator("#published-version")).to_have_text("1")
    screenshot(page, tmp_path, "dashboard")

    page.get_by_role("link", name="Forms", exact=True).click()
    expect(page.get_by_role("link", name="Basic identity")).to_be_visible()
    screenshot(page, tmp_path, "forms")
    page.get_by_role("link", name="Basic identity").click()
    expect(page.locator("#fields li").first).to_be_visible()
    fields_before = page.locator("#fields li").count()

    page.get_by_label("Type", exact=True).select_option("select_box")
    page.get_by_label("Field name (a-z, 0-9, _)").fill("second_nationality")
    page.get_by_label("Label (English)", exact=True).fill("Second nationality")
    page.get_by_label("Label (French)", exact=True).fill("Seconde nationalité")
    page.get_by_label("Options from the lookup").select_option("lookup-nationality")
    page.get_by_role("button", name="Add the field").click()
    expect(page.locator("#fields li")).to_have_count(fields_before + 1)
    expect(page.locator("#fields li").last).to_have_attribute("data-name", "second_nationality")

    page.get_by_role("button", name="Move up second_nationality").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#fields li").nth(fields_before - 1)).to_have_attribute("data-name", "second_nationality")
    screenshot(page, tmp_path, "form")

    page.get_by_role("button", name="Edit second_nationality").click()
    page.locator("#condition-box").get_by_label("Advanced: edit as JSON").check()
    page.get_by_label("Condition as JSON").fill('{"like": {"sex": "female"}}')
    expect(page.locator("#condition-box [role=alert]")).to_contain_text("unknown operator")  # checked as typed
    page.get_by_role("button", name="Save the field").click()
    error = page.locator('[data-error-for="display_conditions"]')
    expect(error).to_contain_text("unknown operator")
    expect(page.get_by_label("Condition as JSON")).to_have_attribute("aria-invalid", "true")
    page.get_by_role("button", name="Cancel").click()

    page.get_by_role("link", name="Versions").click()
    expect(page.locator("#draft-changes")).to_have_text(
        "Form “Basic identity” — fields added: “Second nationality”.")
    page.get_by_label("What this version changes").fill("Second nationality")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Publish to the devices").click()
    expect(page.locator("#published-version")).to_have_text("2")

    names = case_field_names(live_server)
    assert names[-2] == ("second_nationality", "Seconde nationalité")

    page.get_by_role("button", name="Restore Version 1").click()
    dialog = page.get_by_role("dialog")  # a restore publishes: it says what the devices will receive
    expect(dialog.get_by_role("heading")).to_have_text("Publish version 1 again as a new version?")
    expect(dialog).to_contain_text("Form “Basic identity” — fields removed: “Second nationality”.")
    dialog.get_by_role("button", name="Restore").click()
    expect(page.locator("#published-version")).to_have_text("3")
    screenshot(page, tmp_path, "versions")
    assert "second_nationality" not in [name for name, _ in case_field_names(live_server)]


def test_a_keyboard_user_keeps_their_place_when_the_checks_arrive_after_a_save(page, live_server):
    """The draft's checks arrive after a field is saved and redraw the list: the focus stays on the same button."""
    expect = playwright_api.expect
    log_in(page, live_server)
    with page.expect_response(lambda response: response.url.endswith("/api/v1/metadata/draft")):
        page.goto(live_server + "/admin/forms/basic_identity")  # the page's own checks are back
    expect(page.locator("#fields li").first).to_be_visible()
    fields_before = page.locator("#fields li").count()
    held = []
    page.route("**/api/v1/metadata/draft", lambda route: held.append(route))  # the checks wait for the user

    page.get_by_label("Field name (a-z, 0-9, _)").fill("kept_in_place")
    page.get_by_label("Label (English)", exact=True).fill("Kept in place")
    page.get_by_label("Label (French)", exact=True).fill("Gardé en place")
    page.get_by_role("button", name="Add the field").click()
    expect(page.locator("#fields li").last).to_have_attribute("data-name", "kept_in_place")
    for _ in range(100):  # the held request reaches the route
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the checks were not asked for after the save"
    page.get_by_role("button", name="Move up kept_in_place").focus()
    page.evaluate("document.querySelectorAll('#fields li').forEach((row) => row.dataset.before = '1')")
    for route in held:
        route.continue_()
    page.unroute("**/api/v1/metadata/draft")
    page.wait_for_function("() => !document.querySelector('#fields li[data-before]')")  # the list was drawn again

    expect(page.get_by_role("button", name="Move up kept_in_place")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#fields li").nth(fields_before - 1)).to_have_attribute("data-name", "kept_in_place")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove kept_in_place").click()
    expect(page.locator("#fields li")).to_have_count(fields_before)


def test_the_interface_speaks_french(page, live_server, tmp_path):
    page.goto(live_server + "/admin/login")
    page.get_by_role("link", name="Français").click()
    playwright_api.expect(page.get_by_label("Mot de passe")).to_be_visible()
    page.get_by_label("Nom d'utilisateur").fill("admin")
    page.get_by_label("Mot de passe").fill("wrong password")
    page.get_by_role("button", name="Se connecter").click()
    playwright_api.expect(page.locator('[data-error-for="_form"]')).to_contain_text(
        "Le nom d'utilisateur ou le mot de passe est incorrect.")
    screenshot(page, tmp_path, "login-fr")


def test_lookup_values_are_translated_and_exports_downloaded(page, live_server, tmp_path):
    expect = playwright_api.expect
    log_in(page, live_server)
    page.get_by_role("link", name="Lookups").click()
    page.get_by_label("Lookup", exact=True).select_option("lookup-risk-level")
    expect(page.get_by_label("high fr")).to_have_value("Élevé")
    page.get_by_label("high fr").fill("Très élevé")
    page.get_by_role("button", name="Save the translations").click()
    expect(page.locator("#flash")).to_have_text("Saved.")
    page.get_by_label("Id", exact=True).fill("very high")
    page.get_by_label("Label (English)", exact=True).fill("Very high")
    page.get_by_role("button", name="Add the value").click()
    expect(page.locator('#new-value-form [data-error-for="id"]')).to_contain_text("pattern")
    screenshot(page, tmp_path, "lookups")

    page.get_by_role("link", name="Exports").click()
    page.get_by_label("Record type").select_option("case")
    page.get_by_role("button", name="Start the export").click()
    expect(page.get_by_role("link", name="Download")).to_be_visible(timeout=15_000)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    screenshot(page, tmp_path, "exports")


def test_translations_roles_and_users(page, live_server, tmp_path):
    expect = playwright_api.expect
    log_in(page, live_server)

    page.get_by_role("link", name="Translations").click()
    page.get_by_label("Form or lookup").select_option("forms/consent")
    expect(page.locator("#t-coverage")).to_contain_text("fr: 100")
    field = page.get_by_label("consent_source · display_name_i18n (fr)")
    expect(field).to_have_value("Consentement donné par")
    field.fill("")
    page.get_by_role("button", name="Save the translations").click()
    expect(page.locator("#t-coverage")).not_to_contain_text("fr: 100%")
    expect(page.locator("tr.missing")).to_have_count(1)
    screenshot(page, tmp_path, "translations")

    page.get_by_role("link", name="Roles").click()
    page.get_by_label("Role", exact=True).select_option("role-focal-point")
    expect(page.get_by_label("Cases: Read", exact=True)).to_be_checked()
    page.get_by_label("Cases: History", exact=True).check()
    page.get_by_label("services: r", exact=True).check()
    page.get_by_role("button", name="Save the role (then publish)").click()
    expect(page.locator("#flash")).to_have_text("Saved.")
    screenshot(page, tmp_path, "roles")

    page.get_by_role("link", name="Users", exact=True).click()
    page.get_by_label("Id", exact=True).fill("gups-cotonou")
    page.get_by_label("Code", exact=True).fill("COT")
    page.get_by_label("Name (French)", exact=True).fill("GUPS de Cotonou")
    page.get_by_role("button", name="Create the agency").click()
    expect(page.locator("#agencies")).to_contain_text("GUPS de Cotonou")
    page.get_by_label("User name").fill("awa")
    page.get_by_label("Full name").fill("Awa Dossou")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Role", exact=True).select_option("role-case-worker")
    page.get_by_label("Agency", exact=True).select_option("gups-cotonou")
    page.get_by_role("button", name="Create the user").click()
    expect(page.locator('#user-form [data-error-for="password"]')).to_contain_text("10")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Create the user").click()
    expect(page.locator('#users tr[data-user="awa"] td.role')).to_have_text("Case worker")
    page.get_by_role("button", name="Change awa").click()
    page.get_by_label("Role of Awa Dossou").select_option("role-supervisor")
    page.get_by_label("Account of Awa Dossou disabled (no login)").check()
    page.get_by_role("button", name="Save the changes").click()
    page.get_by_role("dialog").get_by_role("button", name="Apply the changes").click()
    expect(page.locator("#flash")).to_have_text("Saved.")
    assert api_get(live_server, "/api/v1/users/awa")["data"]["role_unique_id"] == "role-supervisor"
    expect(page.locator('#users tr[data-user="awa"]')).to_contain_text("disabled")
    screenshot(page, tmp_path, "users")
    role = api_get(live_server, "/api/v1/roles/role-focal-point?draft=true")["data"]
    assert "view_history" in role["permissions"]["case"] and role["form_section_read_write"]["services"] == "r"


def test_forms_subforms_and_lookups_are_created(page, live_server, tmp_path):
    expect = playwright_api.expect
    log_in(page, live_server)
    page.get_by_role("link", name="Lookups").click()
    page.get_by_label("Lookup id (lookup-...)").fill("lookup-school-level")
    page.get_by_label("Name (English)").fill("School level")
    page.get_by_label("Name (French)").fill("Niveau scolaire")
    page.get_by_role("button", name="Create the lookup").click()
    expect(page.get_by_label("Lookup", exact=True)).to_have_value("lookup-school-level")
    page.get_by_label("Id", exact=True).fill("primary")
    page.get_by_label("Label (English)", exact=True).fill("Primary")
    page.get_by_label("Label (French)", exact=True).fill("Primaire")
    page.get_by_role("button", name="Add the value").click()
    expect(page.get_by_label("primary fr")).to_have_value("Primaire")
    page.get_by_role("button", name="Lock").click()
    expect(page.locator("#lookup-locked")).to_contain_text("Locked")

    page.get_by_role("link", name="Forms", exact=True).click()
    page.get_by_label("Form id (a-z, 0-9, _)").fill("siblings_section")
    page.get_by_label("Name (English)").fill("Sibling")
    page.get_by_label("Name (French)").fill("Frère ou sœur")
    page.get_by_label("Subform (rows inside another form)").check()
    page.get_by_role("button", name="Create the form").click()
    page.wait_for_url("**/admin/forms/siblings_section")
    page.get_by_label("Field name (a-z, 0-9, _)").fill("sibling_name")
    page.get_by_label("Label (English)", exact=True).fill("Name")
    page.get_by_label("Label (French)", exact=True).fill("Nom")
    page.get_by_role("button", name="Add the field").click()
    expect(page.locator("#fields li")).to_have_count(1)

    page.goto(live_server + "/admin/forms/family_details")
    page.get_by_label("Type", exact=True).select_option("subform")
    page.get_by_label("Field name (a-z, 0-9, _)").fill("siblings")
    page.get_by_label("Label (English)", exact=True).fill("Siblings")
    page.get_by_label("Label (French)", exact=True).fill("Frères et sœurs")
    page.get_by_label("Rows from the subform").select_option("siblings_section")
    page.get_by_role("button", name="Add the field").click()
    expect(page.locator('#fields li[data-name="siblings"]')).to_be_visible()
    page.get_by_label("Type", exact=True).select_option("calculated")
    page.get_by_label("Field name (a-z, 0-9, _)").fill("adults_plus_one")
    page.get_by_label("Label (English)", exact=True).fill("Adults plus one")
    page.get_by_label("Label (French)", exact=True).fill("Adultes plus un")
    calculation = page.locator("#calculation-box")
    calculation.get_by_label("Calculate").select_option(label="the sum")
    calculation.get_by_label("Adults in the household", exact=True).check()
    calculation.get_by_label("And of the number (optional)").fill("1")
    expect(calculation.locator(".rule-sentence")).to_have_text("The sum of Adults in the household and 1.")
    page.get_by_role("button", name="Add the field").click()
    expect(page.locator('#fields li[data-name="adults_plus_one"]')).to_be_visible()
    draft = api_get(live_server, "/api/v1/forms/family_details?draft=true")["data"]
    assert draft["fields"][-2]["subform_section_id"] == "siblings_section"
    assert draft["fields"][-1]["calculation"] == {"sum": ["number_of_adults_in_household", 1]}


def test_the_preview_is_the_case_worker_apps_renderer_live(page, live_server, tmp_path):
    """The draft form as a tablet draws it: inputs, translated options, a condition evaluated as the fields change,
    the rules' messages as the server words them, in the language previewed."""
    expect = playwright_api.expect
    log_in(page, live_server)
    page.goto(live_server + "/admin/forms/protection_concern")
    preview = page.locator("#preview")
    risk = preview.get_by_label("Risk level")
    expect(risk.locator("option")).to_contain_text(["High"])
    reason = preview.locator(".field[data-field=risk_level_reason]")
    expect(reason).to_be_hidden()
    risk.select_option("high")
    expect(reason).to_be_visible()  # shown by its display condition, evaluated in the browser
    reason.get_by_role("textbox").fill("x" * 4001)
    expect(reason.locator(".error")).to_have_text("Must be at most 4,000 characters long.")
    page.get_by_label("Language", exact=True).select_option("fr")
    expect(preview.get_by_label("Niveau de risque")).to_be_visible()
    preview.get_by_label("Niveau de risque").select_option("high")
    french = preview.locator(".field[data-field=risk_level_reason]")
    french.get_by_role("textbox").fill("x" * 4001)
    expect(french.locator(".error")).to_have_text("Doit contenir au plus 4 000 caractères.")
    screenshot(page, tmp_path, "form_preview")
