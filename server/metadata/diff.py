"""Differences between two configurations: documents, and for forms, fields and attributes."""
from __future__ import annotations

from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.documents import FORM, KINDS
from server.metadata.readable import same_value


def _changed_attributes(before: dict[str, Any], after: dict[str, Any], skip: tuple[str, ...] = ()) -> dict:
    """The attributes whose values mean something else (empty -> false, reordered actions: not a change)."""
    keys = [key for key in dict.fromkeys([*before, *after]) if key not in skip]
    return {key: {"from": before.get(key), "to": after.get(key)} for key in keys
            if not same_value(key, before.get(key), after.get(key))}


def diff_form(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Return the form's changed attributes and its fields added, removed, changed and moved."""
    old = {f["name"]: f for f in before["fields"]}
    new = {f["name"]: f for f in after["fields"]}
    changed = {name: attributes for name in new if name in old and old[name] != new[name]
               for attributes in [_changed_attributes(old[name], new[name])] if attributes}
    order_before = [name for name in old if name in new]
    order_after = [name for name in new if name in old]
    return {
        "attributes": _changed_attributes(before, after, skip=("fields",)),
        "fields_added": [name for name in new if name not in old],
        "fields_removed": [name for name in old if name not in new],
        "fields_changed": changed,
        "fields_reordered": order_before != order_after,
    }


def diff_configurations(before: Configuration, after: Configuration) -> list[dict[str, Any]]:
    """List the documents added, removed and changed from `before` to `after`."""
    changes = []
    for kind in KINDS:
        old, new = before.documents_by_kind[kind], after.documents_by_kind[kind]
        for uid in sorted(set(old) | set(new)):
            if uid not in old:
                changes.append({"kind": kind, "unique_id": uid, "change": "added"})
            elif uid not in new:
                changes.append({"kind": kind, "unique_id": uid, "change": "removed"})
            elif old[uid] != new[uid]:
                detail = diff_form(old[uid], new[uid]) if kind == FORM else {
                    "attributes": _changed_attributes(old[uid], new[uid])}
                if any(detail.values()):
                    changes.append({"kind": kind, "unique_id": uid, "change": "changed", **detail})
    return changes
