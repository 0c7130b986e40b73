/* Abri admin UI: shared helpers. Everything goes through the JSON API with the session cookie. */
"use strict";
const T = JSON.parse(document.getElementById("texts").textContent);
const UI_LOCALE = document.body.dataset.locale || "en";

function fmt(key, params) {
  return (T[key] || key).replace(/%\((\w+)\)s/g, (_, name) => (params || {})[name]);
}

async function csrfToken() {
  let token = sessionStorage.getItem("abri-csrf");
  if (!token) {
    const response = await fetch("/api/v1/sessions/current", {credentials: "same-origin"});
    if (response.ok) {
      token = (await response.json()).data.csrf_token;
      sessionStorage.setItem("abri-csrf", token);
    }
  }
  return token;
}

class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error.message : String(status));
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body, headers) {
  // Messages come in the interface language (its cookie, or Accept-Language); ?locale= would also
  // resolve the labels of documents, which the editor needs in every language.
  const url = path;
  const options = {method, credentials: "same-origin",
                   headers: Object.assign({"Accept-Language": UI_LOCALE}, headers || {})};
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  if (method !== "GET" && !(method === "POST" && path === "/api/v1/sessions")) {  // logging in needs none
    options.headers["X-CSRF-Token"] = await csrfToken();
  }
  const response = await fetch(url, options);
  if (response.status === 401 && !location.pathname.endsWith("/login")) {
    sessionStorage.removeItem("abri-csrf");
    location.href = "/admin/login?next=" + encodeURIComponent(location.pathname);
    throw new ApiError(401, null);
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return {data: data, etag: response.headers.get("ETag")};
}

function flash(message, kind) {
  const box = document.getElementById("flash");
  box.textContent = message;
  box.className = kind || "ok";
}

function clearErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((el) => { el.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
}

/* Put each error of an API answer next to the control it names (or at the top of the form). */
function showErrors(form, error) {
  clearErrors(form);
  if (!(error instanceof ApiError) || !error.body) { flash(String(error), "error"); return; }
  const details = error.body.error.details || [];
  const slots = new Map([...form.querySelectorAll("[data-error-for]")].map((el) => [el.dataset.errorFor, el]));
  const general = slots.get("_form");
  if (!details.length && general) general.textContent = error.body.error.message;
  for (const detail of details) {
    const parts = String(detail.field).split(/[/.:]/).filter(Boolean).reverse();
    const name = parts.find((part) => slots.has(part));
    const slot = name ? slots.get(name) : general;
    if (!slot) continue;
    slot.textContent = (slot.textContent ? slot.textContent + " " : "") + detail.message;
    const control = slot.parentElement.querySelector("input, select, textarea");
    if (control && name) control.setAttribute("aria-invalid", "true");
  }
  if (general && !general.textContent && details.some((d) => !String(d.field).split(/[/.:]/).some((p) => slots.has(p)))) {
    general.textContent = error.body.error.message;
  }
  flash(error.body.error.message, "error");
}

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/* {"en": ..., "fr": ...} from two inputs, leaving out empty ones. */
function textsOf(enId, frId) {
  const texts = {};
  const en = document.getElementById(enId).value.trim(), fr = document.getElementById(frId).value.trim();
  if (en) texts.en = en;
  if (fr) texts.fr = fr;
  return texts;
}

function label(texts) {
  return (texts || {})[UI_LOCALE] || (texts || {}).en || Object.values(texts || {})[0] || "";
}

async function whoAmI() {
  if (location.pathname.endsWith("/login")) return;
  const me = (await api("GET", "/api/v1/users/current")).data.data;
  document.getElementById("who").textContent = me.full_name || me.user_name;
  const logout = document.getElementById("logout");
  logout.hidden = false;
  logout.addEventListener("click", async () => {
    await api("DELETE", "/api/v1/sessions/current");
    sessionStorage.removeItem("abri-csrf");
    location.href = "/admin/login";
  });
}
whoAmI().catch(() => {});
