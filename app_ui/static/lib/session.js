/* Opening a session: who is signed in and the bundle of their device. */
import {loadBundle} from "./bundle.js";
import {session} from "./store.js";

/** Open the session of the user signed in: who they are and their bundle. */
export async function openSession(user) {
  session.user = user;
  session.bundle = await loadBundle();
  document.getElementById("who").textContent = user.full_name || user.user_name;
  document.getElementById("logout").hidden = false;
  for (const link of document.querySelectorAll("[data-needs]")) {
    const [recordType, action] = link.dataset.needs.split(":");
    link.hidden = !(session.bundle.permissions.records[recordType] || {actions: []}).actions.includes(action);
  }
}

