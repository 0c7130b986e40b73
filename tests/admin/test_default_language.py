"""The admin UI opens in the deployment's default language unless the user chose another (real browser).

The deployment is Bénin's (French by default) and the browser asks for English (Accept-Language:
en-GB), as an office computer bought abroad would: the pages are still French until the user picks
English with the link at the top, or logs in with an account whose language is English.
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from server.auth import accounts
from server.deployment import start_deployment
from server.metadata.versions import published_configuration
from server.storage import get_db
from tests.admin.conftest import served
from tests.conftest import make_app

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
PASSWORD = "ui test passphrase"


@pytest.fixture(scope="module")
def benin_server():
    """Abri started with the Bénin profile (French by default) behind a real HTTP server."""
    app = make_app("mongomock://", PROFILE="bj")
    now = datetime.now(timezone.utc)
    with app.app_context():
        start_deployment(app, now)
        for user_name, locale in (("awa", None), ("john", "en")):
            accounts.create_user(get_db(), published_configuration(get_db()), {
                "user_name": user_name, "password": PASSWORD, "role_unique_id": "role-system-administrator",
                "locale": locale}, now)
    assert app.config["DEFAULT_LOCALE"] == "fr"
    with served(app) as base:
        yield base
    app.close()


@pytest.fixture
def english_browser(browser):
    """A browser whose own language is English."""
    context = browser.new_context(locale="en-GB")
    yield context.new_page()
    context.close()


def log_in(page, base: str, user_name: str, labels: tuple[str, str, str]) -> None:
    page.goto(base + "/admin/")
    page.wait_for_url("**/admin/login**")
    name, password, button = labels
    page.get_by_label(name).fill(user_name)
    page.get_by_label(password).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(base + "/admin/")


FRENCH = ("Nom d'utilisateur", "Mot de passe", "Se connecter")


def test_the_login_page_and_the_dashboard_open_in_french_then_english_when_chosen(benin_server, english_browser):
    page = english_browser
    page.goto(benin_server + "/admin/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    log_in(page, benin_server, "awa", FRENCH)
    expect(page.get_by_role("heading", name="Brouillon")).to_be_visible()
    expect(page.get_by_role("navigation").get_by_role("link", name="Formulaires")).to_be_visible()
    expect(page.locator("#published-version")).to_have_text("1")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(benin_server + "/admin/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Version history")).to_be_visible()
    page.goto(benin_server + "/admin/forms")  # the choice stays
    expect(page.get_by_role("navigation").get_by_role("link", name="Users")).to_be_visible()


def test_a_user_whose_account_is_in_english_sees_english_after_logging_in(benin_server, english_browser):
    page = english_browser
    log_in(page, benin_server, "john", FRENCH)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Version history")).to_be_visible()
    expect(page.locator("#published-version")).to_have_text("1")
