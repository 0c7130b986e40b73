/* The form screen: a draft form's names, its fields (add, change, remove, reorder by drag or keyboard), its preview. */
import {api} from "../lib/api.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {clearErrors, flash, showError, showFieldError} from "../lib/errors.js";
import {readOptionalTexts, readTexts, writeTexts} from "../lib/labels.js";
import {fmt, label, t} from "../lib/text.js";
import {brokenExpression, fieldForm, fieldType, fillEditor, loadFieldTypes, readField, resetEditor, showPatternInput, showTypeOptions, withoutNulls} from "./field_editor.js";
import {draftBundle, forgetDrafts, renderPreview} from "./form_preview.js";
import {RuleBuilder, ruleFields} from "./rule_builder.js";
import {makeCatalog} from "/app/static/render/catalog.js";
import {store} from "../lib/store.js";

const FORM_ID = document.getElementById("form-root").dataset.formId;
const PATH = "/api/v1/forms/" + encodeURIComponent(FORM_ID);
const list = document.getElementById("fields");
const namesForm = document.getElementById("names-form");
const screen = {form: null, revision: null, editing: null};  // the draft form, its revision, the field in the editor
// The draft's forms in the interface language (labels of fields and options for the rule pickers), loaded once per
// change of the form, and the pickers over the condition's and the calculation's JSON.
const rules = {catalog: null, condition: null, calculation: null};
const checks = new Map();  // field name -> the draft's check problems about it [{severity, message}]

const ifMatch = () => (screen.revision ? {"If-Match": '"' + screen.revision + '"'} : {});
const preview = () => renderPreview(FORM_ID).catch((error) => showError(error));

/** Take the form an answer holds and show it. */
function show(answer) {
  forgetDrafts();
  screen.form = answer.data.data;
  screen.revision = answer.data.meta.revision;
  document.getElementById("form-revision").textContent = "(" + fmt("revision", {revision: screen.revision}) + ")";
  renderFields();
  renderPositions();
  preview();
  loadRuleFields().catch((error) => showError(error));
  loadChecks().catch((error) => showError(error));
}

/** The draft's checks about this form, next to the fields they concern (and the form's own above the list). */
async function loadChecks() {
  const status = (await api("GET", "/api/v1/metadata/draft")).data.data;
  const prefix = "form:" + FORM_ID;
  const mine = [...status.errors, ...status.warnings].filter((p) => p.field === prefix || p.field.startsWith(prefix + "/"));
  checks.clear();
  const general = [];
  for (const problem of mine) {
    const name = problem.field.split("/")[1];
    if (name && screen.form.fields.some((field) => field.name === name)) {
      if (!checks.has(name)) checks.set(name, []);
      checks.get(name).push(problem);
    } else general.push(problem);
  }
  document.getElementById("form-checks").replaceChildren(...general.map((problem) =>
    el("p", {class: "check " + problem.severity, text: problem.message})));
  renderFields();
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target && !document.activeElement.closest("form")) target.scrollIntoView({block: "center"});
}

/** Where a new field goes: at the end (the default), at the top, or after a field the user names by its label. */
function renderPositions() {
  const picker = document.getElementById("f-position");
  const chosen = picker.value;
  picker.replaceChildren(el("option", {value: "", text: t("at_the_end")}), el("option", {value: "0", text: t("at_the_top")}),
    ...screen.form.fields.map((field, index) => el("option", {value: String(index + 1),
      text: fmt("after_field", {field: label(field.display_name_i18n) || field.name})})));
  picker.value = [...picker.options].some((option) => option.value === chosen) ? chosen : "";
}

/** The fields a condition or a calculation of this form may read: the form's own (the server's rule). */
async function loadRuleFields() {
  const first = !rules.catalog;
  rules.catalog = makeCatalog(await draftBundle(store.locale));
  buildRules();
  if (first) renderFields();  // the "Move" buttons need the other forms
  else renderDropTargets();
}

function buildRules() {
  if (!rules.catalog || !screen.form) return;
  const forms = [rules.catalog.forms.get(FORM_ID)].filter(Boolean);
  const fields = ruleFields(rules.catalog, forms, screen.editing || valueOf("f-name"));
  rules.condition.build(fields);
  rules.calculation.build(fields);
}

async function load() {
  show(await api("GET", PATH + "?draft=true"));
  writeTexts("name", screen.form.name_i18n);
  writeTexts("description", screen.form.description_i18n);
}

/** A type as the picker names it (its name, for a type the registry does not list). */
const typeLabel = (type) => (fieldType(type) ? fieldType(type).label : type);

