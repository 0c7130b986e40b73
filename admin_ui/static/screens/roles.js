/* Roles: what the chosen role may do, in words with a short explanation each (records: one row per action, one column
 * per kind of record; the administration's permissions; the records it sees), its access to each form, and who holds it. */
import {ApiError, api, newestOnly} from "../lib/api.js";
import {el, screenReady} from "../lib/dom.js";
import {clearErrors, flash, showError} from "../lib/errors.js";
import {fmt, label, t} from "../lib/text.js";

const select = document.getElementById("r-select");
const roleForm = document.getElementById("role-form");
const LEVELS = ["none", "r", "rw"];
const screen = {role: null, revision: null, catalogue: null, scopes: [], forms: [], users: null};
const newestRole = newestOnly();

/** Record types are the resources the catalog has a word for; the others are the administration's. */
function isRecordType(resource) {
  return t("resource_" + resource, null) !== null;
}

function resourceWord(resource) {
  return t("resource_" + resource, resource);
}

async function usersIfAllowed() {
  try {
    return (await api("GET", "/api/v1/users?per_page=500")).data.data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return null;
    throw error;
  }
}

async function loadAll() {
  const [roles, permissions, forms] = (await Promise.all([api("GET", "/api/v1/roles?draft=true"),
    api("GET", "/api/v1/permissions"), api("GET", "/api/v1/forms?draft=true")])).map((answer) => answer.data.data);
  screen.catalogue = permissions.resources;
  screen.scopes = permissions.group_permission;
  screen.forms = forms.filter((f) => !f.is_nested);
  screen.users = await usersIfAllowed();
  select.replaceChildren(...roles.map((r) => el("option", {value: r.unique_id, text: label(r.name_i18n)})));
  await loadRole();
}

function granted(role, resource, action) {
  return ((role.permissions || {})[resource] || []).includes(action);
}

function box(role, resource, action, name) {
  return el("input", {type: "checkbox", "aria-label": name, "data-resource": resource, "data-action": action,
                      checked: granted(role, resource, action)});
}

function matrix(role) {
  const records = Object.keys(screen.catalogue).filter(isRecordType);
  const actions = [...new Set(records.flatMap((resource) => screen.catalogue[resource]))];
  return [el("thead", {}, el("tr", {}, el("th", {scope: "col", text: ""}),
      ...records.map((resource) => el("th", {scope: "col", text: resourceWord(resource)})))),
    el("tbody", {}, ...actions.map((action) => el("tr", {"data-action": action},
      el("th", {scope: "row"}, el("strong", {text: t("action_" + action, action)}),
         el("span", {class: "explain", text: t("action_help_" + action, "")})),
      ...records.map((resource) => el("td", {}, screen.catalogue[resource].includes(action)
        ? box(role, resource, action, fmt("permission_of", {resource: resourceWord(resource), action: t("action_" + action, action)}))
        : null)))))];
}

function administration(role) {
  return Object.entries(screen.catalogue).filter(([resource]) => !isRecordType(resource)).flatMap(([resource, actions]) =>
    actions.map((action) => {
      const key = "permission_" + resource + "_" + action;
      const word = t(key, resource + ": " + action);
      return el("label", {class: "check"}, box(role, resource, action, word), " ", el("strong", {text: word}),
                el("span", {class: "explain", text: t("permission_help_" + resource + "_" + action, "")}));
    }));
}

function scopes(role) {
  return screen.scopes.map((scope) => el("label", {class: "check"},
    el("input", {type: "radio", name: "r-scope", value: scope, checked: role.group_permission === scope}), " ",
    el("strong", {text: t("scope_" + scope, scope)}), el("span", {class: "explain", text: t("scope_help_" + scope, "")})));
}

function holders(role) {
  if (screen.users === null) return [el("li", {class: "hint", text: t("holders_hidden")})];
  const held = screen.users.filter((user) => user.role_unique_id === role.unique_id);
  if (!held.length) return [el("li", {class: "hint", text: t("holders_none")})];
  return held.map((user) => el("li", {"data-user": user.user_name},
    el("strong", {text: user.full_name || user.user_name}), " ", el("code", {text: user.user_name}),
    user.disabled ? " (" + t("user_disabled") + ")" : ""));
}

async function loadRole() {
  // What was shown belongs to the role chosen before: it goes at once, so that nothing is ticked on the wrong role.
  for (const id of ["r-matrix", "r-admin", "r-holders"]) document.getElementById(id).replaceChildren();
  document.querySelectorAll("#r-scopes label").forEach((node) => node.remove());
  document.querySelector("#r-forms tbody").replaceChildren();
  const answer = await newestRole(api("GET", "/api/v1/roles/" + encodeURIComponent(select.value) + "?draft=true"));
  if (!answer) return;
  const role = screen.role = answer.data.data;
  screen.revision = answer.data.meta.revision;
  document.getElementById("r-description").textContent = label(role.description_i18n);
  document.getElementById("r-holders").replaceChildren(...holders(role));
  document.getElementById("r-scopes").append(...scopes(role));
  document.getElementById("r-matrix").replaceChildren(...matrix(role));
  document.getElementById("r-admin").replaceChildren(...administration(role));
  const access = role.form_section_read_write;
  document.querySelector("#r-forms tbody").replaceChildren(...screen.forms.map((form) => {
    const current = access === undefined ? "rw" : (access[form.unique_id] || "none");
    return el("tr", {}, el("th", {scope: "row", text: label(form.name_i18n) + " (" + resourceWord(form.parent_form) + ")"}),
      ...LEVELS.map((level) => el("td", {}, el("input", {type: "radio", name: "access-" + form.unique_id, value: level,
        "aria-label": form.unique_id + ": " + level, checked: current === level}))));
  }));
}

roleForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const permissions = {};
  roleForm.querySelectorAll("input[data-resource]:checked").forEach((checked) => {
    (permissions[checked.dataset.resource] = permissions[checked.dataset.resource] || []).push(checked.dataset.action);
  });
  const access = {};
  for (const form of screen.forms) {
    const chosen = roleForm.querySelector('input[name="access-' + CSS.escape(form.unique_id) + '"]:checked');
    if (chosen && chosen.value !== "none") access[form.unique_id] = chosen.value;
  }
  const scope = roleForm.querySelector('input[name="r-scope"]:checked');
  const changed = Object.assign({}, screen.role, {permissions: permissions, form_section_read_write: access,
                                                  group_permission: scope ? scope.value : screen.role.group_permission});
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
