"""The lookups page: an administrator unlocks a shipped locked lookup and is told what happens next (browser)."""
import pytest

from tests.admin.conftest import browser, page  # noqa: F401  (fixtures)
from tests.admin.test_admin_ui import live_server, log_in  # noqa: F401  (fixture)

playwright_api = pytest.importorskip("playwright.sync_api")


def test_an_administrator_unlocks_a_locked_lookup_and_sees_that_the_unlock_is_published_first(page, live_server):
    expect = playwright_api.expect
    log_in(page, live_server)
    page.goto(live_server + "/admin/lookups?id=lookup-case-status")
    expect(page.locator("#lookup-locked")).to_contain_text("Locked")
    expect(page.locator("#unlock-pending")).to_be_hidden()
    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("#lookup-locked")).to_have_text("")
    expect(page.locator("#unlock-pending")).to_be_visible()
    expect(page.locator("#unlock-pending")).to_contain_text("Publish the unlock on its own first")
    page.get_by_label("Id", exact=True).fill("archived")
    page.get_by_label("Label (English)", exact=True).fill("Archived")
    page.get_by_label("Label (French)", exact=True).fill("Archivé")
    page.get_by_role("button", name="Add the value").click()
    expect(page.locator("#new-value-form [data-error-for='_form']")).to_contain_text("publish the unlock on its own")
    page.get_by_role("button", name="Lock").click()
    expect(page.locator("#lookup-locked")).to_contain_text("Locked")
    expect(page.locator("#unlock-pending")).to_be_hidden()
