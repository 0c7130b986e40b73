/* Addresses of the app: fragments (#/cases/<id>/edit?form=x) that name a screen and its parameters. */

export const RECORD_ROUTES = {cases: "case", incidents: "incident", tracing_requests: "tracing_request"};

/** The screen and its parameters for an address fragment ("#/cases/<id>/edit?form=x"). */
export function route(hash) {
  const [path, query] = (hash.replace(/^#/, "") || "/").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const params = Object.fromEntries(new URLSearchParams(query || ""));
  if (!parts.length) return {screen: "home", params};
  if (parts[0] === "login") return {screen: "login", params};
  const recordType = RECORD_ROUTES[parts[0]];
  if (!recordType) return {screen: "home", params};
  Object.assign(params, {recordType, route: parts[0]});
  if (parts.length === 1) return {screen: "list", params};
  if (parts[1] === "new") return {screen: "record", params: Object.assign(params, {mode: "new"})};
  params.id = parts[1];
  if (parts[2] === "history") return {screen: "history", params};
  return {screen: "record", params: Object.assign(params, {mode: parts[2] === "edit" ? "edit" : "view"})};
}

/** Go to an address of the app (and draw its screen again when it is the one shown). */
export function go(hash) {
  if (location.hash === hash) window.dispatchEvent(new Event("abri:render")); else location.hash = hash;
}

/** The address of a record of a type ("case" -> #/cases/<id>). */
export function recordHash(recordType, id, suffix) {
  const routeName = Object.keys(RECORD_ROUTES).find((name) => RECORD_ROUTES[name] === recordType);
  return "#/" + routeName + "/" + encodeURIComponent(id) + (suffix || "");
}
