/* Charts of report results (the server's RESULT), drawn as SVG with no library: bars grouped by column key or
 * stacked, lines over periods, a table with row and column totals, a map (chart_map.js) or its ranked bars.
 *
 * Every chart has its title, a role="img" label that says what it shows, its values written on it, and the data
 * table with the totals under it. A suppressed cell is hatched and labelled with the server's "< 5", never drawn as
 * 0. Bars stand upright while their labels fit under them and lie down (labels on the left) when they would not. */
import {amount, cellText, chartBox, colour, describe, FONT, GRID, hatching, INK, lines, modelOf, MUTED, number, svg,
  textWidth, ticks, wrap} from "./chart_parts.js";
import {drawMap} from "./chart_map.js";
import {fmt, t} from "./text.js";

const STUB = 8;  // px: the height of the hatched mark of a suppressed cell
const ZERO_ROWS_KEPT = 8;  // up to this many rows, rows of zeros are drawn too
const HATCH_LINE = "#7a8694";
const HALO = {"paint-order": "stroke", stroke: "#fff", "stroke-width": 3, "stroke-linejoin": "round"};

/** The value axis' words: what is counted, or the median in days. */
function unitWords(result) {
  return result.measure === "duration" ? t("chart_axis_duration") : t("chart_axis_" + result.unit, t("chart_axis_records"));
}

/** The largest value bars must reach (stacked: the largest row total, or sum of its known cells). */
function largest(result, rows, stacked) {
  const values = rows.flatMap((row) => (stacked
    ? [amount(row.total, result), row.cells.reduce((sum, cell) => sum + (amount(cell, result) || 0), 0)]
    : row.cells.map((cell) => amount(cell, result))));
  return Math.max(0, ...values.filter((value) => value !== null));
}

/** Where bars go. Upright: groups left to right under a 240 px plot; lying: rows top to bottom, labels on the left. */
function barLayout(result, model, width, stacked, upright, top) {
  const bars = stacked ? 1 : model.series.length;
  if (upright) {
    const left = Math.ceil(textWidth(number(top))) + 12;
    const band = (width - left - 8) / Math.max(1, model.rows.length);
    const thickness = stacked ? Math.min(band * 0.7, 64) : Math.min((band * 0.8) / bars, 56);
    const labelLines = Math.max(1, ...model.rows.map((row) => wrap(row.label, band - 6, 3).length));
    return {upright, left, top: 26, band, thickness, bars, length: 240, labelWidth: band - 6, max: top, width,
      height: 26 + 240 + labelLines * (FONT + 3) + 12};
  }
  const labelWidth = Math.min(width * 0.34, Math.max(...model.rows.map((row) => textWidth(row.label))) + 4);
  const thickness = bars === 1 ? 20 : 15;
  const band = Math.max(2 * (FONT + 3) + 8, bars * thickness + 10);
  const left = labelWidth + 12;
  const widestValue = Math.max(...model.rows.flatMap((row) => [...row.cells, row.total].map((cell) => textWidth(cellText(cell, result)))));
  return {upright, left, top: 22, band, thickness, bars, labelWidth, max: top, width,
    length: width - left - Math.max(widestValue + 12, textWidth(number(top)) / 2 + 8),
    height: 22 + model.rows.length * band + FONT + 14};
}

/** Whether upright bars fit: every label in three lines under its group, every value over its bar. */
function uprightFits(result, model, width, stacked, top) {
  const layout = barLayout(result, model, width, stacked, true, top);
  const widest = Math.max(...model.rows.flatMap((row) => [...row.cells, row.total].map((cell) => textWidth(cellText(cell, result)))));
  const fits = (row) => {
    const parts = wrap(row.label, layout.labelWidth, 99);
    return parts.length <= 3 && parts.every((part) => textWidth(part) <= layout.labelWidth);
  };
  return model.rows.every(fits) && layout.thickness >= Math.max(14, widest + 2);
}

