/* The forms of a record type and module, by form group; creating a form. */
import {api, newestOnly} from "../lib/api.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {showError} from "../lib/errors.js";
import {readTexts} from "../lib/labels.js";
import {fmt, label, t} from "../lib/text.js";

const newForm = document.getElementById("new-form");
const newestForms = newestOnly();

async function loadModules() {
  const modules = (await api("GET", "/api/v1/modules?draft=true")).data.data;
  document.getElementById("module").replaceChildren(...modules.map((m) => el("option", {value: m.unique_id, text: label(m.name_i18n)})));
}

async function loadForms() {
  const recordType = valueOf("record-type"), module = valueOf("module");
  const answer = await newestForms(api("GET", "/api/v1/forms?draft=true&record_type=" + recordType +
                                       (module ? "&module_id=" + encodeURIComponent(module) : "")));
  if (!answer) return;
  const forms = answer.data.data;
  const groups = new Map();
  for (const form of forms) {
    const group = label(form.form_group_name_i18n) || form.form_group_id || "—";
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group).push(form);
  }
  document.getElementById("form-groups").replaceChildren(...[...groups.entries()].map(([group, members]) => el("section", {class: "card"},
    el("h2", {text: group}),
    el("ul", {}, ...members.map((form) => el("li", {},
      el("a", {href: "/admin/forms/" + form.unique_id, text: label(form.name_i18n)}),
      " ", el("code", {text: form.unique_id}), form.is_nested ? " (" + t("subform") + ")" : "",
      " — " + fmt("fields_count", {count: form.fields.length})))))));
}

newForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const nested = document.getElementById("n-nested").checked;
  const form = {unique_id: valueOf("n-id"), parent_form: valueOf("record-type"), module_ids: [valueOf("module")],
                name_i18n: readTexts("n-name"), is_nested: nested, visible: !nested, fields: []};
  if (valueOf("n-group") && !nested) form.form_group_id = valueOf("n-group");
  try {
    await api("POST", "/api/v1/forms", {data: form});
    location.href = "/admin/forms/" + form.unique_id;
  } catch (error) { showError(error, newForm); }
});

const reload = () => loadForms().catch((error) => showError(error));
document.getElementById("record-type").addEventListener("change", reload);
document.getElementById("module").addEventListener("change", reload);
screenReady();
loadModules().then(loadForms).catch((error) => showError(error));
