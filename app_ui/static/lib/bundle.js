/* The bundle of the user's device (GET /sync/bundle): forms, lookups, places, the field-type registry and the
 * role's permissions, with labels in the interface language; and the catalog the renderer reads, made from it. */
import {api} from "./api.js";
import {session, store} from "./store.js";
import {makeCatalog} from "../render/catalog.js";

/** Fetch the user's bundle and index it; returns the bundle. */
export async function loadBundle() {
  const answer = await api("GET", "/api/v1/sync/bundle?locale=" + encodeURIComponent(store.locale));
  const bundle = answer.data.data;
  session.catalog = makeCatalog(bundle);
  return bundle;
}

/** The actions the role may take on records of a type ("read", "write", "refer", ...). */
export function actionsOn(recordType) {
  const records = (session.bundle && session.bundle.permissions.records) || {};
  return new Set((records[recordType] || {actions: []}).actions);
}
