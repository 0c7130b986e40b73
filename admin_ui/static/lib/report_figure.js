/* One report result as a person reads it: its title, its chart (drawn at the width it is given, again when that
 * changes), the data table with row and column totals, what "< 5" means, the notes of the report and how fresh the
 * numbers are. The dashboard, the report view and the editor's preview all show results this way. */
import {cellDetail, cellText, modelOf} from "./chart_parts.js";
import {chartOf, hasSuppressed, swatch} from "./charts.js";
import {el} from "./dom.js";
import {store} from "./store.js";
import {fmt, t} from "./text.js";

let figures = 0;

/** The data table: a row per row key, a column per column key, the totals in the last column and the last row. */
export function resultTable(result) {
  const model = modelOf(result);
  const rowsWord = (result.rows || []).map((dimension) => dimension.label).join(" · ");
  const head = [el("tr", {}, el("th", {scope: "col", text: rowsWord}),
    ...(model.single ? [] : model.series.map((label) => el("th", {scope: "col", class: "number", text: label}))),
    el("th", {scope: "col", class: "number", text: t("chart_total")}))];
  if (!model.single && result.columns && result.columns.length) {  // what the columns are (Sex), over their keys
    head.unshift(el("tr", {}, el("td", {}), el("th", {scope: "colgroup", colspan: model.series.length, class: "group",
      text: result.columns.map((dimension) => dimension.label).join(" · ")}), el("td", {})));
  }
  const cell = (value, more) => el("td", {class: ["number", more, value && value.suppressed ? "suppressed" : ""].join(" ").trim()},
    cellText(value, result), cellDetail(value, result) ? el("span", {class: "cell-detail", text: cellDetail(value, result)}) : null);
  const body = model.rows.map((row) => el("tr", {}, el("th", {scope: "row", text: row.label}),
    ...(model.single ? [] : row.cells.map((value) => cell(value))), cell(row.total, "total")));
  const totals = el("tr", {}, el("th", {scope: "row", text: t("chart_total")}),
    ...(model.single ? [] : model.series.map((_, index) => cell((result.column_totals || [])[index]))), cell(result.total));
  return el("table", {class: "result-table"},
    el("caption", {class: "visually-hidden", text: fmt("chart_table_of", {title: result.name || ""})}),
    el("thead", {}, ...head), el("tbody", {}, ...body), el("tfoot", {}, totals));
}

/** Draw the chart into `area` at its width, and again whenever that width changes (a resized window, printing). */
function drawWhenSized(area, legend, result, kind) {
  let drawn = 0;
  const draw = () => {
    const width = Math.floor(area.clientWidth);
    if (!width || Math.abs(width - drawn) < 2) return;
    drawn = width;
    const chart = chartOf(result, width, kind);
    area.replaceChildren(...[chart.empty ? el("p", {class: "hint nothing", text: t("chart_nothing")}) : chart.svg,
      chart.note ? el("p", {class: "chart-note", text: chart.note}) : null].filter(Boolean));
    legend.replaceChildren(...chart.legend.map((item) => el("li", {}, swatch(item.fill), " " + item.label)));
    legend.hidden = !chart.legend.length;
  };
  new ResizeObserver(draw).observe(area);
}

/** What the hatching, "< 5" and "•" mean. */
function suppressionKey(result) {
  const cells = [...(result.cells || []).flat(), ...(result.row_totals || []), ...(result.column_totals || []), result.total];
  const complement = cells.some((cell) => cell && cell.suppressed && cell.reason === "complement");
  return el("p", {class: "suppressed-key"}, swatch("hatch"), " ", el("strong", {text: result.suppressed_display || ""}),
    " " + fmt("chart_suppressed_key", {threshold: result.threshold ?? ""}),
    complement ? el("span", {}, " ", el("strong", {text: result.complement_display || ""}), " " + t("chart_complement_key")) : null);
}

/** "Data as of 2 December 2026, 03:40 — up to the second", from the result's freshness. */
export function freshness(result) {
  const when = result.fresh_as_of || result.computed_at;
  const date = when ? new Date(when).toLocaleString(store.locale, {dateStyle: "long", timeStyle: "short"}) : "";
  return [date && fmt("chart_as_of", {when: date}), result.freshness].filter(Boolean).join(" — ");
}

/**
 * A result's block. level: the heading level of its title; folded: the table behind a "show the numbers" switch
 * (the dashboard) rather than open (the report view); kind: the chart to draw (the report's own by default).
 */
export function reportFigure(result, {level = 2, folded = false, kind} = {}) {
  const id = "figure-" + (++figures);
  const chartKind = kind || result.chart;
  const parts = [el("h" + level, {id: id + "-title", class: "report-title", text: result.name || ""})];
  if (result.description) parts.push(el("p", {class: "hint", text: result.description}));
  if (chartKind !== "table") {
    const area = el("div", {class: "chart-area"});
    const legend = el("ul", {class: "chart-legend", "aria-label": t("chart_legend")});
    parts.push(el("figure", {class: "chart", "aria-labelledby": id + "-title"}, legend, area));
    drawWhenSized(area, legend, result, chartKind);
  }
  const table = el("div", {class: "scroll"}, resultTable(result));
  parts.push(folded && chartKind !== "table"
    ? el("details", {class: "chart-numbers"}, el("summary", {text: t("chart_show_numbers")}), table) : table);
  if (result.measure === "duration") parts.push(el("p", {class: "suppressed-key", text: t("chart_duration_key")}));
  if (hasSuppressed(result)) parts.push(suppressionKey(result));
  if (result.exact) parts.push(el("p", {class: "exact-key", text: t("chart_exact")}));
  if ((result.notes || []).length) parts.push(el("ul", {class: "notes"}, ...result.notes.map((note) => el("li", {text: note}))));
  const fresh = freshness(result);
  if (fresh) parts.push(el("p", {class: "freshness", text: fresh}));
  return el("section", {class: "report-block", "aria-labelledby": id + "-title", "data-report": result.unique_id || ""}, ...parts);
}

