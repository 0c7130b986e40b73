"""Reports and dashboards in a real browser (Debian's chromium), in French, on the Bénin profile with generated cases.

A partner's data manager opens their dashboard: charts whose small counts read "< 5" (never 0) with a legend that
says why, the numbers behind a switch, a report's full view with its table and totals and its downloads. A
supervisor sees their team's caseload. An administrator who writes no JSON builds a report with pickers (a field
chosen by its label, Primero's age bands, a filter), watches the preview follow, and saves it to the draft. A map
report draws the departments that have boundaries (test squares) and ranks the places of one without; printed, the
charts stand without the navigation. Set ABRI_SCREENSHOTS=docs/screenshots to refresh the screenshots.
"""
from __future__ import annotations

import json
import os
import random
import re
import shutil
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.admin.conftest import ADMINISTRATOR, api_token, benin_app, served
from tests.admin.test_admin_ui import screenshot

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
AGENCY = "gups-exemple-1"
TEAM = "equipe-atacora"
WORKERS = [("ts.a.01", "Awa Dossou"), ("ts.a.02", "Koffi Zinsou")]
SUPERVISOR, DATA_MANAGER = "sup.a", "dm.a"
DM_ROLE, SUPERVISOR_ROLE = "role-partner-data-manager", "role-supervisor"
# Squares (1° a side) for six departments of the north and centre; Zou in two parts (a MultiPolygon). Places without
# one (Littoral, the communes) make the map fall back to ranked bars.
SQUARES = {"BJ-AK": (1, 10), "BJ-AL": (2, 10), "BJ-DO": (1, 9), "BJ-BO": (2, 9), "BJ-CO": (2, 8)}
# Where the generated cases live (department -> how many): Donga's few are hidden on the map.
PLACES = {"BJ-AK": 16, "BJ-AL": 10, "BJ-BO": 8, "BJ-CO": 6, "BJ-ZO": 5, "BJ-DO": 2, "BJ-LI": 3}
CONCERNS = ["physically_or_mentally_abused"] * 6 + ["child_marriage"] * 3 + ["street_child"] * 3 + ["abandoned", "trafficked_smuggled"]


def square(lon: float, lat: float) -> list:
    return [[[lon, lat], [lon + 1, lat], [lon + 1, lat + 1], [lon, lat + 1], [lon, lat]]]


def boundaries() -> dict:
    shapes = {code: {"type": "Polygon", "coordinates": square(*corner)} for code, corner in SQUARES.items()}
    shapes["BJ-ZO"] = {"type": "MultiPolygon", "coordinates": [square(2, 7), [[[1.3, 7.3], [1.8, 7.3], [1.8, 7.8], [1.3, 7.8], [1.3, 7.3]]]]}
    return shapes


def report(unique_id: str, fr: str, en: str, rows: list, chart: str, roles: list, **more) -> dict:
    return {"unique_id": unique_id, "name_i18n": {"fr": fr, "en": en}, "record_type": "case", "counts": {"unit": "records"},
            "rows": rows, "chart": chart, "on_dashboards": roles, **more}


REPORTS = [
    report("report-age-bands", "Enfants par tranche d'âge", "Children by age band", [{"field": "age", "bands": [0, 6, 12, 18]}],
           "stacked_bar", [DM_ROLE, SUPERVISOR_ROLE], columns=[{"field": "sex"}]),
    report("report-registrations", "Enregistrements par mois", "Registrations by month",
           [{"field": "registration_date", "period": "month"}], "line", [DM_ROLE]),
    report("report-departments", "Dossiers par département", "Cases by department",
           [{"field": "location_current", "admin_level": 1}], "map", [DM_ROLE]),
    report("report-communes", "Dossiers par commune", "Cases by commune",
           [{"field": "location_current", "admin_level": 2}], "map", []),
]


def call(base: str, method: str, path: str, token: str, body=None) -> dict:
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        return json.loads(urllib.request.urlopen(request).read() or b"null")
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{method} {path}: {error.code} {error.read().decode()}") from None


