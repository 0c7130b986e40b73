"""Edits of one document, as functions from the old body to the new one (see draft.modify_document)."""
from __future__ import annotations

from typing import Callable

from server.messages import _l

from server.errors import Conflict, Detail, Error, NotFound, Unprocessable
from server.metadata.draft import merge_patch
from server.rules import Rule

Edit = Callable[[dict], dict]


def _field_index(form: dict, name: str) -> int:
    for index, field in enumerate(form["fields"]):
        if field["name"] == name:
            return index
    raise NotFound(kind=_l("Field"), id=f"{form['unique_id']}/{name}")


def patch_document(patch: dict) -> Edit:
    """Merge-patch a document's attributes."""
    return lambda body: merge_patch(body, patch)


def replace_document(new_body: dict) -> Edit:
    """Replace a document's body (its unique_id stays)."""
    return lambda body: {**new_body, "unique_id": new_body.get("unique_id", body["unique_id"])}


def add_field(field: dict, position: int | None = None) -> Edit:
    """Insert a field at `position` (the end by default)."""
    def edit(form: dict) -> dict:
        if any(existing.get("name") == field.get("name") for existing in form["fields"]):
            raise Conflict(Error.FIELD_EXISTS, details=[Detail.of("name", Rule.NAME_USED)], name=field.get("name"))
        at = len(form["fields"]) if position is None else max(0, min(position, len(form["fields"])))
        form["fields"].insert(at, field)
        return form
    return edit


def patch_field(name: str, patch: dict) -> Edit:
    """Merge-patch one field's attributes."""
    def edit(form: dict) -> dict:
        index = _field_index(form, name)
        form["fields"][index] = merge_patch(form["fields"][index], patch)
        return form
    return edit


def remove_field(name: str) -> Edit:
    """Remove a field from the form (data already stored under it stay in the records)."""
    def edit(form: dict) -> dict:
        del form["fields"][_field_index(form, name)]
        return form
    return edit


def reorder_fields(names: list[str]) -> Edit:
    """Put the fields in the order given; the list must name each field exactly once."""
    def edit(form: dict) -> dict:
        current = [f["name"] for f in form["fields"]]
        if sorted(names) != sorted(current):
            details = [Detail.of(name, Rule.NOT_A_FIELD) for name in names if name not in current]
            details += [Detail.of(name, Rule.MISSING_FROM_ORDER) for name in current if name not in names]
            details += [Detail.of(name, Rule.LISTED_TWICE)
                        for name in sorted({n for n in names if names.count(n) > 1})]
            raise Unprocessable(Error.ORDER_INVALID, details=details)
        by_name = {f["name"]: f for f in form["fields"]}
        form["fields"] = [by_name[name] for name in names]
        return form
    return edit


def add_lookup_value(value: dict, position: int | None = None) -> Edit:
    """Add a value to a lookup."""
    def edit(lookup: dict) -> dict:
        values = lookup["lookup_values_i18n"]
        if any(existing["id"] == value.get("id") for existing in values):
            raise Conflict(Error.LOOKUP_VALUE_EXISTS, details=[Detail.of("id", Rule.ID_USED)], id=value.get("id"))
        values.insert(len(values) if position is None else max(0, min(position, len(values))), value)
        return lookup
    return edit


def patch_lookup_value(value_id: str, patch: dict) -> Edit:
    """Merge-patch one lookup value (its texts, `disabled`)."""
    def edit(lookup: dict) -> dict:
        for index, value in enumerate(lookup["lookup_values_i18n"]):
            if value["id"] == value_id:
                lookup["lookup_values_i18n"][index] = merge_patch(value, patch)
                return lookup
        raise NotFound(kind=_l("Lookup value"), id=f"{lookup['unique_id']}/{value_id}")
    return edit