/** Bars, upright or lying, grouped by column key or stacked; `ranked`: lying, the largest first. */
function bars(result, width, stacked, ranked) {
  const model = modelOf(result);
  const drawn = model.rows.filter((row) => !isZero(row, result));
  const left = model.rows.length > ZERO_ROWS_KEPT ? model.rows.length - drawn.length : 0;
  if (left) model.rows = drawn;  // many rows, most of them empty: the chart shows those with something to see
  if (ranked) model.rows.sort((a, b) => (amount(b.total, result) ?? -1) - (amount(a.total, result) ?? -1));
  const steps = ticks(largest(result, model.rows, stacked));
  const top = steps[steps.length - 1];
  const upright = !ranked && uprightFits(result, model, width, stacked, top);
  const layout = barLayout(result, model, width, stacked, upright, top);
  const hatch = hatching();
  const parts = [hatch.defs, ...valueAxis(layout, steps),
    svg("text", {x: upright ? 4 : layout.left, y: 12, "font-size": FONT - 1, fill: MUTED, text: unitWords(result)})];
  model.rows.forEach((row, index) => parts.push(...barsOfRow(result, model, row, index, layout, stacked, hatch.fill)));
  return {svg: chartBox(width, layout.height, describe(ranked ? "ranked" : stacked ? "stacked_bar" : "bar", result), ...parts),
    legend: model.single ? [] : model.series.map((label, index) => ({fill: colour(index), label})),
    note: left ? fmt("chart_zero_rows", {count: left}) : null};
}

/** Whether every cell of a row is a known 0 (a suppressed cell is never one). */
function isZero(row, result) {
  return [...row.cells, row.total].every((cell) => cell && !cell.suppressed && amount(cell, result) === 0);
}

/** The grid lines and their numbers along the value axis. */
function valueAxis(layout, steps) {
  const end = layout.top + (layout.upright ? layout.length : (layout.height - layout.top - FONT - 14));
  return steps.flatMap((value) => {
    const at = (value / layout.max) * layout.length;
    if (layout.upright) {
      const y = layout.top + layout.length - at;
      return [svg("line", {x1: layout.left, x2: layout.width - 8, y1: y, y2: y, stroke: GRID}),
        svg("text", {x: layout.left - 6, y: y + 4, "text-anchor": "end", "font-size": FONT - 1, fill: MUTED, text: number(value)})];
    }
    const x = layout.left + at;
    return [svg("line", {x1: x, x2: x, y1: layout.top, y2: end, stroke: GRID}),
      svg("text", {x, y: end + FONT + 4, "text-anchor": "middle", "font-size": FONT - 1, fill: MUTED, text: number(value)})];
  });
}

