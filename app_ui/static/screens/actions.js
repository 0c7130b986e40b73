/* What a user may do with a record they are reading, by their role's actions and the record's state: edit, history,
 * the case workflow (refer, transfer, assign, approvals, close, reopen, answer a referral or a transfer made to
 * them), flags, an incident from a case, a tracing request's matches. Each action asks what it needs in a dialog
 * (recipients picked from those the server says may receive the case) and refuses are shown next to their field. */
import {ApiError, api} from "../lib/api.js";
import {actionsOn} from "../lib/bundle.js";
import {el, newId} from "../lib/dom.js";
import {flash, showError} from "../lib/errors.js";
import {recordHash} from "../lib/router.js";
import {session, store} from "../lib/store.js";
import {fmt, t, when} from "../lib/text.js";
import {traceMatches} from "./traces.js";

const APPROVALS = ["assessment", "case_plan", "closure"];

/**
 * Ask for the values of an action in a modal dialog; `send(values)` does it. The dialog stays open on a refusal
 * (its details next to their inputs) and closes once it is done. inputs: [{name, label, kind (text, textarea,
 * select, date), options [{value, text}], required}].
 */
export function ask(title, inputs, submitText, send) {
  const controls = new Map();
  const rows = inputs.map((input) => {
    const id = newId("action-" + input.name);
    let control;
    if (input.kind === "select") {
      control = el("select", {id}, el("option", {value: "", text: t("choose")}),
        ...input.options.map((option) => el("option", {value: option.value, text: option.text})));
    } else if (input.kind === "textarea") {
      control = el("textarea", {id, rows: 3});
    } else {
      control = el("input", {id, type: input.kind === "date" ? "date" : "text"});
    }
    if (input.required) control.setAttribute("aria-required", "true");
    const error = el("p", {class: "error", id: id + "-error"});
    control.setAttribute("aria-describedby", error.id);
    controls.set(input.name, {control, error});
    return el("div", {class: "field"}, el("label", {for: id, text: input.label + (input.required ? " *" : "")}), control, error);
  });
  const general = el("p", {class: "error", role: "alert"});
  const submit = el("button", {type: "submit", class: "primary", text: submitText});
  const cancel = el("button", {type: "button", class: "secondary", text: t("cancel")});
  const form = el("form", {method: "dialog"}, el("h2", {id: "action-title", text: title}), ...rows, general,
    el("div", {class: "actions"}, cancel, submit));
  const dialog = el("dialog", {class: "action", "aria-labelledby": "action-title"}, form);
  const close = () => { dialog.close(); dialog.remove(); };
  cancel.addEventListener("click", close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    general.textContent = "";
    for (const {control, error} of controls.values()) { error.textContent = ""; control.removeAttribute("aria-invalid"); }
    const values = {};
    let missing = null;
    for (const input of inputs) {
      const value = controls.get(input.name).control.value.trim();
      if (value) values[input.name] = value;
      else if (input.required) {
        const {control, error} = controls.get(input.name);
        error.textContent = store.rules.REQUIRED.message;  // the server's wording
        control.setAttribute("aria-invalid", "true");
        missing = missing || control;
      }
    }
    if (missing) { missing.focus(); return; }
    submit.disabled = true;
    try {
      await send(values);
      close();
    } catch (failure) {
      if (!(failure instanceof ApiError)) { close(); showError(failure); return; }
      let placed = false;
      for (const detail of failure.details) {
        const name = String(detail.field).split(/[/.]/).filter(Boolean).pop();
        if (controls.has(name)) {
          const {control, error} = controls.get(name);
          error.textContent = detail.message;
          control.setAttribute("aria-invalid", "true");
          if (!placed) control.focus();
          placed = true;
        }
      }
      general.textContent = failure.message;
    } finally {
      submit.disabled = false;
    }
  });
  document.getElementById("view").append(dialog);
  dialog.showModal();
  const first = dialog.querySelector("input, select, textarea");
  if (first) first.focus();
}

/** The users who may receive the case by `action` (refer, transfer, assign), as options of a picker. */
async function recipients(action, recordType) {
  const answer = await api("GET", `/api/v1/recipients?action=${action}&record_type=${recordType}`);
  return answer.data.data.map((user) => ({value: user.user_name,
    text: [user.full_name || user.user_name, user.role_name, user.agency_name].filter(Boolean).join(" — ")}));
}

