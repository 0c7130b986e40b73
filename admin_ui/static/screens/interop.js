/* Import and export: a Primero configuration checked (a dry run whose report says what becomes of each element), then
 * made the draft with a confirmation; forms downloaded as XLSForm (plain links), and a partner's XLSForm checked, then
 * added to the draft. Nothing is published here: the done panels lead to the Versions page. */
import {api} from "../lib/api.js";
import {confirmDialog} from "../lib/dialog.js";
import {el, screenReady} from "../lib/dom.js";
import {clearErrors, flash, showError, showFieldError} from "../lib/errors.js";
import {store} from "../lib/store.js";
import {fmt, t} from "../lib/text.js";

const PRIMERO = "/api/v1/metadata/import/primero";
const XLSFORM = "/api/v1/metadata/xlsform";
const FILE_PART = "file";
const STATUSES = ["not_mapped", "adapted", "renamed", "kept", "mapped"];  // the groups, what needs reading first
const OPEN_UP_TO = 100;  // a group of more items starts folded, so the page stays short
const DRAFT_NOT_EMPTY = "DRAFT_NOT_EMPTY";

const primero = {form: document.getElementById("primero-form"), apply: document.getElementById("primero-apply"),
                 file: document.getElementById("primero-file"), checked: null};
const xlsform = {form: document.getElementById("xlsform-form"), apply: document.getElementById("xlsform-apply"),
                 file: document.getElementById("xlsform-file"), type: document.getElementById("xlsform-type"),
                 checked: null, recordType: null, documents: []};

/** Send a file as the upload routes read it (the part `file` of a multipart body) through the one API helper. */
async function upload(path, file) {
  const form = new FormData();
  form.append(FILE_PART, file);
  const request = new Request(location.href, {method: "POST", body: form});  // encodes the multipart body
  return api("POST", path, await request.blob(), {"Content-Type": request.headers.get("Content-Type")});
}

function withLocale(path, params) {
  return path + "?" + new URLSearchParams({...params, locale: store.locale});
}

/** Run `work` with the form's buttons disabled (no second import while the first runs). */
async function busy(form, work) {
  const buttons = [...form.querySelectorAll("button")];
  buttons.forEach((button) => { button.disabled = true; });
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    buttons.forEach((button) => { button.disabled = false; });
    form.removeAttribute("aria-busy");
  }
}

/** Show a panel (the report, the done message) and move the focus to its heading, which screen readers then read. */
function reveal(id) {
  const panel = document.getElementById(id);
  panel.hidden = false;
  panel.querySelector("h3").focus();
}

/** A group of the report: its status and count as a foldable heading, each item with what was done to it and why. */
function itemGroup(status, items) {
  if (!items.length) return null;
  return el("details", {class: "group " + status, open: status !== "mapped" && items.length <= OPEN_UP_TO},
    el("summary", {}, el("h4", {text: fmt("report_" + status, {count: items.length})})),
    el("ul", {}, ...items.map((item) => el("li", {},
      item.kind ? el("span", {class: "kind", text: t("item_kind_" + item.kind, item.kind) + " "}) : null,
      el("strong", {text: item.name}),
      ...(item.notes.length ? [" — " + item.notes.join(" ")] : [])))));
}

// --- a Primero configuration ---------------------------------------------------------------------------

function showPrimeroReport(report) {
  const counts = report.counts;
  const kinds = Object.keys(counts);  // the server's kinds, in its order (no list of our own)
  const total = kinds.reduce((sum, kind) => sum + counts[kind].total, 0);
  document.getElementById("primero-summary").textContent = report.draft.written ? fmt("primero_imported", {total})
    : fmt("primero_checked", {total});
  document.querySelector("#primero-counts tbody").replaceChildren(...kinds.map((kind) =>
    el("tr", {"data-kind": kind}, el("th", {scope: "row", text: t("primero_kind_" + kind, kind)}),
      ...["mapped", "adapted", "not_mapped", "total"].map((column) => el("td", {text: String(counts[kind][column])})))));
  const byStatus = new Map(STATUSES.map((status) => [status, []]));
  for (const item of [...report.items, ...report.kept]) {
    byStatus.get(item.status).push({kind: item.kind, name: item.name, notes: item.notes.map((note) => note.message)});
  }
  document.getElementById("primero-items").replaceChildren(
    ...STATUSES.map((status) => itemGroup(status, byStatus.get(status))).filter(Boolean));
  document.getElementById("primero-draft").replaceChildren(...draftSummary(report.draft));
}

/** What the draft would hold (or holds), and the checks that would block publishing it. */
function draftSummary(draft) {
  const documents = el("ul", {class: "documents"}, ...Object.keys(draft.documents).filter((kind) => draft.documents[kind]).map((kind) =>
    el("li", {text: fmt("count_of", {what: t("primero_kind_" + kind, kind), count: draft.documents[kind]})})));
  const verdict = el("p", {class: draft.can_publish ? "verdict ok" : "verdict blocked",
                           text: draft.can_publish ? t("primero_can_publish") : t("primero_cannot_publish")});
  const counts = el("p", {text: fmt("primero_blocking", {count: draft.errors}) + " · "
    + fmt("primero_warnings", {count: draft.warnings})});
  const problems = draft.problems.length ? el("ul", {class: "problems"}, ...draft.problems.map((problem) =>
    el("li", {class: problem.severity}, el("strong", {text: problem.field}), " — " + problem.message))) : null;
  const unlisted = draft.errors + draft.warnings - draft.problems.length;
  return [el("p", {text: draft.written ? t("primero_draft_holds") : t("primero_draft_would")}), documents, verdict,
    counts, problems, unlisted > 0 ? el("p", {class: "hint", text: fmt("more_problems", {count: unlisted})}) : null]
    .filter(Boolean);
}

