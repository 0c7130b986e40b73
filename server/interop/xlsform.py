"""What the XLSForm export and import share: the sheets' columns, language columns, the report, the errors.

An XLSForm workbook (https://xlsform.org) has a `survey` sheet (one row per question, group or repeat),
a `choices` sheet (the options of each list) and a `settings` sheet. Each configured label language is
a column of its own: `label::Français (fr)`, `hint::English (en)`. Two columns pyxform ignores carry
what XLSForm cannot say, so a workbook Abri wrote comes back as the same forms: `abri_type` (the field
type, when the XLSForm type is ambiguous) and `abri_form` (the form a group or repeat stands for).
The export is server/interop/xlsform_export.py, the import xlsform_import.py, the expressions xpath.py.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError

from server.errors import Detail, Error, PayloadTooLarge, Unprocessable
from server.messages import Localized, _l, render
from server.rules import Rule

SURVEY, CHOICES, SETTINGS, REPORT_SHEET = "survey", "choices", "settings", "abri_report"
ABRI_TYPE, ABRI_FORM = "abri_type", "abri_form"
TICK_BOX_LIST = "abri_yes_no"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
OPTION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAX_NAME = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def language_name(code: str) -> str:
    """The name of a language in itself, as XLSForm columns write it: `Français (fr)`, `English (en)`."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (UnknownLocaleError, ValueError, TypeError):
        name = code
    return f"{name[:1].upper()}{name[1:]} ({code})"


def column(kind: str, code: str) -> str:
    """The column of a translatable property in a language: label::Français (fr)."""
    return f"{kind}::{language_name(code)}"


_CODE_IN_NAME = re.compile(r"\(([A-Za-z]{2,3}(?:[_-][A-Za-z]{2})?)\)\s*$")


@lru_cache(maxsize=256)  # asked for every cell of a language column
def language_of(name: str, languages: tuple[str, ...]) -> str | None:
    """The configured language an XLSForm language name stands for (`Français (fr)`, `French`, `fr`), or None."""
    text = name.strip()
    found = _CODE_IN_NAME.search(text)
    if found:
        code = found.group(1).replace("-", "_")
        return code if code in languages else None
    for code in languages:
        names = {code.lower()}
        for reader in ("en", code):
            try:
                names.add((Locale.parse(code).get_display_name(reader) or "").lower())
            except (UnknownLocaleError, ValueError, TypeError):
                pass
        if text.lower() in names:
            return code
    return None


def identifier(text: str, pattern: re.Pattern = NAME_PATTERN, lower: bool = True) -> str:
    """An Abri name made of `text`: accents removed, other characters as `_`, starting with a letter."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    plain = plain.lower() if lower else plain
    cleaned = re.sub(r"[^A-Za-z0-9_.-]" if pattern is OPTION_PATTERN else r"[^a-z0-9_]", "_", plain)
    cleaned = re.sub(r"_+", "_", cleaned).strip("_.-")[:MAX_NAME - 2]
    if not cleaned or not cleaned[0].isalpha():
        cleaned = ("f_" if pattern is NAME_PATTERN else "v") + cleaned
    return cleaned[:MAX_NAME]


# --- the report -------------------------------------------------------------------------------------

MAPPED, ADAPTED, NOT_MAPPED, RENAMED = "mapped", "adapted", "not_mapped", "renamed"


@dataclass
class Entry:
    """One line of a report: what (a form, field, list or option), and why, as a message template."""

    name: str
    reason: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self, locale: str | None) -> dict[str, Any]:
        return {"name": self.name, "message": render(self.reason, self.params, locale) if self.reason else ""}


@dataclass
class Report:
    """What an export or import mapped, adapted, renamed and could not map, by name."""

    entries: dict[str, list[Entry]] = field(default_factory=lambda: {MAPPED: [], ADAPTED: [], NOT_MAPPED: [],
                                                                      RENAMED: []})

    def add(self, status: str, name: str, template: Any = None, /, **params: Any) -> None:
        self.entries[status].append(Entry(name, template, params))

    def as_json(self, locale: str | None = None) -> dict[str, Any]:
        return {status: {"count": len(items), "items": [item.as_json(locale) for item in items]}
                for status, items in self.entries.items()}

    def lines(self, locale: str | None = None) -> list[str]:
        """The report as text lines (the command line's and the workbook's report sheet)."""
        titles = {MAPPED: _l("Mapped"), ADAPTED: _l("Adapted"), NOT_MAPPED: _l("Not mapped"), RENAMED: _l("Renamed")}
        lines = []
        for status, items in self.entries.items():
            lines.append(f"{render(titles[status], None, locale)}: {len(items)}")
            if status != MAPPED:
                lines += [f"  {item.name}: {render(item.reason, item.params, locale)}" for item in items]
        return lines


class Deferred(Localized):
    """A message with its parameters, as the parameter of another message: rendered in the reader's language."""

    __slots__ = ("template", "params")

    def __init__(self, template: Any, params: dict[str, Any] | None = None) -> None:
        super().__init__({})
        self.template, self.params = template, params or {}

    def text(self, locale: str | None) -> str:
        return render(self.template, self.params, locale)


def why(error: Any) -> Deferred:
    """The reason an Untranslatable error gives, for a report line."""
    return Deferred(error.reason, error.params)


# --- errors ---------------------------------------------------------------------------------------
# The catalogue's XLSForm errors (stable codes XLSFORM_INVALID, 422, and XLSFORM_TOO_LARGE, 413); each
# detail says, in the reader's language, what is wrong with this XLSForm workbook and where.


def problem(where: str, reason: Any, **params: Any) -> Detail:
    """One problem of a workbook: where (a sheet, a cell) and why."""
    return Detail.of(where, Rule.INVALID_REASON, reason=Deferred(reason, params))


def invalid(reason: Any, where: str = "file", **params: Any) -> Unprocessable:
    """The workbook cannot be read as an XLSForm (422): why, and where; nothing was changed."""
    return invalid_all([problem(where, reason, **params)])


def invalid_all(details: list[Detail]) -> Unprocessable:
    """Several problems of one workbook, each named (422); nothing was changed."""
    summary = problem("file", _l("The file is not an XLSForm workbook Abri can read (problems: %(count)s). Nothing "
                                 "was changed."), count=len(details))
    return Unprocessable(Error.XLSFORM_INVALID, details=[summary, *details])


def too_large(details: list[Detail]) -> PayloadTooLarge:
    """The workbook is past the reader's limits (413)."""
    summary = problem("file", _l("The XLSForm workbook is too large to read: split it into smaller forms."))
    return PayloadTooLarge(Error.XLSFORM_TOO_LARGE, details=[summary, *details])
