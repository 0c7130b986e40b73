"""The form renderer of the case worker app in a real browser: what a case worker sees, and what the server keeps.

One live server (mongomock, French by default) publishes this module's configuration: a case form with one field of
every type of the field-type registry, a form of checks, and a nested form. A case worker whose role writes both
forms fills them in at #/cases/new; a reader whose role only reads them opens a record. Every assertion is on what
the page shows (roles, accessible names, texts) or on what the API then serves; the server's own refusals, fetched
for the same data, are the expected messages.
"""
from __future__ import annotations

import copy
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from server.messages import translate
from server.metadata import draft as drafts
from server.metadata.configuration import Configuration
from server.metadata.versions import LanguageSettings
from server.storage import get_db
from tests.admin.conftest import served
from tests.builders import ALL_ACTIONS, PASSWORD, i18n, make_user, module, role, seed
from tests.conftest import app_on

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

PLACES = json.loads((Path(__file__).resolve().parents[2] / "metadata" / "countries" / "bj" / "locations"
                     / "locations-bj.json").read_text("utf-8"))
MODULE = "primeromodule-cp"
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def fr(msgid: str) -> str:
    """A text of the server's catalog as a French user reads it."""
    return translate(msgid, "fr")


# --- the configuration ----------------------------------------------------------------------------


def labelled(name: str, type_: str, en: str, french: str, **attributes) -> dict:
    return {"name": name, "type": type_, "display_name_i18n": i18n(en, french), **attributes}


def options(*choices: tuple[str, str, str], disabled: tuple[str, ...] = ()) -> list[dict]:
    return [{"id": id_, "display_text": i18n(en, french), **({"disabled": True} if id_ in disabled else {})}
            for id_, en, french in choices]


EVERY_TYPE = [
    labelled("child_name", "text_field", "Child's name", "Nom de l'enfant"),
    labelled("notes", "textarea", "Notes", "Observations"),
    labelled("sex", "select_box", "Sex", "Sexe", option_strings_source="lookup lookup-sex"),
    labelled("concerns", "select_box", "Concerns", "Préoccupations", multi_select=True,
             option_strings_text_i18n=options(("street", "Street child", "Enfant en situation de rue"),
                                              ("labour", "Child labour", "Travail des enfants"),
                                              ("old_code", "Old category", "Ancienne catégorie"),
                                              disabled=("old_code",))),
    labelled("consent_given_by", "radio_button", "Consent given by", "Consentement donné par",
             option_strings_text_i18n=options(("child", "The child", "L'enfant"),
                                              ("caregiver", "The caregiver", "La personne en charge"))),
    labelled("birth_registered", "tick_box", "Birth registered", "Naissance déclarée",
             tick_box_label_i18n=i18n("Yes, with a certificate", "Oui, avec un acte")),
    labelled("brothers", "numeric_field", "Brothers", "Frères", min_value=0),
    labelled("sisters", "numeric_field", "Sisters", "Sœurs", min_value=0),
    labelled("siblings", "calculated", "Brothers and sisters", "Frères et sœurs",
             calculation={"sum": ["brothers", "sisters"]}),
    labelled("date_of_birth", "date_field", "Date of birth", "Date de naissance"),
    labelled("registered_at", "date_field", "Registered at", "Enregistré le", date_include_time=True),
    labelled("household", "tally_field", "Household", "Ménage",
             tally_i18n=[{"id": "adults", "display_text": i18n("Adults", "Adultes")},
                         {"id": "children", "display_text": i18n("Children", "Enfants")}]),
    labelled("where_separator", "separator", "Where the child lives", "Lieu de vie"),
    labelled("home_commune", "location", "Home commune", "Commune de résidence", location_admin_level=2),
    labelled("family", "subform", "Family members", "Membres de la famille", subform_section_id="family_section",
             collapsed_field_names=["relation_name", "relation"]),
    labelled("photos", "photo_upload_box", "Photos", "Photos de l'enfant"),
    labelled("documents", "document_upload_box", "Documents", "Pièces justificatives"),
    labelled("recordings", "audio_upload_box", "Recordings", "Enregistrements sonores"),
]
FAMILY = [
    labelled("relation_name", "text_field", "Relative's name", "Nom du proche", required=True),
    labelled("relation", "select_box", "Relation", "Lien de parenté",
             option_strings_text_i18n=options(("mother", "Mother", "Mère"), ("father", "Father", "Père"),
                                              ("uncle", "Uncle", "Oncle"))),
    labelled("relation_age", "numeric_field", "Age", "Âge"),
]
CHECKS = [
    labelled("risk_level", "select_box", "Risk level", "Niveau de risque",
             option_strings_text_i18n=options(("low", "Low", "Faible"), ("high", "High", "Élevé"))),
    labelled("risk_reason", "textarea", "Why the risk is high", "Pourquoi le risque est élevé", required=True,
             display_conditions={"eq": {"risk_level": "high"}}),
    labelled("home_visit_planned", "tick_box", "Home visit planned", "Visite à domicile prévue", required=True,
             tick_box_label_i18n=i18n("Yes", "Oui, elle est prévue"),
             display_conditions={"eq": {"risk_level": "high"}}),
    labelled("nickname", "text_field", "Nickname", "Surnom", max_length=5),
    labelled("phone", "text_field", "Phone", "Téléphone", pattern="^\\+229 [0-9]{2}( [0-9]{2}){3}$",
             pattern_hint_i18n=i18n("+229 01 23 45 67", "+229 01 23 45 67, avec les espaces")),
    labelled("monthly_income", "numeric_field", "Monthly income", "Revenu mensuel", max_value=1500),
    labelled("interview_date", "date_field", "Interview date", "Date de l'entretien",
             date_validation="not_future_date"),
]
SEX = options(("female", "Female", "Féminin"), ("male", "Male", "Masculin"), ("unknown", "Unknown", "Inconnu"),
              disabled=("unknown",))


