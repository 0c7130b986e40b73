"""What the configuration says about personal data: the fields that identify a person, and how long records keep them.

A field marked `identifying: true` names or identifies a person (a name, a date of birth, a phone number, an address,
an identity document, a photo). Retention, subject access and pseudonymised exports are driven by those marks.

A module's `retention` rules (schemas/module.json) say what happens to a record type's records a number of days after
a date of theirs:

    "retention": [{"id": "closed-cases", "record_type": "case", "status": "closed", "after_days": 1826,
                   "from": "date_closure", "action": "pseudonymise", "note_i18n": {...}}]

`from` is a date field of the record type's forms, or one of the envelope's moments (ENVELOPE_MOMENTS). `pseudonymise`
removes the identifying fields (from the record's history too) and deletes their files: the record stays, so what is
counted of it still is. `delete` removes the record, its history and its files.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from datetime import datetime, timedelta
from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.field_types import FILES, ROWS, type_of

PSEUDONYMISE, DELETE = "pseudonymise", "delete"
ACTIONS = (PSEUDONYMISE, DELETE)
ENVELOPE_MOMENTS = ("closed_at", "created_at", "last_updated_at")


@dataclass(frozen=True)
class IdentifyingFields:
    """The fields of a record type that identify a person: top-level names, and per subform its rows' names.

    `files`: the upload fields among them (top-level and rows), whose files go with them.
    """

    top: frozenset[str] = frozenset()
    rows: dict[str, frozenset[str]] = dc_field(default_factory=dict)
    files: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.top or any(self.rows.values()))

    def names(self) -> list[str]:
        """Every identifying name, a row field as subform/field (sorted)."""
        return sorted([*self.top, *(f"{subform}/{name}" for subform, names in self.rows.items() for name in names)])


def identifying_fields(config: Configuration, record_type: str) -> IdentifyingFields:
    """The identifying fields of a record type's published forms."""
    top: set[str] = set()
    rows: dict[str, set[str]] = {}
    files: set[str] = set()
    for _, form in config.forms_of(record_type, nested=False):
        for field in form["fields"]:
            if field.get("identifying"):
                top.add(field["name"])
                if type_of(field).value == FILES:
                    files.add(field["name"])
            nested = config.forms.get(field.get("subform_section_id") or "")
            if type_of(field).value == ROWS and nested:
                marked = {row["name"] for row in nested["fields"] if row.get("identifying")}
                files |= {row["name"] for row in nested["fields"]
                          if row.get("identifying") and type_of(row).value == FILES}
                if marked:
                    rows.setdefault(field["name"], set()).update(marked)
    return IdentifyingFields(frozenset(top), {name: frozenset(names) for name, names in rows.items()},
                             frozenset(files))


@dataclass(frozen=True)
class RetentionRule:
    """One rule of a module: which records, after how long from which date, and what happens to them."""

    id: str
    module_id: str
    record_type: str
    after_days: int
    source: str                 # the `from` date: a data field, or an envelope moment
    action: str
    status: str | None = None
    note_i18n: dict[str, str] = dc_field(default_factory=dict)

    @property
    def from_envelope(self) -> bool:
        return self.source in ENVELOPE_MOMENTS

    def cutoff(self, now: datetime) -> datetime:
        """The latest `from` moment of a record the rule reaches at `now`."""
        return now - timedelta(days=self.after_days)

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "module_id": self.module_id, "record_type": self.record_type, "status": self.status,
                "after_days": self.after_days, "from": self.source, "action": self.action,
                "note_i18n": dict(self.note_i18n)}


def retention_rules(config: Configuration) -> list[RetentionRule]:
    """Every module's retention rules, deletions first (a record both would reach is deleted, never pseudonymised
    first for nothing), then in the modules' and the rules' order."""
    rules = [RetentionRule(rule["id"], uid, rule["record_type"], rule["after_days"], rule["from"], rule["action"],
                           rule.get("status"), rule.get("note_i18n") or {})
             for uid, module in sorted(config.modules.items()) for rule in module.get("retention") or ()
             if isinstance(rule, dict) and rule.get("action") in ACTIONS]
    return sorted(rules, key=lambda rule: rule.action != DELETE)
