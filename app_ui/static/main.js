/* The case worker app: who is signed in, the bundle their device holds, and the screen the address names.
 *
 * Addresses are fragments (#/cases/<id>), so that the one shell works offline. Each screen module exports
 * show(view, params) and draws into the view; the router waits for the one it started and ignores older ones.
 */
import {api, hooks} from "./lib/api.js";
import {go, route} from "./lib/router.js";
import {openSession} from "./lib/session.js";
import {flash} from "./lib/errors.js";
import {session, store} from "./lib/store.js";
import {t} from "./lib/text.js";
import {showSyncState} from "./lib/sync_state.js";

const SCREENS = {
  home: () => import("./screens/home.js"),
  login: () => import("./screens/login.js"),
  list: () => import("./screens/list.js"),
  record: () => import("./screens/record.js"),
  history: () => import("./screens/history.js"),
};
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
  document.getElementById("nav").hidden = !session.user;
  const module = await SCREENS[screen]();
  if (ticket !== shown) return;
  view.replaceChildren();
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

async function start() {
  hooks.onSessionEnded = () => {
    session.user = null;
    go("#/login?next=" + encodeURIComponent(location.hash));
  };
  hooks.onReachable = (reachable) => {
    session.online = reachable;
    showSyncState();
  };
  window.addEventListener("online", () => showSyncState());
  window.addEventListener("offline", () => { session.online = false; showSyncState(); });
  document.getElementById("logout").addEventListener("click", async () => {
    try { await api("DELETE", "/api/v1/sessions/current"); } catch (error) { /* signed out here all the same */ }
    session.user = null;
    document.getElementById("logout").hidden = true;
    document.getElementById("who").textContent = "";
    go("#/login");
  });
  try {
    const me = (await api("GET", "/api/v1/users/current")).data.data;
    await openSession(me);
  } catch (error) {
    session.user = null;  // not signed in (or offline): the sign-in screen
  }
  window.addEventListener("hashchange", render);
  window.addEventListener("abri:render", render);
  showSyncState();
  await render();
}

if ("serviceWorker" in navigator && location.protocol !== "file:") {
  navigator.serviceWorker.register("/app/sw.js", {scope: "/app/"}).catch((error) => console.warn(error));
}

document.documentElement.dataset.locale = store.locale;
start();