def case_form(unique_id: str, en: str, french: str, fields: list[dict], **attributes) -> dict:
    return {"unique_id": unique_id, "parent_form": "case", "module_ids": [MODULE], "name_i18n": i18n(en, french),
            "fields": fields, **attributes}


def case_role(unique_id: str, actions: list[str], forms: dict[str, str]) -> dict:
    return {**role(unique_id, {"case": actions}, "all", forms=forms), "module_ids": [MODULE]}


def renderer_configuration(sex_options: list[dict] = SEX) -> Configuration:
    """Two case forms (every field type; checks), a nested form, Benin's places, a writer and a reader role."""
    documents = [
        ("role", "role-system-administrator", role("role-system-administrator", ALL_ACTIONS, "all", assignable=["*"])),
        ("role", "role-writer", case_role("role-writer", ["read", "create", "write"],
                                          {"every_type": "rw", "checks": "rw"})),
        ("role", "role-reader", case_role("role-reader", ["read"], {"every_type": "r", "checks": "r"})),
        ("role", "role-checker", case_role("role-checker", ["read", "write"], {"every_type": "r", "checks": "rw"})),
        ("module", MODULE, module()),
        ("lookup", "lookup-sex", {"unique_id": "lookup-sex", "name_i18n": i18n("Sex", "Sexe"),
                                  "lookup_values_i18n": sex_options}),
        ("location", "locations-bj", PLACES),
        ("form", "every_type", case_form("every_type", "Every field type", "Tous les types de champ", EVERY_TYPE,
                                         order=10)),
        ("form", "family_section", case_form("family_section", "Family member", "Membre de la famille", FAMILY,
                                             is_nested=True, visible=False)),
        ("form", "checks", case_form("checks", "Checks", "Contrôles", CHECKS, order=20)),
    ]
    return Configuration.from_documents(copy.deepcopy(documents))


