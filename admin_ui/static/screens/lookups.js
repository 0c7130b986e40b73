/* Lookups: translate and disable values (one column per configured language), add values, lock, create lookups. */
import {api, newestOnly} from "../lib/api.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {clearErrors, flash, showError} from "../lib/errors.js";
import {readTexts} from "../lib/labels.js";
import {store} from "../lib/store.js";
import {fmt, label, t} from "../lib/text.js";

const select = document.getElementById("lookup-select");
const valuesForm = document.getElementById("values-form");
const newValueForm = document.getElementById("new-value-form");
const newLookupForm = document.getElementById("new-lookup-form");
const screen = {lookup: null, revision: null};
const newestLookup = newestOnly();
const ifMatch = () => ({"If-Match": '"' + screen.revision + '"'});
const lookupPath = (suffix) => "/api/v1/lookups/" + encodeURIComponent(screen.lookup.unique_id) + (suffix || "");

async function loadList() {
  const lookups = (await api("GET", "/api/v1/lookups?draft=true")).data.data;
  select.replaceChildren(...lookups.map((l) => el("option", {value: l.unique_id, text: label(l.name_i18n) + " (" + l.unique_id + ")"})));
  const wanted = new URLSearchParams(location.search).get("id");
  if (wanted) select.value = wanted;
  await loadLookup();
}

function valueRow(value) {
  return el("tr", {"data-id": value.id},
    el("td", {}, el("code", {text: value.id})),
    ...store.languages.map(({code}) => el("td", {}, el("input", {"aria-label": value.id + " " + code, lang: code, "data-lang": code,
                                                                  value: value.display_text[code] || ""}))),
    el("td", {}, el("input", {type: "checkbox", "aria-label": t("disabled") + " " + value.id, "data-disabled": "1", checked: !!value.disabled})));
}

async function loadLookup() {
  document.querySelector("#values tbody").replaceChildren();  // the values of the lookup chosen before go at once
  const answer = await newestLookup(api("GET", "/api/v1/lookups/" + encodeURIComponent(select.value) + "?draft=true"));
  if (!answer) return;
  const lookup = screen.lookup = answer.data.data;
  screen.revision = answer.data.meta.revision;
  document.getElementById("lookup-locked").textContent = lookup.locked ? t("locked") : "";
  document.getElementById("lock-toggle").textContent = lookup.locked ? t("unlock") : t("lock");
  showUnlockPending().catch(() => {});
  document.querySelector("#values tbody").replaceChildren(...lookup.lookup_values_i18n.map(valueRow));
  // Where a new value goes: at the end (the default), at the top, or after a value named by its label.
  document.getElementById("v-place").replaceChildren(el("option", {value: "", text: t("at_the_end")}),
    el("option", {value: "0", text: t("at_the_top")}), ...lookup.lookup_values_i18n.map((value, index) => el("option",
      {value: String(index + 1), text: fmt("after_field", {field: label(value.display_text) || value.id})})));
}

/* A lookup published locked and unlocked in the draft: its values may change only once the unlock is published. */
async function showUnlockPending() {
  const shown = screen.lookup;
  let publishedLocked = false;
  if (!shown.locked) {
    try {
      publishedLocked = !!(await api("GET", lookupPath())).data.data.locked;
    } catch (error) { if (error.status !== 404) throw error; }  // a lookup not published yet
  }
  if (shown === screen.lookup) document.getElementById("unlock-pending").hidden = !publishedLocked;
}

valuesForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = screen.lookup.lookup_values_i18n.map((value) => {
    const row = valuesForm.querySelector('tr[data-id="' + CSS.escape(value.id) + '"]');
    const texts = Object.assign({}, value.display_text);  // languages no longer configured keep their texts
    row.querySelectorAll("input[data-lang]").forEach((input) => {
      if (input.value.trim()) texts[input.dataset.lang] = input.value.trim(); else delete texts[input.dataset.lang];
    });
    const changed = Object.assign({}, value, {display_text: texts});
    if (row.querySelector("[data-disabled]").checked) changed.disabled = true; else delete changed.disabled;
    return changed;
  });
  try {
    const answer = await api("PATCH", lookupPath(), {data: {lookup_values_i18n: values}}, ifMatch());
    screen.revision = answer.data.meta.revision; screen.lookup = answer.data.data;
    clearErrors(valuesForm); flash(t("saved"));
  } catch (error) { showError(error, valuesForm); }
});

newValueForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const place = valueOf("v-place");
    await api("POST", lookupPath("/values"), {data: {id: valueOf("v-id"), display_text: readTexts("v-label")},
                                              ...(place === "" ? {} : {position: Number(place)})}, ifMatch());
    newValueForm.reset(); clearErrors(newValueForm); flash(t("saved"));
    await loadLookup();
  } catch (error) { showError(error, newValueForm); }
});

document.getElementById("lock-toggle").addEventListener("click", async () => {
  try {
    const answer = await api("PATCH", lookupPath(), {data: {locked: !screen.lookup.locked}}, ifMatch());
    screen.revision = answer.data.meta.revision;
    await loadLookup(); flash(t("saved"));
  } catch (error) { showError(error); }
});

newLookupForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = valueOf("l-id");
  try {
    await api("POST", "/api/v1/lookups", {data: {unique_id: id, name_i18n: readTexts("l-name"), lookup_values_i18n: []}});
    history.replaceState(null, "", "?id=" + encodeURIComponent(id));
    newLookupForm.reset(); clearErrors(newLookupForm);
    await loadList(); flash(t("saved"));
  } catch (error) { showError(error, newLookupForm); }
});

select.addEventListener("change", () => loadLookup().catch((error) => showError(error)));
screenReady();
loadList().catch((error) => showError(error));
