/* The form renderer: a record's forms drawn from the catalog alone (forms, field-type registry, options, places).
 *
 * One Editor holds the data of one object (a record's data, or one row of a subform) and the fields drawn over it.
 * Every edit updates the data, computes the calculated fields, shows or hides the fields whose display conditions
 * changed (the expression language, evaluated here as the server evaluates it) and checks the edited field against
 * the server's rules. `patch()` is what a save sends: the changed fields, cleared ones as null, subform rows by id
 * (removed ones as {unique_id, _destroy: true}). Fields the role only reads, and forms shown for reading, are drawn as
 * text. `words` carries the texts: {t(key), fmt(key, params), fill(template, params), rules, number(n), when(date)}.
 */
import {el, newId} from "../lib/dom.js";
import {optionsOf, typeOf} from "./catalog.js";
import {displayValue} from "./display.js";
import {evaluate} from "./expressions.js";
import {MAX_ROWS, brokenRule, isBlank, sameValue} from "./rules.js";
import {WIDGETS} from "./widgets.js";

const ROW_ID = "unique_id";

/** A new random (version 4) UUID: a subform row's id (the server merges rows by it), a new record's id. */
export function uuid4() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function copy(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export class Editor {
  /**
   * options: {catalog, words, data (the object's values), stored (its values as saved: what is new is checked
   * against rules of new values, and patch() compares with it), attachments (the files of upload fields, listed),
   * uploads (whether files may be added and removed: online, on a record the server has), onchange}.
   */
  constructor(options) {
    this.catalog = options.catalog;
    this.words = options.words;
    this.stored = options.stored || {};
    this.data = copy(options.data || this.stored) || {};
    this.attachments = options.attachments || null;  // the files of upload fields (listed; changed when `uploads`)
    this.uploads = Boolean(options.uploads);
    this.onchange = options.onchange || (() => {});
    this.entries = [];  // {field, control | null (read), node, editable, touched}
    this.calculated = [];
  }

  /** Draw the fields of `form`: inputs when `editable`, else the values as text. Returns the form's element. */
  section(form, editable) {
    const body = el("div", {class: "form-fields"});
    for (const field of form.fields || []) {
      if (field.visible === false) continue;
      const entry = this.entry(field, editable);
      if (entry) body.append(entry.node);
    }
    const section = el("section", {class: "form", "data-form": form.unique_id, "aria-labelledby": form.unique_id + "-title"},
      el("h2", {id: form.unique_id + "-title", text: form.name}), form.description ? el("p", {class: "form-description", text: form.description}) : null, body);
    this.refresh();
    return section;
  }

  /** Draw one field and keep it as an entry of this editor. */
  entry(field, editable) {
    const type = typeOf(field, this.catalog);
    if (!type) return null;  // a type this app does not know: its data stay as they are
    const widget = type.render.widget;
    const computed = type.read_only;
    if (computed) this.calculated.push(field);
    const isEditable = editable && !field.disabled && !computed && (widget !== "files" || this.uploads);
    let control = null;
    let node;
    if (widget === "subform") {
      control = this.subform(field, isEditable);
      node = control.node;
    } else if (widget === "separator"
      || (isEditable || computed || (widget === "files" && (editable || this.attachments))) && WIDGETS[widget]) {
      const context = {catalog: this.catalog, words: this.words, id: newId("field-" + field.name), editable: isEditable,
        before: this.data[field.name], type, attachments: this.attachments,
        changed: () => this.changed(entry)};
      control = WIDGETS[widget](field, context);
      if (widget !== "separator") control.write(this.data[field.name]);
      node = control.node;
      // A blank required field is told once the user leaves it (while typing, only what they typed is checked).
      node.addEventListener("focusout", (event) => {
        if (entry.touched && !node.contains(event.relatedTarget)) this.checkEntry(entry, true);
      });
    } else {
      node = this.reading(field);
    }
    const entry = {field, type, control, node, editable: isEditable && widget !== "separator" && widget !== "files", touched: false};
    this.entries.push(entry);
    return entry;
  }

  /** A field shown for reading: its label and its value as text. */
  reading(field) {
    const label = newId("reading");
    return el("div", {class: "field reading", "data-field": field.name, role: "group", "aria-labelledby": label},
      el("span", {class: "label", id: label, text: field.display_name || field.name}),
      el("span", {class: "value", text: displayValue(field, this.data[field.name], this) || "—"}));
  }

  /** An edit: take the control's value, compute, show and hide, check the field as typed. */
  changed(entry) {
    const value = entry.control.read();
    if (value === null || value === undefined) delete this.data[entry.field.name];
    else this.data[entry.field.name] = value;
    entry.touched = true;
    this.refresh();
    this.checkEntry(entry, false);
    this.onchange(entry.field.name);
  }

  /** Compute the calculated fields, then show each field whose display conditions hold and hide the others. */
  refresh() {
    for (const field of this.calculated) {
      const value = evaluate(field.calculation, this.data);
      if (value === null) delete this.data[field.name]; else this.data[field.name] = value;
    }
    for (const entry of this.entries) {
      if (entry.type.read_only && entry.control) entry.control.write(this.data[entry.field.name]);
      const conditions = entry.field.display_conditions;
      entry.node.hidden = Boolean(conditions) && !evaluate(conditions, this.data);
    }
  }

  /** The problem of one entry: {rule, params} broken by its value, or null. */
  problemOf(entry) {
    const field = entry.field;
    if (!entry.editable) return null;
    if (entry.type.render.widget === "subform") return entry.control.problem();
    return brokenRule(field, this.data[field.name], {shown: !entry.node.hidden, before: this.stored[field.name],
      options: entry.type.render.options ? optionsOf(field, this.catalog) : [], type: entry.type, places: this.catalog.places});
  }

  /** Check one entry and show its message (a blank required field is told only once the user has left it or saves). */
  checkEntry(entry, saving) {
    const problem = this.problemOf(entry);
    if (problem && problem.rule === "REQUIRED" && !saving) {
      entry.control.error(null);
      return null;
    }
    entry.control.error(problem ? this.message(problem) : null);
    return problem;
  }

  /** A problem in the user's language, as the server words it. */
  message(problem) {
    if (problem.message) return problem.message;
    const rule = this.words.rules[problem.rule];
    return rule ? this.words.fill(rule.message, problem.params) : problem.rule;
  }

  /** Check every field shown; show each message. Returns [{field, code, message}] (empty: nothing to correct). */
  check() {
    const problems = [];
    for (const entry of this.entries) {
      if (!entry.editable) continue;
      const problem = this.checkEntry(entry, true);
      if (problem) {
        problems.push({field: "/" + entry.field.name, code: (this.words.rules[problem.rule] || {}).code || problem.rule,
          message: this.message(problem), entry});
      }
    }
    return problems;
  }

  /** Show the details of a refusal from the server next to their fields; returns those that have no field here. */
  showDetails(details) {
    const unplaced = [];
    for (const detail of details) {
      const parts = String(detail.field || "").split("/").filter(Boolean);
      const entry = this.entries.find((candidate) => candidate.field.name === parts[0] && candidate.control);
      if (!entry) { unplaced.push(detail); continue; }
      if (parts.length > 1 && entry.control.rowProblem) entry.control.rowProblem(Number(parts[1]), parts.slice(2), detail.message);
      else entry.control.error(detail.message);
    }
    return unplaced;
  }

  /** Focus the first field that shows a problem. */
  focusFirstProblem() {
    const entry = this.entries.find((candidate) => candidate.node.classList.contains("invalid") && !candidate.node.hidden);
    if (entry) {
      entry.node.scrollIntoView({block: "center"});
      entry.control.focus();
    }
    return entry || null;
  }

  /** The changes of the fields drawn for editing since `stored`: what a save sends. */
  patch() {
    const patch = {};
    for (const entry of this.entries) {
      if (!entry.editable) continue;
      const name = entry.field.name;
      if (entry.type.render.widget === "subform") {
        const rows = entry.control.rowsPatch();
        if (rows.length) patch[name] = rows;
      } else if (!sameValue(this.data[name], this.stored[name]) && !(isBlank(this.data[name]) && this.stored[name] === undefined)) {
        patch[name] = this.data[name] === undefined ? null : this.data[name];
      }
    }
    return patch;
  }

  /** A subform: its rows summed up by their collapsed fields, each editable in a nested editor of the row's form. */
  subform(field, editable) {
    const nested = this.catalog.forms.get(field.subform_section_id);
    const stored = Array.isArray(this.stored[field.name]) ? this.stored[field.name] : [];
    let rows = copy(Array.isArray(this.data[field.name]) ? this.data[field.name] : []);
    const list = el("ol", {class: "rows"});
    const editorSlot = el("div", {class: "row-editor-slot"});
    const error = el("p", {class: "error", id: newId("rows-error")});
    const add = editable && nested ? el("button", {type: "button", class: "secondary", text: this.words.fmt("add_row", {form: field.display_name || field.name}),
      onclick: () => open(null)}) : null;
    const node = el("fieldset", {class: "field subform", "data-field": field.name, "aria-describedby": error.id},
      el("legend", {text: field.display_name || field.name}), list, editorSlot, add, error);
    const fieldsOf = (nested && nested.fields) || [];
    const summaryFields = (field.collapsed_field_names || []).map((name) => fieldsOf.find((f) => f.name === name)).filter(Boolean);
    const rowErrors = new Map();
    const summary = (row, index) => {
      const parts = summaryFields.map((f) => displayValue(f, row[f.name], this)).filter(Boolean);
      return parts.length ? parts.join(" · ") : this.words.fmt("row_n", {n: index + 1});
    };
    const sorted = () => {
      const by = field.subform_sort_by;
      const indexed = rows.map((row, index) => ({row, index}));
      if (by) indexed.sort((a, b) => String(a.row[by] ?? "").localeCompare(String(b.row[by] ?? "")));
      return indexed;
    };
    const commit = () => {
      if (rows.length) this.data[field.name] = rows; else delete this.data[field.name];
      entry.touched = true;
      this.refresh();
      draw();
      this.onchange(field.name);
    };
    const draw = () => {
      list.replaceChildren(...sorted().map(({row, index}) => {
        const text = summary(row, index);
        const problem = rowErrors.get(row[ROW_ID]);
        const item = el("li", {class: problem ? "row invalid" : "row"},
          el("span", {class: "row-summary", text}), problem ? el("span", {class: "error", text: problem}) : null);
        if (editable) {
          item.append(el("button", {type: "button", class: "link", text: this.words.t("edit"), "aria-label": this.words.t("edit") + " " + text,
            onclick: () => open(index)}),
          el("button", {type: "button", class: "link danger", text: this.words.t("remove"), "aria-label": this.words.t("remove") + " " + text,
            onclick: () => { rows.splice(index, 1); rowErrors.delete(row[ROW_ID]); commit(); add && add.focus(); }}));
        } else if (nested) {
          const reader = new Editor({catalog: this.catalog, words: this.words, stored: row});
          item.append(el("details", {}, el("summary", {text: this.words.t("details")}), reader.section(nested, false)));
        }
        return item;
      }));
      if (!rows.length) list.append(el("li", {class: "empty", text: this.words.t("no_rows")}));
    };
    const open = (index) => {
      const before = index === null ? {} : rows[index];
      const storedRow = stored.find((row) => row[ROW_ID] === before[ROW_ID]) || {};
      const editor = new Editor({catalog: this.catalog, words: this.words, data: before, stored: storedRow});
      const panel = el("div", {class: "row-editor", role: "group",
        "aria-label": this.words.fmt("row_n", {n: index === null ? rows.length + 1 : index + 1})},
        editor.section(nested, true));
      const done = el("button", {type: "button", class: "primary", text: this.words.t("done"), onclick: () => {
        if (editor.check().length) { editor.focusFirstProblem(); return; }
        const row = Object.assign({[ROW_ID]: before[ROW_ID] || uuid4()}, editor.data);
        if (index === null) rows.push(row); else rows[index] = row;
        rowErrors.delete(row[ROW_ID]);
        editorSlot.replaceChildren();
        if (add) add.hidden = false;
        commit();
        if (add) add.focus();
      }});
      const cancel = el("button", {type: "button", class: "secondary", text: this.words.t("cancel"), onclick: () => {
        editorSlot.replaceChildren();
        if (add) { add.hidden = false; add.focus(); }
      }});
      panel.append(el("div", {class: "actions"}, done, cancel));
      editorSlot.replaceChildren(panel);
      if (add) add.hidden = true;
      const first = panel.querySelector("input, select, textarea");
      if (first) first.focus();
    };
    const entry = {field, touched: false};
    draw();
    return {
      node,
      read: () => (rows.length ? rows : null),
      write() { draw(); },
      focus() { (list.querySelector("button") || add || node).focus(); },
      error(message) {
        error.textContent = message || "";
        node.classList.toggle("invalid", Boolean(message) || rowErrors.size > 0);
      },
      /** Problems of the rows (a required field left blank in a row saved before this rule, say). */
      problem: () => {
        if (rows.length > MAX_ROWS) return {rule: "MAX_ITEMS", params: {limit: MAX_ROWS}};
        rowErrors.clear();
        if (nested) {
          rows.forEach((row) => {
            const storedRow = stored.find((candidate) => candidate[ROW_ID] === row[ROW_ID]) || {};
            const checker = new Editor({catalog: this.catalog, words: this.words, data: row, stored: storedRow});
            checker.section(nested, true);
            const found = checker.check();
            if (found.length) rowErrors.set(row[ROW_ID], found.map((p) => (p.entry.field.display_name || p.entry.field.name) + " : " + p.message).join(" "));
          });
        }
        draw();
        return rowErrors.size ? {rule: "ROWS", message: this.words.t("rows_invalid")} : null;
      },
      rowProblem: (position, path, message) => {
        const row = rows[position];
        if (!row) { error.textContent = message; return; }
        const inner = fieldsOf.find((f) => f.name === path[0]);
        rowErrors.set(row[ROW_ID], (inner ? (inner.display_name || inner.name) + " : " : "") + message);
        node.classList.add("invalid");
        draw();
      },
      rowsPatch: () => {
        const patch = [];
        const kept = new Set();
        for (const row of rows) {
          const old = stored.find((candidate) => candidate[ROW_ID] === row[ROW_ID]);
          kept.add(row[ROW_ID]);
          if (!old) { patch.push(row); continue; }
          const changed = {[ROW_ID]: row[ROW_ID]};
          for (const key of new Set([...Object.keys(row), ...Object.keys(old)])) {
            if (key !== ROW_ID && !sameValue(row[key], old[key])) changed[key] = row[key] === undefined ? null : row[key];
          }
          if (Object.keys(changed).length > 1) patch.push(changed);
        }
        for (const old of stored) if (old[ROW_ID] && !kept.has(old[ROW_ID])) patch.push({[ROW_ID]: old[ROW_ID], _destroy: true});
        return patch;
      },
    };
  }
}
