/* A list of records with search: words, status, stage, "mine", flagged; the columns are the fields the forms mark
 * for summaries (show_on_minify_form), else the first fields of the first form. The records are those the device
 * keeps (the user's view, synced), so the list and its search work the same offline. */
import {actionsOn} from "../lib/bundle.js";
import {el} from "../lib/dom.js";
import {go, recordHash} from "../lib/router.js";
import {listRecords} from "../lib/records.js";
import {session} from "../lib/store.js";
import {syncing} from "../lib/sync.js";
import {fmt, t, when} from "../lib/text.js";
import {words} from "../lib/words.js";
import {formGroups} from "../render/catalog.js";
import {displayValue} from "../render/display.js";

const PER_PAGE = 50;
const MAX_COLUMNS = 6;

/** The fields a list shows for a record type. */
export function listColumns(catalog, recordType) {
  const forms = formGroups(catalog, recordType).flatMap((group) => group.forms);
  const holds = (field) => { const type = catalog.types.get(field.type); return type && type.holds_data && type.value !== "rows" && type.value !== "files"; };
  const marked = forms.flatMap((form) => form.fields.filter((field) => field.show_on_minify_form && holds(field)));
  const chosen = marked.length ? marked : (forms[0] ? forms[0].fields.filter(holds).slice(0, 4) : []);
  const seen = new Set();
  return chosen.filter((field) => !seen.has(field.name) && seen.add(field.name)).slice(0, MAX_COLUMNS);
}

/** The stages of the record type's module workflow: [{id, name}]. */
function stages(catalog) {
  return catalog.modules.flatMap((module) => (module.workflow && module.workflow.stages) || []);
}

/** The display id of a record (case_id_display, ...). */
export function displayId(record) {
  return record.case_id_display || record.incident_id_display || record.tracing_request_id_display || record.short_id;
}

function control(id, label, input) {
  input.id = id;
  return el("div", {class: "field inline"}, el("label", {for: id, text: label}), input);
}

export async function show(view, params, current) {
  const {recordType, route} = params;
  const catalog = session.catalog;
  const actions = actionsOn(recordType);
  const title = t("list_" + recordType);
  const register = actions.has("create") ? el("a", {class: "button primary", href: "#/" + route + "/new", text: t("register_" + recordType)}) : null;
  view.append(el("div", {class: "title-bar"}, el("h1", {text: title}), register));
  const query = el("input", {type: "search", name: "query", value: params.query || "", maxlength: 200});
  const status = el("select", {name: "status"}, ...["open", "closed", ""].map((value) =>
    el("option", {value, text: t(value ? "status_" + value : "status_all"), selected: (params.status ?? "open") === value})));
  const stageChoice = recordType === "case" && stages(catalog).length ? el("select", {name: "stage"},
    el("option", {value: "", text: t("all_stages")}),
    ...stages(catalog).map((stage) => el("option", {value: stage.id, text: stage.name, selected: params.stage === stage.id}))) : null;
  const mine = el("input", {type: "checkbox", name: "mine", checked: params.mine === "1"});
  const flagged = el("input", {type: "checkbox", name: "flagged", checked: params.flagged === "1"});
  const form = el("form", {class: "search", role: "search"},
    control("search-query", t("search_words"), query), control("search-status", t("status"), status),
    stageChoice ? control("search-stage", t("stage"), stageChoice) : null,
    el("div", {class: "field inline tick"}, mine, el("label", {for: "search-mine", text: t("my_records")})),
    el("div", {class: "field inline tick"}, flagged, el("label", {for: "search-flagged", text: t("flagged_only")})),
    el("button", {type: "submit", class: "primary", text: t("search")}));
  mine.id = "search-mine";
  flagged.id = "search-flagged";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    if (query.value.trim()) chosen.set("query", query.value.trim());
    chosen.set("status", status.value);
    if (stageChoice && stageChoice.value) chosen.set("stage", stageChoice.value);
    if (mine.checked) chosen.set("mine", "1");
    if (flagged.checked) chosen.set("flagged", "1");
    go("#/" + route + "?" + chosen.toString());
  });
  const columns = listColumns(catalog, recordType);
  const body = el("tbody");
  const count = el("p", {class: "count", role: "status"});
  const more = el("button", {type: "button", class: "secondary", text: t("more"), hidden: true});
  const table = el("table", {class: "records"},
    el("caption", {class: "visually-hidden", text: title}),
    el("thead", {}, el("tr", {}, el("th", {scope: "col", text: t("record_id")}),
      ...columns.map((field) => el("th", {scope: "col", text: field.display_name})),
      el("th", {scope: "col", text: t("stage_status")}), el("th", {scope: "col", text: t("last_updated")}))),
    body);
  view.append(form, count, el("div", {class: "table-wrap"}, table), more);

  const filters = {query: params.query || "", status: params.status ?? "open", stage: params.stage || "",
    owned_by: params.mine === "1" ? session.user.user_name : "", flagged: params.flagged === "1"};
  const stageNames = new Map(stages(catalog).map((stage) => [stage.id, stage.name]));
  const row = (record) => el("tr", {},
    el("th", {scope: "row"}, el("a", {href: recordHash(recordType, record.id), text: displayId(record)})),
    ...columns.map((field) => el("td", {text: displayValue(field, record.data[field.name], {catalog, words})})),
    el("td", {text: [stageNames.get(record.stage), t("status_" + record.status)].filter(Boolean).join(" · ")}),
    el("td", {}, when(record.last_updated_at), record.sync_state && record.sync_state !== "synced"
      ? el("span", {class: "badge sync-" + record.sync_state, text: t("sync_" + record.sync_state)}) : null));

  // The records kept on the device (the user's view as synced): the same search online and offline.
  let found = [];
  let shownCount = 0;
  const draw = () => {
    found = listRecords(recordType, filters);
    shownCount = Math.min(Math.max(shownCount, PER_PAGE), found.length);
    body.replaceChildren(...found.slice(0, shownCount).map(row));
    count.textContent = found.length ? fmt("records_found", {count: found.length})
      : syncing.running ? t("list_filling") : t("no_records");
    more.hidden = shownCount >= found.length;
  };
  more.onclick = () => { shownCount += PER_PAGE; draw(); };
  const redraw = () => { if (current()) draw(); else syncing.listeners.delete(redraw); };
  syncing.listeners.add(redraw);  // records arriving from a sync show up
  draw();
}
