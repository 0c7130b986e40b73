/* The form screen: a draft form's names, its fields (add, change, remove, reorder by drag or keyboard), its preview. */
import {api} from "../lib/api.js";
import {el, screenReady} from "../lib/dom.js";
import {clearErrors, flash, showError, showFieldError} from "../lib/errors.js";
import {readOptionalTexts, readTexts, writeTexts} from "../lib/labels.js";
import {fmt, label, t} from "../lib/text.js";
import {brokenExpression, fieldForm, fieldType, fillEditor, loadFieldTypes, readField, resetEditor, showTypeOptions, withoutNulls} from "./field_editor.js";
import {renderPreview} from "./form_preview.js";

const FORM_ID = document.getElementById("form-root").dataset.formId;
const PATH = "/api/v1/forms/" + encodeURIComponent(FORM_ID);
const list = document.getElementById("fields");
const namesForm = document.getElementById("names-form");
const screen = {form: null, revision: null, editing: null};  // the draft form, its revision, the field in the editor

const ifMatch = () => (screen.revision ? {"If-Match": '"' + screen.revision + '"'} : {});
const preview = () => renderPreview(FORM_ID).catch((error) => showError(error));

/** Take the form an answer holds and show it. */
function show(answer) {
  screen.form = answer.data.data;
  screen.revision = answer.data.meta.revision;
  document.getElementById("form-revision").textContent = "(" + fmt("revision", {revision: screen.revision}) + ")";
  renderFields();
  preview();
}

async function load() {
  show(await api("GET", PATH + "?draft=true"));
  writeTexts("name", screen.form.name_i18n);
  writeTexts("description", screen.form.description_i18n);
}

/** A type as the picker names it (its name, for a type the registry does not list). */
const typeLabel = (type) => (fieldType(type) ? fieldType(type).label : type);

function fieldRow(field, index, count) {
  const item = el("li", {draggable: "true", "data-name": field.name, class: "field-row"},
    el("span", {class: "handle", "aria-hidden": "true", text: "⋮⋮"}),
    el("strong", {text: label(field.display_name_i18n)}), " ", el("code", {text: field.name}),
    el("span", {class: "type", text: typeLabel(field.type) + (field.required ? " · " + t("required") : "")}),
    el("span", {class: "actions"},
      el("button", {type: "button", class: "up", "aria-label": t("move_up") + " " + field.name, disabled: index === 0,
                    onclick: () => move(index, -1), text: "↑"}),
      el("button", {type: "button", class: "down", "aria-label": t("move_down") + " " + field.name, disabled: index === count - 1,
                    onclick: () => move(index, 1), text: "↓"}),
      el("button", {type: "button", class: "edit", "aria-label": t("edit") + " " + field.name, onclick: () => edit(field), text: t("edit")}),
      el("button", {type: "button", class: "remove", "aria-label": t("remove") + " " + field.name, onclick: () => remove(field), text: t("remove")})));
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

function renderFields() {
  document.getElementById("drag-hint").textContent = t("drag_hint");
  const fields = screen.form.fields;
  list.replaceChildren(...fields.map((field, index) => fieldRow(field, index, fields.length)));
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
}

function stopEditing() {
  screen.editing = null;
  resetEditor();
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
      answer = await api("POST", PATH + "/fields", {data: withoutNulls(field)}, ifMatch());
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
document.getElementById("f-type").addEventListener("change", showTypeOptions);
document.getElementById("preview-locale").addEventListener("change", preview);
// The types first: the editor offers no type and the preview knows none until the registry has answered.
try { await loadFieldTypes(); } catch (error) { showError(error); }
screenReady();
showTypeOptions();
Promise.all([load().then(loadSubforms), loadLookups()]).catch((error) => showError(error));
