/* The one API helper: every call of the admin UI goes through api(), with the session cookie, its CSRF token on
 * writes, and the interface language so that messages come back in it. Failures are ApiErrors whose message is
 * always one to show (the server's, or the catalog's when the server could not be reached or answered oddly). */
import {askToSignIn} from "./session_dialog.js";
import {store} from "./store.js";
import {t} from "./text.js";

const CSRF_KEY = "abri-csrf";
const LOGIN = "/admin/login";
const SIGN_IN = "/api/v1/sessions";
let signingIn = null;  // one dialog for every call that met the end of the session at once

export class ApiError extends Error {
  /** status 0: no answer. body: the API's {"error": {code, message, details}} when it sent one. */
  constructor(status, body, fallback) {
    super(body && body.error ? body.error.message : fallback);
    this.name = "ApiError";
    this.status = status;
    this.body = body && body.error ? body : null;
  }

  /** The details of the answer ([{field, code, message}]), empty when it had none. */
  get details() {
    return this.body ? this.body.error.details || [] : [];
  }
}

/** Keep the CSRF token of the session just opened (logging in answers it). */
export function rememberSession(token) {
  sessionStorage.setItem(CSRF_KEY, token);
}

export function forgetSession() {
  sessionStorage.removeItem(CSRF_KEY);
}

async function csrfToken() {
  let token = sessionStorage.getItem(CSRF_KEY);
  if (!token) {
    const response = await fetch("/api/v1/sessions/current", {credentials: "same-origin"});
    if (response.ok) {
      token = (await response.json()).data.csrf_token;
      rememberSession(token);
    }
  }
  return token;
}

/**
 * Call the API and return {data, etag}: data is the answer's JSON ({"data": ..., "meta": ...}).
 * body: a value sent as JSON, or a File/Blob sent as it is (give its Content-Type in headers).
 */
export async function api(method, path, body, headers) {
  // Messages come in the interface language (its cookie, or Accept-Language); ?locale= would also
  // resolve the labels of documents, which the editors need in every language.
  const options = {method, credentials: "same-origin", headers: Object.assign({"Accept-Language": store.locale}, headers || {})};
  if (body instanceof Blob) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET" && !(method === "POST" && path === SIGN_IN)) {  // logging in needs none
    options.headers["X-CSRF-Token"] = await csrfToken();
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, null, t("unreachable"));
  }
  if (response.status === 401 && !location.pathname.startsWith(LOGIN) && path !== SIGN_IN) {
    // The session ended: the call waits while the person signs in again in place, then is sent again, so the
    // edit it carries is saved. Leaving for the login page is their choice.
    const hadSession = sessionStorage.getItem(CSRF_KEY) !== null;  // this tab was signed in: a page open at work
    forgetSession();
    if (hadSession && await signInAgain()) return api(method, path, body, headers);
    location.href = LOGIN + "?next=" + encodeURIComponent(location.pathname + location.search);
    throw new ApiError(401, null, t("session_ended"));
  }
  let data = null;
  try {
    const text = await response.text();
    data = text ? JSON.parse(text) : null;
  } catch (error) {  // not JSON: a proxy's error page, a cut answer
    throw new ApiError(response.status, null, t("unexpected"));
  }
  if (!response.ok) throw new ApiError(response.status, data, t("unexpected"));
  return {data: data, etag: response.headers.get("ETag")};
}

/** Sign in again in place (one dialog however many calls are waiting): true once signed in. */
function signInAgain() {
  if (!signingIn) {
    signingIn = askToSignIn(async (userName, password) => {
      const answer = await api("POST", SIGN_IN, {user_name: userName, password: password});
      rememberSession(answer.data.data.csrf_token);
    }).finally(() => { signingIn = null; });
  }
  return signingIn;
}

/**
 * A guard for loads that a newer one replaces (the user picked another lookup while the first was loading):
 * `const answer = await guard(api(...))` is null when a newer load was started since, whose answer is the one to show.
 */
export function newestOnly() {
  let newest = 0;
  return async (request) => {
    const ticket = ++newest;
    const answer = await request;
    return ticket === newest ? answer : null;
  };
}
