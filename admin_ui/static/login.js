"use strict";
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  try {
    const answer = await api("POST", "/api/v1/sessions", {user_name: form.user_name.value, password: form.password.value});
    sessionStorage.setItem("abri-csrf", answer.data.data.csrf_token);
    const next = new URLSearchParams(location.search).get("next");
    location.href = next && next.startsWith("/admin") ? next : "/admin/";
  } catch (error) {
    showErrors(form, error);
  }
});
