/* The connection state in the header: online, or offline (what the user does then is kept on the device). */
import {session} from "./store.js";
import {t} from "./text.js";

/** Show whether the server answers. */
export function showSyncState() {
  const online = session.online && navigator.onLine;
  const state = document.getElementById("sync-state");
  state.textContent = online ? t("online") : t("offline");
  state.className = online ? "online" : "offline";
}
