"""Cell values: localized labels, real dates, and text that can never become a formula or a link."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

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


def parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


def parse_datetime(value: Any) -> datetime | None:
    """Return a naive UTC datetime (spreadsheets have no time zones)."""
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
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\, not blank, not taken."""
    base = _FORBIDDEN_SHEET_CHARS.sub(" ", title).strip().strip("'") or "Sheet"
    name, counter = base[:SHEET_NAME_MAX], 2
    while name.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({counter})"
        name, counter = base[:SHEET_NAME_MAX - len(suffix)] + suffix, counter + 1
    taken.add(name)
    return name
