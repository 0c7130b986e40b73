"""Languages: flask-babel set-up and the locale of each request.

Order: ?locale= > the user's preference > the interface language chosen in the admin UI (a cookie) >
Accept-Language > DEFAULT_LOCALE. The admin UI and the case worker app skip Accept-Language: they open in the
deployment's language (French in Bénin and Cameroon) until the user chooses another.
"""
from __future__ import annotations

from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, get_locale

from server.config import shipped_path
from server.errors import BadRequest, Detail, Error
from server.messages import knows_locale, message_locale, use_locale_source  # noqa: F401 (message_locale: re-exported)
from server.rules import Rule

TRANSLATIONS_DIR = shipped_path("translations")
MESSAGE_LOCALES = ("en", "fr")  # languages with a message catalog
UI_LOCALE_COOKIE = "abri_ui_locale"  # the admin UI's language links set it
ADMIN_BLUEPRINT = "admin"
APP_BLUEPRINT = "app_ui"  # the case worker app's pages: the deployment's language too, until the user chooses


def known_locales() -> tuple[str, ...]:
    """Languages a request may ask for: the message catalogs and the configured label languages."""
    return tuple(dict.fromkeys((*MESSAGE_LOCALES, *current_app.config["LANGUAGES"])))


def requested_locale() -> str | None:
    """Return ?locale= when given; BadRequest when it is not a known language."""
    locale = request.args.get("locale")
    if locale is None:
        return None
    if locale not in known_locales():
        raise BadRequest(Error.LOCALE_UNKNOWN, details=[Detail.of("locale", Rule.LOCALE)],
                         locale=locale, known=", ".join(known_locales()))
    return locale


def select_locale() -> str:
    """Choose the language of this request's messages and labels."""
    if not has_request_context():
        return current_app.config["DEFAULT_LOCALE"]
    if "abri_locale" not in g:
        locale = request.args.get("locale")
        if locale not in known_locales():
            principal = g.get("principal")
            locale = (getattr(principal, "locale", None) or request.cookies.get(UI_LOCALE_COOKIE) or
                      _browser_locale() or current_app.config["DEFAULT_LOCALE"])
        g.abri_locale = locale if _babel_knows(locale) else current_app.config["DEFAULT_LOCALE"]
    return g.abri_locale


def _browser_locale() -> str | None:
    """The browser's language, except on the web pages (a shared office PC's setting is not the user's choice)."""
    if request.blueprint in (ADMIN_BLUEPRINT, APP_BLUEPRINT):
        return None
    return request.accept_languages.best_match(known_locales())


def _babel_knows(locale: str) -> bool:
    """Labels may be in any configured language (fon, ...); messages need one Babel can format."""
    return knows_locale(locale)


def init_i18n(app: Flask) -> None:
    """Set up flask-babel with Abri's catalogs and locale selection."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LOCALE"])
    Babel(app, locale_selector=select_locale)
    use_locale_source(app_locale)
    app.before_request(_check_locale_argument)


def app_locale() -> str | None:
    """The language of the current request (or the app's default): what `str(message)` renders in."""
    if not has_app_context():
        return None
    locale = get_locale()
    return str(locale) if locale else None


def _check_locale_argument() -> None:
    """Refuse an unknown ?locale= on every route (a before_request hook must return None)."""
    requested_locale()
