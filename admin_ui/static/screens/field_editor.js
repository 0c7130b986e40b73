/* The field editor of the form screen: reading a field from its controls, showing one in them, the per-type parts.
 *
 * The types come from the server's field-type registry (GET /api/v1/field_types), never from a list of our own: each
 * control's box names the attribute it edits (data-attribute) and is shown when the chosen type's row lists that
 * attribute, or, for the options and several answers, when the row's render says so (data-render). */
import {api} from "../lib/api.js";
import {el, valueOf} from "../lib/dom.js";
import {clearErrors} from "../lib/errors.js";
import {lineFromTexts, readOptionalTexts, readTexts, textsFromLine, writeTexts} from "../lib/labels.js";
import {store} from "../lib/store.js";
import {fmt, t} from "../lib/text.js";

export const fieldForm = document.getElementById("field-form");
const EXPRESSIONS = [["f-condition", "display_conditions"], ["f-calculation", "calculation"]];  // control, field key
const fieldTypes = new Map();  // type -> its row of the registry, in the registry's order
const NO_TYPE = {attributes: [], render: {}};  // before the registry is loaded: no attribute applies

const checked = (id) => document.getElementById(id).checked;
const set = (id, v) => { document.getElementById(id).value = v === undefined || v === null ? "" : v; };
const tick = (id, v) => { document.getElementById(id).checked = !!v; };
const number = (id) => (valueOf(id) !== "" ? Number(valueOf(id)) : null);

/** Fill the type picker from the field-type registry: its order, its labels in the interface language. */
export async function loadFieldTypes() {
  // ?locale=: an account's own language would otherwise win over the page's
  const rows = (await api("GET", "/api/v1/field_types?locale=" + encodeURIComponent(store.locale))).data.data;
  fieldTypes.clear();
  rows.forEach((row) => fieldTypes.set(row.type, row));
  document.getElementById("f-type").replaceChildren(...rows.map((row) => el("option", {value: row.type, text: row.label})));
  showTypeOptions();
}

/** The registry's row of a type (undefined for a type it does not list). */
export function fieldType(type) {
  return fieldTypes.get(type);
}

/** Whether a field of the chosen type uses what a control's box edits. */
function applies(box) {
  const row = fieldTypes.get(valueOf("f-type")) || NO_TYPE;
  return box.dataset.render ? !!row.render[box.dataset.render] : row.attributes.includes(box.dataset.attribute);
}

/** The value an attribute's control holds, or null when the chosen type does not use the attribute. */
function read(attribute, value) {
  return applies(fieldForm.querySelector('[data-attribute="' + attribute + '"]')) ? value() : null;
}

/** Show only the controls that apply to the chosen type. */
export function showTypeOptions() {
  fieldForm.querySelectorAll("[data-attribute]").forEach((box) => { box.hidden = !applies(box); });
}

/** The field the controls describe (attributes the type does not use are null); a SyntaxError for a bad expression. */
export function readField() {
  const field = {name: valueOf("f-name"), type: valueOf("f-type"), display_name_i18n: readTexts("f-label"),
                 help_text_i18n: readOptionalTexts("f-help")};
  field.required = read("required", () => checked("f-required"));
  field.filterable = read("filterable", () => checked("f-filterable"));
  field.searchable = read("searchable", () => checked("f-searchable"));
  field.identifying = read("identifying", () => checked("f-identifying"));
  field.visible = read("visible", () => checked("f-visible"));
  field.option_strings_source = read("option_strings_source", () => (valueOf("f-lookup") ? "lookup " + valueOf("f-lookup") : null));
  field.multi_select = read("multi_select", () => checked("f-multi"));
  field.min_value = read("min_value", () => number("f-min"));
  field.max_value = read("max_value", () => number("f-max"));
  field.date_include_time = read("date_include_time", () => checked("f-time"));
  field.max_length = read("max_length", () => number("f-max-length"));
  field.pattern = read("pattern", () => (valueOf("f-pattern-kind") === "custom" ? valueOf("f-pattern") || null
    : valueOf("f-pattern-kind") || null));
  field.pattern_hint_i18n = read("pattern_hint_i18n", () => readOptionalTexts("f-pattern-hint"));
  field.date_validation = read("date_validation", () => valueOf("f-date-rule") || null);
  field.subform_section_id = read("subform_section_id", () => valueOf("f-subform") || null);
  field.display_conditions = read("display_conditions", () => (valueOf("f-condition") ? JSON.parse(valueOf("f-condition")) : null));
  field.calculation = read("calculation", () => (valueOf("f-calculation") ? JSON.parse(valueOf("f-calculation")) : null));
  field.location_admin_level = read("location_admin_level", () => number("f-level"));
  // One count per line: "id = label = label ...", a label per configured language in their order.
  field.tally_i18n = read("tally_i18n", () => valueOf("f-tally", true).split("\n").filter((line) => line.trim()).map((line) => {
    const [id, ...labels] = line.split("=").map((part) => part.trim());
    return {id: id, display_text: textsFromLine(labels)};
  }));
  return field;
}

