/* What bench_app.py runs inside the case worker app's page (served as /app/static/bench_app.js, so that the app's own
 * modules are the ones imported, with the shell's page settings). Every figure is a list of milliseconds. */
import {keep, local, openLocal, search} from "./lib/local.js";
import {session} from "./lib/store.js";
import {Vault} from "./lib/vault.js";
import {words} from "./lib/words.js";
import {formGroups, makeCatalog, writable} from "./render/catalog.js";
import {Editor} from "./render/form.js";

const state = {forms: [], entries: [], vault: null};

/** Index the case worker's bundle as the app does at sign-in; the case forms the register screen draws. */
export function indexBundle(bundle) {
  document.getElementById("view").replaceChildren();  // the sign-in screen: nothing else is laid out
  session.bundle = bundle;
  session.catalog = makeCatalog(bundle);
  state.forms = formGroups(session.catalog, "case").flatMap((group) => group.forms);
  return {forms: state.forms.length, fields: state.forms.reduce((sum, form) => sum + (form.fields || []).length, 0)};
}

/** Draw every case form for registration (one editor, as the register screen), append it, lay out: `repeat` times.
 * `shown`: "all" lays out every form; "first" hides all but the first, as the register screen opens. */
export function drawForms(repeat, shown) {
  const catalog = session.catalog;
  const view = document.getElementById("view");
  const build = [], total = [];
  let fields = 0, elements = 0;
  for (let run = 0; run < repeat; run++) {
    const started = performance.now();
    const editor = new Editor({catalog, words, stored: {}, attachments: null, uploads: false});
    const pane = document.createElement("div");
    state.forms.forEach((form, index) => {
      const section = editor.section(form, writable(catalog, form));
      section.hidden = shown === "first" && index > 0;
      pane.append(section);
    });
    const built = performance.now();
    view.append(pane);
    void document.body.offsetHeight;
    const ended = performance.now();
    build.push(built - started);
    total.push(ended - started);
    fields = editor.entries.length;
    elements = pane.getElementsByTagName("*").length;
    pane.remove();
  }
  return {build, total, fields, elements};
}

/** The baseline: `count` bare <label><input> pairs made with createElement, appended, laid out. */
export function drawPairs(repeat, count) {
  const view = document.getElementById("view");
  const total = [];
  for (let run = 0; run < repeat; run++) {
    const started = performance.now();
    const pane = document.createElement("div");
    for (let index = 0; index < count; index++) {
      const label = document.createElement("label");
      label.htmlFor = "pair-" + index;
      label.textContent = "Champ " + index;
      const input = document.createElement("input");
      input.id = "pair-" + index;
      pane.append(label, input);
    }
    view.append(pane);
    void document.body.offsetHeight;
    total.push(performance.now() - started);
    pane.remove();
  }
  return {total};
}

/** The device's entries of the synced records, as openLocal finds them in the vault. */
export function useRecords(records) {
  state.entries = records.map((record) => ({id: record.id, record_type: "case", record, module_id: record.module_id,
    state: "synced"}));
  return state.entries.length;
}

/** keep() of every entry into an empty store, its vault a stub that writes nothing: the indexing alone. */
export async function indexRecords(repeat) {
  const times = [];
  for (let run = 0; run < repeat; run++) {
    const stub = {saveRecords: async () => {}};
    Object.assign(local, {vault: stub, entries: new Map(), words: new Map(), searchable: new Map(), newest: null});
    const started = performance.now();
    await keep(state.entries);
    times.push(performance.now() - started);
  }
  return times;
}

/** A real vault (IndexedDB, AES-GCM) holding every entry; made once (the key derivation is slow on purpose). */
export async function fillVault(userName, password) {
  state.vault = await Vault.open(userName, password, true);
  await state.vault.clearRecords();
  for (let at = 0; at < state.entries.length; at += 1000) {
    await state.vault.saveRecords(state.entries.slice(at, at + 1000));
  }
}

/** openLocal() on the real vault: what unlocking costs (every record read, decrypted and indexed). */
export async function unlock(repeat) {
  const times = [];
  for (let run = 0; run < repeat; run++) {
    const started = performance.now();
    await openLocal(state.vault);
    times.push(performance.now() - started);
  }
  return times;
}

/**
 * search() of the list screen for `filters`, `repeat` times (after a warm-up); and what it found. `changed`: each
 * time as the first search after a change (a sync, a save), which sorts the records again, newest first.
 */
export function searchCases(filters, repeat, changed) {
  const found = search("case", filters).length;
  const times = [];
  for (let run = 0; run < repeat; run++) {
    if (changed) local.newest = null;
    const started = performance.now();
    search("case", filters);
    times.push(performance.now() - started);
  }
  return {times, found};
}

/** The baseline: String.prototype.includes of the query over each record's "first last" name, lower case; each
 * time is the mean of `passes` loops (one loop is near the clock's resolution). */
export function scanNames(query, repeat, passes) {
  const names = state.entries.map(({record}) => [record.data.name_first, record.data.name_last].join(" ")
    .toLowerCase());
  const needle = query.toLowerCase();
  const times = [];
  let found = 0;
  for (let run = 0; run < repeat; run++) {
    const started = performance.now();
    for (let pass = 0; pass < passes; pass++) {
      found = 0;
      for (const name of names) if (name.includes(needle)) found++;
    }
    times.push((performance.now() - started) / passes);
  }
  return {times, found};
}
