/* Exports: start one (record type, format, language of its labels, identifying fields kept, hashed or left out,
 * optional password) and follow its progress. */
import {api} from "../lib/api.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {clearErrors, showError} from "../lib/errors.js";
import {store} from "../lib/store.js";
import {t} from "../lib/text.js";

const exportForm = document.getElementById("export-form");
const screen = {timer: null};  // the next look at unfinished jobs

async function loadExports() {
  const jobs = (await api("GET", "/api/v1/exports?per_page=50")).data.data;
  document.querySelector("#exports tbody").replaceChildren(...jobs.map((job) => el("tr", {"data-id": job.id},
    el("td", {text: new Date(job.created_at).toLocaleString(store.locale)}),
    el("td", {text: job.record_type}), el("td", {text: job.format + (job.encrypted ? " 🔒" : "")}),
    el("td", {}, el("progress", {max: "100", value: String(job.percent), "aria-label": job.percent + "%"}),
      " " + t("status_" + job.status, job.status) + (job.total !== null ? " (" + job.rows_done + "/" + job.total + ")" : ""),
      job.errors.length ? el("span", {class: "error", text: " " + job.errors.join(" ")}) : null),
    el("td", {}, job.status === "complete" ? el("a", {href: "/api/v1/exports/" + job.id + "/file", text: t("download")}) : null))));
  const busy = jobs.some((job) => job.status === "queued" || job.status === "running");
  clearTimeout(screen.timer);
  if (busy) screen.timer = setTimeout(() => loadExports().catch(() => {}), 1500);
}

exportForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = {record_type: valueOf("e-type"), format: valueOf("e-format"), locale: valueOf("e-locale")};
  if (document.getElementById("e-disabled").checked) data.include_disabled = true;
  if (valueOf("e-identifying")) data.identifying = valueOf("e-identifying");
  if (valueOf("e-password", true)) data.password = valueOf("e-password", true);
  try {
    await api("POST", "/api/v1/exports", {data: data});
    clearErrors(exportForm);
    document.getElementById("e-password").value = "";
    await loadExports();
  } catch (error) { showError(error, exportForm); }
});

screenReady();
loadExports().catch((error) => showError(error));
