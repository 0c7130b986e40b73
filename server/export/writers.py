"""Writers of export files: xlsx (xlsxwriter, constant memory), csv (a zip of one file per sheet), json.

Strings never become formulas or links: xlsxwriter's strings_to_formulas/strings_to_urls are off,
so text is stored as text; in csv, where any reader may evaluate a cell, text that starts like a
formula is prefixed with a quote. Dates read the same in the three formats (see cells.py).

A workbook prints as a partner expects: landscape A4, every column across one page's width, the
header row repeated on each page, the grid printed, and a header and footer that say what the
export is, when and by whom it was made, and the page number.
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable, Iterable

import xlsxwriter

from server.export.cells import (DATE_NUMBER_FORMAT, DATETIME_NUMBER_FORMAT, EXCEL_FIRST_YEAR, MAX_CELL, date_text,
                                 neutralize, sheet_name, truncate)
from server.export.layout import ROW, Column, Sheet
from server.export.rows import RowBuilder

Progress = Callable[[int], None]
XLSX_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False, "default_date_format": DATE_NUMBER_FORMAT}
_MIN_WIDTH, _MAX_WIDTH = 8, 50
# Wide enough for 2024-05-31 and 2024-05-31T13:30:00Z in the default font (narrower shows ####).
DATE_WIDTHS = {"date": 12, "datetime": 22}
ROW_ID_WIDTH = 38  # a subform row's unique_id, a uuid, printed whole
A4 = 9  # xlsxwriter's paper code: the paper of Bénin and Cameroon
_HEADER_PART_MAX = 80  # Excel refuses a header or footer over 255 characters


@dataclass(frozen=True)
class PrintTexts:
    """What each printed page says, in the export's language."""

    title: str   # header, left: what the export holds
    stamp: str   # header, right: when it was made
    footer: str  # footer, left: who made it
    page: str    # footer, right: "Page &P of &N" (Excel's codes for this page and the number of pages)


def _header_text(text: str) -> str:
    """Text as it may appear in a header or footer: short, and & (Excel's code mark) doubled."""
    return text[:_HEADER_PART_MAX].replace("&", "&&")


def _set_up_printing(worksheet, texts: PrintTexts | None, header_row: bool) -> None:
    worksheet.set_landscape()
    worksheet.set_paper(A4)
    worksheet.fit_to_pages(1, 0)  # all columns across one page, as many pages down as the rows need
    worksheet.hide_gridlines(0)  # printed cells keep their grid: a table on paper needs its lines
    if header_row:
        worksheet.repeat_rows(0)
    if texts is not None:
        worksheet.set_header(f"&L{_header_text(texts.title)}&C&A&R{_header_text(texts.stamp)}")
        worksheet.set_footer(f"&L{_header_text(texts.footer)}&R{texts.page}")


def column_width(column: Column) -> int:
    """A column's width: its title, and for dates and row ids the whole value."""
    width = min(max(_MIN_WIDTH, len(column.title) + 2), _MAX_WIDTH)
    if column.source == ROW and column.name == "unique_id":
        return max(width, ROW_ID_WIDTH)
    return max(width, DATE_WIDTHS.get(column.date_kind() or "", 0))


def _write_date(worksheet, row: int, column: int, value: date, datetime_format, date_format) -> None:
    """A real Excel date (or date-time); before 1900, which Excel cannot hold, the same text."""
    if value.year < EXCEL_FIRST_YEAR:
        worksheet.write_string(row, column, date_text(value))
    elif isinstance(value, datetime):
        worksheet.write_datetime(row, column, value, datetime_format)
    else:
        worksheet.write_datetime(row, column, datetime(value.year, value.month, value.day), date_format)


