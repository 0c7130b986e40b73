"""Import a location hierarchy from a CSV file with HXL hashtags, as Primero and humanitarian data sets use.

    Département,Code département,Commune,Code commune          <- a header row (free text)
    #adm1+name,#adm1+code,#adm2+name+i_fr,#adm2+code           <- the HXL row: which column is what
    Alibori,BJ-AL,Banikoara,BJ-AL-BAN                         <- one row per place of the lowest level

`+i_<language>` gives the language of a name (the default language otherwise). Every problem is
reported with its row number, and nothing is applied if any row fails.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any

from flask_babel import lazy_gettext as _l

from server.errors import Detail, Unprocessable

_TAG = re.compile(r"^#adm(\d)\+(code|name)((?:\+[a-z_]+)*)$")


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


def parse_hxl_csv(text: str, default_language: str, root: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Return the places described by the CSV (the root place, if given, first)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    hxl_row = next((i for i, row in enumerate(rows[:5]) if any(cell.strip().startswith("#") for cell in row)), None)
    if hxl_row is None:
        raise Unprocessable(_l("The file has no HXL hashtag row (#adm1+code, #adm1+name, ...)."), code="CSV_INVALID",
                            details=[Detail("row 1", "hxl", _l("Add a row of HXL hashtags under the header."))])
    levels = _columns(rows[hxl_row], default_language)
    details = [Detail(f"row {hxl_row + 1}", "hxl", _l("Admin level %(level)s has no code column."), {"level": level})
               for level, entry in levels.items() if entry["code"] is None]
    places: dict[str, dict[str, Any]] = {}
    if root:
        places[root["code"]] = root
    for number, row in enumerate(rows[hxl_row + 1:], start=hxl_row + 2):
        if not any(cell.strip() for cell in row):
            continue
        parent = root["code"] if root else None
        for level in sorted(levels):
            entry = levels[level]
            if entry["code"] is None:
                continue
            code = row[entry["code"]].strip() if entry["code"] < len(row) else ""
            names = {lang: row[col].strip() for lang, col in entry["names"].items() if col < len(row) and row[col].strip()}
            if not code:
                details.append(Detail(f"row {number}", "required", _l("Row %(row)s: the admin level %(level)s code is empty."),
                                      {"row": number, "level": level}))
                break
            if not re.match(r"^[A-Z0-9][A-Z0-9_-]*$", code):
                details.append(Detail(f"row {number}", "pattern", _l("Row %(row)s: %(code)s is not a valid code (A-Z, 0-9, - and _)."),
                                      {"row": number, "code": code}))
                break
            place = {"code": code, "admin_level": level, "name_i18n": names, "parent_code": parent}
            known = places.get(code)
            if known and (known["admin_level"] != level or known.get("parent_code") != parent):
                details.append(Detail(f"row {number}", "conflict", _l("Row %(row)s: %(code)s already appears with another level or parent."),
                                      {"row": number, "code": code}))
                break
            if known:
                known["name_i18n"].update(names)
            else:
                if default_language not in names:
                    details.append(Detail(f"row {number}", "required", _l("Row %(row)s: %(code)s has no name in %(language)s."),
                                          {"row": number, "code": code, "language": default_language}))
                    break
                places[code] = place
            parent = code
    if details:
        raise Unprocessable(_l("Rows refused: %(count)s. Nothing was changed."), code="CSV_INVALID", details=details,
                            count=len(details))
    return [{k: v for k, v in place.items() if v is not None} for place in places.values()]


def import_csv(db, unique_id: str, text: str, languages, user: str, now) -> dict[str, Any]:
    """Replace the places of a hierarchy of the draft with those of a CSV (the country place is kept)."""
    from server.metadata import draft as drafts

    entry = drafts.get_document(db, "location", unique_id)
    root = next((dict(p) for p in entry["body"]["locations"] if p["admin_level"] == 0), None)
    places = parse_hxl_csv(text, languages.default, root)
    return drafts.modify_document(db, "location", unique_id, lambda body: {**body, "locations": places}, None,
                                  languages, user, now)
