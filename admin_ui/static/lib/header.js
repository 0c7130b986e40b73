/* The page header: who is logged in, and logging out. */
import {api, forgetSession} from "./api.js";
import {showError} from "./errors.js";

async function showUser() {
  const me = (await api("GET", "/api/v1/users/current")).data.data;
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

showUser().catch(() => {});  // not logged in: the screen's own calls lead to the login page