/** One row's bars (a group or a stack), its label and its values. */
function barsOfRow(result, model, row, index, layout, stacked, hatch) {
  const scale = (value) => (value / layout.max) * layout.length;
  const start = (layout.upright ? layout.left : layout.top) + index * layout.band;
  const offset = start + (layout.band - layout.thickness * layout.bars) / 2;
  const size = layout.thickness;
  // A bar from `from` to `to` along the value axis, at `at` across it, in either orientation.
  const bar = (at, from, to, fill, tip) => svg("rect", layout.upright
    ? {x: at, y: layout.top + layout.length - to, width: size - 1, height: Math.max(0, to - from), fill, stroke: fill === hatch ? HATCH_LINE : null}
    : {x: layout.left + from, y: at, width: Math.max(0, to - from), height: size - 1, fill, stroke: fill === hatch ? HATCH_LINE : null},
  svg("title", {text: tip}));
  const value = (at, end, text, inside) => svg("text", Object.assign(layout.upright
    ? {x: at + size / 2, y: layout.top + layout.length - end + (inside ? FONT + 2 : -4), "text-anchor": "middle"}
    : {x: layout.left + end + (inside ? -4 : 4), y: at + size / 2 + 4, "text-anchor": inside ? "end" : "start"},
  {"font-size": FONT, fill: inside ? "#fff" : INK, "font-weight": inside ? 600 : null, text}, inside ? {} : HALO));
  const tip = (cell, series) => fmt("chart_tip", {label: row.label + (series ? " · " + series : ""), value: cellText(cell, result)});
  const parts = [];
  if (stacked) {
    let base = 0;
    row.cells.forEach((cell, series) => {
      const known = amount(cell, result);
      if (!known) return;
      const length = scale(known);
      parts.push(bar(offset, base, base + length, colour(series), tip(cell, model.series[series])));
      const text = cellText(cell, result);
      if (length >= (layout.upright ? FONT + 6 : textWidth(text) + 8) && (!layout.upright || textWidth(text) <= size - 4)) {
        parts.push(value(offset, base + length, text, true));
      }
      base += length;
    });
    // The suppressed cells of the row: the rest up to a known total, else a stub; hatched, never counted as 0.
    const total = amount(row.total, result);
    const hidden = row.cells.some((cell) => cell && cell.suppressed);
    const rest = hidden ? (total === null ? STUB : Math.max(0, scale(total) - base)) : 0;
    if (rest > 0) parts.push(bar(offset, base, base + rest, hatch, tip(row.total, t("chart_total"))));
    parts.push(value(offset, base + rest, cellText(row.total, result), false));
  } else {
    row.cells.forEach((cell, series) => {
      const at = offset + series * size;
      const known = amount(cell, result);
      const length = known === null ? STUB : scale(known);
      parts.push(bar(at, 0, length, known === null ? hatch : colour(series), tip(cell, model.series[series])),
        value(at, length, cellText(cell, result), false));
    });
  }
  parts.push(layout.upright
    ? lines(wrap(row.label, layout.labelWidth, 3), start + layout.band / 2, layout.top + layout.length + FONT + 6, "middle")
    : rowLabel(row.label, layout, start));
  return parts;
}

function rowLabel(label, layout, start) {
  const parts = wrap(label, layout.labelWidth, 2);
  const node = lines(parts, layout.left - 8, start + layout.band / 2 - ((parts.length - 1) * (FONT + 3)) / 2 + 4, "end");
  if (parts.join(" ") !== label) node.append(svg("title", {text: label}));
  return node;
}

