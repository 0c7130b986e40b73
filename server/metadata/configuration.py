"""A whole configuration (draft or published version): every document by kind and unique_id."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, TypeVar

from server.metadata.documents import FORM, KINDS, LOCATION, LOOKUP, MODULE, RECORD_TYPES, REPORT, ROLE, content_hash


T = TypeVar("T")


def form_sort_key(form: dict[str, Any]) -> tuple:
    """Display order of forms: group, form, subform, then id."""
    return (form.get("order_form_group", 0), form.get("order", 0), form.get("order_subform", 0), form["unique_id"])


@dataclass
class Configuration:
    """Documents by kind.

    `version` is the published version number (None for the draft); `fingerprint` names that
    version uniquely across databases, so caches can be keyed by it.
    """

    documents_by_kind: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS})
    version: int | None = None
    fingerprint: str = ""
    _locations: "LocationIndex | None" = field(default=None, repr=False, compare=False)
    derived: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # what is read from it, once

    @classmethod
    def from_documents(cls, documents: Iterable[tuple[str, str, dict]], version: int | None = None,
                       fingerprint: str = "") -> "Configuration":
        config = cls(version=version, fingerprint=fingerprint)
        for kind, unique_id, body in documents:
            config.documents_by_kind[kind][unique_id] = body
        return config

    @property
    def forms(self) -> dict[str, dict[str, Any]]:
        return self.documents_by_kind[FORM]

    @property
    def lookups(self) -> dict[str, dict[str, Any]]:
        return self.documents_by_kind[LOOKUP]

    @property
    def modules(self) -> dict[str, dict[str, Any]]:
        return self.documents_by_kind[MODULE]

    @property
    def roles(self) -> dict[str, dict[str, Any]]:
        return self.documents_by_kind[ROLE]

    @property
    def reports(self) -> dict[str, dict[str, Any]]:
        return self.documents_by_kind[REPORT]

    @property
    def locations(self) -> "LocationIndex":
        """Every place of every location hierarchy, by code (built once per configuration)."""
        if self._locations is None:
            self._locations = LocationIndex(self.documents_by_kind[LOCATION].values())
        return self._locations

    def module_part(self, module_id: str | None, part: str, parse: Callable[[str, dict[str, Any]], T]) -> T | None:
        """A module's `part` (its workflow, its matching rules) as `parse(module id, body)` makes it, once per
        configuration; None when the module does not exist or has no such part."""
        key = (part, module_id)
        if key not in self.derived:
            module = self.modules.get(module_id or "")
            found = module and isinstance(module.get(part), dict)
            self.derived[key] = parse(module["unique_id"], module[part]) if found else None
        return self.derived[key]

    def get(self, kind: str, unique_id: str) -> dict[str, Any] | None:
        return self.documents_by_kind[kind].get(unique_id)

    def documents(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Yield (kind, unique_id, body) in a stable order."""
        for kind in KINDS:
            for unique_id in sorted(self.documents_by_kind[kind]):
                yield kind, unique_id, self.documents_by_kind[kind][unique_id]

    def manifest(self) -> dict[str, str]:
        """Return {"kind:unique_id": content hash}."""
        return {f"{kind}:{uid}": content_hash(body) for kind, uid, body in self.documents()}

    def record_types(self) -> list[str]:
        present = {form["parent_form"] for form in self.forms.values()}
        return [record_type for record_type in RECORD_TYPES if record_type in present]

    def forms_of(self, record_type: str, nested: bool | None = None,
                 module_id: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Return (unique_id, form) of a record type in display order, optionally filtered."""
        chosen = [(uid, form) for uid, form in self.forms.items()
                  if form["parent_form"] == record_type
                  and (nested is None or bool(form.get("is_nested")) == nested)
                  and (module_id is None or module_id in form.get("module_ids", []))]
        return sorted(chosen, key=lambda item: form_sort_key(item[1]))


class LocationIndex:
    """Places by code, with their children, so a filter on a department finds its communes."""

    def __init__(self, hierarchies) -> None:
        self.places: dict[str, dict[str, Any]] = {}
        self.children: dict[str, list[str]] = {}
        for hierarchy in hierarchies:
            for place in hierarchy["locations"]:
                self.places[place["code"]] = place
                if place.get("parent_code"):
                    self.children.setdefault(place["parent_code"], []).append(place["code"])

    def get(self, code: str) -> dict[str, Any] | None:
        return self.places.get(code)

    def with_descendants(self, code: str) -> list[str]:
        """The code and every code below it."""
        found, pending = [], [code]
        while pending:
            current = pending.pop()
            found.append(current)
            pending.extend(self.children.get(current, []))
        return found
