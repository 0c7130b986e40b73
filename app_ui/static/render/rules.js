/* The rules a field's value is checked against as the user types: the server's rules (server/records/validation.py),
 * with its codes and its messages in the user's language (the shell hands them over: store.rules), so that what the
 * browser says is what the server would say. The server checks everything again: these checks only spare a trip.
 */
import {isCalculation} from "./expressions.js";

// The server's limits of values that the field's metadata does not state (server/metadata/field_types.py).
export const MAX_CHOICES = 500;
export const MAX_TALLY = 100000;
export const MAX_ROWS = 1000;
// Characters that make a text blank (server/metadata/field_types.py BLANK_CHARACTERS).
const BLANK = /^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$/u;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const HOUR = 3600 * 1000;

/** Whether a value answers nothing: null, text of blanks only, an empty list or object (the server's is_blank). */
export function isBlank(value) {
  if (value === null || value === undefined) return true;
  if (typeof value === "string") return BLANK.test(value);
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === "object" && Object.keys(value).length === 0;
}

/** Whether a text is a calendar date YYYY-MM-DD of years 0001 to 9999. */
export function isDate(text) {
  const parts = DATE.exec(text);
  if (!parts) return false;
  const [year, month, day] = parts.slice(1).map(Number);
  const moment = new Date(0);
  moment.setUTCFullYear(year, month - 1, day);
  return year >= 1 && moment.getUTCMonth() === month - 1 && moment.getUTCDate() === day;
}

/** The days the date rules compare with now: today at its latest and earliest on Earth (UTC+14, UTC-12). */
function dayBounds(now) {
  return {latest: new Date(now + 14 * HOUR).toISOString().slice(0, 10),
    earliest: new Date(now - 12 * HOUR).toISOString().slice(0, 10)};
}

/** The number of characters of a text as the server counts them (code points, not UTF-16 units). */
function length(text) {
  let count = 0;
  for (const _ of text) count++;  // eslint-disable-line no-unused-vars
  return count;
}

const patterns = new Map();

/** A field's pattern as ECMA-262 reads it (JSON Schema's semantics: a search anywhere in the text). */
function pattern(source) {
  if (!patterns.has(source)) {
    let compiled = null;
    try { compiled = new RegExp(source, "u"); } catch (error) { compiled = null; }  // the server decides then
    patterns.set(source, compiled);
  }
  return patterns.get(source);
}

/**
 * The first rule a field's value breaks, as {rule, params} (rule: a name of store.rules), or null.
 * `context`: {shown: whether the field is shown, before: the stored value (a disabled option or a place kept from
 * before is not new), options: the field's options, type: its registry entry, places, now}.
 */
export function brokenRule(field, value, context) {
  const kind = context.type ? context.type.value : null;
  if (isBlank(value)) {
    const required = field.required && !(context.type && context.type.read_only) && !field.disabled;
    return required && context.shown ? {rule: "REQUIRED", params: {}} : null;
  }
  switch (kind) {
    case "text": return textRule(field, value, context);
    case "number": return numberRule(field, value);
    case "date": return dateRule(field, value, context);
    case "option": return optionRule(field, value, context);
    case "tally": return tallyRule(field, value);
    case "place": return placeRule(field, value, context);
    case "boolean": return typeof value === "boolean" ? null : {rule: "TYPE", params: {expected: "boolean"}};
    default: return null;
  }
}

function textRule(field, value, context) {
  if (typeof value !== "string") return {rule: "TYPE", params: {expected: "string"}};
  const limit = field.max_length !== undefined ? field.max_length : (context.type.max_length || null);
  if (limit !== null && length(value) > limit) return {rule: "MAX_LENGTH", params: {limit}};
  const compiled = field.pattern ? pattern(field.pattern) : null;
  if (compiled && !compiled.test(value)) {
    return field.pattern_hint ? {rule: "PATTERN_HINT", params: {hint: field.pattern_hint}} : {rule: "PATTERN", params: {}};
  }
  return null;
}

function numberRule(field, value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return {rule: "TYPE", params: {expected: "number"}};
  if (field.min_value !== undefined && value < field.min_value) return {rule: "MINIMUM", params: {limit: field.min_value}};
  if (field.max_value !== undefined && value > field.max_value) return {rule: "MAXIMUM", params: {limit: field.max_value}};
  return null;
}

function dateRule(field, value, context) {
  const timed = Boolean(field.date_include_time);
  const valid = typeof value === "string" && isDate(value.slice(0, 10))
    && (timed ? !Number.isNaN(Date.parse(value)) && value.length > 10 : value.length === 10);
  if (!valid) {
    return {rule: "FORMAT", params: {expected: timed ? "date-time" : "date",
      example: timed ? "2024-05-31T14:30:00+01:00" : "2024-05-31"}};
  }
  if (sameValue(value, context.before)) return null;  // the date rules apply to new values (today moves on)
  const days = dayBounds(context.now || Date.now());
  const day = value.slice(0, 10);
  if (field.date_validation === "not_future_date" && day > days.latest) return {rule: "FUTURE_DATE", params: {}};
  if (field.date_validation === "not_past_date" && day < days.earliest) return {rule: "PAST_DATE", params: {}};
  return null;
}

function optionRule(field, value, context) {
  const values = Array.isArray(value) ? value : [value];
  if (Array.isArray(value) && value.length > MAX_CHOICES) return {rule: "MAX_ITEMS", params: {limit: MAX_CHOICES}};
  const before = Array.isArray(context.before) ? context.before : [context.before];
  for (const chosen of values) {
    const option = context.options.find((candidate) => candidate.id === chosen);
    if (!option) return {rule: "OPTION", params: {value: chosen}};
    if (option.disabled && !before.includes(chosen)) return {rule: "DISABLED_OPTION", params: {value: chosen}};
  }
  return null;
}

function tallyRule(field, value) {
  if (typeof value !== "object" || Array.isArray(value)) return {rule: "TYPE", params: {expected: "object"}};
  for (const count of Object.values(value)) {
    if (!Number.isInteger(count)) return {rule: "TYPE", params: {expected: "integer"}};
    if (count < 0) return {rule: "MINIMUM", params: {limit: 0}};
    if (count > MAX_TALLY) return {rule: "MAXIMUM", params: {limit: MAX_TALLY}};
  }
  return null;
}

function placeRule(field, value, context) {
  if (sameValue(value, context.before)) return null;  // a place kept from before (since merged or moved) stays
  const place = context.places.get(value);
  if (!place) return {rule: "LOCATION", params: {value}};
  const level = field.location_admin_level;
  if (level !== undefined && place.admin_level !== level) {
    return {rule: "LOCATION_LEVEL", params: {value, level, actual: place.admin_level}};
  }
  return null;
}

/** Whether two JSON values are the same (the server's `stored[name] == data[name]`). */
export function sameValue(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameValue(a[key], b[key]));
}

/** Whether a field is computed by the server (calculated) rather than written. */
export function isComputed(field) {
  return Boolean(field.calculation) && isCalculation(field.calculation);
}
