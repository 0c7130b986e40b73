/* What the role may do, from the bundle of the user's device (kept and refreshed by lib/session.js). */
import {session} from "./store.js";

/** The actions the role may take on records of a type ("read", "write", "refer", ...). */
export function actionsOn(recordType) {
  const records = (session.bundle && session.bundle.permissions.records) || {};
  return new Set((records[recordType] || {actions: []}).actions);
}
