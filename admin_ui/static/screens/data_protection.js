/* Data protection: the retention rules (what they reach today, what a run would change, applying them after a
 * confirmation that says in words what will happen), one child's subject access archive, and the consent audit
 * (referrals, transfers and exports, filtered, a page at a time, or as CSV). Each part shows only to a role that has
 * its permission; every call is audited by the server. */
import {ApiError, api, newestOnly} from "../lib/api.js";
import {confirmDialog} from "../lib/dialog.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {clearErrors, flash, showError, showFieldError} from "../lib/errors.js";
import {store} from "../lib/store.js";
import {fmt, t} from "../lib/text.js";

const PER_PAGE = 50;
const retentionForm = document.getElementById("retention-form");
const subjectForm = document.getElementById("subject-form");
const consentForm = document.getElementById("consent-filters");
const screen = {rules: [], page: 1, pages: 1};
const newestPage = newestOnly();

// --- Retention -------------------------------------------------------------------------------------------------

function records(rule) {
  const type = t("dp_type_" + rule.record_type, rule.record_type);
  return rule.status ? fmt("dp_records_status", {type: type, status: rule.status}) : type;
}

function ruleRow(rule) {
  return el("tr", {"data-rule": rule.id},
    el("th", {scope: "row", text: rule.id}),
    el("td", {text: records(rule)}),
    el("td", {text: fmt("dp_after", {days: rule.after_days.toLocaleString(store.locale),
                                     from: t("dp_from_" + rule.from, rule.from)})}),
    el("td", {text: t("dp_action_" + rule.action, rule.action)}),
    el("td", {class: "count", text: rule.due.toLocaleString(store.locale)}),
    el("td", {}, ...(rule.sample.length ? rule.sample.map((id) => el("code", {text: id + " "}))
      : [el("span", {class: "hint", text: t("dp_none")})])),
    el("td", {}, rule.note ? el("details", {}, el("summary", {text: t("dp_why")}), el("p", {text: rule.note})) : null));
}

async function showRules() {
  const preview = (await api("GET", "/api/v1/data_protection/retention")).data.data;
  screen.rules = preview.rules;
  document.querySelector("#retention-rules tbody").replaceChildren(...preview.rules.map(ruleRow));
  const pending = document.getElementById("retention-pending");
  pending.hidden = !preview.pending;
  pending.textContent = preview.pending ? fmt("dp_pending", {count: preview.pending}) : "";
}

/** What a run did or would do, rule by rule, in words. */
function showOutcome(answer) {
  const done = answer.rules.reduce((sum, rule) => sum + rule.done, 0);
  const failed = answer.rules.reduce((sum, rule) => sum + rule.failed, 0);
  const lines = answer.dry_run ? [fmt("dp_would_change", {count: done})] : [fmt("dp_changed", {count: done})];
  const list = el("ul", {}, ...answer.rules.map((rule) => el("li", {},
    fmt("dp_rule_result", {rule: rule.id, count: rule.done, history: rule.history_entries, files: rule.files}),
    Object.keys(rule.fields).length ? el("p", {class: "hint", text: fmt("dp_fields_removed",
      {fields: Object.keys(rule.fields).join(", ")})}) : null)));
  const after = [];
  if (answer.resumed) after.push(fmt("dp_resumed", {count: answer.resumed}));
  if (failed) after.push(fmt("dp_failed", {count: failed}));
  if (!answer.dry_run) after.push(answer.remaining ? fmt("dp_remaining", {count: answer.remaining}) : t("dp_all_done"));
  document.getElementById("retention-result").replaceChildren(
    ...lines.map((line) => el("p", {text: line})), list, ...after.map((line) => el("p", {text: line})));
}

async function dryRun() {
  try {
    showOutcome((await api("POST", "/api/v1/data_protection/retention/runs", {data: {dry_run: true}})).data.data);
    clearErrors(retentionForm);
  } catch (error) { showError(error, retentionForm); }
}

/** The confirmation in words of what applying the rules will do, from today's preview. */
function confirmation() {
  const due = screen.rules.filter((rule) => rule.due > 0);
  return due.map((rule) => fmt(rule.action === "delete" ? "dp_confirm_delete" : "dp_confirm_pseudonymise",
                               {count: rule.due, rule: rule.id})).concat([t("dp_confirm_final")]);
}

async function run() {
  try {
    await showRules();
    if (!screen.rules.some((rule) => rule.due > 0)) {
      flash(t("dp_nothing_due"), "ok");
      return;
    }
    if (!await confirmDialog(t("dp_confirm_title"), confirmation(), t("dp_confirm_button"))) return;
    const answer = (await api("POST", "/api/v1/data_protection/retention/runs", {data: {dry_run: false}})).data.data;
    showOutcome(answer);
    clearErrors(retentionForm);
    flash(t("dp_applied"), "ok");
    await showRules();
  } catch (error) { showError(error, retentionForm); }
}

// --- Subject access --------------------------------------------------------------------------------------------

/** Download the archive as a file; an error answer is shown as every other (its message is the server's). */
async function downloadArchive(reference) {
  let response;
  try {
    response = await fetch("/api/v1/data_protection/subject_access/" + encodeURIComponent(reference),
                           {credentials: "same-origin", headers: {"Accept-Language": store.locale}});
  } catch (error) {
    throw new ApiError(0, null, t("unreachable"));
  }
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    throw new ApiError(response.status, body, t("unexpected"));
  }
  const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1] || "archive.zip";
  const link = el("a", {href: URL.createObjectURL(await response.blob()), download: name, hidden: true});
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
}

subjectForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const reference = valueOf("s-case");
  if (!reference) {
    showFieldError(subjectForm, "case_ref", t("dp_case_required"));
    return;
  }
  try {
    await downloadArchive(reference);
    clearErrors(subjectForm);
    flash(fmt("dp_archive_ready", {case: reference}), "ok");
  } catch (error) { showError(error, subjectForm); }
});

// --- Consent audit ---------------------------------------------------------------------------------------------

function kindChoices() {
  return [el("option", {value: "", text: t("dp_kind_any")}),
    ...["referral", "transfer", "export"].map((kind) => el("option", {value: kind, text: t("dp_kind_" + kind)}))];
}

/** The filters as query parameters; dates are whole days of the browser's clock, sent as moments in UTC. */
function consentFilters() {
  const params = new URLSearchParams();
  if (valueOf("c-agency")) params.set("agency", valueOf("c-agency"));
  if (valueOf("c-kind")) params.set("kind", valueOf("c-kind"));
  if (valueOf("c-from")) params.set("from", new Date(valueOf("c-from") + "T00:00:00").toISOString());
  if (valueOf("c-to")) params.set("to", new Date(valueOf("c-to") + "T23:59:59.999").toISOString());
  return params;
}

function consentCell(row) {
  if (row.kind === "export") return t("dp_export_" + row.identifying, "");
  const value = (label, code) => label || code || t("dp_not_recorded");
  return fmt("dp_consent", {services: value(row.consent_services_label, row.consent_services),
                            sharing: value(row.consent_sharing_label, row.consent_sharing)});
}

function consentRow(row) {
  const to = [row.to_agency, row.to_user].filter(Boolean).join(" · ");
  return el("tr", {class: row.consent_overridden ? "refused" : null},
    el("td", {}, el("time", {datetime: row.at, text: new Date(row.at).toLocaleString(store.locale)})),
    el("td", {text: t("dp_kind_" + row.kind, row.kind)}),
    el("td", {text: row.by || ""}),
    el("td", {text: row.from_agency || ""}),
    el("td", {text: to}),
    el("td", {}, el("code", {text: row.display_id || row.record_type || ""})),
    el("td", {text: consentCell(row)}),
    el("td", {text: row.kind === "export" ? "" : row.consent_overridden
      ? fmt("dp_overridden", {reason: row.override_reason || ""}) : t("dp_not_overridden")}));
}

async function showConsent(page) {
  const params = consentFilters();
  const exporting = new URLSearchParams(params);
  exporting.set("locale", store.locale);
  document.getElementById("consent-export").href = "/api/v1/data_protection/consent_audit/export.csv?" + exporting;
  params.set("page", page);
  params.set("per_page", PER_PAGE);
  const answer = await newestPage(api("GET", "/api/v1/data_protection/consent_audit?" + params));
  if (!answer) return;
  const {data, meta} = answer.data;
  screen.page = page;
  screen.pages = Math.max(1, Math.ceil(meta.total / PER_PAGE));
  document.querySelector("#consent tbody").replaceChildren(...(data.length ? data.map(consentRow)
    : [el("tr", {}, el("td", {colspan: 8, class: "hint", text: t("dp_rows_none")}))]));
  document.getElementById("consent-title").dataset.total = meta.total;
  document.getElementById("consent-page").textContent = (meta.total === 1 ? t("dp_rows_one")
    : fmt("dp_rows_total", {count: meta.total.toLocaleString(store.locale)})) + " · "
    + fmt("dp_page", {page: page, pages: screen.pages});
  document.getElementById("consent-previous").disabled = page <= 1;
  document.getElementById("consent-next").disabled = page >= screen.pages;
  clearErrors(consentForm);
}

function showConsentPage(page) {
  showConsent(page).catch((error) => showError(error, consentForm));
}

consentForm.addEventListener("submit", (event) => {
  event.preventDefault();
  showConsentPage(1);
});
consentForm.addEventListener("reset", () => setTimeout(() => showConsentPage(1)));
document.getElementById("consent-previous").addEventListener("click", () => showConsentPage(screen.page - 1));
document.getElementById("consent-next").addEventListener("click", () => showConsentPage(screen.page + 1));
document.getElementById("c-kind").replaceChildren(...kindChoices());

// --- The parts this role opens ------------------------------------------------------------------------------------

retentionForm.addEventListener("submit", (event) => {
  event.preventDefault();
  run();
});
document.getElementById("retention-dry-run").addEventListener("click", dryRun);

async function start() {
  const permissions = (await api("GET", "/api/v1/users/current")).data.data.permissions;
  const may = (action) => (permissions.data_protection || []).includes(action);
  document.getElementById("retention-card").hidden = !may("retention");
  document.getElementById("subject-card").hidden = !may("subject_access");
  document.getElementById("consent-card").hidden = !may("consent_audit");
  screenReady();
  if (may("retention")) await showRules().catch((error) => showError(error, retentionForm));
  if (may("consent_audit")) showConsentPage(1);
}

start().catch((error) => showError(error));
