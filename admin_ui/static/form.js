"use strict";
const FORM_ID = document.getElementById("form-root").dataset.formId;
const fieldForm = document.getElementById("field-form");
const list = document.getElementById("fields");
let form = null, revision = null, editing = null;

function formPath(suffix) { return "/api/v1/forms/" + FORM_ID + (suffix || ""); }
function ifMatch() { return revision ? {"If-Match": '"' + revision + '"'} : {}; }

async function load() {
  const answer = await api("GET", formPath("?draft=true"));
  form = answer.data.data;
  revision = answer.data.meta.revision;
  document.getElementById("form-revision").textContent = "(" + fmt("revision", {revision: revision}) + ")";
  document.getElementById("name_en").value = (form.name_i18n || {}).en || "";
  document.getElementById("name_fr").value = (form.name_i18n || {}).fr || "";
  document.getElementById("description_en").value = (form.description_i18n || {}).en || "";
  document.getElementById("description_fr").value = (form.description_i18n || {}).fr || "";
  renderFields();
  renderPreview();
}

function renderFields() {
  document.getElementById("drag-hint").textContent = T.drag_hint;
  list.replaceChildren(...form.fields.map((field, index) => {
    const item = el("li", {draggable: "true", "data-name": field.name, class: "field-row"},
      el("span", {class: "handle", "aria-hidden": "true", text: "⋮⋮"}),
      el("strong", {text: label(field.display_name_i18n)}), " ", el("code", {text: field.name}),
      el("span", {class: "type", text: field.type + (field.required ? " · " + T.required : "")}),
      el("span", {class: "actions"},
        el("button", {type: "button", class: "up", "aria-label": T.move_up + " " + field.name, disabled: index === 0,
                      onclick: () => move(index, -1), text: "↑"}),
        el("button", {type: "button", class: "down", "aria-label": T.move_down + " " + field.name,
                      disabled: index === form.fields.length - 1, onclick: () => move(index, 1), text: "↓"}),
        el("button", {type: "button", class: "edit", "aria-label": T.edit + " " + field.name, onclick: () => edit(field), text: T.edit}),
        el("button", {type: "button", class: "remove", "aria-label": T.remove + " " + field.name, onclick: () => remove(field), text: T.remove})));
    item.addEventListener("dragstart", (event) => { event.dataTransfer.setData("text/plain", field.name); item.classList.add("dragging"); });
    item.addEventListener("dragend", () => item.classList.remove("dragging"));
    item.addEventListener("dragover", (event) => event.preventDefault());
    item.addEventListener("drop", (event) => {
      event.preventDefault();
      const moved = event.dataTransfer.getData("text/plain");
      const names = form.fields.map((f) => f.name).filter((name) => name !== moved);
      names.splice(names.indexOf(field.name), 0, moved);
      saveOrder(names, moved);
    });
    return item;
  }));
}

async function saveOrder(names, focusName) {
  try {
    const answer = await api("PUT", formPath("/fields/order"), {data: names}, ifMatch());
    form = answer.data.data; revision = answer.data.meta.revision;
    renderFields(); renderPreview(); flash(T.saved);
    const moved = list.querySelector('[data-name="' + focusName + '"] .up:not([disabled]), [data-name="' + focusName + '"] .down');
    if (moved) moved.focus();
  } catch (error) { showErrors(document.getElementById("fields-title").parentElement, error); await load(); }
}

function move(index, step) {
  const names = form.fields.map((f) => f.name);
  const [name] = names.splice(index, 1);
  names.splice(index + step, 0, name);
  saveOrder(names, name);
}

async function remove(field) {
  if (!confirm(fmt("confirm_delete", {name: field.name}))) return;
  try {
    const answer = await api("DELETE", formPath("/fields/" + field.name), undefined, ifMatch());
    form = answer.data.data; revision = answer.data.meta.revision;
    renderFields(); renderPreview(); flash(T.saved);
  } catch (error) { showErrors(fieldForm, error); }
}

