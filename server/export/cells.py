"""Cell values: localized labels, real dates, and text that can never become a formula or a link.

Dates and times read the same in every format: a date is `YYYY-MM-DD`, a date-time is in UTC to the
second, `YYYY-MM-DDThh:mm:ssZ` (ISO 8601). json and csv hold that text; xlsx holds real Excel dates
whose number format shows the same text.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from server.metadata.field_types import DATE_CELL, type_of

MAX_CELL = 32_767
TRUNCATION_MARK = " […]"
SHEET_NAME_MAX = 31
_FORBIDDEN_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
# A cell that starts with one of these (after whitespace or control characters) could be run by a
# spreadsheet as a formula or a DDE command.
_DANGEROUS_START = re.compile(r"^[\s\x00-\x1f]*[=+\-@\t\r]")


def neutralize(text: str) -> str:
    """Prefix a quote to text a spreadsheet would read as a formula (CSV; xlsx stores text as text)."""
    return "'" + text if _DANGEROUS_START.match(text) or text[:1] in ("\t", "\r") else text


def truncate(text: str) -> str:
    """Keep a cell under Excel's limit, with a visible mark where text was cut."""
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - len(TRUNCATION_MARK)] + TRUNCATION_MARK


DATE_NUMBER_FORMAT = "yyyy-mm-dd"
DATETIME_NUMBER_FORMAT = 'yyyy-mm-dd"T"hh:mm:ss"Z"'
EXCEL_FIRST_YEAR = 1900  # Excel's dates start on 1900-01-01; earlier ones are written as text


def date_text(value: date) -> str:
    """A date, or a naive UTC date-time, as every export format writes it."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat()


DATETIME_CELL = "datetime"


def date_kind(field: dict[str, Any]) -> str | None:
    """"date" or "datetime" when the field's cells hold dates, else None."""
    kind = cell_kind(field)
    return kind if kind in (DATE_CELL, DATETIME_CELL) else None


def cell_kind(field: dict[str, Any]) -> str:
    """The cell an export writes for a field, from the field-type registry (text, number, yes_no, option, date,
    tally, place, count, rows, none); a date field that includes the time gives "datetime"."""
    kind = type_of(field).cell
    return DATETIME_CELL if kind == DATE_CELL and field.get("date_include_time") else kind


def parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def parse_datetime(value: Any) -> datetime | None:
    """Return a naive UTC datetime to the second (spreadsheets have no time zones; exports show seconds)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            return None
    return parsed.replace(microsecond=0)


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\, not blank, not taken."""
    base = _FORBIDDEN_SHEET_CHARS.sub(" ", title).strip().strip("'") or "Sheet"
    name, counter = base[:SHEET_NAME_MAX], 2
    while name.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({counter})"
        name, counter = base[:SHEET_NAME_MAX - len(suffix)] + suffix, counter + 1
    taken.add(name)
    return name
