"""The admin pages take their languages from the server, and their scripts are ES modules that fit together."""
import json
import re

from server.config import PROJECT_ROOT
from tests.conftest import app_on

UI = PROJECT_ROOT / "admin_ui"
SCRIPTS = sorted((UI / "static").rglob("*.js"))
APP_STATIC = PROJECT_ROOT / "app_ui" / "static"
APP_SCRIPTS = sorted(APP_STATIC.rglob("*.js"))
PAGES = ["/admin/", "/admin/login", "/admin/forms", "/admin/forms/basic_identity", "/admin/lookups", "/admin/translations",
         "/admin/roles", "/admin/people", "/admin/exports"]


def page_settings(html: str) -> dict:
    return json.loads(re.search(r'<script id="page-settings" type="application/json">(.*?)</script>', html, re.S).group(1))


def test_label_editors_and_pickers_are_rendered_for_the_configured_languages():
    with app_on("mongomock://", LANGUAGES=("fr", "en", "pt"), DEFAULT_LANGUAGE="fr") as app:
        html = app.test_client().get("/admin/forms/basic_identity").get_data(as_text=True)
    settings = page_settings(html)
    assert [language["code"] for language in settings["languages"]] == ["fr", "en", "pt"]
    assert settings["default_language"] == "fr"
    for prefix in ("name", "description", "f-label", "f-help"):
        assert [code for code in re.findall(rf'id="{prefix}-(\w+)"', html)] == ["fr", "en", "pt"]
    assert '<label for="f-label-pt">Label (Portuguese)</label>' in html
    # The error slot of a label map sits under the default language's control (the one every label must have).
    assert re.search(r'id="f-label-fr"[^>]*><p class="error" data-error-for="display_name_i18n">', html)
    assert '<option value="pt">Portuguese</option>' in html  # the preview's language picker


def test_the_pages_speak_french_about_languages_when_the_interface_is_french():
    with app_on("mongomock://", LANGUAGES=("fr", "en", "pt"), DEFAULT_LANGUAGE="fr") as app:
        browser = app.test_client()
        browser.get("/admin/language/fr")
        html = browser.get("/admin/lookups").get_data(as_text=True)
    assert '<label for="v-label-pt">Libellé (portugais)</label>' in html
    assert page_settings(html)["texts"]["unreachable"].startswith("Le serveur est injoignable")


def test_the_interface_is_offered_only_in_languages_it_has_a_catalog_for():
    with app_on("mongomock://", LANGUAGES=("fr", "en", "pt"), DEFAULT_LANGUAGE="fr") as app:
        browser = app.test_client()
        assert [language["code"] for language in page_settings(browser.get("/admin/login").get_data(as_text=True))["interface"]] == \
            ["fr", "en"]
        assert browser.get("/admin/language/pt").status_code == 302
        assert "abri_ui_locale=pt" not in browser.get("/admin/language/pt").headers.get("Set-Cookie", "")
        assert "abri_ui_locale=fr" in browser.get("/admin/language/fr").headers["Set-Cookie"]


def test_no_language_is_written_in_the_admin_ui():
    written = re.compile(r"""["'](en|fr)["']|[-_](en|fr)\b|lang="(en|fr)"|English|French|Fran[cç]ais""")
    for path in [*SCRIPTS, *(UI / "templates").glob("*.html")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not written.search(line), f"{path.relative_to(UI)}:{number} names a language: {line.strip()}"


def test_every_page_loads_its_scripts_as_modules(app):
    client = app.test_client()
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        tags = re.findall(r"<script\b[^>]*>", html)
        executable = [tag for tag in tags if 'type="application/json"' not in tag]
        assert executable and all('type="module"' in tag and "src=" in tag for tag in executable), path
        screens = re.findall(r'src="/admin/static/(screens/[\w.]+)"', html)
        assert len(screens) == 1, path
        for screen in screens:  # the page is served disabled until its screen says it is ready
            assert "\nscreenReady();\n" in (UI / "static" / screen).read_text(), f"{screen} never enables its page"


def _import_target(path, source):
    """The file an import names: relative to the module, or one of the case worker app's modules (/app/static/...:
    the admin preview draws forms with the app's renderer)."""
    if source.startswith("/app/static/"):
        return (APP_STATIC / source.removeprefix("/app/static/")).resolve()
    assert source.startswith("."), f"{path.name}: {source} is neither relative nor a module of the app"
    return (path.parent / source).resolve()


def test_every_import_of_a_module_names_an_existing_file_and_export():
    every = [*SCRIPTS, *APP_SCRIPTS]
    exported = {path: set(re.findall(r"^export (?:async )?(?:function|const|class|let) (\w+)", path.read_text(), re.M))
                | {name for group in re.findall(r"^export \{([^}]*)\};", path.read_text(), re.M)
                   for name in map(str.strip, group.split(","))}
                for path in every}
    for path in every:
        for names, source in re.findall(r'^import \{([^}]*)\} from "([^"]+)";', path.read_text(), re.M):
            target = _import_target(path, source)
            assert target in exported, f"{path.name} imports {source}, which does not exist"
            missing = {name.strip() for name in names.split(",")} - exported[target]
            assert not missing, f"{path.name} imports {missing} that {source} does not export"
        if path in SCRIPTS:  # the admin pages keep no global; the app listens to its window (online, hashchange)
            assert "window." not in path.read_text(), f"{path.name} uses a global"
