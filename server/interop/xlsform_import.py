"""An XLSForm workbook (a partner's Kobo or ODK form, or one Abri wrote) as new draft documents, with a report.

Each top-level group becomes a form, each repeat a subform (a subform field and a nested form), each
question a field (xlsform_questions.py), each list of choices a lookup (when several fields share it, or it is
an Abri lookup) or inline options; `relevant`, `constraint`, `required`, `calculation` and `default`
are translated (server/interop/xpath.py). Names are made to fit Abri's rules and not to clash with the
draft's forms, fields and lookups; every rename, adaptation and what could not be mapped is reported
by name. Nothing is written here: the use case (server/services/xlsform.py) checks and stores. No Flask.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dataclass_field
from typing import Any

from server.interop.xlsform import (ABRI_FORM, ABRI_TYPE, ADAPTED, CHOICES, MAPPED, NAME_PATTERN, NOT_MAPPED,
                                    OPTION_PATTERN, RENAMED, SETTINGS, SURVEY, Report, identifier,
                                    invalid, language_of, why)
from server.interop.xlsform_questions import TRUE, field_of, read_constraint
from server.interop.xpath import Untranslatable, parse_xpath, tree_to_calculation, tree_to_condition
from server.messages import _l
from server.metadata.configuration import Configuration
from server.metadata.versions import LanguageSettings

Row = dict[str, Any]
MAX_LABEL = 2000


@dataclass
class Plan:
    """What an import would add to the draft (lookups first, then nested forms, then forms), and its report."""

    documents: list[tuple[str, str, dict]] = dataclass_field(default_factory=list)
    report: Report = dataclass_field(default_factory=Report)


@dataclass
class _Pending:
    """A field and the expressions to translate once every name is known."""

    field: dict
    where: str
    relevant: list[str]
    row: Row


class _Import:
    def __init__(self, sheets: dict, record_type: str, draft: Configuration, languages: LanguageSettings,
                 taken_fields: set[str]) -> None:
        self.sheets, self.record_type, self.draft, self.languages = sheets, record_type, draft, languages
        self.report = Report()
        self.taken_forms = set(draft.forms)
        self.taken_fields = set(taken_fields) | {f["name"] for _, form in draft.forms_of(record_type)
                                                 for f in form["fields"]}
        self.taken_lookups = set(draft.lookups)
        self.names: dict[str, str] = {}  # XLSForm name -> Abri field name
        self.by_name: dict[str, dict] = {}  # XLSForm name -> its field
        self.forms: list[dict] = []  # top-level, in order
        self.nested: list[dict] = []
        self.pending: list[_Pending] = []
        self.lists, self.option_names = _read_choices(sheets.get(CHOICES, []), self)
        self.list_users: dict[str, list[dict]] = {}
        self.modules = [uid for uid, module in sorted(draft.modules.items())
                        if record_type in module.get("associated_record_types", [])]
        self.report_languages()

    def report_languages(self) -> None:
        """Name the language columns that are not configured languages: their texts are left out."""
        found = {key.partition("::")[2] for sheet in (SURVEY, CHOICES) for _, row in self.sheets.get(sheet, [])
                 for key in row if key.partition("::")[0] in ("label", "hint") and "::" in key}
        left_out = sorted(name for name in found if language_of(name, self.languages.languages) is None)
        for language in left_out:
            self.report.add(NOT_MAPPED, language, _l("texts in %(language)s left out: not a configured language"),
                            language=language)

    # --- texts and names ---

    def texts(self, row: Row, kind: str) -> dict[str, str]:
        found: dict[str, str] = {}
        for key, value in row.items():
            base, _, language = key.partition("::")
            if base != kind:
                continue
            code = language_of(language, self.languages.languages) if language else self.languages.default
            if code is None:
                continue
            if len(value) > MAX_LABEL:
                self.report.add(ADAPTED, row.get("name", key), _l("a text was cut to %(limit)s characters"),
                                limit=MAX_LABEL)
            found.setdefault(code, value[:MAX_LABEL])
        return found

    def label(self, row: Row, where: str) -> dict[str, str]:
        texts = self.texts(row, "label")
        default = self.languages.default
        if not texts.get(default):
            texts[default] = next((text for text in texts.values() if text), row.get("name", where))
            self.report.add(ADAPTED, where, _l("no label in %(language)s: another language's label or the name is "
                                               "used"), language=default)
        return texts

    def unique(self, wanted: str, taken: set[str], where: str, pattern: re.Pattern = NAME_PATTERN,
               prefix: str = "") -> str:
        base = prefix + (identifier(wanted.removeprefix(prefix), OPTION_PATTERN).lower().replace(".", "-")
                         if prefix else identifier(wanted, pattern))
        name, number = base, 2
        while name in taken:
            name, number = f"{base[:95]}_{number}", number + 1
        taken.add(name)
        if name != wanted:
            self.report.add(RENAMED, where, _l("renamed %(old)s to %(new)s"), old=wanted, new=name)
        return name

    # --- the survey ---

    def run(self) -> Plan:
        stack: list[dict] = []
        for number, row in self.sheets[SURVEY]:
            kind = row.get("type", "").strip()
            if not kind:
                if row.get("name"):
                    self.report.add(NOT_MAPPED, row["name"], _l("row %(row)s has no type"), row=number)
                continue
            self.survey_row(stack, kind, row, number)
        if stack:
            raise invalid(_l("A group or repeat is never closed: %(name)s."), "survey", name=stack[-1]["name"])
        self.translate_expressions()
        return self.plan()

    def survey_row(self, stack: list[dict], kind: str, row: Row, number: int) -> None:
        word = kind.split()[0].lower()
        if word in ("begin_group", "begin", "begin_repeat") or kind.lower() in ("begin group", "begin repeat"):
            repeat = "repeat" in kind.lower()
            stack.append(self.open_repeat(stack, row) if repeat else self.open_group(stack, row))
        elif word in ("end_group", "end_repeat", "end") or kind.lower() in ("end group", "end repeat"):
            if not stack:
                raise invalid(_l("Row %(row)s closes a group that was never opened."), f"survey!{number}", row=number)
            self.close(stack.pop())
        elif stack and stack[-1]["kind"] == "skip":
            self.report.add(NOT_MAPPED, row.get("name", str(number)), _l("inside a repeat within a repeat"))
        elif stack and stack[-1]["kind"] == "tally":
            stack[-1]["items"].append(row)
        else:
            self.question(stack, kind, row, number)

    def current_form(self, stack: list[dict]) -> dict:
        for context in reversed(stack):
            if context.get("form") is not None:
                return context["form"]
        if not self.forms or self.forms[-1].get("_loose") is not True:
            settings = dict(self.sheets.get(SETTINGS, [(0, {})])[0][1]) if self.sheets.get(SETTINGS) else {}
            wanted = settings.get("form_id") or "imported_form"
            uid = self.unique(wanted, self.taken_forms, wanted)
            title = self.texts(settings, "form_title") or {self.languages.default: settings.get("form_title", uid)}
            self.forms.append(self.new_form(uid, title) | {"_loose": True})
        return self.forms[-1]

    def new_form(self, uid: str, name: dict[str, str], nested: bool = False) -> dict:
        form = {"unique_id": uid, "parent_form": self.record_type, "name_i18n": name, "fields": []}
        if self.modules:
            form["module_ids"] = list(self.modules)
        if nested:
            form.update({"is_nested": True, "visible": False})
        return form

    def relevants(self, stack: list[dict]) -> list[str]:
        return [context["relevant"] for context in stack if context.get("relevant")]

    def open_group(self, stack: list[dict], row: Row) -> dict:
        name = row.get("name", "group")
        if row.get(ABRI_TYPE) == "tally_field" and stack:
            return {"kind": "tally", "name": name, "row": row, "items": [], "relevant": "",
                    "target": self.current_form(stack), "conditions": self.relevants(stack)}
        context = {"kind": "group", "name": name, "relevant": row.get("relevant", "")}
        if stack and not any(c["kind"] == "skip" for c in stack):
            self.report.add(ADAPTED, name, _l("a group within a form: its fields join the form, after a separator"))
            self.add_field(stack, {"name": name, "type": "separator", "display_name_i18n": self.label(row, name)},
                           row, name)
            return context
        if stack:
            return {"kind": "skip", "name": name}
        wanted = row.get(ABRI_FORM) or name
        uid = self.unique(wanted, self.taken_forms, wanted)
        form = self.new_form(uid, self.label(row, name))
        self.forms.append(form)
        if row.get("relevant"):
            self.report.add(ADAPTED, uid, _l("the group's condition is on each of its fields"))
        self.report.add(MAPPED, uid)
        return context | {"form": form}

    def open_repeat(self, stack: list[dict], row: Row) -> dict:
        name = row.get("name", "repeat")
        if any(c["kind"] in ("repeat", "skip") for c in stack):
            self.report.add(NOT_MAPPED, name, _l("a repeat within a repeat: Abri's subforms do not nest"))
            return {"kind": "skip", "name": name}
        wanted = row.get(ABRI_FORM) or f"{name}_section"
        uid = self.unique(wanted, self.taken_forms, wanted)
        label = self.label(row, name)
        nested = self.new_form(uid, label, nested=True)
        self.nested.append(nested)
        self.add_field(stack, {"name": name, "type": "subform", "display_name_i18n": label,
                               "subform_section_id": uid}, row, name)
        self.report.add(MAPPED, uid)
        return {"kind": "repeat", "name": name, "form": nested}

    def close(self, context: dict) -> None:
        if context["kind"] == "tally":
            row = context["row"]
            items = [{"id": identifier(item.get("name", "item").removeprefix(context["name"] + "_")),
                      "display_text": self.label(item, item.get("name", "item"))} for item in context["items"]]
            self.add_field([], {"name": context["name"], "type": "tally_field",
                                "display_name_i18n": self.label(row, context["name"]), "tally_i18n": items},
                           row, context["name"], form=context["target"], conditions=context["conditions"])

    def add_field(self, stack: list, field: dict, row: Row, where: str, form: dict | None = None,
                  conditions: list[str] | None = None) -> None:
        """Name the field (renamed if needed), put it in the current form, and keep its expressions for later."""
        original = field["name"]
        if original in self.names:
            raise invalid(_l("Two questions are named %(name)s."), "survey", name=original)
        field["name"] = self.unique(original, self.taken_fields, where)
        self.names[original], self.by_name[original] = field["name"], field
        relevant = self.relevants(stack) if conditions is None else conditions
        form = form or self.current_form(stack)
        form["fields"].append(field)
        self.pending.append(_Pending(field, where, [*relevant, *([row["relevant"]] if row.get("relevant") else [])],
                                     row))
        self.report.add(MAPPED, f"{form['unique_id']}.{field['name']}")

    def question(self, stack: list[dict], kind: str, row: Row, number: int) -> None:
        name = row.get("name")
        if not name:
            self.report.add(NOT_MAPPED, f"survey!{number}", _l("a question without a name"))
            return
        field = field_of(self, kind, row, name)
        if field is None:
            return
        self.add_field(stack, field, row, name)

    # --- expressions, once every name is known ---

    def value_of(self, name: str, value: Any) -> Any:
        field = self.by_name.get(name)
        if field is None:
            raise Untranslatable(_l("there is no question %(name)s"), name=name)
        if field["type"] == "tick_box" and isinstance(value, str):
            return value.lower() in TRUE
        if field["type"] == "numeric_field" and isinstance(value, str):
            try:
                return float(value) if "." in value else int(value)
            except ValueError:
                return value
        renames = self.option_names.get(field.get("_list", ""), {})
        return renames.get(value, value) if isinstance(value, str) else value

    def renamed(self, expression: Any) -> Any:
        """The expression with XLSForm names replaced by the fields' Abri names."""
        if isinstance(expression, list):
            return [self.renamed(part) for part in expression]
        if isinstance(expression, str):
            if expression not in self.names:
                raise Untranslatable(_l("there is no question %(name)s"), name=expression)
            return self.names[expression]
        if not isinstance(expression, dict):
            return expression
        (operator, operand), = expression.items()
        if operator in ("eq", "gt", "ge", "lt", "le", "in"):
            (name, value), = operand.items()
            return {operator: {self.renamed(name): value}}
        return {operator: self.renamed(operand)}

    def translate_expressions(self) -> None:
        for pending in self.pending:
            field, row = pending.field, pending.row
            conditions = []
            for text in pending.relevant:
                try:
                    conditions.append(self.renamed(tree_to_condition(parse_xpath(text), self.value_of)))
                except Untranslatable as error:
                    self.report.add(NOT_MAPPED, pending.where, _l("condition %(text)s not translated: %(reason)s"),
                                    text=text, reason=why(error))
            if conditions:
                field["display_conditions"] = conditions[0] if len(conditions) == 1 else {"and": conditions}
            if field["type"] == "calculated":
                self.calculation(field, row, pending.where)
            read_constraint(self, field, row, pending.where)

    def calculation(self, field: dict, row: Row, where: str) -> None:
        try:
            field["calculation"] = self.renamed(tree_to_calculation(parse_xpath(row.get("calculation", ""))))
        except Untranslatable as error:
            field["type"] = "separator"
            self.report.add(NOT_MAPPED, where, _l("calculation %(text)s not translated, kept as a separator: "
                                                  "%(reason)s"), text=row.get("calculation", ""),
                            reason=why(error))

    # --- lists and the result ---

    def use_list(self, field: dict, list_name: str, where: str) -> bool:
        if list_name not in self.lists:
            self.report.add(NOT_MAPPED, where, _l("the list %(name)s is not in the choices sheet"), name=list_name)
            return False
        field["_list"] = list_name
        self.list_users.setdefault(list_name, []).append(field)
        return True

    def plan(self) -> Plan:
        plan = Plan(report=self.report)
        for list_name, users in self.list_users.items():
            options = self.lists[list_name]
            existing = self.draft.lookups.get(list_name)
            if existing and [o["id"] for o in existing["lookup_values_i18n"]] == [o["id"] for o in options]:
                source = f"lookup {list_name}"
            elif len(users) > 1 or list_name.startswith("lookup-"):
                uid = self.unique(list_name, self.taken_lookups, list_name, prefix="lookup-")
                if not uid.startswith("lookup-"):
                    uid = "lookup-" + uid
                plan.documents.append(("lookup", uid, {"unique_id": uid, "name_i18n": {self.languages.default:
                                                                                       list_name},
                                                       "lookup_values_i18n": options}))
                source = f"lookup {uid}"
            else:
                source = None
            for user in users:
                del user["_list"]
                if source:
                    user["option_strings_source"] = source
                else:
                    user["option_strings_text_i18n"] = options
        for form in self.forms:
            form.pop("_loose", None)
        for position, form in enumerate(self.forms, start=1):
            form["order"] = position * 10
        for pending in self.pending:
            pending.field.pop("_list", None)
        plan.documents += [("form", form["unique_id"], form) for form in self.nested]
        plan.documents += [("form", form["unique_id"], form) for form in self.forms]
        return plan


