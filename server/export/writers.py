"""Writers of export files: xlsx (xlsxwriter, constant memory), csv (a zip of one file per sheet), json.

Strings never become formulas or links: xlsxwriter's strings_to_formulas/strings_to_urls are off,
so text is stored as text; in csv, where any reader may evaluate a cell, text that starts like a
formula is prefixed with a quote.
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
import zipfile
from datetime import date, datetime
from typing import Any, Callable, Iterable

import xlsxwriter

from server.export.cells import MAX_CELL, neutralize, sheet_name, truncate
from server.export.layout import Sheet
from server.export.rows import RowBuilder, is_date

Progress = Callable[[int], None]
XLSX_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd"}
_MIN_WIDTH, _MAX_WIDTH = 8, 50


# Date formats by language (real Excel dates either way; only their display differs).
DATE_FORMATS = {"fr": ("dd/mm/yyyy", "dd/mm/yyyy hh:mm"), "en": ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")}


def write_xlsx(path: str, sheets: list[Sheet], builder: RowBuilder, records: Iterable[dict], description: list[tuple[str, Any]],
               description_title: str, progress: Progress, locale: str = "en") -> int:
    """Write the workbook; return the number of records."""
    workbook = xlsxwriter.Workbook(path, XLSX_OPTIONS)
    header = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
    day, minute = DATE_FORMATS.get(locale.split("_")[0], DATE_FORMATS["en"])
    date_format = workbook.add_format({"num_format": day})
    datetime_format = workbook.add_format({"num_format": minute})
    taken: set[str] = set()
    worksheets, next_row, widths = [], [], []
    for sheet in sheets:
        worksheet = workbook.add_worksheet(sheet_name(sheet.title, taken))
        worksheet.freeze_panes(1, 0)
        column_widths = [min(max(_MIN_WIDTH, len(c.title) + 2), _MAX_WIDTH) for c in sheet.columns]
        for index, width in enumerate(column_widths):  # constant_memory: widths before any row is written
            worksheet.set_column(index, index, width)
        worksheet.write_row(0, 0, [c.title for c in sheet.columns], header)
        worksheets.append(worksheet)
        next_row.append(1)
        widths.append(column_widths)
    count = 0
    for record in records:
        for index, values in builder.rows(record):
            worksheet, row = worksheets[index], next_row[index]
            for column, value in enumerate(values):
                if value is None:
                    continue
                if isinstance(value, datetime):
                    worksheet.write_datetime(row, column, value, datetime_format)
                elif is_date(value):
                    worksheet.write_datetime(row, column, datetime(value.year, value.month, value.day), date_format)
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
    about.set_column(0, 0, 28)
    about.set_column(1, 1, 60)
    for row, (label, value) in enumerate(description):
        about.write_string(row, 0, label, header)
        if isinstance(value, datetime):
            about.write_datetime(row, 1, value, datetime_format)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            about.write_number(row, 1, value)
        else:
            about.write_string(row, 1, truncate(str(value)))
    workbook.close()
    return count


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
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


def write_json(path: str, records: Iterable[dict], present: Callable[[dict], dict], progress: Progress) -> int:
    """Write {"data": [records...]} streaming one record at a time; return the number of records."""
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"data": [')
        for record in records:
            out.write(("," if count else "") + "\n" + json.dumps(present(record), ensure_ascii=False, default=str))
            count += 1
            progress(count)
        out.write("\n]}\n")
    return count