function showTypeOptions() {
  const type = document.getElementById("f-type").value;
  fieldForm.querySelectorAll("[data-for-types]").forEach((box) => { box.hidden = !box.dataset.forTypes.split(" ").includes(type); });
}

function i18n(en, fr) {
  const texts = {};
  if (en.trim()) texts.en = en.trim();
  if (fr.trim()) texts.fr = fr.trim();
  return texts;
}

function fieldFromForm() {
  const value = (id) => document.getElementById(id).value;
  const checked = (id) => document.getElementById(id).checked;
  const type = value("f-type");
  const field = {name: value("f-name").trim(), type: type, display_name_i18n: i18n(value("f-label-en"), value("f-label-fr"))};
  const help = i18n(value("f-help-en"), value("f-help-fr"));
  field.help_text_i18n = Object.keys(help).length ? help : null;
  field.required = checked("f-required");
  field.filterable = checked("f-filterable");
  field.searchable = checked("f-searchable");
  field.visible = checked("f-visible");
  field.option_strings_source = ["select_box", "radio_button"].includes(type) && value("f-lookup") ? "lookup " + value("f-lookup") : null;
  field.multi_select = type === "select_box" ? checked("f-multi") : null;
  field.min_value = type === "numeric_field" && value("f-min") !== "" ? Number(value("f-min")) : null;
  field.max_value = type === "numeric_field" && value("f-max") !== "" ? Number(value("f-max")) : null;
  field.date_include_time = type === "date_field" ? checked("f-time") : null;
  field.subform_section_id = type === "subform" && value("f-subform") ? value("f-subform") : null;
  const condition = value("f-condition").trim();
  field.display_conditions = condition ? JSON.parse(condition) : null;
  const calculation = value("f-calculation").trim();
  field.calculation = type === "calculated" && calculation ? JSON.parse(calculation) : null;
  field.location_admin_level = type === "location" && value("f-level") !== "" ? Number(value("f-level")) : null;
  field.tally_i18n = type === "tally_field" ? value("f-tally").split("\n").filter((line) => line.trim()).map((line) => {
    const [id, en, fr] = line.split("=").map((part) => (part || "").trim());
    return {id: id, display_text: i18n(en || "", fr || "")};
  }) : null;
  return field;
}

function withoutNulls(field) {
  /* A new field carries only what is set (false is the default, except for visible). */
  return Object.fromEntries(Object.entries(field).filter(([key, v]) => v !== null && (v !== false || key === "visible")));
}

fieldForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(fieldForm);
  let field;
  try { field = fieldFromForm(); } catch (error) {
    const broken = [["f-condition", "display_conditions"], ["f-calculation", "calculation"]].find(([id]) => {
      try { JSON.parse(document.getElementById(id).value.trim() || "null"); return false; } catch (e) { return true; }
    }) || ["f-condition", "display_conditions"];
    fieldForm.querySelector('[data-error-for="' + broken[1] + '"]').textContent = T.bad_expression;
    document.getElementById(broken[0]).setAttribute("aria-invalid", "true");
    return;
  }
  try {
    let answer;
    if (editing) {
      const patch = Object.assign({}, field);
      delete patch.name;
      answer = await api("PATCH", formPath("/fields/" + editing), {data: patch}, ifMatch());
    } else {
      answer = await api("POST", formPath("/fields"), {data: withoutNulls(field)}, ifMatch());
    }
    form = answer.data.data; revision = answer.data.meta.revision;
    resetEditor(); renderFields(); renderPreview(); flash(T.saved);
  } catch (error) { showErrors(fieldForm, error); }
});

