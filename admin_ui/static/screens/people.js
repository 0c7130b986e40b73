/* Users and agencies: create them, change a user's role, agency or password, disable or enable a user. */
import {api} from "../lib/api.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {clearErrors, flash, showError} from "../lib/errors.js";
import {readTexts} from "../lib/labels.js";
import {fmt, label, t} from "../lib/text.js";

const userForm = document.getElementById("user-form");
const agencyForm = document.getElementById("agency-form");

function options(items, current, empty) {
  const choices = items.map((item) => el("option", {value: item.unique_id, text: label(item.name_i18n) || item.unique_id,
                                                    selected: item.unique_id === current}));
  return empty ? [el("option", {value: "", text: "—"}), ...choices] : choices;
}

function userRow(user, roles, agencies) {
  return el("tr", {"data-user": user.user_name},
    el("td", {text: user.user_name}), el("td", {text: user.full_name || ""}),
    el("td", {}, el("select", {"aria-label": t("role_of") + " " + user.user_name,
      onchange: (event) => change(user, {role_unique_id: event.target.value})}, ...options(roles, user.role_unique_id))),
    el("td", {}, el("select", {"aria-label": t("agency_of") + " " + user.user_name,
      onchange: (event) => change(user, {agency_unique_id: event.target.value || null})}, ...options(agencies, user.agency_unique_id, true))),
    el("td", {text: user.disabled ? t("user_disabled") : t("user_active")}),
    el("td", {},
      el("button", {type: "button", "aria-label": (user.disabled ? t("enable") : t("disable")) + " " + user.user_name,
                    text: user.disabled ? t("enable") : t("disable"), onclick: () => change(user, {disabled: !user.disabled})}), " ",
      el("button", {type: "button", "aria-label": t("reset_password") + " " + user.user_name, text: t("reset_password"),
                    onclick: () => resetPassword(user)})));
}

async function load() {
  const [users, agencies, roles] = (await Promise.all([api("GET", "/api/v1/users?per_page=500"),
    api("GET", "/api/v1/agencies?per_page=500"), api("GET", "/api/v1/roles")])).map((answer) => answer.data.data);
  document.getElementById("u-role").replaceChildren(...options(roles));
  document.getElementById("u-agency").replaceChildren(...options(agencies, null, true));
  document.getElementById("agencies").replaceChildren(...agencies.map((a) => el("li", {},
    el("strong", {text: label(a.name_i18n) || a.unique_id}), " ", el("code", {text: a.unique_id + (a.agency_code ? " · " + a.agency_code : "")}))));
  document.querySelector("#users tbody").replaceChildren(...users.map((user) => userRow(user, roles, agencies)));
}

async function change(user, data) {
  try {
    await api("PATCH", "/api/v1/users/" + encodeURIComponent(user.user_name), {data: data});
    flash(t("saved"));
    await load();
  } catch (error) { showError(error); }
}

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

agencyForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/api/v1/agencies", {data: {unique_id: valueOf("a-id"), agency_code: valueOf("a-code"), name_i18n: readTexts("a-name")}});
    agencyForm.reset(); clearErrors(agencyForm); flash(t("saved"));
    await load();
  } catch (error) { showError(error, agencyForm); }
});

screenReady();
load().catch((error) => showError(error));
