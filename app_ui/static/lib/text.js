/* Texts: the server's catalog entries by key, numbers and dates as the interface language writes them. */
import {onLocale, store} from "./store.js";

let formats = null;

/** The formats of the interface language (made again when it changes). */
function formatsOf() {
  if (!formats) {
    formats = {number: new Intl.NumberFormat(store.locale, {maximumFractionDigits: 3}),
      day: new Intl.DateTimeFormat(store.locale, {dateStyle: "medium", timeZone: "UTC"}),
      moment: new Intl.DateTimeFormat(store.locale, {dateStyle: "medium", timeStyle: "short"})};
  }
  return formats;
}
onLocale(() => { formats = null; });

/** A parameter as the server writes it in a message: numbers in the interface language's way (12 500, 0,5). */
function shown(value) {
  return typeof value === "number" ? formatsOf().number.format(value) : String(value);
}

/** Fill the %(name)s placeholders of a template. */
export function fill(template, params) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => shown((params || {})[name])).replace(/%%/g, "%");
}

/** The text `key` with its placeholders filled from params. */
export function fmt(key, params) {
  return fill(store.texts[key] || key, params);
}

/** The text `key` as the server's catalog gives it. */
export function t(key) {
  return store.texts[key] || key;
}

/** A number as the interface language writes it. */
export function number(value) {
  return formatsOf().number.format(value);
}

/** A date (YYYY-MM-DD) or a moment (ISO 8601) as the interface language writes it; the text itself if neither. */
export function when(value) {
  if (typeof value !== "string") return "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return formatsOf().day.format(new Date(value + "T12:00:00Z"));
  const moment = new Date(value);
  return Number.isNaN(moment.getTime()) ? value : formatsOf().moment.format(moment);
}
