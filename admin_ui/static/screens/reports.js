/* The reports page: the user's dashboard (their role's reports as charts; a supervisor's team), the reports they may
 * run, one report (chart, table with totals, notes, freshness, downloads, print), and for administrators the report
 * editor (report_editor.js, loaded only for them). The address says which: ?report=<id>, ?edit=<id> | ?edit=new. */
import {api} from "../lib/api.js";
import {el, screenReady} from "../lib/dom.js";
import {showError} from "../lib/errors.js";
import {opens} from "../lib/nav.js";
import {number} from "../lib/chart_parts.js";
import {reportFigure} from "../lib/report_figure.js";
import {store} from "../lib/store.js";
import {fmt, label, t} from "../lib/text.js";

const MANAGE = "metadata:manage";
const params = new URLSearchParams(location.search);
const locale = "locale=" + encodeURIComponent(store.locale);
const byId = (id) => document.getElementById(id);
const reportLink = (id) => "?report=" + encodeURIComponent(id);
const editLink = (id) => "?edit=" + encodeURIComponent(id);

/** The supervisor's team: a row per case worker, a column per count, the totals last. */
function teamTable(widget) {
  const id = "team-title";
  // Something overdue or waiting stands out: it is what a supervisor acts on.
  const numberCell = (value, key) => el("td", {class: "number" + (value > 0 && /^(overdue|pending)_/.test(key || "") ? " attention" : "")},
    value === null || value === undefined ? "—" : number(value));
  return el("section", {class: "team", "aria-labelledby": id}, el("h3", {id, text: widget.title}),
    el("div", {class: "scroll"}, el("table", {class: "result-table"},
      el("thead", {}, el("tr", {}, el("th", {scope: "col", text: t("rep_person")}),
        ...widget.columns.map((column) => el("th", {scope: "col", class: "number", text: column.label})))),
      el("tbody", {}, ...widget.rows.map((row) => el("tr", {},
        el("th", {scope: "row"}, row.full_name || row.user_name, row.full_name ? el("span", {class: "muted", text: " " + row.user_name}) : null),
        ...widget.columns.map((column) => numberCell(row[column.key], column.key))))),
      el("tfoot", {}, el("tr", {}, el("th", {scope: "row", text: t("chart_total")}),
        ...widget.columns.map((column) => numberCell((widget.totals || {})[column.key])))))));
}

/** A dashboard widget: a report's chart (its numbers folded under it, a link to the full report) or the team. */
function widgetCard(widget) {
  if (widget.kind === "team") return el("div", {class: "card widget wide"}, teamTable(widget));
  const result = widget.result;
  const wide = result.chart === "map" || result.chart === "line";  // the others read well at half the width
  return el("div", {class: "card widget" + (wide ? " wide" : "")}, reportFigure(result, {level: 3, folded: true}),
    el("p", {class: "open-report"}, el("a", {href: reportLink(result.unique_id), text: fmt("rep_open", {name: result.name})})));
}

async function loadDashboard() {
  const box = byId("widgets");
  try {
    const widgets = (await api("GET", "/api/v1/dashboards/current?" + locale)).data.data.widgets;
    widgets.sort((a, b) => (b.kind === "team") - (a.kind === "team"));  // a supervisor's team first: their daily work
    box.replaceChildren(...widgets.map(widgetCard));
    byId("dashboard-empty").hidden = widgets.length > 0;
  } finally { box.removeAttribute("aria-busy"); }
}

/** The reports one may run; an administrator also sees those of the draft not yet published, and edits them. */
async function loadList(manager) {
  const [runnable, draft] = await Promise.all([
    api("GET", "/api/v1/reports/runnable?" + locale).then((answer) => answer.data.data),
    manager ? api("GET", "/api/v1/reports?draft=true&per_page=100").then((answer) => answer.data.data) : []]);
  const inDraft = new Set(draft.map((report) => report.unique_id));
  const published = new Set(runnable.map((report) => report.unique_id));
  const unpublished = draft.filter((report) => !published.has(report.unique_id))
    .map((report) => ({unique_id: report.unique_id, name: label(report.name_i18n) || report.unique_id,
      description: label(report.description_i18n)}));
  const item = (report) => el("li", {},
    published.has(report.unique_id) ? el("a", {href: reportLink(report.unique_id), text: report.name}) : el("strong", {text: report.name}),
    published.has(report.unique_id) ? null : el("span", {class: "badge", text: t("rep_draft_only")}),
    inDraft.has(report.unique_id) ? el("a", {class: "edit-link", href: editLink(report.unique_id),
      "aria-label": fmt("rep_edit_named", {name: report.name}), text: t("edit")}) : null,
    report.description ? el("span", {class: "explain", text: report.description}) : null);
  byId("report-list").replaceChildren(...[...runnable, ...unpublished].map(item));
  byId("no-reports").hidden = runnable.length + unpublished.length > 0;
  byId("new-report").hidden = !manager;
}

/** One report: its block, the downloads of its numbers, Print, and Edit for an administrator. */
async function showReport(id, manager) {
  byId("report-view").hidden = false;
  for (const link of document.querySelectorAll("#report-tools .export")) {
    link.href = "/api/v1/reports/" + encodeURIComponent(id) + "/export?format=" + link.dataset.format + "&" + locale;
  }
  byId("edit-report").hidden = !manager;
  byId("edit-report").href = editLink(id);
  const body = byId("report-body");
  try {
    const result = (await api("GET", "/api/v1/reports/" + encodeURIComponent(id) + "/result?" + locale)).data.data;
    document.title = result.name + " · Abri";
    body.replaceChildren(reportFigure(result, {level: 2}));
  } finally { body.removeAttribute("aria-busy"); }
}

async function start() {
  const me = (await api("GET", "/api/v1/users/current")).data.data;
  const manager = opens(MANAGE, me.permissions);
  if (params.get("edit") && manager) {
    const {openEditor} = await import("./report_editor.js");
    await openEditor(params.get("edit") === "new" ? null : params.get("edit"));
  } else if (params.get("report")) {
    await showReport(params.get("report"), manager);
  } else {
    byId("home").hidden = false;
    await Promise.all([loadDashboard(), loadList(manager)]);
  }
}

document.querySelectorAll(".print-button").forEach((button) => button.addEventListener("click", () => print()));
// Every part of the page stays hidden until start() has wired it (the editor's form too), so the page is ready now.
screenReady();
start().catch((error) => showError(error));
