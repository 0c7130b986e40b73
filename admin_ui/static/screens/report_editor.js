/* The report editor: a report document of the draft made with pickers (no JSON), previewed live.
 *
 * The document being edited is kept whole (keys the editor does not show stay as they are); each control changes its
 * part, and every change asks the server for a preview of the unsaved document (POST /api/v1/reports/preview), drawn
 * as the report view draws results. Saving writes the draft (POST, or PUT with If-Match on the draft revision). */
import {api, ApiError, newestOnly} from "../lib/api.js";
import {confirmDialog} from "../lib/dialog.js";
import {el, valueOf} from "../lib/dom.js";
import {clearErrors, flash, showError} from "../lib/errors.js";
import {readOptionalTexts, readTexts, writeTexts} from "../lib/labels.js";
import {reportFigure} from "../lib/report_figure.js";
import {store} from "../lib/store.js";
import {fmt, label, t} from "../lib/text.js";
import {dimensionPicker, filterRow, keyOf, refOf, reportSources, sourcePicker} from "./report_pickers.js";

const form = document.getElementById("editor-form");
const COLLECTION = "/api/v1/reports";
const PREVIEW_DELAY = 400;  // ms after the last change
const state = {report: null, revision: null, saved: false, idTouched: false, data: null, forms: new Map(), sources: null, timer: null};
const newestPreview = newestOnly();
const byId = (id) => document.getElementById(id);
const checkedValue = (name) => (form.querySelector('input[name="' + name + '"]:checked') || {}).value;
const ifMatch = () => (state.revision ? {"If-Match": '"' + state.revision + '"'} : {});
const itemPath = (id) => COLLECTION + "/" + encodeURIComponent(id);

/** What the pickers need once: lookups, the field-type registry, places, roles, case statuses, stages, agencies. */
async function loadData() {
  const list = (path) => api("GET", path).then((answer) => answer.data.data);
  const [lookups, types, places, roles, modules, agencies] = await Promise.all([
    list("/api/v1/lookups?draft=true&per_page=1000"), list("/api/v1/field_types?locale=" + encodeURIComponent(store.locale)),
    list("/api/v1/locations?locale=" + encodeURIComponent(store.locale)), list("/api/v1/roles?draft=true&per_page=1000"),
    list("/api/v1/modules?draft=true"),
    list("/api/v1/agencies?per_page=100").catch((error) => { if (error instanceof ApiError && error.status === 403) return []; throw error; })]);
  const lookupValues = new Map(lookups.map((lookup) => [lookup.unique_id, lookup.lookup_values_i18n || []]));
  const option = (value) => ({id: value.id || value.unique_id, label: label(value.display_text || value.name_i18n) || value.id || value.unique_id});
  const levels = [...new Set(places.filter((place) => !place.deleted).map((place) => place.admin_level))].sort().map((level) => ({level,
    examples: places.filter((place) => place.admin_level === level).map((place) => place.name).sort().slice(0, 3).join(", ") + "…"}));
  return {lookups: lookupValues, types: new Map(types.map((row) => [row.type, row])), levels,
    roles: roles.map((role) => ({id: role.unique_id, label: label(role.name_i18n) || role.unique_id})),
    statuses: (lookupValues.get("lookup-case-status") || []).map(option),
    stages: modules.flatMap((module) => ((module.workflow || {}).stages || []).map(option)),
    agencies: agencies.map(option)};
}

/** The draft's forms of a record type (every language: event names keep them all), read once per type. */
async function formsOf(recordType) {
  if (!state.forms.has(recordType)) {
    const answer = await api("GET", "/api/v1/forms?draft=true&per_page=1000&record_type=" + recordType);
    state.forms.set(recordType, answer.data.data);
  }
  return state.forms.get(recordType);
}

