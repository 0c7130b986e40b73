"""The checks a configuration must pass: one small function per rule, each with a stable code.

Every check takes the draft configuration and a context and yields problems. Errors block
publishing; warnings are shown but do not. The same checks run on the draft view and at publish.
"""
from __future__ import annotations

import json
from collections import Counter, deque
from typing import Any, Iterator

from server.messages import _l
from server.metadata import expressions, patterns
from server.metadata.configuration import Configuration
from server.metadata.documents import FORM, LOCATION, LOOKUP, MODULE, ROLE, SEPARATOR
from server.metadata.field_types import COMPUTED, ROWS, type_of
from server.metadata.labels import iter_labels
from server.metadata.readable import PROPERTY_NAMES
from server.metadata.matching_checks import MATCHING_CHECKS
from server.metadata.workflow_checks import WORKFLOW_CHECKS
from server.metadata.report_checks import REPORT_CHECKS
from server.metadata.retention_checks import RETENTION_CHECKS
from server.metadata.role_vocabulary import ASSIGN_ALL, RESOURCES
from server.metadata.problems import (ERROR, WARNING, Check, CheckContext, Problem,  # noqa: F401  (re-exported)
                                      check_expression, key as _key)




PATTERN_FEATURES = {
    "backreference": _l("a backreference"),
    "lookaround": _l("a lookahead or lookbehind"),
    "atomic_group": _l("an atomic group"),
    "possessive": _l("a possessive quantifier"),
}


