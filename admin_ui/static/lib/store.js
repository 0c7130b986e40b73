/* The one store: what the server told this page when it rendered it, read once and frozen.
 *
 * locale: the interface language; texts: the scripts' texts from the server's catalogs, in that language;
 * languages: the configured label languages [{code, name}] in the deployment's order, defaultLanguage among them;
 * locales: the languages an account may choose; interface: the languages the interface can be shown in.
 * A screen keeps its working state (the document being edited, its revision) in one object of its own module.
 */
const settings = JSON.parse(document.getElementById("page-settings").textContent);

export const store = Object.freeze({
  locale: settings.locale,
  texts: Object.freeze(settings.texts),
  languages: Object.freeze(settings.languages.map((language) => Object.freeze(language))),
  defaultLanguage: settings.default_language,
  defaultLocale: settings.default_locale,
  locales: Object.freeze(settings.locales),
  interface: Object.freeze(settings.interface),
});