def publish(app, config: Configuration) -> None:
    """Publish `config` as the next version (what an administrator does while case workers have the page open)."""
    now = datetime.now(timezone.utc)
    with app.app_context():
        drafts.replace_draft(get_db(), list(config.documents()), "tester", now, force=True)
        drafts.publish_draft(get_db(), LanguageSettings(("en", "fr"), "en"), "tester", now, "test")


# --- the server, the API, the pages ---------------------------------------------------------------


@dataclass
class Live:
    app: object
    base: str
    writer_token: str = ""

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """Call the API as the writer, in French: (status, JSON answer)."""
        request = urllib.request.Request(self.base + path, method=method, headers={
            "Authorization": f"Bearer {self.writer_token}", "Accept-Language": "fr",
            "Content-Type": "application/json"}, data=json.dumps(body).encode() if body is not None else None)
        try:
            with urllib.request.urlopen(request) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as refusal:
            return refusal.code, json.loads(refusal.read())


@pytest.fixture(scope="module")
def live():
    """The app with this module's configuration behind waitress.

    `agent` writes both forms, `lecteur` only reads them, `verificateur` writes the checks and reads the other form.
    """
    with app_on("mongomock://", DEFAULT_LOCALE="fr") as app:  # the app opens in French, as in Benin
        seed(app, renderer_configuration())
        make_user(app, "agent", "role-writer")
        make_user(app, "lecteur", "role-reader")
        make_user(app, "verificateur", "role-checker")
        with served(app) as base:
            server = Live(app, base)
            request = urllib.request.Request(base + "/api/v1/tokens", headers={"Content-Type": "application/json"},
                                             data=json.dumps({"user_name": "agent", "password": PASSWORD}).encode())
            with urllib.request.urlopen(request) as answer:
                server.writer_token = json.loads(answer.read())["data"]["token"]
            yield server


def open_app(browser, live: Live, user: str):
    """A new browser profile signed in to the app as `user`: (context, page, errors the page threw)."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR", service_workers="block")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live.base + "/app/")
    page.get_by_label(fr("User name"), exact=True).fill(user)
    page.get_by_label(fr("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=fr("Sign in")).click()
    expect(page.locator("#who")).to_have_text(user)
    return context, page, errors


@pytest.fixture
def agent(browser, live):
    """The writer's page; the test fails if the page threw."""
    context, page, errors = open_app(browser, live, "agent")
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def reader(browser, live):
    context, page, errors = open_app(browser, live, "lecteur")
    yield page
    context.close()
    assert errors == []


@pytest.fixture
def checker(browser, live):
    context, page, errors = open_app(browser, live, "verificateur")
    yield page
    context.close()
    assert errors == []


def go(page, address: str) -> None:
    """Open an address of the app as its links do (the page stays: a reload would ask for the password again)."""
    page.evaluate("(address) => { location.hash = address; }", address)


def new_case(page, form_name: str | None = None) -> None:
    """Open the register screen (on the form named `form_name`, chosen in the forms list)."""
    go(page, "#/cases/new")
    expect(page.get_by_role("heading", level=1)).to_have_text(fr("Register a case"))
    if form_name:
        page.get_by_role("navigation", name=fr("Forms")).get_by_role("link", name=form_name).click()
    expect(page.get_by_role("region", name=form_name or "Tous les types de champ")).to_be_visible()


def register(page) -> str:
    """Press Register; once the record is shown, return its id (from the address)."""
    page.get_by_role("button", name=fr("Register"), exact=True).click()
    expect(page.locator("#flash")).to_have_text(fr("Registered."))
    return re.search(r"#/cases/([0-9a-f-]{36})", page.url).group(1)


def said_about(control) -> str:
    """What the page shows about a control and tells a screen reader: the visible texts its aria-describedby names."""
    return control.evaluate("""(node) => (node.getAttribute("aria-describedby") || "").split(" ").filter(Boolean)
        .map((id) => document.getElementById(id)).filter((text) => text && text.checkVisibility())
        .map((text) => text.textContent).join(" ").trim()""")


def field_types(live: Live) -> dict[str, dict]:
    status, answer = live.call("GET", "/api/v1/field_types")
    assert status == 200
    return {row["type"]: row for row in answer["data"]}


