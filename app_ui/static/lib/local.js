/* The records kept on the device: the user's view as the last sync pulled it, with the changes made here that the
 * server has not confirmed yet, decrypted into memory when the vault opens and searched there (no round trip, and
 * the same search offline). Each entry: {id, record_type, record (the server's copy, null for a record registered
 * offline), pending (the changes made here, merged as the server merges), module_id, state (synced, pending,
 * conflict, refused), conflict, error}. Every change is written to the vault before it is shown. */
import {session} from "./store.js";

export const local = {vault: null, entries: new Map(), words: new Map(), searchable: new Map(), newest: null};
const ROW_ID = "unique_id";

/** A text as the search compares it: lower case, without accents. */
export function folded(text) {
  return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

/** Merge a patch into data as the server does: top-level fields replaced (null clears), subform rows by unique_id. */
export function mergeData(stored, patch) {
  const merged = JSON.parse(JSON.stringify(stored || {}));
  for (const [name, value] of Object.entries(patch || {})) {
    if (value === null) delete merged[name];
    else if (Array.isArray(value) && value.every((row) => row && typeof row === "object" && !Array.isArray(row) && ROW_ID in row)) {
      merged[name] = mergeRows(Array.isArray(merged[name]) ? merged[name] : [], value);
    } else merged[name] = JSON.parse(JSON.stringify(value));
  }
  return merged;
}

function mergeRows(stored, patch) {
  const rows = stored.map((row) => Object.assign({}, row));
  for (const row of patch) {
    const at = rows.findIndex((candidate) => candidate[ROW_ID] === row[ROW_ID]);
    if (row._destroy === true) { if (at >= 0) rows.splice(at, 1); continue; }
    if (at < 0) { rows.push(Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null))); continue; }
    for (const [key, value] of Object.entries(row)) if (value === null) delete rows[at][key]; else rows[at][key] = value;
  }
  return rows;
}

/** Merge a later patch into an earlier one (two edits made here before either reached the server). */
export function mergePatches(first, second) {
  const merged = Object.assign({}, first);
  for (const [name, value] of Object.entries(second)) {
    if (Array.isArray(value) && Array.isArray(merged[name])) {
      const rows = merged[name].map((row) => Object.assign({}, row));
      for (const row of value) {
        const at = rows.findIndex((candidate) => candidate[ROW_ID] === row[ROW_ID]);
        if (at < 0) rows.push(row); else if (row._destroy) rows[at] = row; else Object.assign(rows[at], row);
      }
      merged[name] = rows;
    } else merged[name] = value;
  }
  return merged;
}

/** The record as the user sees it on this device: the server's copy with the changes made here. */
export function shown(entry) {
  const base = entry.record || {id: entry.id, short_id: entry.id.slice(0, 7), module_id: entry.module_id, status: "open",
    record_state: true, owned_by: session.user ? session.user.user_name : "", created_at: entry.created_at,
    last_updated_at: entry.created_at, last_updated_by: session.user ? session.user.user_name : "", revision: 0, data: {}, flags: []};
  return Object.assign({}, base, {data: entry.pending ? mergeData(base.data, entry.pending) : base.data,
    sync_state: entry.state, last_updated_at: entry.changed_at || base.last_updated_at});
}

/** The names of the searchable fields of a record type (the forms mark them). */
function searchableFields(recordType) {
  if (!local.searchable.has(recordType)) {
    const names = new Set();
    for (const form of session.catalog.forms.values()) {
      if (form.parent_form !== recordType) continue;
      for (const field of form.fields || []) if (field.searchable) names.add(field.name);
    }
    local.searchable.set(recordType, [...names]);
  }
  return local.searchable.get(recordType);
}

/** Index one entry for search: the words of its searchable fields and of its numbers. */
function index(entry) {
  const record = shown(entry);
  const texts = [record.short_id, record.case_id_display, record.incident_id_display, record.tracing_request_id_display,
    ...searchableFields(entry.record_type).map((name) => record.data[name])];
  const words = new Set();
  for (const text of texts) {
    if (typeof text !== "string" && typeof text !== "number") continue;
    for (const word of folded(text).split(/[^\p{L}\p{N}]+/u)) if (word) words.add(word);
  }
  local.words.set(entry.id, {id: entry.id, type: entry.record_type, words: [...words], record,
    at: Date.parse(record.last_updated_at) || 0});
  local.newest = null;
}

/** The indexed records, newest change first (sorted once after a change, not at every search). */
function newestFirst() {
  if (!local.newest) {
    local.newest = [...local.words.values()].sort((a, b) => b.at - a.at);  // numbers: a fast comparison
  }
  return local.newest;
}

/** Open the records of an unlocked vault (decrypting them all once). */
export async function openLocal(vault) {
  local.vault = vault;
  local.entries = new Map();
  local.words = new Map();
  local.searchable = new Map();
  local.newest = null;
  for (const entry of await vault.records()) {
    local.entries.set(entry.id, entry);
    index(entry);
  }
}

export function closeLocal() {
  if (local.vault) local.vault.close();
  local.vault = null;
  local.entries = new Map();
  local.words = new Map();
  local.newest = null;
}

/** Keep entries (written to the vault first), re-indexed. */
export async function keep(entries, dropped) {
  await local.vault.saveRecords(entries, dropped);
  for (const entry of entries) {
    local.entries.set(entry.id, entry);
    index(entry);
  }
  for (const id of dropped || []) {
    local.entries.delete(id);
    local.words.delete(id);
  }
  local.newest = null;
}

/**
 * The records of a type that match a search, newest change first: words that must each begin a word of a
 * searchable field (or the record's number), and the list's filters {status, stage, owned_by, flagged}.
 */
export function search(recordType, filters) {
  const terms = folded(filters.query || "").split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const found = [];
  for (const indexed of newestFirst()) {
    if (indexed.type !== recordType) continue;
    const record = indexed.record;
    if (filters.status && record.status !== filters.status) continue;
    if (filters.stage && record.stage !== filters.stage) continue;
    if (filters.owned_by && record.owned_by !== filters.owned_by) continue;
    if (filters.flagged && !(record.flags || []).some((flag) => !flag.removed)) continue;
    if (terms.length && !terms.every((term) => indexed.words.some((word) => word.startsWith(term)))) continue;
    found.push(record);
  }
  return found;
}

/** The entry of a record kept here, or undefined. */
export function entryOf(id) {
  return local.entries.get(id);
}
