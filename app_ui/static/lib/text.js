/* Texts: the server's catalog entries by key, numbers and dates as the interface language writes them. */
import {onLocale, store} from "./store.js";
import {makeWords} from "../render/words.js";

let current = null;

/** The words of the interface language (made again when it changes). */
export function wordsNow() {
  if (!current) current = makeWords(store.locale, {texts: store.texts, rules: store.rules});
  return current;
}
onLocale(() => { current = null; });

/** Fill the %(name)s placeholders of a template (numbers the interface language's way: 12 500, 0,5). */
export function fill(template, params) {
  return wordsNow().fill(template, params);
}

/** The text `key` with its placeholders filled from params. */
export function fmt(key, params) {
  return wordsNow().fmt(key, params);
}

/** The text `key` as the server's catalog gives it. */
export function t(key) {
  return store.texts[key] || key;
}

/** A number as the interface language writes it. */
export function number(value) {
  return wordsNow().number(value);
}

/** A date (YYYY-MM-DD) or a moment (ISO 8601) as the interface language writes it; the text itself if neither. */
export function when(value) {
  return wordsNow().when(value);
}
