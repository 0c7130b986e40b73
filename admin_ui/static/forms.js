"use strict";
async function loadModules() {
  const modules = (await api("GET", "/api/v1/modules?draft=true")).data.data;
  document.getElementById("module").replaceChildren(...modules.map((m) => el("option", {value: m.unique_id, text: label(m.name_i18n)})));
}

async function loadForms() {
  const recordType = document.getElementById("record-type").value;
  const module = document.getElementById("module").value;
  const forms = (await api("GET", "/api/v1/forms?draft=true&record_type=" + recordType +
                           (module ? "&module_id=" + encodeURIComponent(module) : ""))).data.data;
  const groups = new Map();
  for (const form of forms) {
    const group = label(form.form_group_name_i18n) || form.form_group_id || "—";
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(form);
  }
  const root = document.getElementById("form-groups");
  root.replaceChildren(...[...groups.entries()].map(([group, members]) => el("section", {class: "card"},
    el("h2", {text: group}),
    el("ul", {}, ...members.map((form) => el("li", {},
      el("a", {href: "/admin/forms/" + form.unique_id, text: label(form.name_i18n)}),
      " ", el("code", {text: form.unique_id}), form.is_nested ? " (" + T.subform + ")" : "",
      " — " + fmt("fields_count", {count: form.fields.length})))))));
}
document.getElementById("new-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (id) => document.getElementById(id).value.trim();
  const names = textsOf("n-en", "n-fr");
  const nested = document.getElementById("n-nested").checked;
  const form = {unique_id: value("n-id"), parent_form: document.getElementById("record-type").value,
                module_ids: [document.getElementById("module").value], name_i18n: names, is_nested: nested,
                visible: !nested, fields: []};
  if (value("n-group") && !nested) form.form_group_id = value("n-group");
  try {
    await api("POST", "/api/v1/forms", {data: form});
    location.href = "/admin/forms/" + form.unique_id;
  } catch (error) { showErrors(event.target, error); }
});
document.getElementById("record-type").addEventListener("change", loadForms);
document.getElementById("module").addEventListener("change", loadForms);
loadModules().then(loadForms).catch((error) => flash(String(error), "error"));
