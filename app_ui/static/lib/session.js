/* Signing in and out: the server's session when it answers, the device's vault always.
 *
 * Online, the password opens a session on the server and the user's vault on the device (made at the first sign-in
 * here; the device is then registered for sync). Offline, the same password opens the vault only: the user works on
 * what the device keeps, and the next sync sends it. The bundle (forms, lookups, places, permissions) is kept in the
 * vault in the language it was fetched in, revalidated with its ETag. A device revoked by an administrator erases
 * the vault of its user at its next sync. */
import {ApiError, api, forgetSession, hooks, rememberSession} from "./api.js";
import {closeLocal, local, openLocal} from "./local.js";
import {deviceCredential, registerDevice, syncNow} from "./sync.js";
import {session, store, useLocale} from "./store.js";
import {Vault, VaultLocked} from "./vault.js";
import {makeCatalog} from "../render/catalog.js";

const LAST_USER = "abri-last-user";

export class SignInRefused extends Error {
  /** reason: needs_connection (nothing kept here yet), wrong_password (offline), password_changed (changes wait
   * in a vault made with the previous password), previous_password_wrong. */
  constructor(reason) { super(reason); this.name = "SignInRefused"; this.reason = reason; }
}

/** The user who signed in last on this device (to fill the sign-in form). */
export function lastUser() {
  return localStorage.getItem(LAST_USER) || "";
}

/** Fetch the bundle in the interface language (304: the one kept), keep it in the vault, and index it. */
export async function refreshBundle() {
  const kept = await local.vault.get("bundle");
  const headers = kept && kept.locale === store.locale && kept.etag ? {"If-None-Match": kept.etag} : {};
  const answer = await api("GET", "/api/v1/sync/bundle?locale=" + encodeURIComponent(store.locale), undefined, headers);
  if (answer.status !== 304) {
    await local.vault.put("bundle", {locale: store.locale, etag: answer.etag, bundle: answer.data.data});
    useBundle(answer.data.data);
  } else {
    useBundle(kept.bundle);
  }
}

function useBundle(bundle) {
  session.bundle = bundle;
  session.catalog = makeCatalog(bundle);
}

/**
 * Sign in with a password: online when the server answers, else on the device alone. `previous`: the password the
 * device's vault was made with, when the user's password changed since and changes made here wait to be sent.
 */
export async function signIn(userName, password, previous) {
  let me = null;
  try {
    const answer = await api("POST", "/api/v1/sessions", {user_name: userName, password});
    rememberSession(answer.data.data.csrf_token);
    me = (await api("GET", "/api/v1/users/current")).data.data;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 0) throw error;
  }
  const name = me ? me.user_name : userName;
  let vault;
  if (me) {
    vault = await openChanged(name, password, previous);
    const kept = await vault.get("user");
    if (kept && kept.locale_pending && kept.locale !== me.locale) {  // chosen offline on this device: sent now
      try {
        me = (await api("PATCH", "/api/v1/users/current", {data: {locale: kept.locale}})).data.data;
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;  // refused (no longer a language here): the account's stays
      }
    }
    await vault.put("user", me);
  } else {
    if (!(await Vault.exists(name))) throw new SignInRefused("needs_connection");
    try {
      vault = await Vault.open(name, password, false);
    } catch (error) {
      throw new SignInRefused(error instanceof VaultLocked ? "wrong_password" : "needs_connection");
    }
    me = await vault.get("user");
    if (!me) { vault.close(); throw new SignInRefused("needs_connection"); }
  }
  session.user = me;
  localStorage.setItem(LAST_USER, me.user_name);
  if (me.locale) useLocale(me.locale);
  hooks.onRevoked = () => eraseDevice(me.user_name);
  local.vault = vault;
  hooks.credential = await deviceCredential();  // null until the device is registered
  const online = await tryOnline(() => refreshBundle());
  if (!online) {
    const kept = await vault.get("bundle");
    if (!kept) { session.user = null; vault.close(); throw new SignInRefused("needs_connection"); }
    useBundle(kept.bundle);
  }
  await openLocal(vault);  // the records are indexed by the searchable fields of the bundle's forms
  if (online) {
    await tryOnline(() => registerDevice());
    hooks.credential = await deviceCredential();
    syncNow();
  }
  return me;
}

/**
 * Open the vault with the password the server just accepted. If it was made with an earlier password: with that
 * one (`previous`) its key is wrapped again; without it, a vault with nothing waiting to be sent is made again (the
 * next sync brings the records back), and one with changes waiting asks for it (they are never dropped).
 */
async function openChanged(name, password, previous) {
  try {
    return await Vault.open(name, password, true);
  } catch (error) {
    if (!(error instanceof VaultLocked)) throw error;
  }
  if (previous) {
    try {
      await Vault.rekey(name, previous, password);
    } catch (error) {
      throw new SignInRefused("previous_password_wrong");
    }
    return Vault.open(name, password, false);
  }
  if (await Vault.waiting(name)) throw new SignInRefused("password_changed");
  await Vault.erase(name);
  return Vault.open(name, password, true);
}

/** Run a call that needs the server; false when it does not answer. */
async function tryOnline(call) {
  try {
    await call();
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 0) return false;
    throw error;
  }
}

/** Sign out: the server's session ends, the vault's key leaves the memory (the data stay, encrypted). */
export async function signOut() {
  hooks.credential = null;  // the cookie's session ends; the device's credential stays for the next sign-in here
  try { await api("DELETE", "/api/v1/sessions/current"); } catch (error) { /* signed out here all the same */ }
  forgetSession();
  closeLocal();
  session.user = null;
  session.bundle = null;
  session.catalog = null;
}

/** Erase what the device keeps for a user (revoked by an administrator), and sign out. */
export async function eraseDevice(userName) {
  hooks.credential = null;
  closeLocal();
  await Vault.erase(userName);
  if (localStorage.getItem(LAST_USER) === userName) localStorage.removeItem(LAST_USER);
  session.user = null;
  session.revoked = true;
  forgetSession();
  location.hash = "#/login";
  window.dispatchEvent(new Event("abri:render"));
}
