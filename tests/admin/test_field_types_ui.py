"""The form editor learns the field types from the server's registry (GET /api/v1/field_types), not from a list of its own.

A type added to the registry alone is offered with its label, shows the controls of the attributes it uses, and a field
of it is saved to the draft; the type picker speaks the page's language; no type name is written in the admin UI.
Real browser (Debian's chromium).
"""
from __future__ import annotations

import json
import re
import urllib.request
from datetime import datetime, timezone

import pytest

from server.auth import accounts
from server.config import PROJECT_ROOT
from server.metadata import documents
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.field_types import (ANSWERED, EQUALITY, FIELD_TYPES, TEXT, FieldType, not_blank,
                                         text_schema)
from server.metadata.versions import LanguageSettings, published_configuration
from server.storage import get_db
from tests.admin.conftest import served
from tests.conftest import make_app

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
PASSWORD = "quiet lagoon at dusk"
UI = PROJECT_ROOT / "admin_ui"
PHONE = FieldType("phone_field", "Phone number", TEXT, ("string",), text_schema(30), not_blank,
                  ANSWERED | {"pattern", "max_length"}, "tel", filter=EQUALITY, searchable=True)

# A quoted string (not a text key given to _(), t() or fmt(), nor an element made by el()) that is one name or a
# space-separated list of names, as a type would be written in an option's value, a data attribute or a comparison.
QUOTED = re.compile(r"""(\b(?:_|t|fmt|el)\(\s*)?(["'])([a-z][a-z0-9_]*(?: [a-z][a-z0-9_]*)*)\2""")
COMMENTS = re.compile(r"/\*.*?\*/|<!--.*?-->|\{#.*?#\}|(?<![:\w\"'])//[^\n]*", re.S)


@pytest.fixture(scope="module")
def live_server():
    """Abri with the shipped configuration (labels in English and French) behind a real HTTP server."""
    app = make_app("mongomock://")
    now = datetime.now(timezone.utc)
    with app.app_context():
        bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("en", "fr"), "en"))
        for user_name, locale in (("admin", None), ("john", "en")):
            accounts.create_user(get_db(), published_configuration(get_db()), {
                "user_name": user_name, "password": PASSWORD, "role_unique_id": "role-system-administrator",
                "locale": locale}, now)
    with served(app) as base:
        yield base
    app.close()


@pytest.fixture
def phone_type(monkeypatch):
    """The served app's registry with one more row, as a new type would add it (and nothing else)."""
    monkeypatch.setitem(FIELD_TYPES, "phone_field", PHONE)
    documents._schemas.cache_clear()  # the meta-schema's `type` enum is filled from the registry when it is loaded
    documents._validators.cache_clear()
    yield PHONE
    monkeypatch.undo()
    documents._schemas.cache_clear()
    documents._validators.cache_clear()



