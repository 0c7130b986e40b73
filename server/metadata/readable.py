"""Configuration changes as a person reads them: labels instead of ids, property names in words, nothing reported
where nothing changed.

`same_value` is the one rule of "nothing changed": a missing attribute, null, "", false, [] and {} are all "not set"
(except for the attributes that default to true, like `visible`); a label map's empty languages are not set; lists
whose order means nothing (a role's actions, a form's modules) compare as sets. The stored diffs (server/metadata/
diff.py) and the readable ones use it, so a draft saved again without a change shows no change.

`readable_changes` turns a diff into what the admin UI shows before a publish and in the history: per document, its
label, and per form the fields and options added, removed and changed, with the changed properties named in the
reader's language.
"""
from __future__ import annotations

from typing import Any

from server.messages import _l, render
from server.metadata.configuration import Configuration
from server.metadata.documents import FORM, LOOKUP

# Attributes whose absence means true: hiding a field is a change, a missing `visible` is not.
TRUE_BY_DEFAULT = frozenset({"visible", "mobile_visible"})
# Lists whose order carries no meaning.
UNORDERED = frozenset({"module_ids", "permissions", "actions", "assignable_roles", "user_group_ids", "form_section_ids",
                       "associated_record_types", "collapsed_field_names"})

PROPERTY_NAMES = {
    "display_name_i18n": _l("label"), "name_i18n": _l("name"), "description_i18n": _l("help text"),
    "help_text_i18n": _l("help text"), "guiding_questions_i18n": _l("guiding questions"), "required": _l("required"),
    "visible": _l("visible"), "mobile_visible": _l("visible on tablets"), "show_on_minify_form": _l("shown in lists"),
    "display_conditions": _l("when it is shown"), "option_strings_source": _l("options"),
    "option_strings_text_i18n": _l("options"), "multi_select": _l("several choices"), "min_value": _l("minimum"),
    "max_value": _l("maximum"), "max_length": _l("longest text"), "pattern": _l("accepted text pattern"),
    "pattern_hint_i18n": _l("hint about the accepted text"), "date_validation": _l("date rule"),
    "date_include_time": _l("date and time"), "calculation": _l("calculation"),
    "location_admin_level": _l("administrative level"), "tally_i18n": _l("counts"), "subform_section_id": _l("subform"),
    "subform_sort_by": _l("order of the rows"), "collapsed_field_names": _l("summary of the rows"),
    "filterable": _l("filters lists"), "searchable": _l("found by text search"),
    "matchable": _l("used to find duplicates"),
    "identifying": _l("identifies a person"),
    "disabled": _l("read-only"), "selected_value": _l("default value"), "tick_box_label_i18n": _l("tick box text"),
    "max_size_mb": _l("largest file"), "max_files": _l("most files"), "order": _l("position"),
    "order_form_group": _l("position of the group"), "form_group_id": _l("group"), "module_ids": _l("modules"),
    "is_nested": _l("subform"), "lookup_values_i18n": _l("values"), "locked": _l("locked"),
    "permissions": _l("permissions"), "group_permission": _l("scope"), "form_section_read_write": _l("forms"),
    "assignable_roles": _l("roles it may give"), "referral": _l("may receive referrals"),
    "transfer": _l("may receive transfers"),
}


def not_set(key: str, value: Any) -> bool:
    """Whether a value means "not set" for this attribute."""
    if key in TRUE_BY_DEFAULT:
        return value is None or value is True
    if isinstance(value, dict):
        return all(not_set(key, item) for item in value.values())
    return value is None or value is False or (isinstance(value, (str, list)) and not value)  # 0 is a value


def _normal(key: str, value: Any) -> Any:
    if not_set(key, value):
        return None
    if isinstance(value, dict) and key.endswith("_i18n"):
        return {language: text for language, text in value.items() if text not in (None, "")}
    if isinstance(value, list) and key in UNORDERED and all(isinstance(item, str) for item in value):
        return sorted(set(value))
    if isinstance(value, dict):  # a role's {resource: actions} keeps its actions unordered
        inner = (lambda name: key) if key in UNORDERED else (lambda name: name)
        return {name: _normal(inner(name), item) for name, item in value.items() if not not_set(inner(name), item)}
    return value


def same_value(key: str, before: Any, after: Any) -> bool:
    """Whether two values of an attribute mean the same (see the module's docstring)."""
    return before == after or _normal(key, before) == _normal(key, after)


def text_in(texts: Any, locale: str, fallback: str = "") -> str:
    """A label map read in `locale`, else in any language it has, else `fallback`."""
    if isinstance(texts, dict):
        return texts.get(locale) or next((text for text in texts.values() if text), fallback)
    return texts if isinstance(texts, str) and texts else fallback


