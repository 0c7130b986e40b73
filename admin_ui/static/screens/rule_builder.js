/* Display conditions and calculations built with pickers, for administrators who do not write JSON.
 *
 * A condition is a list of rules joined by all/any; a rule is a field chosen by its label, an operator in words ("is",
 * "is before", "contains one of"...) among those its type allows, and values among the field's own options by their
 * labels. The builder writes the expression language of the server (server/metadata/expressions.py) into the field
 * editor's JSON control, which stays behind the "advanced" switch and is checked on every keystroke with the same
 * grammar as the server (the case worker app's expressions.js). A condition the pickers cannot show (nested
 * and/or, a comparison with false...) opens in the advanced mode, untouched. */
import {el} from "../lib/dom.js";
import {fmt, t} from "../lib/text.js";
import {store} from "../lib/store.js";
import {optionsOf} from "/app/static/render/catalog.js";
import {ExpressionError, isCalculation, referencedFields} from "/app/static/render/expressions.js";

// The operators a rule offers, by what the field holds. Each maps to one expression shape (see toExpression).
const OPERATORS = {
  option: ["is", "is_not", "is_one_of", "is_empty", "is_not_empty"],
  options: ["contains", "not_contains", "contains_one_of", "is_empty", "is_not_empty"],
  boolean: ["is_ticked", "is_not_ticked"],
  number: ["equals", "not_equals", "greater", "at_least", "less", "at_most", "is_empty", "is_not_empty"],
  date: ["on", "before", "after", "on_or_before", "on_or_after", "is_empty", "is_not_empty"],
  text: ["is", "is_not", "is_empty", "is_not_empty"],
};
const COMPARE = {is: "eq", contains: "eq", equals: "eq", on: "eq", greater: "gt", after: "gt", at_least: "ge",
  on_or_after: "ge", less: "lt", before: "lt", at_most: "le", on_or_before: "le", is_one_of: "in", contains_one_of: "in"};
const NEGATED = {is_not: "is", not_contains: "contains", not_equals: "equals"};
const NO_VALUE = ["is_empty", "is_not_empty", "is_ticked", "is_not_ticked"];
const MANY_VALUES = ["is_one_of", "contains_one_of"];
const KINDS = {option: "option", text: "text", boolean: "boolean", number: "number", computed: "number", date: "date",
  place: "text"};  // the registry's `value` of a type -> the operators' kind (rows, files, tallies: not compared)

/** The fields a rule may read: [{name, label, form, kind, options}] in the forms' order (`except` left out). */
export function ruleFields(catalog, forms, except) {
  const fields = [];
  for (const form of forms) {
    for (const field of form.fields || []) {
      const type = catalog.types.get(field.type);
      const value = type ? type.value : null;
      if (field.name === except || !KINDS[value]) continue;
      const kind = value === "option" && field.multi_select ? "options" : KINDS[value];
      fields.push({name: field.name, label: field.display_name || field.name, form: form.name || form.unique_id,
        kind, numeric: value === "number" || value === "computed",
        options: value === "option" ? optionsOf(field, catalog) : []});
    }
  }
  return fields;
}

/** One rule as an expression. */
function toExpression(rule) {
  const {field, operator, value} = rule;
  if (operator === "is_empty") return {eq: {[field]: null}};
  if (operator === "is_not_empty") return {not: {eq: {[field]: null}}};
  if (operator === "is_ticked") return {eq: {[field]: true}};
  if (operator === "is_not_ticked") return {not: {eq: {[field]: true}}};
  if (NEGATED[operator]) return {not: toExpression({field, operator: NEGATED[operator], value})};
  return {[COMPARE[operator]]: {[field]: value}};
}

/** The rule an expression is, for a field of `fields`; null when the pickers cannot show it. */
function toRule(expression, fields) {
  const [operator, operand] = Object.entries(expression)[0];
  if (operator === "not") {
    const inner = typeof operand === "object" && operand !== null && !Array.isArray(operand) ? toRule(operand, fields) : null;
    const opposite = inner && {is: "is_not", contains: "not_contains", equals: "not_equals", is_empty: "is_not_empty",
      is_ticked: "is_not_ticked"}[inner.operator];
    return opposite ? {...inner, operator: opposite} : null;
  }
  const [name, value] = Object.entries(operand)[0];
  const field = fields.find((candidate) => candidate.name === name);
  if (!field) return null;
  const allowed = OPERATORS[field.kind];
  let chosen = null;
  if (operator === "eq" && value === null) chosen = "is_empty";
  else if (operator === "eq" && field.kind === "boolean") chosen = value === true ? "is_ticked" : null;
  else chosen = allowed.find((candidate) => COMPARE[candidate] === operator) || null;
  if (!chosen || !allowed.includes(chosen) || !fitsKind(field, chosen, value)) return null;
  return {field: name, operator: chosen, value: NO_VALUE.includes(chosen) ? null : value};
}

