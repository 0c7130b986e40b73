/* The page header: who is logged in, the pages their role opens, logging out; then the screen, if the role opens it.
 * On the landing page (/admin/), a role that does not open it goes to the first page it does open; on any other
 * page it does not open, the calm "not part of your role" message replaces the screen, whose module is never run. */
import {api, forgetSession} from "./api.js";
import {showError} from "./errors.js";
import {loadScreen, opens, showNavigation, showNotAllowed} from "./nav.js";

function showUser(me) {
  document.getElementById("who").textContent = me.full_name || me.user_name;
  const logout = document.getElementById("logout");
  logout.hidden = false;
  logout.addEventListener("click", async () => {
    try {
      await api("DELETE", "/api/v1/sessions/current");
      forgetSession();
      location.href = "/admin/login";
    } catch (error) { showError(error); }
  });
}

async function start() {
  let me;
  try {
    me = (await api("GET", "/api/v1/users/current")).data.data;
  } catch (error) {
    // 401: api() is taking the browser to the login page. Otherwise the screen shows what fails, its own way.
    if (error.status !== 401) await loadScreen();
    return;
  }
  showUser(me);
  const links = showNavigation(me.permissions);
  if (opens(document.body.dataset.needs, me.permissions)) {
    await loadScreen();
  } else if (document.body.dataset.page === "dashboard" && links.length) {
    location.replace(links[0].href);
  } else {
    showNotAllowed(links);
  }
}

start().catch((error) => showError(error));