# --- 1. every type of the registry ----------------------------------------------------------------

# How each type of the registry shows in the form above: the role and the name a screen reader announces.
CONTROLS = {
    "text_field": ("textbox", "Nom de l'enfant"),
    "textarea": ("textbox", "Observations"),
    "select_box": ("combobox", "Sexe"),
    "radio_button": ("group", "Consentement donné par"),
    "tick_box": ("checkbox", "Naissance déclarée Oui, avec un acte"),  # the question, then the box's own label
    "numeric_field": ("spinbutton", "Frères"),
    "date_field": ("textbox", "Date de naissance"),
    "subform": ("group", "Membres de la famille"),
    "tally_field": ("group", "Ménage"),
    "separator": ("heading", "Lieu de vie"),
    "calculated": ("status", "Frères et sœurs"),
    "location": ("group", "Commune de résidence"),
    "photo_upload_box": ("button", "Photos de l'enfant"),
    "document_upload_box": ("button", "Pièces justificatives"),
    "audio_upload_box": ("button", "Enregistrements sonores"),
}


def test_the_form_holds_one_field_of_every_type_the_registry_serves(live):
    served_types = set(field_types(live))
    assert {field["type"] for field in EVERY_TYPE} == served_types
    assert set(CONTROLS) == served_types


def test_every_field_type_is_drawn_as_its_widget_with_french_labels(agent, live):
    new_case(agent)
    form = agent.get_by_role("region", name="Tous les types de champ")
    for type_, (role_name, name) in CONTROLS.items():
        expect(form.get_by_role(role_name, name=name, exact=True), type_).to_be_visible()

    expect(form.get_by_role("textbox", name="Nom de l'enfant")).to_have_js_property("tagName", "INPUT")
    expect(form.get_by_role("textbox", name="Observations")).to_have_js_property("tagName", "TEXTAREA")
    expect(form.get_by_label("Date de naissance")).to_have_attribute("type", "date")
    expect(form.get_by_label("Enregistré le")).to_have_attribute("type", "datetime-local")
    expect(form.get_by_role("checkbox", name="Oui, avec un acte")).not_to_be_checked()
    expect(form.get_by_role("status", name="Frères et sœurs")).to_have_text("—")
    tally = form.get_by_role("group", name="Ménage")
    expect(tally.get_by_role("spinbutton")).to_have_count(2)
    expect(tally.get_by_role("spinbutton", name="Adultes")).to_be_editable()
    expect(tally.get_by_role("spinbutton", name="Enfants")).to_be_editable()
    family = form.get_by_role("group", name="Membres de la famille")
    expect(family).to_contain_text(fr("None yet."))
    expect(family.get_by_role("button", name=fr("Add: %(form)s") % {"form": "Membres de la famille"})).to_be_visible()

    # Options in French; a disabled option is not offered for a new value (in a lookup or inline).
    expect(form.get_by_role("combobox", name="Sexe").get_by_role("option")).to_have_text(
        [fr("Choose…"), "Féminin", "Masculin"])
    concerns = form.get_by_role("group", name="Préoccupations")
    expect(concerns.get_by_role("checkbox")).to_have_count(2)
    expect(concerns.get_by_role("checkbox", name="Enfant en situation de rue")).to_be_visible()
    expect(concerns.get_by_role("checkbox", name="Travail des enfants")).to_be_visible()
    expect(concerns).not_to_contain_text("Ancienne catégorie")
    expect(form.get_by_role("group", name="Consentement donné par").get_by_role("radio")).to_have_count(2)
    expect(form.get_by_role("radio", name="La personne en charge")).not_to_be_checked()

    # The upload inputs offer the media types of the registry.
    accepted = {type_: row["render"]["accept"] for type_, row in field_types(live).items()
                if row["render"]["widget"] == "files"}
    assert len(accepted) == 3
    for type_, accept in accepted.items():
        expect(form.get_by_label(CONTROLS[type_][1], exact=True)).to_have_attribute("accept", accept)
        expect(form.get_by_label(CONTROLS[type_][1], exact=True)).to_have_attribute("type", "file")