/** Whether a value is one the pickers can hold for the field (an option of its own, a number for a number...). */
function fitsKind(field, operator, value) {
  if (NO_VALUE.includes(operator)) return true;
  const one = (item) => (field.kind === "option" || field.kind === "options" ? field.options.some((o) => o.id === item)
    : field.kind === "number" ? typeof item === "number" : typeof item === "string");
  return MANY_VALUES.includes(operator) ? Array.isArray(value) && value.length > 0 && value.every(one) : one(value);
}

/** The rules of a condition ({join, rules}), or null when the pickers cannot show it. */
export function conditionRules(expression, fields) {
  if (expression === null || expression === undefined) return {join: "and", rules: []};
  const [operator, operand] = Object.entries(expression)[0];
  const parts = operator === "and" || operator === "or" ? operand : [expression];
  const rules = parts.map((part) => toRule(part, fields));
  return rules.every(Boolean) ? {join: operator === "or" ? "or" : "and", rules} : null;
}

/** The expression of a condition's rules (null: always shown). */
export function conditionExpression({join, rules}) {
  const parts = rules.filter((rule) => rule.field && (NO_VALUE.includes(rule.operator) || ready(rule.value))).map(toExpression);
  if (!parts.length) return null;
  return parts.length === 1 ? parts[0] : {[join]: parts};
}

const ready = (value) => (Array.isArray(value) ? value.length > 0 : value !== null && value !== undefined && value !== "");

/** "a, b and c" (or "or"), in the interface language. */
export function listOf(items, join) {
  if (items.length < 2) return items.join("");
  return fmt(join === "or" ? "list_or" : "list_and", {items: items.slice(0, -1).join(", "), last: items[items.length - 1]});
}

/** A value as a person reads it: an option by its label, a date in the interface language. */
function valueWords(field, value) {
  if (field.kind === "option" || field.kind === "options") {
    const option = field.options.find((candidate) => candidate.id === value);
    return option ? option.display_text || option.id : String(value);
  }
  if (field.kind === "date" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return new Date(value + "T00:00:00Z").toLocaleDateString(store.locale, {timeZone: "UTC", dateStyle: "long"});
  }
  return String(value);
}

/** A condition read back as a sentence: "Shown when Sex is Female and Age is less than 12." */
export function conditionSentence(condition, fields) {
  const said = condition.rules.filter((rule) => rule.field).map((rule) => {
    const field = fields.find((candidate) => candidate.name === rule.field);
    const words = t("op_" + rule.operator);
    if (NO_VALUE.includes(rule.operator)) return field.label + " " + words;
    const values = MANY_VALUES.includes(rule.operator) ? rule.value || [] : [rule.value];
    return field.label + " " + words + " " + listOf(values.filter(ready).map((v) => valueWords(field, v)), "or");
  });
  return said.length ? fmt("shown_when", {conditions: listOf(said, condition.join)}) : t("shown_always");
}

/** A calculation read back: "Sum of Age and 2." */
export function calculationSentence(expression, fields) {
  if (!expression) return t("calc_none");
  const [operator, operand] = Object.entries(expression)[0];
  const named = operand.map((part) => (typeof part === "string"
    ? (fields.find((field) => field.name === part) || {label: part}).label : String(part)));
  return fmt("calc_" + operator, {items: listOf(named, "and")});
}

/** What is wrong with the JSON of a condition or calculation, in words (null when nothing is). */
export function expressionProblem(text, kind, fields) {
  if (!text.trim()) return null;
  let expression;
  try { expression = JSON.parse(text); } catch (error) { return t("bad_expression"); }
  try {
    const unknown = referencedFields(expression).find((name) => !fields.some((field) => field.name === name));
    if (unknown) return fmt("unknown_field", {name: unknown});
  } catch (error) {
    if (error instanceof ExpressionError) return t("expr_" + error.code, t("bad_expression"));
    throw error;
  }
  if ((kind === "calculation") !== isCalculation(expression)) return t(kind === "calculation" ? "not_a_calculation" : "not_a_condition");
  return null;
}

/** A select of the rule fields, grouped by form. */
function fieldPicker(fields, chosen, onchange) {
  const groups = new Map();
  for (const field of fields) {
    if (!groups.has(field.form)) groups.set(field.form, el("optgroup", {label: field.form}));
    groups.get(field.form).append(el("option", {value: field.name, text: field.label, selected: field.name === chosen}));
  }
  return el("select", {"aria-label": t("pick_field"), class: "rule-field", onchange},
    el("option", {value: "", text: "—"}), ...groups.values());
}

