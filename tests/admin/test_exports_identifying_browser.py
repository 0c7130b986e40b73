"""The exports page lets a partner's data manager choose pseudonyms or no identifying fields, never the names."""
from __future__ import annotations

import io

import openpyxl
import pytest

from tests.admin.conftest import benin_app, log_in_french, served
from server.services.workers import run_once
from tests.builders import make_user
from tests.conftest import authenticated
from tests.reports.test_report_access import CASE

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def office():
    with benin_app(("dm", "role-partner-data-manager", "gups-exemple-1")) as app:
        worker = authenticated(app, make_user(app, "ts1", "role-case-worker", agency="gups-exemple-1"))
        assert worker.post("/api/v1/cases", json={"data": CASE}).status_code == 201
        with served(app) as base:
            yield base, app


def test_a_partner_asking_for_the_names_is_told_why_and_gets_a_file_without_them(french, office):
    page, (base, app) = french, office
    log_in_french(page, base, "dm")
    page.wait_for_url(base + "/admin/exports")
    choice = page.get_by_label("Champs qui identifient une personne")
    choice.select_option("include")
    page.get_by_role("button", name="Lancer l'export").click()
    refusal = page.locator('#export-form [data-error-for="identifying"]')
    expect(refusal).not_to_be_empty()
    choice.select_option("drop")
    page.get_by_role("button", name="Lancer l'export").click()
    expect(page.locator("#exports tbody tr")).to_have_count(1)
    while run_once(app, "test"):   # the export worker of `abri serve`, run here
        pass
    link = page.get_by_role("link", name="Télécharger")
    expect(link).to_be_visible(timeout=15_000)
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), "rb") as file:
        workbook = openpyxl.load_workbook(io.BytesIO(file.read()))
    cells = " ".join(str(cell) for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row
                     if cell is not None)
    assert "Zinsou" not in cells and "Awa" not in cells
    assert "Féminin" in cells   # what counts stays
