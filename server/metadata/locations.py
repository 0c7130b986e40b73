"""Import a location hierarchy from a CSV file with HXL hashtags, as Primero and humanitarian data sets use.

    Département,Code département,Commune,Code commune          <- a header row (free text)
    #adm1+name,#adm1+code,#adm2+name+i_fr,#adm2+code           <- the HXL row: which column is what
    Alibori,BJ-AL,Banikoara,BJ-AL-BAN                         <- one row per place of the lowest level

`+i_<language>` gives the language of a name (the default language otherwise). Every problem is
reported with its row number (the first MAX_DETAILS of them), and nothing is applied if any row fails.

A code names one place: a code repeated for another place (at the lowest level, with another parent
or level, or with another name) is refused, as is a code of another hierarchy of the draft. Codes are
taken as written (A-Z, 0-9, - and _): `bj-al` or a full-width `ＢＪ` is refused, never turned into
`BJ-AL`, because records store codes as they are. Names are stored in Unicode NFC, so an accented
name typed with combining accents is the same name. Places that disappear and that records hold
are listed with their record counts and removed only when the administrator confirms; records keep
their codes either way (nothing in a record changes).
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import datetime
from typing import Any, Iterable, Iterator

from server.errors import Conflict, Detail, Error, PayloadTooLarge, Unprocessable
from server.metadata import draft as drafts
from server.metadata.configuration import Configuration
from server.metadata.documents import LOCATION, RECORD_TYPES
from server.metadata.usage import count_uses, value_paths
from server.metadata.versions import LanguageSettings, published_configuration, update_field_registry
from server.rules import Rule
from server.storage import Database, metadata as metadata_store

_TAG = re.compile(r"#adm(\d)\+(code|name)((?:\+[a-z_]+)*)", re.ASCII)
_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]*", re.ASCII)
MAX_ROWS = 50_000  # rows of one file (one row per place of the lowest level)
MAX_COLUMNS = 100
MAX_CELL_LENGTH = 500  # characters of one cell: a code or a name
MAX_CODE_LENGTH = 50  # as the location meta-schema
MAX_FILE_BYTES = 64 * 1024 * 1024  # a file given to the command line (the API stops at ABRI_MAX_CONTENT_LENGTH)
MAX_DETAILS = 100  # problems listed in one answer (the count covers them all)
# Control characters (Unicode category Cc) and the bidirectional overrides and isolates that make a
# name display as another one.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _columns(tags: list[str], default_language: str) -> dict[int, dict[str, Any]]:
    """{level: {"code": column, "names": {language: column}}} from the HXL row."""
    levels: dict[int, dict[str, Any]] = {}
    for index, tag in enumerate(tags):
        match = _TAG.fullmatch(tag.strip().lower().replace(" ", ""))
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


def decode_csv(data: bytes | str) -> str:
    """Return the text of a CSV file: UTF-8, with or without a byte order mark; other bytes are refused by row."""
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(Error.CSV_TOO_LARGE, limit=MAX_FILE_BYTES)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = data[:error.start].count(b"\n") + 1
        raise _row_refused(row, Rule.CSV_ENCODING) from None


def _cell_problem(number: int, cell: str) -> Unprocessable | None:
    if len(cell) > MAX_CELL_LENGTH:
        return _row_refused(number, Rule.CELL_TOO_LONG, limit=MAX_CELL_LENGTH)
    if "\x00" in cell:
        return _row_refused(number, Rule.CELL_NUL)
    if _CONTROL.search(cell):
        return _row_refused(number, Rule.CELL_CONTROL)
    return None


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
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
            raise _row_refused(number, Rule.CELL_TOO_LONG, limit=MAX_CELL_LENGTH) from None
        if number > MAX_ROWS:
            raise PayloadTooLarge(Error.CSV_TOO_MANY_ROWS, details=[Detail.of(f"row {number}", Rule.CSV_MAX_ROWS)],
                                  limit=MAX_ROWS)
        if len(row) > MAX_COLUMNS:
            raise _row_refused(number, Rule.CSV_MAX_COLUMNS, limit=MAX_COLUMNS)
        for cell in row:
            problem = _cell_problem(number, cell)
            if problem:
                raise problem
        yield number, row


def _row_refused(number: int, rule: Rule, **params: Any) -> Unprocessable:
    return Unprocessable(Error.CSV_ROWS_REFUSED, details=[Detail.of(f"row {number}", rule, row=number, **params)],
                         count=1)


def parse_hxl_csv(text: str, default_language: str, root: dict[str, Any] | None,
                  kept: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Return the places described by the CSV (the root place, if given, first).

    The file is read one row at a time and refused past MAX_ROWS rows, MAX_COLUMNS columns or
    MAX_CELL_LENGTH characters in a cell, so its size bounds the memory it takes. `kept` maps the
    codes of the other hierarchies to their ids: the file may not reuse them.
    """
    rows = _rows(text)
    head = []
    for number, row in rows:
        head.append(row)
        if any(cell.strip().startswith("#") for cell in row) or len(head) == 5:
            break
    hxl_row = len(head) - 1 if head and any(cell.strip().startswith("#") for cell in head[-1]) else None
    if hxl_row is None:
        raise Unprocessable(Error.CSV_NO_HASHTAGS, details=[Detail.of("row 1", Rule.HXL_ROW)])
    levels = _columns(head[hxl_row], default_language)
    details = [Detail.of(f"row {hxl_row + 1}", Rule.HXL_CODE_COLUMN, level=level)
               for level, entry in levels.items() if entry["code"] is None]
    count = len(details)
    places: dict[str, dict[str, Any]] = {}
    if root:
        places[root["code"]] = {**root, "_row": None}
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        problem = _add_places(places, levels, row, number, default_language, root, kept or {})
        if problem:
            count += 1
            if len(details) < MAX_DETAILS:
                details.append(problem)
    if count:
        raise Unprocessable(Error.CSV_ROWS_REFUSED, details=details, count=count)
    return [{k: v for k, v in place.items() if v is not None and not k.startswith("_")} for place in places.values()]


