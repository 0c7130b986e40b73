/* The case worker app: the header, the language, the sync, and the screen the address names.
 *
 * Addresses are fragments (#/cases/<id>), so that the one shell works offline. Each screen module exports
 * show(view, params, current) and draws into the view; the router ignores a screen that a newer one replaced.
 * The app opens on the sign-in screen: the password opens the device's vault (see lib/session.js).
 */
import {api, hooks} from "./lib/api.js";
import {flash, screenChanged} from "./lib/errors.js";
import {route} from "./lib/router.js";
import {local} from "./lib/local.js";
import {refreshBundle, signOut} from "./lib/session.js";
import {onLocale, session, store, useLocale} from "./lib/store.js";
import {syncNow, syncing} from "./lib/sync.js";
import {showSyncState} from "./lib/sync_state.js";
import {t} from "./lib/text.js";

const SCREENS = {
  home: () => import("./screens/home.js"),
  login: () => import("./screens/login.js"),
  list: () => import("./screens/list.js"),
  record: () => import("./screens/record.js"),
  history: () => import("./screens/history.js"),
};
const SYNC_EVERY = 5 * 60 * 1000;  // ms: changes made elsewhere come in while the app is open
// ms: while the server is out of reach, how often the app tries it again. The browser's "online" event is not enough:
// a tablet on an office's wifi whose uplink is down is "online" all along, and never told when the server comes back.
const RETRY_EVERY = 10 * 1000;

let shown = 0;

/** Draw the screen of the current address (the sign-in screen while nobody is signed in). */
async function render() {
  const ticket = ++shown;
  const view = document.getElementById("view");
  let {screen, params} = route(location.hash);
  if (!session.user && screen !== "login") {
    params = {next: location.hash};
    screen = "login";
  }
  showHeader();
  const module = await SCREENS[screen]();
  if (ticket !== shown) return;
  view.replaceChildren();
  screenChanged();
  view.setAttribute("aria-busy", "true");
  try {
    await module.show(view, params, () => ticket === shown);
  } catch (error) {
    if (ticket === shown) {
      console.error(error);
      flash(t("unexpected"), "error");
    }
  } finally {
    view.removeAttribute("aria-busy");
  }
  if (ticket === shown) {
    const heading = view.querySelector("h1");
    if (heading) {
      document.title = heading.textContent + " · Abri";
      heading.setAttribute("tabindex", "-1");
      heading.focus({preventScroll: true});
    }
  }
}

/** The header's texts in the interface language, and what the signed-in user may open. */
function showHeader() {
  for (const node of document.querySelectorAll("[data-text]")) node.textContent = t(node.dataset.text);
  document.getElementById("nav").setAttribute("aria-label", t("main_nav"));
  document.getElementById("nav").hidden = !session.user;
  document.getElementById("logout").hidden = !session.user;
  document.getElementById("who").textContent = session.user ? session.user.full_name || session.user.user_name : "";
  for (const button of document.querySelectorAll("[data-locale]")) {
    if (button.dataset.locale === store.locale) button.setAttribute("aria-current", "true"); else button.removeAttribute("aria-current");
  }
  if (session.user && session.bundle) {
    for (const link of document.querySelectorAll("[data-needs]")) {
      const [recordType, action] = link.dataset.needs.split(":");
      link.hidden = !(session.bundle.permissions.records[recordType] || {actions: []}).actions.includes(action);
    }
  }
  showSyncState();
}

/** Change the interface language: at once here, then for the account and this browser when the server answers. */
async function changeLanguage(code) {
  if (!useLocale(code)) return;
  fetch("/app/language/" + encodeURIComponent(code), {redirect: "manual", credentials: "same-origin"}).catch(() => {});
  if (session.user) {
    session.user = Object.assign({}, session.user, {locale: code});
    let sent = false;
    try {
      await api("PATCH", "/api/v1/users/current", {data: {locale: code}});
      sent = true;
      await refreshBundle();  // labels of forms and options in the new language
    } catch (error) { /* offline: sent, and the labels changed, at the next sign-in with a connection */ }
    if (local.vault) await local.vault.put("user", Object.assign({}, session.user, {locale_pending: !sent}));
  }
  render();
}

function start() {
  hooks.onSessionEnded = () => flash(t("session_ended"), "error");
  hooks.onReachable = (reachable) => {
    const was = session.online;
    session.online = reachable;
    if (reachable && !was && session.user) syncNow();
    showSyncState();
  };
  window.addEventListener("online", () => { session.online = true; if (session.user) syncNow(); showSyncState(); });
  window.addEventListener("offline", () => { session.online = false; showSyncState(); });
  setInterval(() => { if (session.user && navigator.onLine) syncNow(); }, SYNC_EVERY);
  setInterval(() => { if (session.user && !session.online && navigator.onLine) syncNow(); }, RETRY_EVERY);
  syncing.listeners.add(showSyncState);
  document.getElementById("sync-now").addEventListener("click", () => syncNow());
  document.getElementById("logout").addEventListener("click", async () => {
    await signOut();
    location.hash = "#/login";
    render();
  });
  for (const button of document.querySelectorAll("[data-locale]")) {
    button.addEventListener("click", () => changeLanguage(button.dataset.locale));
  }
  onLocale(() => showHeader());
  window.addEventListener("hashchange", render);
  window.addEventListener("abri:render", render);
  render();
}

if ("serviceWorker" in navigator && window.isSecureContext) {
  navigator.serviceWorker.register("/app/sw.js", {scope: "/app/"}).catch((error) => console.warn(error));
}

start();
