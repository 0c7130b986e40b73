/* Label editors: one control per configured language, with the id <prefix>-<code> (the templates render them). */
import {store} from "./store.js";

/** The label map a group of controls holds ({code: text}), without the empty ones. */
export function readTexts(prefix) {
  const texts = {};
  for (const {code} of store.languages) {
    const value = document.getElementById(prefix + "-" + code).value.trim();
    if (value) texts[code] = value;
  }
  return texts;
}

/** The same, or null when every control is empty (an optional text). */
export function readOptionalTexts(prefix) {
  const texts = readTexts(prefix);
  return Object.keys(texts).length ? texts : null;
}

/** Show a label map in its controls (a language the map lacks shows empty). */
export function writeTexts(prefix, texts) {
  for (const {code} of store.languages) document.getElementById(prefix + "-" + code).value = (texts || {})[code] || "";
}

/** A label map written on one line in the order of the languages, "a = b = c" (empty parts left out of the map). */
export function textsFromLine(parts) {
  const texts = {};
  store.languages.forEach(({code}, index) => { if ((parts[index] || "").trim()) texts[code] = parts[index].trim(); });
  return texts;
}

/** The parts of such a line for a label map. */
export function lineFromTexts(texts) {
  return store.languages.map(({code}) => (texts || {})[code] || "");
}
