// Owns the phone's IndexedDB database "caseworks": the outbox (one record per typed visit, keyed
// by its client_uuid) and the "device" record (whose data the phone holds, when the offline
// copies were refreshed, whether the server asked for a new login). The pages and the service
// worker both use it; nothing else in the browser stores a visit.

const NAME = "caseworks";
const VERSION = 1;
let opening = null;

function open() {
  if (opening === null) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore("outbox", { keyPath: "uuid" });
        db.createObjectStore("meta");
      };
      request.onsuccess = () => {
        const db = request.result;
        // a wipe (Clear-Site-Data at logout) or a newer schema closes us: open again next time
        db.onversionchange = () => { db.close(); opening = null; };
        db.onclose = () => { opening = null; };
        resolve(db);
      };
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

async function run(storeName, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const request = work(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(request ? request.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

/** Whether this browser can keep visits at all (no IndexedDB: the form posts as a plain page). */
export async function usable() {
  if (typeof indexedDB === "undefined") return false;
  try { await open(); return true; } catch (error) { return false; }
}

export const entries = () => run("outbox", "readonly", (s) => s.getAll());
export const entry = (uuid) => run("outbox", "readonly", (s) => s.get(uuid));
export const putEntry = (record) => run("outbox", "readwrite", (s) => s.put(record));
export const deleteEntry = (uuid) => run("outbox", "readwrite", (s) => s.delete(uuid));
export const device = async () => (await run("meta", "readonly", (s) => s.get("device"))) || {};

/** Merge ``changes`` into the device record. */
export async function updateDevice(changes) {
  const current = await device();
  await run("meta", "readwrite", (s) => s.put({ ...current, ...changes }, "device"));
}

/** Forget everything: every visit in the outbox and the device record. */
export async function clearAll() {
  await run("outbox", "readwrite", (s) => s.clear());
  await run("meta", "readwrite", (s) => s.clear());
}
