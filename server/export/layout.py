"""What an export contains: its sheets and columns, from the published forms and the role.

One sheet per readable form of the record type (fields in form order), one per subform (rows
keyed by the record's display id and the row's unique_id). The first columns identify the record;
an incident's also name its case, and when disabled records were asked for, every sheet says
each record's state next to its id.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any

from server.export.cells import cell_kind, date_kind
from server.metadata.configuration import Configuration
from server.metadata.field_types import NO_CELL, ROWS_SHEET
from server.metadata.labels import resolve_text

RECORD, DATA, ROW = "record", "data", "row"  # where a column's value is: envelope, data, subform row
ENVELOPE_TIMES = ("created_at", "last_updated_at")
RECORD_STATE = "record_state"
LINKED_CASE = "case_id_display"


def identity_columns(record_type: str, include_disabled: bool) -> tuple[str, ...]:
    """The envelope columns that open each form sheet, in order."""
    linked = (LINKED_CASE,) if record_type == "incident" else ()
    state = (RECORD_STATE,) if include_disabled else ()
    return ("display_id", "short_id", *linked, "status", *state, "owned_by", *ENVELOPE_TIMES)


@dataclass
class Column:
    name: str
    title: str
    field: dict[str, Any] | None = None  # None for envelope columns and removed fields
    source: str = DATA

    def date_kind(self) -> str | None:
        """"date" or "datetime" when the column holds dates, else None."""
        if self.field is None:
            return "datetime" if self.source == RECORD and self.name in ENVELOPE_TIMES else None
        return date_kind(self.field)


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    subform: str | None = None           # the subform field whose rows this sheet lists
    fields: list[str] = dc_field(default_factory=list)


def _title(field: dict[str, Any], locale: str, default: str) -> str:
    return resolve_text(field.get("display_name_i18n"), locale, default) or field["name"]


def build_layout(config: Configuration, record_type: str, readable: set[str] | None, form_ids: list[str] | None,
                 field_names: list[str] | None, locale: str, default_language: str,
                 identity_titles: dict[str, str], removed_fields: list[str] = (),
                 include_disabled: bool = False) -> list[Sheet]:
    """Return the sheets of an export, in form order."""
    identity = [Column(name, identity_titles[name], source=RECORD)
                for name in identity_columns(record_type, include_disabled)]
    row_identity = [Column("display_id", identity_titles["display_id"], source=RECORD)]
    if include_disabled:
        row_identity.append(Column(RECORD_STATE, identity_titles[RECORD_STATE], source=RECORD))
    row_identity.append(Column("unique_id", identity_titles["unique_id"], source=ROW))
    sheets: list[Sheet] = []
    for uid, form in config.forms_of(record_type, nested=False):
        if form_ids is not None and uid not in form_ids:
            continue
        fields = [f for f in form["fields"] if cell_kind(f) not in (NO_CELL, ROWS_SHEET)
                  and (readable is None or f["name"] in readable)
                  and (field_names is None or f["name"] in field_names)]
        title = resolve_text(form["name_i18n"], locale, default_language) or uid
        if fields:
            sheets.append(Sheet(title, identity + [Column(f["name"], _title(f, locale, default_language), f)
                                                   for f in fields], fields=[f["name"] for f in fields]))
        for subform in form["fields"]:
            if cell_kind(subform) != ROWS_SHEET or (readable is not None and subform["name"] not in readable) \
                    or (field_names is not None and subform["name"] not in field_names):
                continue
            nested = config.forms.get(subform.get("subform_section_id", ""), {"fields": []})
            row_fields = [f for f in nested["fields"] if cell_kind(f) not in (NO_CELL, ROWS_SHEET)]
            sheets.append(Sheet(_title(subform, locale, default_language),
                                row_identity + [Column(f["name"], _title(f, locale, default_language), f, ROW)
                                                for f in row_fields],
                                subform=subform["name"]))
    if removed_fields:
        sheets.append(Sheet(identity_titles["removed_fields"],
                            identity + [Column(name, name) for name in removed_fields], fields=list(removed_fields)))
    return sheets
