/* Records as the screens read and write them, online or not.
 *
 * Lists and searches read the records kept on the device (the user's view, as synced). A record is read from the
 * server when it answers (the freshest copy, kept), else from the device. A new record or a change is sent at once
 * when the server answers, so its checks and the duplicate warning come at once; when it does not, the change is
 * kept and queued for the next sync, and the user goes on working. */
import {ApiError, api} from "./api.js";
import {entryOf, keep, local, search, shown} from "./local.js";
import {queueCreate, queueUpdate, syncNow} from "./sync.js";

/** Whether a failure is the server not answering (offline, server down), as opposed to an answer. */
export function unreachable(error) {
  return error instanceof ApiError && error.status === 0;
}

/** Whether a write that failed is to be kept and sent later: no answer, or a session that ended meanwhile. */
function keepForLater(error) {
  return unreachable(error) || (error instanceof ApiError && error.status === 401 && error.code !== "DEVICE_REVOKED");
}

/** The records of a type matching the list's filters, from the device. */
export function listRecords(recordType, filters) {
  return search(recordType, filters);
}

/** A record: the server's copy when it answers (kept on the device), else the device's. Null: not found. */
export async function readRecord(route, recordType, id) {
  const entry = entryOf(id);
  try {
    const record = (await api("GET", `/api/v1/${route}/${encodeURIComponent(id)}`)).data.data;
    if (local.vault) {
      const fresh = Object.assign({}, entry || {id: record.id, record_type: recordType, state: "synced"},
        {record, module_id: record.module_id});
      if (!entry || !entry.record || entry.record.revision <= record.revision) await keep([fresh]);
      return shown(fresh);
    }
    return record;
  } catch (error) {
    // Offline, or registered here and not yet on the server: the device's copy.
    if (entry && (unreachable(error) || (error.status === 404 && !entry.record))) return shown(entry);
    throw error;
  }
}

/** Register a record: sent now, or kept and queued when the server does not answer. Returns "sent" or "queued". */
export async function createRecord(route, recordType, id, moduleId, data) {
  try {
    const record = (await api("POST", `/api/v1/${route}`, {id, module_id: moduleId, data})).data.data;
    if (local.vault) await keep([{id, record_type: recordType, record, module_id: moduleId, state: "synced"}]);
    return "sent";
  } catch (error) {
    if (!keepForLater(error) || !local.vault) throw error;
    await queueCreate(recordType, id, moduleId, data);
    return "queued";
  }
}

/**
 * Change a record: sent now on the revision read (If-Match), or kept and queued when the server does not answer or
 * when changes of the record already wait (they go first, in order). Returns "sent" or "queued".
 */
export async function updateRecord(route, recordType, record, patch) {
  const entry = entryOf(record.id);
  if (local.vault && entry && (entry.pending || entry.state !== "synced")) {
    await queueUpdate(recordType, record.id, patch);
    syncNow();
    return "queued";
  }
  try {
    const updated = (await api("PATCH", `/api/v1/${route}/${record.id}`, {data: patch}, {"If-Match": `"${record.revision}"`})).data.data;
    if (local.vault) await keep([Object.assign({}, entry || {id: record.id, record_type: recordType}, {record: updated, state: "synced"})]);
    return "sent";
  } catch (error) {
    if (!keepForLater(error) || !local.vault || !entry) throw error;
    await queueUpdate(recordType, record.id, patch);
    return "queued";
  }
}
