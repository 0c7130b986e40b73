"""The translators' spreadsheet as an xlsx file: written with xlsxwriter, read back with openpyxl."""
from __future__ import annotations

import io
import zipfile
from typing import Iterable
from xml.parsers import expat

import openpyxl
import xlsxwriter

from server.errors import Detail, Error, PayloadTooLarge, Unprocessable
from server.export.cells import sheet_name
from server.metadata.translations import KEY_COLUMNS, Row
from server.rules import Rule

COLUMNS = (*KEY_COLUMNS, "default_text", "text", "missing")
# Limits of an uploaded spreadsheet (the shipped configuration's has about 600 rows and unpacks to 240 KB).
MAX_ROWS = 20_000  # rows of all sheets together
MAX_UNPACKED_BYTES = 16 * 1024 * 1024  # all parts once unzipped
MAX_PARTS = 1_000  # files in the zip
MAX_SHEETS = 100
MAX_CELLS_PER_ROW = 64
MAX_XML_ELEMENTS = 2_000_000  # of all parts together (openpyxl holds shared strings and styles whole)
CHUNK = 64 * 1024


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
    """Return [(sheet, [(row number, {column: text})])]; Unprocessable if it is not such a workbook.

    An xlsx file is a zip of XML parts: a few kilobytes can unpack to gigabytes, or to a row of
    millions of cells that a reader would hold at once. So the parts are first streamed, without
    keeping them, and the file is refused (413) past the limits below; only then does openpyxl
    (read-only, row by row) read it.
    """
    check_workbook_size(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _not_a_workbook() from None
    result, total = [], 0
    try:
        for sheet in book.worksheets:
            rows = []
            for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=len(COLUMNS), values_only=True),
                                            start=2):
                if not any(values):
                    continue
                total += 1
                if total > MAX_ROWS or number > MAX_ROWS + 1:
                    raise _too_large(Rule.SHEET_MAX_ROWS, MAX_ROWS)
                rows.append((number, {column: "" if value is None else str(value)
                                      for column, value in zip(COLUMNS, values)}))
            result.append((sheet.title, rows))
    except PayloadTooLarge:
        raise
    except Exception:
        raise _not_a_workbook() from None
    finally:
        book.close()
    return result


def check_workbook_size(data: bytes) -> None:
    """Stream every part of an xlsx file and refuse it past the limits (413) or if it is no xlsx file (422).

    Checks the sizes the zip declares and those it really unpacks to, the number of parts, sheets,
    rows, cells in a row and XML elements; and refuses DTDs (no entity can expand).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _not_a_workbook() from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise _too_large(Rule.SHEET_MAX_PARTS, MAX_PARTS)
        if sum(part.file_size for part in parts) > MAX_UNPACKED_BYTES:
            raise _too_large(Rule.SHEET_MAX_UNPACKED, MAX_UNPACKED_BYTES)
        scan = _PartScan()
        try:
            for part in parts:
                scan.read(archive, part)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError,
                expat.ExpatError):  # RuntimeError: an encrypted part
            raise _not_a_workbook() from None


class _PartScan:
    """Counters over all the parts of one file, fed one chunk at a time (constant memory)."""

    def __init__(self) -> None:
        self.unpacked = self.elements = self.rows = self.sheets = self.cells = 0

    def read(self, archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> None:
        parser = None
        with archive.open(part) as stream:
            while chunk := stream.read(CHUNK):
                self.unpacked += len(chunk)
                if self.unpacked > MAX_UNPACKED_BYTES:  # the sizes a zip declares may lie
                    raise _too_large(Rule.SHEET_MAX_UNPACKED, MAX_UNPACKED_BYTES)
                if parser is None:
                    if not chunk.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
                        parser = False  # not XML (printer settings, images): counted, not parsed
                    else:
                        parser = self._parser()
                if parser:
                    parser.Parse(chunk, False)
        if parser:
            parser.Parse(b"", True)

    def _parser(self):
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.StartElementHandler = self._element
        return parser

    @staticmethod
    def _doctype(*_args) -> None:
        raise expat.ExpatError("DTDs are not allowed in xlsx parts")

    def _element(self, name: str, attributes: dict[str, str]) -> None:
        self.elements += 1
        if self.elements > MAX_XML_ELEMENTS:
            raise _too_large(Rule.SHEET_MAX_ELEMENTS, MAX_XML_ELEMENTS)
        local = name.rpartition(" ")[2]
        if local == "sheetData":
            self.sheets += 1
            if self.sheets > MAX_SHEETS:
                raise _too_large(Rule.SHEET_MAX_SHEETS, MAX_SHEETS)
        elif local == "row":
            self.rows, self.cells = self.rows + 1, 0
            number = attributes.get("r", "")
            if self.rows > MAX_ROWS + MAX_SHEETS or (number.isdigit() and int(number) > MAX_ROWS + 1):
                raise _too_large(Rule.SHEET_MAX_ROWS, MAX_ROWS)
        elif local == "c":
            self.cells += 1
            if self.cells > MAX_CELLS_PER_ROW:
                raise _too_large(Rule.SHEET_MAX_CELLS, MAX_CELLS_PER_ROW)


def _too_large(rule: Rule, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(Error.SPREADSHEET_TOO_LARGE, details=[Detail.of("file", rule, limit=limit)])


def _not_a_workbook() -> Unprocessable:
    return Unprocessable(Error.SPREADSHEET_INVALID, details=[Detail.of("file", Rule.XLSX_FILE)])
