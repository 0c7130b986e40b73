/* The app's service worker: keeps the shell and every file of the app, so the app opens and works without a
 * connection. The server writes FILES and VERSION (a hash of the files): a new release is a new worker, which fills
 * a new cache and drops the old one. The API is never cached here — records live encrypted in the app's own storage. */
const VERSION = {{ version | tojson }};
const FILES = {{ files | tojson }};
const CACHE = "abri-app-" + VERSION;
const SHELL = "/app/";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll([SHELL, ...FILES])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith("abri-app-") && name !== CACHE).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || !url.pathname.startsWith("/app/")) return;
  if (url.pathname === SHELL) {
    // The shell from the server when it answers (its texts follow the language chosen), else the copy kept. Only
    // the shell's own answer replaces the copy: a page of the app opened by a link elsewhere never does.
    event.respondWith(fetch(request).then((response) => {
      if (response.ok && !response.redirected) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(SHELL, copy));
      }
      return response;
    }).catch(() => caches.match(SHELL)));
    return;
  }
  event.respondWith(caches.match(request, {ignoreSearch: true}).then((kept) => kept || fetch(request)));
});