def check_field_names_unique(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    for uid, form in config.forms.items():
        for name, count in Counter(f["name"] for f in form["fields"]).items():
            if count > 1:
                yield Problem("FIELD_NAME_DUPLICATE", ERROR, _key(FORM, uid), name, {"name": name})


# Attributes that only present a field on one form: they may differ between the forms sharing its
# name. Everything else (type, options, required, rules, conditions, calculation, search marks)
# decides what the record accepts, computes or finds, so it is the same wherever the name is used.
PRESENTATION_KEYS = frozenset({"display_name_i18n", "help_text_i18n", "guiding_questions_i18n", "tick_box_label_i18n",
                               "pattern_hint_i18n", "visible", "mobile_visible", "show_on_minify_form",
                               "collapsed_field_names", "subform_sort_by"})
_DEFAULTS = {"required": False, "disabled": False, "multi_select": False, "date_include_time": False,
             "filterable": False, "searchable": False, "matchable": False, "identifying": False,
             "date_validation": "default_date_validation"}
OPTIONS = "options"


def field_definition(field: dict[str, Any]) -> dict[str, Any]:
    """Return what a field's name means in a record: every attribute but its texts and layout on one form.

    Absent flags equal their defaults. `options` is the lookup, or the inline option ids with their
    `disabled` mark (which decides what may still be chosen), whatever their texts or order.
    """
    definition = {key: value for key, value in field.items()
                  if key not in PRESENTATION_KEYS and key not in ("option_strings_source", "option_strings_text_i18n")}
    for key, default in _DEFAULTS.items():
        definition.setdefault(key, default)
    if "tally_i18n" in definition:
        definition["tally_i18n"] = sorted(str(t.get("id")) for t in field["tally_i18n"])
    if field.get("option_strings_source"):
        definition[OPTIONS] = field["option_strings_source"]
    elif "option_strings_text_i18n" in field:
        definition[OPTIONS] = sorted([str(o.get("id")), bool(o.get("disabled"))]
                                     for o in field["option_strings_text_i18n"])
    return definition


_ABSENT = object()


def _definition_text(key: str, value: Any) -> Any:
    if value is _ABSENT:
        return _l("(not set)")  # lazy: rendered in the language of whoever reads the problem
    if key == OPTIONS and isinstance(value, list):
        return "[" + ", ".join(option + (" (disabled)" if disabled else "") for option, disabled in value) + "]"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 120 else text[:119] + "…"


def _attribute_path(field: dict[str, Any], key: str) -> str:
    if key != OPTIONS:
        return key
    return "option_strings_source" if field.get("option_strings_source") else "option_strings_text_i18n"


def check_fields_consistent(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Top-level forms of a record type share the record's data: a name has one definition (field_definition)."""
    for record_type in config.record_types():
        seen: dict[str, tuple[str, dict[str, Any]]] = {}
        for uid, form in config.forms_of(record_type, nested=False):
            for field in form["fields"]:
                definition = field_definition(field)
                first_form, first = seen.setdefault(field["name"], (uid, definition))
                if first_form == uid:  # a name twice in one form is FIELD_NAME_DUPLICATE
                    continue
                for key in sorted(set(definition) | set(first)):
                    this, other = definition.get(key, _ABSENT), first.get(key, _ABSENT)
                    if this != other:
                        yield Problem("FIELD_INCONSISTENT", ERROR, _key(FORM, uid),
                                      f"{field['name']}/{_attribute_path(field, key)}",
                                      {"name": field["name"], "attribute": key, "this": _definition_text(key, this),
                                       "other": _definition_text(key, other), "other_form": first_form})


def _describe(signature: tuple) -> str:
    type_, multi, options = signature
    text = type_ + (" (multi_select)" if multi else "")
    return f"{text} [{options if isinstance(options, str) else ', '.join(options)}]" if options else text


def check_options(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    for uid, form in config.forms.items():
        for field in form["fields"]:
            source, inline = field.get("option_strings_source"), field.get("option_strings_text_i18n")
            where = field["name"]
            if source and inline:
                yield Problem("OPTIONS_AMBIGUOUS", ERROR, _key(FORM, uid), where)
            elif type_of(field).options and not source and not inline:
                yield Problem("OPTIONS_REQUIRED", ERROR, _key(FORM, uid), where, {"type": field["type"]})
            if source:
                lookup_id = source.split(" ", 1)[1]
                if lookup_id not in config.lookups:
                    yield Problem("LOOKUP_MISSING", ERROR, _key(FORM, uid), f"{where}/option_strings_source",
                                  {"lookup": lookup_id})
            for list_name in ("option_strings_text_i18n", "tally_i18n"):
                yield from _duplicate_ids(field.get(list_name, []), _key(FORM, uid), f"{where}/{list_name}")
    for uid, lookup in config.lookups.items():
        yield from _duplicate_ids(lookup["lookup_values_i18n"], _key(LOOKUP, uid), "lookup_values_i18n")


def check_field_attributes(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A field holds only the attributes its type uses (the field-type registry): the others change nothing."""
    for uid, form in config.forms.items():
        for field in form["fields"]:
            accepted = type_of(field).accepted_attributes
            for attribute in sorted(set(field) - accepted):
                yield Problem("FIELD_ATTRIBUTE_UNUSED", WARNING, _key(FORM, uid), f"{field['name']}/{attribute}",
                              {"type": type_of(field).label, "attribute": PROPERTY_NAMES.get(attribute, attribute)})


def _duplicate_ids(options: list[dict], document: str, path: str) -> Iterator[Problem]:
    for option_id, count in Counter(o["id"] for o in options).items():
        if count > 1:
            yield Problem("OPTION_ID_DUPLICATE", ERROR, document, path, {"option": option_id})


def check_subforms(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    used: set[str] = set()
    for uid, form in config.forms.items():
        for field in form["fields"]:
            if type_of(field).value != ROWS:
                continue
            where, target = f"{field['name']}/subform_section_id", field.get("subform_section_id")
            if not target:
                yield Problem("SUBFORM_TARGET_REQUIRED", ERROR, _key(FORM, uid), where)
                continue
            used.add(target)
            nested = config.forms.get(target)
            params = {"target": target, "record_type": form["parent_form"]}
            if nested is None:
                yield Problem("SUBFORM_MISSING", ERROR, _key(FORM, uid), where, params)
            elif not nested.get("is_nested"):
                yield Problem("SUBFORM_NOT_NESTED", ERROR, _key(FORM, uid), where, params)
            elif nested["parent_form"] != form["parent_form"]:
                yield Problem("SUBFORM_RECORD_TYPE", ERROR, _key(FORM, uid), where,
                              {**params, "other": nested["parent_form"]})
            else:
                names = {f["name"] for f in nested["fields"]}
                listed = list(field.get("collapsed_field_names", []))
                listed += [field["subform_sort_by"]] if field.get("subform_sort_by") else []
                for name in listed:
                    if name not in names:
                        yield Problem("SUBFORM_FIELD_UNKNOWN", ERROR, _key(FORM, uid), field["name"],
                                      {"target": target, "name": name})
    for uid, form in config.forms.items():
        if form.get("is_nested") and uid not in used:
            yield Problem("NESTED_FORM_UNUSED", WARNING, _key(FORM, uid))


def check_labels(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Default language: an error when missing. Other languages: a warning with the coverage."""
    others = [language for language in ctx.languages if language != ctx.default_language]
    for kind, uid, body in config.documents():
        totals: Counter = Counter()
        for label in iter_labels(kind, body):
            if not label.texts.get(ctx.default_language, "").strip() and (label.required or label.texts):
                path = "/".join(part for part in (label.field, label.option, label.property) if part)
                yield Problem("LABEL_MISSING_DEFAULT", ERROR, _key(kind, uid), path,
                              {"language": ctx.default_language})
            totals["total"] += 1
            for language in others:
                if not label.texts.get(language, "").strip():
                    totals[language] += 1
        for language in others:
            if totals[language]:
                coverage = int(100 * (totals["total"] - totals[language]) / totals["total"])
                yield Problem("TRANSLATION_INCOMPLETE", WARNING, _key(kind, uid), "",
                              {"language": language, "missing": totals[language], "total": totals["total"],
                               "coverage": coverage})


def check_published_fields_unchanged(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A published field's type and multi_select change only while no record holds a value for it.

    Data kept under a name must still fit the field (a text is no date). A field no record has filled
    may change: a configuration imported onto an instance without records is the common case. The
    type compared with is the newest published one (the registry keeps the first, older than a change).
    """
    for record_type in config.record_types():
        published = {**ctx.published_fields.get(record_type, {}), **_published_now(ctx.published, record_type)}
        for uid, form in config.forms_of(record_type, nested=False):
            for field in form["fields"]:
                before = published.get(field["name"])
                if not before:
                    continue
                changed = [attribute for attribute, now in (("type", field["type"]),
                                                            ("multi_select", bool(field.get("multi_select"))))
                           if before[attribute] != now]
                if changed and ctx.holds_values(record_type, field["name"]):
                    for attribute in changed:
                        yield Problem("PUBLISHED_FIELD_CHANGED", ERROR, _key(FORM, uid), f"{field['name']}/{attribute}",
                                      {"name": field["name"], "attribute": attribute,
                                       "published": _describe((before["type"], before["multi_select"], None))})
    yield from _row_fields_unchanged(config, ctx)


def _row_fields_unchanged(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A subform's row field changes type or multi_select only while no record has rows in a subform field that
    lists that subform (rows are not searched field by field: any row may hold a value)."""
    for uid, nested in config.forms.items():
        published = ctx.published.forms.get(uid)
        if not nested.get("is_nested") or not published:
            continue
        before = {field["name"]: field for field in published["fields"]}
        holders = [(form["parent_form"], field["name"]) for form in ctx.published.forms.values()
                   for field in form["fields"] if field.get("subform_section_id") == uid]
        for field in nested["fields"]:
            old = before.get(field["name"])
            if not old:
                continue
            changed = [attribute for attribute, now, then in (
                ("type", field["type"], old["type"]),
                ("multi_select", bool(field.get("multi_select")), bool(old.get("multi_select")))) if now != then]
            if changed and any(ctx.holds_values(record_type, name) for record_type, name in holders):
                for attribute in changed:
                    yield Problem("PUBLISHED_FIELD_CHANGED", ERROR, _key(FORM, uid), f"{field['name']}/{attribute}",
                                  {"name": field["name"], "attribute": attribute,
                                   "published": _describe((old["type"], bool(old.get("multi_select")), None))})


def _published_now(published: Configuration, record_type: str) -> dict[str, dict[str, Any]]:
    """{name: {type, multi_select}} of the top-level fields of a record type in the published configuration."""
    return {field["name"]: {"type": field["type"], "multi_select": bool(field.get("multi_select"))}
            for _, form in published.forms_of(record_type, nested=False) for field in form["fields"]
            if field["type"] != SEPARATOR}


def check_expressions(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    for uid, form in config.forms.items():
        names = {f["name"] for f in form["fields"]}
        for field in form["fields"]:
            computed = type_of(field).value == COMPUTED
            if computed and "calculation" not in field:
                yield Problem("CALCULATION_REQUIRED", ERROR, _key(FORM, uid), field["name"])
            if not computed and "calculation" in field:
                yield Problem("CALCULATION_MISPLACED", ERROR, _key(FORM, uid), f"{field['name']}/calculation")
            for attribute in ("display_conditions", "calculation"):
                if attribute in field:
                    yield from check_expression(field[attribute], attribute, names, _key(FORM, uid),
                                                 f"{field['name']}/{attribute}")


EXPRESSION_ATTRIBUTES = ("display_conditions", "calculation")


def _valid_expression(expression: Any) -> bool:
    """Tell whether an expression follows the grammar (check_expressions reports those that do not)."""
    try:
        list(expressions.referenced_fields(expression))
    except expressions.ExpressionError:
        return False
    return True


def _parts(expression: Any) -> Iterator[tuple[str, Any]]:
    """Yield (operator, operand) of every sub-expression of a valid expression, depth first."""
    (operator, operand), = expression.items()
    yield operator, operand
    if operator in ("and", "or"):
        for part in operand:
            yield from _parts(part)
    elif operator == "not":
        yield from _parts(operand)
    elif operator in expressions.AGGREGATES:
        for part in operand:
            if isinstance(part, dict):
                yield from _parts(part)


def _expressions_of(field: dict[str, Any]) -> Iterator[tuple[str, dict]]:
    """Yield (attribute, expression) of a field's valid display condition and calculation."""
    for attribute in EXPRESSION_ATTRIBUTES:
        if attribute in field and _valid_expression(field[attribute]):
            yield attribute, field[attribute]


def _option_ids(field: dict[str, Any], config: Configuration) -> set[str] | None:
    """The option ids of a select or radio field (None when its lookup does not exist)."""
    source = field.get("option_strings_source")
    if source:
        lookup = config.lookups.get(source.split(" ", 1)[-1])
        return None if lookup is None else {v.get("id") for v in lookup["lookup_values_i18n"]}
    return {o.get("id") for o in field.get("option_strings_text_i18n", [])}


def _listed(ids: set[str], limit: int = 20) -> str:
    shown = sorted(map(str, ids))
    return ", ".join(shown[:limit]) + (", …" if len(shown) > limit else "")


def check_condition_options(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A condition compares a select or radio field only with its option ids (or null: not answered)."""
    for uid, form in config.forms.items():
        by_name = {f["name"]: f for f in form["fields"]}
        for field in form["fields"]:
            for attribute, expression in _expressions_of(field):
                for operator, operand in _parts(expression):
                    if operator not in expressions.COMPARISONS:
                        continue
                    (name, value), = operand.items()
                    target = by_name.get(name)
                    ids = _option_ids(target, config) if target and type_of(target).options else None
                    if ids is None:
                        continue
                    for compared in value if isinstance(value, list) else [value]:
                        if compared is not None and not (isinstance(compared, str) and compared in ids):
                            yield Problem("CONDITION_OPTION_UNKNOWN", ERROR, _key(FORM, uid),
                                          f"{field['name']}/{attribute}",
                                          {"name": name, "value": json.dumps(compared, ensure_ascii=False),
                                           "options": _listed(ids)})


def check_calculation_operands(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """sum and avg read number fields only (numeric or calculated): anything else would silently count as nothing."""
    for uid, form in config.forms.items():
        by_name = {f["name"]: f for f in form["fields"]}
        for field in form["fields"]:
            for attribute, expression in _expressions_of(field):
                for operator, operand in _parts(expression):
                    names = [part for part in operand if isinstance(part, str)] \
                        if operator in expressions.AGGREGATES else []
                    for name in names:
                        target = by_name.get(name)
                        if target is not None and not type_of(target).numeric:
                            yield Problem("CALCULATION_OPERAND_NOT_NUMBER", ERROR, _key(FORM, uid),
                                          f"{field['name']}/{attribute}", {"name": name, "type": target["type"]})


def _dependencies(field: dict[str, Any]) -> dict[str, set[str]]:
    """{attribute: names it reads} of a field's display condition and calculation."""
    return {attribute: set(expressions.referenced_fields(expression))
            for attribute, expression in _expressions_of(field)}


def _shortest_cycle(graph: dict[str, set[str]], start: str) -> list[str] | None:
    """The shortest path start -> ... -> start in the dependency graph (breadth first), or None."""
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        name = queue.popleft()
        for reached in sorted(graph.get(name, ())):
            if reached == start:
                path = [name]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1] + [start]
            if reached not in parent:
                parent[reached] = name
                queue.append(reached)
    return None


def _namespaces(config: Configuration) -> Iterator[list[tuple[str, dict]]]:
    """Groups of forms whose fields share one namespace: a record type's top-level forms; each nested form (rows)."""
    for record_type in config.record_types():
        yield config.forms_of(record_type, nested=False)
    for uid, form in sorted(config.forms.items()):
        if form.get("is_nested"):
            yield [(uid, form)]


def _cyclic_part(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without the fields no cycle can go through, peeled off in linear time.

    A field that reads nothing, or that nothing reads, is on no cycle; removing it may expose others.
    """
    graph = {name: names & graph.keys() for name, names in graph.items()}
    readers: dict[str, set[str]] = {name: set() for name in graph}
    for name, names in graph.items():
        for read in names:
            readers[read].add(name)
    pending = [name for name in graph if not graph[name] or not readers[name]]
    removed: set[str] = set()
    while pending:
        name = pending.pop()
        if name in removed:
            continue
        removed.add(name)
        for read in graph[name]:
            readers[read].discard(name)
            if not readers[read]:
                pending.append(read)
        for reader in readers[name]:
            graph[reader].discard(name)
            if not graph[reader]:
                pending.append(reader)
    return {name: names for name, names in graph.items() if name not in removed}


def _cycles(graph: dict[str, set[str]]) -> dict[str, tuple[list[str], int]]:
    """{field: (a cycle through it, its place there)}; the fields of a cycle found share that cycle."""
    cycles: dict[str, tuple[list[str], int]] = {}
    for name in sorted(graph):
        cycle = None if name in cycles else _shortest_cycle(graph, name)
        for index, member in enumerate(cycle[:-1] if cycle else ()):
            cycles.setdefault(member, (cycle[:-1], index))
    return cycles


def _cycle_text(cycle: list[str], index: int, limit: int = 12) -> str:
    """The cycle from the field at `index` back to it: "a → b → a" (a long one cut after `limit` fields)."""
    members = cycle[index:] + cycle[:index]
    shown = members[:limit] + (["…"] if len(members) > limit else [])
    return " → ".join(shown + [members[0]])


def check_expression_cycles(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """No field's display or value depends on itself, directly or through other fields of the record (or row)."""
    for forms in _namespaces(config):
        reads = [(uid, field, _dependencies(field)) for uid, form in forms for field in form["fields"]]
        graph: dict[str, set[str]] = {}
        for _, field, dependencies in reads:
            graph.setdefault(field["name"], set()).update(*dependencies.values())
        cycles = _cycles(_cyclic_part(graph))
        for uid, field, dependencies in reads:
            cycle, index = cycles.get(field["name"], ([], 0))
            following = cycle[(index + 1) % len(cycle)] if cycle else None
            attribute = next((a for a, names in dependencies.items() if following in names), None)
            if attribute:  # a name shared by several forms is reported where the edge is
                yield Problem("EXPRESSION_CYCLE", ERROR, _key(FORM, uid), f"{field['name']}/{attribute}",
                              {"name": field["name"], "cycle": _cycle_text(cycle, index)})


def check_patterns(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A pattern is one the linear-time engine (RE2) runs: no backreference, lookaround or huge repetition."""
    for uid, form in config.forms.items():
        for field in form["fields"]:
            problem = patterns.pattern_problem(field["pattern"]) if "pattern" in field else None
            if problem is None:
                continue
            where = (_key(FORM, uid), f"{field['name']}/pattern")
            if problem.reason == "unsupported":
                yield Problem("PATTERN_UNSUPPORTED", ERROR, *where, {"feature": PATTERN_FEATURES[problem.feature]})
            elif problem.reason == "too_long":
                yield Problem("PATTERN_TOO_LONG", ERROR, *where, {"limit": patterns.MAX_PATTERN_LENGTH})
            elif problem.reason == "too_complex":
                yield Problem("PATTERN_TOO_COMPLEX", ERROR, *where, {"reason": problem.detail})
            else:
                yield Problem("PATTERN_INVALID", ERROR, *where, {"reason": problem.detail})


_NAME, _OPTION_ID = r"^[a-z][a-z0-9_]*$", r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
_LOCATION_CODE = r"^[A-Z0-9][A-Z0-9_-]*$"
_DOCUMENT_IDS = {FORM: _NAME, LOOKUP: r"^lookup-[a-z0-9][a-z0-9_-]*$", MODULE: r"^[a-z0-9][a-z0-9_-]*$",
                 LOCATION: r"^locations-[a-z0-9][a-z0-9_-]*$"}


def _identifiers(kind: str, body: dict) -> Iterator[tuple[str, Any, str]]:
    """(path, value, rule) of the identifiers a form, lookup, module or location document holds."""
    if kind in _DOCUMENT_IDS:
        yield "unique_id", body.get("unique_id"), _DOCUMENT_IDS[kind]
    for position, field in enumerate(body.get("fields", []) if kind == FORM else []):
        yield f"fields/{position}/name", field.get("name"), _NAME
        if "subform_section_id" in field:
            yield f"fields/{position}/subform_section_id", field["subform_section_id"], _NAME
        for list_name, rule in (("option_strings_text_i18n", _OPTION_ID), ("tally_i18n", _NAME)):
            for index, option in enumerate(field.get(list_name, [])):
                yield f"fields/{position}/{list_name}/{index}/id", option.get("id"), rule
    for index, value in enumerate(body.get("lookup_values_i18n", []) if kind == LOOKUP else []):
        yield f"lookup_values_i18n/{index}/id", value.get("id"), _OPTION_ID
    for index, place in enumerate(body.get("locations", []) if kind == LOCATION else []):
        yield f"locations/{index}/code", place.get("code"), _LOCATION_CODE
        if place.get("parent_code") is not None:
            yield f"locations/{index}/parent_code", place["parent_code"], _LOCATION_CODE


def check_identifiers(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Every identifier matches its rule as a whole string (a draft saved before the rule was whole still holds one)."""
    for kind, uid, body in config.documents():
        for path, value, rule in _identifiers(kind, body):
            if not isinstance(value, str) or len(value) > 100 or not patterns.matches(rule, value):
                yield Problem("IDENTIFIER_INVALID", ERROR, _key(kind, uid), path, {"value": repr(value), "rule": rule})


def check_ranges(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """min_value is not above max_value."""
    for uid, form in config.forms.items():
        for field in form["fields"]:
            low, high = field.get("min_value"), field.get("max_value")
            if low is not None and high is not None and low > high:
                yield Problem("RANGE_INVALID", ERROR, _key(FORM, uid), field["name"], {"min": low, "max": high})


def check_modules(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    for uid, form in config.forms.items():
        for module_id in form.get("module_ids", []):
            module = config.modules.get(module_id)
            if module is None:
                yield Problem("MODULE_MISSING", ERROR, _key(FORM, uid), "module_ids", {"module": module_id})
            elif form["parent_form"] not in module["associated_record_types"]:
                yield Problem("MODULE_RECORD_TYPE", ERROR, _key(FORM, uid), "module_ids",
                              {"module": module_id, "record_type": form["parent_form"]})


def check_locked_lookups(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """A lookup published locked keeps its value ids: workflows and stored records rely on them.

    An administrator may unlock it (`locked: false`), but the unlock is published on its own, values
    unchanged, so the version history shows who unlocked it before any value id changes.
    """
    for uid, before in ctx.published.lookups.items():
        if not before.get("locked"):
            continue
        now = config.lookups.get(uid)
        if now is None:
            yield Problem("LOCKED_LOOKUP_CHANGED", ERROR, _key(LOOKUP, uid), "lookup_values_i18n",
                          {"change": "-" + uid})
            continue
        ids_before = {v.get("id") for v in before["lookup_values_i18n"]}
        ids_now = {v.get("id") for v in now["lookup_values_i18n"]}
        if ids_before == ids_now:
            continue
        change = ", ".join([f"+{i}" for i in sorted(map(str, ids_now - ids_before))] +
                           [f"-{i}" for i in sorted(map(str, ids_before - ids_now))])
        code = "LOCKED_LOOKUP_CHANGED" if now.get("locked") else "LOCKED_LOOKUP_UNLOCK_WITH_CHANGES"
        yield Problem(code, ERROR, _key(LOOKUP, uid), "lookup_values_i18n", {"change": change})


def check_roles(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Roles name known permissions, existing modules, top-level forms and roles they may assign."""
    for uid, role in config.roles.items():
        for resource, actions in role["permissions"].items():
            for action in actions:
                if action not in RESOURCES.get(resource, ()):
                    yield Problem("ROLE_PERMISSION_UNKNOWN", ERROR, _key(ROLE, uid), f"permissions/{resource}",
                                  {"resource": resource, "action": action})
        for form_id in role.get("form_section_read_write", {}):
            form = config.forms.get(form_id)
            if form is None or form.get("is_nested"):
                yield Problem("ROLE_FORM_UNKNOWN", ERROR, _key(ROLE, uid), f"form_section_read_write/{form_id}",
                              {"form": form_id})
        for module_id in role.get("module_ids", []):
            if module_id not in config.modules:
                yield Problem("ROLE_MODULE_UNKNOWN", ERROR, _key(ROLE, uid), "module_ids", {"module": module_id})
        for role_id in role.get("assignable_role_ids", []):
            if role_id != ASSIGN_ALL and role_id not in config.roles:
                yield Problem("ROLE_ASSIGNABLE_UNKNOWN", ERROR, _key(ROLE, uid), "assignable_role_ids", {"role": role_id})


def check_locations(config: Configuration, ctx: CheckContext) -> Iterator[Problem]:
    """Codes are unique across hierarchies; every place's parent exists one admin level up."""
    seen: dict[str, str] = {}
    for uid, hierarchy in config.documents_by_kind[LOCATION].items():
        levels = {level["admin_level"] for level in hierarchy["admin_levels"]}
        for place in hierarchy["locations"]:
            if place["code"] in seen:
                yield Problem("LOCATION_CODE_DUPLICATE", ERROR, _key(LOCATION, uid), place["code"], {"code": place["code"]})
            seen[place["code"]] = uid
            if place["admin_level"] not in levels:
                yield Problem("LOCATION_LEVEL_UNDECLARED", ERROR, _key(LOCATION, uid), place["code"],
                              {"code": place["code"], "level": place["admin_level"]})
    places = config.locations.places
    for code, place in places.items():
        parent_code = place.get("parent_code")
        if not parent_code:
            continue
        parent = places.get(parent_code)
        where = _key(LOCATION, seen[code])
        if parent is None:
            yield Problem("LOCATION_PARENT_UNKNOWN", ERROR, where, code, {"code": code, "parent": parent_code})
        elif parent["admin_level"] != place["admin_level"] - 1:
            yield Problem("LOCATION_LEVEL_INVALID", ERROR, where, code, {
                "code": code, "level": place["admin_level"], "parent": parent_code, "parent_level": parent["admin_level"]})


CHECKS: tuple[Check, ...] = (
    check_identifiers, check_field_names_unique, check_fields_consistent, check_options, check_field_attributes,
    check_subforms, check_labels,
    check_published_fields_unchanged, check_expressions, check_condition_options, check_calculation_operands,
    check_expression_cycles, check_patterns, check_ranges, check_modules,
    check_locked_lookups, check_roles, check_locations, *WORKFLOW_CHECKS, *MATCHING_CHECKS,
    *RETENTION_CHECKS, *REPORT_CHECKS,
)


def run_checks(config: Configuration, ctx: CheckContext) -> list[Problem]:
    """Run every check; errors first, then warnings, each in document order."""
    problems = [problem for check in CHECKS for problem in check(config, ctx)]
    return sorted(problems, key=lambda p: (p.severity != ERROR, p.document, p.path))
