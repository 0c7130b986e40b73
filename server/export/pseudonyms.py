"""Pseudonymised exports for partners: the fields that identify a person dropped, or replaced by keyed hashes.

An export chooses what becomes of the identifying fields (server/metadata/retention.py marks them):

    include   as they are (a role with `export_identifying` on the record type)
    hash      each value replaced by its pseudonym for the partner agency (the default of a role without it)
    drop      left out

In a pseudonymised export (hash or drop) the record ids, short ids, display ids, subform row ids and the ids of
linked cases are pseudonyms too, files of identifying upload fields are never named, and of the envelope only what
counts need is kept (no notes, reasons or comments, which may name people). Data of fields no published form holds
any more (include_removed) count as identifying: nobody can say they are not.

A pseudonym is the first PSEUDONYM_LENGTH hexadecimal digits (64 bits) of HMAC-SHA256 of the value, under a key
derived from the deployment's secret and the partner agency's id (partner_key): the same child, or the same value,
gives the same pseudonym in every export to one partner, so that its records can be counted and linked across
exports, and another pseudonym for another partner, so that two partners cannot link theirs. Texts are compared
without case, accents composition or extra spaces ("Awa " and "awa" are one value); ids are hashed apart from
values ("record:" + id), so that no field's value shares a pseudonym with a record.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
from dataclasses import dataclass, replace
from typing import Any, Iterable, Iterator

from server.export.layout import DATA, LINKED_CASE, ROW, Sheet
from server.metadata.retention import IdentifyingFields

INCLUDE, HASH, DROP = "include", "hash", "drop"
MODES = (INCLUDE, HASH, DROP)
PSEUDONYM_LENGTH = 16
SECRET_NAME = "export_pseudonyms"   # the deployment secret the partner keys are derived from
ROW_ID = "unique_id"
ID_FIELDS = frozenset({"matched_case_id"})   # data fields (of rows too) that hold a record's id
# What a pseudonymised record keeps of its envelope: what counts and a partner's follow-up need, no free text.
KEPT_ENVELOPE = ("module_id", "status", "record_state", "created_at", "last_updated_at", "owned_by", "owned_by_agency",
                 "owned_by_groups", "stage", "config_version", "revision", "marked_for_mobile", "closed_at",
                 "reopened", "flagged", "pending_approvals", "pseudonymised_at")
HASHED_ENVELOPE = ("merged_into", "merged_from")


def partner_key(secret: bytes, agency: str | None) -> bytes:
    """The key of one partner agency's pseudonyms (no agency: a key of its own)."""
    return hmac.new(secret, b"abri-export-pseudonyms/v1\x00" + (agency or "").encode("utf-8"), hashlib.sha256).digest()


def canonical(value: Any) -> str:
    """The text a value is hashed as: a text without case, composed, spaces collapsed; anything else as JSON."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", " ".join(value.split())).casefold()
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def pseudonym(key: bytes, value: Any) -> str:
    """The pseudonym of a value under a partner's key."""
    return hmac.new(key, canonical(value).encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_LENGTH]


@dataclass(frozen=True)
class Pseudonymiser:
    """Turns a record into what a pseudonymised export holds of it (a copy; the record is not changed)."""

    key: bytes
    mode: str                        # HASH or DROP
    identifying: IdentifyingFields
    known: frozenset[str]            # the top-level names of the published forms (others: removed fields)
    subforms: frozenset[str]         # the top-level names that hold rows
    display_key: str                 # case_id_display, ...

    def record_id(self, record_id: Any) -> str | None:
        return None if record_id is None else pseudonym(self.key, f"record:{record_id}")

    def value(self, value: Any) -> Any:
        return None if value is None else pseudonym(self.key, value)

    def __call__(self, record: dict[str, Any]) -> dict[str, Any]:
        alias = self.record_id(record["_id"])
        shown = {key: record[key] for key in KEPT_ENVELOPE if key in record}
        shown.update({"_id": alias, "short_id": alias, self.display_key: alias})
        for key in HASHED_ENVELOPE:
            if record.get(key) is not None:
                value = record[key]
                shown[key] = [self.record_id(item) for item in value] if isinstance(value, list) \
                    else self.record_id(value)
        links = record.get("links") or {}
        if links:
            shown["links"] = {key: self.record_id(links.get("case_id")) if key == LINKED_CASE else self.record_id(value)
                              for key, value in links.items()}
        shown["data"] = dict(self._data(record.get("data") or {}))
        return shown

    def _data(self, data: dict[str, Any]) -> Iterator[tuple[str, Any]]:
        for name, value in data.items():
            if name in self.identifying.files:
                continue
            if name in self.identifying.top or name not in self.known:
                if self.mode == HASH:
                    yield name, self.value(value)
            elif name in ID_FIELDS:
                yield name, self.record_id(value)
            elif name in self.subforms and isinstance(value, list):
                yield name, [self._row(row, self.identifying.rows.get(name, frozenset())) for row in value]
            else:
                yield name, value

    def _row(self, row: Any, identifying: frozenset[str]) -> Any:
        if not isinstance(row, dict):
            return row
        shown = {}
        for name, value in row.items():
            if name in self.identifying.files:
                continue
            if name == ROW_ID or name in ID_FIELDS:
                shown[name] = self.record_id(value)
            elif name in identifying:
                if self.mode == HASH:
                    shown[name] = self.value(value)
            else:
                shown[name] = value
        return shown

    def records(self, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for record in records:
            yield self(record)

    def layout(self, sheets: list[Sheet]) -> list[Sheet]:
        """The sheets of a pseudonymised export: identifying columns dropped (DROP, and files always) or shown as
        the plain texts their pseudonyms are (HASH); a form's sheet left without any field goes."""
        kept = []
        for sheet in sheets:
            rows = self.identifying.rows.get(sheet.subform or "", frozenset())
            columns = []
            for column in sheet.columns:
                if column.source not in (DATA, ROW):
                    columns.append(column)
                    continue
                marked = column.name in rows if column.source == ROW else (
                    column.name in self.identifying.top or column.name not in self.known)
                if column.name in self.identifying.files or (marked and self.mode == DROP):
                    continue
                columns.append(replace(column, field=None) if marked or column.name in ID_FIELDS else column)
            fields = [name for name in sheet.fields if any(c.name == name and c.source == DATA for c in columns)]
            if sheet.subform is None and not fields:
                continue
            kept.append(replace(sheet, columns=columns, fields=fields))
        return kept
