/* Signing in: online when the server answers, on the device alone when it does not (see lib/session.js). */
import {ApiError} from "../lib/api.js";
import {el} from "../lib/dom.js";
import {flash, showError} from "../lib/errors.js";
import {go} from "../lib/router.js";
import {SignInRefused, lastUser, signIn} from "../lib/session.js";
import {session} from "../lib/store.js";
import {t} from "../lib/text.js";

/** Where to go once signed in: an address of the app, never another page. */
function target(next) {
  return typeof next === "string" && next.startsWith("#/") && !next.startsWith("#/login") ? next : "#/";
}

export async function show(view, params) {
  const name = el("input", {id: "login-user", name: "user_name", autocomplete: "username", autocapitalize: "none",
    spellcheck: "false", value: lastUser(), "aria-required": "true"});
  const password = el("input", {id: "login-password", name: "password", type: "password", autocomplete: "current-password",
    "aria-required": "true"});
  const previous = el("input", {id: "login-previous", name: "previous_password", type: "password", autocomplete: "off"});
  const previousField = el("div", {class: "field", hidden: true},
    el("label", {for: previous.id, text: t("previous_password")}), previous, el("p", {class: "help", text: t("password_changed")}));
  const error = el("p", {class: "error", id: "login-error", role: "alert"});
  name.setAttribute("aria-describedby", error.id);
  password.setAttribute("aria-describedby", error.id);
  const submit = el("button", {type: "submit", class: "primary", text: t("sign_in")});
  const form = el("form", {class: "login", novalidate: true},
    el("h1", {text: t("sign_in_title")}),
    session.revoked ? el("p", {class: "notice", role: "status", text: t("device_erased")}) : null,
    el("div", {class: "field"}, el("label", {for: name.id, text: t("user_name")}), name),
    el("div", {class: "field"}, el("label", {for: password.id, text: t("password")}), password),
    previousField, error, el("div", {class: "actions"}, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    flash("");
    if (!name.value.trim() || !password.value) {
      error.textContent = t("credentials_needed");
      (name.value.trim() ? password : name).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("signing_in");
    try {
      await signIn(name.value.trim(), password.value, previousField.hidden ? null : previous.value);
      session.revoked = false;
      go(target(params.next));
    } catch (failure) {
      if (failure instanceof SignInRefused) {
        error.textContent = t("sign_in_" + failure.reason);
        if (failure.reason === "password_changed" || failure.reason === "previous_password_wrong") {
          previousField.hidden = false;
          previous.focus();
        } else {
          password.value = "";
          password.focus();
        }
      } else if (failure instanceof ApiError && failure.status !== 0) {
        error.textContent = failure.message;
        password.value = "";
        password.focus();
      } else {
        showError(failure);
      }
    } finally {
      submit.disabled = false;
      submit.textContent = t("sign_in");
    }
  });
  view.append(form);
  (name.value ? password : name).focus();
}
