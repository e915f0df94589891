// Owns the outbox's rules, for the pages and the service worker alike: the states of a typed
// visit (waiting · sending · sent · attention), sending one through the API's idempotent visit
// POST, and flushing the queue one flush at a time across every page and the worker.
//
// An entry leaves "waiting" only when the server answers with its client_uuid recorded (new or
// already recorded). An expired login, a refused origin, a redirect, no network, a 5xx or an
// out-of-date app keep it waiting; a refusal of its content (fields, a case closed or no longer
// the user's) turns it "attention" with the reason. It leaves the outbox only as "sent", a day
// later, or when the user discards it after confirming.
import * as store from "./store.js";

/** The outbox protocol this shell speaks (X-Caseworks-Outbox; caseworks/api/auth.py). */
export const PROTOCOL = "1";
export const SYNC_TAG = "caseworks-outbox";
const DAY = 24 * 60 * 60 * 1000;
const LOCK = "caseworks-outbox";
const channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel("caseworks-outbox");

/** Tell every page (and this one) that the outbox or the device record changed. */
export function announce(message = { type: "changed" }) {
  if (channel) channel.postMessage(message);
  self.dispatchEvent(new CustomEvent("caseworks-outbox", { detail: message }));
}

/** Call ``listener(message)`` on every change, from this page, other pages or the worker. */
export function onChange(listener) {
  if (channel) channel.addEventListener("message", (event) => listener(event.data || {}));
  self.addEventListener("caseworks-outbox", (event) => listener(event.detail || {}));
}

/** A visit as typed, ready to be kept: ``fields`` are [name, value] pairs, ``photos`` blobs. */
export function newEntry({ uuid, caseId, plannedId, childName, caseUrl, userId, userName, fields, photos }) {
  return {
    uuid, caseId, plannedId: plannedId || null, childName, caseUrl, userId, userName,
    fields, photos: photos || [], typedAt: Date.now(),
    state: "waiting", reason: "", status: 0, errors: {},
    visitId: null, sentAt: null, announced: false,
  };
}

/** POST one entry; returns what became of it (the fields to merge into the entry). */
export async function sendEntry(entry) {
  const body = new FormData();
  for (const [name, value] of entry.fields) body.append(name, value);
  body.set("client_uuid", entry.uuid);
  if (entry.plannedId) body.set("planned_visit_id", String(entry.plannedId));
  for (const photo of entry.photos || []) body.append("photos", photo.blob, photo.name);
  let response;
  try {
    response = await fetch(`/api/v1/cases/${entry.caseId}/visits`, {
      method: "POST",
      body,
      credentials: "same-origin",
      redirect: "manual",
      cache: "no-store",
      headers: { "X-Caseworks-Outbox": PROTOCOL, "X-Caseworks-User": String(entry.userId), Accept: "application/json" },
    });
  } catch (error) {
    return { state: "waiting", reason: "network", status: 0 };
  }
  const status = response.status;
  // an expired or ended login, a CSRF-like refusal, a redirect to the login page
  if (response.type === "opaqueredirect" || (status >= 300 && status < 400) || [400, 401, 403].includes(status)) {
    return { state: "waiting", reason: "login", status };
  }
  const answer = await response.json().catch(() => null);
  if (status === 200 || status === 201) {
    if (answer && answer.client_uuid === entry.uuid) {
      return { state: "sent", reason: "", status, visitId: answer.id, sentAt: Date.now(), errors: {} };
    }
    return { state: "waiting", reason: "network", status };  // not our server's answer (a portal page)
  }
  if (status === 422) return { state: "attention", reason: "fields", status, errors: (answer && answer.fields) || {} };
  if (status === 404) return { state: "attention", reason: "gone", status, errors: {} };
  if (status === 409) return { state: "attention", reason: "conflict", status, errors: {} };
  if (status === 413) return { state: "attention", reason: "too_large", status, errors: { photos: [] } };
  if (status === 426) return { state: "waiting", reason: "update", status };
  return { state: "waiting", reason: "server", status };
}

async function withLock(wait, work) {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request(LOCK, wait ? {} : { ifAvailable: true }, (lock) => (lock ? work() : null));
  }
  return work();  // no Web Locks: the server's client_uuid check still records each visit once
}

/**
 * Send every waiting entry of the phone's user, oldest first. ``wait``: queue behind a flush
 * already running (the visit form, which wants its own entry sent) instead of leaving it to
 * that one. Returns {sent, stopped} (stopped: why sending stopped early), or null when skipped.
 */
export function flush({ wait = false } = {}) {
  return withLock(wait, async () => {
    const device = await store.device();
    const due = (await store.entries())
      .filter((e) => (e.state === "waiting" || e.state === "sending") && e.userId === device.userId)
      .sort((a, b) => a.typedAt - b.typedAt);
    const result = { sent: 0, stopped: null };
    for (const queued of due) {
      const current = await store.entry(queued.uuid);
      if (!current || current.state === "sent" || current.state === "attention") continue;
      await store.putEntry({ ...current, state: "sending" });
      announce();
      const outcome = await sendEntry(current);
      const latest = await store.entry(current.uuid);
      if (!latest && outcome.state !== "sent") continue;  // discarded meanwhile
      await store.putEntry({ ...(latest || current), ...outcome });
      if (outcome.state === "sent") result.sent += 1;
      if (outcome.state === "waiting" && outcome.reason !== "server") {
        result.stopped = outcome.reason;  // the next ones would meet the same answer
        break;
      }
    }
    if (result.stopped === "login") await store.updateDevice({ needsLogin: true });
    else if (due.length) await store.updateDevice({ needsLogin: false });
    await prune();
    announce({ type: "flushed", sent: result.sent });
    return result;
  });
}

/** Sent entries leave the outbox a day after they were sent. */
async function prune() {
  const now = Date.now();
  for (const e of await store.entries()) {
    if (e.state === "sent" && now - e.sentAt > DAY) await store.deleteEntry(e.uuid);
  }
}

/** The user's entries by state: {waiting, attention, sent} (sending counts as waiting). */
export async function counts(userId) {
  const found = { waiting: 0, attention: 0, sent: 0 };
  for (const e of await store.entries()) {
    if (e.userId !== userId) continue;
    if (e.state === "attention") found.attention += 1;
    else if (e.state === "sent") found.sent += 1;
    else found.waiting += 1;
  }
  return found;
}

/** How many entries were sent since the user was last told (and mark them told). */
export async function takeNewlySent(userId) {
  let n = 0;
  for (const e of await store.entries()) {
    if (e.userId === userId && e.state === "sent" && !e.announced) {
      await store.putEntry({ ...e, announced: true });
      n += 1;
    }
  }
  return n;
}

/** Discard an entry the user chose to give up (only one not sent or being sent). */
export async function discard(uuid) {
  const e = await store.entry(uuid);
  if (e && e.state !== "sent" && e.state !== "sending") await store.deleteEntry(uuid);
  announce();
}