def communes_of(app) -> dict[str, list[str]]:
    from server.metadata.versions import published_configuration
    from server.storage import get_db

    with app.app_context():
        places = published_configuration(get_db()).locations.places
    found: dict[str, list[str]] = {}
    for code, place in sorted(places.items()):
        if place.get("admin_level") == 2:
            found.setdefault(place["parent_code"], []).append(code)
    return found


def add_people(app) -> dict[str, str]:
    """The team (two case workers and their supervisor) and a partner's data manager, with names: their tokens."""
    from server.auth import accounts, tokens
    from server.metadata.versions import published_configuration
    from server.storage import get_db
    from tests.builders import PASSWORD

    now = datetime.now(timezone.utc)
    people = [*((name, full, "role-case-worker") for name, full in WORKERS),
              (SUPERVISOR, "Mariam Bello", SUPERVISOR_ROLE), (DATA_MANAGER, "Estelle Hounkpè", DM_ROLE)]
    found = {}
    with app.app_context():
        db = get_db()
        accounts.create_entity(db, "user_groups", {"unique_id": TEAM, "name_i18n": {"fr": "Équipe Atacora"}}, now)
        for user_name, full_name, role in people:
            user = accounts.create_user(db, published_configuration(db), {
                "user_name": user_name, "full_name": full_name, "password": PASSWORD, "role_unique_id": role,
                "agency_unique_id": AGENCY, "user_group_unique_ids": [] if role == DM_ROLE else [TEAM]}, now)
            found[user_name] = tokens.issue_token(db, user, tokens.BEARER, now, timedelta(hours=2))["token"]
    return found


def add_boundaries(app) -> None:
    """Give the Bénin hierarchy of the draft square boundaries for a few departments (no API edits them)."""
    from server.metadata.draft import modify_document
    from server.metadata.versions import LanguageSettings
    from server.storage import get_db

    with app.app_context():
        modify_document(get_db(), "location", "locations-bj", lambda body: {**body, "boundaries": boundaries()}, None,
                        LanguageSettings(("fr", "en"), "fr"), ADMINISTRATOR, datetime.now(timezone.utc))


