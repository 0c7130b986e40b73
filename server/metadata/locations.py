"""Import a location hierarchy from a CSV file with HXL hashtags, as Primero and humanitarian data sets use.

    Département,Code département,Commune,Code commune          <- a header row (free text)
    #adm1+name,#adm1+code,#adm2+name+i_fr,#adm2+code           <- the HXL row: which column is what
    Alibori,BJ-AL,Banikoara,BJ-AL-BAN                         <- one row per place of the lowest level

`+i_<language>` gives the language of a name (the default language otherwise). Every problem is
reported with its row number (the first MAX_DETAILS of them), and nothing is applied if any row fails.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any

from flask_babel import lazy_gettext as _l

from server.errors import Detail, PayloadTooLarge, Unprocessable

_TAG = re.compile(r"^#adm(\d)\+(code|name)((?:\+[a-z_]+)*)$")
MAX_ROWS = 50_000  # rows of one file (one row per place of the lowest level)
MAX_COLUMNS = 100
MAX_CELL_LENGTH = 500  # characters of one cell: a code or a name
MAX_DETAILS = 100  # problems listed in one answer (the count covers them all)


def _columns(tags: list[str], default_language: str) -> dict[int, dict[str, Any]]:
    """{level: {"code": column, "names": {language: column}}} from the HXL row."""
    levels: dict[int, dict[str, Any]] = {}
    for index, tag in enumerate(tags):
        match = _TAG.match(tag.strip().lower().replace(" ", ""))
        if not match:
            continue
        level, kind, attributes = int(match.group(1)), match.group(2), match.group(3)
        entry = levels.setdefault(level, {"code": None, "names": {}})
        if kind == "code":
            entry["code"] = index
        else:
            language = next((a[2:] for a in attributes.split("+") if a.startswith("i_")), default_language)
            entry["names"][language] = index
    return levels


def _rows(text: str):
    """Yield (row number, cells), one row at a time; refuse rows and cells beyond the limits."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    number = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a cell beyond the csv module's own limit (128 KiB)
            raise _row_refused(number, "max_length", _l("Row %(row)s: a cell is longer than %(limit)s characters."),
                               limit=MAX_CELL_LENGTH) from None
        if number > MAX_ROWS:
            raise PayloadTooLarge(_l("The file has more than %(limit)s rows; split it."), code="CSV_TOO_LARGE",
                                  details=[Detail(f"row {number}", "max_rows", _l("Too many rows."))],
                                  limit=MAX_ROWS)
        if len(row) > MAX_COLUMNS:
            raise _row_refused(number, "max_columns", _l("Row %(row)s has more than %(limit)s columns."),
                               limit=MAX_COLUMNS)
        for cell in row:
            if len(cell) > MAX_CELL_LENGTH:
                raise _row_refused(number, "max_length", _l("Row %(row)s: a cell is longer than %(limit)s characters."),
                                   limit=MAX_CELL_LENGTH)
            if "\x00" in cell:
                raise _row_refused(number, "nul", _l("Row %(row)s: a cell contains the NUL character."))
        yield number, row


def _row_refused(number: int, code: str, message: Any, **params: Any) -> Unprocessable:
    return Unprocessable(_l("Rows refused: %(count)s. Nothing was changed."), code="CSV_INVALID",
                         details=[Detail(f"row {number}", code, message, {"row": number, **params})], count=1)


def parse_hxl_csv(text: str, default_language: str, root: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the places described by the CSV (the root place, if given, first).

    The file is read one row at a time and refused past MAX_ROWS rows, MAX_COLUMNS columns or
    MAX_CELL_LENGTH characters in a cell, so its size bounds the memory it takes.
    """
    rows = _rows(text)
    head = []
    for number, row in rows:
        head.append(row)
        if any(cell.strip().startswith("#") for cell in row) or len(head) == 5:
            break
    hxl_row = len(head) - 1 if head and any(cell.strip().startswith("#") for cell in head[-1]) else None
    if hxl_row is None:
        raise Unprocessable(_l("The file has no HXL hashtag row (#adm1+code, #adm1+name, ...)."), code="CSV_INVALID",
                            details=[Detail("row 1", "hxl", _l("Add a row of HXL hashtags under the header."))])
    levels = _columns(head[hxl_row], default_language)
    details = [Detail(f"row {hxl_row + 1}", "hxl", _l("Admin level %(level)s has no code column."), {"level": level})
               for level, entry in levels.items() if entry["code"] is None]
    count = len(details)
    places: dict[str, dict[str, Any]] = {}
    if root:
        places[root["code"]] = root
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        problem = _add_places(places, levels, row, number, default_language, root)
        if problem:
            count += 1
            if len(details) < MAX_DETAILS:
                details.append(problem)
    if count:
        raise Unprocessable(_l("Rows refused: %(count)s. Nothing was changed."), code="CSV_INVALID", details=details,
                            count=count)
    return [{k: v for k, v in place.items() if v is not None} for place in places.values()]


def _add_places(places: dict[str, dict[str, Any]], levels: dict[int, dict[str, Any]], row: list[str], number: int,
                default_language: str, root: dict[str, Any] | None) -> Detail | None:
    """Add the places of one row (one per admin level); return the row's first problem, if any."""
    parent = root["code"] if root else None
    for level in sorted(levels):
        entry = levels[level]
        if entry["code"] is None:
            continue
        code = row[entry["code"]].strip() if entry["code"] < len(row) else ""
        names = {lang: row[col].strip() for lang, col in entry["names"].items() if col < len(row) and row[col].strip()}
        if not code:
            return Detail(f"row {number}", "required", _l("Row %(row)s: the admin level %(level)s code is empty."),
                          {"row": number, "level": level})
        if not re.match(r"^[A-Z0-9][A-Z0-9_-]*$", code):
            return Detail(f"row {number}", "pattern", _l("Row %(row)s: %(code)s is not a valid code (A-Z, 0-9, - and _)."),
                          {"row": number, "code": code})
        place = {"code": code, "admin_level": level, "name_i18n": names, "parent_code": parent}
        known = places.get(code)
        if known and (known["admin_level"] != level or known.get("parent_code") != parent):
            return Detail(f"row {number}", "conflict", _l("Row %(row)s: %(code)s already appears with another level or parent."),
                          {"row": number, "code": code})
        if known:
            known["name_i18n"].update(names)
        else:
            if default_language not in names:
                return Detail(f"row {number}", "required", _l("Row %(row)s: %(code)s has no name in %(language)s."),
                              {"row": number, "code": code, "language": default_language})
            places[code] = place
        parent = code
    return None


def import_csv(db, unique_id: str, text: str, languages, user: str, now) -> dict[str, Any]:
    """Replace the places of a hierarchy of the draft with those of a CSV (the country place is kept)."""
    from server.metadata import draft as drafts

    entry = drafts.get_document(db, "location", unique_id)
    root = next((dict(p) for p in entry["body"]["locations"] if p["admin_level"] == 0), None)
    places = parse_hxl_csv(text, languages.default, root)
    return drafts.modify_document(db, "location", unique_id, lambda body: {**body, "locations": places}, None,
                                  languages, user, now)
