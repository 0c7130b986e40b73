"""The admin web UI at /admin: page shells (no data) whose scripts use the JSON API.

The pages carry no record or configuration data, so they are served to anyone; everything they
show comes from the API with the session cookie (and its CSRF token for writes), under the same
permission checks as any other client. No front-end build step: templates and ES modules served as they are
(admin_ui/static/lib: the store, the API helper, the error display; admin_ui/static/screens: one module per page).
The deployment's languages come from here (page_settings), rendered into the page: no language is written in the UI.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from babel import Locale, UnknownLocaleError
from flask import Blueprint, Flask, current_app, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from werkzeug.urls import iri_to_uri

from server.admin.builder_texts import BUILDER_TEXTS
from server.admin.data_protection_texts import DATA_PROTECTION_TEXTS
from server.admin.interop_texts import INTEROP_TEXTS
from server.admin.people_texts import PEOPLE_TEXTS
from server.admin.reports_texts import REPORTS_TEXTS
from server.config import shipped_path
from server.i18n import ADMIN_BLUEPRINT, MESSAGE_LOCALES, UI_LOCALE_COOKIE, known_locales

UI = shipped_path("admin_ui")
LOCALE_COOKIE = UI_LOCALE_COOKIE
bp = Blueprint(ADMIN_BLUEPRINT, __name__, template_folder=str(UI / "templates"), static_folder=str(UI / "static"),
               static_url_path="/static")

# Texts the scripts show, translated on the server and handed to them as JSON.
SCRIPT_TEXTS = {
    "saved": _l("Saved."), "published": _l("Published version %(version)s."), "restored": _l("Restored as version %(version)s."),
    "confirm_delete": _l("Remove the field %(name)s? Data already stored under it stay in the records."),
    "confirm_restore": _l("Publish version %(version)s again as a new version?"),
    "no_changes": _l("The draft has no changes."), "errors": _l("Errors (publishing is blocked)"),
    "warnings": _l("Warnings"), "move_up": _l("Move up"), "move_down": _l("Move down"), "edit": _l("Edit"),
    "remove": _l("Remove"), "restore": _l("Restore"), "added": _l("added"), "removed": _l("removed"),
    "changed": _l("changed"), "fields_added": _l("Fields added"), "fields_removed": _l("Fields removed"),
    "fields_changed": _l("Fields changed"), "reordered": _l("Fields reordered"), "required": _l("required"),
    "session_ended": _l("Your session has ended. Log in again."), "version": _l("Version"),
    "by": _l("by"), "no_options": _l("(no options)"), "drag_hint": _l("Drag a field, or use its arrow buttons, to reorder."),
    "locked": _l("Locked: values can be translated, not added or removed."), "disabled": _l("Disabled"),
    "download": _l("Download"), "status_queued": _l("queued"), "status_running": _l("running"),
    "status_complete": _l("complete"), "status_failed": _l("failed"),
    "forms": _l("Forms"), "lookups": _l("Lookups"),
    "coverage": _l("%(language)s: %(percent)s%% of this document translated (%(overall)s%% overall)"),
    "uploaded": _l("%(count)s texts changed in the draft."),
    "lock": _l("Lock"), "unlock": _l("Unlock"),
    "subform": _l("subform"), "revision": _l("draft revision %(revision)s"), "fields_count": _l("%(count)s fields"), "add_field": _l("Add a field"),
    "edit_field": _l("Edit the field %(name)s"), "add_button": _l("Add the field"), "save_button": _l("Save the field"),
    "bad_expression": _l("Not valid JSON: write the expression like {\"eq\": {\"sex\": \"female\"}}."),
    "unreachable": _l("The server could not be reached. Check the connection, then try again."),
    "unexpected": _l("Something went wrong on this page. Reload it, then try again."),
    **PEOPLE_TEXTS,
    **BUILDER_TEXTS,
    **INTEROP_TEXTS,
    **DATA_PROTECTION_TEXTS,
    **REPORTS_TEXTS,
}


def language_name(code: str, in_locale: str) -> str:
    """The name of the language `code` in the language `in_locale` ("French", "français"); the code if unknown."""
    try:
        name = Locale.parse(in_locale).languages.get(code)
    except (UnknownLocaleError, ValueError):
        name = None
    return name or code


def native_name(code: str) -> str:
    """The name of a language in itself, capitalised as a link reads ("Français", "English")."""
    name = language_name(code, code)
    return name[:1].upper() + name[1:]


def interface_languages() -> list[str]:
    """Languages the interface can be shown in (those with a message catalog), in the deployment's order."""
    configured = current_app.config["LANGUAGES"]
    return [*(code for code in configured if code in MESSAGE_LOCALES), *(c for c in MESSAGE_LOCALES if c not in configured)]


