"use strict";
function changeList(changes) {
  if (!changes.length) return el("p", {text: T.no_changes});
  const list = el("ul", {class: "changes"});
  for (const change of changes) {
    const item = el("li", {}, el("strong", {text: change.kind + " " + change.unique_id}), " — " + (T[change.change] || change.change));
    const details = el("ul");
    if ((change.fields_added || []).length) details.append(el("li", {text: T.fields_added + ": " + change.fields_added.join(", ")}));
    if ((change.fields_removed || []).length) details.append(el("li", {text: T.fields_removed + ": " + change.fields_removed.join(", ")}));
    for (const [name, attributes] of Object.entries(change.fields_changed || {})) {
      details.append(el("li", {text: T.fields_changed + ": " + name + " (" + Object.keys(attributes).join(", ") + ")"}));
    }
    if (change.fields_reordered) details.append(el("li", {text: T.reordered}));
    for (const name of Object.keys(change.attributes || {})) details.append(el("li", {text: name}));
    if (details.children.length) item.append(details);
    list.append(item);
  }
  return list;
}

function checkList(title, problems, kind) {
  if (!problems.length) return null;
  const box = el("div", {class: "checks " + kind}, el("h3", {text: title}));
  const list = el("ul");
  for (const problem of problems) list.append(el("li", {}, el("code", {text: problem.field}), " " + problem.message));
  box.append(list);
  return box;
}

async function loadDraft() {
  const status = (await api("GET", "/api/v1/metadata/draft")).data.data;
  document.getElementById("published-version").textContent = status.published_version;
  document.getElementById("draft-changes").replaceChildren(changeList(status.changes));
  const checks = document.getElementById("draft-checks");
  checks.replaceChildren(...[checkList(T.errors, status.errors, "errors"), checkList(T.warnings, status.warnings, "warnings")].filter(Boolean));
  document.getElementById("publish").disabled = !status.can_publish || !status.changes.length;
}

async function loadVersions() {
  const versions = (await api("GET", "/api/v1/metadata/versions?per_page=50")).data.data;
  const body = document.querySelector("#versions tbody");
  body.replaceChildren(...versions.map((version, index) => el("tr", {},
    el("td", {text: String(version.version)}),
    el("td", {text: new Date(version.published_at).toLocaleString(UI_LOCALE)}),
    el("td", {text: version.published_by}),
    el("td", {text: version.comment || ""}),
    el("td", {text: version.changes.map((c) => c.unique_id).join(", ")}),
    el("td", {}, index === 0 ? null : el("button", {type: "button", "data-restore": version.version, text: T.restore,
      "aria-label": T.restore + " " + T.version + " " + version.version, onclick: () => restore(version.version)})))));
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
  } catch (error) {
    showErrors(document.getElementById("publish-form"), error);
  }
}

document.getElementById("publish-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const answer = await api("POST", "/api/v1/metadata/publish", {data: {comment: form.comment.value}});
    clearErrors(form);
    form.comment.value = "";
    flash(fmt("published", {version: answer.data.data.version}));
    await Promise.all([loadDraft(), loadVersions()]);
  } catch (error) {
    showErrors(form, error);
  }
});

document.getElementById("diff-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const a = document.getElementById("diff-a").value, b = document.getElementById("diff-b").value;
    const diff = (await api("GET", "/api/v1/metadata/versions/" + a + "/diff/" + b)).data.data;
    clearErrors(form);
    document.getElementById("diff").replaceChildren(changeList(diff));
  } catch (error) {
    showErrors(form, error);
  }
});

loadDraft().catch((error) => flash(String(error), "error"));
loadVersions().catch((error) => flash(String(error), "error"));
