/* The forms of a record type and module, by form group; creating a form. */
import {api, newestOnly} from "../lib/api.js";
import {el, screenReady, valueOf} from "../lib/dom.js";
import {showError} from "../lib/errors.js";
import {readTexts} from "../lib/labels.js";
import {fmt, label, t} from "../lib/text.js";

const newForm = document.getElementById("new-form");
const newestForms = newestOnly();
let shown = [];  // the forms listed, in their order (where a new one may go)

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
  shown = forms.filter((form) => !form.is_nested);
  document.getElementById("n-place").replaceChildren(el("option", {value: "", text: t("at_the_end")}),
    ...shown.map((form, index) => el("option", {value: String(index), text: fmt("after_field", {field: label(form.name_i18n)})})));
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

/** The order of a new form: right after a chosen one (in its group), or after every form (in its own group). */
function placeOf(chosen, group) {
  if (chosen !== "") {
    const after = shown[Number(chosen)];
    return {form_group_id: after.form_group_id || after.unique_id, order_form_group: after.order_form_group || 0,
            order: (after.order || 0) + 1};
  }
  const last = Math.max(0, ...shown.map((form) => form.order_form_group || 0));
  const members = shown.filter((form) => group && form.form_group_id === group);
  return members.length ? {order_form_group: members[0].order_form_group || 0,
                           order: Math.max(...members.map((form) => form.order || 0)) + 10}
    : {order_form_group: last + 10, order: 10};
}

newForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const nested = document.getElementById("n-nested").checked;
  const form = {unique_id: valueOf("n-id"), parent_form: valueOf("record-type"), module_ids: [valueOf("module")],
                name_i18n: readTexts("n-name"), is_nested: nested, visible: !nested, fields: []};
  if (valueOf("n-group") && !nested) form.form_group_id = valueOf("n-group");
  Object.assign(form, nested ? {} : placeOf(valueOf("n-place"), form.form_group_id));
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
