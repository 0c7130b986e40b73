"use strict";
async function load() {
  const [users, agencies, roles] = await Promise.all([api("GET", "/api/v1/users?per_page=500"),
    api("GET", "/api/v1/agencies?per_page=500"), api("GET", "/api/v1/roles")]);
  document.getElementById("u-role").replaceChildren(...roles.data.data.map((r) => el("option", {value: r.unique_id, text: label(r.name_i18n)})));
  document.getElementById("u-agency").replaceChildren(el("option", {value: "", text: "—"}),
    ...agencies.data.data.map((a) => el("option", {value: a.unique_id, text: label(a.name_i18n) || a.unique_id})));
  document.getElementById("agencies").replaceChildren(...agencies.data.data.map((a) =>
    el("li", {}, el("strong", {text: label(a.name_i18n) || a.unique_id}), " ", el("code", {text: a.unique_id + (a.agency_code ? " · " + a.agency_code : "")}))));
  const roleOptions = (current) => roles.data.data.map((r) => el("option", {value: r.unique_id, text: label(r.name_i18n), selected: r.unique_id === current}));
  const agencyOptions = (current) => [el("option", {value: "", text: "—"}), ...agencies.data.data.map((a) =>
    el("option", {value: a.unique_id, text: label(a.name_i18n) || a.unique_id, selected: a.unique_id === current}))];
  document.querySelector("#users tbody").replaceChildren(...users.data.data.map((user) => el("tr", {"data-user": user.user_name},
    el("td", {text: user.user_name}), el("td", {text: user.full_name || ""}),
    el("td", {}, el("select", {"aria-label": T.role_of + " " + user.user_name,
      onchange: (event) => change(user, {role_unique_id: event.target.value})}, ...roleOptions(user.role_unique_id))),
    el("td", {}, el("select", {"aria-label": T.agency_of + " " + user.user_name,
      onchange: (event) => change(user, {agency_unique_id: event.target.value || null})}, ...agencyOptions(user.agency_unique_id))),
    el("td", {text: user.disabled ? T.user_disabled : T.user_active}),
    el("td", {},
      el("button", {type: "button", "aria-label": (user.disabled ? T.enable : T.disable) + " " + user.user_name,
                    text: user.disabled ? T.enable : T.disable, onclick: () => toggle(user)}), " ",
      el("button", {type: "button", "aria-label": T.reset_password + " " + user.user_name, text: T.reset_password,
                    onclick: () => resetPassword(user)})))));
}

async function change(user, data) {
  try { await api("PATCH", "/api/v1/users/" + user.user_name, {data: data}); flash(T.saved); await load(); }
  catch (error) { flash(error.body && error.body.error.details.length ? error.body.error.details[0].message : error.message, "error"); }
}

async function toggle(user) {
  try { await api("PATCH", "/api/v1/users/" + user.user_name, {data: {disabled: !user.disabled}}); flash(T.saved); await load(); }
  catch (error) { flash(error.message, "error"); }
}

async function resetPassword(user) {
  const password = prompt(fmt("new_password_for", {user: user.user_name}));
  if (!password) return;
  try { await api("PATCH", "/api/v1/users/" + user.user_name, {data: {password: password}}); flash(T.saved); }
  catch (error) { flash(error.body && error.body.error.details.length ? error.body.error.details[0].message : error.message, "error"); }
}

document.getElementById("user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (id) => document.getElementById(id).value.trim();
  const data = {user_name: value("u-name"), full_name: value("u-full"), password: document.getElementById("u-password").value,
                role_unique_id: value("u-role"), locale: value("u-locale")};
  if (value("u-email")) data.email = value("u-email");
  if (value("u-agency")) data.agency_unique_id = value("u-agency");
  try { await api("POST", "/api/v1/users", {data: data}); event.target.reset(); clearErrors(event.target); flash(T.saved); await load(); }
  catch (error) { showErrors(event.target, error); }
});

document.getElementById("agency-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (id) => document.getElementById(id).value.trim();
  const names = textsOf("a-en", "a-fr");
  try {
    await api("POST", "/api/v1/agencies", {data: {unique_id: value("a-id"), agency_code: value("a-code"), name_i18n: names}});
    event.target.reset(); clearErrors(event.target); flash(T.saved); await load();
  } catch (error) { showErrors(event.target, error); }
});
load().catch((error) => flash(String(error), "error"));