/** Lines over time: rows are periods (left to right), one line per column key (or the totals). */
function lineChart(result, width) {
  const model = modelOf(result);
  const values = model.rows.flatMap((row) => row.cells.map((cell) => amount(cell, result))).filter((v) => v !== null);
  const steps = ticks(Math.max(0, ...values));
  const top = steps[steps.length - 1];
  const edge = (row) => (row ? textWidth(row.label) / 2 + 4 : 0);  // the first and last period names stay whole
  const left = Math.ceil(Math.max(textWidth(number(top)) + 14, edge(model.rows[0])));
  const right = Math.ceil(Math.max(24, edge(model.rows[model.rows.length - 1])));
  const plot = 240, y0 = 28;
  const span = width - left - right;
  const gap = span / Math.max(1, model.rows.length - 1);
  const x = (index) => left + (model.rows.length === 1 ? span / 2 : index * gap);
  const y = (value) => y0 + plot - (value / top) * plot;
  const every = Math.max(1, Math.ceil((Math.max(...model.rows.map((row) => textWidth(row.label))) + 10) / gap));
  const hatch = hatching();
  const parts = [hatch.defs, svg("text", {x: 4, y: 12, "font-size": FONT - 1, fill: MUTED, text: unitWords(result)})];
  for (const value of steps) {
    parts.push(svg("line", {x1: left, x2: width - right, y1: y(value), y2: y(value), stroke: GRID}),
      svg("text", {x: left - 6, y: y(value) + 4, "text-anchor": "end", "font-size": FONT - 1, fill: MUTED, text: number(value)}));
  }
  model.rows.forEach((row, index) => {  // every `every`-th period named, so that names never overlap
    if (index % every) return;
    parts.push(svg("text", {x: x(index), y: y0 + plot + FONT + 8, "text-anchor": "middle", "font-size": FONT, fill: INK, text: row.label}));
  });
  const labelled = model.series.length <= 3 && model.rows.length <= 24;
  model.series.forEach((series, index) => {
    const points = model.rows.map((row) => amount(row.cells[index], result));
    const path = points.map((value, at) => (value === null ? "" : (at && points[at - 1] !== null ? "L" : "M")
      + x(at).toFixed(1) + " " + y(value).toFixed(1))).join(" ");
    parts.push(svg("path", {d: path.trim(), fill: "none", stroke: colour(index), "stroke-width": 2.5}));
    model.rows.forEach((row, at) => {
      const cell = row.cells[index];
      const value = points[at];
      const tip = svg("title", {text: fmt("chart_tip", {label: row.label + (series ? " · " + series : ""), value: cellText(cell, result)})});
      parts.push(value === null
        ? svg("rect", {x: x(at) - 5, y: y(0) - STUB, width: 10, height: STUB, fill: hatch.fill, stroke: HATCH_LINE}, tip)
        : svg("circle", {cx: x(at), cy: y(value), r: 3.5, fill: colour(index)}, tip));
      // Zeros lie on the axis (the table has them); a hidden value is marked once where lines meet on the axis.
      const first = value === null && model.series.findIndex((_, other) => amount(row.cells[other], result) === null) === index;
      if ((labelled && value !== 0 && value !== null) || first) {
        parts.push(svg("text", Object.assign({x: x(at), y: (value === null ? y(0) - STUB : y(value)) - 7, "text-anchor": "middle",
          "font-size": FONT, fill: value === null ? MUTED : INK, text: cellText(cell, result)}, HALO)));
      }
    });
  });
  return {svg: chartBox(width, y0 + plot + FONT + 16, describe("line", result), ...parts),
    legend: model.single ? [] : model.series.map((label, index) => ({fill: colour(index), label}))};
}

const DRAW = {
  bar: (result, width) => bars(result, width, false),
  stacked_bar: (result, width) => bars(result, width, true),
  line: lineChart,
  ranked: (result, width) => bars(result, width, false, true),
  // A map needs the places' boundaries; without them, the places ranked by their counts.
  map: (result, width) => (result.boundaries ? drawMap(result, width) : bars(result, width, false, true)),
};

/** The chart of a result at `width` pixels: {svg, legend: [{fill, label}]}; null for a table-only report. */
export function chartOf(result, width, kind) {
  const draw = DRAW[kind || result.chart];
  if (draw && !hasSuppressed(result) && !(amount(result.total, result) > 0)) return {empty: true, legend: []};
  return draw ? draw(result, Math.max(320, Math.floor(width))) : null;
}

/** Whether a result holds a suppressed cell (its legend then explains the "< 5"). */
export function hasSuppressed(result) {
  const cells = [...(result.cells || []).flat(), ...(result.row_totals || []), ...(result.column_totals || []), result.total];
  return cells.some((cell) => cell && cell.suppressed);
}

/** A small square of a legend: a colour, or ("hatch") the hatching of suppressed cells. */
export function swatch(fill) {
  const hatch = fill === "hatch" ? hatching() : null;
  return svg("svg", {width: 14, height: 14, viewBox: "0 0 14 14", "aria-hidden": "true", class: "swatch"}, hatch ? hatch.defs : null,
    svg("rect", {x: 0.5, y: 0.5, width: 13, height: 13, fill: hatch ? hatch.fill : fill, stroke: hatch ? HATCH_LINE : "#9aa5b1",
      "stroke-width": hatch ? 1 : 0.5}));
}