def write_xlsx(path: str, sheets: list[Sheet], builder: RowBuilder, records: Iterable[dict],
               description: list[tuple[str, Any]], description_title: str, progress: Progress,
               texts: PrintTexts | None = None) -> int:
    """Write the workbook; return the number of records."""
    workbook = xlsxwriter.Workbook(path, XLSX_OPTIONS)
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    date_format = workbook.add_format({"num_format": DATE_NUMBER_FORMAT})
    datetime_format = workbook.add_format({"num_format": DATETIME_NUMBER_FORMAT})
    taken: set[str] = set()
    worksheets, next_row = [], []
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet_name(sheet.title, taken))
        worksheet.freeze_panes(1, 0)
        _set_up_printing(worksheet, texts, header_row=True)
        for index, column in enumerate(sheet.columns):  # constant_memory: widths before any row is written
            worksheet.set_column(index, index, column_width(column))
        worksheet.write_row(0, 0, [c.title for c in sheet.columns], header)
        worksheets.append(worksheet)
        next_row.append(1)
    count = 0
    for record in records:
        for index, values in builder.rows(record):
            worksheet, row = worksheets[index], next_row[index]
            for column, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, str):
                    worksheet.write_string(row, column, truncate(value))
                elif isinstance(value, date):
                    _write_date(worksheet, row, column, value, datetime_format, date_format)
                elif isinstance(value, bool):
                    worksheet.write_string(row, column, str(value))
                elif isinstance(value, (int, float)):
                    worksheet.write_number(row, column, value)
                else:
                    worksheet.write_string(row, column, truncate(str(value)))
            next_row[index] = row + 1
        count += 1
        progress(count)
    for worksheet, sheet, rows in zip(worksheets, sheets, next_row):
        worksheet.autofilter(0, 0, max(rows - 1, 0), len(sheet.columns) - 1)
    about = workbook.add_worksheet(sheet_name(description_title, taken))
    _write_description(workbook, about, description, header, texts)
    workbook.close()
    return count


def _write_description(workbook, about, description: list[tuple[str, Any]], header, texts: PrintTexts | None) -> None:
    """The sheet that says what the export holds: one label and one value a row, values read left to right."""
    _set_up_printing(about, texts, header_row=False)
    value = workbook.add_format({"align": "left", "valign": "top", "text_wrap": True})
    moment = workbook.add_format({"align": "left", "valign": "top", "num_format": DATETIME_NUMBER_FORMAT})
    day = workbook.add_format({"align": "left", "valign": "top", "num_format": DATE_NUMBER_FORMAT})
    about.set_column(0, 0, 28)
    about.set_column(1, 1, 80)
    for row, (label, item) in enumerate(description):
        about.write_string(row, 0, label, header)
        if isinstance(item, date):
            _write_date(about, row, 1, item, moment, day)
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            about.write_number(row, 1, item, value)
        else:
            about.write_string(row, 1, truncate(str(item)), value)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return neutralize(str(value)[:MAX_CELL * 4])


def write_csv_zip(path: str, sheets: list[Sheet], builder: RowBuilder, records: Iterable[dict],
                  description: list[tuple[str, Any]], description_title: str, progress: Progress) -> int:
    """Write a zip with one UTF-8 csv file per sheet (with a BOM, for Excel); return the number of records.

    Each sheet is streamed to its own temporary file first, so memory stays flat.
    """
    taken: set[str] = set()
    names = [sheet_name(sheet.title, taken) + ".csv" for sheet in sheets]
    names.append(sheet_name(description_title, taken) + ".csv")
    count = 0
    with tempfile.TemporaryDirectory(prefix="abri-csv-") as folder:
        files = [open(os.path.join(folder, f"{index}.csv"), "w", encoding="utf-8-sig", newline="")
                 for index in range(len(names))]
        try:
            writers = [csv.writer(handle) for handle in files]
            for writer, sheet in zip(writers, sheets):
                writer.writerow([_csv_cell(c.title) for c in sheet.columns])
            for record in records:
                for index, values in builder.rows(record):
                    writers[index].writerow([_csv_cell(v) for v in values])
                count += 1
                progress(count)
            writers[-1].writerows([[_csv_cell(label), _csv_cell(value)] for label, value in description])
        finally:
            for handle in files:
                handle.close()
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, name in enumerate(names):
                archive.write(os.path.join(folder, f"{index}.csv"), name)
    return count


def write_json(path: str, records: Iterable[dict], present: Callable[[dict], dict], progress: Progress,
               meta: dict[str, Any] | None = None) -> int:
    """Write {"data": [records...], "meta": {...}} streaming one record at a time; return the number of records.

    `meta` describes the export (as the xlsx description sheet does), with the number of records written.
    """
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"data": [')
        for record in records:
            out.write(("," if count else "") + "\n" + json.dumps(present(record), ensure_ascii=False, default=str))
            count += 1
            progress(count)
        out.write("\n]")
        if meta is not None:
            out.write(',\n"meta": ' + json.dumps({**meta, "records": count}, ensure_ascii=False, default=str))
        out.write("}\n")
    return count
