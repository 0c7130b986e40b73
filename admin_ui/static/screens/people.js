/* Users, user groups and agencies: create them; change a user's role, agency, groups or disabled state in a form that
 * says, before anything applies, what the change does (an in-page confirmation); reset a password. */
import {ApiError, api} from "../lib/api.js";
import {confirmDialog} from "../lib/dialog.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {clearErrors, flash, showError} from "../lib/errors.js";
import {readTexts} from "../lib/labels.js";
import {fmt, label, t} from "../lib/text.js";

const userForm = document.getElementById("user-form");
const editForm = document.getElementById("edit-form");
const agencyForm = document.getElementById("agency-form");
const groupForm = document.getElementById("group-form");
const screen = {roles: [], agencies: [], groups: [], editing: null, returnTo: null};

function nameOf(items, id) {
  const item = items.find((candidate) => candidate.unique_id === id);
  return item ? label(item.name_i18n) || item.unique_id : id || "";
}

function personOf(user) {
  return user.full_name || user.user_name;
}

function options(items, current, empty) {
  const choices = items.map((item) => el("option", {value: item.unique_id, text: label(item.name_i18n) || item.unique_id,
                                                    selected: item.unique_id === current}));
  return empty ? [el("option", {value: "", text: empty}), ...choices] : choices;
}

function userRow(user) {
  return el("tr", {"data-user": user.user_name},
    el("td", {text: user.user_name}), el("td", {text: user.full_name || ""}),
    el("td", {class: "role", text: nameOf(screen.roles, user.role_unique_id)}),
    el("td", {class: "agency", text: nameOf(screen.agencies, user.agency_unique_id)}),
    el("td", {class: "groups", text: (user.user_group_unique_ids || []).map((id) => nameOf(screen.groups, id)).join(", ")}),
    el("td", {text: user.disabled ? t("user_disabled") : t("user_active")}),
    el("td", {class: "actions"},
      el("button", {type: "button", "aria-label": t("change_user") + " " + user.user_name, text: t("change_user"),
                    onclick: (event) => openEditor(user, event.currentTarget)}), " ",
      el("button", {type: "button", "aria-label": t("reset_password") + " " + user.user_name, text: t("reset_password"),
                    onclick: () => resetPassword(user)})));
}

/** Agencies need `agency: manage`: without it the lists show ids, and the agencies' card is hidden. */
async function optional(path, cardId) {
  try {
    return (await api("GET", path)).data.data;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403) throw error;
    document.getElementById(cardId).hidden = true;
    return [];
  }
}

async function load() {
  const [users, roles, groups] = (await Promise.all([api("GET", "/api/v1/users?per_page=500"), api("GET", "/api/v1/roles"),
    api("GET", "/api/v1/user_groups?per_page=500")])).map((answer) => answer.data.data);
  Object.assign(screen, {roles: roles, groups: groups, agencies: await optional("/api/v1/agencies?per_page=500", "agencies-card")});
  const role = valueOf("u-role"), agency = valueOf("u-agency");
  document.getElementById("u-role").replaceChildren(...options(roles, role));
  document.getElementById("u-agency").replaceChildren(...options(screen.agencies, agency, "—"));
  document.getElementById("agencies").replaceChildren(...screen.agencies.map((a) => el("li", {},
    el("strong", {text: label(a.name_i18n) || a.unique_id}), " ", el("code", {text: a.unique_id + (a.agency_code ? " · " + a.agency_code : "")}))));
  document.getElementById("groups").replaceChildren(...groups.map((g) => el("li", {"data-group": g.unique_id},
    el("strong", {text: label(g.name_i18n) || g.unique_id}), " ", el("code", {text: g.unique_id}))));
  document.querySelector("#users tbody").replaceChildren(...users.map(userRow));
}

function openEditor(user, opener) {
  screen.editing = user;
  screen.returnTo = opener;
  const person = personOf(user);
  clearErrors(editForm);
  document.getElementById("edit-title").textContent = fmt("change_user_title", {user: person});
  document.getElementById("e-role-label").textContent = t("role_of") + " " + person;
  document.getElementById("e-agency-label").textContent = t("agency_of") + " " + person;
  document.getElementById("e-groups-label").textContent = fmt("groups_of", {user: person});
  document.getElementById("e-disabled-label").textContent = fmt("disabled_of", {user: person});
  document.getElementById("e-role").replaceChildren(...options(screen.roles, user.role_unique_id));
  // An agency the list lacks (a role that does not manage agencies lists none) stays offered, under its id.
  const agencies = screen.agencies.some((agency) => agency.unique_id === user.agency_unique_id) || !user.agency_unique_id
    ? screen.agencies : [...screen.agencies, {unique_id: user.agency_unique_id}];
  document.getElementById("e-agency").replaceChildren(...options(agencies, user.agency_unique_id, t("no_agency")));
  const held = new Set(user.user_group_unique_ids || []);
  document.getElementById("e-groups-list").replaceChildren(...(screen.groups.length ? screen.groups.map((group) =>
    el("label", {class: "check"}, el("input", {type: "checkbox", value: group.unique_id, checked: held.has(group.unique_id)}),
       " " + (label(group.name_i18n) || group.unique_id))) : [el("p", {class: "hint", text: t("no_groups")})]));
  document.getElementById("e-disabled").checked = !!user.disabled;
  const section = document.getElementById("user-edit");
  section.hidden = false;
  document.getElementById("edit-title").focus();
}