def log_in(page, base: str, user_name: str = "admin") -> None:
    page.goto(base + "/admin/")
    page.wait_for_url("**/admin/login**")
    page.get_by_label("User name").fill(user_name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/admin/")


def draft_field(base: str, form_id: str, name: str) -> dict:
    request = urllib.request.Request(base + "/api/v1/tokens", data=json.dumps(
        {"user_name": "admin", "password": PASSWORD}).encode(), headers={"Content-Type": "application/json"})
    token = json.loads(urllib.request.urlopen(request).read())["data"]["token"]
    authorized = urllib.request.Request(f"{base}/api/v1/forms/{form_id}?draft=true",
                                        headers={"Authorization": f"Bearer {token}"})
    fields = json.loads(urllib.request.urlopen(authorized).read())["data"]["fields"]
    return next(field for field in fields if field["name"] == name)


def test_no_type_name_is_written_in_the_admin_ui():
    names = set(FIELD_TYPES)
    for path in sorted(p for p in UI.rglob("*") if p.suffix in (".js", ".html", ".css")):
        code = COMMENTS.sub(lambda comment: "\n" * comment.group().count("\n"), path.read_text())
        for number, line in enumerate(code.splitlines(), 1):
            for call, _, text in QUOTED.findall(line):
                written = names & set(text.split()) if not call else set()
                assert not written, f"{path.relative_to(UI)}:{number} names the types {sorted(written)}: {line.strip()}"


def test_no_type_name_is_written_in_the_case_worker_app():
    """The app draws fields by the registry's widget (some widgets share a type's name); never by a type's name."""
    names = set(FIELD_TYPES) - {row.widget for row in FIELD_TYPES.values()}
    app_ui = PROJECT_ROOT / "app_ui"
    for path in sorted(p for p in app_ui.rglob("*") if p.suffix in (".js", ".html", ".css")):
        code = COMMENTS.sub(lambda comment: "\n" * comment.group().count("\n"), path.read_text())
        for number, line in enumerate(code.splitlines(), 1):
            for _, _, text in QUOTED.findall(line):
                written = names & set(text.split())
                where = f"{path.relative_to(app_ui)}:{number}"
                assert not written, f"{where} names the types {sorted(written)}: {line.strip()}"


def test_a_type_added_to_the_registry_is_offered_and_saved_to_the_draft(page, live_server, phone_type):
    log_in(page, live_server)
    page.goto(live_server + "/admin/forms/basic_identity")
    expect(page.locator("#fields li").first).to_be_visible()
    picker = page.get_by_label("Type", exact=True)
    expect(picker.locator("option")).to_have_text([row.describe("en")["label"] for row in FIELD_TYPES.values()])  # in order
    expect(picker.locator('option[value="phone_field"]')).to_have_text("Phone number")
    # the preview knows a type that holds no data (a separator) from its row: a heading, not an input
    expect(page.locator("#preview .separator h3", has_text="Identity of the child")).to_be_visible()

    picker.select_option(label="Phone number")
    # the controls of the attributes the type uses, and only those
    for shown in ("Required (when shown)", "Can filter lists", "Found by text search", "Visible"):
        expect(page.get_by_label(shown)).to_be_visible()
    expect(page.get_by_role("group", name="When the field is shown")).to_be_visible()
    expect(page.get_by_role("group", name="Calculation")).to_be_hidden()
    for hidden in ("Options from the lookup", "Several choices allowed", "Minimum", "Date and time", "Calculation"):
        expect(page.get_by_label(hidden)).to_be_hidden()
    page.get_by_label("Field name (a-z, 0-9, _)").fill("caregiver_phone")
    page.get_by_label("Label (English)", exact=True).fill("Caregiver's phone")
    page.get_by_label("Label (French)", exact=True).fill("Téléphone du parent")
    page.get_by_label("Required (when shown)").check()
    page.get_by_label("Can filter lists").check()
    page.get_by_role("button", name="Add the field").click()
    expect(page.locator('#fields li[data-name="caregiver_phone"] .type')).to_have_text("Phone number · required")
    saved = draft_field(live_server, "basic_identity", "caregiver_phone")
    assert saved["type"] == "phone_field" and saved["required"] is True and saved["filterable"] is True
    assert saved["display_name_i18n"] == {"en": "Caregiver's phone", "fr": "Téléphone du parent"}
    assert "searchable" not in saved and "multi_select" not in saved

    page.get_by_role("button", name="Edit caregiver_phone").click()
    expect(picker).to_have_value("phone_field")
    expect(picker).to_be_disabled()
    expect(page.get_by_label("Can filter lists")).to_be_checked()


def test_the_controls_follow_the_chosen_types_row(page, live_server):
    log_in(page, live_server)
    page.goto(live_server + "/admin/forms/basic_identity")
    picker = page.get_by_label("Type", exact=True)
    expect(picker).to_have_value(next(iter(FIELD_TYPES)))  # the registry's first type
    for type_name, row in FIELD_TYPES.items():
        picker.select_option(type_name)
        described = row.describe("en")
        for caption, shown in (("Options from the lookup", described["render"]["options"]),
                               ("Several choices allowed", described["render"]["multiple"]),
                               ("Minimum", "min_value" in described["attributes"]),
                               ("Rows from the subform", "subform_section_id" in described["attributes"]),
                               ("Required (when shown)", "required" in described["attributes"]),
                               ("Can filter lists", "filterable" in described["attributes"]),
                               ("Found by text search", "searchable" in described["attributes"])):
            if shown:
                expect(page.get_by_label(caption), f"{caption} for {type_name}").to_be_visible()
            else:
                expect(page.get_by_label(caption), f"{caption} for {type_name}").to_be_hidden()


def test_the_type_picker_speaks_the_pages_language_not_the_accounts(page, live_server):
    log_in(page, live_server, "john")  # john's account is in English; he then shows the pages in French
    page.get_by_role("link", name="Français").click()
    page.goto(live_server + "/admin/forms/basic_identity")
    picker = page.get_by_label("Type", exact=True)
    french = {row.name: row.describe("fr")["label"] for row in FIELD_TYPES.values()}
    assert french["text_field"] == "Texte court"
    expect(picker.locator("option")).to_have_text(list(french.values()))
