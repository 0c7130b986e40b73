"use strict";
async function loadForms() {
  const recordType = document.getElementById("record-type").value;
  const forms = (await api("GET", "/api/v1/forms?draft=true&record_type=" + recordType)).data.data;
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
document.getElementById("record-type").addEventListener("change", loadForms);
loadForms().catch((error) => flash(String(error), "error"));
