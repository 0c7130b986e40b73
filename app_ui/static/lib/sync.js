/* Field sync: the changes made on the device go to the server, the server's changes come to the device.
 *
 * Changes wait in the vault's outbox, in the order they were made, each with the id the server recognises it by
 * (sent twice, applied once). A push applies them item by item: created, updated or merged (the record is then the
 * server's), a conflict (kept with both values until the user chooses), or refused (its reason shown with the
 * record, for the user to correct). A pull then brings the records of the user's view after the last token, and
 * tombstones of those that left it. Sync calls carry the device's own credential, so a device an administrator
 * revoked is told so on its next call, and erases what it keeps for its user. */
import {ApiError, api} from "./api.js";
import {entryOf, keep, local, mergeData, mergePatches} from "./local.js";
import {uuid4} from "../render/form.js";

const BATCH = 100;
export const syncing = {running: null, last: null, listeners: new Set(), error: null};

/** Tell the header and the screens that the sync state changed. */
function notify() {
  for (const listener of syncing.listeners) listener();
}

/** How many changes wait to be sent, and how many records need the user (conflicts, refusals). */
export function counts() {
  let pending = 0;
  let attention = 0;
  for (const entry of local.entries.values()) {
    if (entry.state === "pending") pending++;
    if (entry.state === "conflict" || entry.state === "refused") attention++;
  }
  return {pending, attention};
}

/** Register this browser as a device of the user (once; the login just made with the password allows it). */
export async function registerDevice() {
  if (await local.vault.get("device")) return;
  const id = uuid4();
  const name = (navigator.userAgentData && navigator.userAgentData.platform) || navigator.platform || "browser";
  const answer = await api("POST", "/api/v1/devices", {data: {id, name: "Abri — " + name}});
  await local.vault.put("device", {id, credential: answer.data.data.credential, expires_at: answer.data.data.expires_at});
}

/** The credential of the device kept in the vault, for every later call ("Bearer ..."), or null. */
export async function deviceCredential() {
  const device = await local.vault.get("device");
  return device ? "Bearer " + device.credential : null;
}

/** The changes queued for a record, except those in flight. */
async function queued() {
  return local.vault.outbox();
}

/** Keep a record registered here, to be created on the server at the next sync. */
export async function queueCreate(recordType, id, moduleId, data) {
  const now = new Date().toISOString();
  await local.vault.queue({op: "create", record_type: recordType, id, module_id: moduleId, data, change_id: uuid4()});
  await keep([{id, record_type: recordType, record: null, module_id: moduleId, pending: data, state: "pending",
    created_at: now, changed_at: now}]);
  notify();
}

/**
 * Keep changes made here to a record, to be sent at the next sync: merged into a change of the same record that waits
 * (two edits made offline are one change), else a new change on the revision the device holds.
 */
export async function queueUpdate(recordType, id, patch) {
  const entry = entryOf(id);
  // A change being sent is not changed (what the server got must stay what it answers for); one left marked as
  // sending by a push that died is merged into: the next push sends it again anyway.
  const waiting = (await queued()).filter((change) => change.id === id && !(change.sending && syncing.running));
  const last = waiting[waiting.length - 1];
  // A record registered here holds data, not changes: a later edit is merged into them (rows removed, nulls dropped).
  const combine = (base, more) => (entry.record ? mergePatches(base, more) : mergeData(base, more));
  if (last) {
    const merged = last.op === "create" ? mergeData(last.data, patch) : mergePatches(last.data, patch);
    await local.vault.queue(Object.assign({}, last, {data: merged, seq: undefined}), last.seq);
  } else if (!entry.record) {  // registered here and refused: registered again with the corrections
    await local.vault.queue({op: "create", record_type: recordType, id, module_id: entry.module_id,
      data: mergeData(entry.pending || {}, patch), change_id: uuid4()});
  } else {
    await local.vault.queue({op: "update", record_type: recordType, id, change_id: uuid4(),
      base_revision: entry.record.revision, data: patch});
  }
  await keep([Object.assign({}, entry, {pending: combine(entry.pending || {}, patch), state: "pending", error: null,
    changed_at: new Date().toISOString()})]);
  notify();
}

/** Push the outbox, then pull; one sync at a time (a second call waits for the one running). */
export function syncNow() {
  if (!local.vault) return Promise.resolve();
  if (!syncing.running) {
    syncing.running = (async () => {
      try {
        await push();
        await pull();
        await loadConflicts();
        syncing.last = new Date();
        syncing.error = null;
      } catch (error) {
        syncing.error = error;
        if (!(error instanceof ApiError)) console.error(error);
      } finally {
        syncing.running = null;
        notify();
      }
    })();
    notify();
  }
  return syncing.running;
}

