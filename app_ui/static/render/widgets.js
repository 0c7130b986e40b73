/* The widgets: one builder per `render.widget` of the field-type registry, none per form or field.
 *
 * A builder takes (field, context) and returns a control: {node, read(), write(value), focus(), error(message)}.
 * `node` holds the label (or legend), the input(s), the help text and an error slot the input is described by;
 * read() gives the value as the record stores it (null when nothing is answered); `context.changed()` is called on
 * every edit. context: {catalog, words, id (a unique id base), options (select and radio), editable, before}.
 */
import {el, newId} from "../lib/dom.js";
import {optionsOf} from "./catalog.js";

/** The frame of one field: label (or legend for a group), help, guiding questions, error slot. */
function frame(field, context, inputs, group) {
  const helpId = field.help_text ? context.id + "-help" : null;
  const errorId = context.id + "-error";
  // A group's legend says "required" in words (aria-required does not apply to a group); an input carries it.
  const mark = field.required ? el("span", {class: "required"}, el("span", {"aria-hidden": "true", text: " *"}),
    group ? el("span", {class: "visually-hidden", text: " (" + context.words.t("required_field") + ")"}) : null) : null;
  const title = group ? el("legend", {text: field.display_name || field.name}, mark)
    : el("label", {for: context.id, text: field.display_name || field.name}, mark);
  const described = [helpId, errorId].filter(Boolean).join(" ");
  // The controls themselves: a tick box comes wrapped with its own label, an upload field after its list of files.
  const controls = group ? [...group.querySelectorAll("input, select, textarea")] : inputs.flatMap((node) =>
    (node.matches("input, select, textarea, output") ? [node] : [...node.querySelectorAll("input, select, textarea")]));
  for (const input of controls) {
    input.setAttribute("aria-describedby", described);
    if (field.required && !group) input.setAttribute("aria-required", "true");
  }
  const guidance = field.guiding_questions
    ? el("details", {class: "guidance"}, el("summary", {text: context.words.t("guidance")}), el("p", {text: field.guiding_questions}))
    : null;
  const parts = [title, guidance, ...(group ? [group] : inputs), helpId ? el("p", {class: "help", id: helpId, text: field.help_text}) : null,
    el("p", {class: "error", id: errorId, "aria-live": "polite"})];
  const node = group ? el("fieldset", {class: "field", "data-field": field.name}, ...parts)
    : el("div", {class: "field", "data-field": field.name}, ...parts);
  return node;
}

/** A control over a node: its error slot, and focus on its first input. */
function control(node, read, write, extra) {
  const slot = node.querySelector(":scope > .error");
  return Object.assign({
    node, read, write,
    focus() { const input = node.querySelector("input, select, textarea, button"); if (input) input.focus(); },
    error(message) {
      slot.textContent = message || "";
      node.classList.toggle("invalid", Boolean(message));
      for (const input of node.querySelectorAll("input, select, textarea")) {
        if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
      }
    },
  }, extra || {});
}

function text(field, context, multiline) {
  const input = multiline ? el("textarea", {id: context.id, rows: 3}) : el("input", {id: context.id, type: "text"});
  input.addEventListener("input", context.changed);
  input.disabled = !context.editable;
  return control(frame(field, context, [input]), () => (input.value === "" ? null : input.value),
    (value) => { input.value = typeof value === "string" ? value : ""; });
}

function number(field, context) {
  const input = el("input", {id: context.id, type: "number", step: "any", inputmode: "decimal",
    min: field.min_value, max: field.max_value});
  input.addEventListener("input", context.changed);
  input.disabled = !context.editable;
  // A text that is not a number reads as NaN, which the rules name (the browser's own value would be "").
  return control(frame(field, context, [input]),
    () => (input.validity.badInput ? NaN : input.value === "" ? null : Number(input.value)),
    (value) => { input.value = typeof value === "number" ? String(value) : ""; });
}

/** A local date-time of the device as RFC 3339 with its offset (2024-05-31T14:30:00+01:00). */
function withOffset(local) {
  const moment = new Date(local);
  if (Number.isNaN(moment.getTime())) return local;
  const minutes = -moment.getTimezoneOffset();
  const sign = minutes < 0 ? "-" : "+";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return local.slice(0, 16) + ":00" + sign + pad(minutes / 60) + ":" + pad(minutes % 60);
}

