"""The French catalog is complete, up to date with the code, and compiled."""
import re

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from server.config import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)s|%%")


def catalog(relative: str, reader=read_po):
    with open(TRANSLATIONS / relative, "rb") as handle:
        return [m for m in (reader(handle, locale="fr") if reader is read_po else reader(handle)) if m.id]


def messages_in_code() -> set[str]:
    """The messages of server/ and of the web pages' templates, extracted as `abri translations extract` does."""
    keywords = {"_l": None, "lazy_gettext": None, "_": None, "gettext": None}
    found = [*extract_from_dir(str(PROJECT_ROOT / "server"), method_map=[("**.py", "python")], keywords=keywords),
             *(message for folder in ("admin_ui", "app_ui") for message in extract_from_dir(
                 str(PROJECT_ROOT / folder / "templates"), keywords=keywords,
                 method_map=[("**.html", "jinja2"), ("**.webmanifest", "jinja2")]))]
    return {message for _, _, message, _, _ in found}


def test_every_message_of_the_code_has_a_french_translation():
    in_code = messages_in_code()
    assert len(in_code) > 200
    french = {m.id: m for m in catalog("fr/LC_MESSAGES/messages.po")}
    missing = sorted(id_ for id_ in in_code if id_ not in french or not french[id_].string or french[id_].fuzzy)
    assert missing == [], "messages without a French translation (abri translations update, then translate)"


def test_translations_keep_their_placeholders():
    for message in catalog("fr/LC_MESSAGES/messages.po"):
        assert sorted(PLACEHOLDER.findall(message.id)) == sorted(PLACEHOLDER.findall(message.string)), message.id


def test_the_compiled_catalog_matches_the_po_file():
    po = {m.id: m.string for m in catalog("fr/LC_MESSAGES/messages.po")}
    mo = {m.id: m.string for m in catalog("fr/LC_MESSAGES/messages.mo", read_mo)}
    assert mo == po, "run: abri translations compile"


def test_numbers_in_messages_are_written_the_french_way(app):
    from flask_babel import force_locale

    from server.errors import render_message

    with app.test_request_context(), force_locale("fr"):
        assert render_message("Doit être au plus %(limit)s.", {"limit": 12500}) == "Doit être au plus 12\u202f500."
    with app.test_request_context(), force_locale("en"):
        assert render_message("At most %(limit)s.", {"limit": 12500}) == "At most 12,500."
