/* Logging in; then the interface speaks the language of the user's account when it can. */
import {api, rememberSession} from "../lib/api.js";
import {screenReady} from "../lib/dom.js";
import {rememberUser} from "../lib/session_dialog.js";
import {showError} from "../lib/errors.js";
import {store} from "../lib/store.js";

const loginForm = document.getElementById("login-form");

loginForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const answer = await api("POST", "/api/v1/sessions", {user_name: loginForm.user_name.value, password: loginForm.password.value});
    rememberSession(answer.data.data.csrf_token);
    rememberUser(loginForm.user_name.value);
    const next = new URLSearchParams(location.search).get("next");
    const target = next && next.startsWith("/admin") ? next : "/admin/";
    // The interface language the user chose in their account wins over the deployment's (and this browser's).
    const me = (await api("GET", "/api/v1/users/current")).data.data;
    const switches = me.locale && me.locale !== store.locale && store.interface.some((language) => language.code === me.locale);
    location.href = switches ? "/admin/language/" + encodeURIComponent(me.locale) + "?next=" + encodeURIComponent(target) : target;
  } catch (error) { showError(error, loginForm); }
});

screenReady();
