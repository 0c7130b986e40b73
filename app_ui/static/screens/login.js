/* Signing in: a session cookie, then the user's bundle; the app then speaks the language of the user's account. */
import {ApiError, api, rememberSession} from "../lib/api.js";
import {el} from "../lib/dom.js";
import {flash, showError} from "../lib/errors.js";
import {go} from "../lib/router.js";
import {openSession} from "../lib/session.js";
import {store} from "../lib/store.js";
import {t} from "../lib/text.js";

/** Where to go once signed in: an address of the app, never another page. */
function target(next) {
  return typeof next === "string" && next.startsWith("#/") && !next.startsWith("#/login") ? next : "#/";
}

export async function show(view, params) {
  const name = el("input", {id: "login-user", name: "user_name", autocomplete: "username", required: true,
    autocapitalize: "none", spellcheck: "false"});
  const password = el("input", {id: "login-password", name: "password", type: "password",
    autocomplete: "current-password", required: true});
  const error = el("p", {class: "error", id: "login-error", role: "alert"});
  const form = el("form", {class: "login", novalidate: true},
    el("h1", {text: t("sign_in_title")}),
    el("div", {class: "field"}, el("label", {for: name.id, text: t("user_name")}), name),
    el("div", {class: "field"}, el("label", {for: password.id, text: t("password")}), password),
    error,
    el("div", {class: "actions"}, el("button", {type: "submit", class: "primary", text: t("sign_in")})));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    flash("");
    if (!name.value.trim() || !password.value) {
      error.textContent = t("credentials_needed");
      (name.value.trim() ? password : name).focus();
      return;
    }
    try {
      const answer = await api("POST", "/api/v1/sessions", {user_name: name.value.trim(), password: password.value});
      rememberSession(answer.data.data.csrf_token);
      const me = (await api("GET", "/api/v1/users/current")).data.data;
      const next = target(params.next);
      // The language the user chose for their account wins over the deployment's.
      if (me.locale && me.locale !== store.locale && store.interface.some((language) => language.code === me.locale)) {
        location.href = "/app/language/" + encodeURIComponent(me.locale) + "?next=" + encodeURIComponent("/app/" + next);
        return;
      }
      await openSession(me);
      go(next);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status !== 0) {
        error.textContent = failure.message;
        password.value = "";
        password.focus();
      } else {
        showError(failure);
      }
    }
  });
  view.append(form);
  name.focus();
}