def communes_of(department: str) -> list[str]:
    return sorted(place["name_i18n"]["fr"] for place in PLACES["locations"] if place.get("parent_code") == department)


def test_the_location_picker_lists_only_the_communes_of_the_department_chosen(agent, live):
    new_case(agent)
    place = agent.get_by_role("group", name="Commune de résidence")
    department = place.get_by_role("combobox", name="Département")
    commune = place.get_by_role("combobox", name="Commune", exact=True)
    departments = [p["name_i18n"]["fr"] for p in PLACES["locations"] if p["admin_level"] == 1]
    assert sorted(department.get_by_role("option").all_inner_texts()[1:]) == sorted(departments)
    expect(commune).to_be_disabled()

    department.select_option(label="Littoral")
    expect(commune).to_be_enabled()
    assert commune.get_by_role("option").all_inner_texts()[1:] == communes_of("BJ-LI") == ["Cotonou"]
    department.select_option(label="Zou")
    expect(commune.get_by_role("option")).to_have_count(len(communes_of("BJ-ZO")) + 1)
    assert sorted(commune.get_by_role("option").all_inner_texts()[1:]) == communes_of("BJ-ZO")
    commune.select_option(label="Abomey")
    department.select_option(label="Littoral")
    expect(commune).to_have_value("")


def test_the_calculated_field_follows_its_inputs_as_they_are_typed(agent, live):
    new_case(agent)
    total = agent.get_by_role("status", name="Frères et sœurs")
    expect(total).to_have_text("—")
    agent.get_by_role("spinbutton", name="Frères", exact=True).fill("2")
    expect(total).to_have_text("2")
    agent.get_by_role("spinbutton", name="Sœurs", exact=True).fill("1250")
    expect(total).to_have_text("1\u202f252")  # written as French writes numbers
    agent.get_by_role("spinbutton", name="Frères", exact=True).fill("")
    expect(total).to_have_text("1\u202f250")


# --- 2. display conditions ------------------------------------------------------------------------


def test_a_field_shows_only_while_its_condition_holds_and_is_required_only_then(agent, live):
    new_case(agent, "Contrôles")
    checks = agent.get_by_role("region", name="Contrôles")
    level = checks.get_by_role("combobox", name="Niveau de risque")
    reason = checks.get_by_role("textbox", name="Pourquoi le risque est élevé")
    expect(reason).to_be_hidden()
    level.select_option(label="Élevé")
    expect(reason).to_be_visible()
    expect(reason).to_have_attribute("aria-required", "true")
    level.select_option(label="Faible")
    expect(reason).to_be_hidden()
    level.select_option(label="Élevé")

    agent.get_by_role("button", name=fr("Register"), exact=True).click()
    expect(agent.locator("#flash")).to_have_text(fr("Fields to correct: %(count)s.") % {"count": 2})
    expect(reason).to_be_focused()
    assert said_about(reason) == fr("This field is required.")
    assert "#/cases/new" in agent.url

    level.select_option(label="Faible")
    expect(reason).to_be_hidden()
    case_id = register(agent)
    status, answer = live.call("GET", f"/api/v1/cases/{case_id}")
    assert status == 200
    assert answer["data"]["data"]["risk_level"] == "low"
    assert "risk_reason" not in answer["data"]["data"]


# --- 3. the server's words ------------------------------------------------------------------------


