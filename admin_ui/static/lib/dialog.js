/* The confirmation dialog: an in-page, modal <dialog> that says in words what a change will do.
 * Focus goes into it (on the safe choice, cancel) and back to where it was; Escape cancels. */
import {el} from "./dom.js";
import {t} from "./text.js";

let dialogs = 0;

/**
 * Ask to confirm: resolves true when the person confirms, false when they cancel (button, Escape).
 * title: the question; lines: the effects, one sentence each; confirm: the label of the button that applies them.
 */
export function confirmDialog(title, lines, confirm) {
  const number = ++dialogs;
  const returnTo = document.activeElement;
  return new Promise((resolve) => {
    const cancelButton = el("button", {type: "button", class: "secondary", text: t("cancel")});
    const confirmButton = el("button", {type: "button", text: confirm || t("confirm")});
    const dialog = el("dialog", {class: "confirm", "aria-labelledby": "dialog-title-" + number,
                                 "aria-describedby": "dialog-effects-" + number},
      el("h2", {id: "dialog-title-" + number, text: title}),
      el("ul", {id: "dialog-effects-" + number, class: "effects"}, ...lines.map((line) => el("li", {text: line}))),
      el("div", {class: "inline"}, confirmButton, cancelButton));
    let answer = false;
    cancelButton.addEventListener("click", () => dialog.close());
    confirmButton.addEventListener("click", () => { answer = true; dialog.close(); });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (returnTo && returnTo.isConnected) returnTo.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();  // modal: the rest of the page is inert; Escape fires "cancel", which closes it
    cancelButton.focus();
  });
}