function resetPrimero() {
  primero.checked = null;
  document.getElementById("primero-report").hidden = true;
  document.getElementById("primero-done").hidden = true;
  document.getElementById("primero-replace").hidden = true;
  primero.apply.hidden = false;
  clearErrors(primero.form);
  clearErrors(primero.apply);
}

primero.file.addEventListener("change", resetPrimero);

primero.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = primero.file.files[0];
  resetPrimero();
  if (!file) {
    showFieldError(primero.form, FILE_PART, t("choose_file"));
    return;
  }
  try {
    const answer = await busy(primero.form, () => upload(withLocale(PRIMERO, {dry_run: "true"}), file));
    primero.checked = file;
    showPrimeroReport(answer.data.data);
    flash(document.getElementById("primero-summary").textContent);
    reveal("primero-report");
  } catch (error) { showError(error, primero.form); }
});

async function importPrimero(replace) {
  const file = primero.checked;
  const [title, effect, button] = replace ? ["replace_title", "replace_lost", "replace_button"]
    : ["primero_confirm_title", "primero_confirm_replaced", "primero_confirm_button"];
  if (!await confirmDialog(t(title), [fmt(effect, {file: file.name}), t("nothing_published")], t(button))) return;
  clearErrors(primero.apply);
  const params = replace ? {replace_draft: "true"} : {};
  try {
    const answer = await busy(primero.apply, () => upload(withLocale(PRIMERO, params), file));
    showPrimeroReport(answer.data.data);
    primero.apply.hidden = true;
    flash(t("primero_done"));
    reveal("primero-done");
  } catch (error) {
    showError(error, primero.apply);
    if (error.body && error.body.error.code === DRAFT_NOT_EMPTY) {  // unpublished changes in the draft: offer to replace
      const replaceButton = document.getElementById("primero-replace");
      replaceButton.hidden = false;
      replaceButton.focus();
    }
  }
}

primero.apply.addEventListener("submit", (event) => {
  event.preventDefault();
  importPrimero(false);
});
document.getElementById("primero-replace").addEventListener("click", () => importPrimero(true));

// --- a partner's XLSForm ----------------------------------------------------------------------------------

function documentNames(documents) {
  return documents.map((entry) => t("item_kind_" + entry.kind, entry.kind) + " " + entry.unique_id).join(", ");
}

function showXlsformReport(result) {
  const report = result.report;
  const type = xlsform.type.selectedOptions[0].textContent;
  document.getElementById("xlsform-summary").textContent = fmt("xlsform_checked", {type,
    mapped: report.mapped.count, adapted: report.adapted.count, not_mapped: report.not_mapped.count})
    + " " + fmt("xlsform_documents", {items: documentNames(result.documents)});
  document.getElementById("xlsform-items").replaceChildren(...STATUSES.filter((status) => report[status]).map((status) =>
    itemGroup(status, report[status].items.map((item) => ({name: item.name, notes: item.message ? [item.message] : []}))))
    .filter(Boolean));
}

function resetXlsform() {
  xlsform.checked = null;
  document.getElementById("xlsform-report").hidden = true;
  document.getElementById("xlsform-done").hidden = true;
  xlsform.apply.hidden = false;
  clearErrors(xlsform.form);
  clearErrors(xlsform.apply);
}

xlsform.file.addEventListener("change", resetXlsform);
xlsform.type.addEventListener("change", resetXlsform);

xlsform.form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = xlsform.file.files[0];
  resetXlsform();
  if (!file) {
    showFieldError(xlsform.form, FILE_PART, t("choose_file"));
    return;
  }
  const recordType = xlsform.type.value;
  try {
    const answer = await busy(xlsform.form, () => upload(withLocale(XLSFORM, {record_type: recordType, dry_run: "true"}), file));
    Object.assign(xlsform, {checked: file, recordType, documents: answer.data.data.documents});
    showXlsformReport(answer.data.data);
    flash(document.getElementById("xlsform-summary").textContent);
    reveal("xlsform-report");
  } catch (error) { showError(error, xlsform.form); }
});

xlsform.apply.addEventListener("submit", async (event) => {
  event.preventDefault();
  const items = documentNames(xlsform.documents);
  if (!await confirmDialog(t("xlsform_confirm_title"), [fmt("xlsform_confirm_adds", {items}), t("nothing_published")],
    t("xlsform_confirm_button"))) return;
  clearErrors(xlsform.apply);
  try {
    const answer = await busy(xlsform.apply, () => upload(withLocale(XLSFORM, {record_type: xlsform.recordType}), xlsform.checked));
    xlsform.apply.hidden = true;
    flash(fmt("xlsform_added", {items: documentNames(answer.data.data.documents)}));
    reveal("xlsform-done");
  } catch (error) { showError(error, xlsform.apply); }
});

screenReady();
