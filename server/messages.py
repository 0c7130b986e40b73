"""Messages a person reads: templates marked for translation, rendered in a language given by the caller.

Domain code marks a template with `_l("...")` (pybabel extracts the `_l` keyword: babel.cfg, `abri translations
extract`) and never chooses a language: whoever shows the message renders it with `render(template, params,
locale)` — the API in the request's language, the CLI in its own. No Flask here: the catalogs are read with
babel.support.Translations from translations/, and numbers are written as the language writes them.

`str(message)` (a message in a log line, a text a caller formats itself) is rendered in the ambient language: the
one the edge registers with `use_locale_source` (server/i18n.py: the request's), else English.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from babel import Locale, UnknownLocaleError
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parent
# As server.config.shipped_path finds it (config imports the error catalogue, which imports this module):
# an installed wheel's package data, else the source checkout's folder.
TRANSLATIONS_DIR = next((folder for folder in (_PACKAGE / "_shipped" / "translations", _PACKAGE.parent / "translations")
                         if folder.is_dir()), _PACKAGE.parent / "translations")
SOURCE_LOCALE = "en"  # the language the templates are written in

_locale_source: Callable[[], str | None] = lambda: None
_chosen: ContextVar[str | None] = ContextVar("abri_message_locale", default=None)


class Message:
    """A template marked for translation (its msgid), rendered when someone reads it."""

    __slots__ = ("msgid",)

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid

    def render(self, locale: str | None, params: Mapping[str, Any] | None = None) -> str:
        return render(self, params, locale)

    def __str__(self) -> str:
        return translate(self.msgid, ambient_locale())

    def __repr__(self) -> str:
        return f"_l({self.msgid!r})"

    def __html__(self) -> str:  # Jinja: a template marks it up as text
        return str(self)

    def __mod__(self, params: Any) -> str:
        return str(self) % params

    def __add__(self, other: Any) -> str:
        return str(self) + str(other)

    def __radd__(self, other: Any) -> str:
        return str(other) + str(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return self.msgid == other.msgid
        return str(self) == other if isinstance(other, str) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.msgid)

    def __lt__(self, other: Any) -> bool:  # sorted labels
        return str(self) < str(other)

    def __len__(self) -> int:
        return len(str(self))

    def __contains__(self, item: str) -> bool:
        return item in str(self)

    def __getattr__(self, name: str) -> Any:  # str methods (.format, .startswith, ...) on the rendered text
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(str(self), name)


class Localized:
    """A text the configuration gives in several languages ({"en": ..., "fr": ...}), as a message parameter."""

    __slots__ = ("texts",)

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.texts = dict(texts)

    def text(self, locale: str | None) -> str:
        return self.texts.get(locale or "") or next(iter(self.texts.values()), "")

    def __str__(self) -> str:
        return self.text(ambient_locale())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Localized) and self.texts == other.texts

    __hash__ = None  # type: ignore[assignment]


def _l(msgid: str) -> Message:
    """Mark a template for translation; it is rendered in the reader's language when shown."""
    return Message(msgid)


def use_locale_source(source: Callable[[], str | None]) -> None:
    """Let the edge say which language `str(message)` uses (the request's); the domain never asks."""
    global _locale_source
    _locale_source = source


def ambient_locale() -> str | None:
    return _chosen.get() or _locale_source()


@contextmanager
def in_locale(locale: str | None) -> Iterator[None]:
    """Render `str(message)` in `locale` inside the block (a file written in its reader's language)."""
    token = _chosen.set(locale)
    try:
        yield
    finally:
        _chosen.reset(token)


def knows_locale(locale: str | None) -> bool:
    """Tell whether Babel can format messages in `locale` (labels may be in any language: fon, ...)."""
    try:
        Locale.parse(locale)
        return True
    except (UnknownLocaleError, ValueError, TypeError):
        return False


def message_locale(locale: str | None, default: str) -> str:
    """The language for messages: `locale` when Babel can format it, else `default`."""
    return locale if locale and knows_locale(locale) else default


@lru_cache(maxsize=32)
def catalog(locale: str | None) -> NullTranslations:
    """The compiled catalog of a language (English, and languages without one, keep the templates)."""
    if not locale or locale == SOURCE_LOCALE:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def translate(msgid: str, locale: str | None) -> str:
    return catalog(str(locale) if locale else None).gettext(msgid)


def render(template: Any, params: Mapping[str, Any] | None = None, locale: str | None = None) -> str:
    """The template in `locale` (the ambient language when None) with its placeholders filled.

    Parameters that are messages themselves (a kind of document, "(not set)") and texts of the configuration
    (Localized: a field's hint) are rendered in the same language;
    numbers are written as the language writes them (12 500 in French, 12,500 in English; as they are when no
    language is known).
    """
    locale = locale if locale is not None else ambient_locale()
    text = translate(template.msgid, locale) if isinstance(template, Message) else str(template)
    if not params:
        return text
    try:
        return text % {name: _localized(value, locale) for name, value in params.items()}
    except (KeyError, TypeError, ValueError):
        log.warning("message %r does not fit its parameters %s", text, sorted(params))  # names: a value may be data
        return text


def _localized(value: Any, locale: str | None) -> Any:
    if isinstance(value, Message):
        return translate(value.msgid, locale)
    if isinstance(value, Localized):
        return value.text(locale)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and locale:
        try:
            return format_decimal(value, locale=_number_locale(locale))
        except ArithmeticError:  # beyond Babel's 28 digits (a huge number a client sent): written as is
            return value
    return value


@lru_cache(maxsize=32)
def _number_locale(locale: str | None) -> str:
    """A language Babel can format numbers in: `locale`, else English."""
    return message_locale(locale, SOURCE_LOCALE)