def _code_problem(code: str, number: int, level: int, root: dict[str, Any] | None,
                  kept: dict[str, str]) -> Detail | None:
    """The problem of one code cell on its own: empty, not a code, not the country, another hierarchy's."""
    row = {"row": number, "code": code}
    if not code:
        return Detail.of(f"row {number}", Rule.PLACE_CODE_MISSING, row=number, level=level)
    if len(code) > MAX_CODE_LENGTH or not _CODE.fullmatch(code):
        return Detail.of(f"row {number}", Rule.PLACE_CODE, **row, limit=MAX_CODE_LENGTH)
    if level == 0 and root and code != root["code"]:
        return Detail.of(f"row {number}", Rule.PLACE_ROOT, **row, root=root["code"])
    if code in kept:
        return Detail.of(f"row {number}", Rule.PLACE_EXISTS, **row, hierarchy=kept[code])
    return None


def _add_places(places: dict[str, dict[str, Any]], levels: dict[int, dict[str, Any]], row: list[str], number: int,
                default_language: str, root: dict[str, Any] | None, kept: dict[str, str]) -> Detail | None:
    """Add the places of one row (one per admin level); return the row's first problem, if any."""
    parent = None
    lowest = max((level for level, entry in levels.items() if entry["code"] is not None), default=None)
    for level in sorted(levels):
        entry = levels[level]
        if entry["code"] is None:
            continue
        code = row[entry["code"]].strip() if entry["code"] < len(row) else ""
        problem = _code_problem(code, number, level, root, kept)
        if problem:
            return problem
        if level == 0 and root:  # the country is kept as it is
            parent = code
            continue
        parent = parent if parent is not None else (root["code"] if root else None)
        names = {lang: unicodedata.normalize("NFC", row[col].strip()) for lang, col in entry["names"].items()
                 if col < len(row) and row[col].strip()}
        problem = _merge_place(places, code, level, parent, names, number, level == lowest, default_language)
        if problem:
            return problem
        parent = code
    return None


