"""The case worker app at /app: one page shell, its ES modules, its manifest and its service worker.

The social workers' app is a single page (screens are chosen by the address's #fragment) that works offline once
loaded: the service worker keeps the shell and the modules, the app keeps the bundle and the user's records in the
browser's storage (app_ui/static/lib/vault.js: encrypted with a key derived from the user's password). Like the admin
UI's pages, the shell holds no record or configuration data, so it is served to anyone; everything it shows comes
from the JSON API, with the session cookie at sign-in and then the device's own credential. Texts come from the
server's catalogs in every interface language (app_settings), the rules' messages too, so that a field checked in
the browser reads as the server would word it. No front-end build step: app_ui/ is served as it is.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale

from server.admin import interface_languages, local_target, page_settings
from server.app_ui.texts import CLIENT_RULES, SCRIPT_TEXTS
from server.config import shipped_path
from server.i18n import APP_BLUEPRINT, UI_LOCALE_COOKIE
from server.messages import SOURCE_LOCALE, translate

UI = shipped_path("app_ui")
bp = Blueprint(APP_BLUEPRINT, __name__, template_folder=str(UI / "templates"), static_folder=str(UI / "static"),
               static_url_path="/static")
# The app's scripts reach the API and its own files only; photos come back as blobs (blob:), taken ones as data:.
CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; script-src 'self'; "
       "worker-src 'self'; manifest-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")


def script_catalog(code: str) -> dict[str, Any]:
    """The app's texts and the rules' messages in one language (`code` must have a message catalog)."""
    return {"texts": {key: translate(text.msgid, code) for key, text in SCRIPT_TEXTS.items()},
            "rules": {rule.name: {"code": rule.code, "message": translate(rule.template.msgid, code)}
                      for rule in CLIENT_RULES}}


def app_settings(ui_locale: str) -> dict[str, Any]:
    """The shell's settings: the admin pages' ones, with the app's texts and the rules' messages in every interface
    language (`catalogs`), so that the app changes language at once, offline too, to the one its user chose."""
    settings = page_settings(ui_locale, {})
    settings["catalogs"] = {code: script_catalog(code) for code in interface_languages()}
    del settings["texts"]
    if ui_locale not in settings["catalogs"]:  # a language without messages (pt, a forged cookie): English, as
        settings["locale"] = SOURCE_LOCALE     # the page's own texts then are
    return settings


@bp.route("/")
def shell():
    settings = app_settings(str(get_locale()))
    response = make_response(render_template("app.html", page=settings, ui_locale=settings["locale"]))
    # The service worker keeps its own copy for offline use; the browser's cache must not keep another.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Vary"] = "Cookie"
    return response


@lru_cache(maxsize=1)
def app_files() -> tuple[tuple[str, ...], str]:
    """The addresses of the app's files and a hash of their contents (the service worker's version)."""
    digest = hashlib.sha256()
    addresses = []
    for path in sorted((UI / "static").rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            relative = path.relative_to(UI / "static").as_posix()
            addresses.append(f"/app/static/{relative}")
            digest.update(relative.encode() + b"\0" + path.read_bytes())
    for path in sorted((UI / "templates").glob("*")):
        digest.update(path.read_bytes())
    return tuple(addresses), digest.hexdigest()[:16]


@bp.route("/sw.js")
def service_worker():
    """The service worker, from /app/ so that its scope is the whole app (a worker's scope is its folder)."""
    files, version = app_files()
    response = make_response(render_template("sw.js", files=list(files), version=version))
    response.mimetype = "text/javascript"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/manifest.webmanifest")
def manifest():
    """The install manifest: the name and start page of the app on a tablet's home screen."""
    response = make_response(render_template("manifest.webmanifest", ui_locale=str(get_locale())))
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/texts/<code>.json")
def texts(code: str):
    """The texts of the renderer in a language (the admin preview shows a form as a tablet does, in any language):
    those of `code` when it has a message catalog, else of the deployment's default. No data: served to anyone."""
    languages = interface_languages()
    response = make_response(script_catalog(code if code in languages else languages[0]))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/language/<code>")
def language(code: str):
    """Switch the interface language (the cookie the admin UI sets too), then go back to the app."""
    target = local_target(request.args.get("next", ""), url_for("app_ui.shell"), prefix="/app")
    response = redirect(target)
    if code in interface_languages():
        response.set_cookie(UI_LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Strict", httponly=True)
    return response


def init_app_ui(app: Flask) -> None:
    """Serve the case worker app at /app."""
    app.register_blueprint(bp, url_prefix="/app")