async function push() {
  let changes = await queued();
  while (changes.length) {
    const batch = changes.slice(0, BATCH);
    for (const change of batch) await local.vault.queue(Object.assign({}, change, {sending: true, seq: undefined}), change.seq);
    const items = batch.map((change) => {
      const item = {op: change.op, record_type: change.record_type, id: change.id, change_id: change.change_id, data: change.data};
      if (change.op === "create") item.module_id = change.module_id; else item.base_revision = change.base_revision;
      return item;
    });
    const results = (await api("POST", "/api/v1/sync/records", {data: items})).data.data;
    for (let position = 0; position < batch.length; position++) await settle(batch[position], results[position]);
    changes = await queued();
    if (changes.length && changes.every((change) => batch.some((sent) => sent.seq === change.seq))) break;  // nothing moved
  }
}

/** What became of one change: the record as the server has it now, and what is left to send or to resolve. */
async function settle(change, result) {
  await local.vault.unqueue([change.seq]);
  const rest = (await queued()).filter((other) => other.id === change.id);
  const entry = entryOf(change.id) || {id: change.id, record_type: change.record_type, module_id: change.module_id};
  const pending = rest.reduce((merged, other) => mergePatches(merged, other.data), {});
  const updated = Object.assign({}, entry, {pending: rest.length ? pending : null, error: null});
  if (result.record) updated.record = result.record;
  if (["created", "updated", "merged"].includes(result.status)) {
    updated.state = rest.length ? "pending" : "synced";
    for (const other of rest) {  // made on top of this change: now based on the revision it gave
      if (other.op === "update") await local.vault.queue(Object.assign({}, other, {base_revision: result.revision, seq: undefined}), other.seq);
    }
  } else if (result.status === "conflict") {
    updated.state = "conflict";
    updated.conflict = result.conflict;
  } else {
    updated.state = "refused";
    updated.error = result.error || null;
    updated.pending = mergePatches(change.data, pending);  // kept for the user to correct, never dropped
  }
  await keep([updated]);
}

async function pull() {
  let token = (await local.vault.get("sync") || {}).token;
  let received = null;
  for (;;) {
    const query = token ? "?per_page=200&token=" + encodeURIComponent(token) : "?per_page=200";
    const answer = (await api("GET", "/api/v1/sync/records" + query)).data;
    if (answer.meta.reset && !received) received = new Set();
    const kept = [];
    const dropped = [];
    for (const item of answer.data) {
      const entry = entryOf(item.id);
      if (received) received.add(item.id);
      if (item.deleted) {
        if (entry && !entry.pending) dropped.push(item.id);
        continue;
      }
      kept.push(Object.assign({}, entry || {id: item.id, record_type: item.record_type, state: "synced"},
        {record: item.record, module_id: item.record.module_id, attachments: item.attachments || []}));
    }
    await keep(kept, dropped);
    token = answer.meta.next_token;
    await local.vault.put("sync", {token});
    if (!answer.meta.more) break;
  }
  if (received) {  // the user's view changed: what the pull did not send has left it
    const gone = [...local.entries.values()].filter((entry) => !received.has(entry.id) && !entry.pending).map((entry) => entry.id);
    await keep([], gone);
  }
}

/** The open conflicts of the records kept here, attached to their entries. */
async function loadConflicts() {
  const conflicts = (await api("GET", "/api/v1/sync/conflicts")).data.data;
  const open = new Map(conflicts.map((conflict) => [conflict.record_id, conflict]));
  const changed = [];
  for (const entry of local.entries.values()) {
    const conflict = open.get(entry.id);
    if (conflict && (entry.state !== "conflict" || !entry.conflict || entry.conflict.id !== conflict.id)) {
      changed.push(Object.assign({}, entry, {state: "conflict", conflict}));
    } else if (!conflict && entry.state === "conflict") {
      changed.push(Object.assign({}, entry, {state: entry.pending ? "pending" : "synced", conflict: null}));
    }
  }
  if (changed.length) await keep(changed);
}

/** Resolve a conflict with the values the user chose; the record is the server's afterwards. */
export async function resolveConflict(entry, values) {
  await api("POST", `/api/v1/sync/conflicts/${entry.conflict.id}/resolve`, {data: {revision: entry.record.revision, values}});
  const fresh = (await api("GET", `/api/v1/${routeOf(entry.record_type)}/${entry.id}`)).data.data;
  await keep([Object.assign({}, entry, {record: fresh, state: entry.pending ? "pending" : "synced", conflict: null})]);
  notify();
}

function routeOf(recordType) {
  return {case: "cases", incident: "incidents", tracing_request: "tracing_requests"}[recordType];
}