/** The first expression control whose text is not JSON: [control id, field key]. */
export function brokenExpression() {
  return EXPRESSIONS.find(([id]) => {
    try { JSON.parse(valueOf(id) || "null"); return false; } catch (error) { return true; }
  }) || EXPRESSIONS[0];
}

/** A new field carries only what is set (false is the default, except for visible). */
export function withoutNulls(field) {
  return Object.fromEntries(Object.entries(field).filter(([key, v]) => v !== null && (v !== false || key === "visible")));
}

/** Show a field in the editor, to change it (its name and type stay). */
export function fillEditor(field) {
  set("f-type", field.type); set("f-name", field.name);
  writeTexts("f-label", field.display_name_i18n); writeTexts("f-help", field.help_text_i18n);
  set("f-lookup", (field.option_strings_source || "").replace("lookup ", ""));
  set("f-min", field.min_value); set("f-max", field.max_value); set("f-subform", field.subform_section_id);
  set("f-calculation", field.calculation ? JSON.stringify(field.calculation) : "");
  set("f-level", field.location_admin_level);
  set("f-max-length", field.max_length); set("f-date-rule", field.date_validation === "default_date_validation"
    ? "" : field.date_validation);
  const preset = [...document.getElementById("f-pattern-kind").options].some((o) => o.value === field.pattern && o.value);
  set("f-pattern-kind", !field.pattern ? "" : preset ? field.pattern : "custom");
  set("f-pattern", preset ? "" : field.pattern);
  writeTexts("f-pattern-hint", field.pattern_hint_i18n);
  showPatternInput();
  set("f-tally", (field.tally_i18n || []).map((count) => [count.id, ...lineFromTexts(count.display_text)].join(" = ")).join("\n"));
  set("f-condition", field.display_conditions ? JSON.stringify(field.display_conditions) : "");
  tick("f-multi", field.multi_select); tick("f-time", field.date_include_time); tick("f-required", field.required);
  tick("f-filterable", field.filterable); tick("f-searchable", field.searchable); tick("f-visible", field.visible !== false);
  tick("f-identifying", field.identifying);
  document.getElementById("f-type").disabled = true;
  document.getElementById("f-name").readOnly = true;
  document.getElementById("field-editor-title").textContent = fmt("edit_field", {name: field.name});
  document.getElementById("f-submit").textContent = t("save_button");
  document.getElementById("f-cancel").hidden = false;
  showTypeOptions();
  (document.getElementById("f-label-" + store.defaultLanguage) || fieldForm.querySelector("[id^='f-label-']")).focus();
}

/** The pattern's own text is shown only for "a pattern of my own". */
export function showPatternInput() {
  document.getElementById("f-pattern").hidden = valueOf("f-pattern-kind") !== "custom";
}

/** Empty the editor, back to adding a field. */
export function resetEditor() {
  fieldForm.reset();
  clearErrors(fieldForm);
  document.getElementById("f-type").disabled = false;
  document.getElementById("f-name").readOnly = false;
  document.getElementById("field-editor-title").textContent = t("add_field");
  document.getElementById("f-submit").textContent = t("add_button");
  document.getElementById("f-cancel").hidden = true;
  showPatternInput();
  showTypeOptions();
}
