// Owns the "待发送" page: every visit kept on this phone for the logged-in user, newest first,
// with its state and reason, and what can be done with it — open and correct one that needs
// attention, send now, discard after confirming, or open the visit once recorded.
import * as store from "./store.js";
import { discard, flush } from "./outbox.js";
import { formatTime, t } from "./messages.js";
import { notify } from "./status.js";

const TAGS = { waiting: "warn", sending: "warn", sent: "ok", attention: "bad" };

function field(entry, name) {
  const pair = entry.fields.find(([key]) => key === name);
  return pair ? pair[1] : "";
}

function button(text, action, uuid, primary = false) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.dataset.action = action;
  b.dataset.uuid = uuid;
  if (primary) b.className = "primary";
  return b;
}

function link(text, href, primary = false) {
  const a = document.createElement("a");
  a.className = primary ? "button primary" : "button";
  a.href = href;
  a.textContent = text;
  return a;
}

function item(entry) {
  const li = document.createElement("li");
  li.className = `outbox-entry state-${entry.state}`;
  li.dataset.entry = entry.uuid;
  li.dataset.state = entry.state;

  const head = document.createElement("div");
  head.className = "row-head";
  const name = document.createElement("a");
  name.className = "name";
  name.href = entry.caseUrl;
  name.textContent = entry.childName;
  const tag = document.createElement("span");
  tag.className = `tag ${TAGS[entry.state] || ""}`;
  tag.textContent = t(`state_${entry.state}`);
  head.append(name, tag);

  const when = document.createElement("div");
  when.className = "muted";
  const bits = [t("typed_at", { time: formatTime(entry.typedAt) })];
  if (entry.sentAt) bits.push(t("sent_at", { time: formatTime(entry.sentAt) }));
  if (entry.photos && entry.photos.length) bits.push(t("photos", { n: entry.photos.length }));
  when.textContent = bits.join(" · ");

  li.append(head, when);
  const findings = field(entry, "findings");
  if (findings) {
    const p = document.createElement("p");
    p.className = "findings";
    p.textContent = findings.length > 80 ? `${findings.slice(0, 80)}…` : findings;
    li.append(p);
  }
  if (entry.state !== "sent" && entry.reason) {
    const reason = document.createElement("p");
    reason.className = entry.state === "attention" ? "error" : "hint";
    reason.dataset.reason = entry.reason;
    reason.textContent = entry.reason === "login"
      ? `${t("reason_login")}`
      : t(`reason_${entry.reason}`, { status: entry.status });
    li.append(reason);
    for (const message of Object.values(entry.errors || {}).flat()) {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = message;
      li.append(p);
    }
  }
  const actions = document.createElement("div");
  actions.className = "actions";
  if (entry.state === "sent") {
    actions.append(link(t("open_visit"), `${entry.caseUrl}#visit-${entry.visitId}`));
  } else if (entry.state === "attention") {
    actions.append(link(t("open_fix"), `/cases/${entry.caseId}/visits/new?entry=${entry.uuid}`, true));
    actions.append(button(t("discard"), "discard", entry.uuid));
  } else if (entry.state === "waiting") {
    actions.append(button(t("send_now"), "send", entry.uuid, true));
    actions.append(button(t("discard"), "discard", entry.uuid));
  }
  if (actions.children.length) li.append(actions);
  return li;
}

export async function renderOutbox(list, userId) {
  const mine = (await store.entries()).filter((e) => e.userId === userId).sort((a, b) => b.typedAt - a.typedAt);
  if (!mine.length) {
    const empty = document.createElement("li");
    empty.className = "muted";
    empty.textContent = t("empty");
    list.replaceChildren(empty);
    return;
  }
  list.replaceChildren(...mine.map(item));
}

export function initOutboxPage(list, userId) {
  list.addEventListener("click", async (event) => {
    const b = event.target.closest("button[data-action]");
    if (!b) return;
    if (b.dataset.action === "discard") {
      if (!window.confirm(t("discard_confirm"))) return;
      await discard(b.dataset.uuid);
      notify("info", t("discarded"));
    } else if (b.dataset.action === "send") {
      b.disabled = true;
      await flush({ wait: true });
    }
    await renderOutbox(list, userId);
  });
  return renderOutbox(list, userId);
}
