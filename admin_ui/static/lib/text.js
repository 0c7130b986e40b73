/* Texts: the server's catalog entries by key, and labels of documents in the interface language. */
import {store} from "./store.js";

/** The text `key` with its %(name)s placeholders filled from params, and %% written as % (as gettext writes it). */
export function fmt(key, params) {
  return (store.texts[key] || key).replace(/%\((\w+)\)s|%%/g,
                                           (match, name) => (match === "%%" ? "%" : (params || {})[name]));
}

/** The text `key` as the server's catalog gives it (else `fallback`, else the key). */
export function t(key, fallback) {
  return store.texts[key] || (fallback === undefined ? key : fallback);
}

/** A label map ({code: text}) read in the interface language, else the default language, else any. */
export function label(texts) {
  const map = texts || {};
  return map[store.locale] || map[store.defaultLanguage] || Object.values(map)[0] || "";
}

/** The name of a configured language in the interface language (its code when it is not configured). */
export function languageName(code) {
  const language = store.languages.find((candidate) => candidate.code === code);
  return language ? language.name : code;
}
