"""Reading a Primero v2 configuration file: the bytes checked as JSON of the expected shape, texts, identifiers.

A file is refused whole, before anything is converted, when it cannot be trusted to be a configuration: not
UTF-8, not JSON, numbers JSON cannot hold (NaN), keys a MongoDB query could read as an operator (`$...`,
`a.b`), NUL characters, unpaired surrogates, nesting past 32 levels, more than MAX_FILE_BYTES or more
elements than MAX_ITEMS. What is only odd (a name Abri does not accept, a translation in a language
code it cannot hold) is converted and reported instead.
"""
from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable

from server.errors import Detail, PayloadTooLarge, Unprocessable
from server.messages import Localized, _l, render
from server.rules import Rule

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 32
MAX_ITEMS = {"forms": 2000, "lookups": 5000, "roles": 500, "modules": 100, "locations": 100_000}
MAX_TEXT = 2000  # characters of one label (the i18n meta-schema's limit)
LISTS = ("forms", "lookups", "roles", "modules", "locations")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
_SURROGATE = re.compile("[\ud800-\udfff]")


class PrimeroFileInvalid(Unprocessable):
    """The file is not a Primero configuration Abri can read."""

    code = "DOCUMENT_INVALID"
    message = _l("The file is not a Primero configuration: %(reason)s")


class PrimeroFileTooLarge(PayloadTooLarge):
    """The file is larger than a configuration Abri reads."""

    code = "PAYLOAD_TOO_LARGE"
    message = _l("The Primero configuration is larger than %(limit)s bytes.")


REASONS = {
    "encoding": _l("it is not UTF-8 text."),
    "json": _l("it is not valid JSON (line %(line)s, column %(column)s)."),
    "number": _l("it holds a number JSON cannot carry (%(value)s)."),
    "top": _l("the top level must be an object with the lists forms, lookups, roles, modules and locations."),
    "list": _l("%(name)s must be a list of objects."),
    "empty": _l("it holds none of the lists forms, lookups, roles, modules and locations."),
    "too_many": _l("%(name)s holds more than %(limit)s elements."),
    "key": _l("the key %(key)s at %(path)s starts with $ or holds a dot."),
    "nul": _l("the text at %(path)s holds a NUL character."),
    "surrogate": _l("the text at %(path)s holds broken Unicode (an unpaired surrogate)."),
    "depth": _l("it is nested deeper than %(limit)s levels."),
}


def invalid(reason: str, **params: Any) -> PrimeroFileInvalid:
    """The refusal, with one detail naming where in the file (the path, else the file) and why."""
    why = _Reason(reason, params)
    return PrimeroFileInvalid(reason=why, details=[Detail.of(params.get("path") or "file", Rule.INVALID_REASON,
                                                             reason=why)])


class _Reason(Localized):
    """Why a file is refused, rendered in the language of the message that holds it (as a configuration text is)."""

    __slots__ = ("code", "params")

    def __init__(self, code: str, params: dict[str, Any]) -> None:
        super().__init__({})
        self.code, self.params = code, params

    def text(self, locale: str | None) -> str:
        return render(REASONS[self.code], self.params, locale)


def _refuse_constant(value: str) -> Any:
    raise invalid("number", value=value)


