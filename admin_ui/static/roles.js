"use strict";
let role = null, revision = null, catalogue = null, forms = [];
const select = document.getElementById("r-select");

async function loadAll() {
  const [roles, permissions, allForms] = await Promise.all([api("GET", "/api/v1/roles?draft=true"),
    api("GET", "/api/v1/permissions"), api("GET", "/api/v1/forms?draft=true")]);
  catalogue = permissions.data.data.resources;
  forms = allForms.data.data.filter((f) => !f.is_nested);
  select.replaceChildren(...roles.data.data.map((r) => el("option", {value: r.unique_id, text: label(r.name_i18n)})));
  await loadRole();
}

async function loadRole() {
  const answer = await api("GET", "/api/v1/roles/" + select.value + "?draft=true");
  role = answer.data.data; revision = answer.data.meta.revision;
  document.getElementById("r-scope").value = role.group_permission;
  const actions = [...new Set(Object.values(catalogue).flat())];
  document.getElementById("r-matrix").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", {scope: "col", text: ""}), ...actions.map((a) => el("th", {scope: "col", text: a})))),
    el("tbody", {}, ...Object.entries(catalogue).map(([resource, allowed]) => el("tr", {},
      el("th", {scope: "row", text: resource}),
      ...actions.map((action) => el("td", {}, allowed.includes(action) ? el("input", {type: "checkbox",
        "aria-label": resource + ": " + action, "data-resource": resource, "data-action": action,
        checked: ((role.permissions || {})[resource] || []).includes(action)}) : null))))));
  const access = role.form_section_read_write;
  document.querySelector("#r-forms tbody").replaceChildren(...forms.map((form) => {
    const current = access === undefined ? "rw" : (access[form.unique_id] || "none");
    return el("tr", {}, el("th", {scope: "row", text: label(form.name_i18n) + " (" + form.parent_form + ")"}),
      ...["none", "r", "rw"].map((level) => el("td", {}, el("input", {type: "radio", name: "access-" + form.unique_id, value: level,
        "aria-label": form.unique_id + ": " + level, checked: current === level}))));
  }));
}

document.getElementById("role-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const permissions = {};
  document.querySelectorAll("#r-matrix input:checked").forEach((box) => {
    (permissions[box.dataset.resource] = permissions[box.dataset.resource] || []).push(box.dataset.action);
  });
  const access = {};
  for (const form of forms) {
    const chosen = document.querySelector('input[name="access-' + form.unique_id + '"]:checked');
    if (chosen && chosen.value !== "none") access[form.unique_id] = chosen.value;
  }
  const changed = Object.assign({}, role, {permissions: permissions, group_permission: document.getElementById("r-scope").value,
                                           form_section_read_write: access});
  try {
    const answer = await api("PUT", "/api/v1/roles/" + role.unique_id, {data: changed}, {"If-Match": '"' + revision + '"'});
    role = answer.data.data; revision = answer.data.meta.revision; clearErrors(event.target); flash(T.saved);
  } catch (error) { showErrors(event.target, error); }
});
select.addEventListener("change", () => loadRole().catch((e) => flash(String(e), "error")));
loadAll().catch((error) => flash(String(error), "error"));