/** An RFC 3339 moment as the device's local date-time (what a datetime-local input shows). */
function localMoment(value) {
  const moment = new Date(value);
  if (Number.isNaN(moment.getTime())) return "";
  const local = new Date(moment.getTime() - moment.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}

function date(field, context) {
  const timed = Boolean(field.date_include_time);
  const input = el("input", {id: context.id, type: timed ? "datetime-local" : "date"});
  input.addEventListener("input", context.changed);
  input.disabled = !context.editable;
  return control(frame(field, context, [input]),
    () => (input.value === "" ? (input.validity.badInput ? "?" : null) : timed ? withOffset(input.value) : input.value),
    (value) => { input.value = typeof value !== "string" ? "" : timed ? localMoment(value) : value.slice(0, 10); });
}

/** The options a field offers: enabled ones, and a disabled one only when the record holds it already. */
function offered(field, context, value) {
  const held = new Set(Array.isArray(value) ? value : [value]);
  return optionsOf(field, context.catalog).filter((option) => !option.disabled || held.has(option.id));
}

function select(field, context) {
  if (field.multi_select) return choices(field, context, "checkbox");
  const input = el("select", {id: context.id});
  input.addEventListener("change", context.changed);
  input.disabled = !context.editable;
  const fill = (value) => {
    input.replaceChildren(el("option", {value: "", text: context.words.t("choose")}),
      ...offered(field, context, value).map((option) => el("option", {value: option.id, text: option.display_text})));
    input.value = typeof value === "string" ? value : "";
  };
  fill(context.before);
  return control(frame(field, context, [input]), () => (input.value === "" ? null : input.value), fill);
}

/** Radio buttons, or tick boxes for a multiple choice: a group of inputs named after the field. */
function choices(field, context, kind) {
  const group = el("div", {class: "choices"});  // the field's fieldset is the group, its legend the name
  const multiple = kind === "checkbox";
  const fill = (value) => {
    const held = new Set(Array.isArray(value) ? value : value === null || value === undefined ? [] : [value]);
    group.replaceChildren(...offered(field, context, value).map((option) => {
      const id = newId(context.id);
      const input = el("input", {type: kind, id, name: context.id, value: option.id, checked: held.has(option.id),
        disabled: !context.editable, onchange: context.changed});
      return el("div", {class: "choice"}, input, el("label", {for: id, text: option.display_text}));
    }));
  };
  fill(context.before);
  const read = () => {
    const chosen = [...group.querySelectorAll("input:checked")].map((input) => input.value);
    return multiple ? (chosen.length ? chosen : null) : (chosen[0] === undefined ? null : chosen[0]);
  };
  return control(frame(field, context, [], group), read, fill);
}

function checkbox(field, context) {
  const input = el("input", {id: context.id, type: "checkbox", disabled: !context.editable, onchange: context.changed});
  const before = context.before;
  const node = frame(field, context, [el("span", {class: "tick"}, input,
    el("label", {for: context.id, text: field.tick_box_label || context.words.t("yes")}))]);
  // Unticking keeps an answer (false) only where there was one: an untouched box stays unanswered.
  return control(node, () => (input.checked ? true : before === undefined || before === null ? null : false),
    (value) => { input.checked = value === true; });
}

function tally(field, context) {
  const inputs = (field.tally || []).map((item) => {
    const id = newId(context.id);
    const input = el("input", {id, type: "number", min: 0, step: 1, inputmode: "numeric", "data-item": item.id,
      disabled: !context.editable, oninput: context.changed});
    return el("div", {class: "tally-item"}, el("label", {for: id, text: item.display_text}), input);
  });
  const group = el("div", {class: "tally"}, ...inputs);
  const read = () => {
    const counts = {};
    for (const input of group.querySelectorAll("input")) {
      if (input.validity.badInput) counts[input.dataset.item] = NaN;
      else if (input.value !== "") counts[input.dataset.item] = Number(input.value);
    }
    return Object.keys(counts).length ? counts : null;
  };
  const write = (value) => {
    for (const input of group.querySelectorAll("input")) {
      const count = value && typeof value === "object" ? value[input.dataset.item] : undefined;
      input.value = typeof count === "number" ? String(count) : "";
    }
  };
  return control(frame(field, context, [], group), read, write);
}

/** Cascading pickers, one per admin level below the country: each lists the places under the one chosen above. */
function location(field, context) {
  const {catalog, words} = context;
  const deepest = field.location_admin_level;
  const levels = [...catalog.levels.keys()].filter((level) => level > 0 && (deepest === undefined || level <= deepest))
    .sort((a, b) => a - b);
  const roots = [...catalog.places.values()].filter((place) => place.admin_level === 0).map((place) => place.code);
  const group = el("div", {class: "places"});
  const pickers = levels.map((level) => {
    const id = newId(context.id);
    const input = el("select", {id, "data-level": level, disabled: !context.editable});
    input.addEventListener("change", () => { refill(levels.indexOf(level) + 1); context.changed(); });
    group.append(el("div", {class: "place-level"}, el("label", {for: id, text: catalog.levels.get(level) || String(level)}), input));
    return input;
  });
  const placesUnder = (parents) => parents.flatMap((code) => catalog.children.get(code) || []);
  const fillPicker = (index, parents, chosen) => {
    const input = pickers[index];
    const places = placesUnder(parents).filter((place) => place.admin_level === levels[index]);
    input.replaceChildren(el("option", {value: "", text: words.t("choose")}),
      ...places.map((place) => el("option", {value: place.code, text: place.name})));
    input.value = chosen && places.some((place) => place.code === chosen) ? chosen : "";
    input.disabled = !context.editable || !places.length;
  };
  function refill(from) {
    for (let index = from; index < pickers.length; index++) {
      const above = index === 0 ? roots : pickers[index - 1].value ? [pickers[index - 1].value] : [];
      fillPicker(index, above, null);
    }
  }
  const write = (code) => {
    const trail = [];
    for (let place = catalog.places.get(code); place; place = catalog.places.get(place.parent_code)) trail.unshift(place.code);
    pickers.forEach((_, index) => {
      const above = index === 0 ? roots : pickers[index - 1].value ? [pickers[index - 1].value] : [];
      fillPicker(index, above, trail.find((candidate) => catalog.places.get(candidate).admin_level === levels[index]));
    });
  };
  const read = () => {
    const chosen = pickers.map((input) => input.value).filter(Boolean);
    return chosen.length ? chosen[chosen.length - 1] : null;
  };
  write(null);
  return control(frame(field, context, [], group), read, write);
}

function calculated(field, context) {
  const output = el("output", {id: context.id, class: "calculated", "aria-live": "polite"});
  const node = frame(field, context, [output]);
  node.querySelector("label").removeAttribute("for");
  output.setAttribute("aria-labelledby", newLabel(node));
  return control(node, () => undefined, (value) => {
    output.textContent = typeof value === "number" ? context.words.number(value) : "—";
  });
}

/** Give a frame's label an id (for elements a label's `for` cannot name) and return it. */
function newLabel(node) {
  const label = node.querySelector("label, legend");
  label.id = label.id || newId("label");
  return label.id;
}

function separator(field) {
  const node = el("div", {class: "separator", "data-field": field.name}, el("h3", {text: field.display_name || ""}));
  return {node, read: () => undefined, write() {}, focus() {}, error() {}};
}

/** Files of an upload field: those attached (names, removable) and new ones chosen from the camera or a folder. */
function files(field, context) {
  const type = context.type || {};
  const render = type.render || {};
  const list = el("ul", {class: "files"});
  const input = el("input", {id: context.id, type: "file", accept: render.accept || null, multiple: true,
    disabled: !context.editable, hidden: !context.editable});
  // No `capture`: a tablet then offers its camera and its files alike (capture would force the camera).
  const node = frame(field, context, [list, input]);
  const attachments = context.attachments;
  const show = () => {
    const held = attachments ? attachments.of(field.name) : [];
    list.replaceChildren(...held.map((file) => el("li", {},
      file.href && !file.pending ? el("a", {class: "file-name", href: file.href, download: file.name, text: file.name})
        : el("span", {class: "file-name", text: file.name + (file.pending ? " — " + context.words.t("file_pending") : "")}),
      context.editable && attachments ? el("button", {type: "button", class: "link", text: context.words.t("remove"),
        "aria-label": context.words.t("remove") + " " + file.name,
        onclick: () => { attachments.remove(field.name, file); show(); context.changed(); }}) : null)));
  };
  input.addEventListener("change", () => {
    if (attachments) attachments.add(field.name, [...input.files]);
    input.value = "";
    show();
    context.changed();
  });
  show();
  return control(node, () => undefined, show);
}

export const WIDGETS = {
  text: (field, context) => text(field, context, false),
  textarea: (field, context) => text(field, context, true),
  number, date, select, checkbox, tally, location, calculated, separator, files,
  radio: (field, context) => choices(field, context, "radio"),
};
