/* The one store: what the server told the shell when it rendered it (frozen), and the session's state.
 *
 * settings — locale: the interface language; texts: the scripts' texts from the server's catalogs; rules: the
 * messages of the rules a field is checked against ({NAME: {code, message}}), worded as the server words them;
 * languages, interface: the deployment's label and interface languages.
 * session — who is signed in (user), what their device holds (bundle, the catalog made from it), whether the
 * server answers (online). Screens keep their own working state in their modules.
 */
const settings = JSON.parse(document.getElementById("page-settings").textContent);

export const store = Object.freeze({
  locale: settings.locale,
  texts: Object.freeze(settings.texts),
  rules: Object.freeze(settings.rules),
  languages: Object.freeze(settings.languages),
  defaultLanguage: settings.default_language,
  interface: Object.freeze(settings.interface),
});

export const session = {user: null, bundle: null, catalog: null, online: navigator.onLine};
