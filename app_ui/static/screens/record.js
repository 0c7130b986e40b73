/* A record: its forms grouped as the configuration groups them, read (view), edited (edit) or filled in for the
 * first time (new, with the duplicate warning before a case is saved). Forms the role only reads are drawn as text.
 * All the forms are drawn at once and one is shown at a time, so a save sends the changes of every form visited and
 * a refusal shows each problem in its form. */
import {ApiError, api} from "../lib/api.js";
import {Attachments} from "../lib/attachments.js";
import {actionsOn} from "../lib/bundle.js";
import {el} from "../lib/dom.js";
import {flash, showError} from "../lib/errors.js";
import {go, recordHash} from "../lib/router.js";
import {session} from "../lib/store.js";
import {fmt, t, when} from "../lib/text.js";
import {words} from "../lib/words.js";
import {entryOf} from "../lib/local.js";
import {createRecord, readRecord, updateRecord} from "../lib/records.js";
import {formGroups, writable} from "../render/catalog.js";
import {Editor, uuid4} from "../render/form.js";
import {displayId} from "./list.js";
import {recordActions} from "./actions.js";
import {confirmNotDuplicate} from "./duplicates.js";
import {conflictPanel, refusalPanel} from "./sync_panels.js";

/** The module a new record of this type belongs to: the first of the role's modules that holds the type. */
function moduleFor(recordType) {
  const allowed = session.bundle.permissions.module_ids || [];
  const module = session.catalog.modules.find((candidate) => allowed.includes(candidate.unique_id)
    && (candidate.associated_record_types || []).includes(recordType));
  return module ? module.unique_id : allowed[0];
}

function hasUploads(groups, catalog) {
  return groups.some((group) => group.forms.some((form) => form.fields.some((field) => {
    const type = catalog.types.get(field.type);
    return type && type.value === "files";
  })));
}

