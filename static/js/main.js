// The entry point of every page: starts what the page needs. On a logged-in page of a user who
// logs visits: claim the phone for them, keep their pages for offline use, and send the outbox
// now, when the signal returns, when the page is shown again and every minute. On the login
// page: warn about visits another login would delete. Never sends from a logged-out page.
import * as store from "./store.js";
import { flush, onChange } from "./outbox.js";
import {
  claimDevice, noteNoOfflineStart, registerWorker, requestRefresh, unsentByOwner, updateWorker, wipe,
} from "./device.js";
import { announceSent, isShowingKeptCopy, notify, renderStatus, showCarriedNotice } from "./status.js";
import { initVisitForm } from "./visit-form.js";
import { initOutboxPage, renderOutbox } from "./outbox-page.js";
import { t } from "./messages.js";

const RETRY_EVERY = 60 * 1000;
const body = document.body;
const user = body.dataset.user ? { id: Number(body.dataset.user), name: body.dataset.userName } : null;

/** Logging out asks about unsent visits, then wipes the phone before the server ends the session. */
function guardLogout() {
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[action$='/logout']") || form.dataset.wiped) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const unsent = (await store.entries()).filter((e) => e.state !== "sent").length;
    if (unsent && !window.confirm(t("logout_confirm", { n: unsent }))) return;
    await wipe();
    form.dataset.wiped = "1";
    form.submit();
  }, true);
}

async function markReady() {
  const device = await store.device();
  if (device.refreshedAt) document.documentElement.dataset.offlineReady = String(device.refreshedAt);
}

async function sendAndShow() {
  const result = navigator.onLine ? await flush() : null;  // its end is announced to onChange below
  if (result && result.stopped === "update") await updateWorker();
  await renderStatus(user.id);
}

async function startOutbox() {
  const deleted = await claimDevice(user.id, user.name);
  if (deleted !== null) notify("warning", t("wiped_other_user", { n: deleted }));
  if (noteNoOfflineStart()) notify("info", t("no_offline_start"));
  const list = document.querySelector("[data-outbox-list]");
  const form = document.querySelector("form[data-outbox-form]");
  if (form) await initVisitForm(form, user);
  if (list) await initOutboxPage(list, user.id);
  onChange(async (message) => {
    if (message.type === "refreshed") await markReady();
    if (list) await renderOutbox(list, user.id);
    if (message.type === "flushed") await announceSent(user.id);
    await renderStatus(user.id);
  });
  await announceSent(user.id);  // sent in the background since the last page
  await renderStatus(user.id);
  await markReady();
  if (!isShowingKeptCopy() && navigator.onLine) requestRefresh(deleted !== null);
  window.addEventListener("online", sendAndShow);
  window.addEventListener("offline", () => renderStatus(user.id));
  document.addEventListener("visibilitychange", () => { if (!document.hidden) sendAndShow(); });
  setInterval(sendAndShow, RETRY_EVERY);
  await sendAndShow();
}

async function warnOnLoginPage() {
  const { n, name } = await unsentByOwner();
  if (n) notify("warning", t("other_user", { n, name }));
}

async function start() {
  registerWorker();
  showCarriedNotice();
  if (!(await store.usable())) return;  // no IndexedDB: forms post as plain pages
  if (user) guardLogout();
  if (user && "outbox" in body.dataset) await startOutbox();
  else if (!user && document.querySelector("form input[name=password]")) await warnOnLoginPage();
}

start();
