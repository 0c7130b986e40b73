/* The one error display. Every failure of a screen goes through showError(): the message in the status area at the
 * top of the page (announced to screen readers), and, for a form, each detail next to the control it names (marked
 * aria-invalid, described by it, the first one focused) or in the form's general slot. Messages are the server's,
 * in the interface language; a failure without an answer gets the catalog's text in that language too. */
import {ApiError} from "./api.js";
import {t} from "./text.js";

const GENERAL = "_form";
let slotIds = 0;

/** Say something in the status area ("ok" for a success, "error" for a failure, announced at once). */
export function flash(message, kind) {
  const box = document.getElementById("flash");
  box.setAttribute("aria-live", kind === "error" ? "assertive" : "polite");
  box.textContent = message;
  box.className = kind || "ok";
}

/** Empty a form's error slots and its aria-invalid marks. */
export function clearErrors(form) {
  form.querySelectorAll("[data-error-for]").forEach((slot) => { slot.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((control) => {
    control.removeAttribute("aria-invalid");
    control.removeAttribute("aria-describedby");
  });
}

/** Mark the control of an error slot invalid and described by the slot's text. */
function markInvalid(slot) {
  // (a slot may name its control: the JSON of a condition, beside the pickers that write it)
  const control = slot.dataset.control ? document.getElementById(slot.dataset.control)
    : slot.parentElement.querySelector("input, select, textarea");
  if (!control) return;
  if (!slot.id) slot.id = "error-slot-" + (++slotIds);
  control.setAttribute("aria-invalid", "true");
  control.setAttribute("aria-describedby", slot.id);
}

/** Show a failure: an ApiError's message (and details, in `form` when given), any other error as a generic text. */
export function showError(error, form) {
  if (!(error instanceof ApiError)) {
    console.error(error);  // a fault of the page itself: the console keeps what a developer needs
    flash(t("unexpected"), "error");
    return;
  }
  if (!form) {
    flash([error.message, ...error.details.map((detail) => detail.message)].join(" "), "error");
    return;
  }
  clearErrors(form);
  const slots = new Map([...form.querySelectorAll("[data-error-for]")].map((slot) => [slot.dataset.errorFor, slot]));
  const general = slots.get(GENERAL);
  let unplaced = !error.details.length;
  for (const detail of error.details) {
    const name = String(detail.field).split(/[/.:]/).filter(Boolean).reverse().find((part) => slots.has(part));
    if (!name) unplaced = true;
    const slot = name ? slots.get(name) : general;
    if (!slot) continue;
    slot.textContent = (slot.textContent ? slot.textContent + " " : "") + detail.message;
    if (name && name !== GENERAL) markInvalid(slot);
  }
  if (general && unplaced && !general.textContent) general.textContent = error.message;
  flash(error.message, "error");
  const first = form.querySelector('[aria-invalid="true"]');
  if (first) first.focus();
}

/** Show a detail of the page's own making (a check done before calling the API) next to its control. */
export function showFieldError(form, name, message) {
  const slot = form.querySelector('[data-error-for="' + name + '"]');
  slot.textContent = message;
  markInvalid(slot);
  flash(message, "error");
  const control = form.querySelector('[aria-invalid="true"]');
  if (control) control.focus();
}