def page_settings(ui_locale: str, texts: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a page's templates and scripts need from the server: its texts and the languages of the deployment.

    `languages` are the configured label languages (every label editor has one input per language), `locales` the
    languages a user may choose for their account (labels and messages), `interface` those of the interface links.
    `texts`: the scripts' texts (the admin UI's by default; the case worker app hands its own).
    """
    config = current_app.config
    texts = SCRIPT_TEXTS if texts is None else texts
    return {"locale": ui_locale, "texts": {key: str(value) for key, value in texts.items()},
            "languages": _named(config["LANGUAGES"], ui_locale), "default_language": config["DEFAULT_LANGUAGE"],
            "default_locale": config["DEFAULT_LOCALE"], "locales": _named(known_locales(), ui_locale),
            "interface": [{"code": code, "name": native_name(code)} for code in interface_languages()]}


def _named(codes: Iterable[str], ui_locale: str) -> list[dict[str, str]]:
    return [{"code": code, "name": language_name(code, ui_locale)} for code in codes]


def _page(template: str, **context):
    ui_locale = str(get_locale())
    response = make_response(render_template(template, page=page_settings(ui_locale), ui_locale=ui_locale, **context))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                                   "script-src 'self'; frame-ancestors 'none'")
    response.headers["X-Frame-Options"] = "DENY"
    return response


# The pages: URL under /admin -> (endpoint, template). Which permissions open each: the navigation of base.html.
PAGES = {"/": ("dashboard", "dashboard.html"), "/login": ("login", "login.html"), "/forms": ("forms", "forms.html"),
         "/lookups": ("lookups", "lookups.html"), "/translations": ("translations", "translations.html"),
         "/roles": ("roles", "roles.html"), "/people": ("people", "people.html"),
         "/exports": ("exports", "exports.html"), "/audit": ("audit", "audit.html"),
         "/interop": ("interop", "interop.html"), "/reports": ("reports", "reports.html"),
         "/data-protection": ("data_protection", "data_protection.html")}
for _path, (_endpoint, _template) in PAGES.items():
    bp.add_url_rule(_path, _endpoint, lambda template=_template: _page(template))


@bp.route("/forms/<unique_id>")
def form(unique_id: str):
    return _page("form.html", form_id=unique_id)


def local_target(target: str, default: str, prefix: str = "/admin") -> str:
    """Return target when it is a page under `prefix` (the admin UI's) on this site, else default.

    Never another site (no scheme, no host, no //, no backslash that browsers read as /) and never a
    control character (CR/LF would split the Location header); other characters are percent-encoded.
    """
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not (parts.path == prefix or parts.path.startswith(prefix + "/")):
        return default
    if any(segment in (".", "..") for segment in unquote(parts.path).split("/")):  # /app/../admin is not under /app
        return default
    return iri_to_uri(target)


@bp.route("/language/<code>")
def language(code: str):
    """Switch the interface language (kept in a cookie)."""
    response = redirect(local_target(request.args.get("next", ""), url_for("admin.dashboard")))
    if code in interface_languages():
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Strict", httponly=True)
    return response


def init_admin(app: Flask) -> None:
    """Serve the admin UI at /admin."""
    app.register_blueprint(bp, url_prefix="/admin")
