"""The translators' spreadsheet as an xlsx file: written with xlsxwriter, read back with openpyxl."""
from __future__ import annotations

import io
from typing import Iterable

import openpyxl
import xlsxwriter
from flask_babel import lazy_gettext as _l

from server.errors import Detail, Unprocessable
from server.export.cells import sheet_name
from server.metadata.translations import KEY_COLUMNS, Row

COLUMNS = (*KEY_COLUMNS, "default_text", "text", "missing")
MAX_ROWS = 100_000


def write_translation_workbook(sheets: Iterable[tuple[str, list[Row]]], locale: str, default: str) -> bytes:
    """Return the xlsx bytes: one sheet per record type (then lookups, modules, roles)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7"})
    key = workbook.add_format({"font_color": "#666666"})
    target = workbook.add_format({"bg_color": "#FFF2CC", "text_wrap": True})
    wrap = workbook.add_format({"text_wrap": True})
    taken: set[str] = set()
    for title, rows in sheets:
        sheet = workbook.add_worksheet(sheet_name(title, taken))
        sheet.write_row(0, 0, [*KEY_COLUMNS, f"text ({default})", f"text ({locale})", "missing"], header)
        sheet.freeze_panes(1, 0)
        for column, width in enumerate((8, 28, 24, 18, 18, 45, 45, 8)):
            sheet.set_column(column, column, width)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, [row.kind, row.document, row.field, row.option, row.property], key)
            sheet.write_string(number, 5, row.default_text, wrap)
            sheet.write_string(number, 6, row.text, target)
            sheet.write_string(number, 7, "" if row.text.strip() else "missing")
        sheet.autofilter(0, 0, len(rows), len(COLUMNS) - 1)
    workbook.close()
    return buffer.getvalue()


def read_translation_workbook(data: bytes) -> list[tuple[str, list[tuple[int, dict[str, str]]]]]:
    """Return [(sheet, [(row number, {column: text})])]; Unprocessable if it is not such a workbook."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise Unprocessable(_l("The file is not an xlsx translation spreadsheet."), code="SPREADSHEET_INVALID",
                            details=[Detail("file", "format", _l("Upload the .xlsx file downloaded from Abri."))]) from None
    result = []
    for sheet in book.worksheets:
        rows = []
        for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=len(COLUMNS), values_only=True), start=2):
            if number > MAX_ROWS:
                break
            if not any(values):
                continue
            rows.append((number, {column: "" if value is None else str(value) for column, value in zip(COLUMNS, values)}))
        result.append((sheet.title, rows))
    book.close()
    return result
