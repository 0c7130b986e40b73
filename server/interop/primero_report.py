"""The report of a Primero import: every element of the file, once, as mapped, adapted or not mapped.

An element is a form, a field, a lookup, a role, one permission (resource:action) of a role, a module or a
location. Each gets exactly one status, so for every kind mapped + adapted + not_mapped = total: nothing
is left out without a line saying so. An adapted element carries notes saying what was changed and why
(an attribute Abri lacks, a renamed id, a type turned into another); a not-mapped one says why it was left
out. Notes are message templates rendered in the reader's language when the report is shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from server.messages import _l, render

MAPPED, ADAPTED, NOT_MAPPED = "mapped", "adapted", "not_mapped"
STATUSES = (MAPPED, ADAPTED, NOT_MAPPED)
KINDS = ("form", "field", "lookup", "role", "permission", "module", "location")

# What a note says, by stable code. %(name)s placeholders are the note's parameters.
NOTES: dict[str, Any] = {
    "renamed": _l("Renamed %(old)s to %(new)s to fit Abri's rule for identifiers."),
    "attribute_dropped": _l("Abri has no equivalent of %(attribute)s: left out."),
    "attribute_mapped": _l("%(attribute)s became %(target)s."),
    "type_unknown": _l("Abri has no field type %(type)s."),
    "date_range": _l("A date range became two date fields, %(start)s and %(end)s."),
    "options_dynamic": _l("Options from %(source)s are not a list Abri keeps: the field became a short text."),
    "options_location": _l("Options from the places became a location field."),
    "lookup_missing": _l("The lookup %(lookup)s is neither in the file nor in Abri: the field became a short text."),
    "calculation_invalid": _l("The calculation is not one Abri evaluates: the field became a number."),
    "condition_disabled": _l("The display condition is switched off in Primero: left out."),
    "condition_invalid": _l("The display condition %(attribute)s cannot be read by Abri: left out."),
    "condition_field_unknown": _l("The display condition reads %(name)s, which this form does not hold: left out."),
    "condition_parent_record": _l("A subform field shown on a condition on the parent record: Abri reads only "
                                  "the row's fields, left out."),
    "parent_form_unknown": _l("Abri keeps no records of type %(parent)s."),
    "nested_form_missing": _l("The subform %(target)s is not in the file."),
    "subform_nested_elsewhere": _l("The subform %(target)s is used by another form or record type."),
    "label_missing": _l("No label in the default language: the name %(name)s is used."),
    "duplicate": _l("%(name)s appears twice: the first one is kept."),
    "shape_invalid": _l("Not an object with a unique_id (or a name): left out."),
    "permission_unknown": _l("Abri has no permission %(permission)s."),
    "permission_widened": _l("%(permission)s became %(target)s, which Abri grants within the role's scope."),
    "permission_expanded": _l("%(permission)s became every action Abri has on %(resource)s."),
    "scope_unknown": _l("The record scope %(scope)s became %(target)s."),
    "form_unknown": _l("The form %(form)s is not imported: its access is left out."),
    "module_unknown": _l("The module %(module)s is not imported: left out."),
    "role_unknown": _l("The role %(role)s is not imported: it cannot be assigned."),
    "administrator_kept": _l("The administrator role %(role)s of this instance is kept, so that its users can "
                             "still manage users and roles after the publish."),
    "administrator_replaced": _l("The instance's administrator role keeps its id: the imported role of the same "
                                 "id is left out."),
    "published_type_kept": _l("Records hold values of %(name)s as %(published)s: the published field is kept."),
    "published_type_conflict": _l("Records hold values of %(name)s as %(published)s, a field no longer published: "
                                  "left out."),
    "all_forms": _l("Primero gives a role without a list of forms every form: every imported form, read and write."),
    "permission_manage": _l("%(permission)s became %(target)s: Abri has one action that changes users, roles or "
                            "agencies."),
    "lookup_kept": _l("Imported fields use the lookup %(lookup)s of this instance, which the file does not hold: "
                      "it is kept."),
    "locked_lookup_kept": _l("The lookup %(lookup)s is locked on this instance: its published value ids are kept "
                             "(with the imported labels of the values they share)."),
    "published_field_dropped": _l("Records hold values of %(name)s, which the import does not have: they keep "
                                  "them, and roles that may read every form that held it still read them."),
    "location_invalid": _l("A place needs a code and an admin level from 0 to 6: left out."),
    "location_parent_unknown": _l("The parent %(parent)s is not imported: the place is left out."),
    "record_types_unknown": _l("Abri keeps no records of types %(types)s: left out of the module."),
    "no_record_types": _l("The module holds none of the record types Abri keeps."),
}


@dataclass
class Note:
    """One thing said about an element: a code of NOTES and its parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self, locale: str | None = None) -> dict[str, Any]:
        return {"code": self.code, "message": render(NOTES[self.code], self.params, locale)}


