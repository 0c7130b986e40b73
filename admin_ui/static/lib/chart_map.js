/* A choropleth of a report whose rows are places: the server's GeoJSON boundaries (longitude, latitude) drawn in an
 * equirectangular projection fitted to their bounding box, each place shaded by its count on a sequential scale
 * (legend below), named and labelled with its value; a suppressed place is hatched and labelled "< 5". */
import {amount, cellText, chartBox, describe, FONT, hatching, INK, modelOf, number, svg, ticks} from "./chart_parts.js";
import {fmt, t} from "./text.js";

// Five shades of one blue, light to dark (ColorBrewer "Blues"): ordered in lightness, so they read in grey print too.
const SHADES = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
const NO_DATA = "#f2f4f7";
const MAX_HEIGHT = 480;

/** The outer rings of a Polygon or MultiPolygon, and all its rings (holes too). */
function ringsOf(geometry) {
  const polygons = geometry.type === "MultiPolygon" ? geometry.coordinates : [geometry.coordinates];
  return {outer: polygons.map((polygon) => polygon[0]), all: polygons.flat()};
}

/** Longitude, latitude bounds of every geometry. */
function bounds(geometries) {
  const box = {west: Infinity, east: -Infinity, south: Infinity, north: -Infinity};
  for (const geometry of geometries) {
    for (const ring of ringsOf(geometry).all) {
      for (const [lon, lat] of ring) {
        box.west = Math.min(box.west, lon); box.east = Math.max(box.east, lon);
        box.south = Math.min(box.south, lat); box.north = Math.max(box.north, lat);
      }
    }
  }
  return box;
}

/** The projection fitted to `box` in `width` pixels (height at most MAX_HEIGHT): [x, y] of a [lon, lat]. */
function projection(box, width) {
  const stretch = Math.cos((((box.north + box.south) / 2) * Math.PI) / 180);  // keeps shapes near their true form
  const spanX = Math.max(1e-9, (box.east - box.west) * stretch), spanY = Math.max(1e-9, box.north - box.south);
  const scale = Math.min((width - 16) / spanX, MAX_HEIGHT / spanY);
  const left = (width - spanX * scale) / 2;
  return {height: spanY * scale + 16,
    point: ([lon, lat]) => [left + (lon - box.west) * stretch * scale, 8 + (box.north - lat) * scale]};
}

/** Where a place's name goes: the centroid of its largest outer ring (in pixels). */
function centre(rings) {
  let best = null;
  for (const ring of rings) {
    let area = 0, cx = 0, cy = 0;
    ring.forEach(([x1, y1], index) => {
      const [x2, y2] = ring[(index + 1) % ring.length];
      const cross = x1 * y2 - x2 * y1;
      area += cross; cx += (x1 + x2) * cross; cy += (y1 + y2) * cross;
    });
    if (area && (!best || Math.abs(area) > Math.abs(best.area))) best = {area, x: cx / (3 * area), y: cy / (3 * area)};
  }
  return best || {x: rings[0][0][0], y: rings[0][0][1]};
}

/** The classes of the scale: [{from, to, fill}] over [0, largest]. */
function classes(largest) {
  const steps = ticks(largest, SHADES.length);
  const size = steps[1] - steps[0];
  const count = Math.min(SHADES.length, Math.max(1, steps.length - 1));
  const first = SHADES.length - count;  // few classes: the darker shades, so each stays apart from "no data"
  return Array.from({length: count}, (_, index) => ({from: index * size, to: (index + 1) * size, fill: SHADES[first + index]}));
}

/** A class in words: "10 – 19" (counts are whole), "10 – 20 days" (durations). */
function range(from, to, result) {
  if (result.measure === "duration") return fmt("chart_range_days", {from: number(from), to: number(to)});
  return to - 1 <= from ? number(from) : fmt("chart_range", {from: number(from), to: number(to - 1)});
}

/** The map of `result` at `width` pixels: {svg, legend}. */
export function drawMap(result, width) {
  const model = modelOf(result);
  const rowsByCode = new Map(model.rows.map((row) => [row.code, row]));
  const geometries = Object.entries(result.boundaries);
  const project = projection(bounds(geometries.map(([, geometry]) => geometry)), width);
  const valueOf = (row) => (row ? (model.single ? row.cells[0] : row.total) : null);
  const known = model.rows.map((row) => amount(valueOf(row), result)).filter((value) => value !== null);
  const scale = classes(Math.max(1, ...known));
  const shade = (value) => (scale.find((band) => value < band.to) || scale[scale.length - 1]);
  const hatch = hatching();
  const shapes = [], names = [];
  for (const [code, geometry] of geometries) {
    const row = rowsByCode.get(code);
    const cell = valueOf(row);
    const value = amount(cell, result);
    const fill = !row ? NO_DATA : value === null ? hatch.fill : shade(value).fill;
    const rings = ringsOf(geometry);
    const d = rings.all.map((ring) => "M" + ring.map((point) => project.point(point).map((n) => n.toFixed(1)).join(" ")).join("L") + "Z").join("");
    const name = row ? row.label : code;
    shapes.push(svg("path", {d, fill, stroke: "#fff", "stroke-width": 1.5, "fill-rule": "evenodd", "data-code": code},
      svg("title", {text: fmt("chart_tip", {label: name, value: row ? cellText(cell, result) : t("chart_no_data")})})));
    const at = centre(rings.outer.map((ring) => ring.map(project.point)));
    const dark = fill === SHADES[3] || fill === SHADES[4];
    const text = {"text-anchor": "middle", "font-size": FONT, fill: dark ? "#fff" : INK};
    const halo = dark ? {} : {"paint-order": "stroke", stroke: "#fff", "stroke-width": 3, "stroke-linejoin": "round"};
    names.push(svg("text", Object.assign({x: at.x, y: at.y - 2, text: name}, text, halo)));
    if (row) names.push(svg("text", Object.assign({x: at.x, y: at.y + FONT + 1, "font-weight": 700, text: cellText(cell, result)}, text, halo)));
  }
  const legend = [...scale.map((band) => ({fill: band.fill, label: range(band.from, band.to, result)})),
    ...(geometries.some(([code]) => !rowsByCode.has(code)) ? [{fill: NO_DATA, label: t("chart_no_data")}] : [])];
  const label = describe("map", result);
  return {svg: chartBox(width, Math.ceil(project.height), label, hatch.defs, ...shapes, ...names), legend};
}