function fieldRow(field, index, count) {
  const problems = checks.get(field.name) || [];
  const item = el("li", {draggable: "true", "data-name": field.name, id: "field-" + field.name,
                         class: "field-row" + (problems.length ? " has-problems" : "")},
    el("span", {class: "handle", "aria-hidden": "true", text: "⋮⋮"}),
    el("strong", {text: label(field.display_name_i18n)}), " ", el("code", {text: field.name}),
    el("span", {class: "type", text: typeLabel(field.type) + (field.required ? " · " + t("required") : "")}),
    el("span", {class: "actions"},
      el("button", {type: "button", class: "up", "aria-label": t("move_up") + " " + field.name, disabled: index === 0,
                    onclick: () => move(index, -1), text: "↑"}),
      el("button", {type: "button", class: "down", "aria-label": t("move_down") + " " + field.name, disabled: index === count - 1,
                    onclick: () => move(index, 1), text: "↓"}),
      el("button", {type: "button", class: "edit", "aria-label": t("edit") + " " + field.name, onclick: () => edit(field), text: t("edit")}),
      moveTargets().length ? el("button", {type: "button", class: "move", "aria-label": fmt("move_title", {field: label(field.display_name_i18n) || field.name}),
                                           onclick: () => askMove(field), text: t("move_button")}) : null,
      el("button", {type: "button", class: "remove", "aria-label": t("remove") + " " + field.name, onclick: () => remove(field), text: t("remove")})));
  for (const problem of problems) {
    item.append(el("p", {class: "check " + problem.severity, text: problem.message}));
  }
  item.addEventListener("dragstart", (event) => { event.dataTransfer.setData("text/plain", field.name); item.classList.add("dragging"); });
  item.addEventListener("dragend", () => item.classList.remove("dragging"));
  item.addEventListener("dragover", (event) => event.preventDefault());
  item.addEventListener("drop", (event) => {
    event.preventDefault();
    const moved = event.dataTransfer.getData("text/plain");
    const names = screen.form.fields.map((f) => f.name).filter((name) => name !== moved);
    names.splice(names.indexOf(field.name), 0, moved);
    saveOrder(names, moved);
  });
  return item;
}

/** Draw the field list again. The checks and the other forms arrive after a save and redraw it: a keyboard user's
 * focus stays on the same button of the same field (or that field's row, if the button is now disabled). */
function renderFields() {
  document.getElementById("drag-hint").textContent = t("drag_hint");
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  const row = focused && focused.closest("li[data-name]");
  const name = row && row.dataset.name;
  const kind = focused && focused.tagName === "BUTTON" ? focused.className : null;
  const fields = screen.form.fields;
  list.replaceChildren(...fields.map((field, index) => fieldRow(field, index, fields.length)));
  renderDropTargets();
  if (!name) return;
  const again = list.querySelector('li[data-name="' + CSS.escape(name) + '"]');
  const button = again && kind && again.querySelector("button." + CSS.escape(kind) + ":not([disabled])");
  if (button) button.focus();
  else if (again) again.querySelector("button:not([disabled])")?.focus();
}

/** The forms a field of this one may move to: the same record type, a subform's to another subform. */
function moveTargets() {
  if (!rules.catalog || !screen.form) return [];
  return [...rules.catalog.forms.values()].filter((form) => form.unique_id !== FORM_ID
    && form.parent_form === screen.form.parent_form && !!form.is_nested === !!screen.form.is_nested)
    .sort((a, b) => (a.order_form_group || 0) - (b.order_form_group || 0) || (a.order || 0) - (b.order || 0));
}

/** Drop zones, one per form a field may move to (the keyboard's way is each row's "Move" button). */
function renderDropTargets() {
  const targets = moveTargets();
  document.getElementById("move-hint").hidden = !targets.length;
  document.getElementById("move-targets").replaceChildren(...targets.map((form) => {
    const zone = el("li", {class: "drop-target", "data-form": form.unique_id, text: form.name || form.unique_id});
    zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      const field = screen.form.fields.find((candidate) => candidate.name === event.dataTransfer.getData("text/plain"));
      if (field) moveField(field, form, null);
    });
    return zone;
  }));
}

/** Ask where a field goes (a form, its top or its end) in an in-page dialog, then move it there. */
function askMove(field) {
  const returnTo = document.activeElement;
  const name = label(field.display_name_i18n) || field.name;
  const target = el("select", {id: "move-form"}, ...moveTargets().map((form) => el("option", {value: form.unique_id,
                                                                                          text: form.name || form.unique_id})));
  const place = el("select", {id: "move-place"}, el("option", {value: "", text: t("at_the_end")}),
                   el("option", {value: "0", text: t("at_the_top")}));
  const go = el("button", {type: "submit", text: t("move_button")});
  const cancel = el("button", {type: "button", class: "secondary", text: t("cancel")});
  const form = el("form", {class: "grid"},
    el("div", {class: "field"}, el("label", {for: "move-form", text: t("move_to_form")}), target),
    el("div", {class: "field"}, el("label", {for: "move-place", text: t("move_where")}), place),
    el("div", {class: "wide inline"}, go, cancel));
  const dialog = el("dialog", {class: "confirm", "aria-labelledby": "move-title"},
    el("h2", {id: "move-title", text: fmt("move_title", {field: name})}), el("p", {text: t("move_keeps_data")}), form);
  cancel.addEventListener("click", () => dialog.close());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = moveTargets().find((candidate) => candidate.unique_id === target.value);
    dialog.close();
    moveField(field, chosen, place.value === "" ? null : Number(place.value));
  });
  dialog.addEventListener("close", () => { dialog.remove(); if (returnTo && returnTo.isConnected) returnTo.focus(); });
  document.body.append(dialog);
  dialog.showModal();
  target.focus();
}

