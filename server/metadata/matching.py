"""What makes two cases potential duplicates, as configuration: a module's `matching`.

    "matching": {
      "likely": 0.78, "possible": 0.7,
      "compare": [{"kind": "name", "fields": ["name_first", "name_last", "name_other", "name_nickname"], "weight": 6},
                  {"kind": "same", "fields": ["sex"], "weight": 2},
                  {"kind": "birth", "fields": ["date_of_birth", "age"], "as_of": "registration_date", "weight": 3},
                  {"kind": "name", "fields": ["family_details_section/relation_name"], "weight": 2},
                  {"kind": "location", "fields": ["location_current"], "weight": 1}],
      "identifiers": ["national_id_no"],
      "name_variants": [["fatoumata", "fatou", "fanta"], ...],
      "traces": {"subform": "tracing_request_subform_section",
                 "fields": {"name": "name_first", "sex": "sex", "age": "age", "location_last": "location_current"}}
    }

The first `name` comparison is the child's name: candidates are found by it (server/matching), and a case without a
name is compared by its identity numbers only. schemas/module.json draws the shape; matching_checks.py checks that
each field exists with a type its comparison can read. Country profiles add their identity numbers
(profile.json `matching_identifiers`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.metadata.configuration import Configuration
from server.metadata.documents import content_hash

NAME, SAME, BIRTH, LOCATION = "name", "same", "birth", "location"
KINDS = (NAME, SAME, BIRTH, LOCATION)


@dataclass(frozen=True)
class Comparison:
    kind: str
    fields: tuple[str, ...]
    weight: float
    as_of: str | None = None
    against: float = 0.0     # taken away when the two clearly disagree


@dataclass(frozen=True)
class Traces:
    """The subform of a tracing request whose rows are the children sought; {row field: case field}."""

    subform: str
    fields: dict[str, str]


# The shape of what records are stored with for matching (server/matching/score.py keys, the names listed under the
# wide ones): a new shape changes every fingerprint, so that the workers store every record again.
STORED_SHAPE = 2


@dataclass(frozen=True)
class Matching:
    module_id: str
    fingerprint: str   # of the rules and STORED_SHAPE: the keys a record holds were made by these rules if it is theirs
    likely: float
    possible: float
    compare: tuple[Comparison, ...]
    identifiers: tuple[str, ...]
    name_variants: tuple[tuple[str, ...], ...]
    traces: Traces | None

    @property
    def read_fields(self) -> tuple[str, ...]:
        """The top-level data fields the rules read (a subform's whole rows), in the order they name them."""
        names = [name.split("/")[0] for item in self.compare for name in item.fields]
        names += [*self.identifiers, *(item.as_of for item in self.compare if item.as_of)]
        return tuple(dict.fromkeys(names))


def matching_of(config: Configuration, module_id: str | None) -> Matching | None:
    """The matching rules of a module (None: it has none, or does not exist)."""
    return config.module_part(module_id, "matching", parse_matching)


def parse_matching(module_id: str, body: dict[str, Any]) -> Matching:
    """Build the rules from a module's `matching` (already valid against the module meta-schema)."""
    traces = body.get("traces")
    return Matching(
        module_id=module_id,
        fingerprint=content_hash({"rules": body, "shape": STORED_SHAPE})[:16],
        likely=float(body["likely"]),
        possible=float(body["possible"]),
        compare=tuple(Comparison(item["kind"], tuple(item["fields"]), float(item["weight"]), item.get("as_of"),
                                 float(item.get("against") or 0)) for item in body["compare"]),
        identifiers=tuple(body.get("identifiers") or ()),
        name_variants=tuple(tuple(group) for group in body.get("name_variants") or ()),
        traces=Traces(traces["subform"], dict(traces["fields"])) if traces else None,
    )
