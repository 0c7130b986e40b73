/* The one error display: the status area at the top of the page (announced to screen readers). */
import {ApiError} from "./api.js";
import {t} from "./text.js";

/** Say something in the status area ("ok" for a success, "error" for a failure, announced at once). It goes when
 * the screen changes, unless it is said `forNext` screen (a save says "saved" on the record it opens). */
export function flash(message, kind, forNext) {
  const box = document.getElementById("flash");
  box.dataset.keep = forNext ? "next" : "";
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

/** A new screen is drawn: what was said for it stays, what was said on an earlier one goes. */
export function screenChanged() {
  const box = document.getElementById("flash");
  if (box.dataset.keep === "next") box.dataset.keep = "";
  else flash("");
}
