/* The audit log: who did what and when, filtered by user, action, record and dates, a page at a time; the entries the
 * filters select can be downloaded as a CSV file (in the interface language; the download is itself audited). */
import {api, newestOnly} from "../lib/api.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {clearErrors, showError} from "../lib/errors.js";
import {store} from "../lib/store.js";
import {fmt, t} from "../lib/text.js";

const form = document.getElementById("audit-filters");
const PER_PAGE = 50;
const ACTION_PREFIX = "audit_action_";
const screen = {page: 1, pages: 1};
const newestPage = newestOnly();

function actionChoices() {
  const words = Object.keys(store.texts).filter((key) => key.startsWith(ACTION_PREFIX))
    .map((key) => [key.slice(ACTION_PREFIX.length), store.texts[key]])
    .sort((a, b) => a[1].localeCompare(b[1], store.locale));
  return [el("option", {value: "", text: t("audit_any_action")}),
    ...words.map(([code, word]) => el("option", {value: code, text: word}))];
}

/** The filters as query parameters; dates are whole days of the browser's clock, sent as moments in UTC. */
function filters() {
  const params = new URLSearchParams();
  const pairs = {user_name: valueOf("f-user"), action: valueOf("f-action"), record_id: valueOf("f-record")};
  for (const [name, value] of Object.entries(pairs)) if (value) params.set(name, value);
  if (valueOf("f-from")) params.set("from", new Date(valueOf("f-from") + "T00:00:00").toISOString());
  if (valueOf("f-to")) params.set("to", new Date(valueOf("f-to") + "T23:59:59.999").toISOString());
  return params;
}

function result(entry) {
  if (entry.status === null || entry.status === undefined) return "";
  return entry.status >= 400 ? fmt("audit_refused", {status: entry.status}) : t("audit_done");
}

function entryRow(entry) {
  return el("tr", {class: entry.status >= 400 ? "refused" : null},
    el("td", {}, el("time", {datetime: entry.at, text: new Date(entry.at).toLocaleString(store.locale)})),
    el("td", {text: entry.user_name || ""}),
    el("td", {title: entry.action, text: t(ACTION_PREFIX + entry.action, entry.action)}),
    el("td", {text: entry.resource ? t("audit_about_" + entry.resource, entry.resource) : ""}),
    el("td", {}, entry.redacted ? el("em", {text: t("audit_hidden")}) : el("code", {text: entry.record_id || ""})),
    el("td", {text: result(entry)}),
    el("td", {text: entry.detail || ""}));
}

async function show(page) {
  const params = filters();
  const exporting = new URLSearchParams(params);
  exporting.set("locale", store.locale);
  document.getElementById("audit-export").href = "/api/v1/audit_logs/export.csv?" + exporting;
  params.set("page", page);
  params.set("per_page", PER_PAGE);
  const answer = await newestPage(api("GET", "/api/v1/audit_logs?" + params));
  if (!answer) return;
  const {data, meta} = answer.data;
  screen.page = page;
  screen.pages = Math.max(1, Math.ceil(meta.total / PER_PAGE));
  document.querySelector("#audit tbody").replaceChildren(...(data.length ? data.map(entryRow)
    : [el("tr", {}, el("td", {colspan: 7, class: "hint", text: t("audit_none")}))]));
  document.getElementById("audit-total").textContent = meta.total === 1 ? t("audit_one")
    : fmt("audit_total", {count: meta.total.toLocaleString(store.locale)});
  document.getElementById("audit-page").textContent = fmt("audit_page", {page: page, pages: screen.pages});
  document.getElementById("audit-previous").disabled = page <= 1;
  document.getElementById("audit-next").disabled = page >= screen.pages;
  clearErrors(form);
}

function showPage(page) {
  show(page).catch((error) => showError(error, form));
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  showPage(1);
});
form.addEventListener("reset", () => setTimeout(() => showPage(1)));  // after the browser has emptied the controls
document.getElementById("audit-previous").addEventListener("click", () => showPage(screen.page - 1));
document.getElementById("audit-next").addEventListener("click", () => showPage(screen.page + 1));
document.getElementById("f-action").replaceChildren(...actionChoices());

screenReady();
showPage(1);