def test_the_browser_words_each_refusal_as_the_server_does(agent, live):
    next_year = (date.today() + timedelta(days=400)).isoformat()
    typed = {"nickname": ("Surnom", "Grande sœur"), "phone": ("Téléphone", "01 23 45 67"),
             "monthly_income": ("Revenu mensuel", "2500"), "interview_date": ("Date de l'entretien", next_year)}
    new_case(agent, "Contrôles")
    checks = agent.get_by_role("region", name="Contrôles")
    checks.get_by_role("combobox", name="Niveau de risque").select_option(label="Élevé")
    for label, text in typed.values():
        checks.get_by_label(label, exact=True).fill(text)
    agent.get_by_role("button", name=fr("Register"), exact=True).click()
    expect(agent.locator("#flash")).to_have_text(fr("Fields to correct: %(count)s.") % {"count": 6})
    controls = {name: checks.get_by_label(label, exact=True) for name, (label, _) in typed.items()}
    controls["risk_reason"] = checks.get_by_role("textbox", name="Pourquoi le risque est élevé")
    visit = "Visite à domicile prévue Oui, elle est prévue"  # the question, then the box's own label
    controls["home_visit_planned"] = checks.get_by_role("checkbox", name=visit, exact=True)
    shown = {"/" + name: said_about(control) for name, control in controls.items()}

    data = {"risk_level": "high", **{name: text for name, (_, text) in typed.items()}, "monthly_income": 2500}
    status, answer = live.call("POST", "/api/v1/cases", {"module_id": MODULE, "data": data})
    assert status == 422
    details = answer["error"]["details"]
    assert {detail["code"] for detail in details} == {"required", "max_length", "pattern", "maximum", "future_date"}
    assert shown == {detail["field"]: detail["message"] for detail in details}
    assert "1\u202f500" in shown["/monthly_income"]  # the limit as French writes it, on both sides


# --- 4. subforms ----------------------------------------------------------------------------------


def test_subform_rows_are_added_edited_removed_and_stored_by_id(agent, live):
    new_case(agent)
    family = agent.get_by_role("group", name="Membres de la famille", exact=True)
    add = family.get_by_role("button", name=fr("Add: %(form)s") % {"form": "Membres de la famille"})
    row = family.get_by_role("region", name="Membre de la famille")
    done = family.get_by_role("button", name=fr("Done"), exact=True)
    rows = family.get_by_role("listitem")

    add.click()
    expect(row.get_by_role("textbox", name="Nom du proche")).to_be_focused()
    row.get_by_role("textbox", name="Nom du proche").fill("Awa")
    row.get_by_role("combobox", name="Lien de parenté").select_option(label="Mère")
    row.get_by_role("spinbutton", name="Âge").fill("34")
    done.click()
    expect(add).to_be_focused()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(["Awa · Mère"])  # the row's collapsed fields only
    expect(rows).not_to_contain_text("34")

    add.click()
    row.get_by_role("combobox", name="Lien de parenté").select_option(label="Père")
    done.click()
    name = row.get_by_role("textbox", name="Nom du proche")
    expect(name).to_be_focused()
    assert said_about(name) == fr("This field is required.")
    expect(rows).to_have_count(1)
    name.fill("Koffi")
    done.click()
    expect(rows).to_contain_text(["Awa · Mère", "Koffi · Père"])

    family.get_by_role("button", name=f"{fr('Edit')} Koffi · Père").click()
    expect(row.get_by_role("textbox", name="Nom du proche")).to_have_value("Koffi")
    row.get_by_role("combobox", name="Lien de parenté").select_option(label="Oncle")
    row.get_by_role("spinbutton", name="Âge").fill("40")
    done.click()
    family.get_by_role("button", name=f"{fr('Remove')} Awa · Mère").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(["Koffi · Oncle"])

    case_id = register(agent)
    status, answer = live.call("GET", f"/api/v1/cases/{case_id}")
    stored = answer["data"]["data"]["family"]
    assert len(stored) == 1 and UUID4.match(stored[0].pop("unique_id"))
    assert stored == [{"relation_name": "Koffi", "relation": "uncle", "relation_age": 40}]
    expect(agent.get_by_role("group", name="Membres de la famille", exact=True)).to_contain_text("Koffi · Oncle")


# --- 5. forms the role only reads -----------------------------------------------------------------


