/* What every chart of a report result shares: the table the result holds (rows x series), numbers and suppressed
 * cells in words, the SVG factory, the hatching of suppressed cells, text measured to wrap labels, a palette that
 * stays apart for colour-blind readers and in grey print. charts.js draws bars and lines, chart_map.js maps. */
import {store} from "./store.js";
import {fmt, t} from "./text.js";

const SVG_NS = "http://www.w3.org/2000/svg";
export const FONT = 12;  // px: labels and values (the SVG scales with its box, so print keeps the proportions)
export const INK = "#1d2733";
export const MUTED = "#5b6775";
export const GRID = "#d5dbe3";
// Series colours: distinct in hue and in lightness, each at least 3:1 against white.
export const PALETTE = ["#1f5fa8", "#c0501a", "#23865a", "#8e4a9e", "#a06f00", "#b0305a", "#237a8a", "#5a6b7b"];
let patterns = 0;

/** An SVG element with attributes ("text" sets its text) and children. */
export function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "text") node.textContent = value;
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** The hatching of suppressed cells: <defs> to put in the chart and the fill that uses it. */
export function hatching() {
  const id = "hatch-" + (++patterns);
  const defs = svg("defs", {}, svg("pattern", {id, width: 6, height: 6, patternUnits: "userSpaceOnUse",
    patternTransform: "rotate(45)"}, svg("rect", {width: 6, height: 6, fill: "#eef0f3"}),
  svg("line", {x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#7a8694", "stroke-width": 2})));
  return {defs, fill: "url(#" + id + ")"};
}

const numbers = () => new Intl.NumberFormat(store.locale, {maximumFractionDigits: 1});

/** A number as the interface language writes it. */
export function number(value) {
  return numbers().format(value);
}

const isDuration = (result) => result.measure === "duration";

/** The value a chart draws for a cell (the median of a duration), or null when it is suppressed or missing. */
export function amount(cell, result) {
  if (!cell || cell.suppressed) return null;
  const value = isDuration(result) ? cell.median : cell.value;
  return typeof value === "number" ? value : null;
}

/** The server's mark of a suppressed cell: "< 5" for a small count, "•" for one hidden as its complement. */
export function hiddenMark(cell, result) {
  return (cell.reason === "complement" && result.complement_display) || result.suppressed_display || "—";
}

/** A cell's value as a label: the server's "< 5" for a suppressed cell (never 0), days for a duration. */
export function cellText(cell, result) {
  if (!cell) return "—";
  if (cell.suppressed) return hiddenMark(cell, result);
  const value = amount(cell, result);
  if (value === null) return "—";
  return isDuration(result) ? fmt("chart_days", {days: number(value)}) : number(value);
}

/** A duration's detail, under its median in the data table: "9 in 10 within 40 d · 12" (null for a count). */
export function cellDetail(cell, result) {
  if (!isDuration(result) || !cell || cell.suppressed || amount(cell, result) === null) return null;
  return fmt("chart_duration_detail", {p90: cell.p90 === null || cell.p90 === undefined ? "—" : number(cell.p90),
    count: number(cell.value)});
}

/**
 * The result as a table to draw: rows [{code, label, cells, total}], series [label] (one per column key, or a single
 * unnamed one when the report has no columns, whose cells are the row totals).
 */
export function modelOf(result) {
  const columns = result.column_keys || [];
  const single = columns.length === 0 || (columns.length === 1 && !columns[0].key.length);  // no columns: one total
  const rows = (result.row_keys || []).map((key, index) => {
    const cells = (result.cells || [])[index] || [];
    const total = (result.row_totals || [])[index];
    return {code: key.key[key.key.length - 1], label: key.labels.join(" · "), cells: single ? [cells[0] || total] : cells, total};
  });
  return {rows, series: single ? [""] : columns.map((key) => key.labels.join(" · ")), single};
}

/** The colour of series `index`. */
export function colour(index) {
  return PALETTE[index % PALETTE.length];
}

let measurer = null;

/** The width in pixels of a text at the charts' font size. */
export function textWidth(text, size) {
  if (!measurer) measurer = document.createElement("canvas").getContext("2d");
  measurer.font = (size || FONT) + "px system-ui, 'Segoe UI', Roboto, 'Noto Sans', sans-serif";
  return measurer.measureText(text).width;
}

/** A label cut into lines of at most `width` pixels (a word longer than that keeps its line); at most `most` lines,
 * the last one ending with "…" when the text was longer. */
export function wrap(text, width, most) {
  const lines = [];
  for (const word of String(text).split(/\s+/).filter(Boolean)) {
    const last = lines[lines.length - 1];
    if (last !== undefined && textWidth(last + " " + word) <= width) lines[lines.length - 1] = last + " " + word;
    else lines.push(word);
  }
  if (lines.length <= most) return lines;
  const kept = lines.slice(0, most);
  let end = kept[most - 1];
  while (end.length > 1 && textWidth(end + "…") > width) end = end.slice(0, -1);
  kept[most - 1] = end + "…";
  return kept;
}

/** A <text> of one or more lines: x, y of the first line's baseline, anchor start | middle | end. */
export function lines(parts, x, y, anchor, attributes) {
  const node = svg("text", Object.assign({x, y, "text-anchor": anchor, "font-size": FONT, fill: INK}, attributes || {}));
  parts.forEach((part, index) => node.append(svg("tspan", {x, dy: index ? FONT + 3 : 0, text: part})));
  return node;
}

/** Round axis steps over [0, max]: [0, step, ..., top] (whole numbers for counts). */
export function ticks(max, count) {
  if (!(max > 0)) return [0, 1];
  const rough = max / (count || 4);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough));
  const top = Math.ceil(max / step) * step;
  const steps = [];
  for (let value = 0; value <= top + step / 2; value += step) steps.push(value);
  return steps;
}

/** The SVG of a chart: its box scales to the width it is given (and to the page when printed); role="img" and its
 * label say what it shows, the data table under it holds the numbers. */
export function chartBox(width, height, label, ...children) {
  return svg("svg", {viewBox: "0 0 " + width + " " + height, width: "100%", role: "img", "aria-label": label,
    class: "chart-svg", preserveAspectRatio: "xMidYMin meet", "font-family": "system-ui, 'Segoe UI', Roboto, sans-serif"},
  ...children);
}

/** What a chart shows, in words: its kind, its title and its grand total. */
export function describe(kind, result) {
  return fmt("chart_aria", {kind: t("chart_kind_" + kind), title: result.name || "", total: cellText(result.total, result)});
}