def property_name(key: str, locale: str) -> str:
    """An attribute's name in words ("label", "libellé"); the key itself for one this list does not know."""
    return render(PROPERTY_NAMES[key], None, locale) if key in PROPERTY_NAMES else key


def _document(configs: tuple[Configuration, Configuration], kind: str, uid: str) -> dict[str, Any]:
    after, before = configs[1].documents_by_kind[kind].get(uid), configs[0].documents_by_kind[kind].get(uid)
    return after or before or {}


def _field_label(form: dict[str, Any], name: str, locale: str) -> str:
    field = next((f for f in form.get("fields", []) if f["name"] == name), {})
    return text_in(field.get("display_name_i18n"), locale, name)


def _options(field: dict[str, Any]) -> dict[str, Any]:
    return {option["id"]: option for option in field.get("option_strings_text_i18n") or [] if isinstance(option, dict)}


def _option_changes(before: dict[str, Any], after: dict[str, Any], locale: str) -> dict[str, list[dict[str, str]]]:
    """The inline options added, removed and relabelled between two versions of a field (or lookup values)."""
    def label(option: dict[str, Any]) -> str:
        return text_in(option.get("display_text"), locale, option.get("id", ""))
    old, new = before, after
    return {"options_added": [{"id": oid, "label": label(new[oid])} for oid in new if oid not in old],
            "options_removed": [{"id": oid, "label": label(old[oid])} for oid in old if oid not in new],
            "options_changed": [{"id": oid, "label": label(new[oid])} for oid in new
                                if oid in old and not same_value("display_text", old[oid].get("display_text"),
                                                                 new[oid].get("display_text"))
                                or oid in old and bool(old[oid].get("disabled")) != bool(new[oid].get("disabled"))]}


def _field_change(before: dict[str, Any], after: dict[str, Any], keys: list[str], locale: str) -> dict[str, Any]:
    """One field's change (`keys`: the attributes the diff found changed)."""
    change = {"name": after["name"], "label": text_in(after.get("display_name_i18n"), locale, after["name"]),
              "properties": [property_name(key, locale) for key in keys if key != "option_strings_text_i18n"]}
    if "option_strings_text_i18n" in keys:
        change.update(_option_changes(_options(before), _options(after), locale))
    return change


def _form_change(change: dict[str, Any], before: dict[str, Any], after: dict[str, Any], locale: str) -> dict[str, Any]:
    old = {field["name"]: field for field in before.get("fields", [])}
    new = {field["name"]: field for field in after.get("fields", [])}
    changed = [_field_change(old[name], new[name], list(keys), locale)
               for name, keys in change.get("fields_changed", {}).items()]
    return {"fields_added": [{"name": n, "label": _field_label(after, n, locale)}
                             for n in change.get("fields_added", [])],
            "fields_removed": [{"name": n, "label": _field_label(before, n, locale)}
                               for n in change.get("fields_removed", [])],
            "fields_changed": changed, "fields_reordered": bool(change.get("fields_reordered")),
            "properties": [property_name(key, locale) for key in change.get("attributes", {})]}


def _lookup_change(change: dict[str, Any], before: dict[str, Any], after: dict[str, Any],
                   locale: str) -> dict[str, Any]:
    def values(lookup: dict[str, Any]) -> dict[str, Any]:
        return {value["id"]: value for value in lookup.get("lookup_values_i18n") or [] if isinstance(value, dict)}
    attributes = [key for key in change.get("attributes", {}) if key != "lookup_values_i18n"]
    return {**_option_changes(values(before), values(after), locale),
            "properties": [property_name(key, locale) for key in attributes]}


def readable_changes(changes: list[dict[str, Any]], before: Configuration, after: Configuration,
                     locale: str) -> list[dict[str, Any]]:
    """The changes of a diff as a person reads them; a document whose changes all mean nothing is left out."""
    configs = (before, after)
    readable = []
    for change in changes:
        kind, uid = change["kind"], change["unique_id"]
        document = _document(configs, kind, uid)
        item = {"kind": kind, "unique_id": uid, "change": change["change"],
                "label": text_in(document.get("name_i18n"), locale, uid)}
        if kind == FORM:
            item["parent_form"] = document.get("parent_form")
        if change["change"] == "changed":
            old, new = before.documents_by_kind[kind][uid], after.documents_by_kind[kind][uid]
            detail = (_form_change(change, old, new, locale) if kind == FORM
                      else _lookup_change(change, old, new, locale) if kind == LOOKUP
                      else {"properties": [property_name(key, locale) for key in change.get("attributes", {})]})
            if not any(detail.values()):
                continue
            item.update(detail)
        readable.append(item)
    return readable
