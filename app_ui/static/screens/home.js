/* Home: what waits for the user today — new referrals and transfers, tasks by due day, alerts, flagged records. */
import {ApiError, api} from "../lib/api.js";
import {local, shown} from "../lib/local.js";
import {el} from "../lib/dom.js";
import {flash, showError} from "../lib/errors.js";
import {recordHash} from "../lib/router.js";
import {session} from "../lib/store.js";
import {fmt, t, when} from "../lib/text.js";
import {displayId} from "./list.js";

const RECEIVED = new Set(["referral_received", "transfer_received"]);

function panel(id, title, items, empty) {
  return el("section", {class: "panel", id, "aria-labelledby": id + "-title"},
    el("h2", {id: id + "-title", text: title + (items.length ? " (" + items.length + ")" : "")}),
    items.length ? el("ul", {class: "items"}, items) : el("p", {class: "empty", text: empty}));
}

function alertItem(alert) {
  return el("li", {class: alert.read ? "read" : "unread"},
    el("a", {href: recordHash(alert.record_type, alert.record_id), text: alert.message}),
    el("span", {class: "meta", text: when(alert.at) + (alert.count > 1 ? " · ×" + alert.count : "")}));
}

function taskItem(task) {
  return el("li", {class: task.overdue ? "overdue" : ""},
    el("a", {href: recordHash(task.record_type, task.record_id), text: task.name + " — " + (task.case_id_display || task.short_id)}),
    el("span", {class: "meta", text: (task.overdue ? t("overdue") + " · " : "") + fmt("due_on", {day: when(task.due)})}));
}

function flagItem(record) {
  const raised = (record.flags || []).filter((flag) => !flag.removed);
  const display = record.case_id_display || record.incident_id_display || record.tracing_request_id_display || record.short_id;
  return el("li", {},
    el("a", {href: recordHash(record.record_type, record.id), text: display}),
    el("span", {class: "meta", text: raised.map((flag) => flag.reason).join(" · ")}));
}

/** The records of this device that wait to be sent or need the user (conflicts, refusals); null when none. */
function devicePanel() {
  const items = [...local.entries.values()].filter((entry) => entry.state && entry.state !== "synced").map((entry) => {
    const record = shown(entry);
    return el("li", {}, el("a", {href: recordHash(entry.record_type, entry.id), text: displayId(record)}),
      el("span", {class: "badge sync-" + entry.state, text: t("sync_" + entry.state)}));
  });
  return items.length ? panel("device", t("on_this_device"), items, "") : null;
}

export async function show(view, params, current) {
  const user = session.user;
  view.append(el("h1", {text: fmt("home_title", {name: user.full_name || user.user_name})}));
  const device = devicePanel();
  if (device) view.append(device);
  const slot = el("div", {class: "panels"}, el("p", {class: "loading", text: t("loading")}));
  view.append(slot);
  let answers;
  try {
    answers = await Promise.all([api("GET", "/api/v1/alerts?unread=true&per_page=100"),
      api("GET", "/api/v1/tasks?owner=me&per_page=100"), api("GET", "/api/v1/flags?per_page=50")]);
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) {
      slot.replaceChildren(el("p", {class: "meta", text: t("home_needs_connection")}));
      return;
    }
    slot.replaceChildren();
    showError(error);
    return;
  }
  if (!current()) return;
  const [alerts, tasks, flags] = answers.map((answer) => answer.data.data);
  const received = alerts.filter((alert) => RECEIVED.has(alert.kind));
  const others = alerts.filter((alert) => !RECEIVED.has(alert.kind));
  const markRead = others.length ? el("button", {type: "button", class: "secondary", text: t("mark_all_read"), onclick: async () => {
    try {
      await api("POST", "/api/v1/alerts/read", {data: {ids: others.map((alert) => alert.id)}});
      flash(t("alerts_marked"), "ok");
      markRead.remove();
      for (const item of view.querySelectorAll("#alerts li.unread")) item.className = "read";
    } catch (error) { showError(error); }
  }}) : null;
  const alertsPanel = panel("alerts", t("alerts"), others.map(alertItem), t("no_alerts"));
  if (markRead) alertsPanel.append(markRead);
  slot.replaceChildren(
    panel("received", t("new_referrals"), received.map(alertItem), t("no_referrals")),
    panel("tasks", t("tasks"), tasks.map(taskItem), t("no_tasks")),
    alertsPanel,
    panel("flags", t("flagged"), flags.map(flagItem), t("no_flags")));
}
