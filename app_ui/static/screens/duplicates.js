/* The duplicate warning before a case is saved: the cases the data entered may be a duplicate of (likely, then
 * possible), those the user may see with the fields their role reads, and how many others; the user opens one,
 * goes back to the form, or registers anyway. Offline, nothing can be asked: the server lists the pair after sync. */
import {ApiError, api} from "../lib/api.js";
import {el} from "../lib/dom.js";
import {recordHash} from "../lib/router.js";
import {session} from "../lib/store.js";
import {fmt, t} from "../lib/text.js";
import {words} from "../lib/words.js";
import {displayValue} from "../render/display.js";
import {displayId} from "./list.js";

/** The field of the case forms named `name` (for its label and its values). */
function caseField(name) {
  for (const form of session.catalog.forms.values()) {
    if (form.parent_form !== "case") continue;
    const field = (form.fields || []).find((candidate) => candidate.name === name);
    if (field) return field;
  }
  return null;
}

function matchItem(match) {
  const shown = Object.entries(match.data).map(([name, value]) => {
    const field = caseField(name);
    return field ? el("span", {class: "pair"}, el("span", {class: "label", text: field.display_name + " : "}),
      el("span", {text: displayValue(field, value, {catalog: session.catalog, words})})) : null;
  });
  const agree = (match.agree || []).map((name) => (caseField(name) || {display_name: name}).display_name).join(", ");
  return el("li", {class: "match " + match.level},
    el("a", {href: recordHash("case", match.id), target: "_blank", rel: "noopener", text: displayId(match)}),
    el("span", {class: "badge " + match.level, text: t("match_" + match.level) + " · " + Math.round(match.score * 100) + " %"}),
    el("div", {class: "pairs"}, shown), agree ? el("p", {class: "meta", text: fmt("agree_on", {fields: agree})}) : null);
}

/** Ask the server for possible duplicates of `data`; resolve true to register, false to go back to the form. */
export async function confirmNotDuplicate(view, data, moduleId) {
  let found;
  try {
    found = (await api("POST", "/api/v1/cases/potential_matches", {data, module_id: moduleId})).data;
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) return true;  // offline: listed for review after sync
    throw error;
  }
  const matches = [...found.data.likely, ...found.data.possible];
  const hidden = found.meta.outside_scope.likely + found.meta.outside_scope.possible;
  if (!matches.length && !hidden) return true;
  return new Promise((resolve) => {
    const register = el("button", {type: "button", class: "primary", text: t("register_anyway")});
    const back = el("button", {type: "button", class: "secondary", text: t("back_to_form")});
    const dialog = el("dialog", {class: "duplicates", "aria-labelledby": "duplicates-title"},
      el("h2", {id: "duplicates-title", text: t("possible_duplicates")}),
      el("p", {text: t("duplicates_explained")}),
      matches.length ? el("ul", {class: "matches"}, matches.map(matchItem)) : null,
      hidden ? el("p", {class: "meta", text: fmt("duplicates_hidden", {count: hidden})}) : null,
      el("div", {class: "actions"}, back, register));
    const close = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    register.addEventListener("click", () => close(true));
    back.addEventListener("click", () => close(false));
    dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(false); });
    view.append(dialog);
    dialog.showModal();
    back.focus();
  });
}
