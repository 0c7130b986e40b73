"""The checks of a module's matching rules: every field compared exists with a type its comparison can read, the
child's name comes first and is not a subform's, "possible" is not above "likely", and a trace's fields are case
fields that are compared."""
from __future__ import annotations

from typing import Any, Iterator

from server.metadata.configuration import Configuration
from server.metadata.documents import MODULE
from server.metadata.problems import ERROR, CheckContext, Problem, key

NAME_TYPES = ("text_field", "textarea")
# The field types each comparison reads, by position in its `fields` where it matters (birth: a date, then an age).
TYPES = {
    "name": NAME_TYPES,
    "same": ("select_box", "radio_button", "tick_box", "text_field", "numeric_field"),
    "location": ("location",),
}
BIRTH_TYPES = (("date_field",), ("numeric_field", "calculated"))
IDENTIFIER_TYPES = ("text_field",)


def _fields_of(config: Configuration, record_type: str, module_id: str) -> dict[str, dict[str, Any]]:
    """{name: field} of the module's forms of a record type, rows of a subform as "subform/field"."""
    found: dict[str, dict[str, Any]] = {}
    for _, form in config.forms_of(record_type, nested=False):
        if module_id not in form.get("module_ids", [module_id]):
            continue
        for field in form["fields"]:
            found[field["name"]] = field
            nested = config.forms.get(field.get("subform_section_id") or "")
            if field["type"] == "subform" and nested:
                found.update({f"{field['name']}/{row['name']}": row for row in nested["fields"]})
    return found


def _field(fields: dict[str, dict[str, Any]], name: str, types: tuple[str, ...], document: str,
           path: str) -> Iterator[Problem]:
    if name not in fields:
        yield Problem("MATCHING_FIELD_UNKNOWN", ERROR, document, path, {"name": name})
    elif fields[name]["type"] not in types:
        yield Problem("MATCHING_FIELD_TYPE", ERROR, document, path,
                      {"name": name, "type": fields[name]["type"], "types": ", ".join(types)})


def check_matching(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    for uid, module in config.modules.items():
        rules = module.get("matching")
        if not isinstance(rules, dict):
            continue
        document = key(MODULE, uid)
        cases = _fields_of(config, "case", uid)
        if rules["possible"] > rules["likely"]:
            yield Problem("MATCHING_THRESHOLDS", ERROR, document, "matching/possible",
                          {"possible": rules["possible"], "likely": rules["likely"]})
        names = [item for item in rules["compare"] if item["kind"] == "name"]
        if not names or any("/" in name for name in names[0]["fields"]):
            yield Problem("MATCHING_NO_CHILD_NAME", ERROR, document, "matching/compare")
        for index, item in enumerate(rules["compare"]):
            path = f"matching/compare/{index}"
            if item["kind"] == "birth":
                if len(item["fields"]) > 2:
                    yield Problem("MATCHING_BIRTH_FIELDS", ERROR, document, f"{path}/fields")
                for position, name in enumerate(item["fields"][:2]):
                    yield from _field(cases, name, BIRTH_TYPES[position], document, f"{path}/fields/{position}")
                if item.get("as_of"):
                    yield from _field(cases, item["as_of"], ("date_field",), document, f"{path}/as_of")
            else:
                for position, name in enumerate(item["fields"]):
                    yield from _field(cases, name, TYPES[item["kind"]], document, f"{path}/fields/{position}")
        for index, name in enumerate(rules.get("identifiers") or []):
            yield from _field(cases, name, IDENTIFIER_TYPES, document, f"matching/identifiers/{index}")
        traces = rules.get("traces")
        if traces:
            yield from _trace_fields(config, uid, traces, rules, document)


def _trace_fields(config: Configuration, module_id: str, traces: dict[str, Any], rules: dict[str, Any],
                  document: str) -> Iterator[Problem]:
    """The trace subform is one of the tracing request forms; each of its fields is compared as a case field that
    is compared, and a name as a name."""
    requests = _fields_of(config, "tracing_request", module_id)
    subform = traces["subform"]
    if subform not in requests or requests[subform]["type"] != "subform":
        yield Problem("MATCHING_FIELD_UNKNOWN", ERROR, document, "matching/traces/subform", {"name": subform})
        return
    compared = {name: item["kind"] for item in rules["compare"] for name in item["fields"]}
    compared.update({name: "same" for name in rules.get("identifiers") or []})
    for row_field, case_field in traces["fields"].items():
        path = f"matching/traces/fields/{row_field}"
        if f"{subform}/{row_field}" not in requests:
            yield Problem("MATCHING_FIELD_UNKNOWN", ERROR, document, path, {"name": row_field})
        elif case_field not in compared:
            yield Problem("MATCHING_TRACE_NOT_COMPARED", ERROR, document, path, {"name": case_field})
        elif compared[case_field] == "name" and requests[f"{subform}/{row_field}"]["type"] not in NAME_TYPES:
            yield Problem("MATCHING_FIELD_TYPE", ERROR, document, path,
                          {"name": row_field, "type": requests[f"{subform}/{row_field}"]["type"],
                           "types": ", ".join(NAME_TYPES)})


MATCHING_CHECKS = (check_matching,)