function button(text, onclick, kind) {
  return el("button", {type: "button", class: kind || "secondary", text, onclick});
}

/** The bar of actions over a record being read, and the case's referrals, transfers and approvals. */
export function recordActions(record, recordType, route, actions, done) {
  const base = `/api/v1/${route}/${record.id}`;
  const revision = () => ({"If-Match": `"${record.revision}"`});
  const step = (message) => async (response) => { flash(message, "ok", true); done(); return response; };
  const bar = el("div", {class: "actions-bar", role: "toolbar", "aria-label": t("actions")});
  const me = session.user.user_name;
  if (actions.has("write")) bar.append(el("a", {class: "button primary", href: recordHash(recordType, record.id, "/edit"), text: t("edit")}));
  if (actions.has("view_history")) bar.append(el("a", {class: "button secondary", href: recordHash(recordType, record.id, "/history"), text: t("history")}));
  const open = record.status !== "closed";
  if (recordType === "case") {
    const services = (record.data.services_section || []).map((row) => ({value: row.unique_id,
      text: [row.service_type, row.service_referral_date].filter(Boolean).join(" · ") || row.unique_id}));
    const sendTo = (action, endpoint, message, extra) => async () => {
      let options;
      try { options = await recipients(action, recordType); } catch (error) { showError(error); return; }
      if (!options.length) { flash(t("no_recipients"), "error"); return; }
      const inputs = [{name: action === "assign" ? "owned_by" : "to_user", label: t("recipient"), kind: "select", options, required: true},
        ...(extra || [])];
      ask(t("action_" + action), inputs, t("action_" + action), (values) => api("POST", base + endpoint, {data: values}, revision())
        .then(step(message)));
    };
    const notes = [{name: "notes", label: t("notes"), kind: "textarea"}];
    const override = actions.has("consent_override") ? [{name: "consent_override_reason", label: t("consent_override"), kind: "textarea"}] : [];
    if (open && actions.has("refer")) {
      bar.append(button(t("action_refer"), sendTo("refer", "/referrals", t("referred"),
        [...(services.length ? [{name: "service_id", label: t("service"), kind: "select", options: services}] : []), ...notes, ...override])));
    }
    if (open && actions.has("transfer")) bar.append(button(t("action_transfer"), sendTo("transfer", "/transfers", t("transferred"), [...notes, ...override])));
    if (open && actions.has("assign")) bar.append(button(t("action_assign"), sendTo("assign", "/assign", t("assigned"))));
    const requestable = APPROVALS.filter((type) => actions.has("request_approval_" + type) && !(record.pending_approvals || []).includes(type));
    if (open && requestable.length) {
      bar.append(button(t("request_approval"), () => ask(t("request_approval"), [
        {name: "type", label: t("approval_type"), kind: "select", options: requestable.map((type) => ({value: type, text: t("approval_" + type)})), required: true},
        {name: "comments", label: t("comments"), kind: "textarea"}], t("request_approval"),
      (values) => api("POST", `${base}/approvals/${values.type}`, {data: values.comments ? {comments: values.comments} : {}}, revision())
        .then(step(t("approval_requested"))))));
    }
    for (const type of record.pending_approvals || []) {
      if (!actions.has("approve_" + type)) continue;
      bar.append(button(fmt("decide_approval", {type: t("approval_" + type)}), () => ask(fmt("decide_approval", {type: t("approval_" + type)}), [
        {name: "approved", label: t("decision"), kind: "select", required: true,
          options: [{value: "true", text: t("approve")}, {value: "false", text: t("reject")}]},
        {name: "comments", label: t("comments_reject"), kind: "textarea"}], t("send"),
      (values) => api("POST", `${base}/approvals/${type}/decision`, {data: {approved: values.approved === "true", ...(values.comments ? {comments: values.comments} : {})}}, revision())
        .then(step(t("decision_sent"))))));
    }
    if (open && actions.has("close")) {
      bar.append(button(t("action_close"), () => ask(t("action_close"), [], t("action_close"),
        () => api("POST", base + "/close", {data: {}}, revision()).then(step(t("closed"))))));
    }
    if (!open && actions.has("reopen")) {
      bar.append(button(t("action_reopen"), () => ask(t("action_reopen"), [{name: "reason", label: t("reason"), kind: "textarea", required: true}],
        t("action_reopen"), (values) => api("POST", base + "/reopen", {data: values}, revision()).then(step(t("reopened"))))));
    }
    if (actionsOn("incident").has("create")) {
      bar.append(el("a", {class: "button secondary", href: "#/incidents/new?case=" + encodeURIComponent(record.id),
        text: t("new_incident")}));
    }
  }
  if (actions.has("flag")) {
    bar.append(button(t("action_flag"), () => ask(t("action_flag"), [{name: "reason", label: t("reason"), kind: "textarea", required: true},
      {name: "date", label: t("flag_date"), kind: "date"}], t("action_flag"),
    (values) => api("POST", base + "/flags", {data: values}, revision()).then(step(t("flagged_done"))))));
  }
  const work = recordType === "case" ? caseWork(record, base, revision, step, me) : null;
  const extras = recordType === "tracing_request" ? traceMatches(record, done) : null;
  const flags = flagList(record, base, revision, step, actions);
  return el("div", {class: "record-work"}, bar, work, flags, extras);
}

