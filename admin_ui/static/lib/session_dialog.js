/* Signing in again in place: when the session ends in the middle of an edit (an idle timeout, a server restart that
 * dropped it), the call that met the end waits behind this dialog instead of leaving the page, so the edit in progress
 * is sent once the person has signed in again. Leaving is their choice ("Go to the login page"). */
import {el} from "./dom.js";
import {t} from "./text.js";

const USER_KEY = "abri-user";

/** Remember who is signed in on this tab (the dialog offers the name again). */
export function rememberUser(userName) {
  sessionStorage.setItem(USER_KEY, userName);
}

/**
 * Ask the person to sign in again; `signIn(userName, password)` opens the session (and throws an ApiError whose
 * message is shown when it cannot). Resolves true once signed in, false when the person chose to leave.
 */
export function askToSignIn(signIn) {
  const returnTo = document.activeElement;
  return new Promise((resolve) => {
    const name = el("input", {id: "again-user", autocomplete: "username", value: sessionStorage.getItem(USER_KEY) || ""});
    const password = el("input", {id: "again-password", type: "password", autocomplete: "current-password"});
    const problem = el("p", {class: "error", role: "alert"});
    const leave = el("button", {type: "button", class: "secondary", text: t("go_to_login")});
    const form = el("form", {class: "grid", novalidate: true},
      el("div", {class: "field"}, el("label", {for: "again-user", text: t("user_name")}), name),
      el("div", {class: "field"}, el("label", {for: "again-password", text: t("password")}), password),
      el("div", {class: "wide"}, problem),
      el("div", {class: "wide inline"}, el("button", {type: "submit", text: t("sign_in_and_continue")}), leave));
    const dialog = el("dialog", {class: "confirm", "aria-labelledby": "again-title", "aria-describedby": "again-why"},
      el("h2", {id: "again-title", text: t("session_ended_title")}), el("p", {id: "again-why", text: t("session_ended_keep")}),
      form);
    let signedIn = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      problem.textContent = "";
      try {
        await signIn(name.value.trim(), password.value);
        signedIn = true;
        rememberUser(name.value.trim());
        dialog.close();
      } catch (error) {
        problem.textContent = error.message;
        password.select();
      }
    });
    leave.addEventListener("click", () => dialog.close());
    dialog.addEventListener("cancel", (event) => event.preventDefault());  // Escape does not drop the edit
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (returnTo && returnTo.isConnected) returnTo.focus();
      resolve(signedIn);
    });
    document.body.append(dialog);
    dialog.showModal();
    (name.value ? password : name).focus();
  });
}