function edit(field) {
  editing = field.name;
  const set = (id, v) => { document.getElementById(id).value = v === undefined || v === null ? "" : v; };
  const tick = (id, v) => { document.getElementById(id).checked = !!v; };
  set("f-type", field.type); set("f-name", field.name);
  set("f-label-en", (field.display_name_i18n || {}).en); set("f-label-fr", (field.display_name_i18n || {}).fr);
  set("f-help-en", (field.help_text_i18n || {}).en); set("f-help-fr", (field.help_text_i18n || {}).fr);
  set("f-lookup", (field.option_strings_source || "").replace("lookup ", ""));
  set("f-min", field.min_value); set("f-max", field.max_value); set("f-subform", field.subform_section_id);
  set("f-calculation", field.calculation ? JSON.stringify(field.calculation) : "");
  set("f-level", field.location_admin_level);
  set("f-tally", (field.tally_i18n || []).map((t) => [t.id, t.display_text.en || "", t.display_text.fr || ""].join(" = ")).join("\n"));
  set("f-condition", field.display_conditions ? JSON.stringify(field.display_conditions) : "");
  tick("f-multi", field.multi_select); tick("f-time", field.date_include_time); tick("f-required", field.required);
  tick("f-filterable", field.filterable); tick("f-searchable", field.searchable); tick("f-visible", field.visible !== false);
  document.getElementById("f-type").disabled = true;
  document.getElementById("f-name").readOnly = true;
  document.getElementById("field-editor-title").textContent = fmt("edit_field", {name: field.name});
  document.getElementById("f-submit").textContent = T.save_button;
  document.getElementById("f-cancel").hidden = false;
  showTypeOptions();
  document.getElementById("f-label-en").focus();
}

function resetEditor() {
  editing = null;
  fieldForm.reset();
  clearErrors(fieldForm);
  document.getElementById("f-type").disabled = false;
  document.getElementById("f-name").readOnly = false;
  document.getElementById("field-editor-title").textContent = T.add_field;
  document.getElementById("f-submit").textContent = T.add_button;
  document.getElementById("f-cancel").hidden = true;
  showTypeOptions();
}

document.getElementById("f-cancel").addEventListener("click", resetEditor);
document.getElementById("f-type").addEventListener("change", showTypeOptions);

document.getElementById("names-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (id) => document.getElementById(id).value;
  const description = i18n(value("description_en"), value("description_fr"));
  try {
    const answer = await api("PATCH", formPath(), {data: {name_i18n: i18n(value("name_en"), value("name_fr")),
      description_i18n: Object.keys(description).length ? description : null}}, ifMatch());
    form = answer.data.data; revision = answer.data.meta.revision;
    clearErrors(event.target); renderPreview(); flash(T.saved);
  } catch (error) { showErrors(event.target, error); }
});

async function loadSubforms() {
  const nested = (await api("GET", "/api/v1/forms?draft=true&record_type=" + form.parent_form)).data.data.filter((f) => f.is_nested);
  document.getElementById("f-subform").replaceChildren(el("option", {value: "", text: "—"}),
    ...nested.map((f) => el("option", {value: f.unique_id, text: label(f.name_i18n) + " (" + f.unique_id + ")"})));
}

async function loadLookups() {
  const lookups = (await api("GET", "/api/v1/lookups?draft=true")).data.data;
  document.getElementById("f-lookup").replaceChildren(el("option", {value: "", text: T.no_options}),
    ...lookups.map((lookup) => el("option", {value: lookup.unique_id, text: label(lookup.name_i18n) + " (" + lookup.unique_id + ")"})));
}

async function renderPreview() {
  const locale = document.getElementById("preview-locale").value;
  const preview = (await api("GET", formPath("?draft=true&locale=" + locale))).data.data;
  const root = document.getElementById("preview");
  root.lang = locale;
  root.replaceChildren(el("h3", {text: preview.name}), ...preview.fields.filter((f) => f.visible !== false).map((field) => {
    if (field.type === "separator") return el("h4", {text: field.display_name});
    const options = (field.option_strings_text || []).map((o) => o.display_text).join(" · ");
    return el("div", {class: "preview-field"}, el("span", {class: "preview-label", text: field.display_name + (field.required ? " *" : "")}),
      el("span", {class: "preview-input", text: options || field.type}), field.help_text ? el("small", {text: field.help_text}) : null);
  }));
}
document.getElementById("preview-locale").addEventListener("change", renderPreview);

showTypeOptions();
Promise.all([load().then(loadSubforms), loadLookups()]).catch((error) => flash(String(error), "error"));
