/* A record's history: who changed what and when, newest first, each field by its label with its values as read. */
import {api} from "../lib/api.js";
import {el} from "../lib/dom.js";
import {showError} from "../lib/errors.js";
import {recordHash} from "../lib/router.js";
import {session, store} from "../lib/store.js";
import {fmt, t, when} from "../lib/text.js";
import {words} from "../lib/words.js";
import {displayValue} from "../render/display.js";

/** The fields of a record type by name (from every form of the type, nested ones included). */
function fieldsOf(recordType) {
  const fields = new Map();
  for (const form of session.catalog.forms.values()) {
    if (form.parent_form !== recordType) continue;
    for (const field of form.fields || []) if (!fields.has(field.name)) fields.set(field.name, field);
  }
  return fields;
}

/** What a history entry did, in words (an action this app has no text for is named by its code). */
function actionName(action) {
  return store.texts["action_name_" + action] || fmt("action_name_other", {action});
}

export async function show(view, params, current) {
  const {recordType, route, id} = params;
  view.append(el("div", {class: "title-bar"}, el("h1", {text: t("history")}),
    el("a", {class: "button secondary", href: recordHash(recordType, id), text: t("back_to_record")})));
  let entries;
  try {
    entries = (await api("GET", `/api/v1/${route}/${encodeURIComponent(id)}/history?per_page=100`)).data.data;
  } catch (error) { showError(error); return; }
  if (!current()) return;
  const fields = fieldsOf(recordType);
  const context = {catalog: session.catalog, words};
  const shown = (name, value) => {
    const field = fields.get(name);
    if (value === null || value === undefined) return "—";
    return field ? displayValue(field, value, context) || "—" : JSON.stringify(value);
  };
  const list = el("ol", {class: "history"});
  for (const entry of entries) {  // newest first, as the server lists them
    const changes = Object.entries(entry.changes || {}).map(([name, change]) => el("tr", {},
      el("th", {scope: "row", text: (fields.get(name) || {display_name: name}).display_name}),
      el("td", {text: shown(name, change.from)}), el("td", {text: shown(name, change.to)})));
    list.append(el("li", {},
      el("h2", {text: fmt("history_entry", {action: actionName(entry.action), user: entry.user_name, when: when(entry.at)})}),
      changes.length ? el("table", {class: "changes"}, el("thead", {}, el("tr", {}, el("th", {scope: "col", text: t("field")}),
        el("th", {scope: "col", text: t("before")}), el("th", {scope: "col", text: t("after")}))), el("tbody", {}, changes)) : null));
  }
  view.append(list);
}
