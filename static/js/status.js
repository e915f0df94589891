// Owns what every page says about the phone: the offline banner (with when the kept copy was
// refreshed), the "log in again" prompt while visits wait for a login, the count in the header
// of visits waiting or needing attention, and one-off notices (sent, kept, discarded) carried
// across a page change in sessionStorage.
import * as store from "./store.js";
import { counts, takeNewlySent } from "./outbox.js";
import { formatTime, t } from "./messages.js";

const NOTICE_KEY = "caseworks.notice";

function flash(kind, text, link) {
  const box = document.createElement("div");
  box.className = `flash flash-${kind}`;
  box.setAttribute("role", kind === "error" ? "alert" : "status");
  box.textContent = text;
  if (link) {
    box.append(" ");
    const a = document.createElement("a");
    a.href = link.href;
    a.textContent = link.text;
    box.append(a);
  }
  return box;
}

/** Show ``text`` at the top of the page now. */
export function notify(kind, text) {
  const place = document.getElementById("device-notices") || makeNoticePlace();
  if (place) place.append(flash(kind, text));
}

function makeNoticePlace() {
  const status = document.getElementById("device-status");
  if (!status) return null;
  const place = document.createElement("div");
  place.id = "device-notices";
  status.after(place);
  return place;
}

/** Show ``text`` at the top of the next page this tab opens. */
export function notifyNextPage(kind, text) {
  try { sessionStorage.setItem(NOTICE_KEY, JSON.stringify({ kind, text })); } catch (error) { /* private mode */ }
}

export function showCarriedNotice() {
  try {
    const carried = sessionStorage.getItem(NOTICE_KEY);
    if (!carried) return;
    sessionStorage.removeItem(NOTICE_KEY);
    const { kind, text } = JSON.parse(carried);
    notify(kind, text);
  } catch (error) { /* nothing carried */ }
}

let announcing = Promise.resolve();

/** Tell the user about visits sent since they were last told (by this page or the worker);
 * one telling at a time, so that no visit is announced twice. */
export function announceSent(userId) {
  announcing = announcing.then(async () => {
    const n = await takeNewlySent(userId);
    if (n) notify("success", t("sent_count", { n }));
  }).catch(() => null);
  return announcing;
}

export function isShowingKeptCopy() {
  return Boolean(document.documentElement.dataset.keptAt);
}

/** Redraw the banner and the header's count. */
export async function renderStatus(userId) {
  const box = document.getElementById("device-status");
  if (!box) return;
  const parts = [];
  const keptAt = Number(document.documentElement.dataset.keptAt || 0);
  if (keptAt) parts.push(flash("warning", t("offline_since", { time: formatTime(keptAt) })));
  else if (!navigator.onLine) parts.push(flash("warning", t("offline")));
  if (userId !== null) {
    const found = await counts(userId);
    const device = await store.device();
    if (found.waiting) {
      const text = t("waiting_count", { n: found.waiting });
      if (device.needsLogin) {
        const next = encodeURIComponent(location.pathname + location.search);
        parts.push(flash("warning", `${text} ${t("login_needed")}`, { href: `/login?next=${next}`, text: t("log_in") }));
      } else {
        parts.push(flash("info", text));
      }
    }
    if (found.attention) {
      parts.push(flash("error", t("attention_count", { n: found.attention }), { href: "/outbox", text: t("outbox_page") }));
    }
    const badge = document.querySelector("[data-outbox-count]");
    if (badge) {
      const n = found.waiting + found.attention;
      badge.textContent = String(n);
      badge.hidden = n === 0;
      badge.classList.toggle("bad", found.attention > 0);
    }
  }
  box.replaceChildren(...parts);
}