async function moveField(field, target, position) {
  try {
    await api("POST", PATH + "/fields/" + encodeURIComponent(field.name) + "/move",
              {data: {form: target.unique_id, ...(position === null ? {} : {position})}}, ifMatch());
    await load();
    flash(fmt("moved", {field: label(field.display_name_i18n) || field.name, form: target.name || target.unique_id}));
    const first = list.querySelector("button");
    (first || document.getElementById("fields-title")).focus();
  } catch (error) {
    showError(error, document.getElementById("fields-title").parentElement);
    await load().catch(() => {});
  }
}

async function saveOrder(names, focusName) {
  try {
    show(await api("PUT", PATH + "/fields/order", {data: names}, ifMatch()));
    flash(t("saved"));
    const row = '[data-name="' + CSS.escape(focusName) + '"]';
    const moved = list.querySelector(row + " .up:not([disabled]), " + row + " .down");
    if (moved) moved.focus();
  } catch (error) {
    showError(error, document.getElementById("fields-title").parentElement);
    await load().catch(() => {});
  }
}

function move(index, step) {
  const names = screen.form.fields.map((f) => f.name);
  const [name] = names.splice(index, 1);
  names.splice(index + step, 0, name);
  saveOrder(names, name);
}

async function remove(field) {
  if (!confirm(fmt("confirm_delete", {name: field.name}))) return;
  try {
    show(await api("DELETE", PATH + "/fields/" + encodeURIComponent(field.name), undefined, ifMatch()));
    flash(t("saved"));
  } catch (error) { showError(error, fieldForm); }
}

function edit(field) {
  screen.editing = field.name;
  fillEditor(field);
  document.getElementById("position-box").hidden = true;
  buildRules();
}

function stopEditing() {
  screen.editing = null;
  resetEditor();
  document.getElementById("position-box").hidden = false;
  buildRules();
}

fieldForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(fieldForm);
  let field;
  try { field = readField(); } catch (error) {
    const [, key] = brokenExpression();
    showFieldError(fieldForm, key, t("bad_expression"));
    return;
  }
  try {
    let answer;
    if (screen.editing) {
      const patch = Object.assign({}, field);
      delete patch.name;
      answer = await api("PATCH", PATH + "/fields/" + encodeURIComponent(screen.editing), {data: patch}, ifMatch());
    } else {
      const position = valueOf("f-position");
      answer = await api("POST", PATH + "/fields", {data: withoutNulls(field),
                                                   ...(position === "" ? {} : {position: Number(position)})}, ifMatch());
    }
    stopEditing();
    show(answer);
    flash(t("saved"));
  } catch (error) { showError(error, fieldForm); }
});

namesForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    show(await api("PATCH", PATH, {data: {name_i18n: readTexts("name"), description_i18n: readOptionalTexts("description")}}, ifMatch()));
    clearErrors(namesForm); flash(t("saved"));
  } catch (error) { showError(error, namesForm); }
});

async function loadSubforms() {
  const nested = (await api("GET", "/api/v1/forms?draft=true&record_type=" + screen.form.parent_form)).data.data.filter((f) => f.is_nested);
  document.getElementById("f-subform").replaceChildren(el("option", {value: "", text: "—"}),
    ...nested.map((f) => el("option", {value: f.unique_id, text: label(f.name_i18n) + " (" + f.unique_id + ")"})));
}

async function loadLookups() {
  const lookups = (await api("GET", "/api/v1/lookups?draft=true")).data.data;
  document.getElementById("f-lookup").replaceChildren(el("option", {value: "", text: t("no_options")}),
    ...lookups.map((lookup) => el("option", {value: lookup.unique_id, text: label(lookup.name_i18n) + " (" + lookup.unique_id + ")"})));
}

document.getElementById("f-cancel").addEventListener("click", stopEditing);
rules.condition = new RuleBuilder({box: document.getElementById("condition-box"), input: document.getElementById("f-condition"),
                                   kind: "condition"});
rules.calculation = new RuleBuilder({box: document.getElementById("calculation-box"),
                                     input: document.getElementById("f-calculation"), kind: "calculation"});
document.getElementById("f-type").addEventListener("change", showTypeOptions);
document.getElementById("f-pattern-kind").addEventListener("change", showPatternInput);
document.getElementById("preview-locale").addEventListener("change", preview);
document.getElementById("preview-size").addEventListener("change", (event) => {
  const frame = document.getElementById("preview");
  frame.classList.remove("size-1280", "size-1366");
  if (event.target.value !== "800") frame.classList.add("size-" + event.target.value);
});
// The types first: the editor offers no type and the preview knows none until the registry has answered.
try { await loadFieldTypes(); } catch (error) { showError(error); }
screenReady();
showTypeOptions();
Promise.all([load().then(loadSubforms), loadLookups()]).catch((error) => showError(error));
