/* The form screen's preview: the draft form resolved in one configured language, as a field app shows it. */
import {api} from "../lib/api.js";
import {el, valueOf} from "../lib/dom.js";
import {fieldType} from "./field_editor.js";

/** Show the draft form at `path` in the language of the preview's picker (the field types loaded: see field_editor.js). */
export async function renderPreview(path) {
  const locale = valueOf("preview-locale");
  const preview = (await api("GET", path + "?draft=true&locale=" + encodeURIComponent(locale))).data.data;
  const root = document.getElementById("preview");
  root.lang = locale;
  root.replaceChildren(el("h3", {text: preview.name}), ...preview.fields.filter((f) => f.visible !== false).map((field) => {
    const type = fieldType(field.type);
    if (type && !type.holds_data) return el("h4", {text: field.display_name});  // a separator: a heading
    const options = (field.option_strings_text || []).map((o) => o.display_text).join(" · ");
    return el("div", {class: "preview-field"}, el("span", {class: "preview-label", text: field.display_name + (field.required ? " *" : "")}),
      el("span", {class: "preview-input", text: options || field.type}), field.help_text ? el("small", {text: field.help_text}) : null);
  }));
}
