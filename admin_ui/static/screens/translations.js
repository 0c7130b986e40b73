/* Translations: a form's or lookup's texts side by side in two configured languages; the spreadsheet round trip. */
import {api, newestOnly} from "../lib/api.js";
import {el, screenReady} from "../lib/dom.js";
import {clearErrors, flash, showError} from "../lib/errors.js";
import {fmt, label, languageName, t} from "../lib/text.js";

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const docSelect = document.getElementById("t-document");
const fromSelect = document.getElementById("t-from"), toSelect = document.getElementById("t-to");
const sideForm = document.getElementById("t-form"), uploadForm = document.getElementById("t-upload");
const screen = {body: null, revision: null};
const newestDocument = newestOnly(), newestCoverage = newestOnly();  // an older, slower answer never wins

/* Every translatable text of a document, as [where, holder, key] triples pointing into the body. */
function texts(doc) {
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
  const [forms, lookups] = (await Promise.all([api("GET", "/api/v1/forms?draft=true"), api("GET", "/api/v1/lookups?draft=true")]))
    .map((answer) => answer.data.data);
  const option = (kind) => (doc) => el("option", {value: kind + "/" + doc.unique_id, text: label(doc.name_i18n) + " (" + doc.unique_id + ")"});
  docSelect.replaceChildren(el("optgroup", {label: t("forms")}, ...forms.map(option("forms"))),
                            el("optgroup", {label: t("lookups")}, ...lookups.map(option("lookups"))));
  await loadDocument();
}

async function loadDocument() {
  document.querySelector("#t-table tbody").replaceChildren();  // the texts of the document chosen before go at once
  const answer = await newestDocument(api("GET", "/api/v1/" + docSelect.value + "?draft=true"));
  if (!answer) return;
  screen.body = answer.data.data; screen.revision = answer.data.meta.revision;
  render();
  const to = toSelect.value;
  const coverageAnswer = await newestCoverage(api("GET", "/api/v1/metadata/translations/coverage?locale=" + encodeURIComponent(to)));
  if (!coverageAnswer) return;
  const coverage = coverageAnswer.data.data[to];
  const mine = coverage.documents.find((d) => d.unique_id === screen.body.unique_id);
  document.getElementById("t-coverage").textContent = fmt("coverage", {language: to,
    percent: mine ? mine.percent : coverage.percent, overall: coverage.percent});
  document.getElementById("t-download").href = "/api/v1/metadata/translations.xlsx?locale=" + encodeURIComponent(to);
}

function render() {
  const from = fromSelect.value, to = toSelect.value;
  document.getElementById("t-from-head").textContent = languageName(from);
  document.getElementById("t-to-head").textContent = languageName(to);
  document.querySelector("#t-table tbody").replaceChildren(...texts(screen.body).map(([where, holder, key], index) => {
    const map = holder[key] || {};
    return el("tr", {class: (map[to] || "").trim() ? "" : "missing"},
      el("th", {scope: "row"}, el("code", {text: where})),
      el("td", {lang: from, text: map[from] || ""}),
      el("td", {}, el("input", {lang: to, "data-index": String(index), "aria-label": where + " (" + to + ")", value: map[to] || ""})));
  }));
}

sideForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const to = toSelect.value, body = screen.body;
  const found = texts(body);
  sideForm.querySelectorAll("#t-table input[data-index]").forEach((input) => {
    const [, holder, key] = found[Number(input.dataset.index)];
    holder[key] = Object.assign({}, holder[key] || {});
    if (input.value.trim()) holder[key][to] = input.value.trim(); else delete holder[key][to];
  });
  const patch = {};
  for (const key of ["name_i18n", "description_i18n", "help_text_i18n", "fields", "lookup_values_i18n"]) if (body[key]) patch[key] = body[key];
  try {
    const answer = await api("PATCH", "/api/v1/" + docSelect.value, {data: patch}, {"If-Match": '"' + screen.revision + '"'});
    screen.body = answer.data.data; screen.revision = answer.data.meta.revision;
    clearErrors(sideForm); flash(t("saved"));
    await loadDocument();
  } catch (error) { showError(error, sideForm); }
});

uploadForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = document.getElementById("t-file").files[0];
  if (!file) return;
  try {
    const answer = (await api("POST", "/api/v1/metadata/translations.xlsx?locale=" + encodeURIComponent(toSelect.value), file,
                              {"Content-Type": XLSX})).data;
    clearErrors(uploadForm);
    document.getElementById("t-changes").replaceChildren(...answer.data.map((c) => el("li", {},
      el("code", {text: c.row + " " + c.document + " " + [c.field, c.option, c.property].filter(Boolean).join("/")}),
      " : " + c.from + " → " + c.to)));
    flash(fmt("uploaded", {count: answer.meta.total}));
    await loadDocument();
  } catch (error) { showError(error, uploadForm); }
});

for (const select of [docSelect, fromSelect, toSelect]) select.addEventListener("change", () => loadDocument().catch((error) => showError(error)));
screenReady();
loadDocuments().catch((error) => showError(error));
