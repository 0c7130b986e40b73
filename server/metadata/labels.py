"""Translatable labels of metadata documents: where they are, and resolving them to a language."""
from __future__ import annotations

from typing import Any, Iterator, NamedTuple

from server.metadata.documents import FORM, LOCATION, LOOKUP, MODULE, REPORT

DOCUMENT_LABELS = ("name_i18n", "description_i18n", "form_group_name_i18n", "help_text_i18n")
FIELD_LABELS = ("display_name_i18n", "help_text_i18n", "guiding_questions_i18n", "tick_box_label_i18n")
OPTION_LISTS = ("option_strings_text_i18n", "tally_i18n")
WORKFLOW_LABELS = ("stages", "approvals", "tasks")  # the lists of a module's workflow whose items have a name_i18n
# Labels a document cannot do without; the others are optional but, when present, need the default language.
REQUIRED_LABELS = frozenset({"name_i18n", "display_name_i18n", "display_text"})


class Label(NamedTuple):
    """One translatable string: where it is and its texts by language."""

    field: str | None      # field name, for labels inside a form's fields
    option: str | None     # option (or tally, or lookup value) id
    property: str          # name_i18n, display_name_i18n, display_text, ...
    texts: dict[str, str]
    required: bool


def iter_labels(kind: str, body: dict[str, Any]) -> Iterator[Label]:
    """Yield every translatable string of a document, in document order."""
    for prop in DOCUMENT_LABELS:
        if prop in body:
            yield Label(None, None, prop, body[prop], prop in REQUIRED_LABELS)
    if kind == FORM:
        for field in body.get("fields", []):
            for prop in FIELD_LABELS:
                if prop in field:
                    yield Label(field["name"], None, prop, field[prop], prop in REQUIRED_LABELS)
            for list_name in OPTION_LISTS:
                for option in field.get(list_name, []):
                    yield Label(field["name"], option["id"], "display_text", option["display_text"], True)
    elif kind == LOOKUP:
        for value in body.get("lookup_values_i18n", []):
            yield Label(None, value["id"], "display_text", value["display_text"], True)
    elif kind == MODULE:
        for part in WORKFLOW_LABELS:
            for item in (body.get("workflow") or {}).get(part, []):
                yield Label(None, f"{part}/{item['id']}", "name_i18n", item["name_i18n"], True)
    elif kind == REPORT:
        for event in (body.get("counts") or {}).get("events", []):
            yield Label(None, f"events/{event['id']}", "name_i18n", event["name_i18n"], True)
    elif kind == LOCATION:
        for level in body.get("admin_levels", []):
            yield Label(None, f"level-{level['admin_level']}", "type_i18n", level["type_i18n"], True)
        for place in body.get("locations", []):
            yield Label(None, place["code"], "name_i18n", place["name_i18n"], True)


def resolve_text(texts: dict[str, str] | None, locale: str, default_language: str) -> str:
    """Return the text in `locale`, else in the default language, else any text there is."""
    if not texts:
        return ""
    return (texts.get(locale) or texts.get(default_language)
            or next((text for text in texts.values() if text), ""))


def localize_document(body: Any, locale: str, default_language: str) -> Any:
    """Return a copy where every `x_i18n` map becomes `x` in one language, and option texts too."""
    if isinstance(body, list):
        return [localize_document(item, locale, default_language) for item in body]
    if not isinstance(body, dict):
        return body
    result: dict[str, Any] = {}
    for key, value in body.items():
        if key == "display_text" and isinstance(value, dict):
            result[key] = resolve_text(value, locale, default_language)
        elif key.endswith("_i18n") and isinstance(value, dict):
            result[key[:-5]] = resolve_text(value, locale, default_language)
        elif key.endswith("_i18n"):  # lists of options keep their shape, their texts are resolved
            result[key[:-5]] = localize_document(value, locale, default_language)
        else:
            result[key] = localize_document(value, locale, default_language)
    return result


# What a translator (metadata: manage_translations) may change besides labels: order and visibility.
TRANSLATOR_KEYS = frozenset({"order", "order_form_group", "order_subform", "visible", "mobile_visible", "mobile_form"})


def _strip_translatable(value: Any) -> Any:
    if isinstance(value, list):
        return [_strip_translatable(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {key: _strip_translatable(item) for key, item in value.items()
            if not key.endswith("_i18n") and key != "display_text" and key not in TRANSLATOR_KEYS
            or key in ("option_strings_text_i18n", "tally_i18n", "lookup_values_i18n")}


def non_translation_changes(kind: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Return the attributes a change touches beyond labels, help texts, translations, order and visibility."""
    old, new = _strip_translatable(before), _strip_translatable(after)
    if kind == FORM:  # fields may be reordered: compare them by name
        old_fields = {f["name"]: f for f in old.pop("fields", [])}
        new_fields = {f["name"]: f for f in new.pop("fields", [])}
        changed = [f"fields/{name}" for name in sorted(set(old_fields) | set(new_fields))
                   if old_fields.get(name) != new_fields.get(name)]
    else:
        changed = []
    return changed + [key for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]