def _merge_place(places: dict[str, dict[str, Any]], code: str, level: int, parent: str | None,
                 names: dict[str, str], number: int, own: bool, default_language: str) -> Detail | None:
    """Add a place, or check that a code seen before names the same place (`own`: the row's lowest level)."""
    row = {"row": number, "code": code}
    known = places.get(code)
    if known is None:
        if default_language not in names:
            return Detail.of(f"row {number}", Rule.PLACE_NAME_MISSING, **row, language=default_language)
        places[code] = {"code": code, "admin_level": level, "name_i18n": names, "parent_code": parent,
                        "_row": number, "_own": own}
        return None
    first = {"first": known["_row"]} if known["_row"] else {"first": "-"}
    if known["admin_level"] != level or known.get("parent_code") != parent:
        return Detail.of(f"row {number}", Rule.PLACE_CONFLICT, **row)
    if own and known.get("_own"):
        return Detail.of(f"row {number}", Rule.PLACE_CODE_REPEATED, **row, **first)
    for language, name in names.items():
        if known["name_i18n"].get(language, name) != name:
            return Detail.of(f"row {number}", Rule.PLACE_NAME_CONFLICT, **row, **first,
                             name=known["name_i18n"][language])
    known["name_i18n"].update(names)
    return None


def _hierarchy_places(config: Configuration, unique_id: str) -> dict[str, dict[str, Any]]:
    hierarchy = config.documents_by_kind[LOCATION].get(unique_id) or {"locations": []}
    return {place["code"]: place for place in hierarchy["locations"]}


def location_paths(db: Database, *configs: Configuration) -> dict[str, set[str]]:
    """Where records may hold a place's code: location fields now, in the draft, or published once and removed."""
    paths = value_paths(configs, lambda field: field["type"] == "location")
    update_field_registry(db)
    for record_type in RECORD_TYPES:
        for name, field in metadata_store.published_fields(db, record_type).items():
            if field.get("type") == "location":
                paths[record_type].add(f"data.{name}")
    return paths


def places_in_use(db: Database, places: dict[str, dict[str, Any]], codes: Iterable[str], default_language: str,
                  *configs: Configuration) -> list[dict[str, Any]]:
    """[{code, name, records: {record type: count}}] of the codes some record holds, in code order."""
    uses = count_uses(db, location_paths(db, *configs), list(codes))
    return [{"code": code, "name": places[code]["name_i18n"].get(default_language) or code,
             "records": {record_type: uses[code][record_type] for record_type in RECORD_TYPES}}
            for code in sorted(uses)]


def _in_use_refused(in_use: list[dict[str, Any]]) -> Conflict:
    details = [Detail.of(place["code"], Rule.PLACE_IN_USE, code=place["code"], name=place["name"],
                         total=sum(place["records"].values()), **place["records"])
               for place in in_use[:MAX_DETAILS]]
    return Conflict(Error.LOCATIONS_IN_USE, details=details, count=len(in_use))


def import_csv(db: Database, unique_id: str, data: bytes | str, languages: LanguageSettings, user: str,
               now: datetime, confirm: bool = False) -> dict[str, Any]:
    """Replace the places of a hierarchy of the draft with those of a CSV (the country place is kept).

    Returns {"entry": the draft entry, "removed": codes gone, "removed_in_use": places gone that
    records hold}. Without `confirm`, removing a place that records hold is refused (409
    LOCATIONS_IN_USE, one detail per place with its record counts) and nothing changes.
    """
    entry = drafts.get_document(db, LOCATION, unique_id)
    draft, published = drafts.draft_configuration(db), published_configuration(db)
    kept = {code: uid for uid, hierarchy in sorted(draft.documents_by_kind[LOCATION].items()) if uid != unique_id
            for code in (place["code"] for place in hierarchy["locations"])}
    root = next((dict(p) for p in entry["body"]["locations"] if p["admin_level"] == 0), None)
    places = parse_hxl_csv(decode_csv(data), languages.default, root, kept)
    before = {**_hierarchy_places(published, unique_id), **_hierarchy_places(draft, unique_id)}
    removed = sorted(set(before) - {place["code"] for place in places})
    in_use = places_in_use(db, before, removed, languages.default, published, draft) if removed else []
    if in_use and not confirm:
        raise _in_use_refused(in_use)
    stored = drafts.modify_document(db, LOCATION, unique_id, lambda body: {**body, "locations": places}, None,
                                    languages, user, now)
    return {"entry": stored, "removed": removed, "removed_in_use": in_use}
