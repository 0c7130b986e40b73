/* The one error display: the status area at the top of the page (announced to screen readers). */
import {ApiError} from "./api.js";
import {t} from "./text.js";

/** Say something in the status area ("ok" for a success, "error" for a failure, announced at once). */
export function flash(message, kind) {
  const box = document.getElementById("flash");
  box.setAttribute("aria-live", kind === "error" ? "assertive" : "polite");
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = message || "";
  box.className = message ? kind || "ok" : "";
}

/** Show a failure: an ApiError's message and its details that no field shows, any other error as a generic text. */
export function showError(error, unplaced) {
  if (!(error instanceof ApiError)) {
    console.error(error);  // a fault of the page itself: the console keeps what a developer needs
    flash(t("unexpected"), "error");
    return;
  }
  const details = unplaced === undefined ? error.details : unplaced;
  flash([error.message, ...details.map((detail) => detail.message)].join(" "), "error");
}
