/* The pickers of the report editor: what a report may count by or filter on, chosen by label, never typed.
 *
 * A source is a field of the record type (or of the counted subform row) whose type the engine can group: options,
 * tick boxes, places (at an admin level), numbers (in age bands), dates (by month, quarter or year); or a fact the
 * engine derives (the case's status, stage, agency; a referral's state, dates; an event). Sources come from the
 * draft's forms and lookups and the field-type registry's `value` of each type (never from a list of types here). */
import {el} from "../lib/dom.js";
import {fmt, label, t} from "../lib/text.js";

const KINDS = {option: "option", boolean: "boolean", number: "number", computed: "number", date: "date", place: "place"};
export const PRIMERO_BANDS = [0, 6, 12, 18];  // Primero's default age ranges: 0-5, 6-11, 12-17, 18+
const BANDS = {primero: PRIMERO_BANDS, adult: [0, 18], fives: [0, 5, 10, 15, 18]};
const PERIODS = ["month", "quarter", "year"];
const REFERRAL_STATES = ["in_progress", "accepted", "rejected", "done", "revoked"];
// The facts the engine derives: their kind, the units they exist for (all when absent), the record types (case when set).
const FACTS = [
  {fact: "status", kind: "option"}, {fact: "stage", kind: "option", cases: true}, {fact: "agency", kind: "option"},
  {fact: "opened_on", kind: "date"},
  {fact: "referral_status", kind: "option", units: ["referrals"]}, {fact: "agency_type", kind: "option", units: ["referrals"]},
  {fact: "referred_on", kind: "date", units: ["referrals"]}, {fact: "accepted_on", kind: "date", units: ["referrals"]},
  {fact: "done_on", kind: "date", units: ["referrals"]},
  {fact: "event", kind: "option", units: ["events"]}, {fact: "event_on", kind: "date", units: ["events"]},
];
const FILTER_FACTS = ["status", "stage", "agency", "agency_type", "referral_status", "event"];
const REFERENCE_FACTS = ["opened_on", "first_service_on", "referred_on", "accepted_on", "done_on", "event_on"];

/** The key of a source in the pickers: "field:sex", "fact:status". */
export const keyOf = (ref) => (ref.field ? "field:" + ref.field : "fact:" + ref.fact);
/** The reference a key names ({field} or {fact}); null for no key. */
export const refOf = (key) => (!key ? null : key.startsWith("field:") ? {field: key.slice(6)} : {fact: key.slice(5)});

/** The options of a field: [{id, label}] from its lookup or its own list. */
function optionsOf(field, lookups) {
  const source = field.option_strings_source;
  const values = source ? lookups.get(source.split(" ", 2)[1]) || [] : field.option_strings_text_i18n || [];
  return values.map((value) => ({id: value.id, label: label(value.display_text) || value.id}));
}

/** The fields of `forms` that a report may group by, grouped under their form's name. */
function fieldSources(forms, data) {
  const sources = [];
  for (const form of forms) {
    for (const field of form.fields || []) {
      const type = data.types.get(field.type);
      const kind = KINDS[type ? type.value : ""];
      if (!kind) continue;
      const options = kind === "option" ? optionsOf(field, data.lookups)
        : kind === "boolean" ? [{id: true, label: t("rep_yes")}, {id: false, label: t("rep_no")}] : [];
      sources.push({key: "field:" + field.name, ref: {field: field.name}, kind, options, group: label(form.name_i18n) || form.unique_id,
        label: label(field.display_name_i18n) || field.name, names: field.display_name_i18n || {}});
    }
  }
  return sources;
}

/** The values of a fact the pickers offer (status, stage, agency, referral state, event). */
function factOptions(fact, data, events) {
  if (fact === "status") return data.statuses;
  if (fact === "stage") return data.stages;
  if (fact === "agency") return data.agencies;
  if (fact === "referral_status") return REFERRAL_STATES.map((id) => ({id, label: t("rep_referral_" + id)}));
  if (fact === "event") return events.map((event) => ({id: event.id, label: label(event.name_i18n) || event.id}));
  return [];
}

/**
 * What a report over `recordType` counting `unit` may use: {dimensions, filters, dates, subforms}.
 * data: {forms (the draft's of the record type), lookups, types, statuses, stages, agencies}; events: the chosen ones.
 */