/** The value control of a rule: a select of options, ticks for several, a number, a date or a text. */
function valuePicker(field, rule, onchange) {
  if (NO_VALUE.includes(rule.operator)) return null;
  const several = MANY_VALUES.includes(rule.operator);
  if (field.kind === "option" || field.kind === "options") {
    if (several) {
      const chosen = new Set(rule.value || []);
      return el("fieldset", {class: "rule-values"}, el("legend", {class: "visually-hidden", text: t("pick_value")}),
        ...field.options.map((option) => el("label", {},
          el("input", {type: "checkbox", value: option.id, checked: chosen.has(option.id), onchange: (event) => {
            const values = [...event.target.closest("fieldset").querySelectorAll("input:checked")].map((box) => box.value);
            onchange(values);
          }}), " " + (option.display_text || option.id))));
    }
    return el("select", {"aria-label": t("pick_value"), class: "rule-value", onchange: (event) => onchange(event.target.value || null)},
      el("option", {value: "", text: "—"}),
      ...field.options.map((option) => el("option", {value: option.id, text: option.display_text || option.id,
        selected: option.id === rule.value})));
  }
  const type = field.kind === "number" ? "number" : field.kind === "date" ? "date" : "text";
  return el("input", {type, "aria-label": t("pick_value"), class: "rule-value", value: rule.value ?? "",
    oninput: (event) => {
      const raw = event.target.value;
      onchange(raw === "" ? null : type === "number" ? Number(raw) : raw);
    }});
}

/** Pickers over a JSON control: build() them from its text, and every change writes the control and `onchange`. */
export class RuleBuilder {
  /** box: where the pickers go; input: the JSON control; kind: "condition" | "calculation". */
  constructor({box, input, kind, onchange}) {
    Object.assign(this, {box, input, kind, onchange: onchange || (() => {}), fields: [], model: null});
    this.sentence = el("p", {class: "rule-sentence", "aria-live": "polite"});
    this.problem = el("p", {class: "error", role: "alert"});
    this.pickers = el("div", {class: "rule-pickers"});
    const advancedId = input.id + "-advanced";
    this.advanced = el("input", {type: "checkbox", id: advancedId, onchange: () => this.switchMode()});
    box.querySelector("legend").after(this.pickers, this.sentence);
    input.after(this.problem);
    input.addEventListener("input", () => this.checkJson());
    box.append(el("label", {class: "advanced-switch", for: advancedId}, this.advanced, " " + t("advanced_json")));
  }

  /** Show the expression the control holds (the field just opened), with these rule fields. */
  build(fields) {
    this.fields = fields;
    const expression = this.parsed();  // (a text that breaks the grammar opens as JSON, with its problem shown)
    const broken = expression === undefined || expressionProblem(this.input.value, this.kind, fields) !== null;
    this.model = broken ? null : this.kind === "condition" ? conditionRules(expression, fields)
      : calculationModel(expression);
    this.advanced.checked = this.model === null;
    this.draw();
  }

  parsed() {
    const text = this.input.value.trim();
    if (!text) return null;
    try { return JSON.parse(text); } catch (error) { return undefined; }
  }

  switchMode() {
    if (!this.advanced.checked) {  // back to the pickers: only if they can show what the JSON says
      const expression = this.parsed();
      const model = expression === undefined || expressionProblem(this.input.value, this.kind, this.fields) ? null
        : this.kind === "condition" ? conditionRules(expression, this.fields) : calculationModel(expression);
      if (!model) { this.advanced.checked = true; this.problem.textContent = t("too_complex"); return; }
      this.model = model;
    }
    this.draw();
  }

  checkJson() {
    this.problem.textContent = expressionProblem(this.input.value, this.kind, this.fields) || "";
    const expression = this.parsed();
    if (!this.problem.textContent) {
      this.sentence.textContent = this.kind === "condition"
        ? (conditionRules(expression, this.fields) ? conditionSentence(conditionRules(expression, this.fields), this.fields) : "")
        : calculationSentence(expression, this.fields);
    }
    this.onchange();
  }

  draw() {
    const advanced = this.advanced.checked;
    this.input.closest(".json-box").hidden = !advanced;
    this.pickers.hidden = advanced;
    this.problem.textContent = advanced ? expressionProblem(this.input.value, this.kind, this.fields) || "" : "";
    if (advanced) { this.checkJson(); return; }
    this.pickers.replaceChildren(...(this.kind === "condition" ? this.conditionPickers() : this.calculationPickers()));
    this.write();
  }

  /** Write the pickers' expression into the JSON control, and read it back as a sentence. */
  write() {
    const expression = this.kind === "condition" ? conditionExpression(this.model) : calculationExpression(this.model);
    this.input.value = expression ? JSON.stringify(expression) : "";
    this.sentence.textContent = this.kind === "condition" ? conditionSentence(this.model, this.fields)
      : calculationSentence(expression, this.fields);
    this.onchange();
  }

