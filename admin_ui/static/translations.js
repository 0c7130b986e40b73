"use strict";
const LANGUAGES = ["en", "fr"];
let documentKind = null, body = null, revision = null;
const docSelect = document.getElementById("t-document");
const fromSelect = document.getElementById("t-from"), toSelect = document.getElementById("t-to");

/* Every translatable text of a document, as [where, i18n map] pairs pointing into the body. */
function labels(kind, doc) {
  const found = [];
  for (const key of ["name_i18n", "description_i18n", "help_text_i18n"]) if (doc[key]) found.push([key, doc, key]);
  for (const field of doc.fields || []) {
    for (const key of ["display_name_i18n", "help_text_i18n", "guiding_questions_i18n", "tick_box_label_i18n"]) {
      if (field[key]) found.push([field.name + " · " + key, field, key]);
    }
    for (const option of [...(field.option_strings_text_i18n || []), ...(field.tally_i18n || [])]) {
      found.push([field.name + " · " + option.id, option, "display_text"]);
    }
  }
  for (const value of doc.lookup_values_i18n || []) found.push([value.id, value, "display_text"]);
  return found;
}

async function loadDocuments() {
  const [forms, lookups] = await Promise.all([api("GET", "/api/v1/forms?draft=true"), api("GET", "/api/v1/lookups?draft=true")]);
  docSelect.replaceChildren(
    el("optgroup", {label: T.forms}, ...forms.data.data.map((f) => el("option", {value: "forms/" + f.unique_id, text: label(f.name_i18n) + " (" + f.unique_id + ")"}))),
    el("optgroup", {label: T.lookups}, ...lookups.data.data.map((l) => el("option", {value: "lookups/" + l.unique_id, text: label(l.name_i18n) + " (" + l.unique_id + ")"}))));
  for (const select of [fromSelect, toSelect]) select.replaceChildren(...LANGUAGES.map((code) => el("option", {value: code, text: code})));
  fromSelect.value = "en"; toSelect.value = "fr";
  await loadDocument();
}

let latestLoad = 0;  // a slower, older answer never replaces the document chosen since

async function loadDocument() {
  const ticket = ++latestLoad;
  const answer = await api("GET", "/api/v1/" + docSelect.value + "?draft=true");
  if (ticket !== latestLoad) return;
  documentKind = docSelect.value.split("/")[0];
  body = answer.data.data; revision = answer.data.meta.revision;
  render();
  const coverage = (await api("GET", "/api/v1/metadata/translations/coverage?locale=" + toSelect.value)).data.data[toSelect.value];
  if (ticket !== latestLoad) return;
  const mine = coverage.documents.find((d) => d.unique_id === body.unique_id);
  document.getElementById("t-coverage").textContent = fmt("coverage", {language: toSelect.value,
    percent: mine ? mine.percent : coverage.percent, overall: coverage.percent});
  document.getElementById("t-download").href = "/api/v1/metadata/translations.xlsx?locale=" + toSelect.value;
}

function render() {
  const from = fromSelect.value, to = toSelect.value;
  document.getElementById("t-from-head").textContent = from;
  document.getElementById("t-to-head").textContent = to;
  document.querySelector("#t-table tbody").replaceChildren(...labels(documentKind, body).map(([where, holder, key], index) => {
    const texts = holder[key] || {};
    return el("tr", {class: (texts[to] || "").trim() ? "" : "missing"},
      el("th", {scope: "row"}, el("code", {text: where})),
      el("td", {lang: from, text: texts[from] || ""}),
      el("td", {}, el("input", {lang: to, "data-index": String(index), "aria-label": where + " (" + to + ")", value: texts[to] || ""})));
  }));
}

document.getElementById("t-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const to = toSelect.value;
  const found = labels(documentKind, body);
  document.querySelectorAll("#t-table input[data-index]").forEach((input) => {
    const [, holder, key] = found[Number(input.dataset.index)];
    holder[key] = Object.assign({}, holder[key] || {});
    if (input.value.trim()) holder[key][to] = input.value.trim(); else delete holder[key][to];
  });
  const patch = {};
  for (const key of ["name_i18n", "description_i18n", "help_text_i18n", "fields", "lookup_values_i18n"]) if (body[key]) patch[key] = body[key];
  try {
    const answer = await api("PATCH", "/api/v1/" + docSelect.value, {data: patch}, {"If-Match": '"' + revision + '"'});
    body = answer.data.data; revision = answer.data.meta.revision;
    clearErrors(event.target); flash(T.saved); await loadDocument();
  } catch (error) { showErrors(event.target, error); }
});

document.getElementById("t-upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = document.getElementById("t-file").files[0];
  if (!file) return;
  const response = await fetch("/api/v1/metadata/translations.xlsx?locale=" + toSelect.value, {method: "POST",
    credentials: "same-origin", body: file, headers: {"Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "X-CSRF-Token": await csrfToken(), "Accept-Language": UI_LOCALE}});
  const answer = await response.json();
  if (!response.ok) { showErrors(event.target, new ApiError(response.status, answer)); return; }
  clearErrors(event.target);
  document.getElementById("t-changes").replaceChildren(...answer.data.map((c) => el("li", {},
    el("code", {text: c.row + " " + c.document + " " + [c.field, c.option, c.property].filter(Boolean).join("/")}), " : " + c.from + " → " + c.to)));
  flash(fmt("uploaded", {count: answer.meta.total}));
  await loadDocument();
});

for (const select of [docSelect, fromSelect, toSelect]) select.addEventListener("change", () => loadDocument().catch((e) => flash(String(e), "error")));
loadDocuments().catch((error) => flash(String(error), "error"));
