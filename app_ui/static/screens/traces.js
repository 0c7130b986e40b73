/* A tracing request's matches: each trace (a child sought) with the cases that may be that child, best first, and
 * the confirmation that one is (the trace then holds the case's id). Shown to roles that review matches. */
import {ApiError, api} from "../lib/api.js";
import {el} from "../lib/dom.js";
import {flash, showError} from "../lib/errors.js";
import {recordHash} from "../lib/router.js";
import {fmt, t} from "../lib/text.js";

/** The panel of trace matches of a tracing request (filled once the server answers; empty when none). */
export function traceMatches(record, done) {
  const list = el("ul", {class: "items"});
  const panel = el("section", {class: "panel", "aria-labelledby": "traces-title", hidden: true},
    el("h2", {id: "traces-title", text: t("trace_matches")}), list);
  const traces = new Map((record.data.tracing_request_subform_section || []).map((row) => [row.unique_id, row]));
  api("GET", `/api/v1/duplicates?record_type=tracing_request&record_id=${record.id}&status=all&per_page=100`).then((answer) => {
    const pairs = answer.data.data;
    if (!pairs.length) return;
    panel.hidden = false;
    list.append(...pairs.map((pair) => {
      const found = pair.records.find((side) => side.record_type === "case");
      const trace = traces.get(pair.trace_id) || {};
      const matched = trace.matched_case_id === found.id;
      const confirm = matched ? el("span", {class: "badge likely", text: t("trace_confirmed")}) : el("button", {type: "button", class: "secondary",
        text: t("confirm_match"), onclick: async () => {
          try {
            await api("POST", `/api/v1/tracing_requests/${record.id}/traces/${pair.trace_id}/match`, {data: {case_id: found.id}},
              {"If-Match": `"${record.revision}"`});
            flash(t("match_confirmed"), "ok", true);
            done();
          } catch (error) { showError(error); }
        }});
      return el("li", {}, el("span", {text: (trace.name || t("trace")) + " → "}),
        el("a", {href: recordHash("case", found.id), text: found.display_id || found.short_id}),
        el("span", {class: "badge " + pair.level, text: t("match_" + pair.level) + " · " + Math.round(pair.score * 100) + " %"}),
        el("span", {class: "meta", text: fmt("agree_count", {count: pair.agree.length})}), confirm);
    }));
  }).catch((error) => {
    if (!(error instanceof ApiError) || error.status !== 403) showError(error);  // a role that does not review: nothing
  });
  return panel;
}
