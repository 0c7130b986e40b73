/* Building the page: one element factory (text is always set as text, never parsed as HTML). */

/** An element with attributes ("text" sets its text, "on<event>" adds a listener) and children. */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

let ids = 0;

/** A new id for an element of this page (labels, descriptions). */
export function newId(prefix) {
  return (prefix || "id") + "-" + (++ids);
}
