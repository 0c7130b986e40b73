/* Building the page: one element factory (text is always set as text, never parsed as HTML). */

/** An element with attributes ("text" sets its text, "on<event>" adds a listener) and children. */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** The value of the control with this id (trimmed unless raw). */
export function valueOf(id, raw) {
  const value = document.getElementById(id).value;
  return raw ? value : value.trim();
}

/** Let the user act on the screen: its module has wired its forms and buttons (the page serves it disabled). */
export function screenReady() {
  document.getElementById("screen").disabled = false;
}
