// Owns what the phone keeps for its user beyond the outbox's rules: registering the service
// worker, asking it to refresh the offline copies of the user's own pages or to send the outbox
// in the background, and wiping everything at logout or when someone else logs in.
import * as store from "./store.js";
import { SYNC_TAG, announce } from "./outbox.js";

/** The caches that hold a user's pages (the shell's caches hold no one's data). */
const DATA_PREFIX = "caseworks-data-";
const NO_OFFLINE_NOTED = "caseworks.noOfflineStartNoted";

function hasWorker() {
  return "serviceWorker" in navigator && window.isSecureContext;
}

/** Register /sw.js; false where service workers are not available (plain HTTP). */
export async function registerWorker() {
  if (!hasWorker()) return false;
  try {
    await navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/", updateViaCache: "none" });
    return true;
  } catch (error) {
    return false;
  }
}

/** Whether to say, once on this phone, that the app cannot open without signal here. */
export function noteNoOfflineStart() {
  if (hasWorker()) return false;
  try {
    if (localStorage.getItem(NO_OFFLINE_NOTED)) return false;
    localStorage.setItem(NO_OFFLINE_NOTED, "1");
  } catch (error) {
    return false;
  }
  return true;
}

async function activeWorker(timeout = 5000) {
  if (!hasWorker()) return null;
  const ready = navigator.serviceWorker.ready.then((registration) => registration);
  const late = new Promise((resolve) => setTimeout(() => resolve(null), timeout));
  return Promise.race([ready, late]);
}

/** Ask the worker to refresh the copies of the user's pages (it skips a fresh enough set). */
export async function requestRefresh(force = false) {
  const registration = await activeWorker();
  if (registration && registration.active) registration.active.postMessage({ type: "refresh", force });
}

/** Fetch /sw.js again now: the server said this shell speaks an outbox protocol it dropped. */
export async function updateWorker() {
  const registration = hasWorker() ? await navigator.serviceWorker.getRegistration() : null;
  if (registration) await registration.update().catch(() => null);
}

/** Ask the browser to send the outbox when the signal returns, even with no page open. */
export async function requestBackgroundSync() {
  const registration = await activeWorker(2000);
  try {
    if (registration && registration.sync) await registration.sync.register(SYNC_TAG);
  } catch (error) {
    // no Background Sync here: the pages send on "online", on start and on a timer
  }
}

/** Delete every kept page and the whole outbox. */
export async function wipe() {
  if ("caches" in self) {
    for (const name of await caches.keys()) if (name.startsWith(DATA_PREFIX)) await caches.delete(name);
  }
  await store.clearAll();
  announce();
}

/**
 * The logged-in user holds the phone: if it held someone else's data, wipe it first. Returns
 * how many of the other user's visits were unsent (and so deleted), or null if nothing was wiped.
 */
export async function claimDevice(userId, userName) {
  const current = await store.device();
  let deleted = null;
  if (current.userId !== undefined && current.userId !== userId) {
    deleted = (await store.entries()).filter((e) => e.state !== "sent").length;
    await wipe();
  }
  await store.updateDevice({ userId, userName });
  return deleted;
}

/** Unsent visits on the phone (any user): the login page warns about them. */
export async function unsentByOwner() {
  const current = await store.device();
  const unsent = (await store.entries()).filter((e) => e.state !== "sent");
  return { n: unsent.length, name: current.userName || (unsent[0] && unsent[0].userName) || "" };
}