export function reportSources(data, {recordType, unit, subform, events}) {
  const top = data.forms.filter((form) => !form.is_nested);
  const subforms = data.forms.filter((form) => form.is_nested);
  const rows = unit === "rows" ? subforms.filter((form) => form.unique_id === subform) : [];
  const fields = [...fieldSources(rows, data), ...fieldSources(top, data)];
  const facts = FACTS.filter((fact) => (!fact.units || fact.units.includes(unit)) && (!fact.cases || recordType === "case"))
    .map((fact) => ({key: "fact:" + fact.fact, ref: {fact: fact.fact}, kind: fact.kind, group: t("rep_facts"),
      label: t("rep_fact_" + fact.fact), options: factOptions(fact.fact, data, events || [])}));
  const dimensions = [...fields, ...facts];
  const filters = dimensions.filter((source) => (source.ref.field ? source.kind !== "place"
    : FILTER_FACTS.includes(source.ref.fact) && source.options.length));
  const dates = [...fields.filter((source) => source.kind === "date"),
    ...REFERENCE_FACTS.filter((fact) => fact !== "event_on" || unit === "events").filter((fact) => recordType === "case" || fact === "opened_on")
      .map((fact) => ({key: "fact:" + fact, ref: {fact}, kind: "date", group: t("rep_facts"), label: t("rep_fact_" + fact)}))];
  const eventDates = fieldSources(top, data).filter((source) => source.kind === "date");
  return {dimensions, filters, dates, eventDates, subforms};
}

/** A select of sources grouped by form (facts last); `empty`: the words of the "none" choice, when there is one. */
export function sourcePicker(attributes, sources, chosen, empty) {
  const groups = new Map();
  for (const source of sources) {
    if (!groups.has(source.group)) groups.set(source.group, el("optgroup", {label: source.group}));
    groups.get(source.group).append(el("option", {value: source.key, text: source.label, selected: source.key === chosen}));
  }
  const known = !chosen || sources.some((source) => source.key === chosen);
  return el("select", attributes, el("option", {value: "", text: empty || "—"}),
    known ? null : el("option", {value: chosen, selected: true, text: fmt("rep_unknown_source", {name: chosen.split(":")[1]})}),
    ...groups.values());
}

/** "0-5, 6-11, 12-17, 18+" for bands [0, 6, 12, 18]. */
export function bandWords(bands) {
  return bands.map((from, index) => (index === bands.length - 1 ? from + "+" : from + "-" + (bands[index + 1] - 1))).join(", ");
}

/** Bands written by a person ("0, 6, 12, 18"): whole numbers, rising; null when they are not. */
function parseBands(text) {
  const bands = text.split(/[\s,;]+/).filter(Boolean).map(Number);
  const rising = bands.every((value, index) => Number.isInteger(value) && value >= 0 && value <= 200 && (!index || value > bands[index - 1]));
  return bands.length && rising ? bands : null;
}

/** The controls that refine a dimension of a place, a number or a date: its admin level, its bands, its period. */
function refinement(source, dimension, id, levels, onchange) {
  if (source.kind === "place") {
    if (dimension.admin_level === undefined && levels.length) dimension.admin_level = levels[Math.min(1, levels.length - 1)].level;
    return el("span", {class: "refine"}, el("label", {for: id + "-level", text: t("rep_admin_level")}),
      el("select", {id: id + "-level", onchange: (event) => { dimension.admin_level = Number(event.target.value); onchange(); }},
        ...levels.map((level) => el("option", {value: level.level, selected: level.level === dimension.admin_level,
          text: fmt("rep_level", {level: level.level, examples: level.examples})}))));
  }
  if (source.kind === "number") {
    if (!dimension.bands) dimension.bands = PRIMERO_BANDS.slice();
    const preset = Object.keys(BANDS).find((name) => String(BANDS[name]) === String(dimension.bands)) || "custom";
    const custom = el("input", {id: id + "-bounds", class: "bounds", value: dimension.bands.join(", "), hidden: preset !== "custom",
      "aria-label": t("rep_bounds"), oninput: (event) => {
        const bands = parseBands(event.target.value);
        event.target.setAttribute("aria-invalid", bands ? "false" : "true");
        if (bands) { dimension.bands = bands; words.textContent = bandWords(bands); onchange(); }
      }});
    const words = el("span", {class: "explain", text: bandWords(dimension.bands), hidden: preset !== "custom"});
    return el("span", {class: "refine"}, el("label", {for: id + "-bands", text: t("rep_bands")}),
      el("select", {id: id + "-bands", onchange: (event) => {
        custom.hidden = words.hidden = event.target.value !== "custom";
        if (event.target.value !== "custom") dimension.bands = BANDS[event.target.value].slice();
        custom.value = dimension.bands.join(", ");
        words.textContent = bandWords(dimension.bands);
        onchange();
      }}, ...Object.keys(BANDS).map((name) => el("option", {value: name, selected: name === preset,
        text: fmt("rep_bands_" + name, {bands: bandWords(BANDS[name])})})),
      el("option", {value: "custom", selected: preset === "custom", text: t("rep_bands_custom")})), custom, words);
  }
  if (source.kind === "date") {
    if (!dimension.period) dimension.period = "month";
    return el("span", {class: "refine"}, el("label", {for: id + "-period", text: t("rep_period")}),
      el("select", {id: id + "-period", onchange: (event) => { dimension.period = event.target.value; onchange(); }},
        ...PERIODS.map((period) => el("option", {value: period, selected: period === dimension.period, text: t("rep_period_" + period)}))));
  }
  return null;
}