def add_cases(base: str, tokens: dict[str, str], communes: dict[str, list[str]]) -> None:
    rng = random.Random(21)
    number = 0
    for department, count in PLACES.items():
        for _ in range(count):
            number += 1
            born = date(2009, 1, 1) + timedelta(days=rng.randrange(5400))
            registered = date(2026, 1, 5) + timedelta(days=rng.randrange(300))
            data = {"registration_date": registered.isoformat(), "name_first": f"Enfant {number}", "name_last": "Test",
                    "sex": "female" if rng.random() < 0.58 else "male", "date_of_birth": born.isoformat(),
                    "age": max(0, (registered - born).days // 365), "location_current": rng.choice(communes[department][:3]),
                    "protection_concerns": sorted(set(rng.sample(CONCERNS, rng.choice([1, 1, 2])))),
                    "risk_level": rng.choice(["low", "medium", "medium", "high"]), "risk_level_reason": "Suivi",
                    "consent_for_services": "consent_given", "consent_for_data_sharing": "consent_given"}
            worker = WORKERS[number % 2][0]
            call(base, "POST", "/api/v1/cases", tokens[worker], {"data": data})


def seed(app, base: str) -> None:
    """People, boundaries, the published reports, and 50 cases of the team."""
    tokens = add_people(app)
    add_boundaries(app)
    admin = api_token(base)
    for body in REPORTS:
        call(base, "POST", "/api/v1/reports", admin, {"data": body})
    call(base, "POST", "/api/v1/metadata/publish", admin, {"data": {"comment": "Rapports"}})
    add_cases(base, tokens, communes_of(app))


@pytest.fixture(scope="module")
def live():
    with benin_app() as app, served(app) as base:
        seed(app, base)
        yield base


def open_reports(page, base: str, user_name: str, query: str = "") -> None:
    """Log in (French) straight to the reports page (never racing the landing page's own redirect)."""
    from urllib.parse import quote

    from tests.builders import PASSWORD

    page.goto(base + "/admin/login?next=" + quote("/admin/reports" + query))
    page.get_by_label("Nom d'utilisateur").fill(user_name)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(base + "/admin/reports" + query)
    expect(page.locator("#screen")).to_be_enabled()


def screenshot_viewport(page, tmp_path: Path, name: str) -> None:
    """What a 1366x768 screen shows (the editor beside its preview), kept like the full-page screenshots."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    target = os.environ.get("ABRI_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def chart_texts(figure) -> list[str]:
    """The words and numbers written on a chart (its SVG <text>s)."""
    return [text.strip() for text in figure.locator("svg.chart-svg text").all_text_contents()]


def widget(page, title: str):
    return page.locator(".widget").filter(has=page.get_by_role("heading", name=title, exact=True))


def test_a_data_manager_reads_their_dashboard_with_small_counts_hidden(french, live, tmp_path):
    open_reports(french, live, DATA_MANAGER)
    expect(french.get_by_role("heading", name="Mon tableau de bord")).to_be_visible()
    ages = widget(french, "Enfants par tranche d'âge")
    expect(ages.get_by_role("img", name=re.compile(r"^Diagramme en barres empilées : Enfants par tranche d'âge\. Total : 50"))).to_be_visible()
    assert {"Féminin", "Masculin"} <= set(ages.locator(".chart-legend li").all_inner_texts())
    assert {"0–5", "6–11", "12–17", "17", "13", "20"} <= set(chart_texts(ages))  # groups named, values written
    # Months with fewer than 5 registrations are hatched and read "< 5", never 0; the legend says why.
    months = widget(french, "Enregistrements par mois")
    assert "< 5" in chart_texts(months)
    assert months.locator("svg rect[fill^='url(#hatch']").count() >= 1
    expect(months.locator(".suppressed-key")).to_contain_text("< 5 (hachuré) : moins de 5, masqué pour protéger les enfants comptés.")
    # The numbers behind the chart: a table with row and column totals.
    ages.get_by_text("Voir les chiffres").click()
    table = ages.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile(r"^Total"))).to_have_text(re.compile(r"Total\s*27\s*23\s*50"))
    expect(table.get_by_role("columnheader", name="Total")).to_be_visible()
    expect(french.locator("#flash")).to_have_text("")
    screenshot(french, tmp_path, "reports-dashboard")

    # The full report: chart, table with totals, freshness, and its numbers to download (aggregates only).
    ages.get_by_role("link", name="Ouvrir le rapport « Enfants par tranche d'âge »").click()
    body = french.locator("#report-body")
    expect(body.get_by_role("heading", name="Enfants par tranche d'âge")).to_be_visible()
    expect(body.get_by_role("row", name=re.compile(r"^12–17"))).to_have_text(re.compile(r"12–17\s*8\s*12\s*20"))
    expect(body.locator(".freshness")).to_contain_text("Données au ")
    with french.expect_download() as download:
        french.get_by_role("link", name="CSV").click()
    content = download.value.path().read_text(encoding="utf-8-sig")
    assert download.value.suggested_filename.endswith(".csv") and "Total,27,23,50" in content
    assert "Enfant" not in content and "ts.a." not in content  # no name, no user: counts only
    expect(french.get_by_role("link", name="Excel (xlsx)")).to_have_attribute("href", re.compile(r"format=xlsx"))


def test_a_supervisor_sees_their_teams_caseload_first(french, live, tmp_path):
    open_reports(french, live, SUPERVISOR)
    team = french.locator(".widget").first
    expect(team.get_by_role("heading", name="Charge de travail de mon équipe")).to_be_visible()
    headers = team.get_by_role("columnheader").all_inner_texts()
    assert headers[:2] == ["Travailleur social", "Dossiers ouverts"]
    awa = team.get_by_role("row", name=re.compile(r"^Awa Dossou"))
    expect(awa).to_contain_text("ts.a.01")
    expect(awa.get_by_role("cell").first).to_have_text("25")
    expect(team.get_by_role("row", name=re.compile(r"^Total"))).to_contain_text("50")
    assert DATA_MANAGER not in team.inner_text()  # only the members of the supervisor's groups
    expect(widget(french, "Enfants par tranche d'âge").get_by_role("img")).to_be_visible()
    screenshot(french, tmp_path, "supervisor-dashboard")


def test_an_administrator_builds_a_report_with_pickers_and_saves_it_to_the_draft(french, live, tmp_path):
    open_reports(french, live, ADMINISTRATOR)
    french.get_by_role("link", name="Créer un rapport").click()
    expect(french.get_by_role("heading", name="Nouveau rapport")).to_be_focused()
    french.get_by_label("Nom (français)").fill("Enfants suivis par âge et sexe")
    french.get_by_label("Nom (anglais)").fill("Children by age and sex")
    expect(french.get_by_label("Identifiant du rapport")).to_have_value("report-enfants-suivis-par-age-et-sexe")
    rows = french.get_by_role("group", name="Lignes : une ligne par")
    rows.get_by_role("combobox", name="Lignes : une ligne par").select_option(label="Âge")
    expect(rows.get_by_label("par tranches")).to_have_value("primero")  # Primero's 0-5, 6-11, 12-17, 18+
    expect(rows.get_by_label("par tranches").locator("option:checked")).to_have_text("0-5, 6-11, 12-17, 18+ (tranches d'âge de Primero)")
    french.get_by_role("combobox", name="Colonnes (facultatif) : une colonne par").select_option(label="Sexe")
    french.get_by_role("button", name="Ajouter un filtre").click()
    french.get_by_label("Filtrer sur").select_option(label="Statut du dossier")
    french.get_by_role("group", name="Valeurs de Statut du dossier").get_by_label("Ouvert").check()
    french.get_by_label("Barres empilées").check()
    french.get_by_role("group", name="Affiché sur le tableau de bord de").get_by_label("Superviseur").check()
    # The preview follows: the unsaved report computed over the records, drawn as the report view draws it.
    preview = french.locator("#preview")
    expect(french.locator("#preview-status")).to_have_text("L'aperçu est à jour.")
    expect(preview.get_by_role("heading", name="Enfants suivis par âge et sexe")).to_be_visible()
    expect(preview.get_by_role("img", name=re.compile(r"^Diagramme en barres empilées"))).to_be_visible()
    expect(preview.get_by_role("row", name=re.compile(r"^Total"))).to_have_text(re.compile(r"Total\s*27\s*23\s*50"))
    french.locator("#r-rows").scroll_into_view_if_needed()
    screenshot_viewport(french, tmp_path, "report-editor")
    french.get_by_role("button", name="Enregistrer dans le brouillon").click()
    expect(french.locator("#flash")).to_have_text("Enregistré.")
    expect(french).to_have_url(re.compile(r"\?edit=report-enfants-suivis-par-age-et-sexe$"))
    saved = call(live, "GET", "/api/v1/reports/report-enfants-suivis-par-age-et-sexe?draft=true", api_token(live))["data"]
    assert saved["rows"] == [{"field": "age", "bands": [0, 6, 12, 18]}] and saved["columns"] == [{"field": "sex"}]
    assert saved["filters"] == [{"fact": "status", "in": ["open"]}] and saved["chart"] == "stacked_bar"
    assert saved["counts"] == {"unit": "records"} and saved["measure"] == {"kind": "count"}
    assert saved["on_dashboards"] == ["role-supervisor"]
    assert saved["name_i18n"] == {"fr": "Enfants suivis par âge et sexe", "en": "Children by age and sex"}


def test_an_administrator_edits_a_duration_with_pickers(french, live):
    open_reports(french, live, ADMINISTRATOR, "?edit=report-registrations")
    expect(french.get_by_role("heading", name="Rapport : Enregistrements par mois")).to_be_visible()
    rows = french.get_by_role("group", name="Lignes : une ligne par")
    expect(rows.get_by_role("combobox", name="Lignes : une ligne par").locator("option:checked")).to_have_text("Date d'enregistrement")
    expect(rows.get_by_label("par", exact=True)).to_have_value("month")
    rows.get_by_label("par", exact=True).select_option(label="trimestre")
    french.get_by_label("Le temps entre deux dates (médiane et 90e centile, en jours)").check()
    french.get_by_label("Depuis").select_option(label="Date d'enregistrement")
    french.get_by_label("jusqu'à").select_option(label="Date du premier service")
    expect(french.locator("#preview-status")).to_have_text("L'aperçu est à jour.")
    expect(french.locator("#preview").get_by_role("columnheader", name="Total")).to_be_visible()
    french.get_by_role("button", name="Enregistrer dans le brouillon").click()
    expect(french.locator("#flash")).to_have_text("Enregistré.")
    saved = call(live, "GET", "/api/v1/reports/report-registrations?draft=true", api_token(live))["data"]
    assert saved["rows"] == [{"field": "registration_date", "period": "quarter"}]
    assert saved["measure"] == {"kind": "duration", "from": {"field": "registration_date"}, "to": {"fact": "first_service_on"}}


def test_a_map_shades_the_departments_with_boundaries_and_ranks_places_without(french, live, tmp_path):
    open_reports(french, live, DATA_MANAGER, "?report=report-departments")
    figure = french.locator("#report-body figure")
    expect(figure.get_by_role("img", name=re.compile(r"^Carte : Dossiers par département"))).to_be_visible()
    assert figure.locator("path[data-code]").count() == 6
    assert figure.locator("path[data-code='BJ-DO']").get_attribute("fill").startswith("url(#hatch")  # Donga: < 5
    texts = chart_texts(figure)
    assert {"Atacora", "16", "Donga", "< 5"} <= set(texts) and "0" not in texts
    assert figure.locator(".chart-legend").inner_text().split("\n")[:2] == ["0 – 4", "5 – 9"]  # the scale, in words
    expect(french.locator("#report-body").get_by_role("row", name=re.compile(r"^Littoral"))).to_contain_text("< 5")  # no shape
    screenshot(french, tmp_path, "report-map")

    french.goto(live + "/admin/reports?report=report-communes")  # communes have no boundaries: ranked bars
    figure = french.locator("#report-body figure")
    expect(figure.get_by_role("img", name=re.compile(r"^Barres classées : Dossiers par commune"))).to_be_visible()
    assert figure.locator("path[data-code]").count() == 0
    bars = [title.split(" : ") for title in figure.locator("svg rect title").all_text_contents()]  # top to bottom
    numbers = [int(value) for _, value in bars if value.isdigit()]
    assert numbers == sorted(numbers, reverse=True) and bars[-1][1] == "< 5"  # largest first, hidden ones last


def test_printing_shows_the_charts_without_the_navigation(french, live):
    open_reports(french, live, DATA_MANAGER)
    expect(widget(french, "Enfants par tranche d'âge").get_by_role("img")).to_be_visible()
    french.emulate_media(media="print")
    expect(french.locator("header.top")).to_be_hidden()
    expect(french.get_by_role("button", name="Imprimer")).to_be_hidden()
    for title in ("Enfants par tranche d'âge", "Dossiers par département", "Enregistrements par mois"):
        block = widget(french, title)
        expect(block.get_by_role("img")).to_be_visible()
        assert block.evaluate("node => getComputedStyle(node).breakInside") == "avoid"  # never cut across pages
    french.emulate_media(media="screen")
    expect(french.locator("header.top")).to_be_visible()
