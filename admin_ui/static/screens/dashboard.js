/* The dashboard: the draft's changes and checks, publishing, the version history, diffs and restores. */
import {api} from "../lib/api.js";
import {el, screenReady} from "../lib/dom.js";
import {clearErrors, flash, showError} from "../lib/errors.js";
import {store} from "../lib/store.js";
import {fmt, t} from "../lib/text.js";

const publishForm = document.getElementById("publish-form");
const diffForm = document.getElementById("diff-form");

function changeList(changes) {
  if (!changes.length) return el("p", {text: t("no_changes")});
  const list = el("ul", {class: "changes"});
  for (const change of changes) {
    const item = el("li", {}, el("strong", {text: change.kind + " " + change.unique_id}), " — " + t(change.change));
    const details = el("ul");
    if ((change.fields_added || []).length) details.append(el("li", {text: t("fields_added") + ": " + change.fields_added.join(", ")}));
    if ((change.fields_removed || []).length) details.append(el("li", {text: t("fields_removed") + ": " + change.fields_removed.join(", ")}));
    for (const [name, attributes] of Object.entries(change.fields_changed || {})) {
      details.append(el("li", {text: t("fields_changed") + ": " + name + " (" + Object.keys(attributes).join(", ") + ")"}));
    }
    if (change.fields_reordered) details.append(el("li", {text: t("reordered")}));
    for (const name of Object.keys(change.attributes || {})) details.append(el("li", {text: name}));
    if (details.children.length) item.append(details);
    list.append(item);
  }
  return list;
}

function checkList(title, problems, kind) {
  if (!problems.length) return null;
  const list = el("ul", {}, ...problems.map((problem) => el("li", {}, el("code", {text: problem.field}), " " + problem.message)));
  return el("div", {class: "checks " + kind}, el("h3", {text: title}), list);
}

async function loadDraft() {
  const status = (await api("GET", "/api/v1/metadata/draft")).data.data;
  document.getElementById("published-version").textContent = status.published_version;
  document.getElementById("draft-changes").replaceChildren(changeList(status.changes));
  document.getElementById("draft-checks").replaceChildren(
    ...[checkList(t("errors"), status.errors, "errors"), checkList(t("warnings"), status.warnings, "warnings")].filter(Boolean));
  document.getElementById("publish").disabled = !status.can_publish || !status.changes.length;
}

async function loadVersions() {
  const versions = (await api("GET", "/api/v1/metadata/versions?per_page=50")).data.data;
  document.querySelector("#versions tbody").replaceChildren(...versions.map((version, index) => el("tr", {},
    el("td", {text: String(version.version)}),
    el("td", {text: new Date(version.published_at).toLocaleString(store.locale)}),
    el("td", {text: version.published_by}),
    el("td", {text: version.comment || ""}),
    el("td", {text: version.changes.map((c) => c.unique_id).join(", ")}),
    el("td", {}, index === 0 ? null : el("button", {type: "button", "data-restore": version.version, text: t("restore"),
      "aria-label": t("restore") + " " + t("version") + " " + version.version, onclick: () => restore(version.version)})))));
  if (versions.length > 1) {
    document.getElementById("diff-a").value = versions[1].version;
    document.getElementById("diff-b").value = versions[0].version;
  }
}

async function restore(number) {
  if (!confirm(fmt("confirm_restore", {version: number}))) return;
  try {
    const answer = await api("POST", "/api/v1/metadata/versions/" + number + "/restore", {data: {}});
    flash(fmt("restored", {version: answer.data.data.version}));
    await Promise.all([loadDraft(), loadVersions()]);
  } catch (error) { showError(error, publishForm); }
}

publishForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const answer = await api("POST", "/api/v1/metadata/publish", {data: {comment: publishForm.comment.value}});
    clearErrors(publishForm);
    publishForm.comment.value = "";
    flash(fmt("published", {version: answer.data.data.version}));
    await Promise.all([loadDraft(), loadVersions()]);
  } catch (error) { showError(error, publishForm); }
});

diffForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const a = document.getElementById("diff-a").value, b = document.getElementById("diff-b").value;
    const diff = (await api("GET", "/api/v1/metadata/versions/" + a + "/diff/" + b)).data.data;
    clearErrors(diffForm);
    document.getElementById("diff").replaceChildren(changeList(diff));
  } catch (error) { showError(error, diffForm); }
});

screenReady();
loadDraft().catch((error) => showError(error));
loadVersions().catch((error) => showError(error));