/**
 * One dimension's pickers: the source by label, then what refines it. dimension: the report's own object
 * ({field|fact, admin_level, bands, period}), changed in place; onchange(dimension | null) after each change.
 */
export function dimensionPicker({id, caption, sources, dimension, levels, optional, onchange, onremove}) {
  const box = el("div", {class: "dimension", role: "group", "aria-labelledby": id + "-caption"});
  const draw = () => {
    const chosen = dimension ? keyOf(dimension) : "";
    const source = sources.find((candidate) => candidate.key === chosen);
    const picker = sourcePicker({id, onchange: (event) => {
      const key = event.target.value;
      dimension = key ? refOf(key) : null;
      draw();
      box.querySelector("select").focus();
      onchange(dimension);
    }}, sources, chosen, optional ? t("rep_none") : null);
    box.replaceChildren(...[el("label", {id: id + "-caption", for: id, text: caption}), picker,
      source && dimension ? refinement(source, dimension, id, levels, () => onchange(dimension)) : null,
      onremove ? el("button", {type: "button", class: "secondary small", text: t("remove"), "aria-label": fmt("rep_remove_dimension", {caption}),
        onclick: onremove}) : null].filter(Boolean));
  };
  draw();
  return box;
}

const COMPARISONS = {number: ["lt", "le", "gt", "ge"], date: ["lt", "le", "gt", "ge"]};

/** One filter's pickers: a source, then its values (ticks) or a comparison with a number or a date. */
export function filterRow({id, sources, filter, onchange, onremove}) {
  const row = el("li", {class: "filter", role: "group", "aria-label": t("rep_filter")});
  const draw = () => {
    const chosen = filter.field || filter.fact ? keyOf(filter) : "";
    const source = sources.find((candidate) => candidate.key === chosen);
    const parts = [sourcePicker({id, "aria-label": t("rep_filter_on"), onchange: (event) => {
      for (const key of Object.keys(filter)) delete filter[key];
      if (event.target.value) Object.assign(filter, refOf(event.target.value));
      draw();
      row.querySelector("select").focus();
      onchange();
    }}, sources, chosen)];
    if (source && source.options && source.options.length) {
      const ticked = new Set((filter.in || []).map(String));
      parts.push(el("span", {text: t("rep_is_one_of")}), el("fieldset", {class: "rule-values"},
        el("legend", {class: "visually-hidden", text: fmt("rep_values_of", {name: source.label})}),
        ...source.options.map((option) => el("label", {}, el("input", {type: "checkbox", value: String(option.id),
          checked: ticked.has(String(option.id)), onchange: (event) => {
            const boxes = [...event.target.closest("fieldset").querySelectorAll("input:checked")];
            const values = boxes.map((box) => source.options.find((candidate) => String(candidate.id) === box.value).id);
            if (values.length) filter.in = values; else delete filter.in;
            onchange();
          }}), " " + option.label))));
    } else if (source && COMPARISONS[source.kind]) {
      const operator = COMPARISONS[source.kind].find((name) => name in filter) || "lt";
      const type = source.kind === "date" ? "date" : "number";
      const input = el("input", {type, class: "filter-value", "aria-label": fmt("rep_value_of", {name: source.label}),
        value: filter[operator] ?? "", oninput: () => write()});
      const select = el("select", {"aria-label": t("rep_comparison"), onchange: () => write()},
        ...COMPARISONS[source.kind].map((name) => el("option", {value: name, selected: name === operator, text: t("rep_" + type + "_" + name)})));
      const write = () => {
        for (const name of COMPARISONS[source.kind]) delete filter[name];
        if (input.value !== "") filter[select.value] = type === "number" ? Number(input.value) : input.value;
        onchange();
      };
      parts.push(select, input);
    }
    parts.push(el("button", {type: "button", class: "secondary small", text: "×", "aria-label": t("rep_remove_filter"), onclick: onremove}));
    row.replaceChildren(...parts);
  };
  draw();
  return row;
}
