"""Turn records into the rows of each sheet: labels or codes, real dates, numbers as numbers."""
from __future__ import annotations

from typing import Any, Callable, Iterator

from server.export.cells import cell_kind, parse_date, parse_datetime
from server.export.layout import DATA, LINKED_CASE, RECORD, Column, Sheet
from server.metadata.configuration import Configuration
from server.metadata.field_types import FILE_NAMES_CELL, OPTION_CELL, PLACE_CELL, TALLY_CELL, YES_NO_CELL
from server.metadata.labels import resolve_text

Converter = Callable[[Any], Any]


def _option_labels(field: dict[str, Any], config: Configuration, locale: str, default: str) -> dict[str, str]:
    source = field.get("option_strings_source")
    options = (config.lookups.get(source.split(" ", 1)[1], {}).get("lookup_values_i18n", [])
               if source else field.get("option_strings_text_i18n", []))
    return {o["id"]: resolve_text(o["display_text"], locale, default) or o["id"] for o in options}


def _labelled(labels: dict[Any, str]) -> Converter:
    return lambda v: labels.get(v, v) if isinstance(v, (str, bool)) else _plain(v)


def converter(column: Column, config: Configuration, locale: str, default: str, codes: bool,
              yes_no: tuple[str, str], envelope_labels: dict[str, dict[Any, str]] | None = None,
              separator: str = "; ") -> Converter:
    """Return the function that turns a stored value of this column into a cell value."""
    field, dates = column.field, column.date_kind()
    if dates == "date":
        return lambda v: parse_date(v) or v
    if dates == "datetime":
        return lambda v: parse_datetime(v) or v
    if field is None:
        labels = (envelope_labels or {}).get(column.name) if column.source == RECORD else None
        return _plain if labels is None else _labelled(labels)
    kind = cell_kind(field)
    if kind == OPTION_CELL:
        labels = {} if codes else _option_labels(field, config, locale, default)
        return lambda v: separator.join(labels.get(i, str(i)) for i in v) if isinstance(v, list) else labels.get(v, v)
    if kind == YES_NO_CELL:
        return lambda v: (yes_no[0] if v else yes_no[1]) if isinstance(v, bool) else v
    if kind == TALLY_CELL:
        names = {t["id"]: resolve_text(t["display_text"], locale, default) for t in field.get("tally_i18n", [])}
        return lambda v: separator.join(f"{names.get(k, k)}: {n}" for k, n in v.items()) if isinstance(v, dict) else v
    if kind == PLACE_CELL:
        places = config.locations
        return lambda v: resolve_text(places.get(v)["name_i18n"], locale, default) if places.get(v) else v
    if kind == FILE_NAMES_CELL:  # the export's reader put the files' names in place of their ids (export/files.py)
        return lambda v: ", ".join(map(str, v)) if isinstance(v, list) else v
    return _plain


def _plain(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return str(value)
    return value


class RowBuilder:
    """Builds each sheet's rows for one record."""

    def __init__(self, sheets: list[Sheet], config: Configuration, locale: str, default: str, codes: bool,
                 yes_no: tuple[str, str], display_id_key: str,
                 envelope_labels: dict[str, dict[Any, str]] | None = None) -> None:
        self.sheets = sheets
        self.display_id_key = display_id_key
        self.plans = [[(c.source, c.name) for c in sheet.columns] for sheet in sheets]
        self.converters = [[converter(c, config, locale, default, codes, yes_no, envelope_labels)
                            for c in sheet.columns] for sheet in sheets]

    def _envelope(self, record: dict[str, Any], name: str) -> Any:
        if name == "display_id":
            return record.get(self.display_id_key)
        if name == LINKED_CASE:
            return (record.get("links") or {}).get(LINKED_CASE)
        return record.get(name)

    def rows(self, record: dict[str, Any]) -> Iterator[tuple[int, list[Any]]]:
        """Yield (sheet index, row values) for a record: one row per form sheet, one per subform row."""
        data = record.get("data", {})
        envelope = self._envelope
        for index, sheet in enumerate(self.sheets):
            convert, plan = self.converters[index], self.plans[index]
            if sheet.subform is None:
                values = [data.get(name) if source == DATA else envelope(record, name) for source, name in plan]
                yield index, [None if v is None else f(v) for f, v in zip(convert, values)]
            else:
                for row in data.get(sheet.subform) or []:
                    if not isinstance(row, dict):
                        continue
                    values = [envelope(record, name) if source == RECORD else row.get(name) for source, name in plan]
                    yield index, [None if v is None else f(v) for f, v in zip(convert, values)]
