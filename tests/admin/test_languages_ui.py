"""The admin UI takes its languages from the server, and shows every failure in one place, in its own language.

The deployment writes labels in French, English and Portuguese (French by default): every label editor, language
picker and the translation screen offer Portuguese too, though nothing in the UI's code names a language; the
interface itself is offered only in the languages it has a catalog for. Real browser (Debian's chromium).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from server.auth import accounts
from server.deployment import start_deployment
from server.metadata.versions import published_configuration
from server.storage import get_db
from tests.admin.conftest import served
from tests.conftest import app_on

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
PASSWORD = "quiet lagoon at dusk"
LANGUAGES = ("fr", "en", "pt")


@pytest.fixture(scope="module")
def three_language_server():
    """Abri whose labels are in fr, en and pt (fr the default one) behind a real HTTP server; messages in English."""
    with app_on("mongomock://", LANGUAGES=LANGUAGES, DEFAULT_LANGUAGE="fr", DEFAULT_LOCALE="en") as app:
        now = datetime.now(timezone.utc)
        with app.app_context():
            start_deployment(app, now)
            accounts.create_user(get_db(), published_configuration(get_db()), {
                "user_name": "ana", "password": PASSWORD, "role_unique_id": "role-system-administrator"}, now)
        with served(app) as base:
            yield base



def call_api(base: str, method: str, path: str, body: dict | None = None, language: str = "en") -> tuple[int, dict]:
    """Call the API as ana with a bearer token; return the status and the JSON answer (errors included)."""
    login = urllib.request.Request(base + "/api/v1/tokens", data=json.dumps({"user_name": "ana", "password": PASSWORD}).encode(),
                                   headers={"Content-Type": "application/json"})
    token = json.loads(urllib.request.urlopen(login).read())["data"]["token"]
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                              "Accept-Language": language})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def log_in(page, base: str, labels=("User name", "Password", "Log in")) -> None:
    page.goto(base + "/admin/")
    page.wait_for_url("**/admin/login**")
    name, password, button = labels
    page.get_by_label(name).fill("ana")
    page.get_by_label(password).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(base + "/admin/")
    expect(page.locator("#published-version")).to_have_text("1")


def test_every_label_editor_and_language_picker_offers_the_configured_languages(page, three_language_server):
    base = three_language_server
    log_in(page, base)
    header = page.locator("header .tools a[lang]")
    expect(header).to_have_count(2)  # the interface has catalogs for French and English only
    expect(page.locator('header .tools a[lang="pt"]')).to_have_count(0)

    page.goto(base + "/admin/forms/basic_identity")
    expect(page.locator("#fields li").first).to_be_visible()
    for caption in ("Name", "Label", "Help text"):
        expect(page.get_by_label(f"{caption} (Portuguese)")).to_have_count(2 if caption == "Help text" else 1)
    expect(page.locator("#preview-locale option")).to_have_text(["French", "English", "Portuguese"])
    page.get_by_label("Field name (a-z, 0-9, _)").fill("school_name")
    page.get_by_label("Label (French)", exact=True).fill("Nom de l'école")
    page.get_by_label("Label (English)", exact=True).fill("School name")
    page.get_by_label("Label (Portuguese)", exact=True).fill("Nome da escola")
    page.get_by_role("button", name="Add the field").click()
    expect(page.locator('#fields li[data-name="school_name"]')).to_be_visible()
    _, draft = call_api(base, "GET", "/api/v1/forms/basic_identity?draft=true")
    added = next(field for field in draft["data"]["fields"] if field["name"] == "school_name")
    assert added["display_name_i18n"] == {"fr": "Nom de l'école", "en": "School name", "pt": "Nome da escola"}
    page.get_by_role("button", name="Edit school_name").click()
    expect(page.get_by_label("Label (Portuguese)", exact=True)).to_have_value("Nome da escola")
    expect(page.get_by_label("Label (French)", exact=True)).to_be_focused()  # the default language's label
    page.get_by_role("button", name="Cancel").click()
    page.get_by_label("Type", exact=True).select_option("tally_field")
    expect(page.get_by_label("Counts (one per line: id = French = English = Portuguese)")).to_be_visible()

    page.goto(base + "/admin/lookups?id=lookup-risk-level")
    expect(page.locator("#values thead th")).to_have_text(
        ["Id", "Label (French)", "Label (English)", "Label (Portuguese)", "Disabled"])
    page.get_by_label("high pt").fill("Alto")
    page.get_by_role("button", name="Save the translations").click()
    expect(page.locator("#flash")).to_have_text("Saved.")
    _, lookup = call_api(base, "GET", "/api/v1/lookups/lookup-risk-level?draft=true")
    high = next(value for value in lookup["data"]["lookup_values_i18n"] if value["id"] == "high")
    assert high["display_text"]["pt"] == "Alto" and high["display_text"]["fr"] == "Élevé"

    page.goto(base + "/admin/translations")
    expect(page.get_by_label("From")).to_have_value("fr")  # the default language
    page.get_by_label("Into").select_option("pt")
    page.get_by_label("Form or lookup").select_option("lookups/lookup-risk-level")
    expect(page.locator("#t-coverage")).to_contain_text("pt: ")
    expect(page.locator("#t-to-head")).to_have_text("Portuguese")
    expect(page.get_by_label("high (pt)")).to_have_value("Alto")

    page.goto(base + "/admin/exports")
    expect(page.locator("#e-locale option")).to_have_text(["French", "English", "Portuguese"])
    page.goto(base + "/admin/people")
    expect(page.locator("#u-locale option[value=pt]")).to_have_text("Portuguese")
    expect(page.get_by_label("Name (Portuguese)")).to_be_visible()  # an agency's name


def test_an_api_error_is_shown_by_the_error_display_in_the_interface_language(page, three_language_server):
    base = three_language_server
    page.goto(base + "/admin/login")
    page.get_by_role("link", name="Français").click()
    log_in(page, base, ("Nom d'utilisateur", "Mot de passe", "Se connecter"))
    page.goto(base + "/admin/lookups")
    expect(page.get_by_role("heading", name="Créer une liste de valeurs")).to_be_visible()

    body = {"data": {"unique_id": "Bad Id", "name_i18n": {"fr": "Mauvais"}, "lookup_values_i18n": []}}
    status, french = call_api(base, "POST", "/api/v1/lookups", body, language="fr")
    _, english = call_api(base, "POST", "/api/v1/lookups", body, language="en")
    assert status == 422 and french["error"]["message"] != english["error"]["message"]
    details = [d["message"] for d in french["error"]["details"] if d["field"].strip("/").split("/")[-1] == "unique_id"]
    assert details
    page.get_by_label("Identifiant de la liste (lookup-...)").fill("Bad Id")
    page.get_by_label("Nom (français)").fill("Mauvais")
    page.get_by_role("button", name="Créer la liste de valeurs").click()
    expect(page.locator("#flash")).to_have_text(french["error"]["message"])
    expect(page.locator("#flash")).to_have_class("error")
    expect(page.locator("#flash")).to_have_attribute("aria-live", "assertive")  # a failure is announced at once
    expect(page.locator('#new-lookup-form [data-error-for="unique_id"]')).to_have_text(" ".join(details))
    wrong = page.get_by_label("Identifiant de la liste (lookup-...)")
    expect(wrong).to_have_attribute("aria-invalid", "true")
    expect(wrong).to_be_focused()  # a keyboard or screen reader user lands on what to correct, and hears why
    expect(wrong).to_have_accessible_description(" ".join(details))

    # No answer at all (the connection dropped): the same display says so, in French too.
    page.route("**/api/v1/lookups/**", lambda route: route.abort())
    page.get_by_label("Liste de valeurs", exact=True).select_option(index=1)
    expect(page.locator("#flash")).to_have_text("Le serveur est injoignable. Vérifiez la connexion, puis réessayez.")


def test_a_screen_takes_no_input_before_its_module_is_ready(page, three_language_server):
    """A form sent before its module listens would be sent by the browser itself, its fields in the address."""
    held = []
    page.route("**/static/screens/login.js", lambda route: held.append(route))  # the screen's module is slow to come
    page.goto(three_language_server + "/admin/login", wait_until="commit")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the login screen's module was never asked for"
    expect(page.get_by_label("Password")).to_be_disabled()
    expect(page.get_by_role("button", name="Log in")).to_be_disabled()
    held[0].continue_()
    expect(page.get_by_role("button", name="Log in")).to_be_enabled()
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(three_language_server + "/admin/")
