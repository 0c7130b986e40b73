"use strict";
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const answer = await api("POST", "/api/v1/sessions", {user_name: form.user_name.value, password: form.password.value});
    sessionStorage.setItem("abri-csrf", answer.data.data.csrf_token);
    const next = new URLSearchParams(location.search).get("next");
    const target = next && next.startsWith("/admin") ? next : "/admin/";
    // The interface language the user chose in their account wins over the deployment's (and this browser's).
    const me = (await api("GET", "/api/v1/users/current")).data.data;
    location.href = me.locale && me.locale !== UI_LOCALE
      ? "/admin/language/" + encodeURIComponent(me.locale) + "?next=" + encodeURIComponent(target) : target;
  } catch (error) {
    showErrors(form, error);
  }
});
