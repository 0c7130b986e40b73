"""Read an uploaded XLSForm workbook into rows, refusing hostile files with a clear error.

An xlsx file is a zip of XML parts: it is first streamed with the same limits as the translators'
spreadsheet (server/export/translation_workbook.py: sizes, parts, rows, XML elements, no DTD), then
read row by row with openpyxl. Formulas, text no database can hold and missing sheets are refused,
every problem named; nothing is changed. No Flask here.
"""
from __future__ import annotations

import io
import re
from typing import Any

import openpyxl

from server.errors import Detail, PayloadTooLarge, Unprocessable
from server.export.translation_workbook import check_workbook_size
from server.interop.xlsform import CHOICES, SETTINGS, SURVEY, invalid, invalid_all, problem, too_large
from server.messages import _l
from server.rules import Rule

MAX_ROWS = 5_000  # rows of the survey or choices sheet
MAX_COLUMNS = 200
MAX_CELL = 10_000  # characters of one cell
MAX_PROBLEMS = 50
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
ALIASES = {"list name": "list_name", "constraint message": "constraint_message", "jr:constraintmsg":
           "constraint_message", "readonly": "read_only", "read only": "read_only", "calculate": "calculation",
           "choice filter": "choice_filter", "required message": "required_message"}
Row = dict[str, Any]


def header_name(value: Any) -> str:
    """A column's name as the XLSForm spec reads it: trimmed, `label :: English (en)` as `label::English (en)`."""
    text = str(value or "").strip()
    kind, sep, language = text.partition("::")
    kind = kind.strip().lower()
    kind = ALIASES.get(kind, kind)
    return f"{kind}::{language.strip()}" if sep else kind


def read_sheets(data: bytes) -> dict[str, list[tuple[int, Row]]]:
    """{sheet: [(row number, {column: text})]} of the survey, choices and settings sheets."""
    try:
        check_workbook_size(data)
    except PayloadTooLarge as error:
        raise too_large(error.details) from None
    except Unprocessable:
        raise invalid(_l("Upload an .xlsx workbook (an XLSForm saved from Excel, LibreOffice, Kobo or ODK).")) from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        raise invalid(_l("Upload an .xlsx workbook (an XLSForm saved from Excel, LibreOffice, Kobo or ODK).")) from None
    try:
        names = {sheet.title.strip().lower(): sheet for sheet in book.worksheets}
        if SURVEY not in names:
            raise invalid(_l("The workbook has no sheet named survey."), "survey")
        problems: list[Detail] = []
        sheets = {name: _rows(names[name], name, problems) for name in (SURVEY, CHOICES, SETTINGS) if name in names}
    except (Unprocessable, PayloadTooLarge):
        raise
    except Exception:
        raise invalid(_l("Upload an .xlsx workbook (an XLSForm saved from Excel, LibreOffice, Kobo or ODK).")) from None
    finally:
        book.close()
    if problems:
        raise invalid_all(problems[:MAX_PROBLEMS])
    return sheets


def _rows(sheet, name: str, problems: list[Detail]) -> list[tuple[int, Row]]:
    rows = sheet.iter_rows()
    header = [header_name(cell.value) for cell in next(rows, ())]
    if len(header) > MAX_COLUMNS:
        raise too_large([Detail.of(name, Rule.SHEET_MAX_CELLS, limit=MAX_COLUMNS)])
    result = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise too_large([Detail.of(name, Rule.SHEET_MAX_ROWS, limit=MAX_ROWS)])
        values: Row = {}
        for position, cell in enumerate(cells[:len(header)]):
            text = _cell_text(cell, f"{name}!{getattr(cell, 'coordinate', position)}", problems)
            if text and header[position]:
                values[header[position]] = text
        if values:
            result.append((number, values))
    return result


def _cell_text(cell, where: str, problems: list[Detail]) -> str:
    value = cell.value
    if value is None:
        return ""
    if getattr(cell, "data_type", "") == "f":
        problems.append(problem(where, _l("A formula: write its value as text.")))
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if _UNSTORABLE.search(text):
        problems.append(problem(where, _l("Text that is not valid Unicode (a NUL or a lone surrogate).")))
        return ""
    if len(text) > MAX_CELL:
        problems.append(problem(where, _l("Longer than %(limit)s characters."), limit=MAX_CELL))
        return ""
    return text