  conditionPickers() {
    const model = this.model;
    const rows = model.rules.map((rule, index) => this.ruleRow(rule, index));
    const join = el("select", {"aria-label": t("join_label"), class: "rule-join", onchange: (event) => {
      model.join = event.target.value; this.write();
    }}, el("option", {value: "and", text: t("all_of"), selected: model.join === "and"}),
    el("option", {value: "or", text: t("any_of"), selected: model.join === "or"}));
    return [model.rules.length > 1 ? el("p", {}, t("show_when") + " ", join) : null, el("ol", {class: "rules"}, ...rows),
      el("button", {type: "button", class: "add-rule", text: t("add_condition"), onclick: () => {
        model.rules.push({field: "", operator: "", value: null});
        this.draw();
        this.pickers.querySelector(".rules li:last-child .rule-field").focus();
      }})];
  }

  ruleRow(rule, index) {
    const field = this.fields.find((candidate) => candidate.name === rule.field);
    const redraw = (focus) => { this.draw(); this.pickers.querySelectorAll(".rules li")[index].querySelector(focus).focus(); };
    const parts = [fieldPicker(this.fields, rule.field, (event) => {
      const chosen = this.fields.find((candidate) => candidate.name === event.target.value);
      Object.assign(rule, {field: chosen ? chosen.name : "", operator: chosen ? OPERATORS[chosen.kind][0] : "", value: null});
      redraw(".rule-field");
    })];
    if (field) {
      parts.push(el("select", {"aria-label": t("pick_operator"), class: "rule-operator", onchange: (event) => {
        const before = MANY_VALUES.includes(rule.operator);
        rule.operator = event.target.value;
        if (NO_VALUE.includes(rule.operator)) rule.value = null;
        else if (MANY_VALUES.includes(rule.operator) !== before) rule.value = rule.value === null ? null
          : MANY_VALUES.includes(rule.operator) ? [rule.value].flat() : [rule.value].flat()[0] ?? null;
        redraw(".rule-operator");
      }}, ...OPERATORS[field.kind].map((operator) => el("option", {value: operator, text: t("op_" + operator),
        selected: operator === rule.operator}))));
      parts.push(valuePicker(field, rule, (value) => { rule.value = value; this.write(); }));
    }
    parts.push(el("button", {type: "button", class: "remove-rule", "aria-label": t("remove_condition"), text: "×", onclick: () => {
      this.model.rules.splice(index, 1); this.draw(); this.pickers.querySelector(".add-rule").focus();
    }}));
    return el("li", {}, ...parts);
  }

  calculationPickers() {
    const model = this.model;
    const numeric = this.fields.filter((field) => field.numeric);
    const chosen = new Set(model.fields);
    return [
      el("label", {}, t("calc_kind") + " ", el("select", {class: "calc-kind", onchange: (event) => { model.operator = event.target.value; this.write(); }},
        el("option", {value: "sum", text: t("calc_kind_sum"), selected: model.operator === "sum"}),
        el("option", {value: "avg", text: t("calc_kind_avg"), selected: model.operator === "avg"}))),
      el("fieldset", {class: "calc-fields"}, el("legend", {text: t("calc_fields")}),
        ...numeric.map((field) => el("label", {}, el("input", {type: "checkbox", value: field.name, checked: chosen.has(field.name),
          onchange: (event) => {
            model.fields = [...event.target.closest("fieldset").querySelectorAll("input:checked")].map((box) => box.value);
            this.write();
          }}), " " + field.label))),
      el("label", {}, t("calc_constant") + " ", el("input", {type: "number", class: "calc-constant", value: model.constant ?? "",
        oninput: (event) => { model.constant = event.target.value === "" ? null : Number(event.target.value); this.write(); }})),
    ];
  }
}

/** A calculation the pickers can show: sum or avg of field names and at most one number. */
function calculationModel(expression) {
  if (expression === null) return {operator: "sum", fields: [], constant: null};
  const [operator, operand] = Object.entries(expression)[0];
  if (!["sum", "avg"].includes(operator) || !Array.isArray(operand)) return null;
  const fields = operand.filter((part) => typeof part === "string");
  const numbers = operand.filter((part) => typeof part === "number");
  if (fields.length + numbers.length !== operand.length || numbers.length > 1) return null;
  return {operator, fields, constant: numbers.length ? numbers[0] : null};
}

function calculationExpression(model) {
  const parts = [...model.fields, ...(model.constant === null || model.constant === undefined || Number.isNaN(model.constant) ? [] : [model.constant])];
  return parts.length ? {[model.operator]: parts} : null;
}
