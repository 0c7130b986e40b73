"use strict";
let lookup = null, revision = null;
const select = document.getElementById("lookup-select");
const ifMatch = () => ({"If-Match": '"' + revision + '"'});

async function loadList() {
  const lookups = (await api("GET", "/api/v1/lookups?draft=true")).data.data;
  select.replaceChildren(...lookups.map((l) => el("option", {value: l.unique_id, text: label(l.name_i18n) + " (" + l.unique_id + ")"})));
  const wanted = new URLSearchParams(location.search).get("id");
  if (wanted) select.value = wanted;
  await loadLookup();
}

async function loadLookup() {
  const answer = await api("GET", "/api/v1/lookups/" + select.value + "?draft=true");
  lookup = answer.data.data; revision = answer.data.meta.revision;
  document.getElementById("lookup-locked").textContent = lookup.locked ? T.locked : "";
  document.getElementById("lock-toggle").textContent = lookup.locked ? T.unlock : T.lock;
  showUnlockPending().catch(() => {});
  document.querySelector("#values tbody").replaceChildren(...lookup.lookup_values_i18n.map((value) => el("tr", {"data-id": value.id},
    el("td", {}, el("code", {text: value.id})),
    el("td", {}, el("input", {"aria-label": value.id + " en", lang: "en", "data-lang": "en", value: value.display_text.en || ""})),
    el("td", {}, el("input", {"aria-label": value.id + " fr", lang: "fr", "data-lang": "fr", value: value.display_text.fr || ""})),
    el("td", {}, el("input", {type: "checkbox", "aria-label": T.disabled + " " + value.id, "data-disabled": "1", checked: !!value.disabled})))));
}

/* A lookup published locked and unlocked in the draft: its values may change only once the unlock is published. */
async function showUnlockPending() {
  const shown = lookup;
  let publishedLocked = false;
  if (!lookup.locked) {
    try {
      publishedLocked = !!(await api("GET", "/api/v1/lookups/" + encodeURIComponent(lookup.unique_id))).data.data.locked;
    } catch (error) { if (error.status !== 404) throw error; }  // a lookup not published yet
  }
  if (shown === lookup) document.getElementById("unlock-pending").hidden = !publishedLocked;
}

document.getElementById("values-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const values = lookup.lookup_values_i18n.map((value) => {
    const row = document.querySelector('#values tr[data-id="' + CSS.escape(value.id) + '"]');
    const texts = Object.assign({}, value.display_text);
    row.querySelectorAll("input[data-lang]").forEach((input) => {
      if (input.value.trim()) texts[input.dataset.lang] = input.value.trim(); else delete texts[input.dataset.lang];
    });
    const changed = Object.assign({}, value, {display_text: texts});
    if (row.querySelector("[data-disabled]").checked) changed.disabled = true; else delete changed.disabled;
    return changed;
  });
  try {
    const answer = await api("PATCH", "/api/v1/lookups/" + lookup.unique_id, {data: {lookup_values_i18n: values}}, ifMatch());
    revision = answer.data.meta.revision; lookup = answer.data.data;
    clearErrors(event.target); flash(T.saved);
  } catch (error) { showErrors(event.target, error); }
});

document.getElementById("new-value-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (id) => document.getElementById(id).value.trim();
  const texts = textsOf("v-en", "v-fr");
  try {
    await api("POST", "/api/v1/lookups/" + lookup.unique_id + "/values", {data: {id: value("v-id"), display_text: texts}}, ifMatch());
    event.target.reset(); clearErrors(event.target); flash(T.saved);
    await loadLookup();
  } catch (error) { showErrors(event.target, error); }
});

document.getElementById("lock-toggle").addEventListener("click", async () => {
  try {
    const answer = await api("PATCH", "/api/v1/lookups/" + lookup.unique_id, {data: {locked: !lookup.locked}}, ifMatch());
    revision = answer.data.meta.revision; await loadLookup(); flash(T.saved);
  } catch (error) { flash(error.body ? error.body.error.details.map((d) => d.message).join(" ") || error.message : String(error), "error"); }
});

document.getElementById("new-lookup-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (id) => document.getElementById(id).value.trim();
  const names = textsOf("l-en", "l-fr");
  try {
    await api("POST", "/api/v1/lookups", {data: {unique_id: value("l-id"), name_i18n: names, lookup_values_i18n: []}});
    history.replaceState(null, "", "?id=" + value("l-id"));
    event.target.reset(); clearErrors(event.target); await loadList(); flash(T.saved);
  } catch (error) { showErrors(event.target, error); }
});

select.addEventListener("change", () => loadLookup().catch((error) => flash(String(error), "error")));
loadList().catch((error) => flash(String(error), "error"));