function closeEditor() {
  document.getElementById("user-edit").hidden = true;
  const opener = screen.returnTo && screen.returnTo.isConnected ? screen.returnTo : null;
  screen.editing = screen.returnTo = null;
  if (opener) opener.focus();
}

/** The changes the form holds for `user`, as the PATCH body and as sentences saying what they do. */
function changesOf(user) {
  const person = personOf(user), data = {}, effects = [];
  const role = valueOf("e-role");
  if (role !== user.role_unique_id) {
    data.role_unique_id = role;
    effects.push(fmt("effect_role", {user: person, old: nameOf(screen.roles, user.role_unique_id), new: nameOf(screen.roles, role)}));
  }
  const agency = valueOf("e-agency") || null, before = user.agency_unique_id || null;
  if (agency !== before) {
    data.agency_unique_id = agency;
    const names = {user: person, old: nameOf(screen.agencies, before), new: nameOf(screen.agencies, agency)};
    effects.push(fmt(!before ? "effect_agency_set" : agency ? "effect_agency" : "effect_agency_removed", names));
  }
  const chosen = [...editForm.querySelectorAll("#e-groups-list input:checked")].map((box) => box.value);
  const held = user.user_group_unique_ids || [];
  const joined = chosen.filter((id) => !held.includes(id)), left = held.filter((id) => !chosen.includes(id));
  if (joined.length || left.length) data.user_group_unique_ids = chosen;
  joined.forEach((id) => effects.push(fmt("effect_group_joined", {user: person, group: nameOf(screen.groups, id)})));
  left.forEach((id) => effects.push(fmt("effect_group_left", {user: person, group: nameOf(screen.groups, id)})));
  const disabled = document.getElementById("e-disabled").checked;
  if (disabled !== !!user.disabled) {
    data.disabled = disabled;
    effects.push(fmt(disabled ? "effect_disabled" : "effect_enabled", {user: person}));
  }
  return {data: data, effects: effects};
}

editForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const user = screen.editing;
  if (!user) return;
  const {data, effects} = changesOf(user);
  if (!effects.length) {
    flash(t("nothing_changed"));
    return;
  }
  if (!(await confirmDialog(fmt("confirm_user_title", {user: personOf(user)}), effects, t("apply_changes")))) {
    flash(t("cancelled"));
    return;
  }
  try {
    await api("PATCH", "/api/v1/users/" + encodeURIComponent(user.user_name), {data: data});
    clearErrors(editForm);
    await load();
    closeEditor();
    flash(t("saved"));
  } catch (error) { showError(error, editForm); }
});

document.getElementById("edit-cancel").addEventListener("click", closeEditor);
document.getElementById("user-edit").addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !document.querySelector("dialog[open]")) closeEditor();
});

async function resetPassword(user) {
  const password = prompt(fmt("new_password_for", {user: user.user_name}));
  if (!password) return;
  try {
    await api("PATCH", "/api/v1/users/" + encodeURIComponent(user.user_name), {data: {password: password}});
    flash(t("saved"));
  } catch (error) { showError(error); }
}

userForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = {user_name: valueOf("u-name"), full_name: valueOf("u-full"), password: valueOf("u-password", true),
                role_unique_id: valueOf("u-role"), locale: valueOf("u-locale")};
  if (valueOf("u-email")) data.email = valueOf("u-email");
  if (valueOf("u-agency")) data.agency_unique_id = valueOf("u-agency");
  try {
    await api("POST", "/api/v1/users", {data: data});
    userForm.reset(); clearErrors(userForm); flash(t("saved"));
    await load();
  } catch (error) { showError(error, userForm); }
});

function entityForm(form, path, read) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", path, {data: read()});
      form.reset(); clearErrors(form); flash(t("saved"));
      await load();
    } catch (error) { showError(error, form); }
  });
}

entityForm(agencyForm, "/api/v1/agencies",
           () => ({unique_id: valueOf("a-id"), agency_code: valueOf("a-code"), name_i18n: readTexts("a-name")}));
entityForm(groupForm, "/api/v1/user_groups", () => ({unique_id: valueOf("g-id"), name_i18n: readTexts("g-name")}));

screenReady();
load().catch((error) => showError(error));
