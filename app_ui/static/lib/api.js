/* The one API helper: every call of the app goes through api(), with the session cookie, its CSRF token on writes,
 * and the interface language so that messages come back in it. Failures are ApiErrors whose message is always one
 * to show (the server's, or the catalog's when the server could not be reached or answered oddly). A 401 means the
 * session has ended: `onSessionEnded` (set by the app) asks the user to sign in again, and the call fails. */
import {store} from "./store.js";
import {t} from "./text.js";

const CSRF_KEY = "abri-app-csrf";
// credential: the device's own ("Bearer ..."), sent with every call once the device is registered (no CSRF token
// is needed then); onRevoked: the device was revoked (its data are to be erased); onSessionEnded: sign in again.
export const hooks = {credential: null, onSessionEnded: null, onReachable: null, onRevoked: null};

export class ApiError extends Error {
  /** status 0: no answer (offline). body: the API's {"error": {code, message, details}} when it sent one. */
  constructor(status, body, fallback) {
    super(body && body.error ? body.error.message : fallback);
    this.name = "ApiError";
    this.status = status;
    this.body = body && body.error ? body : null;
  }

  get code() {
    return this.body ? this.body.error.code : null;
  }

  /** The details of the answer ([{field, code, message}]), empty when it had none. */
  get details() {
    return this.body ? this.body.error.details || [] : [];
  }
}

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
 * Call the API and return {data, etag, status}: data is the answer's JSON ({"data": ..., "meta": ...}).
 * body: a value sent as JSON, or a Blob or FormData sent as it is.
 */
export async function api(method, path, body, headers) {
  const options = {method, credentials: "same-origin", headers: Object.assign({"Accept-Language": store.locale},
    hooks.credential && path !== "/api/v1/sessions" ? {Authorization: hooks.credential} : {}, headers || {})};
  if (body instanceof Blob || body instanceof FormData) {
    options.body = body;
  } else if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    if (method !== "GET" && !options.headers.Authorization && path !== "/api/v1/sessions") {  // a cookie's writes need it
      options.headers["X-CSRF-Token"] = await csrfToken();
    }
    response = await fetch(path, options);
  } catch (error) {
    if (hooks.onReachable) hooks.onReachable(false);
    throw new ApiError(0, null, t("unreachable"));
  }
  if (hooks.onReachable) hooks.onReachable(true);
  if (response.status === 304) return {data: null, etag: response.headers.get("ETag"), status: 304};
  let data = null;
  try {
    const text = await response.text();
    data = text ? JSON.parse(text) : null;
  } catch (error) {  // not JSON: a proxy's error page, a cut answer
    throw new ApiError(response.status, null, t("unexpected"));
  }
  if (response.status === 401 && path !== "/api/v1/sessions") {
    const failure = new ApiError(401, data, t("session_ended"));
    if (failure.code === "DEVICE_REVOKED") {
      if (hooks.onRevoked) await hooks.onRevoked();
    } else {
      forgetSession();
      if (hooks.onSessionEnded) hooks.onSessionEnded();
    }
    throw failure;
  }
  if (!response.ok) throw new ApiError(response.status, data, t("unexpected"));
  return {data, etag: response.headers.get("ETag"), status: response.status};
}
