// The service worker (served as /sw.js by caseworks/offline/views.py, which puts the SHELL
// constant above: this release's version and the shell's URLs).
//
// Owns three things:
// - the app shell: static files and the offline fallback page in "caseworks-shell-<version>",
//   filled at install; a new release is a new /sw.js, installed beside the old one, which takes
//   over at once and deletes the old shell's caches, so no old shell lingers;
// - the copies of the user's own pages ("caseworks-data-<version>"): navigations go to the
//   network first and, without signal, to these copies (marked with the time they were kept),
//   else to the fallback page; copies are refreshed when a page asks and carried over an update;
// - sending the outbox on Background Sync (static/js/outbox.js holds the rules).
import * as store from "/static/js/store.js";
import { announce, flush, SYNC_TAG } from "/static/js/outbox.js";

const SHELL_CACHE = `caseworks-shell-${SHELL.version}`;
const DATA_CACHE = `caseworks-data-${SHELL.version}`;
const START_URL = "/visits/mine";
/** without an answer by then, a navigation is served from the phone */
const NAVIGATION_TIMEOUT = 8000;
/** copies younger than this are not fetched again unless a page insists */
const FRESH_FOR = 60 * 60 * 1000;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL_CACHE);
    await shell.addAll(SHELL.shell.map((url) => new Request(url, { cache: "reload" })));
    await carryOverCopies();
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("caseworks-") && name !== SHELL_CACHE && name !== DATA_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** An update keeps the phone's copies: they move into this release's data cache. */
async function carryOverCopies() {
  const target = await caches.open(DATA_CACHE);
  for (const name of await caches.keys()) {
    if (!name.startsWith("caseworks-data-") || name === DATA_CACHE) continue;
    const old = await caches.open(name);
    for (const request of await old.keys()) await target.put(request, await old.match(request));
  }
}

/** The key of a kept page: its path alone ("/" is the start page). */
function keyFor(url) {
  const { pathname } = new URL(url, self.location.origin);
  return new URL(pathname === "/" ? START_URL : pathname, self.location.origin).href;
}

function stamped(response) {
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  headers.set("X-Caseworks-Kept-At", String(Date.now()));
  return response.blob().then((body) => new Response(body, { status: response.status, headers }));
}

function isPage(response) {
  return response.status === 200 && response.type === "basic" && !response.redirected
    && (response.headers.get("Content-Type") || "").startsWith("text/html");
}

async function keptCopy(url) {
  const cache = await caches.open(DATA_CACHE);
  const response = await cache.match(keyFor(url));
  if (!response) return null;
  const keptAt = response.headers.get("X-Caseworks-Kept-At") || "";
  const html = (await response.text()).replace("<html ", `<html data-kept-at="${keptAt}" `);
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  return new Response(html, { status: 200, headers });
}

const TIMED_OUT = Symbol("timed out");

function timeout(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(TIMED_OUT), ms));
}

async function fallback(url) {
  return (await keptCopy(url)) || (await caches.match("/offline", { cacheName: SHELL_CACHE })) || Response.error();
}

/**
 * Network first. Without signal: the kept copy, else the fallback page. A slow answer (weak
 * signal) gives way to the kept copy after NAVIGATION_TIMEOUT, but only if there is one: a page
 * not kept on the phone waits for the network as long as the browser does.
 */
async function navigate(event) {
  const { request } = event;
  if (self.navigator.onLine === false) return fallback(request.url);
  const network = fetch(request);
  // the copy follows the page (the clone is taken before the browser reads the answer)
  event.waitUntil(network.then((r) => (isPage(r) ? updateCopy(request.url, r.clone()) : null)).catch(() => null));
  try {
    const first = await Promise.race([network, timeout(NAVIGATION_TIMEOUT)]);
    if (first !== TIMED_OUT) return first;
    return (await keptCopy(request.url)) || (await network);
  } catch (error) {
    return fallback(request.url);  // no signal
  }
}

/** A page the phone keeps, just fetched: the copy follows it. */
async function updateCopy(url, response) {
  const cache = await caches.open(DATA_CACHE);
  if (await cache.match(keyFor(url))) await cache.put(keyFor(url), await stamped(response));
}

async function fromShell(request) {
  return (await caches.match(request, { cacheName: SHELL_CACHE })) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(navigate(event));
  else if (SHELL.shell.includes(url.pathname)) event.respondWith(fromShell(request));
  // everything else (the API, photos, the list of pages) goes to the network untouched
});

let refreshing = null;

/** Fetch the user's own pages again (see /offline/pages.json), unless fresh enough. */
function refresh(force) {
  refreshing = refreshing || (async () => {
    const device = await store.device();
    const fresh = device.refreshedAt && device.refreshedVersion === SHELL.version
      && Date.now() - device.refreshedAt < FRESH_FOR;
    if (device.userId === undefined || (fresh && !force)) return;
    const listed = await fetch("/offline/pages.json", { credentials: "same-origin", redirect: "manual", cache: "no-store" });
    if (listed.status !== 200) return;  // logged out meanwhile
    const { user, pages } = await listed.json();
    if (user !== device.userId) return;  // the phone changed hands: its page wipes first
    const cache = await caches.open(DATA_CACHE);
    const wanted = new Set(pages.map(keyFor));
    for (const request of await cache.keys()) if (!wanted.has(request.url)) await cache.delete(request);
    const queue = [...pages];
    const worker = async () => {
      while (queue.length) {
        const url = queue.shift();
        try {
          // the header tells the server this is a copy being kept, not a page the user opened:
          // a message waiting for the user's next page stays for it
          const response = await fetch(url, {
            credentials: "same-origin", redirect: "manual", cache: "no-store", headers: { "X-Caseworks-Keep": "1" },
          });
          if (isPage(response)) await cache.put(keyFor(url), await stamped(response));
        } catch (error) {
          // lost the signal half-way: the copies kept so far stay
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    if ((await store.device()).userId !== user) {  // wiped while fetching: keep nothing
      await caches.delete(DATA_CACHE);
      return;
    }
    await store.updateDevice({ refreshedAt: Date.now(), refreshedVersion: SHELL.version });
    announce({ type: "refreshed" });
  })().catch(() => null).finally(() => { refreshing = null; });
  return refreshing;
}

self.addEventListener("message", (event) => {
  const { type, force } = event.data || {};
  if (type === "refresh") event.waitUntil(refresh(Boolean(force)));
  else if (type === "flush") event.waitUntil(flush());
});

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(flush({ wait: true }).then((result) => {
    // no signal yet: rejecting asks the browser to try again later
    if (result && result.stopped === "network") throw new Error("still offline");
  }));
});
