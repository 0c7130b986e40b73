/* The texts a renderer reads in one language: the app's catalog entries and the rules' messages (as the server words
 * them), with numbers and dates written the language's way. The case worker app makes one per interface language;
 * the admin preview one per language it previews in. */

/** Fill the %(name)s placeholders of a template (numbers written with `number`). */
export function fillWith(template, params, number) {
  return template.replace(/%\((\w+)\)s/g, (_, name) => {
    const value = (params || {})[name];
    return typeof value === "number" ? number(value) : String(value);
  }).replace(/%%/g, "%");
}

/** The words of `locale` from a catalog {texts, rules}. */
export function makeWords(locale, catalog) {
  const numbers = new Intl.NumberFormat(locale, {maximumFractionDigits: 3});
  const days = new Intl.DateTimeFormat(locale, {dateStyle: "medium", timeZone: "UTC"});
  const moments = new Intl.DateTimeFormat(locale, {dateStyle: "medium", timeStyle: "short"});
  const number = (value) => numbers.format(value);
  const t = (key) => catalog.texts[key] || key;
  const fill = (template, params) => fillWith(template, params, number);
  return Object.freeze({
    locale, rules: catalog.rules, t, fill, number,
    fmt: (key, params) => fill(t(key), params),
    when(value) {
      if (typeof value !== "string") return "";
      if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return days.format(new Date(value + "T12:00:00Z"));
      const moment = new Date(value);
      return Number.isNaN(moment.getTime()) ? value : moments.format(moment);
    },
  });
}