/** The raised flags, each removable with a reason. */
function flagList(record, base, revision, step, actions) {
  const raised = (record.flags || []).filter((flag) => !flag.removed);
  if (!raised.length) return null;
  return el("section", {class: "panel", "aria-labelledby": "flags-title"}, el("h2", {id: "flags-title", text: t("flags")}),
    el("ul", {class: "items"}, raised.map((flag) => el("li", {},
      el("span", {text: flag.reason + (flag.date ? " · " + when(flag.date) : "")}),
      el("span", {class: "meta", text: fmt("by_on", {user: flag.flagged_by, when: when(flag.flagged_at)})}),
      actions.has("flag") ? button(t("remove_flag"), () => ask(t("remove_flag"), [{name: "reason", label: t("reason"), kind: "textarea", required: true}],
        t("remove_flag"), (values) => api("POST", `${base}/flags/${flag.id}/remove`, {data: values}, revision()).then(step(t("flag_removed"))))) : null))));
}

/** The case's referrals and transfers (with the answers the user may give) and its approvals. */
function caseWork(record, base, revision, step, me) {
  const transitions = record.transitions || [];
  const approvals = record.approvals || [];
  if (!transitions.length && !approvals.length) return null;
  const answer = (transition, kind, inputs) => button(t("answer_" + kind), () => ask(t("answer_" + kind), inputs, t("answer_" + kind),
    (values) => api("POST", `${base}/${transition.type === "referral" ? "referrals" : "transfers"}/${transition.id}/${kind}`,
      {data: values}, revision()).then(step(t("answered")))));
  const reason = [{name: "reason", label: t("reason"), kind: "textarea", required: true}];
  const items = transitions.map((transition) => {
    const buttons = [];
    if (transition.to_user === me && transition.status === "in_progress") {
      buttons.push(answer(transition, "accept", []), answer(transition, "reject", reason));
    }
    if (transition.to_user === me && transition.type === "referral" && transition.status === "accepted") {
      buttons.push(answer(transition, "done", [{name: "note", label: t("notes"), kind: "textarea"}]));
    }
    if (transition.created_by === me && transition.status === "in_progress") {
      buttons.push(answer(transition, "revoke", [{name: "reason", label: t("reason"), kind: "textarea"}]));
    }
    return el("li", {}, el("span", {text: t(transition.type + "_status_" + transition.status) + " — " + transition.to_user}),
      el("span", {class: "meta", text: fmt("by_on", {user: transition.created_by, when: when(transition.created_at)})}), ...buttons);
  });
  const decided = approvals.map((approval) => el("li", {},
    el("span", {text: t("approval_" + approval.type) + " · " + t("approval_status_" + approval.status)}),
    el("span", {class: "meta", text: fmt("by_on", {user: approval.decided_by || approval.requested_by, when: when(approval.decided_at || approval.requested_at)})})));
  return el("section", {class: "panel", "aria-labelledby": "work-title"}, el("h2", {id: "work-title", text: t("case_work")}),
    el("ul", {class: "items"}, items, decided));
}
