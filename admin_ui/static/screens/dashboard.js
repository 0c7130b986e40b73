/* The dashboard: the draft's changes (as a person reads them) and checks, publishing with a confirmation that says
 * what the devices will receive, the version history, diffs and restores. */
import {api} from "../lib/api.js";
import {confirmDialog} from "../lib/dialog.js";
import {el, screenReady} from "../lib/dom.js";
import {clearErrors, flash, showError, showFieldError} from "../lib/errors.js";
import {store} from "../lib/store.js";
import {fmt, t} from "../lib/text.js";
import {listOf} from "./rule_builder.js";

const publishForm = document.getElementById("publish-form");
const diffForm = document.getElementById("diff-form");
const PAGES = {form: (uid) => "/admin/forms/" + encodeURIComponent(uid), lookup: () => "/admin/lookups",
               role: () => "/admin/roles"};
const quoted = (items) => listOf(items.map((item) => fmt("quoted", {text: item.label})), "and");

/** The options a field's (or a lookup's) change adds, removes and relabels, in words. */
function optionParts(change) {
  return [["options_added", "new_options"], ["options_removed", "options_gone"], ["options_changed", "options_relabelled"]]
    .filter(([key]) => (change[key] || []).length).map(([key, text]) => fmt(text, {items: quoted(change[key])}));
}

/** The sentences that say what one document's change does (labels, properties in words). */
export function changeSentences(change) {
  const name = change.label;
  const kind = t("kind_" + change.kind, change.kind);
  if (change.change !== "changed") return [fmt("document_" + change.change, {kind, name})];
  const parts = [];
  if ((change.fields_added || []).length) parts.push(fmt("new_fields", {items: quoted(change.fields_added)}));
  if ((change.fields_removed || []).length) {
    parts.push(fmt("fields_gone", {items: listOf(change.fields_removed.map((field) => (field.moved_to
      ? fmt("field_moved_to", {text: field.label, form: field.moved_to}) : field.records
        ? fmt("field_with_records", {text: field.label, count: field.records})
        : fmt("quoted", {text: field.label}))), "and")}));
  }
  for (const field of change.fields_changed || []) {
    parts.push(fmt("field_changed", {text: field.label, items: [...field.properties, ...optionParts(field)].join(", ")}));
  }
  if (change.fields_reordered) parts.push(t("fields_moved"));
  parts.push(...optionParts(change));
  if ((change.properties || []).length) parts.push(fmt("properties_changed", {items: change.properties.join(", ")}));
  return [fmt("document_changed", {kind, name, items: parts.join(t("part_separator"))})];
}

function changeList(changes) {
  if (!changes.length) return el("p", {text: t("no_changes")});
  return el("ul", {class: "changes"}, ...changes.map((change) => el("li", {"data-document": change.kind + ":" + change.unique_id},
    ...changeSentences(change).map((sentence) => el("span", {text: sentence})))));
}

/** A check's problem next to a link to the page of the document it concerns. */
function checkList(title, problems, kind, labels) {
  if (!problems.length) return null;
  const list = el("ul", {}, ...problems.map((problem) => {
    const [documentKey] = problem.field.split("/");
    const [docKind, uid] = documentKey.split(":");
    const fieldName = docKind === "form" ? problem.field.split("/")[1] : null;
    const page = PAGES[docKind] && ((id) => PAGES[docKind](id) + (fieldName ? "#field-" + encodeURIComponent(fieldName) : ""));
    const name = labels.get(documentKey) || uid || problem.field;
    return el("li", {}, page ? el("a", {href: page(uid), text: name}) : el("strong", {text: name}), " — " + problem.message);
  }));
  return el("div", {class: "checks " + kind}, el("h3", {text: title}), list);
}

const draftState = {status: null, impact: null};

async function loadDraft() {
  const [status, impact] = await Promise.all([api("GET", "/api/v1/metadata/draft"),
    api("GET", "/api/v1/metadata/draft/impact?locale=" + encodeURIComponent(store.locale))]);
  Object.assign(draftState, {status: status.data.data, impact: impact.data.data});
  const labels = new Map(draftState.impact.changes.map((change) => [change.kind + ":" + change.unique_id, change.label]));
  document.getElementById("published-version").textContent = draftState.status.published_version;
  document.getElementById("draft-changes").replaceChildren(changeList(draftState.impact.changes));
  document.getElementById("draft-checks").replaceChildren(...[
    checkList(t("errors"), draftState.status.errors, "errors", labels),
    checkList(t("warnings"), draftState.status.warnings, "warnings", labels)].filter(Boolean));
  document.getElementById("publish").disabled = !draftState.status.can_publish || !draftState.impact.changes.length;
}