@dataclass
class Item:
    """One element of the file and what became of it."""

    kind: str
    name: str  # as the file names it (fields: form/field)
    status: str
    notes: list[Note] = field(default_factory=list)
    abri_ids: list[str] = field(default_factory=list)  # what it became (fields: form/field)

    def as_json(self, locale: str | None = None) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "status": self.status, "abri_ids": self.abri_ids,
                "notes": [note.as_json(locale) for note in self.notes]}

    def note(self, note: Note, status: str) -> None:
        """Add a note found later (by the use case); the status only moves towards not mapped."""
        self.notes.append(note)
        if STATUSES.index(status) > STATUSES.index(self.status):
            self.status = status


class Report:
    """What the import did with each element, in the order it met them."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.kept: list[Item] = []  # what the instance keeps beyond the file (administrators, data of fields)
        self._by_abri_id: dict[tuple[str, str], Item] = {}

    def add(self, kind: str, name: str, notes: list[Note] | None = None, left_out: bool = False,
            abri_ids: list[str] | None = None) -> Item:
        """Record an element: not mapped when `left_out`, adapted when it has notes, else mapped."""
        notes = list(notes or [])
        status = NOT_MAPPED if left_out else ADAPTED if notes else MAPPED
        item = Item(kind, name, status, notes, list(abri_ids or []))
        self.items.append(item)
        for abri_id in item.abri_ids:
            self._by_abri_id[(kind, abri_id)] = item
        return item

    def identified(self, kind: str, items: list[Any],
                   left_out: Callable[[Any, str, Note], None] | None = None) -> Iterator[tuple[int, Any, str]]:
        """Yield (index, item, its unique_id) of the objects with a unique_id not seen before; report the others as
        not mapped (`left_out(item, name, note)` is told too, to report what they hold)."""
        seen: set[str] = set()
        for index, item in enumerate(items):
            raw = item.get("unique_id") if isinstance(item, dict) else None
            if not isinstance(raw, str) or not raw:
                self.add(kind, f"#{index}", [Note("shape_invalid")], left_out=True)
                continue
            if raw in seen:
                note = Note("duplicate", {"name": raw})
                self.add(kind, f"{raw} #{index}", [note], left_out=True)
                if left_out:
                    left_out(item, f"{raw} #{index}", note)
                continue
            seen.add(raw)
            yield index, item, raw

    def keep(self, kind: str, name: str, notes: list[Note]) -> None:
        """Record something of the instance the import keeps (not an element of the file: not counted)."""
        self.kept.append(Item(kind, name, "kept", notes, [name]))

    def find(self, kind: str, name: str) -> Item | None:
        return next((item for item in self.items if item.kind == kind and item.name == name), None)

    def of_abri_id(self, kind: str, abri_id: str) -> Item | None:
        """The element that became `abri_id` (a field: "form/field")."""
        return self._by_abri_id.get((kind, abri_id))

    def counts(self) -> dict[str, dict[str, int]]:
        """{kind: {total, mapped, adapted, not_mapped}} for every kind."""
        counts = {kind: {"total": 0, **{status: 0 for status in STATUSES}} for kind in KINDS}
        for item in self.items:
            counts[item.kind]["total"] += 1
            counts[item.kind][item.status] += 1
        return counts

    def with_status(self, *statuses: str) -> Iterator[Item]:
        return (item for item in self.items if item.status in statuses)

    def as_json(self, locale: str | None = None) -> dict[str, Any]:
        """The report as the API answers it: counts by kind, then every element by name."""
        return {"counts": self.counts(), "items": [item.as_json(locale) for item in self.items],
                "kept": [item.as_json(locale) for item in self.kept]}


def summary_lines(report: dict[str, Any]) -> Iterator[str]:
    """The lines the command line prints of a rendered report: counts, then what was adapted or left out."""
    for kind, count in report["counts"].items():
        if count["total"]:
            yield render(_l("%(kind)s: %(total)s in the file, %(mapped)s mapped, %(adapted)s adapted, "
                            "%(not_mapped)s not mapped"), {"kind": kind, **count})
    for item in report["items"] + report["kept"]:
        if item["status"] != MAPPED:
            label = render({ADAPTED: _l("adapted"), NOT_MAPPED: _l("not mapped")}.get(item["status"], _l("kept")))
            yield f"{label} {item['kind']} {item['name']}: " + " ".join(note["message"] for note in item["notes"])
