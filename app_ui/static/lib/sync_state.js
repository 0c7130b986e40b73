/* The sync state in the header: online or offline, a sync running, changes waiting, records that need the user. */
import {session} from "./store.js";
import {counts, syncing} from "./sync.js";
import {fmt, t} from "./text.js";

/** Show the connection and what waits to be synced. */
export function showSyncState() {
  const online = session.online && navigator.onLine;
  const state = document.getElementById("sync-state");
  const button = document.getElementById("sync-now");
  const parts = [online ? t("online") : t("offline")];
  if (session.user) {
    const {pending, attention} = counts();
    if (syncing.running) parts.push(t("syncing"));
    else if (pending) parts.push(fmt("changes_waiting", {count: pending}));
    if (attention) parts.push(fmt("records_need_you", {count: attention}));
  }
  state.textContent = parts.join(" · ");
  state.className = online ? "online" : "offline";
  button.hidden = !session.user || !online;
  button.disabled = Boolean(syncing.running);
}
