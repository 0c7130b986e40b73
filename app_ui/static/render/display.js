/* A field's value as a person reads it: option labels, place names with the places above, dates in the interface
 * language, yes/no, tallies; the registry's `value` kind decides, never the form. */
import {optionsOf} from "./catalog.js";

/** The text of a value of `field` (an empty text when there is none). */
export function displayValue(field, value, context) {
  const {catalog, words} = context;
  if (value === null || value === undefined || value === "") return "";
  const type = catalog.types.get(field.type);
  switch (type ? type.value : null) {
    case "option": {
      const options = optionsOf(field, catalog);
      return (Array.isArray(value) ? value : [value])
        .map((id) => (options.find((option) => option.id === id) || {display_text: id}).display_text).join(", ");
    }
    case "boolean": return value === true ? words.t("yes") : value === false ? words.t("no") : String(value);
    case "date": return words.when(value);
    case "number": case "computed": return typeof value === "number" ? words.number(value) : String(value);
    case "place": return placeName(value, catalog);
    case "tally": return (field.tally || []).filter((item) => typeof value[item.id] === "number")
      .map((item) => item.display_text + " : " + words.number(value[item.id])).join(", ");
    case "files": return Array.isArray(value) ? words.fmt("file_count", {count: value.length}) : "";
    case "rows": return Array.isArray(value) ? words.fmt("row_count", {count: value.length}) : "";
    default: return typeof value === "string" ? value : JSON.stringify(value);
  }
}

/** A place with the places above it, nearest first, without the country ("Cotonou, Littoral"). */
export function placeName(code, catalog) {
  const names = [];
  for (let place = catalog.places.get(code); place && place.admin_level > 0; place = catalog.places.get(place.parent_code)) {
    names.push(place.name);
  }
  return names.length ? names.join(", ") : code;
}