/** The report as it stands, ready for the server: empty choices and unfinished filters left out. */
function documentOf(forPreview) {
  const report = JSON.parse(JSON.stringify(state.report));
  report.unique_id = valueOf("r-id") || (forPreview ? "report-preview" : "");
  report.name_i18n = readTexts("r-name");
  if (forPreview && !Object.keys(report.name_i18n).length) report.name_i18n = {[store.defaultLanguage]: t("rep_untitled")};
  const description = readOptionalTexts("r-description");
  if (description) report.description_i18n = description; else delete report.description_i18n;
  report.rows = report.rows.filter(Boolean);
  if (!report.columns.length) delete report.columns;
  report.filters = report.filters.filter((filter) => (filter.field || filter.fact) && Object.keys(filter).length > 1);
  if (!report.filters.length) delete report.filters;
  const threshold = valueOf("r-threshold");
  if (threshold !== "") report.threshold = Number(threshold); else delete report.threshold;
  return report;
}

/** Read the controls of the form itself (the pickers change the report as they go). */
function readControls() {
  const report = state.report;
  report.record_type = valueOf("r-record-type");
  const unit = checkedValue("unit");
  report.counts = Object.assign({unit}, unit === "rows" ? {subform: valueOf("r-subform")} : {},
    unit === "events" ? {events: (report.counts.events || [])} : {});
  const kind = checkedValue("measure");
  report.measure = kind === "duration" ? {kind, from: refOf(valueOf("r-from")), to: refOf(valueOf("r-to"))} : {kind};
  if (kind === "duration") for (const end of ["from", "to"]) if (!report.measure[end]) delete report.measure[end];
  report.chart = checkedValue("chart");
  report.on_dashboards = [...byId("r-roles").querySelectorAll("input:checked")].map((box) => box.value);
}

/** Show a report in the controls (a new one: the defaults). */
function writeControls(report) {
  byId("r-id").value = report.unique_id || "";
  byId("r-id").readOnly = state.saved;
  writeTexts("r-name", report.name_i18n);
  writeTexts("r-description", report.description_i18n);
  byId("r-record-type").value = report.record_type;
  form.querySelector('input[name="unit"][value="' + report.counts.unit + '"]').checked = true;
  form.querySelector('input[name="measure"][value="' + report.measure.kind + '"]').checked = true;
  form.querySelector('input[name="chart"][value="' + (report.chart || "bar") + '"]').checked = true;
  byId("r-threshold").value = report.threshold ?? "";
  const shown = new Set(report.on_dashboards || []);
  byId("r-roles").replaceChildren(...state.data.roles.map((role) => el("label", {class: "check"},
    el("input", {type: "checkbox", value: role.id, checked: shown.has(role.id)}), " " + role.label)));
}

/** Draw what depends on the record type and the unit: subforms, events, rows, columns, filters, measure dates. */
async function drawPickers() {
  const report = state.report;
  const forms = await formsOf(report.record_type);
  const subforms = forms.filter((candidate) => candidate.is_nested);
  const unit = report.counts.unit;
  if (unit === "rows" && !subforms.some((sub) => sub.unique_id === report.counts.subform)) {
    report.counts.subform = (subforms[0] || {}).unique_id;
  }
  state.sources = reportSources(Object.assign({forms}, state.data), {recordType: report.record_type, unit,
    subform: report.counts.subform, events: report.counts.events || []});
  byId("r-subform-box").hidden = unit !== "rows";
  byId("r-subform").replaceChildren(...subforms.map((sub) => el("option", {value: sub.unique_id, text: label(sub.name_i18n) || sub.unique_id,
    selected: sub.unique_id === report.counts.subform})));
  byId("r-events-box").hidden = unit !== "events";
  const events = new Set((report.counts.events || []).map((event) => event.field));
  byId("r-events").replaceChildren(...state.sources.eventDates.map((source) => el("label", {class: "check"},
    el("input", {type: "checkbox", value: source.ref.field, checked: events.has(source.ref.field), onchange: changeEvents}), " " + source.label)));
  drawDimensions();
  drawFilters();
  const measure = report.measure;
  byId("r-duration").hidden = measure.kind !== "duration";
  for (const end of ["from", "to"]) {
    byId("r-" + end).replaceWith(sourcePicker({id: "r-" + end}, state.sources.dates, measure[end] ? keyOf(measure[end]) : ""));
  }
}

