/* The device's vault: what the app keeps for one user in the browser's storage (IndexedDB), encrypted at rest.
 *
 * A random data key (AES-GCM, 256 bits) encrypts every value; it is kept wrapped by a key derived from the user's
 * password (PBKDF2-SHA256, 600,000 iterations, a random salt per user and device) and lives unwrapped only in the
 * memory of an open page. A lost tablet holds ciphertext: its records, bundle and device credential cannot be read
 * without the password. Each value is bound to its key in the store (additional data), so ciphertexts cannot be
 * swapped between records. One database per user of the device, named by a hash of the user name.
 */
const ITERATIONS = 600000;
const VERSION = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class VaultLocked extends Error {
  constructor() { super("vault locked"); this.name = "VaultLocked"; }
}

/** A request of IndexedDB as a promise. */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** A transaction's completion as a promise. */
function finished(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error || new Error("aborted"));
  });
}

/** The database name of a user on this device. */
async function databaseName(userName) {
  const digest = await crypto.subtle.digest("SHA-256", encoder.encode("abri:" + userName.trim().toLowerCase()));
  return "abri-" + [...new Uint8Array(digest).slice(0, 12)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function openDatabase(name) {
  const request = indexedDB.open(name, VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
    if (!db.objectStoreNames.contains("records")) db.createObjectStore("records", {keyPath: "id"});
    if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", {keyPath: "seq", autoIncrement: true});
  };
  return done(request);
}

async function passwordKey(password, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({name: "PBKDF2", hash: "SHA-256", salt, iterations}, material,
    {name: "AES-GCM", length: 256}, false, ["wrapKey", "unwrapKey"]);
}

export class Vault {
  constructor(db, key) {
    this.db = db;
    this.key = key;
  }

  /** Whether this device keeps data of the user. */
  static async exists(userName) {
    const name = await databaseName(userName);
    if (indexedDB.databases) return (await indexedDB.databases()).some((database) => database.name === name);
    return true;
  }

  /**
   * Open the user's vault with their password: create it (a new data key) when `create` and there is none;
   * VaultLocked when the password does not unwrap the key kept (or nothing is kept and not `create`).
   */
  static async open(userName, password, create) {
    const db = await openDatabase(await databaseName(userName));
    const keys = await done(db.transaction("meta").objectStore("meta").get("keys"));
    if (!keys) {
      if (!create) { db.close(); throw new VaultLocked(); }
      const salt = crypto.getRandomValues(new Uint8Array(16));
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const dataKey = await crypto.subtle.generateKey({name: "AES-GCM", length: 256}, true, ["encrypt", "decrypt"]);
      const kek = await passwordKey(password, salt, ITERATIONS);
      const wrapped = await crypto.subtle.wrapKey("raw", dataKey, kek, {name: "AES-GCM", iv});
      const transaction = db.transaction("meta", "readwrite");
      transaction.objectStore("meta").put({salt, iv, wrapped, iterations: ITERATIONS}, "keys");
      await finished(transaction);
      const key = await crypto.subtle.unwrapKey("raw", wrapped, kek, {name: "AES-GCM", iv},
        {name: "AES-GCM", length: 256}, false, ["encrypt", "decrypt"]);
      return new Vault(db, key);
    }
    try {
      const key = await crypto.subtle.unwrapKey("raw", keys.wrapped, await passwordKey(password, keys.salt, keys.iterations),
        {name: "AES-GCM", iv: keys.iv}, {name: "AES-GCM", length: 256}, false, ["encrypt", "decrypt"]);
      return new Vault(db, key);
    } catch (error) {
      db.close();
      throw new VaultLocked();
    }
  }

  /** How many changes wait in the user's outbox (counted without the key: the rows, not their content). */
  static async waiting(userName) {
    const db = await openDatabase(await databaseName(userName));
    try {
      return await done(db.transaction("outbox").objectStore("outbox").count());
    } finally {
      db.close();
    }
  }

  /** Wrap the user's data key with a new password (theirs changed); VaultLocked when `oldPassword` is not the old one. */
  static async rekey(userName, oldPassword, newPassword) {
    const db = await openDatabase(await databaseName(userName));
    try {
      const keys = await done(db.transaction("meta").objectStore("meta").get("keys"));
      if (!keys) throw new VaultLocked();
      let dataKey;
      try {
        dataKey = await crypto.subtle.unwrapKey("raw", keys.wrapped, await passwordKey(oldPassword, keys.salt, keys.iterations),
          {name: "AES-GCM", iv: keys.iv}, {name: "AES-GCM", length: 256}, true, ["encrypt", "decrypt"]);
      } catch (error) {
        throw new VaultLocked();
      }
      const salt = crypto.getRandomValues(new Uint8Array(16));
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const wrapped = await crypto.subtle.wrapKey("raw", dataKey, await passwordKey(newPassword, salt, ITERATIONS), {name: "AES-GCM", iv});
      const transaction = db.transaction("meta", "readwrite");
      transaction.objectStore("meta").put({salt, iv, wrapped, iterations: ITERATIONS}, "keys");
      await finished(transaction);
    } finally {
      db.close();
    }
  }

  /** Erase everything this device keeps for the user (a revoked device, a user who leaves the tablet). */
  static async erase(userName) {
    const name = await databaseName(userName);
    await done(indexedDB.deleteDatabase(name));
  }

  close() {
    this.db.close();
    this.key = null;
  }

  async seal(value, binding) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({name: "AES-GCM", iv, additionalData: encoder.encode(binding)}, this.key,
      encoder.encode(JSON.stringify(value)));
    return {iv, data};
  }

  async unseal(sealed, binding) {
    const plain = await crypto.subtle.decrypt({name: "AES-GCM", iv: sealed.iv, additionalData: encoder.encode(binding)},
      this.key, sealed.data);
    return JSON.parse(decoder.decode(plain));
  }

  /** A value kept under `name` (the bundle, the device, the sync token), or undefined. */
  async get(name) {
    const sealed = await done(this.db.transaction("meta").objectStore("meta").get("v:" + name));
    return sealed ? this.unseal(sealed, "meta:" + name) : undefined;
  }

  async put(name, value) {
    const sealed = await this.seal(value, "meta:" + name);
    const transaction = this.db.transaction("meta", "readwrite");
    transaction.objectStore("meta").put(sealed, "v:" + name);
    await finished(transaction);
  }

  /** Every record kept: [{id, ...entry}] decrypted. */
  async records() {
    const rows = await done(this.db.transaction("records").objectStore("records").getAll());
    return Promise.all(rows.map(async (row) => Object.assign({id: row.id}, await this.unseal(row.sealed, "record:" + row.id))));
  }

  /** Keep some records (entries with an id) and drop others (ids), in one transaction. */
  async saveRecords(entries, dropped) {
    const sealed = await Promise.all(entries.map(async (entry) => ({id: entry.id, sealed: await this.seal(entry, "record:" + entry.id)})));
    const transaction = this.db.transaction("records", "readwrite");
    const store = transaction.objectStore("records");
    for (const row of sealed) store.put(row);
    for (const id of dropped || []) store.delete(id);
    await finished(transaction);
  }

  async clearRecords() {
    const transaction = this.db.transaction("records", "readwrite");
    transaction.objectStore("records").clear();
    await finished(transaction);
  }

  /** The queued changes, in the order they were made: [{seq, ...change}]. */
  async outbox() {
    const rows = await done(this.db.transaction("outbox").objectStore("outbox").getAll());
    return Promise.all(rows.map(async (row) => Object.assign({seq: row.seq}, await this.unseal(row.sealed, "outbox"))));
  }

  /** Queue a change (or replace the queued change `seq`); returns its seq. */
  async queue(change, seq) {
    const row = {sealed: await this.seal(change, "outbox")};
    if (seq !== undefined) row.seq = seq;
    const transaction = this.db.transaction("outbox", "readwrite");
    const request = transaction.objectStore("outbox").put(row);
    await finished(transaction);
    return request.result;
  }

  async unqueue(seqs) {
    const transaction = this.db.transaction("outbox", "readwrite");
    for (const seq of seqs) transaction.objectStore("outbox").delete(seq);
    await finished(transaction);
  }
}
