/* The field editor of the form screen: reading a field from its controls, showing one in them, the per-type parts. */
import {valueOf} from "../lib/dom.js";
import {clearErrors} from "../lib/errors.js";
import {lineFromTexts, readOptionalTexts, readTexts, textsFromLine, writeTexts} from "../lib/labels.js";
import {store} from "../lib/store.js";
import {fmt, t} from "../lib/text.js";

export const fieldForm = document.getElementById("field-form");
const EXPRESSIONS = [["f-condition", "display_conditions"], ["f-calculation", "calculation"]];  // control, field key

const checked = (id) => document.getElementById(id).checked;
const set = (id, v) => { document.getElementById(id).value = v === undefined || v === null ? "" : v; };
const tick = (id, v) => { document.getElementById(id).checked = !!v; };

/** Show only the controls that apply to the chosen type. */
export function showTypeOptions() {
  const type = valueOf("f-type");
  fieldForm.querySelectorAll("[data-for-types]").forEach((box) => { box.hidden = !box.dataset.forTypes.split(" ").includes(type); });
}

/** The field the controls describe (attributes that do not apply are null); a SyntaxError for a bad expression. */
export function readField() {
  const type = valueOf("f-type");
  const field = {name: valueOf("f-name"), type: type, display_name_i18n: readTexts("f-label"), help_text_i18n: readOptionalTexts("f-help")};
  field.required = checked("f-required");
  field.filterable = checked("f-filterable");
  field.searchable = checked("f-searchable");
  field.visible = checked("f-visible");
  field.option_strings_source = ["select_box", "radio_button"].includes(type) && valueOf("f-lookup") ? "lookup " + valueOf("f-lookup") : null;
  field.multi_select = type === "select_box" ? checked("f-multi") : null;
  field.min_value = type === "numeric_field" && valueOf("f-min") !== "" ? Number(valueOf("f-min")) : null;
  field.max_value = type === "numeric_field" && valueOf("f-max") !== "" ? Number(valueOf("f-max")) : null;
  field.date_include_time = type === "date_field" ? checked("f-time") : null;
  field.subform_section_id = type === "subform" && valueOf("f-subform") ? valueOf("f-subform") : null;
  field.display_conditions = valueOf("f-condition") ? JSON.parse(valueOf("f-condition")) : null;
  field.calculation = type === "calculated" && valueOf("f-calculation") ? JSON.parse(valueOf("f-calculation")) : null;
  field.location_admin_level = type === "location" && valueOf("f-level") !== "" ? Number(valueOf("f-level")) : null;
  // One count per line: "id = label = label ...", a label per configured language in their order.
  field.tally_i18n = type === "tally_field" ? valueOf("f-tally", true).split("\n").filter((line) => line.trim()).map((line) => {
    const [id, ...labels] = line.split("=").map((part) => part.trim());
    return {id: id, display_text: textsFromLine(labels)};
  }) : null;
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
  set("f-tally", (field.tally_i18n || []).map((count) => [count.id, ...lineFromTexts(count.display_text)].join(" = ")).join("\n"));
  set("f-condition", field.display_conditions ? JSON.stringify(field.display_conditions) : "");
  tick("f-multi", field.multi_select); tick("f-time", field.date_include_time); tick("f-required", field.required);
  tick("f-filterable", field.filterable); tick("f-searchable", field.searchable); tick("f-visible", field.visible !== false);
  document.getElementById("f-type").disabled = true;
  document.getElementById("f-name").readOnly = true;
  document.getElementById("field-editor-title").textContent = fmt("edit_field", {name: field.name});
  document.getElementById("f-submit").textContent = t("save_button");
  document.getElementById("f-cancel").hidden = false;
  showTypeOptions();
  (document.getElementById("f-label-" + store.defaultLanguage) || fieldForm.querySelector("[id^='f-label-']")).focus();
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
  showTypeOptions();
}