async function loadVersions() {
  const versions = (await api("GET", "/api/v1/metadata/versions?per_page=50")).data.data;
  document.querySelector("#versions tbody").replaceChildren(...versions.map((version, index) => el("tr", {},
    el("td", {text: String(version.version)}),
    el("td", {text: new Date(version.published_at).toLocaleString(store.locale)}),
    el("td", {text: version.published_by}),
    el("td", {text: version.comment || ""}),
    el("td", {}, fmt("documents_changed", {count: version.changes.length}), " ", version.version > 1
      ? el("button", {type: "button", text: t("show_changes"), "aria-label": t("show_changes") + " " + t("version") + " "
        + version.version, onclick: () => showDiff(version.version - 1, version.version)}) : null),
    el("td", {}, index === 0 ? null : el("button", {type: "button", "data-restore": version.version, text: t("restore"),
      "aria-label": t("restore") + " " + t("version") + " " + version.version, onclick: () => restore(version.version)})))));
  if (versions.length > 1) {
    document.getElementById("diff-a").value = versions[1].version;
    document.getElementById("diff-b").value = versions[0].version;
  }
}

async function restore(number) {
  try {
    // A restore publishes too: say what the devices will receive (from the published version back to `number`).
    const published = draftState.impact.published_version;
    const changes = (await api("GET", "/api/v1/metadata/versions/" + published + "/changes/" + number + "?locale="
      + encodeURIComponent(store.locale))).data.data;
    const lines = [...changes.flatMap(changeSentences),
      fmt("publish_reach", {users: draftState.impact.users, devices: draftState.impact.devices})];
    if (!await confirmDialog(fmt("confirm_restore", {version: number}), lines, t("restore"))) return;
    const answer = await api("POST", "/api/v1/metadata/versions/" + number + "/restore", {data: {}});
    flash(fmt("restored", {version: answer.data.data.version}));
    await Promise.all([loadDraft(), loadVersions()]);
  } catch (error) { showError(error, publishForm); }
}

/** What a publish will do, in sentences: each document's change, who receives it, what records keep unseen. */
function publishEffects(impact) {
  const lines = impact.changes.flatMap(changeSentences);
  lines.push(fmt("publish_reach", {users: impact.users, devices: impact.devices}));
  if (impact.records_losing_a_field) lines.push(fmt("publish_records_kept", {count: impact.records_losing_a_field}));
  return lines;
}

publishForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors(publishForm);
  flash("");
  const comment = publishForm.comment.value.trim();
  if (!comment) {
    showFieldError(publishForm, "comment", t("comment_needed"));
    publishForm.comment.focus();
    return;
  }
  try {
    // The impact of the draft as it is now (another administrator may have changed it since the page loaded).
    const impact = (await api("GET", "/api/v1/metadata/draft/impact?locale=" + encodeURIComponent(store.locale))).data.data;
    const next = impact.published_version + 1;
    if (!await confirmDialog(fmt("publish_title", {version: next}), publishEffects(impact), t("publish_confirm"))) return;
    const answer = await api("POST", "/api/v1/metadata/publish", {data: {comment}});
    publishForm.comment.value = "";
    flash(fmt("published", {version: answer.data.data.version}));
    await Promise.all([loadDraft(), loadVersions()]);
  } catch (error) { showError(error, publishForm); }
});

async function showDiff(a, b) {
  document.getElementById("diff-a").value = a;
  document.getElementById("diff-b").value = b;
  const diff = (await api("GET", "/api/v1/metadata/versions/" + a + "/changes/" + b + "?locale="
    + encodeURIComponent(store.locale))).data.data;
  clearErrors(diffForm);
  document.getElementById("diff").replaceChildren(changeList(diff));
  document.getElementById("diff").focus();
}

diffForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await showDiff(document.getElementById("diff-a").value, document.getElementById("diff-b").value);
  } catch (error) { showError(error, diffForm); }
});

screenReady();
loadDraft().catch((error) => showError(error));
loadVersions().catch((error) => showError(error));
