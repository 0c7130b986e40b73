"""A Primero v2 configuration as Abri documents, with the report of what was mapped, adapted and left out.

The file is the attribute shape of Primero's configuration seeds (db/configuration) and of its
configuration API: one JSON object with the lists `forms` (form sections with `fields_attributes` or
`fields`), `lookups`, `roles`, `modules` and `locations`. Texts come as `*_i18n` maps ({"en": ..., "fr": ...})
or as flattened keys (`name_en`, `display_name_fr`, `option_strings_text_fr`, `lookup_values_en`), both merged.

Pure domain code: it reads bytes and returns documents; what the instance already holds (its lookups, its
administrators, its records) is the use case's business (server/services/primero_import.py).

    read_file          bytes -> the lists, or PrimeroFileInvalid / PrimeroFileTooLarge (primero_read.py)
    convert            the lists -> Conversion(documents, report)
      convert_lookups  primero_forms.py
      convert_forms    primero_forms.py (three passes: ids, names, fields)
      convert_roles    primero_roles.py (the permission vocabulary)
      modules, places  here
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from server.interop.primero_forms import (EMPTY_VALUES, FormConversion, collect_forms, convert_forms,
                                          convert_lookups)
from server.interop.primero_read import (PrimeroFileInvalid, dashed_id, label, location_code, read_file, snake_name,
                                         strings, texts, unique)
from server.interop.primero_report import Note, Report
from server.interop.primero_roles import convert_roles
from server.metadata.documents import FORM, LOCATION, LOOKUP, MODULE, RECORD_TYPES, ROLE, validate_document
from server.errors import AbriError

__all__ = ["Conversion", "PrimeroFileInvalid", "convert", "read_file"]

HIERARCHY_ID = "locations-primero"
MODULE_KEYS = {"unique_id", "name", "description", "associated_record_types", "form_section_unique_ids",
               "form_sections", "form_section_ids", "module_options", "id"}


@dataclass
class Conversion:
    """The Abri documents made from a Primero file, and the report that accounts for each of its elements."""

    documents: dict[str, dict[str, dict[str, Any]]]  # kind -> unique_id -> body
    report: Report
    needed_lookups: set[str] = field(default_factory=set)  # the instance's lookups that imported fields use

    def as_list(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(kind, uid, body) for kind, bodies in self.documents.items() for uid, body in bodies.items()]


def convert(lists: dict[str, list[Any]], default_language: str,
            known_lookups: Iterable[str] = ()) -> Conversion:
    """Convert the lists read_file returns into Abri documents (each checked against its meta-schema)."""
    report = Report()
    lookups, lookup_ids = convert_lookups(lists.get("lookups", []), default_language, report)
    forms_in = FormConversion(default_language, report, lookup_ids, frozenset(known_lookups))
    collect_forms(lists.get("forms", []), forms_in)
    forms = convert_forms(forms_in)
    modules, module_ids = _modules(lists.get("modules", []), default_language, report)
    _attach_modules(forms, forms_in, lists.get("modules", []), module_ids, modules)
    top_level = {raw: source.uid for raw, source in forms_in.sources.items() if not source.item.get("is_nested")}
    roles, _ = convert_roles(lists.get("roles", []), {"default_language": default_language, "forms": top_level,
                                                       "modules": module_ids}, report)
    documents = {FORM: forms, LOOKUP: lookups, MODULE: modules, ROLE: roles, LOCATION: {}}
    places = _places(lists.get("locations", []), default_language, report)
    if places:
        documents[LOCATION][HIERARCHY_ID] = places
    _validate(documents)
    return Conversion(documents, report, forms_in.needed_lookups)


def _validate(documents: dict[str, dict[str, dict]]) -> None:
    """Every document fits its meta-schema, or the import stops whole (say, a form of more than 1,000 fields)."""
    for kind, bodies in documents.items():
        for body in bodies.values():
            try:
                validate_document(kind, body)
            except AbriError as error:
                raise PrimeroFileInvalid(reason=error.rendered(), details=error.details) from None


# --- modules ------------------------------------------------------------------------------------


def _modules(items: list[Any], default_language: str, report: Report) -> tuple[dict[str, dict], dict[str, str]]:
    modules: dict[str, dict] = {}
    ids: dict[str, str] = {}
    for index, item in enumerate(items):
        raw = item.get("unique_id") if isinstance(item, dict) else None
        if not isinstance(raw, str) or not raw or raw in ids:
            note = Note("duplicate", {"name": raw}) if raw in ids else Note("shape_invalid")
            report.add("module", f"{raw} #{index}" if raw in ids else f"#{index}", [note], left_out=True)
            continue
        types = list(strings(item.get("associated_record_types")))
        kept = [t for t in dict.fromkeys(types) if t in RECORD_TYPES]
        if not kept:
            report.add("module", raw, [Note("no_record_types")], left_out=True)
            continue
        uid = unique(dashed_id(raw, ""), set(modules))
        notes = [Note("renamed", {"old": raw, "new": uid})] if uid != raw else []
        if len(kept) < len(types):
            notes.append(Note("record_types_unknown", {"types": ", ".join(t for t in types if t not in kept)}))
        name, missing = label(texts(item, "name"), default_language, raw)
        body: dict[str, Any] = {"unique_id": uid, "name_i18n": name, "associated_record_types": kept}
        description = texts(item, "description")
        if description:
            body["description_i18n"] = label(description, default_language, raw)[0]
        options = _module_options(item.get("module_options"), notes)
        if options:
            body["module_options"] = options
        notes += [Note("attribute_dropped", {"attribute": key}) for key, value in item.items()
                  if key not in MODULE_KEYS and not key.startswith(("name_", "description_"))
                  and value not in EMPTY_VALUES]
        if missing:
            notes.append(Note("label_missing", {"name": raw}))
        modules[uid], ids[raw] = body, uid
        report.add("module", raw, notes)
    return modules, ids


def _module_options(raw: Any, notes: list[Note]) -> dict[str, Any]:
    options = {}
    for key, value in (raw.items() if isinstance(raw, dict) else []):
        if isinstance(value, (bool, str, int, float)) and len(options) < 100 and (not isinstance(value, str)
                                                                                  or len(value) <= 1000):
            options[snake_name(key, "option")] = value
        else:
            notes.append(Note("attribute_dropped", {"attribute": f"module_options.{str(key)[:100]}"}))
    return options


def _attach_modules(forms: dict[str, dict], conversion: FormConversion, items: list[Any],
                    module_ids: dict[str, str], modules: dict[str, dict]) -> None:
    """module_ids of each form: its own, the modules that list it, else every module of its record type.

    A nested form takes its parent's: Primero's modules list only the forms shown as tabs.
    """
    listing: dict[str, list[str]] = {}
    for item in items:
        if isinstance(item, dict) and item.get("unique_id") in module_ids:
            for key in ("form_section_unique_ids", "form_sections", "form_section_ids"):
                for form in strings(item.get(key)):
                    listing.setdefault(form, []).append(module_ids[item["unique_id"]])
    anything_listed = bool(listing)
    for raw, source in conversion.sources.items():
        own = [module_ids[m] for key in ("module_ids", "primero_modules") for m in strings(source.item.get(key))
               if m in module_ids]
        chosen = list(dict.fromkeys(own + listing.get(raw, [])))
        if not chosen and not anything_listed:
            chosen = [uid for uid, module in modules.items()
                      if source.item["parent_form"] in module["associated_record_types"]]
        chosen = [uid for uid in chosen if source.item["parent_form"] in modules[uid]["associated_record_types"]]
        if chosen:
            forms[source.uid]["module_ids"] = chosen
    for form in forms.values():
        for field_ in form["fields"]:
            nested = forms.get(field_.get("subform_section_id", ""))
            if nested is not None and form.get("module_ids"):
                nested["module_ids"] = list(dict.fromkeys(nested.get("module_ids", []) + form["module_ids"]))


# --- places -------------------------------------------------------------------------------------


def _place_parts(item: dict[str, Any]) -> tuple[str, int | None, str | None]:
    raw = item.get("location_code") or item.get("code")
    path = [part for part in str(item.get("hierarchy_path") or "").split(".") if part]
    level = item.get("admin_level")
    if not isinstance(level, int) or isinstance(level, bool):
        level = len(path) - 1 if path else None
    parent = item.get("parent_code") or (path[-2] if len(path) >= 2 else None)
    return str(raw) if raw not in EMPTY_VALUES else "", level, str(parent) if parent else None


def _places(items: list[Any], default_language: str, report: Report) -> dict[str, Any] | None:
    """One location hierarchy with every usable place, parents first; each place reported."""
    rows = []
    for position, item in enumerate(items):
        code, level, parent = _place_parts(item) if isinstance(item, dict) else ("", None, None)
        if not location_code(code) or level is None or not 0 <= level <= 6:
            report.add("location", code[:50] or f"#{position}", [Note("location_invalid")], left_out=True)
            continue
        rows.append((level, position, code, parent, item))
    places: list[dict[str, Any]] = []
    levels: dict[int, str] = {}
    codes: dict[str, str] = {}  # Primero code -> Abri code
    level_of: dict[str, int] = {}  # Abri code -> admin level
    for level, position, raw, parent, item in sorted(rows, key=lambda row: row[:2]):
        code = location_code(raw)
        notes = [Note("renamed", {"old": raw, "new": code})] if code != raw else []
        parent_code = codes.get(parent) if parent else None
        if code in level_of or (parent and (parent_code is None or level_of[parent_code] != level - 1)):
            duplicate = code in level_of
            note = Note("duplicate", {"name": raw}) if duplicate else \
                Note("location_parent_unknown", {"parent": parent})
            report.add("location", f"{raw} #{position}" if duplicate else raw, [note], left_out=True)
            continue
        name, missing = label(texts(item, "placename") or texts(item, "name"), default_language, raw)
        place = {"code": code, "admin_level": level, "name_i18n": name}
        if parent_code:
            place["parent_code"] = parent_code
        places.append(place)
        codes[raw], level_of[code] = code, level
        kind = item.get("type") if isinstance(item.get("type"), str) and item.get("type") else f"level_{level}"
        levels.setdefault(level, kind)
        report.add("location", raw, notes + ([Note("label_missing", {"name": raw})] if missing else []))
    if not places:
        return None
    admin_levels = [{"admin_level": level, "type": snake_name(kind, "level"),
                     "type_i18n": {default_language: kind[:2000]}} for level, kind in sorted(levels.items())]
    return {"unique_id": HIERARCHY_ID, "name_i18n": {default_language: "Primero"}, "admin_levels": admin_levels,
            "locations": places}

