"""A report's result as a file: xlsx (the table, a native chart, and what the numbers are), csv, or json.

Only what the result holds goes in: labels, counts (or durations), totals and the suppression marks ("< 5"); the
result itself holds nothing else (server/reports/result.py). Texts are written as text, never as formulas.
"""
from __future__ import annotations

import csv
import io
import json
from typing import Any

import xlsxwriter

from server.export.cells import neutralize, sheet_name, truncate
from server.messages import _l, render
from server.serialization import moment_text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOTAL, MEDIAN, P90 = _l("Total"), _l("median (days)"), _l("90th percentile (days)")
ABOUT = _l("About")
ABOUT_ROWS = (("name", _l("Report")), ("description", _l("Description")), ("made_by", _l("Exported by")),
              ("computed_at", _l("Computed at (UTC)")), ("fresh_as_of", _l("Data as of (UTC)")),
              ("threshold", _l("Small-cell threshold")), ("suppressed_cells", _l("Cells hidden")))
CHARTS = {"bar": ("column", None), "stacked_bar": ("column", "stacked"), "line": ("line", None),
          "map": ("bar", None), "table": ("column", None)}


def _shown(cell: dict[str, Any], key: str, marks: tuple[str, str]) -> Any:
    if cell.get("suppressed"):
        return marks[0] if cell.get("reason") == "small" else marks[1]
    return cell.get(key)


def table_rows(result: dict[str, Any], locale: str) -> list[list[Any]]:
    """The report as rows of cells: a header, a row per row key, and the totals (the csv and the sheet)."""
    hidden = (result["suppressed_display"], result["complement_display"])
    duration = result["measure"] == "duration"
    columns = [" / ".join(key["labels"]) or render(TOTAL, {}, locale) for key in result["column_keys"]]
    header = [axis["label"] for axis in result["rows"]]
    values = ["value", "median", "p90"] if duration else ["value"]
    suffixes = ["", f" · {render(MEDIAN, {}, locale)}", f" · {render(P90, {}, locale)}"] if duration else [""]
    for name in columns:
        header += [name + suffix for suffix in suffixes]
    with_totals = len(result["column_keys"]) > 1
    if with_totals:
        header += [render(TOTAL, {}, locale) + suffix for suffix in suffixes]
    rows = [header]
    for index, key in enumerate(result["row_keys"]):
        row = list(key["labels"])
        for cell in result["cells"][index]:
            row += [_shown(cell, value, hidden) for value in values]
        if with_totals:
            row += [_shown(result["row_totals"][index], value, hidden) for value in values]
        rows.append(row)
    totals = [render(TOTAL, {}, locale)] + [""] * (len(result["rows"]) - 1)
    for cell in result["column_totals"]:
        totals += [_shown(cell, value, hidden) for value in values]
    if with_totals:
        totals += [_shown(result["total"], value, hidden) for value in values]
    rows.append(totals)
    return rows


def _text(value: Any) -> Any:
    moment = moment_text(value)
    return value if moment is None else moment


def write_report(result: dict[str, Any], file_format: str, locale: str, user_name: str) -> tuple[bytes, str]:
    """The file's bytes and media type."""
    if file_format == "json":
        body = {**result, "made_by": user_name}
        return json.dumps(body, ensure_ascii=False, default=_text, indent=1).encode("utf-8"), "application/json"
    rows = table_rows(result, locale)
    if file_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        for row in rows:
            writer.writerow(["" if v is None else v if isinstance(v, (int, float)) else neutralize(str(v))
                             for v in row])
        return ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8"
    return _xlsx(result, rows, locale, user_name), XLSX


def _xlsx(result: dict[str, Any], rows: list[list[Any]], locale: str, user_name: str) -> bytes:
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    bold = workbook.add_format({"bold": True})
    taken: set[str] = set()
    sheet = workbook.add_worksheet(sheet_name(result["name"] or "Report", taken))
    sheet.write_string(0, 0, truncate(result["name"] or ""), workbook.add_format({"bold": True, "font_size": 14}))
    first = 2
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(first + r, c, value, bold if r in (0, len(rows) - 1) else None)
            elif value is not None:
                sheet.write_string(first + r, c, truncate(str(value)), bold if r in (0, len(rows) - 1) else None)
    labels = len(result["rows"])
    sheet.set_column(0, labels - 1, 28)
    sheet.set_column(labels, len(rows[0]), 14)
    _chart(workbook, sheet, result, rows, first, labels)
    about = workbook.add_worksheet(sheet_name(render(ABOUT, {}, locale), taken))
    facts = {**result, "made_by": user_name}
    for r, (key, label) in enumerate(ABOUT_ROWS):
        about.write_string(r, 0, render(label, {}, locale), bold)
        value = _text(facts.get(key))
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            about.write_number(r, 1, value)
        else:
            about.write_string(r, 1, truncate(str(value or "")))
    for r, note in enumerate(result.get("notes", []), start=len(ABOUT_ROWS) + 1):
        about.write_string(r, 0, truncate(note))
    about.set_column(0, 0, 30)
    about.set_column(1, 1, 60)
    workbook.close()
    return buffer.getvalue()


def _chart(workbook, sheet, result: dict[str, Any], rows: list[list[Any]], first: int, labels: int) -> None:
    """A native chart of the counts (one series per column key; hidden cells are gaps, not zeros)."""
    if not result["row_keys"] or result["measure"] == "duration":
        return
    kind, subtype = CHARTS.get(result["chart"], ("column", None))
    chart = workbook.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
    name = sheet.get_name()
    last = first + len(result["row_keys"])
    for index, _ in enumerate(result["column_keys"]):
        column = labels + index
        chart.add_series({"name": [name, first, column], "categories": [name, first + 1, labels - 1, last, labels - 1],
                          "values": [name, first + 1, column, last, column]})
    chart.set_title({"name": result["name"]})
    chart.set_legend({"position": "bottom" if len(result["column_keys"]) > 1 else "none"})
    chart.show_blanks_as("gap")
    sheet.insert_chart(first, len(rows[0]) + 1, chart, {"x_scale": 1.4, "y_scale": 1.3})


__all__ = ["XLSX", "table_rows", "write_report"]
