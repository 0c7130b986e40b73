/* Roles: the permission matrix, the scope of records and the access to each form of the role chosen. */
import {api, newestOnly} from "../lib/api.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {clearErrors, flash, showError} from "../lib/errors.js";
import {label, t} from "../lib/text.js";

const select = document.getElementById("r-select");
const roleForm = document.getElementById("role-form");
const LEVELS = ["none", "r", "rw"];
const screen = {role: null, revision: null, catalogue: null, forms: []};
const newestRole = newestOnly();

async function loadAll() {
  const [roles, permissions, forms] = (await Promise.all([api("GET", "/api/v1/roles?draft=true"),
    api("GET", "/api/v1/permissions"), api("GET", "/api/v1/forms?draft=true")])).map((answer) => answer.data.data);
  screen.catalogue = permissions.resources;
  screen.forms = forms.filter((f) => !f.is_nested);
  select.replaceChildren(...roles.map((r) => el("option", {value: r.unique_id, text: label(r.name_i18n)})));
  await loadRole();
}

function matrix(role) {
  const actions = [...new Set(Object.values(screen.catalogue).flat())];
  return [el("thead", {}, el("tr", {}, el("th", {scope: "col", text: ""}), ...actions.map((a) => el("th", {scope: "col", text: a})))),
    el("tbody", {}, ...Object.entries(screen.catalogue).map(([resource, allowed]) => el("tr", {},
      el("th", {scope: "row", text: resource}),
      ...actions.map((action) => el("td", {}, allowed.includes(action) ? el("input", {type: "checkbox",
        "aria-label": resource + ": " + action, "data-resource": resource, "data-action": action,
        checked: ((role.permissions || {})[resource] || []).includes(action)}) : null)))))];
}

async function loadRole() {
  // What was shown belongs to the role chosen before: it goes at once, so that nothing is ticked on the wrong role.
  document.getElementById("r-matrix").replaceChildren();
  document.querySelector("#r-forms tbody").replaceChildren();
  const answer = await newestRole(api("GET", "/api/v1/roles/" + encodeURIComponent(select.value) + "?draft=true"));
  if (!answer) return;
  const role = screen.role = answer.data.data;
  screen.revision = answer.data.meta.revision;
  document.getElementById("r-scope").value = role.group_permission;
  document.getElementById("r-matrix").replaceChildren(...matrix(role));
  const access = role.form_section_read_write;
  document.querySelector("#r-forms tbody").replaceChildren(...screen.forms.map((form) => {
    const current = access === undefined ? "rw" : (access[form.unique_id] || "none");
    return el("tr", {}, el("th", {scope: "row", text: label(form.name_i18n) + " (" + form.parent_form + ")"}),
      ...LEVELS.map((level) => el("td", {}, el("input", {type: "radio", name: "access-" + form.unique_id, value: level,
        "aria-label": form.unique_id + ": " + level, checked: current === level}))));
  }));
}

roleForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const permissions = {};
  roleForm.querySelectorAll("#r-matrix input:checked").forEach((box) => {
    (permissions[box.dataset.resource] = permissions[box.dataset.resource] || []).push(box.dataset.action);
  });
  const access = {};
  for (const form of screen.forms) {
    const chosen = roleForm.querySelector('input[name="access-' + CSS.escape(form.unique_id) + '"]:checked');
    if (chosen && chosen.value !== "none") access[form.unique_id] = chosen.value;
  }
  const changed = Object.assign({}, screen.role, {permissions: permissions, group_permission: valueOf("r-scope"),
                                                  form_section_read_write: access});
  try {
    const answer = await api("PUT", "/api/v1/roles/" + encodeURIComponent(screen.role.unique_id), {data: changed},
                             {"If-Match": '"' + screen.revision + '"'});
    screen.role = answer.data.data; screen.revision = answer.data.meta.revision;
    clearErrors(roleForm); flash(t("saved"));
  } catch (error) { showError(error, roleForm); }
});

select.addEventListener("change", () => loadRole().catch((error) => showError(error)));
screenReady();
loadAll().catch((error) => showError(error));