def read_file(data: bytes | str) -> dict[str, Any]:
    """Parse and check a Primero configuration file: {list name: [objects]} for the lists it has."""
    if len(data) > MAX_FILE_BYTES:
        raise PrimeroFileTooLarge(limit=MAX_FILE_BYTES)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise invalid("encoding") from None
    try:
        source = json.loads(data, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise invalid("json", line=error.lineno, column=error.colno) from None
    except RecursionError:
        raise invalid("depth", limit=MAX_DEPTH) from None
    if not isinstance(source, dict):
        raise invalid("top")
    _check_values(source, "", 0)
    return _lists(source)


def _check_values(value: Any, path: str, depth: int) -> None:
    """Refuse what no document may hold: operator keys, NUL, unpaired surrogates, huge numbers, deep nesting."""
    if depth > MAX_DEPTH:
        raise invalid("depth", limit=MAX_DEPTH)
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$") or "." in key:
                raise invalid("key", key=key[:100], path=path or "/")
            _check_text(key, path)
            _check_values(item, f"{path}/{key[:100]}", depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_values(item, f"{path}/{index}", depth + 1)
    elif isinstance(value, str):
        _check_text(value, path)
    elif isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**63:
        raise invalid("number", value=str(value)[:30])
    elif isinstance(value, float) and not math.isfinite(value):  # 1e400 reads as infinity
        raise invalid("number", value=str(value)[:30])


def _check_text(text: str, path: str) -> None:
    if "\x00" in text:
        raise invalid("nul", path=path or "/")
    if _SURROGATE.search(text):
        raise invalid("surrogate", path=path or "/")


def _lists(source: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found = {}
    for name in LISTS:
        items = source.get(name)
        if items is None:
            continue
        if not isinstance(items, list):
            raise invalid("list", name=name)
        if len(items) > MAX_ITEMS[name]:
            raise invalid("too_many", name=name, limit=MAX_ITEMS[name])
        found[name] = items
    if not found:
        raise invalid("empty")
    return found


# --- texts --------------------------------------------------------------------------------------


def language_code(raw: str) -> str | None:
    """Primero's locale (en, fr, ar-LB) as an Abri language code (ar_LB), or None when it cannot be one."""
    parts = raw.replace("-", "_").split("_")
    code = parts[0].lower() + ("_" + parts[1].upper() if len(parts) == 2 else "")
    return code if len(parts) <= 2 and _LANGUAGE.match(code) else None


def texts(source: dict[str, Any], key: str) -> dict[str, str]:
    """A label in every language: `key_i18n` ({"en": ..}) and the flattened `key_en`, `key_fr`, ... merged."""
    found: dict[str, str] = {}
    candidates = list((source.get(f"{key}_i18n") or {}).items()) if isinstance(source.get(f"{key}_i18n"), dict) else []
    if isinstance(source.get(key), dict):  # Primero's API answers {"display_name": {"en": ...}}
        candidates += list(source[key].items())
    prefix = key + "_"
    candidates += [(name[len(prefix):], value) for name, value in source.items()
                   if name.startswith(prefix) and name != f"{key}_i18n"]
    for raw, text in candidates:
        language = language_code(raw) if isinstance(raw, str) else None
        if language and isinstance(text, str) and text.strip() and language not in found:
            found[language] = text.strip()[:MAX_TEXT]
    return found


def option_lists(source: dict[str, Any], key: str) -> list[tuple[str, dict[str, str], bool]]:
    """(id, texts, disabled) of an option list: `key_i18n` [{id, display_text: {..}}] or `key_en` [{id, display_text}].

    The lists of every language are merged by option id, in the order the options first appear."""
    merged: dict[str, tuple[dict[str, str], bool]] = {}
    order: list[str] = []

    def add(option: Any, language: str | None) -> None:
        raw_id = option.get("id") if isinstance(option, dict) else None
        if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool):
            return
        value_id = str(option["id"])
        if value_id not in merged:
            merged[value_id] = ({}, bool(option.get("disabled")))
            order.append(value_id)
        shown = option.get("display_text")
        pairs = shown.items() if isinstance(shown, dict) else [(language, shown)] if language else []
        for raw, text in pairs:
            code = language_code(raw) if isinstance(raw, str) else None
            if code and isinstance(text, str) and text.strip():
                merged[value_id][0].setdefault(code, text.strip()[:MAX_TEXT])

    for option in _as_list(source.get(f"{key}_i18n")) + _as_list(source.get(key)):
        add(option, None)
    prefix = key + "_"
    for name, options in source.items():
        if name.startswith(prefix) and name != f"{key}_i18n":
            for option in _as_list(options):
                add(option, name[len(prefix):])
    return [(value_id, *merged[value_id]) for value_id in order]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def label(found: dict[str, str], default_language: str, fallback: str) -> tuple[dict[str, str], bool]:
    """An i18n map with the default language filled (from `fallback` when missing); whether it was missing."""
    if found.get(default_language):
        return found, False
    return {**found, default_language: fallback[:MAX_TEXT]}, True


# --- identifiers --------------------------------------------------------------------------------


def snake_name(raw: Any, fallback: str = "field") -> str:
    """A name of Abri's rule ^[a-z][a-z0-9_]*$ (at most 100 characters) made from Primero's."""
    text = re.sub(r"[^a-z0-9_]+", "_", str(raw).lower()).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text or not text[0].isalpha():
        text = f"{fallback}_{text}".rstrip("_")
    return text[:100]


def dashed_id(raw: Any, prefix: str) -> str:
    """An id of the rule ^<prefix>[a-z0-9][a-z0-9_-]*$ (lookup-, role-, or a module's) made from Primero's."""
    text = re.sub(r"[^a-z0-9_-]+", "-", str(raw).lower()).strip("-_")
    if prefix and text.startswith(prefix):
        text = text[len(prefix):].strip("-_")
    text = text or "imported"
    return (prefix + text)[:100]


def option_id(raw: Any) -> str:
    """An option id of the rule ^[A-Za-z0-9][A-Za-z0-9_.-]*$ made from Primero's."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(raw)).lstrip("_.-")
    return (text or "option")[:100]


def location_code(raw: Any) -> str:
    """A place code of the rule ^[A-Z0-9][A-Z0-9_-]*$ made from Primero's."""
    text = re.sub(r"[^A-Z0-9_-]+", "-", str(raw).upper()).lstrip("_-")
    return text[:50]


def unique(name: str, taken: set[str]) -> str:
    """`name`, or name_2, name_3 ... when it is taken; the result is added to `taken`."""
    candidate, number = name, 2
    while candidate in taken:
        suffix = f"_{number}"
        candidate, number = name[:100 - len(suffix)] + suffix, number + 1
    taken.add(candidate)
    return candidate


def strings(value: Any) -> Iterable[str]:
    """The strings of a list (a lone string is a list of one)."""
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
