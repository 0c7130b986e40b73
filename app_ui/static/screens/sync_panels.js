/* What sync asks of the user on a record: a conflict to resolve field by field (what this device wrote, what the
 * server holds now), or a change the server refused, with its reasons, to correct. */
import {ApiError} from "../lib/api.js";
import {el, newId} from "../lib/dom.js";
import {flash, showError} from "../lib/errors.js";
import {go, recordHash} from "../lib/router.js";
import {session} from "../lib/store.js";
import {resolveConflict} from "../lib/sync.js";
import {t} from "../lib/text.js";
import {words} from "../lib/words.js";
import {displayValue} from "../render/display.js";

/** The field of a record type named `name`, from any of its forms (nested ones too). */
function fieldNamed(recordType, name) {
  for (const form of session.catalog.forms.values()) {
    if (form.parent_form !== recordType) continue;
    const field = (form.fields || []).find((candidate) => candidate.name === name);
    if (field) return field;
  }
  return {name, display_name: name};  // a field no longer in the forms: its value as it is
}

function valueText(field, value) {
  if (value === null || value === undefined) return "—";
  const type = session.catalog.types.get(field.type);
  if ((type && type.value === "rows") || (typeof value === "object" && !Array.isArray(value))) {
    return Object.entries(value).filter(([key]) => key !== "unique_id")
      .map(([key, inner]) => key + " : " + (typeof inner === "string" ? inner : JSON.stringify(inner))).join(", ") || "—";
  }
  return type ? displayValue(field, value, {catalog: session.catalog, words}) || "—" : JSON.stringify(value);
}

/** One choice between two values (this device's, the server's) as a pair of radio buttons. */
function choice(legend, mine, theirs) {
  const name = newId("conflict");
  const option = (value, text, checked) => {
    const id = newId(name);
    return el("div", {class: "choice"}, el("input", {type: "radio", id, name, value, checked}),
      el("label", {for: id, text}));
  };
  return el("fieldset", {class: "field conflict-choice"}, el("legend", {text: legend}),
    option("mine", t("conflict_mine") + " : " + mine, false), option("theirs", t("conflict_theirs") + " : " + theirs, true));
}

/** The panel of an open conflict: a choice per field (and per subform row), then the values chosen are written. */
export function conflictPanel(entry, catalog) {
  const choices = [];
  const form = el("form", {class: "panel conflict", "aria-labelledby": "conflict-title"},
    el("h2", {id: "conflict-title", text: t("conflict_title")}), el("p", {text: t("conflict_explained")}));
  for (const [name, change] of Object.entries(entry.conflict.fields || {})) {
    const field = fieldNamed(entry.record_type, name);
    if (change && change.rows) {
      for (const [rowId, row] of Object.entries(change.rows)) {
        const box = choice((field.display_name || name) + " — " + t("row"), valueText(field, row.mine), valueText(field, row.theirs));
        choices.push({box, pick: () => ({name, value: [Object.assign({unique_id: rowId}, row.mine || {})]})});
        form.append(box);
      }
    } else {
      const box = choice(field.display_name || name, valueText(field, change.mine), valueText(field, change.theirs));
      choices.push({box, pick: () => ({name, value: change.mine === undefined ? null : change.mine})});
      form.append(box);
    }
  }
  const submit = el("button", {type: "submit", class: "primary", text: t("conflict_resolve")});
  form.append(el("div", {class: "actions"}, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const values = {};
    for (const {box, pick} of choices) {
      if (box.querySelector("input:checked").value !== "mine") continue;
      const {name, value} = pick();
      values[name] = Array.isArray(values[name]) && Array.isArray(value) ? [...values[name], ...value] : value;
    }
    submit.disabled = true;
    try {
      await resolveConflict(entry, values);
      flash(t("conflict_resolved"), "ok", true);
      go(recordHash(entry.record_type, entry.id));
    } catch (error) {
      if (error instanceof ApiError && error.status === 0) flash(t("conflict_needs_connection"), "error");
      else showError(error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The panel of a change the server refused: why, field by field, and the way to correct it. */
export function refusalPanel(entry) {
  const error = entry.error || {};
  const details = (error.details || []).map((detail) => {
    const name = String(detail.field || "").split("/").filter(Boolean)[0] || "";
    return el("li", {text: (name ? fieldNamed(entry.record_type, name).display_name + " : " : "") + detail.message});
  });
  return el("section", {class: "panel refused", role: "alert", "aria-labelledby": "refused-title"},
    el("h2", {id: "refused-title", text: t("refused_title")}), el("p", {text: error.message || t("refused_explained")}),
    details.length ? el("ul", {}, details) : null, el("p", {class: "meta", text: t("refused_explained")}));
}
