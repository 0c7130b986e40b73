"""The case worker app's pages as an attacker and a tablet see them: the shell, its service worker, its manifest,
the language link and the app's files.

The shell holds no data and is served to anyone; its scripts come from the app's own files only (the page settings
are a JSON script element, never run). The language link sets a cookie and goes back to the app, never elsewhere.
The service worker keeps every file of the app and nothing else. Flask's test client, no browser; the checks that
guard a secret or an address run on each storage backend (`backend_app`).
"""
from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import PurePosixPath
from urllib.parse import urljoin, urlsplit

import pytest

import server.app_ui as app_ui
from tests.builders import PASSWORD, make_user, minimal_configuration, seed
from tests.conftest import app_on, authenticated

SITE = "https://abri.example"
SHELL_HEADERS = {"Cache-Control": "no-cache", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


class ShellParser(HTMLParser):
    """The tags of the shell: every <script> (its attributes and text) and every attribute of every tag."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self._script: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.attributes.extend((tag, name, value) for name, value in attrs)
        if tag == "script":
            self._script, self._text = dict(attrs), []

    def handle_data(self, data):
        if self._script is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._text)))
            self._script = None


def parsed_shell(response) -> ShellParser:
    parser = ShellParser()
    parser.feed(response.get_data(as_text=True))
    return parser


def page_settings(response) -> dict:
    """The shell's page settings: the text of its one JSON script element."""
    settings = [text for attrs, text in parsed_shell(response).scripts if attrs.get("id") == "page-settings"]
    assert len(settings) == 1
    return json.loads(settings[0])


def fetched(client, path: str):
    """GET path and close the answer (a static file is sent from an open file, which must be closed)."""
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


def service_worker(client) -> tuple[str, list[str]]:
    """The VERSION and FILES the server wrote into /app/sw.js."""
    text = client.get("/app/sw.js").get_data(as_text=True)
    version = json.loads(re.search(r"^const VERSION = (.*);$", text, re.M).group(1))
    files = json.loads(re.search(r"^const FILES = (.*);$", text, re.M).group(1))
    return version, files


def where_a_browser_goes(location: str, page: str = "/app/language/fr") -> tuple[str, str]:
    """The (site, path) a browser opens for a Location header received on `page`: %2e is a dot to it, dot segments
    are resolved."""
    resolved = urlsplit(urljoin(SITE + page, re.sub("%2e", ".", location, flags=re.I)))
    return f"{resolved.scheme}://{resolved.netloc}", resolved.path


# The shell

def test_the_shell_is_served_to_anyone_with_a_strict_policy(app):
    for client in (app.test_client(), authenticated(app, "not-a-token")):
        response = client.get("/app/")
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert {name: response.headers.get(name) for name in SHELL_HEADERS} == SHELL_HEADERS
        policy = csp_directives(response)
        assert policy["script-src"] == ["'self'"] and policy["default-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"]
        assert not any(value.startswith(("'unsafe", "'nonce", "'sha", "*", "data:")) for value in policy["script-src"])
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_the_shell_runs_no_inline_script_its_settings_are_a_json_element(app):
    shell = parsed_shell(app.test_client().get("/app/"))
    inline = [attrs for attrs, text in shell.scripts if "src" not in attrs and attrs.get("type") != "application/json"]
    assert inline == []
    assert [attrs["src"] for attrs, _ in shell.scripts if "src" in attrs] == ["/app/static/main.js"]
    assert all(not text.strip() for attrs, text in shell.scripts if "src" in attrs)
    handlers = [(tag, name) for tag, name, _ in shell.attributes if name.startswith("on") or name == "style"]
    assert handlers == []  # an inline handler or style would be refused by the policy, and break the page
    assert not [value for _, _, value in shell.attributes if (value or "").strip().lower().startswith("javascript:")]


def test_the_shell_holds_no_record_or_user_data_even_for_a_signed_in_user(backend_app, backend_client):
    make_user(backend_app, "zephirine", "role-system-administrator")
    assert backend_client.patch("/api/v1/users/zephirine", json={"data": {
        "full_name": "Zéphirine Quaglietti", "email": "zephirine.q@example.org"}}).status_code == 200
    case = backend_client.post("/api/v1/cases", json={"data": {"name": "Bienvenu Xolotlsecret", "age": 9}})
    assert case.status_code == 201, case.get_json()
    case_id = case.get_json()["data"]["id"]
    anonymous = backend_app.test_client()
    browser = backend_app.test_client()
    signed_in = browser.post("/api/v1/sessions", json={"user_name": "zephirine", "password": PASSWORD})
    csrf = signed_in.get_json()["data"]["csrf_token"]
    secrets = ("zephirine", "Quaglietti", "example.org", "Xolotlsecret", case_id, csrf,
               browser.get_cookie("abri_session").value, backend_app.config["ADMIN_TOKEN"])
    for path in ("/app/", "/app/sw.js", "/app/manifest.webmanifest"):
        for client in (browser, backend_client):
            response = client.get(path)
            assert response.status_code == 200
            assert not [secret for secret in secrets if secret.lower() in response.get_data(as_text=True).lower()]
            assert response.data == anonymous.get(path).data  # the same page for anyone: nothing of the caller
            assert "Set-Cookie" not in response.headers


def test_the_shell_settings_hold_english_and_french_catalogs_alike_and_complete(app):
    settings = page_settings(app.test_client().get("/app/"))
    catalogs = settings["catalogs"]
    assert sorted(catalogs) == ["en", "fr"] and "texts" not in settings
    english, french = catalogs["en"], catalogs["fr"]
    assert english["texts"].keys() == french["texts"].keys() and len(english["texts"]) > 50
    assert english["rules"].keys() == french["rules"].keys() and english["rules"]
    for key, text in english["texts"].items():
        assert text.strip() and french["texts"][key].strip(), key
        assert sorted(PLACEHOLDER.findall(text)) == sorted(PLACEHOLDER.findall(french["texts"][key])), key
    for name, rule in english["rules"].items():
        assert rule["message"].strip() and french["rules"][name]["message"].strip(), name
        assert rule["code"] == french["rules"][name]["code"], name
        assert sorted(PLACEHOLDER.findall(rule["message"])) == sorted(
            PLACEHOLDER.findall(french["rules"][name]["message"])), name
    translated = [key for key, text in english["texts"].items() if french["texts"][key] != text]
    assert len(translated) > 0.9 * len(english["texts"])  # French, not English copied
    assert french["texts"]["nav_cases"] == "Dossiers" and english["texts"]["nav_cases"] == "Cases"


@pytest.mark.parametrize("setup", [
    {"cookie": "de"},  # a language Babel knows but the app has no catalog for (a crafted or stale cookie)
    {"cookie": "fr_FR"},
    {"config": {"LANGUAGES": ("fr", "en", "pt"), "DEFAULT_LANGUAGE": "pt", "DEFAULT_LOCALE": "pt"}},
    {"config": {"LANGUAGES": ("fr", "en", "pt")}, "query": "?locale=pt"},
], ids=["cookie-de", "cookie-fr_FR", "default-locale-pt", "query-locale-pt"])
def test_the_shells_language_is_always_one_of_its_catalogs(setup):
    """app_ui/static/lib/store.js reads catalogs[settings.locale] as it loads: a language without a catalog there
    stops the whole app before it draws anything."""
    with app_on("mongomock://", **setup.get("config", {})) as application:
        seed(application, minimal_configuration())
        client = application.test_client()
        if "cookie" in setup:
            client.set_cookie("abri_ui_locale", setup["cookie"])
        response = client.get("/app/" + setup.get("query", ""))
        assert response.status_code == 200
        settings = page_settings(response)
        assert settings["locale"] in settings["catalogs"], (settings["locale"], sorted(settings["catalogs"]))


# The manifest and the service worker

def test_the_manifest_installs_the_app_at_app_with_icons_that_exist(app):
    client = app.test_client()
    response = client.get("/app/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-cache"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Abri" and manifest["short_name"]
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/app/", "/app/", "standalone")
    assert {icon["type"] for icon in manifest["icons"]} == {"image/svg+xml", "image/png"}
    for icon in manifest["icons"]:
        served = fetched(client, icon["src"])
        assert served.status_code == 200 and served.mimetype == icon["type"], icon["src"]
        if icon["type"] == "image/png":  # the size it claims is the size it has
            assert served.data[:8] == b"\x89PNG\r\n\x1a\n"
            width, height = struct.unpack(">II", served.data[16:24])
            assert icon["sizes"] == f"{width}x{height}", icon["src"]
    french = app.test_client()
    french.set_cookie("abri_ui_locale", "fr")
    assert json.loads(french.get("/app/manifest.webmanifest").get_data(as_text=True))["lang"] == "fr"


def test_the_service_worker_keeps_every_file_of_the_app_and_only_those(app):
    client = app.test_client()
    response = client.get("/app/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["X-Content-Type-Options"] == "nosniff"
    version, files = service_worker(client)
    assert re.fullmatch(r"[0-9a-f]{16}", version)
    on_disk = sorted(f"/app/static/{path.relative_to(app_ui.UI / 'static').as_posix()}"
                     for path in (app_ui.UI / "static").rglob("*") if path.is_file() and not path.name.startswith("."))
    assert sorted(files) == on_disk and len(files) == len(set(files))
    for address in files:
        assert fetched(client, address).status_code == 200, address
    # what the shell loads and what each module imports is kept too, or the app cannot start offline
    shell = parsed_shell(client.get("/app/"))
    loaded = {value for tag, name, value in shell.attributes if name in ("src", "href") and (value or "").startswith(
        "/app/static/")}
    assert loaded and loaded <= set(files)
    for address in [a for a in files if a.endswith(".js")]:
        source = fetched(client, address).get_data(as_text=True)
        for imported in re.findall(r"""(?:\bfrom|\bimport\s*\(?)\s*["'](\.{1,2}/[^"']+)["']""", source):
            target = str(PurePosixPath(urljoin(address, imported)))
            assert target in files, f"{address} imports {imported}, which the service worker does not keep"


def test_the_service_workers_version_is_a_hash_of_the_apps_files(app, tmp_path, monkeypatch):
    copy = tmp_path / "app_ui"
    shutil.copytree(app_ui.UI, copy)
    client = app.test_client()
    monkeypatch.setattr(app_ui, "UI", copy)
    try:
        app_ui.app_files.cache_clear()
        version, files = service_worker(client)
        assert service_worker(client)[0] == version  # stable
        main = copy / "static" / "main.js"
        original = main.read_bytes()
        main.write_bytes(original + b"\n// a new release\n")
        app_ui.app_files.cache_clear()
        changed, _ = service_worker(client)
        assert changed != version
        main.write_bytes(original)  # the same content again: the same version (a hash, not a date)
        app_ui.app_files.cache_clear()
        assert service_worker(client)[0] == version
        (copy / "static" / "lib" / "added.js").write_text("export const added = 1;\n")
        (copy / "static" / ".hidden").write_text("not the app's\n")
        app_ui.app_files.cache_clear()
        grown, listed = service_worker(client)
        assert grown != version and set(listed) - set(files) == {"/app/static/lib/added.js"}
    finally:
        monkeypatch.undo()
        app_ui.app_files.cache_clear()


SW_HARNESS = """
const source = require("fs").readFileSync(process.argv[2], "utf8");
const listeners = {}, kept = {};
const self = {location: {origin: "https://abri.example"}, addEventListener: (name, run) => { listeners[name] = run; },
              skipWaiting: async () => {}, clients: {claim: async () => {}}};
const address = (key) => typeof key === "string" ? key : key.url;
const caches = {open: async () => ({put: async (key, answer) => { kept[address(key)] = answer.body; },
                                   addAll: async () => {}}),
                keys: async () => [], delete: async () => true, match: async (key) => kept[address(key)]};
const fetch = async (request) => ({ok: true, body: request.url, clone() { return {body: request.url}; }});
new Function("self", "caches", "fetch", source)(self, caches, fetch);
let answer;
listeners.fetch({request: {method: "GET", mode: "navigate", url: "https://abri.example" + process.argv[3]},
                 respondWith: (promise) => { answer = promise; }});
answer.then(() => setTimeout(() => console.log(JSON.stringify(kept)), 20));
"""


@pytest.mark.parametrize("opened", ["/app/static/main.js", "/app/static/icon.svg", "/app/manifest.webmanifest"])
def test_opening_one_of_the_apps_files_does_not_replace_the_shell_kept_for_offline_use(app, tmp_path, opened):
    """A link to one of the app's files (from any site) is a navigation the worker answers: what it answered must
    not become the page the tablet opens offline."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    (tmp_path / "sw.js").write_bytes(app.test_client().get("/app/sw.js").data)
    (tmp_path / "harness.js").write_text(SW_HARNESS)
    for path, shell_kept in (("/app/", f"{SITE}/app/"), (opened, None)):
        run = subprocess.run(["node", str(tmp_path / "harness.js"), str(tmp_path / "sw.js"), path],
                             capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout).get("/app/") == shell_kept, (path, run.stdout)


# The language link

@pytest.mark.parametrize("target", [
    "//evil.com", "/\\evil.com", "\\\\evil.com", "https://evil", "https:/evil.com", "http://evil.com/app/",
    "//evil.com/app/", "///evil.com/app/", " //evil.com", "\t//evil.com", "%2F%2Fevil.com", "/%09/evil.com",
    "/app@evil.com", "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "/app/x\r\nSet-Cookie: a=b",
    "/app/%0d%0aLocation:%20https://evil.com", "/app\u3002evil.com", "／／evil.com", "/app/..//evil.com",
    "/app/..%2f..%2fadmin", "/app/%2e%2e//evil.com", "/app//evil.com", "/app/#//evil.com",
])
def test_the_language_link_never_sends_the_browser_to_another_site(backend_app, target):
    response = backend_app.test_client().get("/app/language/fr", query_string={"next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert not re.search(r"[\x00-\x20\x7f\\]", location)
    assert where_a_browser_goes(location)[0] == SITE
    assert "abri_ui_locale=fr" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("target", ["/app/../admin/", "/app/%2e%2e/admin/", "/app/%2E%2E/api/v1/users/current",
                                    "/app/./../admin"])
def test_the_language_link_goes_back_to_a_page_of_the_app_only(app, target):
    location = app.test_client().get("/app/language/fr", query_string={"next": target}).headers["Location"]
    assert where_a_browser_goes(location)[1].startswith("/app/"), location


@pytest.mark.parametrize("target,location", [
    ("/app/", "/app/"), ("/app/#/cases/42", "/app/#/cases/42"), ("/app/?x=1#/cases", "/app/?x=1#/cases"),
    ("/app/é", "/app/%C3%A9"), ("", "/app/"), ("/admin/", "/app/"),
])
def test_the_language_link_goes_back_where_it_was_asked_within_the_app(app, target, location):
    response = app.test_client().get("/app/language/en", query_string={"next": target})
    assert (response.status_code, response.headers["Location"]) == (302, location)


def test_a_known_language_sets_the_interface_cookie_and_the_shell_follows_it(app):
    browser = app.test_client()
    response = browser.get("/app/language/fr?next=/app/")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("abri_ui_locale=fr;") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    shell = browser.get("/app/")
    assert '<html lang="fr">' in shell.get_data(as_text=True) and page_settings(shell)["locale"] == "fr"


@pytest.mark.parametrize("code", ["xx", "FR", "fr-FR", "en_US", "pt", "de", "fr%3B%20Path%3D", "%20fr", "fr%0D%0A"])
def test_an_unknown_language_sets_no_cookie(app, code):
    browser = app.test_client()
    response = browser.get(f"/app/language/{code}?next=/app/")
    assert response.status_code == 302 and response.headers["Location"] == "/app/"
    assert "Set-Cookie" not in response.headers and browser.get_cookie("abri_ui_locale") is None


# The app's files

@pytest.mark.parametrize("path", [
    "/app/static/../templates/app.html", "/app/static/..%2ftemplates%2fapp.html", "/app/static/%2e%2e/templates/sw.js",
    "/app/static/lib/../../templates/sw.js", "/app/static/..%5ctemplates%5capp.html", "/app/static//etc/passwd",
    "/app/static/%2fetc%2fpasswd", "/app/static/....//....//server/config.py",
    "/app/static/%252e%252e/templates/app.html",
    "/app/static/.", "/app/static/", "/app/static/lib", "/app/static/main.js%00.png",
])
def test_the_apps_files_cannot_be_read_outside_their_folder(backend_app, path):
    response = backend_app.test_client().get(path, follow_redirects=True)
    assert response.status_code in (400, 404), (path, response.status_code)
    assert response.get_json()["error"]["code"] in ("ROUTE_NOT_FOUND", "BAD_PARAMETER")
    assert b"{{" not in response.data and b"import " not in response.data and b"root:" not in response.data


def test_the_apps_files_are_served_with_their_types_and_nosniff(app):
    client = app.test_client()
    for path, mimetype in [("/app/static/main.js", "text/javascript"), ("/app/static/app.css", "text/css"),
                           ("/app/static/icon.svg", "image/svg+xml"), ("/app/static/icon-512.png", "image/png")]:
        response = fetched(client, path)
        assert (response.status_code, response.mimetype) == (200, mimetype), path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
