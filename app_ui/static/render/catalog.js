/* The catalog a form is rendered from: a bundle (GET /sync/bundle, labels in one language) indexed once.
 *
 * The renderer reads nothing else: forms by id, the field-type registry by type, option lists by lookup id, places
 * by code with their children, and the role's forms (form id -> "r" | "rw"). The admin preview builds the same
 * catalog from the draft, so an administrator sees what a tablet shows.
 */

/** Index a bundle ({forms, lookups, locations, field_types, permissions, modules}) for the renderer. */
export function makeCatalog(bundle) {
  const forms = new Map(bundle.forms.map((form) => [form.unique_id, form]));
  const types = new Map((bundle.field_types || []).map((type) => [type.type, type]));
  const lookups = new Map(bundle.lookups.map((lookup) => [lookup.unique_id, lookup.lookup_values || []]));
  const places = new Map();
  const children = new Map();
  const levels = new Map();
  for (const hierarchy of bundle.locations || []) {
    for (const level of hierarchy.admin_levels || []) levels.set(level.admin_level, level.type);
    for (const place of hierarchy.locations) {
      places.set(place.code, place);
      const parent = place.parent_code || "";
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(place);
    }
  }
  for (const list of children.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  const grants = (bundle.permissions || {}).form_section_read_write || {};
  return {forms, types, lookups, places, children, levels, grants, modules: bundle.modules || [],
    permissions: bundle.permissions || {}};
}

/** The options of a select or radio field: [{id, display_text, disabled}] from its lookup or its own list. */
export function optionsOf(field, catalog) {
  const source = field.option_strings_source;
  if (source) return catalog.lookups.get(source.split(" ", 2)[1]) || [];
  return field.option_strings_text || [];
}

/** The registry entry of a field's type (how it is drawn: render.widget), or null for a type this app lacks. */
export function typeOf(field, catalog) {
  return catalog.types.get(field.type) || null;
}

/** The top-level forms of a record type the role may read, in the configuration's order, grouped as it groups them:
 * [{id, name, forms: [form]}]. */
export function formGroups(catalog, recordType, moduleId) {
  const forms = [...catalog.forms.values()].filter((form) => form.parent_form === recordType && !form.is_nested
    && form.visible !== false && catalog.grants[form.unique_id]
    && (!moduleId || !form.module_ids || !form.module_ids.length || form.module_ids.includes(moduleId)));
  forms.sort((a, b) => (a.order_form_group || 0) - (b.order_form_group || 0) || (a.order || 0) - (b.order || 0)
    || a.unique_id.localeCompare(b.unique_id));
  const groups = [];
  for (const form of forms) {
    const id = form.form_group_id || form.unique_id;
    let group = groups.find((candidate) => candidate.id === id);
    if (!group) groups.push(group = {id, name: form.form_group_name || form.name, forms: []});
    group.forms.push(form);
  }
  return groups;
}

/** Whether the role may write the form (its grant is rw). */
export function writable(catalog, form) {
  return catalog.grants[form.unique_id] === "rw";
}