function changeEvents() {
  const ticked = new Set([...byId("r-events").querySelectorAll("input:checked")].map((box) => box.value));
  const kept = new Map((state.report.counts.events || []).map((event) => [event.field, event]));  // their ids and names stay
  state.report.counts.events = state.sources.eventDates.filter((source) => ticked.has(source.ref.field))
    .map((source) => kept.get(source.ref.field) || {id: source.ref.field, field: source.ref.field, name_i18n: source.names});
  redraw();
}

function drawDimensions() {
  const report = state.report;
  const dimensions = state.sources.dimensions;
  const levels = state.data.levels;
  byId("r-rows").replaceChildren(...report.rows.map((dimension, index) => dimensionPicker({id: "r-row-" + index,
    caption: t(index ? "rep_rows_second" : "rep_rows"), sources: dimensions, dimension, levels,
    onchange: (chosen) => { report.rows[index] = chosen; changed(); },
    onremove: index ? () => { report.rows.splice(index, 1); drawDimensions(); byId("r-add-row").focus(); changed(); } : null})));
  byId("r-add-row").hidden = report.rows.length > 1;
  byId("r-columns").replaceChildren(dimensionPicker({id: "r-column", caption: t("rep_columns"), sources: dimensions,
    dimension: report.columns[0] || null, levels, optional: true,
    onchange: (chosen) => { report.columns = chosen ? [chosen] : []; changed(); }}));
}

function drawFilters() {
  const filters = state.report.filters;
  byId("r-filters").replaceChildren(...filters.map((filter, index) => filterRow({id: "r-filter-" + index,
    sources: state.sources.filters, filter, onchange: changed,
    onremove: () => { filters.splice(index, 1); drawFilters(); byId("r-add-filter").focus(); changed(); }})));
  byId("r-no-filter").hidden = filters.length > 0;
}

/** Something changed: the preview follows a moment later. */
function changed() {
  clearTimeout(state.timer);
  state.timer = setTimeout(() => preview().catch((error) => showError(error)), PREVIEW_DELAY);
}

/** The record type, the unit or the subform changed: what may be picked changes with it. */
function redraw() {
  readControls();
  drawPickers().then(changed, (error) => showError(error));
}

async function preview() {
  const status = byId("preview-status");
  const report = documentOf(true);
  if (!report.rows.length) { status.textContent = t("rep_preview_needs_rows"); byId("preview").replaceChildren(); return; }
  status.textContent = t("rep_preview_computing");
  let answer;
  try {
    answer = await newestPreview(api("POST", COLLECTION + "/preview?locale=" + encodeURIComponent(store.locale), {data: report}));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status === 0 || error.status >= 500) throw error;
    // A report the server cannot compute yet (a choice still to make): said in the preview, not as a failure.
    status.textContent = [fmt("rep_preview_cannot", {message: error.message}), ...error.details.map((d) => d.message)].join(" ");
    byId("preview").replaceChildren();
    return;
  }
  if (!answer) return;
  byId("preview").replaceChildren(reportFigure(answer.data.data, {level: 3}));
  status.textContent = t("rep_preview_ready");
}

/** A report id from its name: "report-" and the name in lower case, without accents. */
function idFromName(name) {
  const slug = name.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return slug ? ("report-" + slug).slice(0, 60).replace(/-+$/, "") : "";
}