def test_every_field_of_a_form_the_role_only_reads_shows_as_text(reader, live):
    status, answer = live.call("POST", "/api/v1/cases", {"module_id": MODULE, "data": {
        "child_name": "Amina", "sex": "female", "concerns": ["street"], "birth_registered": True, "brothers": 2,
        "sisters": 3, "home_commune": "BJ-LI-01",
        "family": [{"unique_id": "0b0f3c1e-5a4e-4c43-9d0a-6a1f2b3c4d5e", "relation_name": "Awa",
                    "relation": "mother"}]}})
    assert status == 201, answer
    case_id = answer["data"]["id"]
    for address in (f"#/cases/{case_id}", f"#/cases/{case_id}/edit"):
        go(reader, address)
        form = reader.get_by_role("region", name="Tous les types de champ")
        expect(form.locator("[data-field=child_name]")).to_contain_text("Amina")
        for role_name in ("textbox", "combobox", "checkbox", "radio", "spinbutton", "button"):
            expect(form.get_by_role(role_name), role_name).to_have_count(0)
        expected = {"child_name": "Amina", "sex": "Féminin", "concerns": "Enfant en situation de rue",
                    "birth_registered": fr("Yes"), "siblings": "5", "home_commune": "Cotonou, Littoral"}
        for name, text in expected.items():
            expect(form.locator(f"[data-field={name}]"), name).to_contain_text(text)
        expect(form.get_by_role("group", name="Membres de la famille")).to_contain_text("Awa · Mère")
        expect(reader.get_by_role("link", name=fr("Edit"), exact=True)).to_have_count(0)
        expect(reader.get_by_role("button", name=fr("Register"), exact=True)).to_have_count(0)
        expect(reader.get_by_role("button", name=fr("Save"), exact=True)).to_have_count(0)


def test_a_role_that_writes_one_form_edits_it_and_reads_the_other(checker, live):
    status, answer = live.call("POST", "/api/v1/cases", {"module_id": MODULE, "data": {"child_name": "Amina"}})
    assert status == 201, answer
    case_id = answer["data"]["id"]
    go(checker, f"#/cases/{case_id}/edit")
    form = checker.get_by_role("region", name="Tous les types de champ")
    expect(form.locator("[data-field=child_name]")).to_contain_text("Amina")
    expect(form.get_by_role("textbox")).to_have_count(0)
    checker.get_by_role("navigation", name=fr("Forms")).get_by_role("link", name="Contrôles").click()
    checker.get_by_role("textbox", name="Surnom").fill("Ami")
    checker.get_by_role("button", name=fr("Save"), exact=True).click()
    expect(checker.locator("#flash")).to_have_text(fr("Saved."))
    status, answer = live.call("GET", f"/api/v1/cases/{case_id}")
    assert answer["data"]["data"]["nickname"] == "Ami"
    assert answer["data"]["data"]["child_name"] == "Amina"


# --- 6. what only the server can refuse -----------------------------------------------------------


def test_a_refusal_only_the_server_could_make_is_shown_next_to_its_field(agent, live):
    new_case(agent)
    sex = agent.get_by_role("combobox", name="Sexe")
    expect(sex.get_by_role("option", name="Masculin")).to_have_count(1)
    # An administrator disables an option after the page got its forms: the browser still offers it.
    publish(live.app, renderer_configuration(sex_options=options(
        ("female", "Female", "Féminin"), ("male", "Male", "Masculin"), ("unknown", "Unknown", "Inconnu"),
        disabled=("male", "unknown"))))
    try:
        sex.select_option(label="Masculin")
        agent.get_by_role("button", name=fr("Register"), exact=True).click()
        status, answer = live.call("POST", "/api/v1/cases", {"module_id": MODULE, "data": {"sex": "male"}})
        assert status == 422
        [detail] = answer["error"]["details"]
        assert (detail["field"], detail["code"]) == ("/sex", "disabled_option")
        expect(sex).to_have_accessible_description(detail["message"])
        expect(sex).to_be_focused()
        expect(agent.locator("#flash")).to_have_text(answer["error"]["message"])
        assert "#/cases/new" in agent.url
    finally:
        publish(live.app, renderer_configuration())
