"""What publishing the draft will change for the people who use the forms: the readable changes, how many users and
devices will receive the new version, and how many records hold data for each field the draft removes (their data
stay in the records, but no form shows them any more)."""
from __future__ import annotations

from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.diff import diff_configurations
from server.metadata.documents import FORM
from server.metadata.readable import readable_changes, text_in
from server.metadata.documents import RECORD_TYPES
from server.storage import Database, auth as auth_store, records as record_store
from server.storage.devices import DEVICES
from server.storage.query import Filter


def removed_fields(before: Configuration, after: Configuration) -> dict[str, set[str]]:
    """{record type: names of top-level fields published in `before` that no form of `after` holds}."""
    def names(config: Configuration, record_type: str) -> set[str]:
        return {field["name"] for _, form in config.forms_of(record_type, nested=False) for field in form["fields"]}
    return {record_type: names(before, record_type) - names(after, record_type)
            for record_type in before.record_types()}


def records_holding(db: Database, record_type: str, name: str) -> int:
    """How many records of a type hold a value for a top-level field."""
    if record_type not in RECORD_TYPES:  # (the collection of a record type is its name)
        return 0
    return record_store.count_records(db, record_type, Filter(f"data.{name}", "ne", None))


def _new_home(draft: Configuration, record_type: str, name: str, locale: str) -> dict[str, str]:
    """{"moved_to": the label of the form that holds a field now}, for a field that left one form for another."""
    for uid, form in draft.forms_of(record_type, nested=False):
        if any(field["name"] == name for field in form["fields"]):
            return {"moved_to": text_in(form.get("name_i18n"), locale, uid)}
    return {}


def publish_impact(db: Database, published: Configuration, draft: Configuration, locale: str) -> dict[str, Any]:
    """The draft's changes as a person reads them, and who and what a publish reaches."""
    changes = readable_changes(diff_configurations(published, draft), published, draft, locale)
    removed = removed_fields(published, draft)
    for change in changes:
        if change["kind"] != FORM:
            continue
        record_type = change.get("parent_form")
        gone = {item["name"] for item in change.get("fields_removed", [])}
        if change["change"] == "removed":
            form = published.documents_by_kind[FORM][change["unique_id"]]
            change["fields_removed"] = [
                {"name": f["name"], "label": text_in(f.get("display_name_i18n"), locale, f["name"])}
                for f in form["fields"]]
            gone = {f["name"] for f in form["fields"]}
        for field in change.get("fields_removed", []):
            held = field["name"] in removed.get(record_type, set()) and field["name"] in gone
            field["records"] = records_holding(db, record_type, field["name"]) if held else 0
            if not held and record_type in draft.record_types():
                field.update(_new_home(draft, record_type, field["name"], locale))
    return {"published_version": published.version, "changes": changes,
            "users": auth_store.count(db, "users", Filter("disabled", "ne", True)),
            "devices": auth_store.count(db, DEVICES, Filter("revoked_at", "eq", None)),
            "records_losing_a_field": sum(field.get("records", 0) for change in changes
                                          for field in change.get("fields_removed", []))}
