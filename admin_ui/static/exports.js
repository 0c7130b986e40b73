"use strict";
let timer = null;

async function loadExports() {
  const jobs = (await api("GET", "/api/v1/exports?per_page=50")).data.data;
  document.querySelector("#exports tbody").replaceChildren(...jobs.map((job) => el("tr", {"data-id": job.id},
    el("td", {text: new Date(job.created_at).toLocaleString(UI_LOCALE)}),
    el("td", {text: job.record_type}), el("td", {text: job.format + (job.encrypted ? " 🔒" : "")}),
    el("td", {}, el("progress", {max: "100", value: String(job.percent), "aria-label": job.percent + "%"}),
      " " + (T["status_" + job.status] || job.status) + (job.total !== null ? " (" + job.rows_done + "/" + job.total + ")" : ""),
      job.errors.length ? el("span", {class: "error", text: " " + job.errors.join(" ")}) : null),
    el("td", {}, job.status === "complete" ? el("a", {href: "/api/v1/exports/" + job.id + "/file", text: T.download}) : null))));
  const busy = jobs.some((job) => job.status === "queued" || job.status === "running");
  clearTimeout(timer);
  if (busy) timer = setTimeout(() => loadExports().catch(() => {}), 1500);
}

document.getElementById("export-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (id) => document.getElementById(id).value;
  const data = {record_type: value("e-type"), format: value("e-format"), locale: value("e-locale")};
  if (document.getElementById("e-disabled").checked) data.include_disabled = true;
  if (value("e-password")) data.password = value("e-password");
  try {
    await api("POST", "/api/v1/exports", {data: data});
    clearErrors(event.target); document.getElementById("e-password").value = "";
    await loadExports();
  } catch (error) { showErrors(event.target, error); }
});

loadExports().catch((error) => flash(String(error), "error"));