async function save(event) {
  event.preventDefault();
  readControls();
  const report = documentOf(false);
  try {
    const answer = state.saved ? await api("PUT", itemPath(report.unique_id), {data: report}, ifMatch())
      : await api("POST", COLLECTION, {data: report});
    state.saved = true;
    state.revision = answer.data.meta ? answer.data.meta.revision : null;
    clearErrors(form);
    history.replaceState(null, "", "?edit=" + encodeURIComponent(report.unique_id));
    showTitle(report);
    flash(t("saved"), "ok");
  } catch (error) { showError(error, form); }
}

async function remove() {
  const report = documentOf(false);
  const name = label(report.name_i18n) || report.unique_id;
  if (!await confirmDialog(fmt("rep_remove_title", {name}), [t("rep_remove_effect")], t("rep_remove_button"))) return;
  try {
    await api("DELETE", itemPath(report.unique_id), undefined, ifMatch());
    location.href = "/admin/reports";
  } catch (error) { showError(error, form); }
}

function showTitle(report) {
  byId("editor-title").textContent = state.saved ? fmt("rep_editing", {name: label(report.name_i18n) || report.unique_id}) : t("rep_new_report");
  byId("r-id").readOnly = state.saved;
  byId("r-remove").hidden = !state.saved;
  byId("r-revision").textContent = state.revision ? fmt("revision", {revision: state.revision}) : "";
}

const NEW_REPORT = () => ({unique_id: "", name_i18n: {}, record_type: "case", counts: {unit: "records"}, rows: [null], columns: [],
  filters: [], measure: {kind: "count"}, chart: "bar", on_dashboards: []});

/** Open the editor on the draft's report `id`, or on a new report (id null). */
export async function openEditor(id) {
  const [data, answer] = await Promise.all([loadData(), id ? api("GET", itemPath(id) + "?draft=true") : null]);
  state.data = data;
  state.saved = !!answer;
  state.revision = answer && answer.data.meta ? answer.data.meta.revision : null;
  state.report = Object.assign(NEW_REPORT(), answer ? answer.data.data : {});
  for (const key of ["columns", "filters"]) state.report[key] = state.report[key] || [];
  if (!state.report.rows.length) state.report.rows = [null];
  writeControls(state.report);
  showTitle(state.report);
  await drawPickers();
  form.addEventListener("submit", save);
  byId("r-remove").addEventListener("click", remove);
  byId("r-add-row").addEventListener("click", () => {
    state.report.rows.push(null);
    drawDimensions();
    byId("r-row-1").focus();
  });
  byId("r-add-filter").addEventListener("click", () => {
    state.report.filters.push({});
    drawFilters();
    byId("r-filter-" + (state.report.filters.length - 1)).focus();
  });
  // The controls of the form itself: a record type, unit or subform changes what may be picked.
  byId("r-record-type").addEventListener("change", () => {  // another record type: its own fields, none of the last
    Object.assign(state.report, {rows: [null], columns: [], filters: [], measure: {kind: "count"}, counts: {unit: "records"}});
    form.querySelector('input[name="unit"][value="records"]').checked = true;
    form.querySelector('input[name="measure"][value="count"]').checked = true;
    redraw();
  });
  byId("r-subform").addEventListener("change", redraw);
  form.querySelectorAll('input[name="unit"], input[name="measure"]').forEach((radio) => radio.addEventListener("change", redraw));
  form.addEventListener("change", (event) => {
    if (event.target.matches('input[name="chart"], #r-roles input, #r-from, #r-to, #r-threshold')) { readControls(); changed(); }
  });
  form.addEventListener("input", (event) => {
    if (event.target.id === "r-id") state.idTouched = true;
    if (event.target.id.startsWith("r-name-") && !state.saved && !state.idTouched) {  // the id follows the name
      const names = readTexts("r-name");
      byId("r-id").value = idFromName(names[store.defaultLanguage] || Object.values(names)[0] || "");
    }
    if (event.target.matches("[id^='r-name-'], [id^='r-description-'], #r-threshold")) changed();
  });
  byId("report-editor").hidden = false;
  byId("editor-title").focus();
  changed();
}
