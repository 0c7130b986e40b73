/* The form screen's preview: the draft form drawn by the case worker app's own renderer (app_ui/static/render), in a
 * configured language, with its conditions and calculations live as the administrator fills it in: what a tablet
 * shows. The catalog is made from the draft (forms, lookups), the registry and the places, as a bundle is. */
import {api} from "../lib/api.js";
import {el, valueOf} from "../lib/dom.js";
import {makeCatalog} from "/app/static/render/catalog.js";
import {Editor} from "/app/static/render/form.js";
import {makeWords} from "/app/static/render/words.js";

const bundles = new Map();  // locale -> the draft's bundle, read once per change of the draft (see forgetDrafts)

/** The draft changed: the next bundle is read again. */
export function forgetDrafts() {
  bundles.clear();
}

/** Everything the renderer reads, from the draft, in `locale`: a bundle's shape (the preview and the rule pickers
 * of the form screen share it when they are in one language). */
export function draftBundle(locale) {
  if (!bundles.has(locale)) bundles.set(locale, readBundle(locale).catch((error) => { bundles.delete(locale); throw error; }));
  return bundles.get(locale);
}

async function readBundle(locale) {
  const query = "locale=" + encodeURIComponent(locale);
  const [forms, lookups, types, places] = await Promise.all([
    api("GET", "/api/v1/forms?draft=true&per_page=1000&" + query), api("GET", "/api/v1/lookups?draft=true&per_page=1000&" + query),
    api("GET", "/api/v1/field_types?" + query), api("GET", "/api/v1/locations?" + query)]);
  const located = places.data.data.filter((place) => !place.deleted);
  const levels = new Map(located.map((place) => [place.admin_level, place.type]));
  return {forms: forms.data.data, lookups: lookups.data.data, field_types: types.data.data,
    locations: [{admin_levels: [...levels].map(([level, type]) => ({admin_level: level, type})), locations: located}],
    permissions: {form_section_read_write: Object.fromEntries(forms.data.data.map((form) => [form.unique_id, "rw"]))}};
}

/** The renderer's texts in `locale` (those of the deployment's default language when it has no message catalog). */
async function wordsOf(locale) {
  const response = await fetch("/app/texts/" + encodeURIComponent(locale) + ".json", {credentials: "same-origin"});
  return makeWords(locale, await response.json());
}

/** Show the draft form with this unique id in the language of the preview's picker. */
export async function renderPreview(formId) {
  const locale = valueOf("preview-locale");
  const [bundle, words] = await Promise.all([draftBundle(locale), wordsOf(locale)]);
  const catalog = makeCatalog(bundle);
  const form = catalog.forms.get(formId);
  const root = document.getElementById("preview");
  root.lang = locale;
  if (!form) { root.replaceChildren(); return; }
  const editor = new Editor({catalog, words, stored: {}});
  root.replaceChildren(editor.section(form, true));
}
