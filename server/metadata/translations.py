"""Translations of the configuration: coverage per language, and the translators' spreadsheet.

The spreadsheet has one row per translatable string: kind, document, field, option, property
(the key, which must not change), the default-language text, the target-language text, and a
"missing" marker. Forms are grouped by record type (a sheet each, forms in display order), then
lookups, modules and roles. Uploading it back changes only target-language texts in the draft;
if any row has an unknown or changed key, nothing is applied and every such row is named.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterator

from server.errors import Detail, Error, Unprocessable
from server.metadata.configuration import Configuration
from server.metadata.documents import FORM, LOCATION, LOOKUP, MODULE, RECORD_TYPES, REPORT, ROLE
from server.metadata.labels import Label, iter_labels
from server.rules import Rule

KEY_COLUMNS = ("kind", "document", "field", "option", "property")
OPTION_LISTS = ("option_strings_text_i18n", "tally_i18n")


@dataclass(frozen=True)
class Row:
    kind: str
    document: str
    field: str
    option: str
    property: str
    default_text: str
    text: str

    @property
    def key(self) -> tuple[str, ...]:
        return (self.kind, self.document, self.field, self.option, self.property)


def _groups(config: Configuration) -> Iterator[tuple[str, list[tuple[str, str, dict]]]]:
    """(sheet name, documents) in the spreadsheet's order."""
    for record_type in RECORD_TYPES:
        forms = [(FORM, uid, form) for uid, form in config.forms_of(record_type)]
        if forms:
            yield record_type, forms
    for kind, name in ((LOOKUP, "lookups"), (LOCATION, "locations"), (MODULE, "modules"), (ROLE, "roles"),
                       (REPORT, "reports")):
        documents = [(kind, uid, body) for uid, body in sorted(config.documents_by_kind[kind].items())]
        if documents:
            yield name, documents


def rows_of(kind: str, uid: str, body: dict, locale: str, default: str) -> Iterator[Row]:
    for label in iter_labels(kind, body):
        yield Row(kind, uid, label.field or "", label.option or "", label.property,
                  label.texts.get(default, ""), label.texts.get(locale, ""))


def translation_rows(config: Configuration, locale: str, default: str) -> Iterator[tuple[str, list[Row]]]:
    """(sheet name, rows) of every translatable string."""
    for sheet, documents in _groups(config):
        yield sheet, [row for kind, uid, body in documents for row in rows_of(kind, uid, body, locale, default)]


def coverage(config: Configuration, languages: tuple[str, ...], default: str) -> dict[str, Any]:
    """Per language: translated/total overall and per document, with the missing labels."""
    report: dict[str, Any] = {}
    for language in languages:
        documents, total, done = [], 0, 0
        for _, group in _groups(config):
            for kind, uid, body in group:
                labels = list(iter_labels(kind, body))
                missing = [_where(label) for label in labels if not label.texts.get(language, "").strip()]
                count = len(labels)
                documents.append({"kind": kind, "unique_id": uid, "record_type": body.get("parent_form"),
                                  "total": count, "translated": count - len(missing),
                                  "percent": _percent(count - len(missing), count), "missing": missing})
                total += count
                done += count - len(missing)
        report[language] = {"default": language == default, "total": total, "translated": done,
                            "percent": _percent(done, total), "documents": documents}
    return report


def _percent(done: int, total: int) -> float:
    return round(100 * done / total, 1) if total else 100.0


def _where(label: Label) -> str:
    return "/".join(part for part in (label.field, label.option, label.property) if part)


def apply_rows(config: Configuration, rows: list[tuple[str, dict[str, str]]], locale: str,
               default: str) -> tuple[dict[tuple[str, str], dict], list[dict[str, Any]]]:
    """Check uploaded rows against the draft; return the new bodies and the list of changes.

    Raises Unprocessable naming every row whose key is unknown or whose default text changed.
    """
    known = {row.key: row for kind, uid, body in config.documents() for row in rows_of(kind, uid, body, locale, default)}
    details, changes = [], []
    for number, values in rows:
        key = tuple(values.get(column, "") or "" for column in KEY_COLUMNS)
        original = known.get(key)
        if original is None:
            details.append(Detail.of(number, Rule.TRANSLATION_KEY_UNKNOWN, row=number))
        elif (values.get("default_text") or "") != original.default_text:
            details.append(Detail.of(number, Rule.TRANSLATION_DEFAULT_CHANGED, row=number, locale=locale))
        elif (values.get("text") or "") != original.text:
            changes.append({"row": number, **dict(zip(KEY_COLUMNS, key)), "from": original.text,
                            "to": values.get("text") or ""})
    if details:
        raise Unprocessable(Error.TRANSLATIONS_REFUSED, details=details, count=len(details))
    bodies: dict[tuple[str, str], dict] = {}
    for change in changes:
        document = (change["kind"], change["document"])
        body = bodies.setdefault(document, copy.deepcopy(config.get(*document)))
        _set_text(body, change, locale)
    return bodies, changes


def _set_text(body: dict, change: dict[str, Any], locale: str) -> None:
    """Write one translated text into a document body (an empty text removes the translation)."""
    holder = body
    if change["field"]:
        holder = next(f for f in body["fields"] if f["name"] == change["field"])
    if change["option"] and change["kind"] == LOCATION:  # a place (by code) or an admin level ("level-1")
        holder = next((p for p in body.get("locations", []) if p["code"] == change["option"]), None) or next(
            level for level in body.get("admin_levels", []) if f"level-{level['admin_level']}" == change["option"])
    elif change["option"] and change["kind"] == MODULE:  # a workflow stage, approval or task ("stages/new")
        part, _, item_id = change["option"].partition("/")
        holder = next(item for item in body["workflow"][part] if item["id"] == item_id)
    elif change["option"] and change["kind"] == REPORT:  # an event of the report ("events/opened")
        event_id = change["option"].partition("/")[2]
        holder = next(event for event in body["counts"]["events"] if event["id"] == event_id)
    elif change["option"]:
        lists = [holder.get(name, []) for name in (*OPTION_LISTS, "lookup_values_i18n")]
        holder = next(o for options in lists for o in options if o["id"] == change["option"])
    texts = holder.setdefault(change["property"], {})
    if change["to"]:
        texts[locale] = change["to"]
    else:
        texts.pop(locale, None)


def check_target_language(locale: str, languages) -> None:
    """Refuse to translate into the default language or into a language the deployment does not configure."""
    if locale == languages.default or locale not in languages.languages:
        raise Unprocessable(Error.BAD_LANGUAGE, details=[Detail.of("locale", Rule.TRANSLATION_LOCALE)],
                            default=languages.default)
