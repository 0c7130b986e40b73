"""The checks of the personal-data configuration: retention rules that name what exists, and fields that look like
they identify a person but are not marked so (server/metadata/retention.py)."""
from __future__ import annotations

from collections import Counter
from typing import Any, Iterator

from server.messages import _l
from server.metadata.configuration import Configuration
from server.metadata.documents import FORM, MODULE
from server.metadata.field_types import DATE, TEXT, type_of
from server.metadata.problems import ERROR, WARNING, CheckContext, Problem, key
from server.metadata.retention import ENVELOPE_MOMENTS, PSEUDONYMISE, identifying_fields

COMPARED = _l("the duplicate search compares it as a name, a date of birth or an identity number")


def _rules(config: Configuration) -> Iterator[tuple[str, dict[str, Any], int, dict[str, Any]]]:
    """(module id, module, position, rule) of every retention rule."""
    for uid, module in config.modules.items():
        for index, rule in enumerate(module.get("retention") or ()):
            if isinstance(rule, dict):
                yield uid, module, index, rule


def check_retention_ids(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A rule's id is unique in its module (runs and audit entries name rules by it)."""
    for uid, module in config.modules.items():
        counts = Counter(rule.get("id") for rule in module.get("retention") or () if isinstance(rule, dict))
        for rule_id, count in counts.items():
            if count > 1:
                yield Problem("RETENTION_ID_DUPLICATE", ERROR, key(MODULE, uid), "retention", {"id": rule_id})


def check_retention_targets(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A rule is about a record type its module holds, counted from a date the records have."""
    for uid, module, index, rule in _rules(config):
        where, record_type = f"retention/{index}", rule.get("record_type")
        if record_type not in module.get("associated_record_types", []):
            yield Problem("RETENTION_RECORD_TYPE", ERROR, key(MODULE, uid), f"{where}/record_type",
                          {"id": rule.get("id"), "record_type": record_type})
            continue
        source = rule.get("from")
        if source not in ENVELOPE_MOMENTS and source not in _date_fields(config, record_type, uid):
            yield Problem("RETENTION_FROM_UNKNOWN", ERROR, key(MODULE, uid), f"{where}/from",
                          {"id": rule.get("id"), "name": source, "record_type": record_type,
                           "moments": ", ".join(ENVELOPE_MOMENTS)})


def check_retention_removes_something(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A pseudonymising rule of a record type whose forms mark no identifying field would remove nothing."""
    for uid, module, index, rule in _rules(config):
        record_type = rule.get("record_type")
        if rule.get("action") == PSEUDONYMISE and record_type in module.get("associated_record_types", []) \
                and not identifying_fields(config, record_type):
            yield Problem("RETENTION_NOTHING_IDENTIFYING", WARNING, key(MODULE, uid), f"retention/{index}",
                          {"id": rule.get("id"), "record_type": record_type})


def _date_fields(config: Configuration, record_type: str, module_id: str) -> set[str]:
    return {field["name"] for _, form in config.forms_of(record_type, nested=False, module_id=module_id)
            for field in form["fields"] if type_of(field).value == DATE}


def check_identifying_marks(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Warn about a field that surely identifies a person and is not marked identifying: one marked `matchable`, or
    one the duplicate search compares as a name, a birth date or an identity number.

    (Guessing from names such as *_telephone would warn about fields a deployment deliberately leaves unmarked.)"""
    compared = _compared_fields(config)
    for uid, form in sorted(config.forms.items()):
        for field in form["fields"]:
            if field.get("identifying"):
                continue
            reason = _why_identifying(field, compared.get(form["parent_form"], set()))
            if reason is not None:
                yield Problem("IDENTIFYING_UNMARKED", WARNING, key(FORM, uid), field["name"],
                              {"name": field["name"], "reason": reason})


def _why_identifying(field: dict[str, Any], compared: set[str]) -> Any:
    if field.get("matchable") or (field["name"] in compared and type_of(field).value in (TEXT, DATE)):
        return COMPARED
    return None


def _compared_fields(config: Configuration) -> dict[str, set[str]]:
    """{record type: names} of the fields the modules' duplicate search compares as names, birth dates or
    identity numbers (a subform's row field by its own name)."""
    found: dict[str, set[str]] = {}
    for module in config.modules.values():
        matching = module.get("matching")
        if not isinstance(matching, dict):
            continue
        names = [name for rule in matching.get("compare") or () if rule.get("kind") in ("name", "birth")
                 for name in rule.get("fields") or ()]
        names += list(matching.get("identifiers") or ())
        found.setdefault("case", set()).update(name.rsplit("/", 1)[-1] for name in names)
        traces = matching.get("traces") or {}
        found.setdefault("tracing_request", set()).update(
            row for row, case_field in (traces.get("fields") or {}).items() if case_field in found["case"])
    return found


RETENTION_CHECKS = (check_retention_ids, check_retention_targets, check_retention_removes_something,
                    check_identifying_marks)