def _read_choices(rows: list[tuple[int, Row]], importer: _Import) -> tuple[dict, dict]:
    """{list: options} and {list: {XLSForm name: Abri id}} of the choices sheet."""
    lists: dict[str, list[dict]] = {}
    renames: dict[str, dict[str, str]] = {}
    for number, row in rows:
        list_name, name = row.get("list_name", ""), row.get("name", "")
        if not list_name or not name:
            continue
        taken = {option["id"] for option in lists.setdefault(list_name, [])}
        option_id = name if OPTION_PATTERN.match(name) and len(name) <= 100 else identifier(name, OPTION_PATTERN,
                                                                                          lower=False)
        base, count = option_id, 2
        while option_id in taken:
            option_id, count = f"{base}_{count}", count + 1
        if option_id != name:
            importer.report.add(RENAMED, f"{list_name}.{name}", _l("renamed %(old)s to %(new)s"), old=name,
                                new=option_id)
        renames.setdefault(list_name, {})[name] = option_id
        lists[list_name].append({"id": option_id, "display_text": importer.label(row, f"{list_name}.{name}")})
    return lists, renames


def plan_import(sheets: dict, record_type: str, draft: Configuration, languages: LanguageSettings,
                taken_fields: set[str] = frozenset()) -> Plan:
    """The documents an XLSForm workbook's sheets make in the draft of `record_type`, and the report."""
    return _Import(sheets, record_type, draft, languages, set(taken_fields)).run()