export async function show(view, params, current) {
  const {recordType, route, mode} = params;
  const catalog = session.catalog;
  const actions = actionsOn(recordType);
  let record = null;
  let files = [];
  if (mode !== "new") {
    try {
      record = await readRecord(route, recordType, params.id);
    } catch (error) {
      view.append(el("h1", {text: t("record_not_found")}));
      showError(error);
      return;
    }
  } else if (!actions.has("create")) {
    view.append(el("h1", {text: t("not_allowed")}));
    return;
  }
  // An incident registered from a case: the case's values the module maps to the incident's fields fill it.
  let fromCase = null;
  if (mode === "new" && recordType === "incident" && params.case) {
    try {
      fromCase = await readRecord("cases", "case", params.case);
    } catch (error) {
      view.append(el("h1", {text: t("record_not_found")}));
      showError(error);
      return;
    }
  }
  const moduleId = record ? record.module_id : fromCase ? fromCase.module_id : moduleFor(recordType);
  const groups = formGroups(catalog, recordType, moduleId);
  if (record && record.revision && hasUploads(groups, catalog)) {
    try { files = (await api("GET", `/api/v1/${route}/${record.id}/attachments`)).data.data; } catch (error) { files = []; }
  }
  if (!current()) return;
  const editing = mode !== "view" && (mode === "new" || actions.has("write"));
  const attachments = new Attachments(route, files, record ? record.id : null);
  let dirty = false;
  // Files go with a connection: offline (or for a record not yet on the server) upload fields only list them.
  const uploads = editing && session.online && (!record || record.revision > 0);
  const editor = new Editor({catalog, words, stored: record ? record.data : {},
    data: fromCase ? mapped(fromCase, moduleId) : undefined, attachments, uploads, onchange: () => { dirty = true; }});

  const title = mode === "new" ? (fromCase ? fmt("incident_of_case", {id: displayId(fromCase)}) : t("register_" + recordType))
    : fmt("title_" + recordType, {id: displayId(record)});
  view.append(el("div", {class: "title-bar"}, el("h1", {text: title}), record ? summary(record, catalog) : null));
  if (record && mode === "view") {
    const entry = entryOf(record.id);
    if (entry && entry.state === "conflict" && entry.conflict) view.append(conflictPanel(entry, catalog));
    if (entry && entry.state === "refused") view.append(refusalPanel(entry));
    if (session.online && record.revision > 0) {
      view.append(recordActions(record, recordType, route, actions, () => go(recordHash(recordType, record.id))));
    } else {
      view.append(el("div", {class: "actions-bar"}, actions.has("write") ? el("a", {class: "button primary",
        href: recordHash(recordType, record.id, "/edit"), text: t("edit")}) : null,
      el("p", {class: "meta", text: t("actions_need_connection")})));
    }
  }

  // The forms: a list of groups and forms to choose from, and the chosen form's fields.
  const sections = new Map();
  const nav = el("nav", {class: "forms-nav", "aria-label": t("forms")});
  const pane = el("div", {class: "form-pane"});
  for (const group of groups) {
    const links = group.forms.map((form) => el("li", {}, el("a", {href: "#", "data-form": form.unique_id, text: form.name,
      onclick: (event) => { event.preventDefault(); choose(form.unique_id, true); }})));
    const named = group.forms.length > 1 || group.forms[0].name !== group.name;  // else its one link says it
    if (named) nav.append(el("h2", {class: "group", text: group.name}));
    nav.append(el("ul", {}, links));
    for (const form of group.forms) {
      const section = editor.section(form, editing && writable(catalog, form));
      section.hidden = true;
      sections.set(form.unique_id, section);
      pane.append(section);
    }
  }
  const first = groups.length ? groups[0].forms[0].unique_id : null;
  function choose(formId, focus) {
    const chosen = sections.has(formId) ? formId : first;
    for (const [id, section] of sections) section.hidden = id !== chosen;
    for (const link of nav.querySelectorAll("a")) {
      if (link.dataset.form === chosen) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    }
    const [path, query] = location.hash.split("?");
    const search = new URLSearchParams(query || "");
    search.set("form", chosen);
    history.replaceState(null, "", path + "?" + search.toString());
    if (focus && sections.get(chosen)) {
      const heading = sections.get(chosen).querySelector("h2");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  }
  view.append(el("div", {class: "record-layout"}, nav, pane));
  if (!groups.length) pane.append(el("p", {class: "empty", text: t("no_forms")}));
  choose(params.form, false);

  if (!editing) return;
  const save = el("button", {type: "button", class: "primary", text: mode === "new" ? t("register") : t("save")});
  const cancel = el("a", {class: "button secondary", href: record ? recordHash(recordType, record.id) : "#/" + route, text: t("cancel")});
  view.append(el("div", {class: "save-bar"}, save, cancel));
  const guard = (event) => { if (dirty) { event.preventDefault(); event.returnValue = ""; } };
  window.addEventListener("beforeunload", guard);
  window.addEventListener("hashchange", () => window.removeEventListener("beforeunload", guard), {once: true});

  /** Show the form that holds the first problem, and focus it; each form's link says how many problems it holds. */
  const showProblems = () => {
    for (const link of nav.querySelectorAll("a")) {
      const count = sections.get(link.dataset.form).querySelectorAll(".field.invalid:not([hidden])").length;
      let badge = link.querySelector(".problems");
      if (!count) { if (badge) badge.remove(); continue; }
      if (!badge) link.append(badge = el("span", {class: "problems"}));
      badge.replaceChildren(el("span", {"aria-hidden": "true", text: " (" + count + ")"}),
        el("span", {class: "visually-hidden", text: " — " + fmt("fix_fields", {count})}));
    }
    const entry = editor.entries.find((candidate) => candidate.node.classList.contains("invalid"));
    if (entry) choose(entry.node.closest("section[data-form]").dataset.form, false);
    editor.focusFirstProblem();
  };

  save.addEventListener("click", async () => {
    flash("");
    const problems = editor.check();
    if (problems.length) {
      flash(fmt("fix_fields", {count: problems.length}), "error");
      showProblems();
      return;
    }
    save.disabled = true;
    try {
      if (mode === "new") await create(); else await update();
    } finally {
      save.disabled = false;
    }
  });

  async function create() {
    if (recordType === "case" && actions.has("read")) {
      const proceed = await confirmNotDuplicate(view, editor.data, moduleId);
      if (!proceed) return;
    }
    const id = uuid4();  // the server takes the client's id: a create sent twice makes one record
    let outcome;
    try {
      if (fromCase) {  // linked to its case by the server (online only: the link is the server's)
        await api("POST", `/api/v1/cases/${fromCase.id}/incidents`, {id, data: editor.patch()});
        outcome = "sent";
      } else {
        outcome = await createRecord(route, recordType, id, moduleId, editor.patch());
      }
    } catch (error) {
      return refused(error);
    }
    dirty = false;
    if (outcome === "sent") await sendFiles(id);
    flash(outcome === "sent" ? t("registered") : t("kept_offline"), "ok", true);
    go(recordHash(recordType, id));
  }

  async function update() {
    const patch = editor.patch();
    if (!Object.keys(patch).length && !attachments.changed) {
      flash(t("nothing_changed"), "ok", true);
      go(recordHash(recordType, record.id));
      return;
    }
    let outcome = "sent";
    try {
      if (Object.keys(patch).length) outcome = await updateRecord(route, recordType, record, patch);
    } catch (error) {
      return refused(error);
    }
    dirty = false;
    if (outcome === "sent") await sendFiles(record.id);
    flash(outcome === "sent" ? t("saved") : t("kept_offline"), "ok", true);
    go(recordHash(recordType, record.id));
  }

  async function sendFiles(id) {
    const refusals = await attachments.save(id);
    if (refusals.length) {
      flash(refusals.map((refusal) => refusal.name + " : " + refusal.error.message).join(" "), "error");
    }
  }

  function refused(error) {
    if (error instanceof ApiError && error.status === 412) {
      flash(t("changed_meanwhile"), "error");
      return;
    }
    const unplaced = error instanceof ApiError ? editor.showDetails(error.details) : [];
    showError(error, unplaced);
    showProblems();
  }
}

/** The values of a case that its module maps to an incident's fields ({incident field: case field}). */
function mapped(fromCase, moduleId) {
  const module = session.catalog.modules.find((candidate) => candidate.unique_id === moduleId) || {};
  const map = (module.field_map || {}).incident || {};
  const data = {};
  for (const [field, source] of Object.entries(map)) {
    if (fromCase.data[source] !== undefined && fromCase.data[source] !== null) data[field] = fromCase.data[source];
  }
  return data;
}

/** The line under a record's title: its stage, status, owner and raised flags. */
function summary(record, catalog) {
  const stages = new Map(catalog.modules.flatMap((module) => (module.workflow && module.workflow.stages) || [])
    .map((stage) => [stage.id, stage.name]));
  const flags = (record.flags || []).filter((flag) => !flag.removed);
  return el("p", {class: "record-summary"},
    record.stage ? el("span", {class: "badge stage", text: stages.get(record.stage) || record.stage}) : null,
    el("span", {class: "badge status-" + record.status, text: t("status_" + record.status)}),
    record.sync_state && record.sync_state !== "synced"
      ? el("span", {class: "badge sync-" + record.sync_state, text: t("sync_" + record.sync_state)}) : null,
    record.record_state === false ? el("span", {class: "badge disabled", text: t("disabled")}) : null,
    el("span", {class: "owner", text: fmt("owned_by", {user: record.owned_by})}),
    el("span", {class: "updated", text: fmt("updated_on", {when: when(record.last_updated_at), user: record.last_updated_by})}),
    ...flags.map((flag) => el("span", {class: "badge flag", text: t("flag") + " : " + flag.reason})));
}
