/* The one store: what the server told the shell when it rendered it, and the session's state.
 *
 * locale: the interface language, with its texts (the scripts' texts from the server's catalogs) and rules (the
 * messages of the rules a field is checked against, {NAME: {code, message}}, worded as the server words them). The
 * shell holds the catalogs of every interface language, so useLocale() changes language at once, offline too.
 * session — who is signed in (user), their bundle and the catalog the renderer reads, whether the server answers.
 * Screens keep their own working state in their modules.
 */
const settings = JSON.parse(document.getElementById("page-settings").textContent);
const catalogs = settings.catalogs;

export const store = {
  locale: settings.locale,
  texts: catalogs[settings.locale].texts,
  rules: catalogs[settings.locale].rules,
  languages: Object.freeze(settings.languages),
  defaultLanguage: settings.default_language,
  interface: Object.freeze(settings.interface),
};

export const session = {user: null, bundle: null, catalog: null, online: navigator.onLine, onRevoked: null};

const listeners = new Set();

/** Switch the interface language (one of store.interface); listeners redraw what they drew. */
export function useLocale(code) {
  if (!catalogs[code] || code === store.locale) return false;
  store.locale = code;
  store.texts = catalogs[code].texts;
  store.rules = catalogs[code].rules;
  document.documentElement.lang = code;
  for (const listener of listeners) listener(code);
  return true;
}

/** Call `listener(code)` whenever the interface language changes. */
export function onLocale(listener) {
  listeners.add(listener);
}
